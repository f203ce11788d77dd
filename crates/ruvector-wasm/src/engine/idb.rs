//! The IndexedDB backend: the records of `ruvector_core::storage`, one object store, one
//! IndexedDB database per ruvector database (named `ruvector:<name>`).
//!
//! rexie creates the store (then closes). Reads and writes go through a raw web-sys
//! connection: reads issue one `get` per record, all at once, which rexie 0.6 can do only
//! through a join combinator (and Chromium answers them much faster than one `getAll`, see
//! `get_each`); writes need transaction options, which rexie 0.6 cannot pass: each batch is
//! one `readwrite` transaction opened with an explicit `durability` (`strict` unless asked
//! otherwise; Chromium's default has been `relaxed` since version 121), and a write counts
//! as done only at the transaction's `complete` event. The raw connection also carries
//! `onversionchange`, so another tab upgrading the schema is told, not blocked forever.

use js_sys::{Array, Promise, Reflect, Uint8Array};
use rexie::{ObjectStore, Rexie};
use ruvector_core::storage::{
    KeyRange, ReadPlan, RecordSource, WriteBatch, LOG_PREFIX, MANIFEST_KEY,
};
use ruvector_core::BackendError;
use std::collections::HashMap;
use std::future::Future;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbFactory, IdbKeyRange, IdbObjectStore, IdbRequest, IdbTransactionDurability,
    IdbTransactionMode, IdbTransactionOptions,
};

use super::files::{self, FileDb};
use crate::errors::ErrorInfo;
use crate::protocol::Durability;

/// The object store holding every record.
pub const STORE: &str = "records";
const VERSION: u32 = 1;

fn js_message(e: &JsValue) -> String {
    if let Some(ex) = e.dyn_ref::<web_sys::DomException>() {
        return format!("{}: {}", ex.name(), ex.message());
    }
    e.as_string().unwrap_or_else(|| format!("{e:?}"))
}

fn storage(e: impl std::fmt::Display) -> ErrorInfo {
    ErrorInfo::new("STORAGE", format!("IndexedDB: {e}"))
}

fn factory() -> Result<IdbFactory, ErrorInfo> {
    Reflect::get(&js_sys::global(), &JsValue::from_str("indexedDB"))
        .ok()
        .and_then(|f| f.dyn_into::<IdbFactory>().ok())
        .ok_or_else(|| ErrorInfo::new("NO_INDEXEDDB", "IndexedDB is not available in this context"))
}

/// Waits for an IndexedDB request; `Err` carries the request's error.
async fn finish(req: &IdbRequest) -> Result<JsValue, JsValue> {
    let p = Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
    });
    let r = JsFuture::from(p).await;
    req.set_onsuccess(None);
    req.set_onerror(None);
    match r {
        Ok(_) => req.result(),
        Err(_) => Err(request_error(req)),
    }
}

/// The error a failed request holds.
fn request_error(req: &IdbRequest) -> JsValue {
    req.error()
        .ok()
        .flatten()
        .map(JsValue::from)
        .unwrap_or(JsValue::from_str("request failed"))
}

/// The values under `keys` in `store`, in order (undefined where none), one `get` each, all
/// issued at once. Chromium answers a `getAll` of large values several times slower than the
/// same values fetched by parallel `get`s (32 MiB in 384 KiB records: 76-79 ms against 52; in
/// 32 KiB records: 255-321 ms against 68), so every read of pages goes this way.
async fn get_each(store: &IdbObjectStore, keys: &Array) -> Result<Vec<JsValue>, JsValue> {
    let all = JsFuture::from(get_all_each(store, keys)).await?;
    Ok(all.unchecked_into::<Array>().iter().collect())
}

