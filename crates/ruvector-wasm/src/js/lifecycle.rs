//! Opening, closing, listing and deleting databases, and their stats.

use std::rc::Rc;

use js_sys::{Function, Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::fields::open_options;
use super::{emit, fail, to_js};
use crate::engine::{self, idb};

/// The sink for events the engine raises itself.
pub(super) fn engine_events() -> engine::EventSink {
    Rc::new(|event, name, detail| emit(event, name, Some(detail)))
}

/// Opens database `name` (creating it when it does not exist and `options.dimensions` is
/// given; see [`engine::lifecycle::open`]) and resolves to its stats.
pub async fn open(name: String, options: JsValue) -> Result<JsValue, JsValue> {
    let opts = open_options(options).map_err(fail)?;
    // The reply's quota estimate is a round trip to the browser: asked for now, it is on
    // its way while IndexedDB reads.
    let estimate = start_estimate();
    let opened = engine::lifecycle::open(&name, &opts, engine_events()).await;
    opened.map_err(fail)?;
    let attached = engine::lifecycle::attach_embedder(&name, &opts).await;
    attached.map_err(fail)?;
    warm_up(&name).await;
    stats_with(&name, finish_estimate(estimate).await)
}

/// Runs one search of the open database `name` through the `search` op itself, unseen and
/// uncounted. V8 compiles a WebAssembly function the first time it runs: without this, the
/// first search a user makes after `open` pays for compiling the op's whole path (options,
/// query, engine, graph walk, result set): 4.9 ms against 0.6 ms for the next ones, 20,000 ×
/// 384 in a fresh worker.
async fn warm_up(name: &str) {
    let Ok(e) = engine::get(name) else { return };
    let (dim, text) = {
        let db = e.db.borrow();
        if db.collection().is_empty() {
            return;
        }
        let c = db.collection().config();
        (c.dimensions, c.text.is_some())
    };
    let ones = js_sys::Float32Array::new_with_length(dim as u32);
    ones.fill(1.0, 0, dim as u32);
    // With a text index, a hybrid search: both rankings and the fusion.
    let query: JsValue = match text {
        true => {
            let q = Object::new();
            let _ = Reflect::set(&q, &"vector".into(), &ones);
            let _ = Reflect::set(&q, &"text".into(), &"a".into());
            q.into()
        }
        false => ones.into(),
    };
    let search = super::ops::search(name.to_owned(), query, JsValue::UNDEFINED);
    let Ok(set) = search.await else {
        return;
    };
    let counted = Reflect::get(&set, &"evaluations".into())
        .ok()
        .map(|v| js_sys::Float64Array::from(v).to_vec())
        .and_then(|v| v.first().copied())
        .unwrap_or(0.0);
    e.db.borrow().collection().uncount(counted as u64);
}

/// Closes database `name` ([`engine::lifecycle::close`]); resolves to whether it was open.
pub async fn close(name: String) -> Result<bool, JsValue> {
    Ok(engine::lifecycle::close(&name).await)
}

/// Deletes database `name` ([`engine::lifecycle::delete`]) and resolves once it is gone;
/// `deleteblocked` goes out while another context keeps it open.
pub async fn delete_database(name: String) -> Result<(), JsValue> {
    engine::lifecycle::delete(&name, engine_events())
        .await
        .map_err(fail)
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
    /// The worker's WebAssembly linear memory, in bytes (it grows, never shrinks).
    wasm_memory: f64,
    /// The embedder recorded with the database (`null`: none yet).
    embedder: Option<EmbedderInfo>,
}

#[derive(Serialize)]
struct EmbedderInfo {
    name: String,
    dimensions: usize,
    /// Whether this worker runs it (a module) or the page does.
    #[serde(rename = "inWorker")]
    in_worker: bool,
}

/// The byte length of this module's linear memory.
fn wasm_memory_bytes() -> f64 {
    engine::heap::memory_bytes() as f64
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
            wasm_memory: wasm_memory_bytes(),
            embedder: db.embedder().map(|name| EmbedderInfo {
                name: name.to_owned(),
                dimensions: db.collection().config().dimensions,
                in_worker: e.embedder.borrow().is_some(),
            }),
        }
    };
    let out = to_js(&all)?;
    let _ = Reflect::set(&out, &"quota".into(), &quota);
    Ok(out)
}
