//! Reads and writes of an open database: inserts, upserts, deletes, gets, searches.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, Float32Array};
use ruvector_core::{
    Collection, Database, Filter, Item, RetrainError, SearchQuery, SearchResults,
    RESCORE_CANDIDATES,
};
use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::convert::{id_from, items_from, metadata_from, parse, record, vector_from};
use super::{emit, fail, to_js};
use crate::codes::ErrorInfo;
use crate::engine::{self, Engine};
use crate::protocol::{bad_argument, too_large, SearchOptions, MAX_BATCH_BYTES, MAX_BATCH_ITEMS};
use crate::results::search_results_to_js;

/// Runs the write `f` through the engine's commit loop and resolves to what `f` returned
/// once it is durable, raising `change`.
pub(super) async fn commit<T: 'static>(
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
    // Rescoring gives the hits it keeps their vectors itself: the wide search copies none.
    let mut found = run_search(
        e.db.borrow().collection(),
        &v,
        &o,
        wide,
        vectors && !rescore,
    )?;
    let missing = vectors && found.hits.iter().any(|h| h.vector.is_none());
    if rescore || missing {
        let ids: Vec<&str> = found.hits.iter().map(|h| h.id.as_str()).collect();
        let stored = e.stored_pages(Some(&ids)).await.map_err(fail)?;
        let db = e.db.borrow();
        if rescore {
            // Fills the kept hits' vectors from the pages it decodes: no second decode.
            db.rescore(&v, &mut found.hits, k, vectors, &stored)
                .map_err(|x| fail(ErrorInfo::from(x)))?;
        } else {
            db.fill_vectors(&mut found.hits, &stored)
                .map_err(|x| fail(ErrorInfo::from(x)))?;
        }
    }
    search_results_to_js(&found)
}

/// Runs a parsed query for `k` hits on `coll`, with their vectors when `include_vectors`.
pub(super) fn run_search(
    coll: &Collection,
    v: &[f32],
    o: &SearchOptions,
    k: usize,
    include_vectors: bool,
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
        include_vectors,
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