// The requests' handlers are set in JavaScript, all at once, and the values come back in
// one array: awaiting each request from Rust in turn (a future per request, its handlers
// set when its turn came) made a fresh worker's 33 MB read take 76 ms instead of 60.
#[wasm_bindgen(inline_js = "
export function get_all_each(store, keys) {
  return Promise.all(keys.map((k) => new Promise((resolve, reject) => {
    const r = store.get(k);
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  })));
}")]
extern "C" {
    /// Resolves to the array of the values under `keys` (see [`get_each`]); rejects with
    /// the first failed request's error.
    fn get_all_each(store: &IdbObjectStore, keys: &Array) -> Promise;
}

/// Records as read from IndexedDB, values still JavaScript objects: a read-only
/// [`RecordSource`] for `Database::open`. A value that is not bytes reads as empty bytes, which
/// open reports as a corrupt record by its key.
#[derive(Default)]
pub struct Records {
    keys: Vec<String>,
    index: HashMap<String, usize>,
    values: Vec<JsValue>,
}

impl Records {
    /// Adds the records of parallel `keys` and `values` arrays (as `getAllKeys` and
    /// `getAll` return them). Keys past the end of `values` are listed by `keys` but have
    /// no value (`get` finds none): their values were not read.
    fn extend(&mut self, keys: &Array, values: &Array) {
        let read = values.length() as usize;
        for (i, k) in keys.iter().enumerate() {
            let key = k.as_string().unwrap_or_else(|| format!("{k:?}"));
            if i < read {
                self.index.insert(key.clone(), self.values.len());
                self.values.push(values.get(i as u32));
            }
            self.keys.push(key);
        }
        self.keys.sort_unstable();
    }

    /// True when some key starts with `prefix` (read with its value or not).
    fn any_with_prefix(&self, prefix: &str) -> bool {
        let from = self.keys.partition_point(|k| k.as_str() < prefix);
        self.keys.get(from).is_some_and(|k| k.starts_with(prefix))
    }

    /// Bytes of all the values read.
    pub fn bytes(&self) -> f64 {
        self.values
            .iter()
            .filter_map(|v| v.dyn_ref::<Uint8Array>().map(|a| a.byte_length() as f64))
            .sum()
    }

    /// How many records there are.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there is none (the database was never created).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl RecordSource for Records {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(self
            .index
            .get(key)
            .and_then(|&i| self.values.get(i))
            .map(|v| {
                v.dyn_ref::<Uint8Array>()
                    .map(Uint8Array::to_vec)
                    .unwrap_or_default()
            }))
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, BackendError> {
        let from = self.keys.partition_point(|k| k.as_str() < prefix);
        Ok(self.keys[from..]
            .iter()
            .take_while(|k| k.starts_with(prefix))
            .cloned()
            .collect())
    }
}

/// Where an [`Idb`]'s records are.
enum Conn {
    /// IndexedDB, with the handler that closes the connection on `versionchange`.
    Browser {
        raw: IdbDatabase,
        _on_version_change: Closure<dyn FnMut(JsValue)>,
    },
    /// The host's files (Node): [`super::files`].
    Files(FileDb),
}

/// An open ruvector database in its store of record: IndexedDB in a browser, the host's
/// files where the worker has a record host ([`super::files`]).
pub struct Idb {
    conn: Conn,
    /// Test hook: this many coming writes fail, storing nothing, as an aborted transaction
    /// would.
    pub fail_writes: std::cell::Cell<u32>,
}

