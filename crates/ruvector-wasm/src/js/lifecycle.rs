//! Opening, closing, listing and deleting databases, and their stats.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Object, Reflect};
use ruvector_core::Database;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::convert::parse_open;
use super::{emit, fail, to_js};
use crate::engine::cache;
use crate::engine::idb::{self, Idb};
use crate::engine::locks;
use crate::engine::{self, Engine};
use crate::errors::ErrorInfo;

/// Opens the IndexedDB connection of `name`; the flag turns true (and a `versionchange`
/// event goes out) when another context upgrades or deletes the database.
pub(super) async fn connect(name: &str) -> Result<(Idb, Rc<Cell<bool>>), JsValue> {
    let closed = Rc::new(Cell::new(false));
    let flag = closed.clone();
    let n = name.to_owned();
    let idb = Idb::open(name, move || {
        flag.set(true);
        emit("versionchange", &n, None);
    })
    .await
    .map_err(fail)?;
    Ok((idb, closed))
}

/// The sink for events the engine raises itself.
pub(super) fn engine_events() -> engine::EventSink {
    Rc::new(|event, name, detail| emit(event, name, Some(detail)))
}

/// Opens database `name` (creating it when it does not exist and `options.dimensions` is
/// given) and resolves to its stats. It reads and creates holding the write lock, so two
/// tabs opening a new database at once create it once.
pub async fn open(name: String, options: JsValue) -> Result<JsValue, JsValue> {
    let opts = parse_open(options)?;
    if let Ok(e) = engine::get(&name) {
        if let Err(x) = opts.check_against(e.db.borrow().collection().config()) {
            return Err(fail(x));
        }
        return stats(name).await;
    }
    engine::unregister(&name);
    // The reply's quota estimate is a round trip to the browser: asked for now, it is on
    // its way while IndexedDB reads.
    let estimate = start_estimate();
    let (idb, closed) = connect(&name).await?;
    let read = async {
        let lock = locks::acquire(&name).await?;
        let t0 = engine::now_ms();
        let cached = cache::read(&name).await;
        Ok::<_, ErrorInfo>((lock, t0, idb.read_for_open(cached).await?))
    };
    let (lock, t0, (mut mem, mut from_cache)) = match read.await {
        Ok(r) => r,
        Err(e) => {
            idb.close(); // a failed open leaves no connection to block a later delete
            return Err(fail(e));
        }
    };
    let rebuild = |mem: &idb::Records| match opts.recover == Some(true) {
        true => Database::open_recovering(mem),
        false => Database::open(mem).map(|db| (db, None)),
    };
    let t1 = engine::now_ms();
    let mut opened = rebuild(&mem);
    let (mut read_ms, mut decode_ms) = (t1 - t0, engine::now_ms() - t1);
    if from_cache && opened.is_err() {
        // The cache is never trusted: whatever failed, IndexedDB has the answer.
        let t = engine::now_ms();
        cache::remove(&name).await;
        match idb.read_for_open(None).await {
            Ok((m, _)) => (mem, from_cache) = (m, false),
            Err(e) => {
                idb.close();
                return Err(fail(e));
            }
        }
        let t1 = engine::now_ms();
        opened = rebuild(&mem);
        read_ms += t1 - t;
        decode_ms += engine::now_ms() - t1;
    }
    let bytes_read = mem.bytes();
    let mut recovery = None;
    let (db, first_write) = match opened {
        Ok((db, found)) => {
            if let Err(e) = opts.check_against(db.collection().config()) {
                idb.close();
                return Err(fail(e));
            }
            // The dropped tail is deleted before anything else is written.
            let drop_tail = found.map(|(report, batch)| {
                recovery = Some(report);
                batch
            });
            (db, drop_tail)
        }
        Err(ruvector_core::OpenError::NotFound) => {
            // A cache left by an earlier database of this name (deleted without us).
            cache::remove(&name).await;
            match opts
                .config()
                .and_then(|c| Database::create(c).map_err(ErrorInfo::from))
            {
                Ok((db, batch)) => (db, Some(batch)),
                Err(e) => {
                    // Nothing was created: leave no empty database behind.
                    idb.close();
                    let _ = idb::delete(&name, idb::OnBlocked::Leave).await;
                    return Err(fail(e));
                }
            }
        }
        Err(e) => {
            idb.close();
            return Err(fail(e));
        }
    };
    let mut db = db;
    db.set_checkpoint_policy(opts.checkpoint.unwrap_or_default().policy());
    let durability = opts.durability.unwrap_or_default();
    if let Some(batch) = first_write {
        if let Err(e) = idb.write(&batch, durability).await {
            idb.close();
            return Err(fail(e));
        }
    }
    drop(lock);
    if let Some(r) = &recovery {
        // Tabs that applied the dropped records reload now rather than at their next write.
        engine::announce(&name, r.seq);
    }
    let engine = Engine::new(&name, db, idb, durability, closed, engine_events());
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
    engine::register(engine);
    stats_with(&name, finish_estimate(estimate).await)
}

