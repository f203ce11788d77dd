//! Risk: damaged storage that opens silently wrong, or panics. Every kind of record in
//! turn is bit-flipped, truncated and removed; `open` must name it in a typed error.

mod common;

use ruvector_core::storage::codec::{open_versioned, seal_at, Kind, FORMAT_VERSION};
use ruvector_core::storage::records::{decode_any, MetaPage};
use ruvector_core::storage::{PageKind, MANIFEST_KEY};
use ruvector_core::{
    CollectionConfig, Database, Item, MemoryBackend, OpenError, RecordError, SplitMix64, Store,
};
use ruvector_core::{RecordSource, RecordWriter};
use ruvector_testkit::dataset::Mixture;
use serde_json::json;

const DIM: usize = 16;

/// A store with every record kind: pages of each kind (text pages too: every record has a
/// text), a manifest, and three log records after the checkpoint.
fn populated() -> MemoryBackend {
    let rows = Mixture::new(DIM, 10, 5).sample(700, 6);
    let item = |i: usize| {
        Item::new(format!("id{i}"), rows[i * DIM..(i + 1) * DIM].to_vec())
            .with_metadata(json!({"i": i}))
            .with_text(format!("record {i} of the corruption test, word{}", i % 13))
    };
    let config = CollectionConfig::new(DIM).text(ruvector_core::TextConfig::default());
    let mut store = Store::create(MemoryBackend::new(), config).expect("create");
    store
        .insert_batch((0..600).map(item).collect())
        .expect("bulk insert");
    store.checkpoint().expect("checkpoint");
    for i in 600..603 {
        store.insert(item(i)).expect("insert");
    }
    store.into_backend()
}

fn copy(b: &MemoryBackend) -> MemoryBackend {
    let c = MemoryBackend::new();
    for (k, v) in b.records() {
        c.put_raw(&k, v);
    }
    c
}

fn record_error(r: Result<Database, OpenError>) -> RecordError {
    match r {
        Err(OpenError::Record(e)) => e,
        Err(other) => panic!("expected a record error, got {other}"),
        Ok(_) => panic!("a damaged database opened"),
    }
}

#[test]
fn every_record_kind_is_present() {
    let keys: Vec<String> = populated().records().into_iter().map(|(k, _)| k).collect();
    for prefix in [
        MANIFEST_KEY,
        "log/",
        PageKind::Vectors.prefix(),
        PageKind::Graph.prefix(),
        PageKind::Meta.prefix(),
        PageKind::Text.prefix(),
    ] {
        assert!(
            keys.iter().any(|k| k.starts_with(prefix)),
            "no {prefix} record in {keys:?}"
        );
    }
    assert!(Database::open(&populated()).is_ok());
}

#[test]
fn flipped_bytes_are_reported_by_key() {
    let base = populated();
    let mut rng = SplitMix64::new(0xF11B);
    for (key, value) in base.records() {
        for _ in 0..8 {
            let b = copy(&base);
            let mut v = value.clone();
            let at = rng.below(v.len() as u64) as usize;
            v[at] ^= 1 << rng.below(8);
            b.put_raw(&key, v);
            let e = record_error(Database::open(&b));
            assert_eq!(e.key(), key, "flip at byte {at}: {e}");
        }
    }
}

/// Metadata is parsed when first needed, not at open; a stored value that is not JSON
/// (under an intact checksum: a writer's bug, not a disk's) is still refused at open.
#[test]
fn metadata_that_is_not_json_is_reported_at_open() {
    let base = populated();
    let (key, value) = (base.records().into_iter())
        .find(|(k, _)| k.starts_with(PageKind::Meta.prefix()))
        .expect("a meta page");
    for bad in [&b"{\"i\": "[..], b"{\"i\": 1} x", b"\"\xff\"", b""] {
        let mut page = MetaPage::decode(&key, &value).expect("decode");
        page.slots[3].metadata = Some(bad.to_vec());
        let b = copy(&base);
        b.put_raw(&key, page.encode(&key));
        let e = record_error(Database::open(&b));
        assert_eq!(e.key(), key, "{bad:?}: {e}");
        let slot = page.slots[3].slot;
        assert!(
            e.to_string().contains(&format!("slot {slot} metadata")),
            "{e}"
        );
    }
}

#[test]
fn truncated_records_are_reported_by_key() {
    let base = populated();
    for (key, value) in base.records() {
        for keep in [0, 3, value.len() / 2, value.len() - 1] {
            let b = copy(&base);
            b.put_raw(&key, value[..keep].to_vec());
            let e = record_error(Database::open(&b));
            assert_eq!(e.key(), key);
            assert!(matches!(e, RecordError::Corrupt { .. }), "{e}");
        }
    }
}

#[test]
fn removed_records_are_reported_by_key() {
    let base = populated();
    let logs: Vec<String> = base.keys("log/").expect("keys");
    for (key, _) in base.records() {
        if logs.last() == Some(&key) {
            // The newest log record leaves no trace when it is gone: with atomic batches it
            // can only vanish with the batch that wrote it (see docs/format.md).
            continue;
        }
        let b = copy(&base);
        b.remove_raw(&key);
        match Database::open(&b) {
            Err(OpenError::NotFound) => assert_eq!(key, MANIFEST_KEY),
            Err(OpenError::Record(RecordError::Missing { key: k })) => assert_eq!(k, key),
            other => panic!("removing {key}: {:?}", other.map(|_| "opened")),
        }
    }
}