impl Idb {
    /// Opens (creating if needed) `ruvector:<name>`. `on_version_change` runs when another
    /// context wants to upgrade or delete it; the connection is closed right after.
    pub async fn open(
        name: &str,
        on_version_change: impl Fn() + 'static,
    ) -> Result<Idb, ErrorInfo> {
        if files::hosted() {
            return Ok(Idb {
                conn: Conn::Files(files::open(name)?),
                fail_writes: std::cell::Cell::new(0),
            });
        }
        let full_name = super::storage_name(name);
        let rexie = Rexie::builder(&full_name)
            .version(VERSION)
            .add_object_store(ObjectStore::new(STORE))
            .build()
            .await
            .map_err(storage)?;
        rexie.close();
        let req = factory()?
            .open_with_u32(&full_name, VERSION)
            .map_err(|e| ErrorInfo::new("STORAGE", js_message(&e)))?;
        let raw: IdbDatabase = finish(&req)
            .await
            .map_err(|e| ErrorInfo::new("STORAGE", js_message(&e)))?
            .dyn_into()
            .map_err(|_| ErrorInfo::new("STORAGE", "IndexedDB open returned no database"))?;
        let weak = raw.clone();
        let handler = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| {
            weak.close();
            on_version_change();
        });
        raw.set_onversionchange(Some(handler.as_ref().unchecked_ref()));
        Ok(Idb {
            conn: Conn::Browser {
                raw,
                _on_version_change: handler,
            },
            fail_writes: std::cell::Cell::new(0),
        })
    }

    /// Every record, read in one transaction, for `Database::open`. The values stay in
    /// JavaScript until open asks for one, so each is copied into wasm memory once and
    /// only for as long as it is being decoded.
    pub async fn read_all(&self) -> Result<Records, ErrorInfo> {
        self.read_plan(&ReadPlan::everything()).await
    }

    /// What an open needs, read holding the write lock (so the two reads agree): every
    /// record but the vector pages whose slots an open restores from code pages (format
    /// version 2, `Manifest::first_vector_page_read`); all of them otherwise. With `cached`
    /// records (the page cache, manifest first) whose manifest is the one stored, the pages
    /// come from them and only the manifest and the log from IndexedDB; the flag says so.
    pub async fn read_for_open(
        &self,
        cached: Option<(Array, Array)>,
    ) -> Result<(Records, bool), ErrorInfo> {
        let stored = self.read_manifest().await?;
        if let (Some((keys, values)), Some(stored)) = (cached, &stored) {
            // Equal bytes: the cache's manifest record is IndexedDB's.
            let current = keys.get(0).as_string().as_deref() == Some(MANIFEST_KEY)
                && bytes_of(&values.get(0)).as_ref() == Some(stored);
            if current {
                let mut records = Records::default();
                records.extend(&keys, &values);
                self.read_plan_into(&ReadPlan::log(), &mut records).await?;
                return Ok((records, true));
            }
        }
        let plan = ReadPlan::open(stored.as_deref());
        Ok((self.read_plan(&plan).await?, false))
    }

    /// The manifest as IndexedDB holds it (`None`: there is none).
    pub async fn read_manifest(&self) -> Result<Option<Vec<u8>>, ErrorInfo> {
        let found = self.read_plan(&ReadPlan::manifest()).await?;
        Ok(found.get(MANIFEST_KEY).ok().flatten())
    }

    /// The manifest and the log's keys, in one read-only transaction: what
    /// `Database::stored_seq` needs. The log records' values are not read (`get` finds none).
    pub async fn read_manifest_and_log_keys(&self) -> Result<Records, ErrorInfo> {
        self.read_plan(&ReadPlan::manifest_and_log_keys()).await
    }

    /// The records of `plan`, read in one read-only transaction (the keys only of a range
    /// that wants no values: `get` finds none for them).
    pub async fn read_plan(&self, plan: &ReadPlan) -> Result<Records, ErrorInfo> {
        let mut records = Records::default();
        self.read_plan_into(plan, &mut records).await?;
        Ok(records)
    }

    /// [`Idb::read_plan`], adding to `records`.
    async fn read_plan_into(
        &self,
        plan: &ReadPlan,
        records: &mut Records,
    ) -> Result<(), ErrorInfo> {
        for (keys, values) in &self.read_ranges(&plan.ranges).await? {
            records.extend(keys, values);
        }
        Ok(())
    }

    /// The records under `keys` (those that exist), in one read-only transaction: the
    /// vector pages a `get`, a search with `includeVectors` or an export reads when the
    /// originals are in storage only.
    pub async fn read_keys(&self, keys: &[String]) -> Result<Records, ErrorInfo> {
        let fail = |e: JsValue| ErrorInfo::new("STORAGE", js_message(&e));
        let names: Array = keys.iter().map(|k| JsValue::from_str(k)).collect();
        let asked = &names;
        let values = match &self.conn {
            Conn::Files(f) => f.values(asked)?,
            Conn::Browser { .. } => self
                .in_read_transaction(|store| async move { get_each(&store, asked).await })
                .await
                .map_err(fail)?,
        };
        let (found, values): (Array, Array) = names
            .iter()
            .zip(values)
            .filter(|(_, v)| !v.is_undefined())
            .unzip();
        let mut records = Records::default();
        records.extend(&found, &values);
        Ok(records)
    }

    /// What a database at sequence number `seq` needs to catch up with other writers: the
    /// manifest and the log records after `seq` and, when there are any, the vector pages
    /// from page `first_page` on (bulk records keep their vectors there). Call it holding
    /// the write lock, so that nothing changes between its two reads.
    pub async fn read_since(&self, seq: u64, first_page: u32) -> Result<Records, ErrorInfo> {
        // The common case, nothing new: one transaction for the log tail and the manifest.
        let mut records = self.read_plan(&ReadPlan::log_since(seq)).await?;
        let any_log = records.any_with_prefix(LOG_PREFIX);
        if any_log {
            let pages = ReadPlan::vector_pages_from(first_page);
            self.read_plan_into(&pages, &mut records).await?;
        }
        Ok(records)
    }

    /// Keys and values of each range, all in one read-only transaction; the values of a
    /// range that wants none are not read (its array of values is empty).
    async fn read_ranges(&self, ranges: &[KeyRange]) -> Result<Vec<(Array, Array)>, ErrorInfo> {
        if let Conn::Files(f) = &self.conn {
            return f.ranges(ranges);
        }
        let fail = |e: JsValue| ErrorInfo::new("STORAGE", js_message(&e));
        let read = |store: IdbObjectStore| async move {
            let mut requests = Vec::with_capacity(ranges.len());
            for r in ranges {
                let range = IdbKeyRange::bound_with_lower_open_and_upper_open(
                    &JsValue::from_str(&r.from),
                    &JsValue::from_str(r.to),
                    false,
                    !r.to_inclusive,
                )?;
                requests.push(store.get_all_keys_with_key(&range)?);
            }
            let mut keys = Vec::with_capacity(requests.len());
            for req in &requests {
                keys.push(finish(req).await?.unchecked_into::<Array>());
            }
            let wanted = keys.iter().zip(ranges).filter(|(_, r)| r.values);
            let all: Array = wanted.flat_map(|(k, _)| k.iter()).collect();
            let mut values = get_each(&store, &all).await?.into_iter();
            Ok(keys
                .into_iter()
                .zip(ranges)
                .map(|(k, r)| {
                    let n = if r.values { k.length() as usize } else { 0 };
                    let v: Array = values.by_ref().take(n).collect();
                    (k, v)
                })
                .collect())
        };
        self.in_read_transaction(read).await.map_err(fail)
    }

    /// Runs `read` in a new read-only transaction and resolves once the transaction is
    /// complete too: no transaction of ours is left running when a caller closes the
    /// connection right after (a delete would see it as blocked).
    async fn in_read_transaction<T, F: Future<Output = Result<T, JsValue>>>(
        &self,
        read: impl FnOnce(IdbObjectStore) -> F,
    ) -> Result<T, JsValue> {
        let tx = self.browser()?.transaction_with_str(STORE)?;
        let done = Promise::new(&mut |resolve, reject| {
            tx.set_oncomplete(Some(&resolve));
            tx.set_onabort(Some(&reject));
        });
        let out = read(tx.object_store(STORE)?).await;
        let complete = JsFuture::from(done).await;
        tx.set_oncomplete(None);
        tx.set_onabort(None);
        // A failed request aborts the transaction: its own error says more than the abort.
        let value = out?;
        complete?;
        Ok(value)
    }

    /// True when the store holds no record (a count, not a read of the values).
    pub async fn is_empty(&self) -> Result<bool, ErrorInfo> {
        let fail = |e: JsValue| ErrorInfo::new("STORAGE", js_message(&e));
        let raw = match &self.conn {
            Conn::Files(f) => return Ok(f.is_empty()),
            Conn::Browser { raw, .. } => raw,
        };
        let req = raw
            .transaction_with_str(STORE)
            .and_then(|tx| tx.object_store(STORE))
            .and_then(|store| store.count())
            .map_err(fail)?;
        Ok(finish(&req).await.map_err(fail)?.as_f64() == Some(0.0))
    }

    /// Writes `batch` in one readwrite transaction with `durability`; resolves at `complete`
    /// and returns the durability the browser reports for the transaction.
    pub async fn write(
        &self,
        batch: &WriteBatch,
        durability: Durability,
    ) -> Result<String, BackendError> {
        let fail = |e: &JsValue| BackendError::Failed(js_message(e));
        if self.fail_writes.get() > 0 {
            self.fail_writes.set(self.fail_writes.get() - 1);
            return Err(BackendError::Failed("a failure injected by a test".into()));
        }
        let raw = match &self.conn {
            Conn::Files(f) => {
                let strict = durability == Durability::Strict;
                f.store(batch, strict).await?;
                return Ok(if strict { "strict" } else { "relaxed" }.into());
            }
            Conn::Browser { raw, .. } => raw,
        };
        let opts = IdbTransactionOptions::new();
        opts.set_durability(match durability {
            Durability::Strict => IdbTransactionDurability::Strict,
            Durability::Relaxed => IdbTransactionDurability::Relaxed,
        });
        let tx = raw
            .transaction_with_str_and_mode_and_options(STORE, IdbTransactionMode::Readwrite, &opts)
            .map_err(|e| fail(&e))?;
        let reported = Reflect::get(&tx, &JsValue::from_str("durability"))
            .ok()
            .and_then(|d| d.as_string())
            .unwrap_or_else(|| "unsupported".into());
        let done = Promise::new(&mut |resolve, reject| {
            tx.set_oncomplete(Some(&resolve));
            tx.set_onabort(Some(&reject));
        });
        let queued = async {
            let store = tx.object_store(STORE)?;
            if batch.clear {
                store.clear()?;
            }
            for d in &batch.deletes {
                store.delete(&JsValue::from_str(d))?;
            }
            // Puts [`SLICE_BYTES`] at a time: each value is copied twice as it is put (out of
            // wasm memory, then by IndexedDB's clone), about 3 ms a MiB. The next slice is put
            // from the last request's success, while the transaction is still active, and the
            // worker answers what waits (searches) in between.
            let mut slice = 0;
            for (k, v) in &batch.puts {
                let req =
                    store.put_with_key(&Uint8Array::from(v.as_slice()), &JsValue::from_str(k))?;
                slice += v.len();
                if slice >= super::SLICE_BYTES {
                    finish(&req).await?;
                    slice = 0;
                }
            }
            Ok::<(), JsValue>(())
        }
        .await;
        if queued.is_err() {
            // A put refused at once, or a request that failed (which aborts the transaction
            // itself: a full quota shows here, between slices).
            let _ = tx.abort();
        }
        let result = JsFuture::from(done).await;
        tx.set_oncomplete(None);
        tx.set_onabort(None);
        match (result, queued) {
            (Ok(_), Ok(())) => Ok(reported),
            (_, queued) => {
                let err = tx
                    .error()
                    .map(JsValue::from)
                    .or(queued.err())
                    .unwrap_or(JsValue::from_str("transaction aborted"));
                let msg = js_message(&err);
                if msg.starts_with("QuotaExceededError") {
                    Err(BackendError::QuotaExceeded(msg))
                } else {
                    Err(BackendError::Failed(msg))
                }
            }
        }
    }

    /// Writes `value` at `key` directly (tests use it to damage a record).
    pub async fn put_raw(&self, key: &str, value: &[u8]) -> Result<(), BackendError> {
        let batch = WriteBatch {
            puts: vec![(key.to_owned(), value.to_vec())],
            ..WriteBatch::default()
        };
        self.write(&batch, Durability::Strict).await.map(|_| ())
    }

    /// Closes the connection.
    pub fn close(&self) {
        match &self.conn {
            Conn::Files(f) => f.shut(),
            Conn::Browser { raw, .. } => {
                raw.set_onversionchange(None);
                raw.close();
            }
        }
    }

    /// The IndexedDB connection; an error for a database in files (no transactions there).
    fn browser(&self) -> Result<&IdbDatabase, JsValue> {
        match &self.conn {
            Conn::Browser { raw, .. } => Ok(raw),
            Conn::Files(_) => Err(JsValue::from_str("not an IndexedDB database")),
        }
    }
}

