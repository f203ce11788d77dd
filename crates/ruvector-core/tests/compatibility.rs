//! Risk: a format change that strands existing databases. Version 2 (int8 code pages and the
//! trained ranges in the manifest) must open version 1 databases and migrate them at their
//! first checkpoint; version 3 (XXH3-64 checksums) must open databases whose records carry
//! CRC-32 (versions 1 and 2) and go on writing beside them; and the code pages must spare an
//! open the vector pages they stand for. Export files of version 1 (a CRC-32 trailer) must
//! import as well as version 2 ones (XXH3-64).

mod common;

use std::collections::BTreeSet;

use common::{seed, Counting};
use ruvector_core::storage::codec::{open_versioned, seal_at, Kind, FORMAT_VERSION};
use ruvector_core::storage::records::Manifest;
use ruvector_core::storage::{PageKind, MANIFEST_KEY};
use ruvector_core::RecordSource;
use ruvector_core::{
    Backend, CollectionConfig, Item, MemoryBackend, Quantization, SearchQuery, Store,
};
use ruvector_testkit::dataset::Mixture;

const DIM: usize = 16;
const N: usize = 17_000;

fn store(q: Quantization, rows: &[f32]) -> Store<MemoryBackend> {
    let mut s = Store::create(
        MemoryBackend::new(),
        CollectionConfig::new(DIM).quantization(q),
    )
    .expect("create");
    let items: Vec<Item> = rows
        .chunks_exact(DIM)
        .enumerate()
        .map(|(i, v)| Item::new(format!("v{i}"), v.to_vec()))
        .collect();
    for chunk in items.chunks(4_000) {
        s.insert_batch(chunk.to_vec()).expect("insert");
    }
    s.insert(Item::new("last", rows[..DIM].to_vec()))
        .expect("insert");
    s.checkpoint().expect("checkpoint");
    s
}

fn version(key: &str, kind: Kind, bytes: &[u8]) -> u16 {
    open_versioned(key, kind, bytes).expect("a sound record").0
}

/// The answers of `s` to a few queries.
fn answers<B: Backend>(s: &Store<B>, rows: &[f32]) -> Vec<Vec<String>> {
    rows.chunks_exact(DIM)
        .step_by(1_000)
        .map(|q| {
            let r = s
                .collection()
                .search(&SearchQuery::new(q, 10))
                .expect("search");
            r.hits.into_iter().map(|h| h.id).collect()
        })
        .collect()
}

/// Rewrites `backend` as version 1 code left it: no code pages, and a version 1 manifest
/// (the version 2 body up to the end of its three page lists).
fn downgrade(backend: &MemoryBackend) {
    let bytes = backend.get(MANIFEST_KEY).expect("get").expect("manifest");
    let m = Manifest::decode(MANIFEST_KEY, &bytes).expect("manifest");
    let (_, body) = open_versioned(MANIFEST_KEY, Kind::Manifest, &bytes).expect("manifest");
    let config = serde_json::to_vec(&m.config).expect("json");
    let lists: usize = [PageKind::Vectors, PageKind::Graph, PageKind::Meta]
        .iter()
        .map(|k| 4 + 12 * m.pages.keys().filter(|(kind, _)| kind == k).count())
        .sum();
    let header = 4 + 4 + 1 + 8 + 8;
    let v1 = &body[..4 + config.len() + 8 + header + 8 + lists];
    backend.put_raw(MANIFEST_KEY, seal_at(MANIFEST_KEY, Kind::Manifest, 1, v1));
    for key in backend.keys(PageKind::Codes.prefix()).expect("keys") {
        backend.remove_raw(&key);
    }
}

#[test]
fn a_version_1_int8_database_opens_and_migrates_at_its_first_checkpoint() {
    let sd = seed("compat v1", 0xC0_01);
    let rows = Mixture::new(DIM, 20, sd).sample(N, sd + 1);
    let v2 = store(Quantization::Int8, &rows);
    let want = answers(&v2, &rows);
    let manifest = v2
        .backend()
        .get(MANIFEST_KEY)
        .expect("get")
        .expect("manifest");
    assert_eq!(
        version(MANIFEST_KEY, Kind::Manifest, &manifest),
        FORMAT_VERSION
    );
    assert!(!v2
        .backend()
        .keys(PageKind::Codes.prefix())
        .expect("keys")
        .is_empty());

    let old = MemoryBackend::new_from(v2.backend());
    downgrade(&old);
    let mut migrated = Store::open(old).expect("a version 1 database opens");
    assert_eq!(answers(&migrated, &rows), want, "the same codes, rebuilt");
    assert_eq!(
        migrated.get("v5").expect("get"),
        v2.get("v5").expect("get"),
        "originals from storage"
    );
    // Opening changes nothing stored; the first checkpoint writes the code pages and a
    // manifest of the current version.
    assert!(migrated
        .backend()
        .keys(PageKind::Codes.prefix())
        .expect("keys")
        .is_empty());
    migrated.checkpoint().expect("checkpoint");
    let manifest = migrated
        .backend()
        .get(MANIFEST_KEY)
        .expect("get")
        .expect("manifest");
    assert_eq!(
        version(MANIFEST_KEY, Kind::Manifest, &manifest),
        FORMAT_VERSION
    );
    let again = Store::open(MemoryBackend::new_from(migrated.backend())).expect("open");
    assert_eq!(answers(&again, &rows), want);
    assert_eq!(
        again.export().expect("export"),
        v2.export().expect("export"),
        "migrated, it exports what a version 2 database does"
    );
}

