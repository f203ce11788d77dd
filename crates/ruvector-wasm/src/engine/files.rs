//! The store of record outside a browser: a directory of files, kept by the host (Node's
//! `node/files.js`), which hands the engine the same records IndexedDB would.
//!
//! The worker sets the host once with [`set_record_host`]; from then on [`super::idb::Idb`]
//! opens, reads and writes through it instead of IndexedDB. The host's contract mirrors
//! `ruvector_core::storage`: `open(name)` gives a database of records, whose
//! `readRanges(ranges)` answers `[[keys, values], ...]` per key range in byte order (`ranges`
//! flat: from, to, whether `to` is in, whether values are wanted; values only where wanted), `readKeys(keys)` the values under `keys` (`undefined`
//! where none), `count()` the number of records, and `write(clear, deletes, keys, values,
//! strict)` resolves once every put and delete is stored, or none is (`strict`: flushed to
//! the disk first). A host error is `{ code, message }`, with `code` one of `LOCKED`,
//! `QUOTA_EXCEEDED`, `CORRUPT` or `STORAGE`.

use std::cell::RefCell;

use js_sys::{Array, Promise, Reflect, Uint8Array};
use ruvector_core::storage::{KeyRange, WriteBatch};
use ruvector_core::BackendError;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::errors::ErrorInfo;

#[wasm_bindgen]
extern "C" {
    /// The host's store: databases by name in its directory.
    #[derive(Clone)]
    pub type RecordHost;
    #[wasm_bindgen(method, catch)]
    fn open(this: &RecordHost, name: &str) -> Result<FileDb, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn list(this: &RecordHost) -> Result<Array, JsValue>;
    #[wasm_bindgen(method, catch, js_name = delete)]
    fn remove(this: &RecordHost, name: &str) -> Result<(), JsValue>;

    /// One open database of the host.
    #[derive(Clone)]
    pub type FileDb;
    #[wasm_bindgen(method, catch, js_name = readRanges)]
    fn read_ranges(this: &FileDb, ranges: &Array) -> Result<Array, JsValue>;
    #[wasm_bindgen(method, catch, js_name = readKeys)]
    fn read_keys(this: &FileDb, keys: &Array) -> Result<Array, JsValue>;
    #[wasm_bindgen(method)]
    fn count(this: &FileDb) -> f64;
    #[wasm_bindgen(method)]
    fn write(
        this: &FileDb,
        clear: bool,
        deletes: &Array,
        keys: &Array,
        values: &Array,
        strict: bool,
    ) -> Promise;
    #[wasm_bindgen(method)]
    fn close(this: &FileDb);
}

thread_local! {
    static HOST: RefCell<Option<RecordHost>> = const { RefCell::new(None) };
}

/// Makes `host` this worker's store of record (Node); `undefined` goes back to IndexedDB.
#[wasm_bindgen(js_name = setRecordHost)]
pub fn set_record_host(host: Option<RecordHost>) {
    HOST.with(|h| *h.borrow_mut() = host);
}

/// True when a host keeps the records (the worker runs outside a browser).
pub fn hosted() -> bool {
    HOST.with(|h| h.borrow().is_some())
}

fn host() -> Result<RecordHost, ErrorInfo> {
    HOST.with(|h| h.borrow().clone())
        .ok_or_else(|| ErrorInfo::new("STORAGE", "no record host is set"))
}

/// A host error as a typed one: its own code where it is one we know, else `STORAGE`.
pub fn host_error(e: &JsValue) -> ErrorInfo {
    let field = |k: &str| Reflect::get(e, &JsValue::from_str(k)).ok()?.as_string();
    let message = field("message")
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the file store failed".into());
    let code = match field("code").as_deref() {
        Some("LOCKED") => "LOCKED",
        Some("QUOTA_EXCEEDED") => "QUOTA_EXCEEDED",
        Some("CORRUPT") => "CORRUPT",
        _ => "STORAGE",
    };
    ErrorInfo::new(code, message)
}

/// Opens database `name` in the host's directory (creating it); `LOCKED` when another
/// process has it open.
pub fn open(name: &str) -> Result<FileDb, ErrorInfo> {
    host()?.open(name).map_err(|e| host_error(&e))
}

/// The names of the host's databases, sorted.
pub fn list() -> Result<Vec<String>, ErrorInfo> {
    let all = host()?.list().map_err(|e| host_error(&e))?;
    let mut names: Vec<String> = all.iter().filter_map(|n| n.as_string()).collect();
    names.sort_unstable();
    Ok(names)
}

/// Deletes database `name` with all its files; `LOCKED` when it is open elsewhere.
pub fn delete(name: &str) -> Result<(), ErrorInfo> {
    host()?.remove(name).map_err(|e| host_error(&e))
}

impl FileDb {
    /// Keys and values of each range, as [`super::idb::Idb`] reads them from IndexedDB.
    pub fn ranges(&self, ranges: &[KeyRange]) -> Result<Vec<(Array, Array)>, ErrorInfo> {
        // Flat: from, to, toInclusive, values, for each range.
        let asked = Array::new();
        for r in ranges {
            asked.push(&JsValue::from_str(&r.from));
            asked.push(&JsValue::from_str(r.to));
            asked.push(&JsValue::from_bool(r.to_inclusive));
            asked.push(&JsValue::from_bool(r.values));
        }
        let found = self.read_ranges(&asked).map_err(|e| host_error(&e))?;
        Ok(found
            .iter()
            .map(|pair| {
                let pair: Array = pair.unchecked_into();
                (pair.get(0).unchecked_into(), pair.get(1).unchecked_into())
            })
            .collect())
    }

    /// The values under `keys`, in order (`undefined` where none).
    pub fn values(&self, keys: &Array) -> Result<Vec<JsValue>, ErrorInfo> {
        Ok(self
            .read_keys(keys)
            .map_err(|e| host_error(&e))?
            .iter()
            .collect())
    }

    /// True when the database holds no record.
    pub fn is_empty(&self) -> bool {
        self.count() == 0.0
    }

    /// Stores `batch`, all or nothing; `strict` flushes it to the disk before resolving.
    pub async fn store(&self, batch: &WriteBatch, strict: bool) -> Result<(), BackendError> {
        let deletes: Array = batch.deletes.iter().map(|k| JsValue::from_str(k)).collect();
        let keys: Array = batch
            .puts
            .iter()
            .map(|(k, _)| JsValue::from_str(k))
            .collect();
        let values: Array = batch
            .puts
            .iter()
            .map(|(_, v)| JsValue::from(Uint8Array::from(v.as_slice())))
            .collect();
        let written = self.write(batch.clear, &deletes, &keys, &values, strict);
        JsFuture::from(written).await.map(|_| ()).map_err(|e| {
            let e = host_error(&e);
            match e.code {
                "QUOTA_EXCEEDED" => BackendError::QuotaExceeded(e.message),
                _ => BackendError::Failed(e.message),
            }
        })
    }

    /// Closes the database's files.
    pub fn shut(&self) {
        self.close();
    }
}
