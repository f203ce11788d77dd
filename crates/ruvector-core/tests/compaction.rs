//! Risk: a compaction that loses or changes a record. It copies a churned database a slice at
//! a time while writes go on between slices (deletes, replaced vectors, new metadata and
//! texts, new records), so the copy must end equal to the database at the moment it settles:
//! the same ids, vectors, metadata and texts, no tombstone, a graph whose recall is a fresh
//! build's, the same BM25 scores; and, for a tier whose vectors are in storage only, vectors
//! written just before the settle must be read back rather than missed.

mod common;

use std::collections::BTreeMap;

use common::seed;
use ruvector_core::storage::export::write_export;
use ruvector_core::{
    CollectionConfig, Compaction, Database, Item, MemoryBackend, Metric, Quantization, SearchQuery,
    Store, StoredItem, TextConfig, Update,
};
use ruvector_testkit::dataset::{ground_truth, recall_at, Mixture};
use serde_json::json;

const DIM: usize = 16;

type Contents = BTreeMap<String, (Vec<f32>, Option<serde_json::Value>, Option<String>)>;

/// Every live record of `s`: its vector (from storage if need be), metadata and text.
fn contents(s: &Store<MemoryBackend>) -> Contents {
    let ids: Vec<String> = s.collection().ids().map(str::to_owned).collect();
    let records = s.database().get_many(&ids, s.backend()).expect("readable");
    (records.into_iter())
        .map(|r| (r.id, (r.vector, r.metadata, r.text)))
        .collect()
}

fn assert_same(a: &Contents, b: &Contents) {
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "the same ids"
    );
    for (id, (va, ma, ta)) in a {
        let (vb, mb, tb) = &b[id];
        let close = va
            .iter()
            .zip(vb)
            .all(|(x, y)| (x - y).abs() <= 1e-5 * x.abs().max(1.0));
        assert!(close && va.len() == vb.len(), "vector of {id}");
        assert_eq!(ma, mb, "metadata of {id}");
        assert_eq!(ta, tb, "text of {id}");
    }
}

/// Copies what `c` has not copied of `s` yet, `slice` records at a time, reading vectors
/// through `s`'s backend and calling `between` after each slice.
fn copy_rest(
    c: &mut Compaction,
    s: &mut Store<MemoryBackend>,
    slice: usize,
    mut between: impl FnMut(&mut Store<MemoryBackend>),
) {
    loop {
        c.catch_up(s.database()).expect("catch up");
        let ids = c.next_ids(s.database(), slice);
        if ids.is_empty() {
            return;
        }
        let records: Vec<StoredItem> = s.database().get_many(&ids, s.backend()).expect("readable");
        c.copy(s.database(), records).expect("copy");
        between(s);
    }
}

/// The compacted database, opened from its export file.
fn reopened(c: Compaction) -> Store<MemoryBackend> {
    let db: Database = c.into_database();
    let file = write_export(&db.snapshot(&MemoryBackend::new()).expect("snapshot"));
    Store::import(MemoryBackend::new(), &file).expect("opens")
}

/// Runs a compaction of `s` to the end, `slice` records at a time, calling `between` with the
/// slice's number after each slice. Returns the compacted store.
fn run(
    s: &mut Store<MemoryBackend>,
    slice: usize,
    mut between: impl FnMut(usize, &mut Store<MemoryBackend>),
) -> Store<MemoryBackend> {
    let mut c = Compaction::new(s.database()).expect("same config");
    let mut step = 0;
    loop {
        copy_rest(&mut c, s, slice, |s| {
            between(step, s);
            step += 1;
        });
        if c.settle(s.database()).expect("settle") {
            return reopened(c);
        }
    }
}

fn text_config() -> CollectionConfig {
    CollectionConfig::new(DIM)
        .metric(Metric::Cosine)
        .text(TextConfig::default())
}

