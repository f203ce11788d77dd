//! A database's lifecycle in the worker: open (from the page cache or IndexedDB, creating it
//! under the write lock), close, delete, and whole databases in and out as export files.

use std::cell::Cell;
use std::rc::Rc;

use ruvector_core::storage::export::{import_batch, read_export, write_export};
use ruvector_core::{
    CheckpointPolicy, Database, MemoryBackend, OpenError, RecordSource, WriteBatch,
};
use wasm_bindgen::JsValue;

use super::embedder::Embedder;
use super::idb::{self, Idb, Records};
use super::{announce, cache, get, locks, now_ms, register, unregister, Engine, EventSink};
use crate::errors::ErrorInfo;
use crate::protocol::{Durability, EmbedderOption, ImportOptions, OpenOptions};

/// Opens the IndexedDB connection of `name`; the flag turns true (and `versionchange` goes
/// to `events`) when another context upgrades or deletes the database.
async fn connect(name: &str, events: &EventSink) -> Result<(Idb, Rc<Cell<bool>>), ErrorInfo> {
    let closed = Rc::new(Cell::new(false));
    let (flag, events, n) = (closed.clone(), events.clone(), name.to_owned());
    let idb = Idb::open(name, move || {
        flag.set(true);
        events("versionchange", &n, &JsValue::UNDEFINED);
    })
    .await?;
    Ok((idb, closed))
}

/// Opens database `name` with `opts` (creating it when it does not exist and
/// `opts.dimensions` is given) and registers it; an open one is checked against `opts` and
/// returned. It reads and creates holding the write lock, so two tabs opening a new
/// database at once create it once. The page cache serves the pages when its manifest is
/// IndexedDB's; whatever fails with it, the open reads IndexedDB instead.
pub async fn open(name: &str, opts: &OpenOptions, events: EventSink) -> Result<(), ErrorInfo> {
    if let Ok(e) = get(name) {
        let has_text = {
            let db = e.db.borrow();
            opts.check_against(db.collection().config())?;
            db.collection().config().text.is_some()
        };
        return match opts.text.filter(|_| !has_text) {
            // Another open of this worker may add it first: then the batch is empty.
            Some(t) => {
                e.commit(move |db| Ok(((), db.enable_text(t).unwrap_or_default())))
                    .await
            }
            None => Ok(()),
        };
    }
    unregister(name);
    let (idb, closed) = connect(name, &events).await?;
    let lock = match locks::acquire(name).await {
        Ok(l) => l,
        Err(e) => return Err(fail_open(&idb, e)),
    };
    let t0 = now_ms();
    let read = idb.read_for_open(cache::read(name).await).await;
    let (mut mem, mut from_cache) = read.map_err(|e| fail_open(&idb, e))?;
    let rebuild = |mem: &Records| match opts.recover == Some(true) {
        true => Database::open_recovering(mem),
        false => Database::open(mem).map(|db| (db, None)),
    };
    let t1 = now_ms();
    let mut opened = rebuild(&mem);
    let (mut read_ms, mut decode_ms) = (t1 - t0, now_ms() - t1);
    if from_cache && opened.is_err() {
        // The cache is never trusted: whatever failed, IndexedDB has the answer.
        let t = now_ms();
        cache::remove(name).await;
        let read = idb.read_for_open(None).await;
        (mem, from_cache) = (read.map_err(|e| fail_open(&idb, e))?.0, false);
        let t1 = now_ms();
        opened = rebuild(&mem);
        read_ms += t1 - t;
        decode_ms += now_ms() - t1;
    }
    let mut recovery = None;
    let (mut db, first_write) = match opened {
        Ok((mut db, found)) => {
            let config = db.collection().config();
            opts.check_against(config).map_err(|e| fail_open(&idb, e))?;
            // The dropped tail is deleted before anything else is written.
            let mut first = found.map(|(report, batch)| {
                recovery = Some(report);
                batch
            });
            // A text index asked of a database without one: added, empty, durably.
            if let Some(added) = opts.text.and_then(|t| db.enable_text(t)) {
                first.get_or_insert_with(WriteBatch::default).append(added);
            }
            (db, first)
        }
        Err(OpenError::NotFound) => {
            // A cache left by an earlier database of this name (deleted without us).
            cache::remove(name).await;
            match opts
                .config()
                .and_then(|c| Database::create(c).map_err(ErrorInfo::from))
            {
                Ok((db, batch)) => (db, Some(batch)),
                Err(e) => {
                    // Nothing was created: leave no empty database behind.
                    idb.close();
                    let _ = idb::delete(name, idb::OnBlocked::Leave).await;
                    return Err(e);
                }
            }
        }
        Err(e) => return Err(fail_open(&idb, e.into())),
    };
    db.set_checkpoint_policy(opts.checkpoint.unwrap_or_default().policy());
    let durability = opts.durability.unwrap_or_default();
    if let Some(batch) = first_write {
        let written = idb.write(&batch, durability).await;
        written.map_err(|e| fail_open(&idb, e.into()))?;
    }
    drop(lock);
    if let Some(r) = &recovery {
        // Tabs that applied the dropped records reload now rather than at their next write.
        announce(name, r.seq);
    }
    let bytes_read = mem.bytes();
    let engine = Engine::new(name, db, idb, durability, closed, events);
    engine.auto_compact.set(opts.compaction.unwrap_or(true));
    {
        let mut s = engine.stats.borrow_mut();
        s.open_read_ms = read_ms;
        s.open_decode_ms = decode_ms;
        s.open_bytes_read = bytes_read;
        s.recovery = recovery;
        s.open_from_cache = from_cache;
    }
    if from_cache {
        engine.set_cached_manifest(Some(engine.db.borrow().manifest_record()));
    }
    register(engine);
    Ok(())
}

