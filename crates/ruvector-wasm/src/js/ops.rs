//! Reads and writes of an open database: inserts, upserts, deletes, gets, searches.

use std::ops::Range;
use std::rc::Rc;

use js_sys::{Array, Float32Array};
use ruvector_core::{Collection, Database, Filter, RetrainError, SearchQuery, SearchResults};
use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::convert::{id_from, items_from, metadata_from, record, vector_from};
use super::fields::search_options;
use super::results::result_set;
use super::{fail, to_js};
use crate::engine::bulk::Rows;
use crate::engine::{self, Engine};
use crate::errors::ErrorInfo;
use crate::protocol::{
    bad_argument, too_large, SearchOptions, DEFAULT_CHUNK, MAX_BATCH_BYTES, MAX_BATCH_ITEMS,
    MAX_HITS, MAX_QUERIES,
};

/// [`Engine::commit`] with its error for JavaScript.
pub(super) async fn commit<T: 'static>(
    e: &Rc<Engine>,
    f: impl FnOnce(&mut Database) -> Result<(T, ruvector_core::WriteBatch), ErrorInfo> + 'static,
) -> Result<T, JsValue> {
    e.commit(f).await.map_err(fail)
}

/// Inserts items `[{ id?, vector, metadata? }]` all or none; resolves to their ids once
/// durable.
pub async fn insert(name: String, items: JsValue) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let dim = e.db.borrow().collection().config().dimensions;
    let ids = e.insert_rows(items_from(&items, dim)?).await;
    to_js(&ids.map_err(fail)?)
}

/// A packed batch's arguments, checked once: `n` vectors of `dim` values in `vectors`, and
/// `ids` and `metadata` arrays of `n` entries when given.
struct Packed {
    vectors: Float32Array,
    dim: usize,
    n: usize,
    ids: Option<Array>,
    metadata: Option<Array>,
}

impl Packed {
    fn new(
        e: &Engine,
        vectors: Float32Array,
        ids: JsValue,
        metadata: JsValue,
    ) -> Result<Packed, JsValue> {
        let dim = e.db.borrow().collection().config().dimensions;
        let n = whole_rows(&vectors, dim)?;
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
        Ok(Packed {
            vectors,
            dim,
            n,
            ids,
            metadata,
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

    /// The rows in `range`: their vectors copied into wasm memory (once), their ids and
    /// metadata converted.
    fn rows(&self, range: Range<usize>) -> Result<Rows, JsValue> {
        let (a, b) = (
            (range.start * self.dim) as u32,
            (range.end * self.dim) as u32,
        );
        let entry = |list: &Option<Array>, i: usize| list.as_ref().map(|l| l.get(i as u32));
        let mut rows = Rows {
            values: self.vectors.subarray(a, b).to_vec(),
            ids: Vec::with_capacity(range.len()),
            metadata: Vec::with_capacity(range.len()),
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

/// Inserts `n` vectors packed in one `Float32Array` of `n·dim` values, with optional `ids`
/// and `metadata` arrays of `n` entries: with `chunk` (`insertMany`), in atomic chunks of
/// `chunk` (default 1,000) with a `progress` event after each, stopped between chunks by an
/// `abort` naming `request`, resolving to `{ ids, committed, total, aborted }`; without
/// (`insertPacked`), all or none, resolving to the ids.
pub async fn insert_packed(
    name: String,
    request: JsValue,
    vectors: Float32Array,
    ids: JsValue,
    metadata: JsValue,
    chunk: Option<JsValue>,
) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let p = Packed::new(&e, vectors, ids, metadata)?;
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
    let done = e.insert_many(&request, p.n, size, |r| p.rows(r)).await?;
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
    let ids: Vec<String> = match ids.as_string() {
        Some(s) => vec![s],
        None => ids
            .dyn_into::<Array>()
            .ok()
            .and_then(|a| a.iter().map(|id| id.as_string()).collect())
            .ok_or_else(|| {
                fail(bad_argument(
                    "ids",
                    "expected a string or an array of strings",
                ))
            })?,
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

/// The `k` nearest, as a result set of one query ([`result_set`]). Vectors asked for with
/// `includeVectors` that are not in memory are read from IndexedDB.
pub async fn search(name: String, vector: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let o = search_options(options).map_err(fail)?;
    let v = vector_from("vector", &vector)?;
    let filter = filter_of(&o)?;
    let query = query_of(&v, &o, filter.as_ref());
    let found = e.search(&query, o.rescore).await;
    result_set(&[found.map_err(fail)?])
}

/// The `k` nearest of each of `n` queries packed in one `Float32Array` of `n·dim` values,
/// under the same options, as one result set ([`result_set`]). At most [`MAX_QUERIES`]
/// queries and [`MAX_HITS`] hits (`n·k`) in one call (`TOO_LARGE`).
pub async fn search_many(
    name: String,
    vectors: Float32Array,
    options: JsValue,
) -> Result<JsValue, JsValue> {
    let e = engine::get(&name).map_err(fail)?;
    let o = search_options(options).map_err(fail)?;
    let dim = e.db.borrow().collection().config().dimensions;
    let n = whole_rows(&vectors, dim)?;
    if n > MAX_QUERIES {
        return Err(fail(too_large("vectors", n, MAX_QUERIES, "queries")));
    }
    // Saturating: `k` may be any count here (up to u32::MAX); the engine checks it later.
    let hits = n.saturating_mul(o.k);
    if hits > MAX_HITS {
        return Err(fail(too_large("k · queries", hits, MAX_HITS, "hits")));
    }
    let filter = filter_of(&o)?;
    let values = vectors.to_vec();
    let mut found = Vec::with_capacity(n);
    for v in values.chunks_exact(dim) {
        let query = query_of(v, &o, filter.as_ref());
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

/// A search's options as a query for `v` under `filter`.
fn query_of<'a>(v: &'a [f32], o: &SearchOptions, filter: Option<&'a Filter>) -> SearchQuery<'a> {
    SearchQuery {
        vector: v,
        k: o.k,
        ef: o.ef,
        filter,
        include_metadata: o.include_metadata,
        include_vectors: o.include_vectors,
    }
}

/// Runs a parsed query on `coll` (in memory: the vectors are all there).
pub(super) fn run_search(
    coll: &Collection,
    v: &[f32],
    o: &SearchOptions,
) -> Result<SearchResults, JsValue> {
    let filter = filter_of(o)?;
    coll.search(&query_of(v, o, filter.as_ref())).map_err(fail)
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
