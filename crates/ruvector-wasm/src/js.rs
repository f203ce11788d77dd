//! The wasm-bindgen exports: conversions between JavaScript values and the engine.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Float32Array, Function, Object, Reflect, Uint8Array};
use ruvector_core::storage::export::{import_batch, read_export, write_export};
use ruvector_core::{
    CheckpointPolicy, Collection, Database, Filter, Item, MemoryBackend, Record, RetrainError,
    SearchQuery, SearchResults, RESCORE_CANDIDATES,
};
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::codes::ErrorInfo;
use crate::engine::{self, Engine};
use crate::idb::{self, Idb};
use crate::locks;
use crate::protocol::{
    bad_argument, too_large, Durability, ImportOptions, OpenOptions, SearchOptions,
    MAX_BATCH_BYTES, MAX_BATCH_ITEMS, MAX_OPTIONS_BYTES,
};
use crate::results::search_results_to_js;

thread_local! {
    static SINK: RefCell<Option<Function>> = const { RefCell::new(None) };
}

pub(crate) fn to_js<T: Serialize + ?Sized>(v: &T) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| err(ErrorInfo::new("INTERNAL", e.to_string())))
}

fn err(e: ErrorInfo) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(&o, &"code".into(), &JsValue::from_str(e.code));
    let _ = Reflect::set(&o, &"message".into(), &JsValue::from_str(&e.message));
    o.into()
}

pub(crate) fn fail(e: impl Into<ErrorInfo>) -> JsValue {
    err(e.into())
}

/// Sends `{ event, name, ...detail }` to the function set by [`set_event_sink`].
fn emit(event: &str, name: &str, detail: Option<&JsValue>) {
    SINK.with(|s| {
        if let Some(f) = s.borrow().as_ref() {
            let o = Object::new();
            let _ = Reflect::set(&o, &"event".into(), &JsValue::from_str(event));
            let _ = Reflect::set(&o, &"name".into(), &JsValue::from_str(name));
            if let Some(d) = detail {
                let _ = Reflect::set(&o, &"detail".into(), d);
            }
            let _ = f.call1(&JsValue::NULL, &o);
        }
    });
}

/// The crate version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.into()
}

/// True when this build's kernels are WebAssembly SIMD128.
#[wasm_bindgen]
pub fn simd128() -> bool {
    ruvector_core::simd128_compiled()
}

/// Sets the function that receives events: `change` (after each acknowledged write),
/// `progress` (bulk inserts and imports) and `versionchange` (another context upgrades or
/// deletes the database; it has been closed).
#[wasm_bindgen(js_name = setEventSink)]
pub fn set_event_sink(f: Option<Function>) {
    SINK.with(|s| *s.borrow_mut() = f);
}

/// Parses an options object. It goes through `serde_json::Value` on purpose: deserializing
/// a struct straight from a JS object only looks up the declared fields, so a misspelt
/// option would pass unnoticed; through JSON, `deny_unknown_fields` sees every key.
fn parse<T: serde::de::DeserializeOwned + Default>(what: &str, v: JsValue) -> Result<T, JsValue> {
    parse_info(what, v).map_err(fail)
}

fn parse_info<T: serde::de::DeserializeOwned + Default>(
    what: &str,
    v: JsValue,
) -> Result<T, ErrorInfo> {
    match json_text(what, &v, MAX_OPTIONS_BYTES, "BAD_ARGUMENT")? {
        None => Ok(T::default()),
        Some(text) => serde_json::from_str(&text).map_err(|e| bad_argument(what, e)),
    }
}

thread_local! {
    /// The key of the first non-finite number `REPLACER` met since `json_text` cleared it.
    static NON_FINITE: RefCell<Option<String>> = const { RefCell::new(None) };
    /// `json_text`'s replacer for `JSON.stringify`, made once per thread (not per call: a
    /// search's options pass through it, and a closure costs a few calls to make and drop).
    static REPLACER: Closure<dyn FnMut(JsValue, JsValue) -> JsValue> =
        Closure::new(|key: JsValue, value: JsValue| {
            if value.as_f64().is_some_and(|n| !n.is_finite()) {
                NON_FINITE.with(|f| {
                    f.borrow_mut()
                        .get_or_insert_with(|| key.as_string().unwrap_or_default());
                });
            }
            value
        });
}