/// Gives open database `name` the embedder `opts` names: a module is loaded here and used by
/// this worker; a page's embedder is only checked. Either must have the database's dimension
/// (`INVALID_CONFIG`) and the name recorded with it, if any (`CONFIG_MISMATCH`); the first
/// one used is recorded.
pub async fn attach_embedder(name: &str, opts: &OpenOptions) -> Result<(), ErrorInfo> {
    let Some(option) = &opts.embedder else {
        return Ok(());
    };
    let e = get(name)?;
    let loaded = match option {
        EmbedderOption::Module(url) => {
            Some(Rc::new(Embedder::load(url, opts.embed_timeout_ms).await?))
        }
        EmbedderOption::Page { .. } => None,
    };
    let (label, dims) = match (option, &loaded) {
        (_, Some(m)) => (m.name.clone(), m.dimensions),
        (EmbedderOption::Page { name, dimensions }, None) => (name.clone(), *dimensions),
        (EmbedderOption::Module(url), None) => (url.clone(), 0),
    };
    let (has, recorded) = {
        let db = e.db.borrow();
        let d = db.collection().config().dimensions;
        (d, db.embedder().map(str::to_owned))
    };
    if dims != has {
        let message = format!("the embedder {label:?} makes {dims}-dimensional vectors; the database has {has} dimensions");
        return Err(ErrorInfo::new("INVALID_CONFIG", message));
    }
    if let Some(r) = recorded.as_ref().filter(|r| **r != label) {
        let message = format!("the database was built with the embedder {r:?}, not {label:?}; open it with that one or without an embedder");
        return Err(ErrorInfo::new("CONFIG_MISMATCH", message));
    }
    // Recorded at its first use only: later opens write nothing.
    if recorded.is_none() {
        let record = label.clone();
        e.commit(move |db| Ok(((), db.record_embedder(&record).unwrap_or_default())))
            .await?;
    }
    *e.embedder.borrow_mut() = loaded;
    Ok(())
}

/// `e`, having closed `idb`: a failed open leaves no connection to block a later delete.
fn fail_open(idb: &Idb, e: ErrorInfo) -> ErrorInfo {
    idb.close();
    e
}

/// Closes database `name`: pending writes finish first, the log is folded when that pays off
/// or the page cache needs it, and the page cache is brought up to date. True if it was open.
pub async fn close(name: &str) -> bool {
    if let Ok(e) = get(name) {
        e.flush().await;
        e.fold_before_close().await;
        e.refresh_cache().await;
    }
    unregister(name)
}

/// Deletes database `name` from IndexedDB (closing it here first) and resolves once it is
/// gone. While another context keeps it open, `events` gets `deleteblocked` (each time the
/// browser reports it) and the delete goes on waiting: it cannot be withdrawn once asked.
pub async fn delete(name: &str, events: EventSink) -> Result<(), ErrorInfo> {
    // Closed without folding the log or writing the page cache, both about to go; a cache
    // write in flight ends first, so that the file is not held open when it is removed.
    if let Ok(e) = get(name) {
        e.flush().await;
        e.cache_written().await;
    }
    unregister(name);
    let n = name.to_owned();
    let report = move || events("deleteblocked", &n, &JsValue::UNDEFINED);
    idb::delete(name, idb::OnBlocked::Wait(Box::new(report))).await?;
    cache::remove(name).await;
    Ok(())
}

/// Records as an export file lists them: key and value.
pub type ExportRecords = Vec<(String, Vec<u8>)>;

/// An export file's records, the database they make and the memory backend it was opened
/// from (which holds the vector pages it may read later); `CORRUPT` names the damage.
pub fn open_export(file: &[u8]) -> Result<(ExportRecords, Database, MemoryBackend), ErrorInfo> {
    let records = read_export(file).map_err(|e| ErrorInfo::new("CORRUPT", e.to_string()))?;
    let (db, mem) = open_records(&records)?;
    Ok((records, db, mem))
}

/// The database a set of records makes, and the memory backend it was opened from.
fn open_records(records: &ExportRecords) -> Result<(Database, MemoryBackend), ErrorInfo> {
    let mem = MemoryBackend::new();
    for (k, v) in records {
        mem.put_raw(k, v.clone());
    }
    let db = Database::open(&mem)?;
    Ok((db, mem))
}

