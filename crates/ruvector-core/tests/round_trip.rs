//! Risk: a database that reopens different from what was written, or that recomputes the
//! graph on open. Random operation sequences go to a memory store and a redb store and to
//! a collection that never closes; after reopening, every `get` and every search matches.

mod common;

use common::seed;
use ruvector_core::{
    Backend, Collection, CollectionConfig, Database, IndexKind, Item, MemoryBackend, Metric,
    SearchQuery, SplitMix64, Store,
};
use ruvector_core::{RecordSource, RecordWriter};
use ruvector_testkit::dataset::Mixture;
use serde_json::json;

const DIM: usize = 24;

/// Applies the same seeded random operations to `store` and `reference`, reopening the
/// store from its backend now and then (and carrying on with the reopened one).
fn drive<B: Backend>(
    mut store: Store<B>,
    reference: &mut Collection,
    s: u64,
    ops: usize,
) -> Store<B> {
    let mut rng = SplitMix64::new(s);
    let m = Mixture::with_spread(DIM, 20, s, 1.5);
    let pool = m.sample(4_000, s + 1);
    let mut next = 0usize;
    let vector = |i: usize| pool[(i % 4_000) * DIM..(i % 4_000 + 1) * DIM].to_vec();
    for op in 0..ops {
        let live: Vec<String> = reference.ids().map(str::to_owned).collect();
        match rng.below(10) {
            0..=3 => {
                let n = if rng.below(20) == 0 {
                    300
                } else {
                    1 + rng.below(8) as usize
                };
                let items: Vec<Item> = (0..n)
                    .map(|_| {
                        next += 1;
                        let it = Item::new(format!("v{next}"), vector(next));
                        if next.is_multiple_of(3) {
                            it.with_metadata(json!({"n": next, "tag": format!("t{}", next % 5)}))
                        } else {
                            it
                        }
                    })
                    .collect();
                let a = store.insert_batch(items.clone()).expect("insert");
                let b = reference.insert_batch(items).expect("insert");
                assert_eq!(a, b);
            }
            4 | 5 if !live.is_empty() => {
                let id = &live[rng.below(live.len() as u64) as usize];
                next += 1;
                let v = vector(next);
                store.upsert(id, Some(&v), None).expect("upsert vector");
                reference.upsert(id, Some(&v), None).expect("upsert vector");
            }
            6 if !live.is_empty() => {
                let id = &live[rng.below(live.len() as u64) as usize];
                let md = json!({"op": op});
                store
                    .upsert(id, None, Some(md.clone()))
                    .expect("upsert metadata");
                reference
                    .upsert(id, None, Some(md))
                    .expect("upsert metadata");
            }
            7 | 8 if !live.is_empty() => {
                let id = &live[rng.below(live.len() as u64) as usize];
                store.delete(&[id]).expect("delete");
                reference.delete(id).expect("delete");
            }
            9 if rng.below(3) == 0 => {
                store = Store::open(store.into_backend()).expect("reopen mid-sequence");
                assert_eq!(store.collection().len(), reference.len());
            }
            _ => store.checkpoint().expect("checkpoint"),
        }
    }
    store
}

fn assert_same(a: &Collection, b: &Collection, s: u64) {
    assert_eq!(a.len(), b.len());
    let ids: Vec<&str> = b.ids().collect();
    assert_eq!(a.ids().collect::<Vec<_>>(), ids);
    for id in &ids {
        assert_eq!(a.get(id), b.get(id), "get({id})");
    }
    let queries = Mixture::with_spread(DIM, 20, s, 1.5).sample(30, s + 9);
    for q in queries.chunks_exact(DIM) {
        let mut query = SearchQuery::new(q, 10);
        query.include_metadata = true;
        let (x, y) = (
            a.search(&query).expect("search"),
            b.search(&query).expect("search"),
        );
        assert_eq!(x.hits, y.hits);
        assert_eq!(x.evaluations, y.evaluations, "same graph, same walk");
    }
}

