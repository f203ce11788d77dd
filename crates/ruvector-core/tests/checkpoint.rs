//! Risk: checkpoints that rewrite the whole database (write amplification), or that fold
//! a log without its pages. After one insert, a checkpoint writes exactly the pages that
//! insert touched, and the manifest. A log that has outgrown the pages it changes asks to
//! be folded, so an open never reads much more than the folded state.

use std::collections::BTreeSet;

use ruvector_core::storage::records::LogRecord;
use ruvector_core::storage::{log_key, PageKind, MANIFEST_KEY};
use ruvector_core::{CollectionConfig, Database, Item, MemoryBackend, RecordSource, RecordWriter};
use ruvector_testkit::dataset::Mixture;

#[test]
fn one_insert_then_a_checkpoint_rewrites_only_touched_pages() {
    let dim = 64;
    let rows = Mixture::new(dim, 20, 3).sample(5_001, 4);
    let item = |i: usize| Item::new(format!("v{i}"), rows[i * dim..(i + 1) * dim].to_vec());
    let backend = MemoryBackend::new();
    let (mut db, b) = Database::create(CollectionConfig::new(dim)).expect("create");
    backend.write(&b).expect("write");
    for chunk in (0..5_000).collect::<Vec<_>>().chunks(1_000) {
        let (_, b) = db
            .insert_batch(chunk.iter().map(|&i| item(i)).collect())
            .expect("insert");
        backend.write(&b).expect("write");
    }
    let full = db.checkpoint().expect("first checkpoint");
    backend.write(&full).expect("write");

    let (_, b) = db.insert_batch(vec![item(5_000)]).expect("insert one");
    backend.write(&b).expect("write");
    let seq = db.storage_stats().seq;
    let rec = LogRecord::decode(
        &log_key(seq),
        &backend.get(&log_key(seq)).expect("get").expect("log"),
    )
    .expect("log");
    let cp = db.checkpoint().expect("second checkpoint");

    let page = |kind: PageKind, slot: u32| (kind, slot / kind.slots());
    let mut expected: BTreeSet<(PageKind, u32)> = BTreeSet::new();
    expected.insert(page(PageKind::Vectors, 5_000));
    expected.insert(page(PageKind::Meta, 5_000));
    expected.insert(page(PageKind::Graph, 5_000));
    expected.extend(rec.lists.iter().map(|(s, _, _)| page(PageKind::Graph, *s)));
    let written: BTreeSet<(PageKind, u32)> = cp
        .puts
        .iter()
        .filter(|(k, _)| k != MANIFEST_KEY)
        .map(|(k, _)| {
            let kind = [PageKind::Vectors, PageKind::Graph, PageKind::Meta]
                .into_iter()
                .find(|kind| k.starts_with(kind.prefix()))
                .unwrap_or_else(|| panic!("unexpected key {k}"));
            let p: u32 = k[kind.prefix().len()..]
                .split('/')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("page number");
            (kind, p)
        })
        .collect();
    assert_eq!(written, expected, "exactly the touched pages");
    assert!(cp.puts.iter().any(|(k, _)| k == MANIFEST_KEY));
    assert_eq!(cp.puts.len(), expected.len() + 1);
    let graph_pages = expected
        .iter()
        .filter(|(k, _)| *k == PageKind::Graph)
        .count();
    let stored = backend.bytes();
    println!("one insert: checkpoint wrote {} bytes ({graph_pages} graph pages); the database holds {stored}", cp.bytes());
    assert!(
        cp.bytes() * 5 < stored,
        "a one-insert checkpoint rewrote a large part of the database"
    );
    // The log record is folded: deleted in the same batch.
    assert!(cp.deletes.contains(&log_key(seq)));
    backend.write(&cp).expect("write");
    let reopened = Database::open(&backend).expect("open");
    assert_eq!(reopened.collection().len(), 5_001);
    assert_eq!(reopened.storage_stats().folded_seq, seq);
    assert!(backend.keys("log/").expect("keys").is_empty());
}