/// Imports an export `file` as the new database `name` (which must not exist yet), or with
/// `opts.replace` as the whole new contents of the open database `name`, in one transaction:
/// a damaged file or a failed write changes nothing.
pub async fn import(
    name: &str,
    file: &[u8],
    opts: &ImportOptions,
    events: EventSink,
) -> Result<(), ErrorInfo> {
    let open = get(name);
    if opts.replace != Some(true) && open.is_ok() {
        return Err(ErrorInfo::new(
            "ALREADY_EXISTS",
            format!("database {name:?} is open; import into a new name, or replace its contents"),
        ));
    }
    let (records, mut db, mem) = open_export(file)?;
    let policy = opts.checkpoint.unwrap_or_default().policy();
    db.set_checkpoint_policy(policy);
    if opts.replace == Some(true) {
        return open?.replace(db, mem, policy).await;
    }
    let durability = opts.durability.unwrap_or_default();
    let (idb, closed) = connect(name, &events).await?;
    let lock = locks::acquire(name).await?;
    let written = match idb.is_empty().await {
        Ok(true) => {
            // A cache left by an earlier database of this name (deleted without us).
            cache::remove(name).await;
            idb.write(&import_batch(records), durability)
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
        return Err(e);
    }
    register(Engine::new(name, db, idb, durability, closed, events));
    Ok(())
}

/// Makes `db` (its records in `source`) the contents of `current`, numbered after it so that
/// other tabs reload, and returns the batch that stores it in place of everything stored.
pub(super) fn swap_in(
    current: &mut Database,
    mut db: Database,
    source: &dyn RecordSource,
    policy: CheckpointPolicy,
) -> Result<WriteBatch, ErrorInfo> {
    db.advance_seq(current.storage_stats().seq);
    let records = db.snapshot(source)?;
    let (mut fresh, _) = open_records(&records)?;
    fresh.set_checkpoint_policy(policy);
    *current = fresh;
    let mut batch = import_batch(records);
    batch.seq = current.storage_stats().seq;
    Ok(batch)
}

impl Engine {
    /// Replaces the whole contents by `db` (opened from `source`), numbered after the
    /// current state so that other tabs reload. Memory takes the new state in the commit
    /// loop; if the transaction fails, the engine reloads what is stored: the old contents.
    pub async fn replace(
        self: &Rc<Self>,
        db: Database,
        source: MemoryBackend,
        policy: CheckpointPolicy,
    ) -> Result<(), ErrorInfo> {
        let me = self.clone();
        self.commit(move |current| {
            let batch = swap_in(current, db, &source, policy)?;
            me.renumbered();
            Ok(((), batch))
        })
        .await
    }

    /// The whole database as one export file, with the vector pages that are in IndexedDB
    /// only read from there.
    pub async fn export(self: &Rc<Self>) -> Result<Vec<u8>, ErrorInfo> {
        let stored = self.stored_pages(None).await?;
        let records = self.db.borrow().snapshot(&stored)?;
        Ok(write_export(&records))
    }
}

/// Stores an export `file` as database `name`, replacing what it held, in one strict
/// transaction under the database's write lock; an engine that has it open here replaces
/// its contents through its own commit loop. Numbered after what is stored and announced,
/// so a worker that holds it open elsewhere (a facade in another tab) reloads it instead of
/// waiting for log records that will never come and writing on top of the new contents.
pub async fn save_export(name: &str, file: &[u8]) -> Result<(), ErrorInfo> {
    let (_, mut db, mem) = open_export(file)?;
    if let Ok(e) = get(name) {
        let policy = e.db.borrow().checkpoint_policy();
        return e.replace(db, mem, policy).await;
    }
    let idb = Idb::open(name, || {}).await?;
    let written = async {
        let _lock = locks::acquire(name).await?;
        // The stored manifest and log keys say its number; opening it (every page read and
        // decoded) would say the same, and nothing for a damaged one.
        let stored = idb.read_manifest_and_log_keys().await?;
        db.advance_seq(Database::stored_seq(&stored));
        let records = db.snapshot(&mem)?;
        let mut batch = import_batch(records);
        batch.seq = db.storage_stats().seq;
        idb.write(&batch, Durability::Strict).await?;
        announce(name, batch.seq);
        Ok::<_, ErrorInfo>(())
    }
    .await;
    idb.close();
    written
}

/// Database `name` as IndexedDB holds it, read whole (for the in-memory class); `NOT_FOUND`
/// when there is none (and none is created).
pub async fn load(name: &str) -> Result<Database, ErrorInfo> {
    if !idb::list().await?.iter().any(|n| n == name) {
        return Err(ErrorInfo::new(
            "NOT_FOUND",
            format!("no database {name:?} in IndexedDB; save one first"),
        ));
    }
    let idb = Idb::open(name, || {}).await?;
    let records = idb.read_all().await;
    idb.close();
    Ok(Database::open(&records?)?)
}

/// Test hook: writes raw bytes at `key` in database `name`'s IndexedDB store, outside any
/// batch, and deletes its page cache (a copy of what was stored before).
pub async fn put_raw(name: &str, key: &str, value: &[u8]) -> Result<(), ErrorInfo> {
    cache::remove(name).await;
    let idb = Idb::open(name, || {}).await?;
    let written = idb.put_raw(key, value).await;
    idb.close();
    Ok(written?)
}