/// `v` as JSON text (`JSON.stringify`), `None` for `undefined` or `null`. Values are read as
/// JSON on purpose: the browser's own serialiser refuses cycles and runaway depth with an
/// exception, not a crash, the length is checked before anything is copied into wasm, and
/// serde_json parses at most 128 levels deep. A non-finite number (NaN, ±Infinity), which
/// JSON would silently turn into `null`, is refused with `non_finite` as the code, naming
/// its key.
fn json_text(
    what: &str,
    v: &JsValue,
    max: usize,
    non_finite: &'static str,
) -> Result<Option<String>, ErrorInfo> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    NON_FINITE.with(|f| f.borrow_mut().take());
    let text = REPLACER
        .with(|r| js_sys::JSON::stringify_with_replacer(v, r.as_ref().unchecked_ref()))
        .ok()
        .filter(|s| s.is_string())
        .ok_or_else(|| {
            bad_argument(
                what,
                "not representable as JSON (a cycle, a BigInt, a function, or nested too deep)",
            )
        })?;
    if let Some(key) = NON_FINITE.with(|f| f.borrow_mut().take()) {
        let at = if key.is_empty() {
            String::new()
        } else {
            format!(" `{key}`")
        };
        return Err(ErrorInfo::new(
            non_finite,
            format!("{what}:{at} is NaN or infinite, which JSON cannot hold; give a finite number"),
        ));
    }
    if text.length() as usize > max {
        return Err(ErrorInfo::new(
            "TOO_LARGE",
            format!("{what}: larger than {max} bytes as JSON"),
        ));
    }
    Ok(text.as_string())
}

/// Open options: a value the engine cannot use (an unknown metric or index, a misspelt
/// field) is a configuration error, `INVALID_CONFIG`, like a missing `dimensions`.
fn parse_open(v: JsValue) -> Result<OpenOptions, JsValue> {
    parse_info("options", v).map_err(|e| {
        fail(ErrorInfo {
            code: "INVALID_CONFIG",
            ..e
        })
    })
}

fn vector_from(what: &str, v: &JsValue) -> Result<Vec<f32>, JsValue> {
    let len = Reflect::get(v, &"length".into())
        .ok()
        .and_then(|l| l.as_f64())
        .unwrap_or(0.0);
    if len > ruvector_core::MAX_DIMENSIONS as f64 {
        return Err(fail(ErrorInfo::new(
            "DIMENSION_MISMATCH",
            format!(
                "{what}: {len} values, more than any database has ({} at most)",
                ruvector_core::MAX_DIMENSIONS
            ),
        )));
    }
    if let Some(a) = v.dyn_ref::<Float32Array>() {
        return Ok(a.to_vec());
    }
    if let Some(a) = v.dyn_ref::<Array>() {
        return a
            .iter()
            .map(|x| {
                x.as_f64()
                    .map(|f| f as f32)
                    .ok_or_else(|| fail(bad_argument(what, "every value must be a number")))
            })
            .collect();
    }
    Err(fail(bad_argument(
        what,
        "expected a Float32Array or an array of numbers",
    )))
}

fn metadata_from(what: &str, v: JsValue) -> Result<Option<Value>, JsValue> {
    // Longer JSON (in UTF-16 units, never more than its UTF-8 bytes) is refused here,
    // before a copy; the engine checks the exact limits of `ruvector_core::metadata`.
    match json_text(
        what,
        &v,
        ruvector_core::MAX_METADATA_BYTES,
        "INVALID_METADATA",
    )
    .map_err(fail)?
    {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| fail(ErrorInfo::new("INVALID_METADATA", format!("{what}: {e}")))),
    }
}

fn id_from(what: &str, v: JsValue) -> Result<Option<String>, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| fail(bad_argument(what, "an id must be a string")))
}

