//! Reads and writes of an open database: inserts, upserts, deletes, gets, searches.

use std::ops::Range;
use std::rc::Rc;

use js_sys::{Array, Float32Array};
use ruvector_core::{
    Collection, Database, Filter, RetrainError, SearchMode, SearchQuery, SearchResults, Update,
};
use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::convert::{
    id_from, items_from, json_value, metadata_from, record, strings_from, text_from, vector_from,
};
use super::fields::search_options;
use super::results::result_set;
use super::{fail, json_array, to_js};
use crate::engine::bulk::Rows;
use crate::engine::embedder::Embedder;
use crate::engine::{self, Engine};
use crate::errors::ErrorInfo;
use crate::protocol::{
    bad_argument, too_large, SearchOptions, DEFAULT_CHUNK, MAX_BATCH_BYTES, MAX_BATCH_ITEMS,
    MAX_FILTER_BYTES, MAX_HITS, MAX_QUERIES,
};

/// [`Engine::commit`] with its error for JavaScript.
pub(super) async fn commit<T: 'static>(
    e: &Rc<Engine>,
    f: impl FnOnce(&mut Database) -> Result<(T, ruvector_core::WriteBatch), ErrorInfo> + 'static,
) -> Result<T, JsValue> {
    e.commit(f).await.map_err(fail)
}

/// Inserts items `[{ id?, vector, text?, metadata? }]` all or none; resolves to their ids once
/// durable.
/// durable. Items with a text and no vector are embedded first (the database's embedder;
/// `NO_EMBEDDER` without one).
pub async fn insert(name: String, items: JsValue) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let dim = e.db.borrow().collection().config().dimensions;
    let (mut rows, missing) = items_from(&items, dim)?;
    if let Some(&first) = missing.first() {
        let embedder = embedder_of(&e, &format!("items[{first}] has a text and no vector: it"))?;
        let texts: Vec<String> = (missing.iter())
            .map(|&i| rows.texts[i].clone().unwrap_or_default())
            .collect();
        let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
        let vectors = embedder.embed(&texts).await.map_err(fail)?;
        for (j, &i) in missing.iter().enumerate() {
            rows.values[i * dim..(i + 1) * dim].copy_from_slice(&vectors[j * dim..(j + 1) * dim]);
        }
    }
    let ids = e.insert_rows(rows).await;
    to_js(&ids.map_err(fail)?)
}

/// The embedder this worker runs for `e`, or `NO_EMBEDDER` saying that `what` needs one.
fn embedder_of(e: &Engine, what: &str) -> Result<Rc<Embedder>, JsValue> {
    e.embedder.borrow().clone().ok_or_else(|| {
        let message = format!("{what} needs an embedder: open the database with one (a module URL, or an object on the page), or give the vector");
        fail(ErrorInfo::new("NO_EMBEDDER", message))
    })
}

/// `insertMany` (or `insertPacked`) of texts without vectors: each chunk's texts are embedded
/// by the database's embedder (`NO_EMBEDDER` without one) just before the chunk is committed,
/// so that progress and abort work as for vectors.
pub async fn insert_texts(
    name: String,
    request: JsValue,
    ids: JsValue,
    metadata: JsValue,
    texts: JsValue,
    chunk: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    // Every argument is checked before anything else (the embedder's absence included).
    let p = Packed::new(&e, None, ids, metadata, texts)?;
    let embedder = embedder_of(&e, "texts without vectors")?;
    insert_chunks(&e, request, p, chunk, Some(embedder)).await
}

/// A packed batch's arguments, checked once: `n` vectors of `dim` values in `vectors`, and
/// `ids`, `metadata` and `texts` arrays of `n` entries when given.
struct Packed {
    /// `None`: the rows' texts are embedded a chunk at a time.
    vectors: Option<Float32Array>,
    dim: usize,
    n: usize,
    ids: Option<Array>,
    metadata: Option<Array>,
    texts: Option<Array>,
}

impl Packed {
    fn new(
        e: &Engine,
        vectors: Option<Float32Array>,
        ids: JsValue,
        metadata: JsValue,
        texts: JsValue,
    ) -> Result<Packed, JsValue> {
        let dim = e.db.borrow().collection().config().dimensions;
        let n = match &vectors {
            Some(v) => whole_rows(v, dim)?,
            None => strings_from("texts", &texts)?.len(),
        };
        let list = |v: JsValue, what: &str| -> Result<Option<Array>, JsValue> {
            if v.is_undefined() || v.is_null() {
                return Ok(None);
            }
            let a = v
                .dyn_into::<Array>()
                .map_err(|_| fail(bad_argument(what, "expected an array")))?;
            if a.length() as usize != n {
                return Err(fail(bad_argument(
                    what,
                    format!("has {} entries for {n} vectors", a.length()),
                )));
            }
            Ok(Some(a))
        };
        let (ids, metadata) = (list(ids, "ids")?, list(metadata, "metadata")?);
        let texts = list(texts, "texts")?;
        Ok(Packed {
            vectors,
            dim,
            n,
            ids,
            metadata,
            texts,
        })
    }