fn kind_of(key: &str) -> Kind {
    match key.split('/').next() {
        Some("manifest") => Kind::Manifest,
        Some("log") => Kind::Log,
        Some("vec") => Kind::VectorPage,
        Some("graph") => Kind::GraphPage,
        Some("meta") => Kind::MetaPage,
        Some("i8") => Kind::CodesPage,
        other => panic!("unexpected key {key} ({other:?})"),
    }
}

/// Version 2 code wrote the same bodies (the manifest's version 2 fields only when quantised,
/// which a version 3 manifest also reads as version 2) under a CRC-32: such a database opens,
/// answers the same, and its later records carry XXH3-64 beside the old ones.
#[test]
fn crc32_records_of_versions_1_and_2_open_and_mix_with_the_current_version() {
    let sd = seed("compat crc", 0xC0_02);
    let rows = Mixture::new(DIM, 20, sd).sample(2_000, sd + 1);
    for q in [Quantization::None, Quantization::Int8] {
        let s = store(q, &rows);
        let want = answers(&s, &rows);
        let old = MemoryBackend::new();
        for (key, bytes) in s.backend().records() {
            let kind = kind_of(&key);
            assert_eq!(version(&key, kind, &bytes), FORMAT_VERSION, "{key}");
            let (_, body) = open_versioned(&key, kind, &bytes).expect("sound");
            // A version 4 manifest ends with its (empty) list of text pages and (empty)
            // embedder name.
            let body = match kind {
                Kind::Manifest => {
                    let (v3, tail) = body.split_at(body.len() - 8);
                    assert_eq!(tail, [0; 8]);
                    v3
                }
                _ => body,
            };
            // Version 1 for the records version 2 left alone; the manifest of an
            // unquantised collection too (its body then ends after the three page lists).
            let v = match kind {
                Kind::Manifest if q == Quantization::None => 1,
                Kind::Manifest | Kind::CodesPage => 2,
                _ => 1,
            };
            let body = match v {
                // No code pages (`u32` 0) and no ranges (`u8` 0).
                1 if kind == Kind::Manifest => {
                    let (v1, tail) = body.split_at(body.len() - 5);
                    assert_eq!(tail, [0; 5]);
                    v1
                }
                _ => body,
            };
            old.put_raw(&key, seal_at(&key, kind, v, body));
        }
        let mut opened = Store::open(old).expect("a CRC-32 database opens");
        assert_eq!(answers(&opened, &rows), want, "{q:?}");
        opened
            .insert(Item::new("after", rows[..DIM].to_vec()))
            .expect("insert");
        opened.checkpoint().expect("checkpoint");
        let versions: BTreeSet<u16> = (opened.backend().records().iter())
            .map(|(k, v)| version(k, kind_of(k), v))
            .collect();
        assert!(
            versions.contains(&FORMAT_VERSION) && versions.contains(&1),
            "{versions:?}"
        );
        let again = Store::open(MemoryBackend::new_from(opened.backend())).expect("reopen");
        assert_eq!(again.collection().len(), rows.len() / DIM + 2);
        assert_eq!(answers(&again, &rows), answers(&opened, &rows));
    }
}

#[test]
fn code_pages_spare_an_open_the_vector_pages() {
    let sd = seed("compat open", 0xC0_03);
    let rows = Mixture::new(DIM, 20, sd).sample(N, sd + 1);
    let s = store(Quantization::Int8, &rows);
    let reopened = Store::open(Counting::copy_of(s.backend())).expect("open");
    let read: BTreeSet<String> = reopened.backend().reads.borrow().iter().cloned().collect();
    let full = (N + 1) / 256;
    let vector_pages: Vec<&String> = read.iter().filter(|k| k.starts_with("vec/")).collect();
    let code_pages = read.iter().filter(|k| k.starts_with("i8/")).count();
    assert_eq!(code_pages, full, "{read:?}");
    assert_eq!(
        vector_pages.len(),
        1,
        "only the partial last page: {vector_pages:?}"
    );
    assert_eq!(
        reopened.collection().stats().memory.vectors_in_memory,
        (N + 1) % 256
    );
    drop(read);
    assert_eq!(answers(&reopened, &rows), answers(&s, &rows));
}

