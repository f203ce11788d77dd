//! Bulk inserts in atomic chunks (`insertMany`): each chunk is one write (one transaction,
//! or shared with others by group commit), a `progress` event follows each acknowledged
//! chunk, and an abort stops between chunks, leaving the committed ones.

use std::cell::RefCell;
use std::future::Future;
use std::ops::Range;
use std::rc::Rc;

use ruvector_core::ItemRef;
use serde_json::Value;
use wasm_bindgen::JsValue;

use super::heap;
use super::Engine;
use crate::errors::ErrorInfo;

/// One chunk's rows as the engine takes them: `values` holds the vectors row after row, and
/// `ids` and `metadata` have one entry a row.
#[derive(Debug, Default)]
pub struct Rows {
    /// The vectors, `dimensions` values each, back to back.
    pub values: Vec<f32>,
    /// Each row's id (`None`: generate one).
    pub ids: Vec<Option<String>>,
    /// Each row's metadata (`None`: none).
    pub metadata: Vec<Option<Value>>,
    /// Each row's text (`None`: none); empty when no row has one.
    pub texts: Vec<Option<String>>,
}

impl Rows {
    /// The rows as items whose vectors borrow `values` (`dim` values each); their ids and
    /// metadata are moved out.
    pub fn items(&mut self, dim: usize) -> Vec<ItemRef<'_>> {
        let Rows {
            values,
            ids,
            metadata,
            texts,
        } = self;
        let rows = values.chunks_exact(dim).zip(ids.iter_mut());
        let rows = rows.zip(metadata.iter_mut()).enumerate();
        rows.map(|(i, ((vector, id), metadata))| ItemRef {
            id: id.take(),
            vector,
            metadata: metadata.take(),
            text: texts.get_mut(i).and_then(Option::take),
        })
        .collect()
    }
}

/// What an `insertMany` did: `{ ids, committed, total, aborted }`.
#[derive(Debug)]
pub struct BulkOutcome {
    /// The ids of the committed rows, in order.
    pub ids: Vec<String>,
    /// Rows committed (a whole number of chunks, or all).
    pub committed: usize,
    /// Rows asked for.
    pub total: usize,
    /// True when an abort stopped it before the end.
    pub aborted: bool,
}

thread_local! {
    /// Requests whose `insertMany` should stop before its next chunk (a handful at most).
    static ABORTED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// A request id (a number or a string, as the protocol allows) as a key.
fn request_key(request: &JsValue) -> Option<String> {
    match (request.as_f64(), request.as_string()) {
        (Some(n), _) => Some(format!("n{n}")),
        (_, Some(s)) => Some(format!("s{s}")),
        _ => None,
    }
}

/// Asks the `insertMany` of `request` to stop before its next chunk (the chunk being
/// committed completes). Harmless for a request that has ended.
pub fn abort(request: &JsValue) {
    if let Some(k) = request_key(request) {
        ABORTED.with(|a| a.borrow_mut().push(k));
    }
}

/// Forgets an abort of its request when the `insertMany` ends, however it ends.
struct Forget(Option<String>);

impl Drop for Forget {
    fn drop(&mut self) {
        if let Some(k) = self.0.take() {
            ABORTED.with(|a| a.borrow_mut().retain(|x| *x != k));
        }
    }
}

/// A `progress` event's detail: `{ requestId, committed, total }`.
fn progress_detail(request: &JsValue, committed: usize, total: usize) -> JsValue {
    let o = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&o, &"requestId".into(), request);
    let _ = js_sys::Reflect::set(&o, &"committed".into(), &(committed as f64).into());
    let _ = js_sys::Reflect::set(&o, &"total".into(), &(total as f64).into());
    o.into()
}

/// About what inserting `n` vectors of `dim` takes at its peak: in memory the vector (4·dim),
/// its codes (dim) and graph lists (about 8·m), and while it commits its log record and pages
/// (twice 4·dim), with room for ids and metadata; plus a fresh arena segment of 256 rows.
fn peak_bytes(n: usize, dim: usize, m: usize) -> usize {
    n * (13 * dim + 8 * m + 256) + 256 * 4 * dim
}

impl Engine {
    /// Inserts `rows` all or none; resolves to their ids once durable (raising `change`).
    /// `FULL`, with nothing written, when the module's memory cannot grow by what the batch
    /// may take at its peak (`peak_bytes`).
    pub async fn insert_rows(self: &Rc<Self>, mut rows: Rows) -> Result<Vec<String>, ErrorInfo> {
        let config = *self.db.borrow().collection().config();
        let dim = config.dimensions;
        let peak = peak_bytes(rows.ids.len(), dim, config.hnsw.m);
        self.commit(move |db| {
            // Checked where it is spent, after the writes queued before it.
            heap::room_for(peak)?;
            db.insert_rows(rows.items(dim)).map_err(ErrorInfo::from)
        })
        .await
    }

    /// Inserts `total` rows in chunks of `chunk`, asking `rows` for each chunk's range just
    /// before committing it (so one chunk at a time is in wasm memory; asynchronously, as
    /// embedding a chunk's texts is). Each chunk is all
    /// or none; one that fails ends the insert with its error, the chunks before it staying
    /// committed. When `request` is a request id (a number or a string), raises `progress`
    /// after each chunk and stops early once [`abort`] names it.
    pub async fn insert_many<E: From<ErrorInfo>, F: Future<Output = Result<Rows, E>>>(
        self: &Rc<Self>,
        request: &JsValue,
        total: usize,
        chunk: usize,
        mut rows: impl FnMut(Range<usize>) -> F,
    ) -> Result<BulkOutcome, E> {
        let key = request_key(request);
        let _forget = Forget(key.clone());
        let stopped = || {
            key.as_ref()
                .is_some_and(|k| ABORTED.with(|a| a.borrow().contains(k)))
        };
        let mut ids = Vec::with_capacity(total);
        let mut start = 0;
        while start < total && !stopped() {
            let end = total.min(start + chunk.max(1));
            let got = self.insert_rows(rows(start..end).await?).await?;
            ids.extend(got);
            start = end;
            if key.is_some() {
                let detail = progress_detail(request, end, total);
                (self.events)("progress", &self.name, &detail);
            }
        }
        Ok(BulkOutcome {
            committed: ids.len(),
            aborted: ids.len() < total,
            ids,
            total,
        })
    }
}