    /// Fails with `TOO_LARGE` when `rows` rows are more than one write may carry.
    fn check_write_size(&self, rows: usize, what: &str) -> Result<(), JsValue> {
        let bytes = rows * self.dim * 4;
        if bytes > MAX_BATCH_BYTES {
            return Err(fail(too_large(what, bytes, MAX_BATCH_BYTES, "bytes")));
        }
        if rows > MAX_BATCH_ITEMS {
            return Err(fail(too_large(what, rows, MAX_BATCH_ITEMS, "vectors")));
        }
        Ok(())
    }

    /// The rows in `range`: their vectors copied into wasm memory (once; none without
    /// vectors), their ids, metadata and texts converted.
    fn rows(&self, range: Range<usize>) -> Result<Rows, JsValue> {
        let (a, b) = (
            (range.start * self.dim) as u32,
            (range.end * self.dim) as u32,
        );
        let entry = |list: &Option<Array>, i: usize| list.as_ref().map(|l| l.get(i as u32));
        let mut rows = Rows {
            values: (self.vectors.as_ref()).map_or_else(Vec::new, |v| v.subarray(a, b).to_vec()),
            ids: Vec::with_capacity(range.len()),
            metadata: Vec::with_capacity(range.len()),
            texts: Vec::new(),
        };
        for i in range {
            rows.ids.push(match entry(&self.ids, i) {
                Some(v) => id_from(&format!("ids[{i}]"), v)?,
                None => None,
            });
            rows.metadata.push(match entry(&self.metadata, i) {
                Some(v) => metadata_from(&format!("metadata[{i}]"), v)?,
                None => None,
            });
            if let Some(v) = entry(&self.texts, i) {
                rows.texts.push(text_from(&format!("texts[{i}]"), &v)?);
            }
        }
        Ok(rows)
    }
}

/// How many `dim`-dimensional rows `vectors` holds; `DIMENSION_MISMATCH` when its length is
/// not a multiple of `dim`.
fn whole_rows(vectors: &Float32Array, dim: usize) -> Result<usize, JsValue> {
    let len = vectors.length() as usize;
    if !len.is_multiple_of(dim) {
        return Err(fail(ErrorInfo::new(
            "DIMENSION_MISMATCH",
            format!("{len} values is not a whole number of {dim}-dimensional vectors"),
        )));
    }
    Ok(len / dim)
}

/// Inserts `n` vectors packed in one `Float32Array` of `n·dim` values, with optional `ids`,
/// `metadata` and `texts` arrays of `n` entries: with `chunk` (`insertMany`), in atomic chunks of
/// `chunk` (default 1,000) with a `progress` event after each, stopped between chunks by an
/// `abort` naming `request`, resolving to `{ ids, committed, total, aborted }`; without
/// (`insertPacked`), all or none, resolving to the ids.
pub async fn insert_packed(
    name: String,
    request: JsValue,
    vectors: Float32Array,
    ids: JsValue,
    metadata: JsValue,
    texts: JsValue,
    chunk: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let p = Packed::new(&e, Some(vectors), ids, metadata, texts)?;
    insert_chunks(&e, request, p, chunk, None).await
}

