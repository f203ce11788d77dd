//! Risk: a durable `quantization: int8` collection moves its float32 originals out of memory
//! once they are in stored pages. That must lose nothing: `get`, `includeVectors` and export
//! give back exactly what was inserted, from storage; writes after eviction (inserts,
//! upserts, deletes) keep working on the codes; a reopen holds the same state and answers
//! the same way; and a collection that was never stored keeps everything in memory.

mod common;

use common::seed;
use ruvector_core::{
    CollectionConfig, GetError, Item, MemoryBackend, Metric, Quantization, SearchQuery, Store,
};
use ruvector_testkit::dataset::Mixture;

const DIM: usize = 32;

fn config(q: Quantization) -> CollectionConfig {
    CollectionConfig::new(DIM)
        .metric(Metric::Cosine)
        .quantization(q)
}

/// A store of `config` holding `rows` with ids `"0"`, `"1"`, …, inserted in batches of
/// `batch`.
fn numbered(config: CollectionConfig, rows: &[f32], batch: usize) -> Store<MemoryBackend> {
    let dim = config.dimensions;
    let mut s = Store::create(MemoryBackend::new(), config).expect("create");
    let items: Vec<Item> = rows
        .chunks_exact(dim)
        .enumerate()
        .map(|(i, v)| Item::new(i.to_string(), v.to_vec()))
        .collect();
    for chunk in items.chunks(batch) {
        s.insert_batch(chunk.to_vec()).expect("insert");
    }
    s
}

/// Recall@10 of `s` at `ef` over `queries` against `truth` (ids are row numbers).
fn recall(s: &Store<MemoryBackend>, queries: &[f32], truth: &[Vec<usize>], ef: usize) -> f64 {
    let dim = s.collection().config().dimensions;
    let found: Vec<Vec<usize>> = queries
        .chunks_exact(dim)
        .map(|q| {
            let r = s.search(&SearchQuery::new(q, 10).ef(ef)).expect("search");
            r.hits.iter().map(|h| h.id.parse().expect("row")).collect()
        })
        .collect();
    ruvector_testkit::dataset::recall_at(&found, truth, 10)
}

/// The same writes into a plain and an int8 store: bulk batches, single inserts, an upsert
/// of an evicted vector, deletes, and a checkpoint in between.
fn fill(q: Quantization, rows: &[f32]) -> Store<MemoryBackend> {
    let mut s = Store::create(MemoryBackend::new(), config(q)).expect("create");
    let items: Vec<Item> = rows
        .chunks_exact(DIM)
        .enumerate()
        .map(|(i, v)| Item::new(format!("v{i}"), v.to_vec()))
        .collect();
    let (bulk, single) = items.split_at(items.len() - 40);
    for chunk in bulk.chunks(2_000) {
        s.insert_batch(chunk.to_vec()).expect("bulk");
    }
    s.checkpoint().expect("checkpoint");
    for it in single {
        s.insert(it.clone()).expect("insert");
    }
    s.upsert("v3", Some(&rows[7 * DIM..8 * DIM]), None)
        .expect("upsert an evicted vector");
    s.delete(&["v10", "v11"]).expect("delete evicted vectors");
    s
}