fn items_from(items: &JsValue) -> Result<Vec<Item>, JsValue> {
    let arr = items.dyn_ref::<Array>().ok_or_else(|| {
        fail(bad_argument(
            "items",
            "expected an array of { id?, vector, metadata? }",
        ))
    })?;
    if arr.length() as usize > MAX_BATCH_ITEMS {
        return Err(fail(too_large(
            "items",
            arr.length() as usize,
            MAX_BATCH_ITEMS,
            "items",
        )));
    }
    let mut bytes = 0usize;
    arr.iter()
        .enumerate()
        .map(|(i, it)| {
            if !it.is_object() {
                return Err(fail(bad_argument(
                    &format!("items[{i}]"),
                    "expected an object",
                )));
            }
            let get =
                |k: &str| Reflect::get(&it, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
            let vector = vector_from(&format!("items[{i}].vector"), &get("vector"))?;
            bytes += vector.len() * 4;
            if bytes > MAX_BATCH_BYTES {
                return Err(fail(too_large(
                    "items",
                    bytes,
                    MAX_BATCH_BYTES,
                    "bytes of vectors",
                )));
            }
            Ok(Item {
                id: id_from(&format!("items[{i}].id"), get("id"))?,
                vector,
                metadata: metadata_from(&format!("items[{i}].metadata"), get("metadata"))?,
            })
        })
        .collect()
}

/// Opens the IndexedDB connection of `name`; the flag turns true (and a `versionchange`
/// event goes out) when another context upgrades or deletes the database.
async fn connect(name: &str) -> Result<(Idb, Rc<Cell<bool>>), JsValue> {
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
fn engine_events() -> engine::EventSink {
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
        Ok::<_, ErrorInfo>((lock, t0, idb.read_for_open().await?))
    };
    let (lock, t0, mem) = match read.await {
        Ok(r) => r,
        Err(e) => {
            idb.close(); // a failed open leaves no connection to block a later delete
            return Err(fail(e));
        }
    };
    let t1 = engine::now_ms();
    let bytes_read = mem.bytes();
    let opened = if opts.recover == Some(true) {
        Database::open_recovering(&mem)
    } else {
        Database::open(&mem).map(|db| (db, None))
    };
    let t2 = engine::now_ms();
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
    let engine = Engine::new(&name, db, idb, durability, closed, engine_events());
    {
        let mut s = engine.stats.borrow_mut();
        s.open_read_ms = t1 - t0;
        s.open_decode_ms = t2 - t1;
        s.open_bytes_read = bytes_read;
        s.recovery = recovery;
    }
    engine::register(engine);
    stats_with(&name, finish_estimate(estimate).await)
}

/// Closes database `name` (pending writes finish first); resolves to whether it was open.
pub async fn close(name: String) -> Result<bool, JsValue> {
    if let Ok(e) = engine::get(&name) {
        e.flush().await;
    }
    Ok(engine::unregister(&name))
}

/// Deletes database `name` from IndexedDB (closing it here first) and resolves once it is
/// gone. While another context keeps it open, emits `deleteblocked` (each time the browser
/// reports it) and goes on waiting: a delete cannot be withdrawn once asked.
pub async fn delete_database(name: String) -> Result<(), JsValue> {
    close(name.clone()).await?;
    let n = name.clone();
    let report = move || emit("deleteblocked", &n, None);
    idb::delete(&name, idb::OnBlocked::Wait(Box::new(report)))
        .await
        .map_err(fail)
}

/// The names of this origin's ruvector databases.
pub async fn databases() -> Result<JsValue, JsValue> {
    to_js(&idb::list().await.map_err(fail)?)
}

/// Runs the write `f` through the engine's commit loop and resolves to what `f` returned
/// once it is durable, raising `change`.
async fn commit<T: 'static>(
    e: &Rc<Engine>,
    f: impl FnOnce(&mut Database) -> Result<(T, ruvector_core::WriteBatch), ErrorInfo> + 'static,
) -> Result<T, JsValue> {
    let out = Rc::new(Cell::new(None));
    let slot = out.clone();
    persist(
        e,
        Box::new(move |db| {
            let (t, b) = f(db)?;
            slot.set(Some(t));
            Ok(b)
        }),
    )
    .await?;
    out.take()
        .ok_or_else(|| fail(ErrorInfo::new("INTERNAL", "a write returned nothing")))
}