#[test]
fn a_churned_database_compacts_to_its_live_records_while_writes_go_on() {
    let sd = seed("compaction", 0xC0_4AC7);
    let mix = Mixture::new(DIM, 12, sd);
    let n = 1_500;
    let mut s = Store::create(MemoryBackend::new(), text_config()).expect("create");
    let items: Vec<Item> = (mix.sample(n, sd + 1).chunks_exact(DIM).enumerate())
        .map(|(i, v)| {
            Item::new(format!("r{i}"), v.to_vec())
                .with_metadata(json!({ "n": i, "even": i % 2 == 0 }))
                .with_text(format!("word{} common", i % 50))
        })
        .collect();
    s.insert_batch(items).expect("insert");
    // An app re-embedding its records: every vector replaced, three times.
    for round in 0..3u64 {
        let rows = mix.sample(n, sd + 10 + round);
        for (i, v) in rows.chunks_exact(DIM).enumerate() {
            let update = Update {
                vector: Some(v),
                ..Update::default()
            };
            s.upsert_with(&format!("r{i}"), update).expect("upsert");
        }
    }
    assert_eq!(s.collection().stats().tombstones, 3 * n);
    let extra = mix.sample(40, sd + 99);
    let compacted = run(&mut s, 100, |step, s| match step {
        // Records already copied: deleted, replaced, given new metadata or text.
        2 => s.delete(&["r3", "r7", "r11"]).expect("delete"),
        3 => {
            for (i, v) in extra[..10 * DIM].chunks_exact(DIM).enumerate() {
                let update = Update {
                    vector: Some(v),
                    ..Update::default()
                };
                s.upsert_with(&format!("r{}", 20 + i), update)
                    .expect("upsert");
            }
        }
        4 => {
            let meta = Update {
                metadata: Some(json!({ "n": -1 })),
                ..Update::default()
            };
            s.upsert_with("r40", meta).expect("metadata");
            let text = Update {
                text: Some(Some("a new text".into())),
                ..Update::default()
            };
            s.upsert_with("r41", text).expect("text");
            let cleared = Update {
                metadata: Some(serde_json::Value::Null),
                text: Some(None),
                ..Update::default()
            };
            s.upsert_with("r42", cleared).expect("cleared");
        }
        // New records, and records not copied yet deleted.
        5 => {
            let items = (extra[10 * DIM..].chunks_exact(DIM).enumerate())
                .map(|(i, v)| Item::new(format!("new{i}"), v.to_vec()).with_text("common"))
                .collect();
            s.insert_batch(items).expect("insert");
            s.delete(&["r1400", "r1401"]).expect("delete");
        }
        _ => {}
    });
    let want = contents(&s);
    assert_same(&want, &contents(&compacted));
    let stats = compacted.collection().stats();
    // Records changed after they were copied left slots in the copy: 3 deleted, 10 new
    // vectors, 3 new metadata or texts (copied again).
    assert_eq!(stats.tombstones, 16, "no dead slot but those");
    assert_eq!(stats.len, n - 5 + 30);
    assert!(
        stats.memory.graph * 3 < s.collection().stats().memory.graph,
        "the graph shrinks with the slots: {} against {}",
        stats.memory.graph,
        s.collection().stats().memory.graph
    );
    assert!(compacted.backend().bytes() * 2 < s.backend().bytes());

    // Recall against the exact top-10 of the live vectors.
    let ids: Vec<&String> = want.keys().collect();
    let rows: Vec<f32> = want.values().flat_map(|(v, _, _)| v.clone()).collect();
    let queries = mix.sample(100, sd + 7);
    let truth = ground_truth(&rows, &queries, DIM, 10, Metric::Cosine);
    let found: Vec<Vec<usize>> = (queries.chunks_exact(DIM))
        .map(|q| {
            let r = compacted
                .search(&SearchQuery::new(q, 10).ef(64))
                .expect("search");
            (r.hits.iter())
                .map(|h| ids.iter().position(|id| **id == h.id).expect("a live id"))
                .collect()
        })
        .collect();
    let recall = recall_at(&found, &truth, 10);
    println!("recall@10 at ef 64 after compaction: {recall:.3}");
    assert!(recall >= 0.95, "recall {recall}");

    // BM25 counts the same live documents.
    for term in ["word7", "common", "new"] {
        let a = s.search(&SearchQuery::text(term, 20)).expect("text search");
        let b = compacted
            .search(&SearchQuery::text(term, 20))
            .expect("text search");
        let hits = |r: &ruvector_core::SearchResults| {
            (r.hits.iter())
                .map(|h| (h.id.clone(), (h.score * 1e4).round() as i64))
                .collect::<Vec<_>>()
        };
        assert_eq!(hits(&a), hits(&b), "BM25 for {term:?}");
    }
}

#[test]
fn vectors_in_storage_only_are_read_back_before_the_compaction_settles() {
    let sd = seed("compaction int8", 0x1_8C0A);
    let mix = Mixture::new(DIM, 8, sd);
    let config = CollectionConfig::new(DIM).quantization(Quantization::Int8);
    let mut s = Store::create(MemoryBackend::new(), config).expect("create");
    // Codes, and with them vectors out of memory, start at 16,384 slots (`ONCE_SLOTS`).
    let rows = mix.sample(17_000, sd + 1);
    let items: Vec<Item> = (rows.chunks_exact(DIM).enumerate())
        .map(|(i, v)| Item::new(format!("q{i}"), v.to_vec()))
        .collect();
    for chunk in items.chunks(2_000) {
        s.insert_batch(chunk.to_vec()).expect("insert");
    }
    s.checkpoint().expect("checkpoint");
    let gone: Vec<String> = (0..17_000).step_by(3).map(|i| format!("q{i}")).collect();
    s.delete(&gone.iter().map(String::as_str).collect::<Vec<_>>())
        .expect("delete");
    assert!(
        s.collection().stats().memory.vectors_in_memory < 1_000,
        "the tier keeps stored vectors out of memory"
    );
    let late = mix.sample(600, sd + 2);
    let mut c = Compaction::new(s.database()).expect("same config");
    copy_rest(&mut c, &mut s, 250, |_| {});
    let items: Vec<Item> = (late.chunks_exact(DIM).enumerate())
        .map(|(i, v)| Item::new(format!("late{i}"), v.to_vec()))
        .collect();
    s.insert_batch(items).expect("insert");
    let mut settles = 0;
    while !c.settle(s.database()).expect("settle") {
        settles += 1;
        assert!(settles < 10, "settles");
        copy_rest(&mut c, &mut s, 250, |_| {});
    }
    println!("settles that had to read from storage first: {settles}");
    assert!(
        settles >= 1,
        "the bulk insert's vectors were in storage only"
    );
    let compacted = reopened(c);
    assert_same(&contents(&s), &contents(&compacted));
    assert_eq!(compacted.collection().stats().tombstones, 0);
    assert_eq!(compacted.collection().len(), 17_000 - 5_667 + 600);
}