/// Closes database `name` (pending writes finish first, the log is folded when that pays off
/// or the page cache needs it, and the page cache is brought up to date); resolves to whether
/// it was open.
pub async fn close(name: String) -> Result<bool, JsValue> {
    if let Ok(e) = engine::get(&name) {
        e.flush().await;
        e.fold_before_close().await;
        e.refresh_cache().await;
    }
    Ok(engine::unregister(&name))
}

/// Deletes database `name` from IndexedDB (closing it here first) and resolves once it is
/// gone. While another context keeps it open, emits `deleteblocked` (each time the browser
/// reports it) and goes on waiting: a delete cannot be withdrawn once asked.
pub async fn delete_database(name: String) -> Result<(), JsValue> {
    // Closed without folding the log or writing the page cache, both about to go; a cache
    // write in flight ends first, so that the file is not held open when it is removed.
    if let Ok(e) = engine::get(&name) {
        e.flush().await;
        e.cache_written().await;
    }
    engine::unregister(&name);
    let n = name.clone();
    let report = move || emit("deleteblocked", &n, None);
    idb::delete(&name, idb::OnBlocked::Wait(Box::new(report)))
        .await
        .map_err(fail)?;
    cache::remove(&name).await;
    Ok(())
}

/// The names of this origin's ruvector databases.
pub async fn databases() -> Result<JsValue, JsValue> {
    to_js(&idb::list().await.map_err(fail)?)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AllStats {
    name: String,
    simd: bool,
    #[serde(flatten)]
    collection: ruvector_core::Stats,
    config: ruvector_core::CollectionConfig,
    storage: ruvector_core::StorageStats,
    persistence: engine::EngineStats,
}

/// Starts `navigator.storage.estimate()`; `None` where the browser has no Storage API.
fn start_estimate() -> Option<js_sys::Promise> {
    let nav = Reflect::get(&js_sys::global(), &"navigator".into()).ok()?;
    let storage = Reflect::get(&nav, &"storage".into()).ok()?;
    let f: Function = Reflect::get(&storage, &"estimate".into())
        .ok()?
        .dyn_into()
        .ok()?;
    f.call0(&storage).ok()?.dyn_into().ok()
}

/// A started estimate as `{ usage, quota }` (bytes, for the whole origin), or `null` where
/// the browser has no Storage API or it failed.
async fn finish_estimate(started: Option<js_sys::Promise>) -> JsValue {
    let estimate = async {
        let e = wasm_bindgen_futures::JsFuture::from(started?).await.ok()?;
        let o = Object::new();
        for k in ["usage", "quota"] {
            let _ = Reflect::set(&o, &k.into(), &Reflect::get(&e, &k.into()).ok()?);
        }
        Some(JsValue::from(o))
    };
    estimate.await.unwrap_or(JsValue::NULL)
}

/// Counters: sizes, memory by part, kernel (SIMD or scalar), storage and transactions, and
/// the origin's storage `quota` estimate.
pub async fn stats(name: String) -> Result<JsValue, JsValue> {
    let quota = finish_estimate(start_estimate()).await;
    stats_with(&name, quota)
}

/// [`stats`] with `quota` already estimated.
fn stats_with(name: &str, quota: JsValue) -> Result<JsValue, JsValue> {
    let e = engine::get(name).map_err(fail)?;
    let all = {
        let db = e.db.borrow();
        AllStats {
            name: name.to_owned(),
            simd: ruvector_core::simd128_compiled(),
            collection: db.collection().stats(),
            config: *db.collection().config(),
            storage: db.storage_stats(),
            persistence: e.stats.borrow().clone(),
        }
    };
    let out = to_js(&all)?;
    let _ = Reflect::set(&out, &"quota".into(), &quota);
    Ok(out)
}