/// [`insert_packed`]'s work: `p`'s rows in chunks, each chunk's texts first embedded by
/// `embedder` when it is given (`p` then has no vectors).
async fn insert_chunks(
    e: &Rc<Engine>,
    request: JsValue,
    p: Packed,
    chunk: Option<JsValue>,
    embedder: Option<Rc<Embedder>>,
) -> Result<JsValue, JsValue> {
    let size = match &chunk {
        None => p.n.max(1),
        Some(c) if c.is_undefined() => DEFAULT_CHUNK,
        Some(c) => match c.as_f64() {
            Some(c) if c >= 1.0 && c.fract() == 0.0 => c.min(MAX_BATCH_ITEMS as f64) as usize,
            _ => return Err(fail(bad_argument("chunk", "expected a positive integer"))),
        },
    };
    let what = if chunk.is_some() { "chunk" } else { "vectors" };
    p.check_write_size(size.min(p.n), what)?;
    let p = &p;
    let done = e
        .insert_many(&request, p.n, size, |r| {
            let embedder = embedder.clone();
            async move {
                let mut rows = p.rows(r)?;
                if let Some(embedder) = embedder {
                    let texts: Vec<&str> = (rows.texts.iter())
                        .map(|t| t.as_deref().unwrap_or_default())
                        .collect();
                    rows.values = embedder.embed(&texts).await.map_err(fail)?;
                }
                Ok::<Rows, JsValue>(rows)
            }
        })
        .await?;
    let ids = to_js(&done.ids)?;
    if chunk.is_none() {
        return Ok(ids);
    }
    let out = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&out, &"ids".into(), &ids);
    for (k, v) in [("committed", done.committed), ("total", done.total)] {
        let _ = js_sys::Reflect::set(&out, &k.into(), &(v as f64).into());
    }
    let _ = js_sys::Reflect::set(&out, &"aborted".into(), &done.aborted.into());
    Ok(out.into())
}