/// Export files of version 1 ended with a CRC-32 where version 2 ends with an XXH3-64; the
/// records inside are the same. A version 1 file imports, answers the same, and its export
/// is the version 2 file.
#[test]
fn a_version_1_export_file_imports() {
    use ruvector_core::storage::export::EXPORT_VERSION;
    let sd = seed("compat export", 0xC0_04);
    let rows = Mixture::new(DIM, 20, sd).sample(1_500, sd + 1);
    let s = store(Quantization::Int8, &rows);
    let file = s.export().expect("export");
    assert_eq!(file[16..20], EXPORT_VERSION.to_le_bytes());
    assert_eq!(EXPORT_VERSION, 2);
    // What version 1 code wrote for the same records.
    let mut v1 = file[..file.len() - 8].to_vec();
    v1[16..20].copy_from_slice(&1u32.to_le_bytes());
    let crc = crc32fast::hash(&v1);
    v1.extend_from_slice(&crc.to_le_bytes());
    let imported = Store::import(MemoryBackend::new(), &v1).expect("a version 1 file imports");
    assert_eq!(answers(&imported, &rows), answers(&s, &rows));
    assert_eq!(imported.export().expect("export"), file);
    // Read as version 1, a version 2 file fails its checksum rather than opening.
    let mut mislabelled = file.clone();
    mislabelled[16..20].copy_from_slice(&1u32.to_le_bytes());
    assert!(Store::import(MemoryBackend::new(), &mislabelled).is_err());
}

/// The committed database of the previous format version: every record a backend held
/// (manifest, pages of both kinds of batch, and log records after a checkpoint), framed
/// as an export file. Written by `write_fixture` at the commit before the version bump.
const FIXTURE_V3: &[u8] = include_bytes!("fixtures/v3-database.records");

/// The operations behind the fixture: 600 rows of 8 dimensions in a bulk batch and small
/// ones, with metadata, then a checkpoint, then deletes, upserts and inserts left in the log.
fn fixture_store() -> Store<MemoryBackend> {
    let dim = 8;
    let rows = Mixture::new(dim, 6, 0x5EED).sample(700, 2);
    let mut s = Store::create(MemoryBackend::new(), CollectionConfig::new(dim)).expect("create");
    let item = |i: usize| {
        Item::new(format!("r{i}"), rows[i * dim..(i + 1) * dim].to_vec())
            .with_metadata(serde_json::json!({ "n": i, "even": i.is_multiple_of(2) }))
    };
    s.insert_batch((0..400).map(item).collect()).expect("bulk");
    for i in 400..600 {
        s.insert(item(i)).expect("insert");
    }
    s.checkpoint().expect("checkpoint");
    s.delete(&["r3", "r401"]).expect("delete");
    s.upsert("r5", Some(&rows[600 * dim..601 * dim]), None)
        .expect("upsert vector");
    s.upsert("r6", None, Some(serde_json::json!({ "n": -6 })))
        .expect("upsert metadata");
    for i in 601..650 {
        s.insert(item(i)).expect("insert");
    }
    s
}

/// Writes `fixtures/v{FORMAT_VERSION}-database.records`; run it at the last commit of a
/// format version: `cargo test -p ruvector-core --features native --test compatibility
/// write_fixture -- --ignored`.
#[test]
#[ignore]
fn write_fixture() {
    let s = fixture_store();
    let records = s.into_backend().records();
    let file = ruvector_core::storage::export::write_export(&records);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    std::fs::create_dir_all(&dir).expect("fixtures dir");
    std::fs::write(
        dir.join(format!("v{FORMAT_VERSION}-database.records")),
        file,
    )
    .expect("write fixture");
}

#[test]
fn the_committed_fixture_opens_as_the_operations_behind_it_built() {
    let backend = MemoryBackend::new();
    for (k, v) in ruvector_core::storage::export::read_export(FIXTURE_V3).expect("fixture") {
        backend.put_raw(&k, v);
    }
    let old = Store::open(backend).expect("open the fixture");
    let fresh = fixture_store();
    assert_eq!(old.collection().len(), fresh.collection().len());
    for id in fresh.collection().ids() {
        assert_eq!(
            old.get(id).expect("get"),
            fresh.get(id).expect("get"),
            "record {id}"
        );
    }
    let dim = 8;
    let queries = Mixture::new(dim, 6, 0x5EED).sample(20, 9);
    for q in queries.chunks_exact(dim) {
        let query = SearchQuery::new(q, 10);
        assert_eq!(
            old.collection().search(&query).expect("search").hits,
            fresh.collection().search(&query).expect("search").hits
        );
    }
}