#[test]
fn originals_leave_memory_and_come_back_exactly_from_storage() {
    let sd = seed("tiers", 0x71E5);
    let rows = Mixture::new(DIM, 30, sd).sample(17_000, sd + 1);
    let plain = fill(Quantization::None, &rows);
    let int8 = fill(Quantization::Int8, &rows);

    let (mp, mq) = (
        plain.collection().stats().memory,
        int8.collection().stats().memory,
    );
    println!("memory: float32 {mp:?}\nint8 {mq:?}");
    assert_eq!(mp.vectors_in_memory, 17_001);
    assert!(
        mq.vectors_in_memory < 256 + 40 + 1,
        "only the unpaged tail stays in memory: {mq:?}"
    );
    assert!(mq.vectors + mq.codes < (mp.vectors as f64 * 0.45) as usize);

    // Every live id reads back bit-identical to the plain store's, from storage when evicted.
    let ids: Vec<String> = plain.collection().ids().map(str::to_owned).collect();
    assert_eq!(int8.collection().ids().collect::<Vec<_>>(), ids);
    for id in &ids {
        assert_eq!(
            int8.get(id).expect("get"),
            plain.get(id).expect("get"),
            "{id}"
        );
    }
    assert_eq!(int8.get("v10").expect("get"), None, "deleted");
    assert!(
        matches!(int8.collection().get("v20"), Err(GetError::InStorage(id)) if id == "v20"),
        "the collection alone says where the vector is"
    );

    // includeVectors fills hits from storage.
    let q = &rows[100 * DIM..101 * DIM];
    let mut query = SearchQuery::new(q, 10);
    query.include_vectors = true;
    let r = int8.search(&query).expect("search");
    assert_eq!(r.hits.len(), 10);
    for h in &r.hits {
        let want = plain.get(&h.id).expect("get").expect("live").vector;
        assert_eq!(h.vector.as_ref(), Some(&want), "{}", h.id);
    }
    // ... reading each stored page once, however many hits it holds; rescored, the
    // rescoring's pages give the kept hits their vectors (none is read a second time).
    let counted = Store::open(common::Counting::copy_of(int8.backend())).expect("open");
    for (k, rescore) in [(100, false), (25, true)] {
        counted.backend().reads.borrow_mut().clear();
        let mut query = SearchQuery::new(q, k);
        query.include_vectors = true;
        let r = if rescore {
            counted.search_rescored(&query)
        } else {
            counted.search(&query)
        };
        let hits = r.expect("search").hits;
        let reads = counted.backend().reads.borrow();
        let pages: std::collections::BTreeSet<&String> = reads.iter().collect();
        println!(
            "{k} hits, rescore {rescore}: {} reads of {} pages",
            reads.len(),
            pages.len()
        );
        assert_eq!(hits.len(), k);
        for h in &hits {
            let want = plain.get(&h.id).expect("get").expect("live").vector;
            assert_eq!(h.vector.as_ref(), Some(&want), "{}", h.id);
        }
        assert_eq!(reads.len(), pages.len(), "a page read twice: {reads:?}");
    }

    // Rescored: exact float32 distances, read back from storage, and at least the ranking
    // the int8 estimates gave.
    let (mut hit_plain, mut hit_int8, mut hit_rescored) = (0, 0, 0);
    for q in rows.chunks_exact(DIM).step_by(300) {
        let query = SearchQuery::new(q, 10);
        let exact = plain.search(&query).expect("search").hits;
        let estimated = int8.search(&query).expect("search").hits;
        let rescored = int8.search_rescored(&query).expect("search").hits;
        assert_eq!(rescored.len(), 10);
        for h in &rescored {
            if let Some(e) = exact.iter().find(|e| e.id == h.id) {
                assert_eq!(h.distance.to_bits(), e.distance.to_bits(), "{}", h.id);
            }
        }
        let found = |hits: &[ruvector_core::Hit]| {
            hits.iter()
                .filter(|h| exact.iter().any(|e| e.id == h.id))
                .count()
        };
        hit_plain += exact.len();
        hit_int8 += found(&estimated);
        hit_rescored += found(&rescored);
    }
    println!("of {hit_plain} float32 hits: int8 {hit_int8}, rescored {hit_rescored}");
    assert!(hit_rescored >= hit_int8);

    // Export reads the evicted pages: the file imports, answers alike and re-exports
    // byte-identically.
    let file = int8.export().expect("export");
    let copy = Store::import(MemoryBackend::new(), &file).expect("import");
    assert_eq!(copy.export().expect("export"), file);
    for id in ids.iter().step_by(397) {
        assert_eq!(copy.get(id).expect("get"), plain.get(id).expect("get"));
    }

    // Reopened: the same memory state and the same answers, found the same way.
    let reopened = Store::open(MemoryBackend::new_from(int8.backend())).expect("open");
    assert_eq!(
        reopened.collection().stats().memory.vectors_in_memory,
        mq.vectors_in_memory
    );
    let queries: Vec<&[f32]> = rows.chunks_exact(DIM).step_by(850).collect();
    answer_alike(&int8, &reopened, &queries);
}

/// Both stores give the same hits to every query, with the same number of distances.
fn answer_alike(a: &Store<MemoryBackend>, b: &Store<MemoryBackend>, queries: &[&[f32]]) {
    for q in queries {
        let query = SearchQuery::new(q, 10);
        let (x, y) = (
            a.collection().search(&query).expect("search"),
            b.collection().search(&query).expect("search"),
        );
        assert_eq!(x.hits, y.hits);
        assert_eq!(x.evaluations, y.evaluations);
    }
}

#[test]
fn a_collection_never_stored_keeps_every_original() {
    let sd = seed("tiers memory", 0x71E6);
    let rows = Mixture::new(DIM, 10, sd).sample(17_000, sd + 1);
    let mut c = ruvector_core::Collection::new(config(Quantization::Int8)).expect("config");
    let items = rows
        .chunks_exact(DIM)
        .enumerate()
        .map(|(i, v)| Item::new(format!("v{i}"), v.to_vec()))
        .collect();
    c.insert_batch(items).expect("insert");
    assert_eq!(c.stats().memory.vectors_in_memory, 17_000);
    assert!(c.get("v5").expect("in memory").is_some());
}