/// Names of the ruvector databases of this origin (`indexedDB.databases()`).
pub async fn list() -> Result<Vec<String>, ErrorInfo> {
    if files::hosted() {
        return files::list();
    }
    let f = factory()?;
    let call = Reflect::get(&f, &JsValue::from_str("databases"))
        .ok()
        .and_then(|d| d.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| {
            ErrorInfo::new(
                "UNSUPPORTED",
                "indexedDB.databases() is not available in this browser",
            )
        })?;
    let p: Promise = call
        .call0(&f)
        .map_err(|e| ErrorInfo::new("STORAGE", js_message(&e)))?
        .dyn_into()
        .map_err(|_| ErrorInfo::new("STORAGE", "indexedDB.databases() returned no promise"))?;
    let all: Array = JsFuture::from(p)
        .await
        .map_err(|e| ErrorInfo::new("STORAGE", js_message(&e)))?
        .dyn_into()
        .map_err(|_| ErrorInfo::new("STORAGE", "indexedDB.databases() returned no array"))?;
    let mut names: Vec<String> = all
        .iter()
        .filter_map(|d| {
            Reflect::get(&d, &JsValue::from_str("name"))
                .ok()?
                .as_string()
        })
        .filter_map(|n| n.strip_prefix(super::NAME_PREFIX).map(str::to_owned))
        .collect();
    names.sort_unstable();
    Ok(names)
}