fn configs() -> Vec<CollectionConfig> {
    vec![
        CollectionConfig::new(DIM),
        CollectionConfig::new(DIM)
            .metric(Metric::Euclidean)
            .index(IndexKind::Flat),
        CollectionConfig::new(DIM).metric(Metric::DotProduct),
    ]
}

#[test]
fn memory_store_round_trip() {
    for (i, config) in configs().into_iter().enumerate() {
        let s = seed("round_trip_memory", 0x200 + i as u64);
        let store = Store::create(MemoryBackend::new(), config).expect("create");
        let mut reference = Collection::new(config).expect("config");
        let store = drive(store, &mut reference, s, 250);
        let reopened = Store::open(store.into_backend()).expect("reopen");
        assert_eq!(
            reopened.collection().stats().distance_evaluations,
            0,
            "open computed distances"
        );
        assert_same(reopened.collection(), &reference, s);
    }
}

#[cfg(feature = "native")]
#[test]
fn redb_store_round_trip() {
    use ruvector_core::RedbBackend;
    let dir = std::env::temp_dir().join(format!("ruvector-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (i, config) in configs().into_iter().enumerate() {
        let s = seed("round_trip_redb", 0x300 + i as u64);
        let path = dir.join(format!("db{i}.redb"));
        let _ = std::fs::remove_file(&path);
        let store = Store::create(RedbBackend::open(&path).expect("redb"), config).expect("create");
        let mut reference = Collection::new(config).expect("config");
        let store = drive(store, &mut reference, s, 150);
        drop(store);
        let reopened = Store::open(RedbBackend::open(&path).expect("redb")).expect("reopen");
        assert_eq!(reopened.collection().stats().distance_evaluations, 0);
        assert_same(reopened.collection(), &reference, s);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn export_from_memory_import_elsewhere_and_back() {
    let s = seed("export", 0xE4);
    let config = CollectionConfig::new(DIM);
    let store = Store::create(MemoryBackend::new(), config).expect("create");
    let mut reference = Collection::new(config).expect("config");
    let store = drive(store, &mut reference, s, 200);
    let file = store.export().expect("export");
    let imported = Store::import(MemoryBackend::new(), &file).expect("import");
    assert_same(imported.collection(), &reference, s);
    // And back: export the imported copy, import again.
    let again = Store::import(MemoryBackend::new(), &imported.export().expect("export"))
        .expect("import again");
    assert_same(again.collection(), &reference, s);
    assert_eq!(
        again.export().expect("export"),
        file,
        "export is deterministic"
    );
    #[cfg(feature = "native")]
    {
        let path =
            std::env::temp_dir().join(format!("ruvector-export-{}.redb", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let redb = Store::import(
            ruvector_core::RedbBackend::open(&path).expect("redb"),
            &file,
        )
        .expect("import");
        assert_same(redb.collection(), &reference, s);
        assert_eq!(
            redb.export().expect("export"),
            file,
            "redb exports the same file"
        );
        drop(redb);
        let _ = std::fs::remove_file(&path);
    }
}

#[test]
fn readers_catch_up_from_the_log_or_are_told_to_reload() {
    let config = CollectionConfig::new(DIM);
    let backend = MemoryBackend::new();
    let (mut writer, batch) = Database::create(config).expect("create");
    backend.write(&batch).expect("write");
    let rows = Mixture::new(DIM, 5, 1).sample(50, 2);
    let item = |i: usize| Item::new(format!("r{i}"), rows[i * DIM..(i + 1) * DIM].to_vec());
    let (_, b) = writer
        .insert_batch((0..10).map(item).collect())
        .expect("insert");
    backend.write(&b).expect("write");
    let mut reader = Database::open(&backend).expect("open");
    let at = reader.storage_stats().seq;
    for i in 10..14 {
        let (_, b) = writer.insert_batch(vec![item(i)]).expect("insert");
        backend.write(&b).expect("write");
    }
    match Database::records_after(&backend, at).expect("records") {
        ruvector_core::CatchUp::Records(recs) => {
            assert_eq!(
                recs.iter().map(|r| r.seq).collect::<Vec<_>>(),
                vec![at + 1, at + 2, at + 3, at + 4]
            );
            reader.catch_up(&backend, &recs).expect("catch up");
        }
        other => panic!("expected records, got {other:?}"),
    }
    assert_eq!(reader.collection().len(), 14);
    assert!(reader.collection().get("r13").expect("in memory").is_some());
    let cp = writer.checkpoint().expect("something to fold");
    backend.write(&cp).expect("write");
    let folded = writer.storage_stats().seq;
    assert_eq!(
        Database::records_after(&backend, at).expect("records"),
        ruvector_core::CatchUp::Folded { folded_seq: folded }
    );
    assert_eq!(
        Database::records_after(&backend, folded).expect("records"),
        ruvector_core::CatchUp::Records(vec![])
    );
}

#[test]
fn export_fingerprint_is_the_same_on_every_build() {
    let f = common::export_fingerprint();
    println!("export fingerprint {f:#018x}");
    assert_eq!(
        f,
        common::EXPORT_FINGERPRINT,
        "the wasm tests assert the same constant"
    );
}

#[cfg(feature = "native")]
#[test]
fn a_clearing_batch_replaces_everything_on_every_backend() {
    use ruvector_core::storage::WriteBatch;
    use ruvector_core::RedbBackend;
    let put = |k: &str| (k.to_owned(), k.as_bytes().to_vec());
    let first = WriteBatch {
        puts: vec![put("a"), put("b")],
        ..WriteBatch::default()
    };
    let replace = WriteBatch {
        clear: true,
        puts: vec![put("c")],
        ..WriteBatch::default()
    };
    // Group commit: a clearing batch folded after others leaves only itself.
    let mut grouped = first.clone();
    grouped.append(replace.clone());
    assert_eq!(grouped, replace);
    let path = std::env::temp_dir().join(format!("ruvector-clear-{}.redb", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let backends: Vec<Box<dyn Backend>> = vec![
        Box::new(MemoryBackend::new()),
        Box::new(RedbBackend::open(&path).expect("redb")),
    ];
    for b in &backends {
        b.write(&first).expect("write");
        b.write(&replace).expect("clear");
        assert_eq!(b.keys("").expect("keys"), vec!["c".to_owned()]);
        assert_eq!(b.get("a").expect("get"), None);
    }
    drop(backends);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_collection_built_in_memory_exports_and_comes_back_the_same() {
    let dim = 8;
    let rows = Mixture::new(dim, 5, 9).sample(300, 10);
    let mut coll = Collection::new(CollectionConfig::new(dim)).expect("collection");
    for (i, v) in rows.chunks(dim).enumerate() {
        let item = Item::new(format!("m{i}"), v.to_vec()).with_metadata(json!({ "i": i }));
        coll.insert(item).expect("insert");
    }
    coll.delete("m7").expect("delete");
    let db = Database::from_collection(coll);
    let file = ruvector_core::storage::export::write_export(
        &db.snapshot(&MemoryBackend::new()).expect("snapshot"),
    );
    let copy = Store::import(MemoryBackend::new(), &file).expect("the export opens");
    let back = db.into_collection();
    assert_eq!(copy.collection().len(), 299);
    assert_eq!(
        copy.collection().ids().collect::<Vec<_>>(),
        back.ids().collect::<Vec<_>>()
    );
    for id in back.ids() {
        assert_eq!(copy.collection().get(id), back.get(id), "{id}");
    }
    let q = SearchQuery::new(&rows[..dim], 10);
    assert_eq!(
        copy.collection().search(&q).expect("search").hits,
        back.search(&q).expect("search").hits
    );
}

/// A reader tab: `sync` applies what another writer committed, ignores what it already
/// has, drops log bookkeeping that writer folded, and says when only a reopen can help
/// (the writer folded past it, or replaced the database by an import).
#[test]
fn sync_follows_another_writer_and_knows_when_to_reload() {
    let config = CollectionConfig::new(DIM);
    let backend = MemoryBackend::new();
    let (mut writer, batch) = Database::create(config).expect("create");
    backend.write(&batch).expect("write");
    let rows = Mixture::new(DIM, 5, 1).sample(400, 3);
    let item = |i: usize| Item::new(format!("s{i}"), rows[i * DIM..(i + 1) * DIM].to_vec());
    let mut reader = Database::open(&backend).expect("open");
    // One small batch and one bulk batch (its vectors go straight into pages).
    let (_, b) = writer.insert_batch(vec![item(0)]).expect("insert");
    backend.write(&b).expect("write");
    let (_, b) = writer
        .insert_batch(
            (1..=ruvector_core::BULK_SLOTS as usize + 10)
                .map(item)
                .collect(),
        )
        .expect("insert");
    backend.write(&b).expect("write");
    assert_eq!(reader.sync(&backend).expect("sync"), Ok(2));
    assert_eq!(
        reader.sync(&backend).expect("sync again"),
        Ok(0),
        "nothing twice"
    );
    assert_eq!(reader.collection().len(), writer.collection().len());
    let q = &rows[5 * DIM..6 * DIM];
    let ids = |db: &Database| -> Vec<String> {
        let query = ruvector_core::SearchQuery::new(q, 10);
        let hits = db.collection().search(&query).expect("search").hits;
        hits.into_iter().map(|h| h.id).collect()
    };
    assert_eq!(ids(&reader), ids(&writer), "same graph, same answers");
    // The writer folds: the reader, already at that point, has nothing left to fold.
    backend
        .write(&writer.checkpoint().expect("fold"))
        .expect("write");
    assert_eq!(reader.sync(&backend).expect("sync"), Ok(0));
    assert_eq!(reader.storage_stats().log_records, 0);
    assert_eq!(reader.checkpoint(), None, "folded by the other writer");
    // The reader becomes the writer: its commit follows the stored state.
    let (_, b) = reader.insert_batch(vec![item(390)]).expect("insert");
    backend.write(&b).expect("write");
    assert_eq!(writer.sync(&backend).expect("sync"), Ok(1));
    assert_eq!(writer.collection().len(), reader.collection().len());
    assert_eq!(
        Database::open(&backend).expect("reopen").collection().len(),
        reader.collection().len()
    );
    // A replacement numbered after the readers' state makes them reload.
    let at = reader.storage_stats().seq;
    let (mut fresh, _) = Database::create(config).expect("create");
    fresh.insert_batch(vec![item(391)]).expect("insert");
    fresh.advance_seq(at);
    let mut replace = ruvector_core::storage::export::import_batch(
        fresh.snapshot(&MemoryBackend::new()).expect("snapshot"),
    );
    replace.seq = at + 1;
    backend.write(&replace).expect("write");
    assert!(matches!(
        reader.sync(&backend).expect("sync"),
        Err(ruvector_core::CatchUp::Folded { folded_seq }) if folded_seq > at
    ));
}

/// `stored_seq` reads the number a replacement must follow from the manifest and the log's
/// keys alone: the number an open would report, at every stage, and one even when a page is
/// damaged and the database does not open.
#[test]
fn stored_seq_is_the_number_an_open_reports() {
    let backend = MemoryBackend::new();
    let (mut db, b) = Database::create(CollectionConfig::new(2)).expect("create");
    backend.write(&b).expect("write");
    let open_seq = |b: &MemoryBackend| Database::open(b).expect("open").storage_stats().seq;
    assert_eq!(
        Database::stored_seq(&backend),
        open_seq(&backend),
        "created"
    );
    for i in 0..5 {
        let item = Item::new(format!("s{i}"), vec![i as f32, 1.0]);
        let (_, b) = db.insert_batch(vec![item]).expect("insert");
        backend.write(&b).expect("write");
        assert_eq!(
            Database::stored_seq(&backend),
            open_seq(&backend),
            "after {i}"
        );
    }
    let cp = db.checkpoint().expect("something to fold");
    backend.write(&cp).expect("write");
    assert!(backend.keys("log/").expect("keys").is_empty());
    let folded = open_seq(&backend);
    assert_eq!(Database::stored_seq(&backend), folded, "folded");
    let (_, b) = db
        .insert_batch(vec![Item::new("late", vec![3.0, 1.0])])
        .expect("insert");
    backend.write(&b).expect("write");
    let page = backend.keys("vec/").expect("keys")[0].clone();
    backend.put_raw(&page, vec![0; 9]);
    assert!(Database::open(&backend).is_err(), "a damaged page");
    assert_eq!(Database::stored_seq(&backend), folded + 1);
    assert_eq!(
        Database::stored_seq(&MemoryBackend::new()),
        0,
        "nothing stored"
    );
}

/// The browser's page cache holds `Database::page_records`: byte for byte what storage holds
/// under each key, every record an open reads but the log (for int8, not the vector pages the
/// code pages stand for), and nothing while memory is ahead of the pages.
#[test]
fn page_records_are_the_stored_records_an_open_reads() {
    use ruvector_core::storage::MANIFEST_KEY;
    use ruvector_core::Quantization;
    let dim = 16;
    // Past int8's training point (16,384 slots), so the int8 collection has code pages.
    let n = 17_000;
    let rows = Mixture::new(dim, 10, 11).sample(n + 10, 12);
    let item = |i: usize| Item::new(format!("v{i}"), rows[i * dim..(i + 1) * dim].to_vec());
    for q in [Quantization::None, Quantization::Int8] {
        let config = CollectionConfig::new(dim).quantization(q);
        let mut store = Store::create(MemoryBackend::new(), config).expect("create");
        store
            .insert_batch((0..n).map(item).collect())
            .expect("insert");
        assert!(store.database().page_records().is_none(), "{q:?}: dirty");
        store.checkpoint().expect("checkpoint");
        let (count, records) = store.database().page_records().expect("nothing dirty");
        let records: Vec<(String, Vec<u8>)> = records.collect();
        assert_eq!(records.len(), count);
        assert_eq!(records[0].0, MANIFEST_KEY);
        for (key, bytes) in &records {
            let stored = store.backend().get(key).expect("get");
            assert_eq!(stored.as_ref(), Some(bytes), "{q:?}: {key}");
        }
        let vector_pages = records
            .iter()
            .filter(|(k, _)| k.starts_with("vec/"))
            .count();
        let expected = if q == Quantization::None {
            n.div_ceil(256)
        } else {
            1
        };
        assert_eq!(
            vector_pages, expected,
            "{q:?}: only the vector pages an open reads"
        );
        // The cached records and the log after them open the database as storage does.
        for i in n..n + 10 {
            store.insert(item(i)).expect("insert one");
        }
        let cached = MemoryBackend::new();
        for (key, bytes) in records {
            cached.put_raw(&key, bytes);
        }
        for key in store.backend().keys("log/").expect("keys") {
            let v = store.backend().get(&key).expect("get").expect("log");
            cached.put_raw(&key, v);
        }
        let from_cache = Store::open(cached).expect("open from the cached records");
        let query = SearchQuery::new(&rows[(n + 5) * dim..(n + 6) * dim], 10);
        let want = store.search(&query).expect("search");
        assert_eq!(from_cache.collection().len(), n + 10);
        assert_eq!(
            from_cache.search(&query).expect("search").hits,
            want.hits,
            "{q:?}"
        );
    }
}