#[test]
fn binary_walks_on_sign_bits_and_keeps_recall_after_a_reopen() {
    // quantization binary: the walk on one bit per dimension (a widened list), reranked on
    // the int8 codes; the bits cost one word per 64 dimensions; a reopen walks to the same
    // answers the same way.
    use ruvector_testkit::dataset::ground_truth;
    let sd = seed("binary", 0xB17);
    // Sign bits are for high-dimensional embeddings.
    let dim = 384;
    let m = Mixture::with_spread(dim, 100, sd, 1.5);
    let (rows, queries) = (m.sample(17_000, sd + 1), m.sample(100, sd + 2));
    let truth = ground_truth(&rows, &queries, dim, 10, Metric::Cosine);
    let build =
        |q: Quantization| numbered(CollectionConfig::new(dim).quantization(q), &rows, 5_000);
    let recall = |s: &Store<MemoryBackend>, ef: usize| recall(s, &queries, &truth, ef);
    let (plain, int8, binary) = (
        build(Quantization::None),
        build(Quantization::Int8),
        build(Quantization::Binary),
    );
    let (mi, mb) = (
        int8.collection().stats().memory,
        binary.collection().stats().memory,
    );
    let bits = mb.codes - mi.codes;
    assert!(
        (17_000 * 48..=17_000 * 60).contains(&bits),
        "six words per vector (allocated with at most an eighth more): {mi:?} {mb:?}"
    );
    // The bits only navigate; the int8 codes rank. With a list wide enough the walk on bits
    // finds what the int8 walk ranks first, and both find most of the float32 top 10.
    for ef in [32, 128] {
        let (rp, ri, rb) = (recall(&plain, ef), recall(&int8, ef), recall(&binary, ef));
        println!("ef {ef}: recall@10 float32 {rp:.4}, int8 {ri:.4}, binary {rb:.4}");
        assert!(ri >= rp - 0.06, "ef {ef}: int8 {ri} < {rp} - 0.06");
        if ef >= 128 {
            assert!(rb >= ri - 0.01, "ef {ef}: binary {rb} < int8 {ri} - 0.01");
        }
    }
    let reopened = Store::open(MemoryBackend::new_from(binary.backend())).expect("open");
    let some: Vec<&[f32]> = queries.chunks_exact(dim).take(20).collect();
    answer_alike(&binary, &reopened, &some);
    assert!(ruvector_core::Collection::new(
        CollectionConfig::new(dim)
            .metric(Metric::Manhattan)
            .quantization(Quantization::Binary)
    )
    .is_err());
}

#[test]
fn retraining_follows_data_that_outgrew_the_first_ranges() {
    // Codes are trained once, at 16,384 vectors. Vectors added later ten times wider are
    // clamped to the first ranges and found poorly; retraining on demand re-encodes every
    // vector (the old ones read back from storage) on ranges that hold them all, durably.
    use ruvector_testkit::dataset::ground_truth;
    let sd = seed("retrain", 0x2E7);
    let dim = 32;
    let narrow: Vec<f32> = Mixture::new(dim, 30, sd)
        .sample(16_384, sd + 1)
        .iter()
        .map(|x| x * 0.1)
        .collect();
    let m = Mixture::new(dim, 30, sd + 2);
    let (wide, queries) = (m.sample(4_000, sd + 3), m.sample(100, sd + 4));
    let base: Vec<f32> = narrow.iter().chain(&wide).copied().collect();
    let truth = ground_truth(&base, &queries, dim, 10, Metric::Euclidean);
    let config = CollectionConfig::new(dim)
        .metric(Metric::Euclidean)
        .quantization(Quantization::Int8);
    let mut s = numbered(config, &base, 2_048);
    let recall = |s: &Store<MemoryBackend>| recall(s, &queries, &truth, 128);
    let before = recall(&s);
    s.retrain().expect("retrain");
    let after = recall(&s);
    println!("recall@10 at ef 128: {before:.3} on the first ranges, {after:.3} retrained");
    // (The graph was built on the clamped codes and is kept, so it does not come all the
    // way back: 0.012 -> 0.454 with this seed.)
    assert!(after >= before + 0.2, "{before} -> {after}");
    let reopened = Store::open(MemoryBackend::new_from(s.backend())).expect("open");
    let some: Vec<&[f32]> = queries.chunks_exact(dim).take(20).collect();
    answer_alike(&s, &reopened, &some);
    assert_eq!(
        reopened.get("7").expect("get").map(|r| r.vector),
        Some(base[7 * dim..8 * dim].to_vec())
    );
    let mut plain =
        Store::create(MemoryBackend::new(), CollectionConfig::new(dim)).expect("create");
    assert!(
        plain.retrain().is_err(),
        "nothing to retrain without quantization"
    );
}