/// The part of [`commit`] that is the same for every write (kept apart: one copy of the
/// async machinery in the wasm).
async fn persist(e: &Rc<Engine>, op: engine::Op) -> Result<(), JsValue> {
    let seq = e.write(op).await.map_err(fail)?;
    emit(
        "change",
        &e.name,
        Some(&engine::change_detail(seq, "local")),
    );
    Ok(())
}

/// Inserts items `[{ id?, vector, metadata? }]` all or none; resolves to their ids once
/// durable.
pub async fn insert(name: String, items: JsValue) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    insert_items(&e, items_from(&items)?).await
}

async fn insert_items(e: &Rc<Engine>, items: Vec<Item>) -> Result<JsValue, JsValue> {
    let ids = commit(e, move |db| db.insert_batch(items).map_err(ErrorInfo::from)).await?;
    to_js(&ids)
}

/// Inserts `n` vectors packed in one `Float32Array` of `n·dim` values, with optional
/// `ids` and `metadata` arrays of length `n`; all or none.
pub async fn insert_packed(
    name: String,
    ids: JsValue,
    vectors: Float32Array,
    metadata: JsValue,
) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let dim = e.db.borrow().collection().config().dimensions;
    let bytes = vectors.length() as usize * 4;
    if bytes > MAX_BATCH_BYTES {
        return Err(fail(too_large("vectors", bytes, MAX_BATCH_BYTES, "bytes")));
    }
    if bytes / 4 / dim > MAX_BATCH_ITEMS {
        return Err(fail(too_large(
            "vectors",
            bytes / 4 / dim,
            MAX_BATCH_ITEMS,
            "vectors",
        )));
    }
    let values = vectors.to_vec();
    if !values.len().is_multiple_of(dim) {
        return Err(fail(ErrorInfo::new(
            "DIMENSION_MISMATCH",
            format!(
                "{} values is not a whole number of {dim}-dimensional vectors",
                values.len()
            ),
        )));
    }
    let n = values.len() / dim;
    let list = |v: &JsValue, what: &str| -> Result<Option<Array>, JsValue> {
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        let a = v
            .dyn_ref::<Array>()
            .ok_or_else(|| fail(bad_argument(what, "expected an array")))?;
        if a.length() as usize != n {
            return Err(fail(bad_argument(
                what,
                format!("has {} entries for {n} vectors", a.length()),
            )));
        }
        Ok(Some(a.clone()))
    };
    let (ids, metas) = (list(&ids, "ids")?, list(&metadata, "metadata")?);
    let mut items = Vec::with_capacity(n);
    for (i, v) in values.chunks_exact(dim).enumerate() {
        items.push(Item {
            id: ids
                .as_ref()
                .map(|a| id_from(&format!("ids[{i}]"), a.get(i as u32)))
                .transpose()?
                .flatten(),
            vector: v.to_vec(),
            metadata: metas
                .as_ref()
                .map(|a| metadata_from(&format!("metadata[{i}]"), a.get(i as u32)))
                .transpose()?
                .flatten(),
        });
    }
    insert_items(&e, items).await
}

/// Inserts or replaces `id`: `vector` (or `undefined` to keep it), `metadata` (`undefined`
/// keeps it, `null` clears it). Resolves to `"inserted"` or `"updated"`.
pub async fn upsert(
    name: String,
    id: String,
    vector: JsValue,
    metadata: JsValue,
) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let v = if vector.is_undefined() || vector.is_null() {
        None
    } else {
        Some(vector_from("vector", &vector)?)
    };
    let m = if metadata.is_undefined() {
        None
    } else if metadata.is_null() {
        Some(Value::Null)
    } else {
        metadata_from("metadata", metadata)?
    };
    let r = commit(&e, move |db| {
        db.upsert(&id, v.as_deref(), m).map_err(ErrorInfo::from)
    })
    .await?;
    Ok(JsValue::from_str(match r {
        ruvector_core::Upserted::Inserted => "inserted",
        ruvector_core::Upserted::Updated => "updated",
    }))
}