/// Inserts or replaces `id`: `vector` (or `undefined` to keep it), `metadata` and `text`
/// (`undefined` keeps it, `null` clears it). Resolves to `"inserted"` or `"updated"`.
pub async fn upsert(
    name: String,
    id: String,
    vector: JsValue,
    metadata: JsValue,
    text: JsValue,
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
    let t = match text.is_null() {
        true => Some(None),
        false => text_from("text", &text)?.map(Some),
    };
    // A new text without a vector: with an embedder, the vector follows the text.
    let embedder = e.embedder.borrow().clone();
    let v = match (v, &t, embedder) {
        (None, Some(Some(text)), Some(embedder)) => {
            Some(embedder.embed(&[text]).await.map_err(fail)?)
        }
        (v, _, _) => v,
    };
    let r = commit(&e, move |db| {
        let update = Update {
            vector: v.as_deref(),
            metadata: m,
            text: t,
        };
        db.upsert_with(&id, update).map_err(ErrorInfo::from)
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

/// Compacts the database ([`engine::Engine::compact`]): its live records in fresh slots, the
/// deleted and replaced ones' space given back. Resolves to `{ slotsBefore, slotsAfter, ms }`.
pub async fn compact(name: String) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let done = e.compact().await.map_err(fail)?;
    let out = js_sys::Object::new();
    let fields = [
        ("slotsBefore", done.slots_before as f64),
        ("slotsAfter", done.slots_after as f64),
        ("ms", done.ms),
    ];
    for (k, v) in fields {
        let _ = js_sys::Reflect::set(&out, &k.into(), &v.into());
    }
    Ok(out.into())
}

/// Deletes the ids `ids` (one or an array; all or none, `NOT_FOUND` names an unknown one) or,
/// when `filter` is given, every record whose metadata it accepts; resolves to how many. The
/// filter's matches are found under the write lock, with the writes of other tabs applied, so
/// what is deleted is what matched at that moment.
pub async fn delete(name: String, ids: JsValue, filter: JsValue) -> Result<f64, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let filter = match json_value("filter", &filter, MAX_FILTER_BYTES).map_err(fail)? {
        Some(f) => Some(Filter::parse(&f).map_err(fail)?),
        None => None,
    };
    let ids: Vec<String> = match (&filter, ids.as_string()) {
        (Some(_), _) => Vec::new(),
        (None, Some(s)) => vec![s],
        (None, None) => strings_from("ids", &ids)?,
    };
    commit(&e, move |db| {
        let ids = match &filter {
            Some(f) => db.collection().ids_where(f),
            None => ids,
        };
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let batch = match refs.is_empty() {
            true => ruvector_core::WriteBatch::default(),
            false => db.delete(&refs).map_err(ErrorInfo::from)?,
        };
        Ok((ids.len() as f64, batch))
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

/// How long after a `records` page the idle policy holds off compacting (an export is taken
/// to be paging through the database until then).
const EXPORT_LEASE_MS: f64 = 5_000.0;

/// Up to `limit` records from internal slot `after` on, in slot order, as columns:
/// `{ ids, vectors: Float32Array (n·dimensions), metadata: (object | null)[], texts: (string |
/// null)[], next }`, `next` the `after` of the next page (`null`: the last page). Vectors that
/// are in storage only are read from it; with `vectors` false, `vectors` is empty and nothing
/// is read (a first pass over the metadata). An export pages through a database with it.
pub async fn records(
    name: String,
    after: JsValue,
    limit: JsValue,
    vectors: bool,
    epoch: JsValue,
) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    // A cursor of another numbering would skip or repeat records. The numbering this page's
    // cursor (`next`) belongs to is the one now: a compaction while its vectors are read below
    // makes the next page `CHANGED`.
    let numbering = e.epoch.get();
    if epoch.as_f64().is_some_and(|n| n != f64::from(numbering)) {
        return Err(fail(ErrorInfo::new(
            "CHANGED",
            "the database was compacted or replaced while it was read page by page; read it again",
        )));
    }
    e.export_lease.set(engine::now_ms() + EXPORT_LEASE_MS);
    let after = match after.as_f64() {
        None if after.is_undefined() => 0.0,
        Some(a) if a >= 0.0 && a.fract() == 0.0 && a <= f64::from(u32::MAX) => a,
        _ => return Err(fail(bad_argument("after", "expected a cursor from `next`"))),
    };
    let limit = match limit.as_f64() {
        None if limit.is_undefined() => DEFAULT_CHUNK as f64,
        Some(l) if l >= 1.0 && l.fract() == 0.0 && l <= MAX_BATCH_ITEMS as f64 => l,
        _ => {
            let why = format!("expected a whole number from 1 to {MAX_BATCH_ITEMS}");
            return Err(fail(bad_argument("limit", why)));
        }
    };
    let (ids, next) =
        e.db.borrow()
            .collection()
            .ids_from(after as u32, limit as usize);
    // Ids deleted while the pages were read are left out.
    let found = if vectors {
        let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
        let stored = e.stored_pages(Some(&refs)).await.map_err(fail)?;
        let db = e.db.borrow();
        db.get_many(&ids, &stored)
            .map_err(|x| fail(ErrorInfo::from(x)))?
    } else {
        let db = e.db.borrow();
        let c = db.collection();
        ids.iter()
            .filter_map(|id| c.get_without_vector(id))
            .collect()
    };
    let (out_ids, texts) = (Array::new(), Array::new());
    let mut packed = Vec::with_capacity(found.iter().map(|r| r.vector.len()).sum());
    for r in &found {
        out_ids.push(&JsValue::from_str(&r.id));
        packed.extend_from_slice(&r.vector);
        texts.push(&r.text.as_deref().map_or(JsValue::NULL, JsValue::from_str));
    }
    let metadata = json_array(found.iter().map(|r| r.metadata.as_ref()))?;
    let o = js_sys::Object::new();
    let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
    let _ = set("ids", &out_ids);
    let _ = set("vectors", &Float32Array::from(packed.as_slice()));
    let _ = set("metadata", &metadata);
    let _ = set("texts", &texts);
    let _ = set("next", &next.map_or(JsValue::NULL, JsValue::from));
    let _ = set("epoch", &JsValue::from(numbering));
    Ok(o.into())
}

/// The best `k` for `query`: a vector (a `Float32Array` or an array of numbers), a text (a
/// string), or `{ vector?, text? }`. `options.mode` says which search; by default the one
/// the query's parts allow, both fused. Resolves to a result set of one query
/// ([`result_set`]). Vectors asked for with `includeVectors` that are not in memory are read
/// from IndexedDB.
pub async fn search(name: String, query: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let o = search_options(options).map_err(fail)?;
    let (mut v, t) = query_parts(&query)?;
    // A text alone, with an embedder: its vector too (hybrid), unless the mode is text.
    if let (true, Some(text), false) = (v.is_empty(), &t, o.mode == Some(SearchMode::Text)) {
        let embedder = e.embedder.borrow().clone();
        if let Some(embedder) = embedder {
            v = embedder.embed(&[text]).await.map_err(fail)?;
        }
    }
    let filter = filter_of(&o)?;
    let query = query_of(&v, t.as_deref(), &o, filter.as_ref())?;
    let found = e.search(&query, o.rescore).await;
    result_set(&[found.map_err(fail)?])
}

/// A query's vector (empty: none) and text, from a vector, a string or `{ vector?, text? }`.
fn query_parts(query: &JsValue) -> Result<(Vec<f32>, Option<String>), JsValue> {
    if let Some(t) = query.as_string() {
        return Ok((Vec::new(), Some(t)));
    }
    let plain =
        query.is_object() && !js_sys::ArrayBuffer::is_view(query) && !Array::is_array(query);
    if !plain {
        return Ok((vector_from("vector", query)?, None));
    }
    let field = |k: &str| js_sys::Reflect::get(query, &k.into()).unwrap_or(JsValue::UNDEFINED);
    let vector = field("vector");
    let v = match vector.is_undefined() || vector.is_null() {
        true => Vec::new(),
        false => vector_from("query.vector", &vector)?,
    };
    Ok((v, text_from("query.text", &field("text"))?))
}

/// The best `k` of each of `n` queries under the same options, as one result set
/// ([`result_set`]): query vectors packed in one `Float32Array` of `n·dim` values, query
/// texts in an array of `n` strings, or both. At most [`MAX_QUERIES`] queries and
/// [`MAX_HITS`] hits (`n·k`) in one call (`TOO_LARGE`).
pub async fn search_many(
    name: String,
    vectors: JsValue,
    texts: JsValue,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let o = search_options(options).map_err(fail)?;
    let dim = e.db.borrow().collection().config().dimensions;
    let vectors = match vectors.is_undefined() || vectors.is_null() {
        true => None,
        false => Some(
            vectors
                .dyn_into::<Float32Array>()
                .map_err(|_| fail(bad_argument("vectors", "expected a Float32Array")))?,
        ),
    };
    let texts = match texts.is_undefined() || texts.is_null() {
        true => None,
        false => Some(strings_from("texts", &texts)?),
    };
    let n = match (&vectors, &texts) {
        (Some(v), Some(t)) => {
            let n = whole_rows(v, dim)?;
            if t.len() != n {
                let got = format!("has {} entries for {n} vectors", t.len());
                return Err(fail(bad_argument("texts", got)));
            }
            n
        }
        (Some(v), None) => whole_rows(v, dim)?,
        (None, Some(t)) => t.len(),
        (None, None) => return Err(fail(bad_argument("vectors", "give vectors, texts or both"))),
    };
    if n > MAX_QUERIES {
        return Err(fail(too_large("vectors", n, MAX_QUERIES, "queries")));
    }
    // Saturating: `k` may be any count here (up to u32::MAX); the engine checks it later.
    let hits = n.saturating_mul(o.k);
    if hits > MAX_HITS {
        return Err(fail(too_large("k · queries", hits, MAX_HITS, "hits")));
    }
    let filter = filter_of(&o)?;
    let mut values = vectors.map(|v| v.to_vec()).unwrap_or_default();
    let embedder = e.embedder.borrow().clone();
    if let (true, Some(texts), false, Some(embedder)) = (
        values.is_empty(),
        &texts,
        o.mode == Some(SearchMode::Text),
        embedder,
    ) {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        values = embedder.embed(&refs).await.map_err(fail)?;
    }
    let mut found = Vec::with_capacity(n);
    for i in 0..n {
        let v = values.get(i * dim..(i + 1) * dim).unwrap_or_default();
        let t = texts.as_ref().map(|t| t[i].as_str());
        let query = query_of(v, t, &o, filter.as_ref())?;
        found.push(e.search(&query, o.rescore).await.map_err(fail)?);
    }
    result_set(&found)
}

/// The filter of a search's options, parsed.
fn filter_of(o: &SearchOptions) -> Result<Option<Filter>, JsValue> {
    o.filter
        .as_ref()
        .map(Filter::parse)
        .transpose()
        .map_err(fail)
}

/// A search's options as a query for vector `v` (empty: none) and text `t` under `filter`.
/// Without `options.mode`, the mode is what the query holds: a vector, a text, or both
/// (hybrid). A mode whose part is missing is `INVALID_QUERY`.
fn query_of<'a>(
    v: &'a [f32],
    t: Option<&'a str>,
    o: &SearchOptions,
    filter: Option<&'a Filter>,
) -> Result<SearchQuery<'a>, JsValue> {
    let mode = match (o.mode, v.is_empty(), t.is_some()) {
        (Some(m), _, _) => m,
        (None, false, true) => SearchMode::Hybrid,
        (None, true, true) => SearchMode::Text,
        (None, _, false) => SearchMode::Vector,
    };
    if mode != SearchMode::Text && v.is_empty() {
        let needs = format!("{} search needs a query vector", mode.name());
        return Err(fail(ErrorInfo::new("INVALID_QUERY", needs)));
    }
    Ok(SearchQuery {
        vector: v,
        text: t,
        mode,
        fusion: o.fusion,
        k: o.k,
        ef: o.ef,
        filter,
        include_metadata: o.include_metadata,
        include_vectors: o.include_vectors,
        include_text: o.include_text,
    })
}

/// Runs a parsed query on `coll` (in memory: the vectors are all there).
pub(super) fn run_search(
    coll: &Collection,
    v: &[f32],
    o: &SearchOptions,
) -> Result<SearchResults, JsValue> {
    let filter = filter_of(o)?;
    coll.search(&query_of(v, None, o, filter.as_ref())?)
        .map_err(fail)
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