/// What a delete does when another connection does not close at once.
pub enum OnBlocked {
    /// Calls the function (each time the browser reports it) and goes on waiting: the
    /// delete resolves once it is done.
    Wait(Box<dyn Fn()>),
    /// Resolves at once; the browser deletes the database when the connection closes.
    Leave,
}

/// Deletes `ruvector:<name>`. IndexedDB cannot withdraw a delete once asked: while another
/// connection stays open the request waits (reported through `on_blocked`) and completes
/// when that connection closes.
pub async fn delete(name: &str, on_blocked: OnBlocked) -> Result<(), ErrorInfo> {
    if files::hosted() {
        return files::delete(name);
    }
    let req = factory()?
        .delete_database(&super::storage_name(name))
        .map_err(|e| ErrorInfo::new("STORAGE", js_message(&e)))?;
    let p = Promise::new(&mut |resolve, reject| {
        req.set_onsuccess(Some(&resolve));
        req.set_onerror(Some(&reject));
        if let OnBlocked::Leave = on_blocked {
            req.set_onblocked(Some(&resolve));
        }
    });
    let _report = match on_blocked {
        OnBlocked::Wait(f) => {
            let report = Closure::<dyn FnMut(JsValue)>::new(move |_e: JsValue| f());
            req.set_onblocked(Some(report.as_ref().unchecked_ref()));
            Some(report)
        }
        OnBlocked::Leave => None,
    };
    let r = JsFuture::from(p).await;
    req.set_onblocked(None);
    r.map(|_| ())
        .map_err(|_| ErrorInfo::new("STORAGE", js_message(&request_error(&req))))
}

/// The bytes of a stored value (a `Uint8Array`), `None` for anything else.
fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    value.dyn_ref::<Uint8Array>().map(Uint8Array::to_vec)
}