#[test]
fn a_newer_format_is_a_clear_error() {
    let b = populated();
    let value = b.get(MANIFEST_KEY).expect("get").expect("manifest");
    // A version number changed by damage fails the checksum, which covers it...
    let mut v = value.clone();
    v[1..3].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    b.put_raw(MANIFEST_KEY, v);
    let e = record_error(Database::open(&b));
    assert!(matches!(e, RecordError::Corrupt { .. }), "{e}");
    // ...while a newer writer's record (a valid checksum) is refused by its version.
    let (_, body) = open_versioned(MANIFEST_KEY, Kind::Manifest, &value).expect("sound");
    let newer = seal_at(MANIFEST_KEY, Kind::Manifest, FORMAT_VERSION + 1, body);
    b.put_raw(MANIFEST_KEY, newer);
    let e = record_error(Database::open(&b));
    assert_eq!(
        e,
        RecordError::NewerFormat {
            key: MANIFEST_KEY.into(),
            found: FORMAT_VERSION + 1,
            supported: FORMAT_VERSION
        }
    );
    assert!(e.to_string().contains("upgrade"));
}

#[test]
fn decoder_property_random_damage_never_panics_and_never_passes() {
    // The same plain function the fuzz target calls, fed seeded damage: flips, truncations,
    // splices of other records and random bytes. A changed record must never decode.
    let records = populated().records();
    let mut rng = SplitMix64::new(0xDEC0);
    let rounds = if std::env::var("CI").is_ok() {
        4_000
    } else {
        20_000
    };
    let mut rejected = 0;
    for _ in 0..rounds {
        let (key, value) = &records[rng.below(records.len() as u64) as usize];
        let mut v = value.clone();
        match rng.below(4) {
            0 => {
                let at = rng.below(v.len() as u64) as usize;
                v[at] ^= 1 + rng.below(255) as u8;
            }
            1 => v.truncate(rng.below(v.len() as u64) as usize),
            2 => {
                let (_, other) = &records[rng.below(records.len() as u64) as usize];
                let cut = rng.below(v.len().min(other.len()) as u64) as usize;
                v = [&v[..cut], &other[cut..]].concat();
            }
            _ => v = (0..rng.below(64)).map(|_| rng.below(256) as u8).collect(),
        }
        if &v == value {
            continue;
        }
        assert!(decode_any(key, &v).is_err(), "damaged {key} decoded");
        rejected += 1;
    }
    println!("decoder property: {rejected} damaged records rejected ({rounds} rounds)");
    // Behind a valid envelope: mutated bodies re-sealed with a correct checksum reach the
    // body decoders, which must answer Ok or a typed error without panicking.
    use ruvector_core::storage::codec::{seal, Kind};
    let kind_of = |k: &str| match k {
        MANIFEST_KEY => Kind::Manifest,
        k if k.starts_with("log/") => Kind::Log,
        k if k.starts_with("vec/") => Kind::VectorPage,
        k if k.starts_with("graph/") => Kind::GraphPage,
        k if k.starts_with("txt/") => Kind::TextPage,
        _ => Kind::MetaPage,
    };
    let mut decoded = 0;
    for _ in 0..rounds {
        let (key, value) = &records[rng.below(records.len() as u64) as usize];
        let mut body = value[7..value.len() - 4].to_vec();
        for _ in 0..1 + rng.below(4) {
            match rng.below(3) {
                0 if !body.is_empty() => {
                    let at = rng.below(body.len() as u64) as usize;
                    body[at] = rng.below(256) as u8;
                }
                1 => body.truncate(rng.below(body.len() as u64 + 1) as usize),
                _ => body.extend((0..rng.below(16)).map(|_| rng.below(256) as u8)),
            }
        }
        decoded += decode_any(key, &seal(key, kind_of(key), &body)).is_ok() as usize;
    }
    println!("decoder property: {rounds} re-sealed mutated bodies decoded without panic ({decoded} still well-formed)");
    for (key, value) in &records {
        assert!(decode_any(key, value).is_ok(), "{key}");
    }
}

