//! Moving whole databases: export files in and out, raw records for tests.

use std::rc::Rc;

use js_sys::Uint8Array;
use ruvector_core::storage::export::{import_batch, read_export, write_export};
use ruvector_core::{CheckpointPolicy, Database, MemoryBackend};
use wasm_bindgen::prelude::*;

use super::convert::parse;
use super::fail;
use super::lifecycle::{connect, engine_events, stats};
use super::ops::commit;
use crate::engine::idb::Idb;
use crate::engine::locks;
use crate::engine::{self, Engine};
use crate::errors::ErrorInfo;
use crate::protocol::ImportOptions;

/// The whole database as one export file (`Uint8Array`), with the vector pages that are in
/// IndexedDB only read from there.
pub async fn export_db(name: String) -> Result<Uint8Array, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let stored = e.stored_pages(None).await.map_err(fail)?;
    let records =
        e.db.borrow()
            .snapshot(&stored)
            .map_err(|x| fail(ErrorInfo::from(x)))?;
    Ok(Uint8Array::from(write_export(&records).as_slice()))
}

/// Imports an export file as the new database `name` (which must not exist yet), or with
/// `options.replace` as the whole new contents of the open database `name`, in one
/// transaction: a damaged file or a failed write changes nothing.
pub async fn import_db(
    name: String,
    file: Uint8Array,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let opts: ImportOptions = parse("options", options)?;
    let open = engine::get(&name);
    if opts.replace != Some(true) && open.is_ok() {
        return Err(fail(ErrorInfo::new(
            "ALREADY_EXISTS",
            format!("database {name:?} is open; import into a new name, or replace its contents"),
        )));
    }
    let (records, mut db, mem) = open_export(&file)?;
    let policy = opts.checkpoint.unwrap_or_default().policy();
    db.set_checkpoint_policy(policy);
    if opts.replace == Some(true) {
        replace_open(&open.map_err(fail)?, db, mem, policy).await?;
        return stats(name).await;
    }
    let (idb, closed) = connect(&name).await?;
    let lock = locks::acquire(&name).await.map_err(fail)?;
    let written = match idb.is_empty().await {
        Ok(true) => {
            // A cache left by an earlier database of this name (deleted without us).
            crate::engine::cache::remove(&name).await;
            idb.write(&import_batch(records), opts.durability.unwrap_or_default())
                .await
                .map_err(ErrorInfo::from)
        }
        Ok(false) => Err(ErrorInfo::new(
            "ALREADY_EXISTS",
            format!("database {name:?} already exists; import into a new name"),
        )),
        Err(e) => Err(e),
    };
    drop(lock);
    if let Err(e) = written {
        idb.close();
        return Err(fail(e));
    }
    let engine = Engine::new(
        &name,
        db,
        idb,
        opts.durability.unwrap_or_default(),
        closed,
        engine_events(),
    );
    engine::register(engine);
    stats(name).await
}

/// Replaces the contents of the open database `e` by `db`, numbered after its current state
/// so that other tabs reload. Memory takes the new state in the commit loop; if the
/// transaction fails, the engine reloads what is stored: the old contents.
pub(super) async fn replace_open(
    e: &Rc<Engine>,
    mut db: Database,
    source: MemoryBackend,
    policy: CheckpointPolicy,
) -> Result<(), JsValue> {
    commit(e, move |current| {
        db.advance_seq(current.storage_stats().seq);
        let records = db.snapshot(&source)?;
        let (mut fresh, _) = open_records(&records)?;
        fresh.set_checkpoint_policy(policy);
        *current = fresh;
        let mut batch = import_batch(records);
        batch.seq = current.storage_stats().seq;
        Ok(((), batch))
    })
    .await
}

/// Records as an export file lists them: key and value.
type Records = Vec<(String, Vec<u8>)>;

/// The records of an export file and the database they make; `CORRUPT` names the damage.
pub(super) fn open_export(
    file: &Uint8Array,
) -> Result<(Records, Database, MemoryBackend), JsValue> {
    let records =
        read_export(&file.to_vec()).map_err(|e| fail(ErrorInfo::new("CORRUPT", e.to_string())))?;
    let (db, mem) = open_records(&records).map_err(fail)?;
    Ok((records, db, mem))
}

/// The database a set of records makes, and the memory backend it was opened from (which
/// holds the vector pages it may read later).
fn open_records(records: &Records) -> Result<(Database, MemoryBackend), ErrorInfo> {
    let mem = MemoryBackend::new();
    for (k, v) in records {
        mem.put_raw(k, v.clone());
    }
    let db = Database::open(&mem).map_err(ErrorInfo::from)?;
    Ok((db, mem))
}

/// Test hook: writes raw bytes at `key` in database `name`'s IndexedDB store, and deletes its
/// page cache (a copy of what was stored before).
pub async fn put_raw_record(name: String, key: String, value: Uint8Array) -> Result<(), JsValue> {
    crate::engine::cache::remove(&name).await;
    let idb = Idb::open(&name, || {}).await.map_err(fail)?;
    let r = idb.put_raw(&key, &value.to_vec()).await.map_err(fail);
    idb.close();
    r
}