/// Retrains the int8 ranges on the vectors there are now and re-encodes every vector
/// (`quantization: int8 | binary`), reading the vectors not in memory from IndexedDB (all of
/// their pages at once, for now). `INVALID_CONFIG` without quantisation or codes yet.
pub async fn retrain(name: String) -> Result<(), JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let stored = e.stored_pages(None).await.map_err(fail)?;
    commit(&e, move |db| {
        let batch = db.retrain(&stored).map_err(|x| match x {
            RetrainError::Storage(e) => ErrorInfo::from(e),
            x => ErrorInfo::new("INVALID_CONFIG", x.to_string()),
        })?;
        Ok(((), batch))
    })
    .await
}

/// Deletes every id or none (`NOT_FOUND` names the first unknown one).
pub async fn delete(name: String, ids: JsValue) -> Result<(), JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let ids: Vec<String> = if let Some(s) = ids.as_string() {
        vec![s]
    } else {
        serde_wasm_bindgen::from_value(ids).map_err(|x| fail(bad_argument("ids", x)))?
    };
    commit(&e, move |db| {
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        Ok(((), db.delete(&refs).map_err(ErrorInfo::from)?))
    })
    .await
}

/// `{ id, vector: Float32Array, metadata? }` or `null`; reads the vector's page from
/// IndexedDB when it is not in memory (`quantization: int8`).
pub async fn get(name: String, id: String) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let stored = e.stored_pages(Some(&[id.as_str()])).await.map_err(fail)?;
    let db = e.db.borrow();
    record(db.get(&id, &stored).map_err(|x| fail(ErrorInfo::from(x)))?)
}

/// A record as `{ id, vector: Float32Array, metadata? }`, or `null`.
fn record(r: Option<Record>) -> Result<JsValue, JsValue> {
    let Some(r) = r else {
        return Ok(JsValue::NULL);
    };
    let o = Object::new();
    let _ = Reflect::set(&o, &"id".into(), &JsValue::from_str(&r.id));
    let _ = Reflect::set(
        &o,
        &"vector".into(),
        &Float32Array::from(r.vector.as_slice()),
    );
    if let Some(m) = &r.metadata {
        let _ = Reflect::set(&o, &"metadata".into(), &to_js(m)?);
    }
    Ok(o.into())
}

/// The `k` nearest: `{ hits: [{ id, score, distance, metadata?, vector? }], path, evaluations }`.
/// Vectors asked for with `includeVectors` that are not in memory are read from IndexedDB.
pub async fn search(name: String, vector: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let v = vector_from("vector", &vector)?;
    let o: SearchOptions = parse("options", options)?;
    let (k, rescore, vectors) = (o.k, o.rescore, o.include_vectors);
    let wide = if rescore {
        (k * RESCORE_CANDIDATES).min(ruvector_core::MAX_K).max(k)
    } else {
        k
    };
    let mut found = run_search(e.db.borrow().collection(), &v, &o, wide)?;
    let missing = vectors && found.hits.iter().any(|h| h.vector.is_none());
    if rescore || missing {
        let ids: Vec<&str> = found.hits.iter().map(|h| h.id.as_str()).collect();
        let stored = e.stored_pages(Some(&ids)).await.map_err(fail)?;
        let db = e.db.borrow();
        if rescore {
            db.rescore(&v, &mut found.hits, k, &stored)
                .map_err(|x| fail(ErrorInfo::from(x)))?;
        }
        db.fill_vectors(&mut found.hits, &stored)
            .map_err(|x| fail(ErrorInfo::from(x)))?;
    }
    search_results_to_js(&found)
}

/// Runs a parsed query for `k` hits on `coll`.
fn run_search(
    coll: &Collection,
    v: &[f32],
    o: &SearchOptions,
    k: usize,
) -> Result<SearchResults, JsValue> {
    let filter = o
        .filter
        .as_ref()
        .map(Filter::parse)
        .transpose()
        .map_err(fail)?;
    let q = SearchQuery {
        vector: v,
        k,
        ef: o.ef,
        filter: filter.as_ref(),
        include_metadata: o.include_metadata,
        include_vectors: o.include_vectors,
    };
    coll.search(&q).map_err(fail)
}

