//! Risk: a durable `quantization: int8` collection moves its float32 originals out of memory
//! once they are in stored pages. That must lose nothing: `get`, `includeVectors` and export
//! give back exactly what was inserted, from storage; writes after eviction (inserts,
//! upserts, deletes) keep working on the codes; a reopen holds the same state and answers
//! the same way; and a collection that was never stored keeps everything in memory.

mod common;

use common::seed;
use ruvector_core::dataset::Mixture;
use ruvector_core::{
    CollectionConfig, GetError, Item, MemoryBackend, Metric, Quantization, SearchQuery, Store,
};

const DIM: usize = 32;

fn config(q: Quantization) -> CollectionConfig {
    CollectionConfig::new(DIM)
        .metric(Metric::Cosine)
        .quantization(q)
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
    for q in rows.chunks_exact(DIM).step_by(850) {
        let query = SearchQuery::new(q, 10);
        let (a, b) = (
            int8.collection().search(&query).expect("search"),
            reopened.collection().search(&query).expect("search"),
        );
        assert_eq!(a.hits, b.hits);
        assert_eq!(a.evaluations, b.evaluations);
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