#[test]
fn a_failed_write_leaves_memory_equal_to_storage() {
    use ruvector_core::{BackendError, Store, WriteError};
    let dim = 8;
    let rows = Mixture::new(dim, 4, 9).sample(400, 10);
    let item = |i: usize| Item::new(format!("q{i}"), rows[i * dim..(i + 1) * dim].to_vec());
    let mut store = Store::create(
        MemoryBackend::with_quota(40_000),
        CollectionConfig::new(dim),
    )
    .expect("create");
    let mut acked = Vec::new();
    let mut refused = 0;
    for i in 0..400 {
        match store.insert(item(i)) {
            Ok(id) => acked.push(id),
            Err(WriteError::Storage(BackendError::QuotaExceeded(_))) => {
                refused += 1;
                assert!(
                    !store.collection().contains(&format!("q{i}")),
                    "a refused write is visible"
                );
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert!(refused > 0, "the quota was never reached");
    assert_eq!(store.collection().len(), acked.len());
    let reopened = Store::open(store.into_backend()).expect("reopen");
    assert_eq!(reopened.collection().len(), acked.len());
    for id in &acked {
        assert!(reopened.collection().contains(id));
    }
    println!("quota: {} acknowledged, {refused} refused", acked.len());
}

#[test]
fn deleting_an_id_twice_in_one_call_deletes_it_once() {
    let backend = MemoryBackend::new();
    let (mut db, b) = Database::create(CollectionConfig::new(2)).expect("create");
    backend.write(&b).expect("write");
    let (_, b) = db
        .insert_batch(vec![
            Item::new("a", vec![1.0, 0.0]),
            Item::new("b", vec![0.0, 1.0]),
        ])
        .expect("insert");
    backend.write(&b).expect("write");
    let b = db.delete(&["a", "a"]).expect("duplicates collapse");
    backend.write(&b).expect("write");
    assert!(db.delete(&["b", "zz"]).is_err());
    assert!(
        db.collection().contains("b"),
        "a refused delete changed nothing"
    );
    let reopened = Database::open(&backend).expect("open");
    assert_eq!(reopened.collection().ids().collect::<Vec<_>>(), vec!["b"]);
}

#[test]
fn a_log_larger_than_its_pages_asks_to_be_folded_and_open_reads_less_after() {
    let dim = 16;
    let rows = Mixture::new(dim, 20, 5).sample(10_000, 6);
    let backend = MemoryBackend::new();
    let (mut db, b) = Database::create(CollectionConfig::new(dim)).expect("create");
    backend.write(&b).expect("write");
    let mut worthwhile_at = None;
    for (c, chunk) in rows.chunks(1_000 * dim).enumerate() {
        let items = chunk
            .chunks(dim)
            .enumerate()
            .map(|(i, v)| Item::new(format!("v{c}-{i}"), v.to_vec()))
            .collect();
        let (_, b) = db.insert_batch(items).expect("insert");
        backend.write(&b).expect("write");
        assert!(!db.wants_checkpoint(), "hard limits are far away");
        if db.checkpoint_worthwhile() && worthwhile_at.is_none() {
            worthwhile_at = Some(c);
        }
    }
    // HNSW batches rewrite many neighbour lists: the log outgrows the graph within a few.
    let at = worthwhile_at.expect("the log never outgrew its pages");
    println!("a checkpoint became worthwhile after batch {at}");
    assert!(at >= 1, "a single batch is not worth folding yet");
    assert!(db.checkpoint_worthwhile());
    let bytes = |b: &MemoryBackend| b.bytes();
    let before = bytes(&backend);
    let cp = db.checkpoint().expect("checkpoint");
    backend.write(&cp).expect("write");
    assert!(!db.checkpoint_worthwhile());
    assert!(
        bytes(&backend) < before,
        "folding shrank what open reads: {} -> {}",
        before,
        bytes(&backend)
    );
    let reopened = Database::open(&backend).expect("open");
    assert_eq!(reopened.collection().len(), 10_000);
}

#[test]
fn a_fold_by_another_writer_makes_the_stored_manifest_not_current() {
    // Readers of stored pages (another tab's worker) check that the stored manifest is the
    // one they were built from: a log write by another writer keeps it, a fold does not.
    let backend = MemoryBackend::new();
    let (mut a, b) = Database::create(CollectionConfig::new(2)).expect("create");
    backend.write(&b).expect("write");
    let (_, b) = a
        .insert_batch(vec![Item::new("a", vec![1.0, 0.0])])
        .expect("insert");
    backend.write(&b).expect("write");
    assert!(a.manifest_is_current(&backend).expect("read"));
    let mut other = Database::open(&backend).expect("open");
    let (_, b) = other
        .insert_batch(vec![Item::new("b", vec![0.0, 1.0])])
        .expect("insert");
    backend.write(&b).expect("write");
    assert!(
        a.manifest_is_current(&backend).expect("read"),
        "a log record leaves the manifest as it was"
    );
    let b = other.checkpoint().expect("something to fold");
    backend.write(&b).expect("write");
    assert!(
        !a.manifest_is_current(&backend).expect("read"),
        "another writer folded the log"
    );
    let reopened = Database::open(&backend).expect("open");
    assert!(reopened.manifest_is_current(&backend).expect("read"));
    assert!(!a.manifest_is_current(&MemoryBackend::new()).expect("empty"));
}

/// A checkpoint encoded a slice at a time (as the browser's worker runs it, answering
/// searches between slices) stores exactly what a checkpoint in one go stores, and a
/// database opened from it answers alike.
#[test]
fn a_checkpoint_in_slices_writes_the_same_batch_as_one_in_one_go() {
    let dim = 32;
    let rows = Mixture::new(dim, 10, 7).sample(3_000, 8);
    let build = || {
        let backend = MemoryBackend::new();
        let (mut db, b) = Database::create(CollectionConfig::new(dim)).expect("create");
        backend.write(&b).expect("write");
        for chunk in (0..3_000).collect::<Vec<_>>().chunks(500) {
            let items = chunk
                .iter()
                .map(|&i| Item::new(format!("v{i}"), rows[i * dim..(i + 1) * dim].to_vec()))
                .collect();
            let (_, b) = db.insert_batch(items).expect("insert");
            backend.write(&b).expect("write");
        }
        (db, backend)
    };
    let (mut whole, whole_backend) = build();
    let (mut sliced, sliced_backend) = build();
    let one_go = whole.checkpoint().expect("something to fold");
    let mut c = sliced.begin_checkpoint().expect("something to fold");
    let mut slices = 1;
    while !sliced.continue_checkpoint(&mut c, 4096) {
        slices += 1;
    }
    let in_slices = sliced.finish_checkpoint(c);
    println!("{slices} slices of about 4 KiB");
    assert!(slices > 10, "the pages were encoded in slices: {slices}");
    assert_eq!(in_slices.seq, one_go.seq);
    assert_eq!(in_slices.puts, one_go.puts);
    assert_eq!(in_slices.deletes, one_go.deletes);
    assert_eq!(sliced.storage_stats(), whole.storage_stats());
    assert!(sliced.begin_checkpoint().is_none(), "nothing left to fold");
    whole_backend.write(&one_go).expect("write");
    sliced_backend.write(&in_slices).expect("write");
    let reopened = Database::open(&sliced_backend).expect("open");
    let q = &rows[..dim];
    let hits = |db: &Database| {
        let r = db
            .collection()
            .search(&ruvector_core::SearchQuery::new(q, 10))
            .expect("search");
        r.hits.into_iter().map(|h| h.id).collect::<Vec<_>>()
    };
    assert_eq!(
        hits(&reopened),
        hits(&Database::open(&whole_backend).expect("open"))
    );
}
