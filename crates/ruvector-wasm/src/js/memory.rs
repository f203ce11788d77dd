//! The synchronous in-memory collection, and saving it to or loading it from IndexedDB.

use js_sys::Uint8Array;
use ruvector_core::storage::export::write_export;
use ruvector_core::{Collection, Database, MemoryBackend};
use wasm_bindgen::prelude::*;

use super::convert::{items_from, record, vector_from};
use super::fields::{open_options, search_options};
use super::ops::run_search;
use super::results::result_set;
use super::{fail, to_js};
use crate::engine;
use crate::errors::ErrorInfo;
use crate::protocol::bad_argument;

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
        let o = open_options(options).map_err(fail)?;
        let inner = Collection::new(o.config().map_err(fail)?).map_err(fail)?;
        Ok(MemoryCollection { inner })
    }

    /// Inserts items all or none; returns their ids.
    pub fn insert(&mut self, items: JsValue) -> Result<JsValue, JsValue> {
        let dim = self.inner.config().dimensions;
        let (mut rows, missing) = items_from(&items, dim)?;
        if let Some(i) = missing.first() {
            let message = format!(
                "items[{i}] has a text and no vector: an in-memory collection has no embedder"
            );
            return Err(fail(crate::errors::ErrorInfo::new("NO_EMBEDDER", message)));
        }
        let ids = self.inner.insert_rows(rows.items(dim)).map_err(fail)?;
        to_js(&ids)
    }

    /// The `k` nearest, as for the worker's `search`: a result set of one query.
    pub fn search(&self, vector: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
        let o = search_options(options).map_err(fail)?;
        let v = vector_from("vector", &vector)?;
        result_set(&[run_search(&self.inner, &v, &o)?])
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
    let file = file.to_vec();
    let saved = engine::lifecycle::save_export(&name, &file);
    saved.await.map_err(fail)
}

/// Reads IndexedDB database `name` into a new in-memory collection; `NOT_FOUND` when there
/// is none (and none is created).
#[wasm_bindgen(js_name = loadCollection)]
pub async fn load_collection(name: String) -> Result<MemoryCollection, JsValue> {
    let db = engine::lifecycle::load(&name).await.map_err(fail)?;
    Ok(MemoryCollection {
        inner: db.into_collection(),
    })
}