/// Live vectors.
pub fn count(name: String) -> Result<u32, JsValue> {
    Ok(engine::get(&name)
        .map_err(fail)?
        .db
        .borrow()
        .collection()
        .len() as u32)
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
        Ok(true) => idb
            .write(&import_batch(records), opts.durability.unwrap_or_default())
            .await
            .map_err(ErrorInfo::from),
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
async fn replace_open(
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
fn open_export(file: &Uint8Array) -> Result<(Records, Database, MemoryBackend), JsValue> {
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

/// Test hook: writes raw bytes at `key` in database `name`'s IndexedDB store.
pub async fn put_raw_record(name: String, key: String, value: Uint8Array) -> Result<(), JsValue> {
    let idb = Idb::open(&name, || {}).await.map_err(fail)?;
    let r = idb.put_raw(&key, &value.to_vec()).await.map_err(fail);
    idb.close();
    r
}

/// A synchronous, in-memory collection usable in any thread (page or worker): the base of
/// the `@ruvector/wasm` drop-in. Nothing is persisted unless exported.
#[wasm_bindgen]
pub struct MemoryCollection {
    inner: Collection,
}

#[wasm_bindgen]
impl MemoryCollection {
    /// A new collection; `options` as for `open` (`dimensions` required).
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<MemoryCollection, JsValue> {
        let o = parse_open(options)?;
        let inner = Collection::new(o.config().map_err(fail)?).map_err(fail)?;
        Ok(MemoryCollection { inner })
    }

    /// Inserts items all or none; returns their ids.
    pub fn insert(&mut self, items: JsValue) -> Result<JsValue, JsValue> {
        let ids = self.inner.insert_batch(items_from(&items)?).map_err(fail)?;
        to_js(&ids)
    }

    /// The `k` nearest, as for the worker's `search`.
    pub fn search(&self, vector: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let v = vector_from("vector", &vector)?;
        let o: SearchOptions = parse("options", options)?;
        search_results_to_js(&run_search(&self.inner, &v, &o, o.k)?)
    }

    /// Deletes `id`; false when it was not there.
    pub fn delete(&mut self, id: &str) -> bool {
        self.inner.delete(id).is_ok()
    }

    /// Live vectors.
    pub fn len(&self) -> u32 {
        self.inner.len() as u32
    }

    /// True when empty.
    #[wasm_bindgen(js_name = isEmpty)]
    pub fn is_empty(&self) -> bool {
        self.inner.is_empty()
    }

    /// Vector length.
    #[wasm_bindgen(getter)]
    pub fn dimensions(&self) -> u32 {
        self.inner.config().dimensions as u32
    }

    /// `{ id, vector: Float32Array, metadata? }` of `id`, or `null`.
    pub fn get(&self, id: &str) -> Result<JsValue, JsValue> {
        record(self.inner.get(id).map_err(|x| fail(ErrorInfo::from(x)))?)
    }

    /// The whole collection as an export file (docs/format.md): what `import` reads back
    /// in a worker database, and what [`save_collection`] stores.
    #[wasm_bindgen(js_name = exportFile)]
    pub fn export_file(&mut self) -> Result<Uint8Array, JsValue> {
        let config = *self.inner.config();
        let empty = Collection::new(config).map_err(fail)?;
        let db = Database::from_collection(std::mem::replace(&mut self.inner, empty));
        let bytes = write_export(
            &db.snapshot(&MemoryBackend::new())
                .map_err(|x| fail(ErrorInfo::from(x)))?,
        );
        self.inner = db.into_collection();
        Ok(Uint8Array::from(bytes.as_slice()))
    }
}

/// Stores an export file (from [`MemoryCollection::export_file`]) as IndexedDB database
/// `name`, replacing what it held, in one strict transaction under the database's write
/// lock: the worker facade opens it, and one that has it open already reloads it.
#[wasm_bindgen(js_name = saveCollection)]
pub async fn save_collection(name: String, file: Uint8Array) -> Result<(), JsValue> {
    if name.is_empty() {
        return Err(fail(bad_argument(
            "name",
            "a database name must not be empty",
        )));
    }
    let (_, mut db, mem) = open_export(&file)?;
    if let Ok(e) = engine::get(&name) {
        // Open in this context: replaced through its own commit loop.
        let policy = e.db.borrow().checkpoint_policy();
        return replace_open(&e, db, mem, policy).await;
    }
    let idb = Idb::open(&name, || {}).await.map_err(fail)?;
    let written = async {
        // Under the write lock, numbered after what is stored and announced: a worker that
        // holds the database open (a facade in this or another tab) reloads it, instead of
        // waiting for log records that will never come and writing on top of the new contents.
        let _lock = locks::acquire(&name).await?;
        let stored = idb.read_all().await?;
        if let Ok(old) = Database::open(&stored) {
            db.advance_seq(old.storage_stats().seq);
        }
        let records = db.snapshot(&mem)?;
        let mut batch = import_batch(records);
        batch.seq = db.storage_stats().seq;
        idb.write(&batch, Durability::Strict).await?;
        engine::announce(&name, batch.seq);
        Ok::<_, ErrorInfo>(())
    }
    .await;
    idb.close();
    written.map_err(fail)
}

/// Reads IndexedDB database `name` into a new in-memory collection; `NOT_FOUND` when there
/// is none (and none is created).
#[wasm_bindgen(js_name = loadCollection)]
pub async fn load_collection(name: String) -> Result<MemoryCollection, JsValue> {
    if !idb::list().await.map_err(fail)?.contains(&name) {
        return Err(fail(ErrorInfo::new(
            "NOT_FOUND",
            format!("no database {name:?} in IndexedDB; save one first"),
        )));
    }
    let idb = Idb::open(&name, || {}).await.map_err(fail)?;
    let records = idb.read_all().await;
    idb.close();
    let db = Database::open(&records.map_err(fail)?).map_err(fail)?;
    Ok(MemoryCollection {
        inner: db.into_collection(),
    })
}

fn arg(args: &JsValue, key: &str) -> JsValue {
    Reflect::get(args, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn string_arg(args: &JsValue, key: &str) -> Result<String, JsValue> {
    arg(args, key)
        .as_string()
        .ok_or_else(|| fail(bad_argument(key, "expected a string")))
}

fn typed<T: JsCast>(args: &JsValue, key: &str, what: &str) -> Result<T, JsValue> {
    arg(args, key)
        .dyn_into::<T>()
        .map_err(|_| fail(bad_argument(key, format!("expected a {what}"))))
}

/// The one entry point of the worker protocol: runs `op` with the fields of `args` and
/// resolves to its value, or rejects with `{ code, message }`. Ops and their arguments are
/// listed in `docs/protocol.md`.
#[wasm_bindgen]
pub async fn call(op: String, args: JsValue) -> Result<JsValue, JsValue> {
    if !args.is_object() && !args.is_undefined() {
        return Err(fail(bad_argument("args", "expected an object")));
    }
    let name = || string_arg(&args, "name");
    match op.as_str() {
        "open" => open(name()?, arg(&args, "options")).await,
        "close" => close(name()?).await.map(JsValue::from),
        "deleteDatabase" => delete_database(name()?).await.map(|_| JsValue::UNDEFINED),
        "databases" => databases().await,
        "insert" => insert(name()?, arg(&args, "items")).await,
        "insertPacked" => {
            let vectors = typed::<Float32Array>(&args, "vectors", "Float32Array")?;
            insert_packed(name()?, arg(&args, "ids"), vectors, arg(&args, "metadata")).await
        }
        "upsert" => {
            upsert(
                name()?,
                string_arg(&args, "id")?,
                arg(&args, "vector"),
                arg(&args, "metadata"),
            )
            .await
        }
        "delete" => delete(name()?, arg(&args, "ids"))
            .await
            .map(|_| JsValue::UNDEFINED),
        "get" => get(name()?, string_arg(&args, "id")?).await,
        "search" => search(name()?, arg(&args, "vector"), arg(&args, "options")).await,
        "count" => count(name()?).map(JsValue::from),
        "retrain" => retrain(name()?).await.map(|_| JsValue::UNDEFINED),
        "stats" => stats(name()?).await,
        "export" => export_db(name()?).await.map(JsValue::from),
        "import" => {
            let data = typed::<Uint8Array>(&args, "data", "Uint8Array")?;
            import_db(name()?, data, arg(&args, "options")).await
        }
        other => Err(fail(ErrorInfo::new(
            "UNKNOWN_OP",
            format!("unknown operation {other:?}"),
        ))),
    }
}