/// Another tab may have applied the records a recovery drops (they were sound when it read
/// them). The recovery must not hand their numbers to new writes: such a tab would wait for
/// numbers past its own and never see the new records, and keep the lost ones.
#[test]
fn a_recovery_is_numbered_past_every_dropped_record() {
    let b = populated();
    let logs = b.keys("log/").expect("keys");
    let applied_all = Database::open(&b).expect("open");
    let first_only = copy(&b);
    first_only.remove_raw(&logs[1]);
    first_only.remove_raw(&logs[2]);
    let applied_first = Database::open(&first_only).expect("open");
    let mut damaged = b.get(&logs[1]).expect("get").expect("present");
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x10;
    b.put_raw(&logs[1], damaged);
    let (mut db, found) = Database::open_recovering(&b).expect("recovers");
    let (report, batch) = found.expect("a recovery happened");
    assert!(report.seq > applied_all.storage_stats().seq, "{report:?}");
    b.write(&batch).expect("write");
    let (_, w) = db
        .insert_batch(vec![Item::new("after", vec![0.5; DIM])])
        .expect("writes go on");
    b.write(&w).expect("write");
    for (reader, what) in [(&applied_all, "all three"), (&applied_first, "the first")] {
        let seq = reader.storage_stats().seq;
        let caught = Database::records_after(&b, seq).expect("records");
        assert!(
            matches!(caught, ruvector_core::CatchUp::Folded { .. }),
            "a reader that applied {what} (at {seq}) must reload, got {caught:?}"
        );
    }
    let reopened = Database::open(&b).expect("reopen");
    assert_eq!(reopened.collection().len(), 602);
    let has = |id: &str| reopened.collection().get(id).expect("in memory").is_some();
    assert!(has("id600") && has("after") && !has("id601") && !has("id602"));
}

/// The documented recovery: a damaged log record is dropped with every later one; the
/// database opens at the record before it, says what it lost, and works on. Damage to a page
/// is not papered over.
#[test]
fn a_damaged_log_tail_is_dropped_on_request_and_reported() {
    let b = populated();
    let logs = b.keys("log/").expect("keys");
    assert_eq!(logs.len(), 3, "three log records after the checkpoint");
    let mut damaged = b.get(&logs[1]).expect("get").expect("present");
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x10;
    b.put_raw(&logs[1], damaged);
    let err = Database::open(&b).expect_err("damage is refused by a plain open");
    assert!(err.to_string().contains(&logs[1]), "{err}");
    let (db, found) = Database::open_recovering(&b).expect("recovers");
    let (report, batch) = found.expect("a recovery happened");
    println!("recovery: {report:?}");
    assert_eq!(report.first_damaged, logs[1]);
    assert_eq!(
        report.dropped_records, 2,
        "the damaged record and the one after it"
    );
    assert_eq!(
        db.collection().len(),
        601,
        "the checkpoint and the first log record"
    );
    assert!(db.collection().get("id600").expect("in memory").is_some());
    assert!(db.collection().get("id601").expect("in memory").is_none());
    b.write(&batch).expect("drop the tail");
    let mut db = Database::open(&b).expect("a plain open works again");
    assert_eq!(report.seq, db.storage_stats().seq);
    let (_, w) = db
        .insert_batch(vec![Item::new("after", vec![0.5; DIM])])
        .expect("writes go on");
    b.write(&w).expect("write");
    let reopened = Database::open(&b).expect("reopen");
    assert_eq!(reopened.collection().len(), 602);
    assert!(reopened
        .collection()
        .get("after")
        .expect("in memory")
        .is_some());
    // A sound database recovers nothing; a damaged page is an error, not a recovery.
    assert!(Database::open_recovering(&b).expect("sound").1.is_none());
    let page = b.keys(PageKind::Vectors.prefix()).expect("keys")[0].clone();
    let mut bytes = b.get(&page).expect("get").expect("present");
    bytes[20] ^= 0x01;
    b.put_raw(&page, bytes);
    let err = Database::open_recovering(&b).expect_err("pages are not recoverable this way");
    assert!(err.to_string().contains(&page), "{err}");
}

/// An export file damaged anywhere (a flipped bit, a cut) is refused with a typed error that
/// says where or why, before anything is written.
#[test]
fn damaged_export_files_are_refused() {
    use ruvector_core::storage::export::ImportError;
    use ruvector_core::ImportStoreError;
    let sd = common::seed("damaged export", 0xE7);
    let store = Store::open(populated()).expect("open");
    let file = store.export().expect("export");
    let mut rng = SplitMix64::new(sd);
    let import = |bytes: &[u8]| Store::import(MemoryBackend::new(), bytes).map(drop);
    import(&file).expect("the undamaged file imports");
    for _ in 0..300 {
        let at = rng.below(file.len() as u64) as usize;
        let mut bad = file.clone();
        bad[at] ^= 1 << rng.below(8);
        let err = match import(&bad) {
            Err(ImportStoreError::File(e)) => e,
            Err(other) => panic!("byte {at}: not a file error: {other}"),
            Ok(()) => panic!("byte {at}: a damaged export imported"),
        };
        match at {
            0..16 => assert_eq!(err, ImportError::NotAnExport, "byte {at}"),
            16..20 => assert!(
                matches!(
                    err,
                    ImportError::NewerVersion(_) | ImportError::Damaged { .. }
                ),
                "byte {at}: {err}"
            ),
            _ => assert!(
                matches!(err, ImportError::Damaged { at: a, .. } if a == file.len() - 8),
                "byte {at}: {err}"
            ),
        }
    }
    for cut in [0, 10, 27, 28, 31, 32, 100, file.len() / 2, file.len() - 1] {
        assert!(import(&file[..cut]).is_err(), "cut at {cut} imported");
    }
}
