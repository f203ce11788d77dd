//! JavaScript values in and out: options through JSON, vectors, ids, metadata, records.

use std::cell::RefCell;

use js_sys::{Array, Float32Array, Object, Reflect};
use ruvector_core::{InsertError, StoredItem, VectorError};
use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::{fail, to_js};
use crate::engine::bulk::Rows;
use crate::errors::ErrorInfo;
use crate::protocol::{bad_argument, too_large, MAX_BATCH_BYTES, MAX_BATCH_ITEMS};

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

/// `v` as a JSON value (`None` for `undefined` or `null`), at most `max` bytes as JSON text.
pub(super) fn json_value(what: &str, v: &JsValue, max: usize) -> Result<Option<Value>, ErrorInfo> {
    match json_text(what, v, max, "BAD_ARGUMENT")? {
        None => Ok(None),
        Some(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| bad_argument(what, e)),
    }
}

/// A vector argument (`Float32Array` or an array of numbers) copied into wasm memory.
pub(super) fn vector_from(what: &str, v: &JsValue) -> Result<Vec<f32>, JsValue> {
    let mut out = Vec::new();
    vector_into(what, v, &mut out)?;
    Ok(out)
}

/// [`vector_from`], appending the values to `out` (the one copy into wasm memory); returns
/// how many there were. On an error `out` may hold part of them.
fn vector_into(what: &str, v: &JsValue, out: &mut Vec<f32>) -> Result<usize, JsValue> {
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
    let at = out.len();
    if let Some(a) = v.dyn_ref::<Float32Array>() {
        out.resize(at + a.length() as usize, 0.0);
        a.copy_to(&mut out[at..]);
        return Ok(out.len() - at);
    }
    if let Some(a) = v.dyn_ref::<Array>() {
        for x in a.iter() {
            let f = x
                .as_f64()
                .ok_or_else(|| fail(bad_argument(what, "every value must be a number")))?;
            out.push(f as f32);
        }
        return Ok(out.len() - at);
    }
    Err(fail(bad_argument(
        what,
        "expected a Float32Array or an array of numbers",
    )))
}

/// A metadata argument as JSON (`None` for `undefined` or `null`).
pub(super) fn metadata_from(what: &str, v: JsValue) -> Result<Option<Value>, JsValue> {
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

/// An id argument (`None` for `undefined` or `null`: generate one).
pub(super) fn id_from(what: &str, v: JsValue) -> Result<Option<String>, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| fail(bad_argument(what, "an id must be a string")))
}

/// Items `[{ id?, vector, metadata? }]` of `dim`-dimensional vectors as packed rows. A vector
/// of another length is refused here, as the engine would refuse it (its rows are packed).
/// Items `[{ id?, vector?, text?, metadata? }]` as packed rows, and the rows that have a text
/// and no vector (their values are zeros, to be embedded).
pub(super) fn items_from(items: &JsValue, dim: usize) -> Result<(Rows, Vec<usize>), JsValue> {
    let arr = items.dyn_ref::<Array>().ok_or_else(|| {
        fail(bad_argument(
            "items",
            "expected an array of { id?, vector, metadata? }",
        ))
    })?;
    let n = arr.length() as usize;
    if n > MAX_BATCH_ITEMS {
        return Err(fail(too_large("items", n, MAX_BATCH_ITEMS, "items")));
    }
    let mut rows = Rows::default();
    let mut missing = Vec::new();
    for (i, it) in arr.iter().enumerate() {
        if !it.is_object() {
            return Err(fail(bad_argument(
                &format!("items[{i}]"),
                "expected an object",
            )));
        }
        let get = |k: &str| Reflect::get(&it, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
        let vector = get("vector");
        let text = text_from(&format!("items[{i}].text"), &get("text"))?;
        let got = match (vector.is_undefined() || vector.is_null(), &text) {
            (true, Some(_)) => {
                missing.push(i);
                rows.values.resize(rows.values.len() + dim, 0.0);
                dim
            }
            _ => vector_into(&format!("items[{i}].vector"), &vector, &mut rows.values)?,
        };
        if got != dim {
            let source = VectorError::DimensionMismatch { expected: dim, got };
            return Err(fail(InsertError::Vector { item: i, source }));
        }
        let bytes = rows.values.len() * 4;
        if bytes > MAX_BATCH_BYTES {
            return Err(fail(too_large(
                "items",
                bytes,
                MAX_BATCH_BYTES,
                "bytes of vectors",
            )));
        }
        rows.ids
            .push(id_from(&format!("items[{i}].id"), get("id"))?);
        let metadata = get("metadata");
        rows.metadata
            .push(metadata_from(&format!("items[{i}].metadata"), metadata)?);
        rows.texts.push(text);
    }
    Ok((rows, missing))
}

/// An array of strings named `what` (`BAD_ARGUMENT` naming the entry that is not one).
pub(super) fn strings_from(what: &str, v: &JsValue) -> Result<Vec<String>, JsValue> {
    let a = v
        .dyn_ref::<Array>()
        .ok_or_else(|| fail(bad_argument(what, "expected an array of strings")))?;
    let each = a.iter().enumerate().map(|(i, t)| {
        t.as_string()
            .ok_or_else(|| fail(bad_argument(&format!("{what}[{i}]"), "expected a string")))
    });
    each.collect()
}

/// A text argument: `None` for `undefined` or `null`, `BAD_ARGUMENT` naming `what` for
/// anything but a string (its length is the engine's to check).
pub(super) fn text_from(what: &str, v: &JsValue) -> Result<Option<String>, JsValue> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| fail(bad_argument(what, "expected a string")))
}

/// A record as `{ id, vector: Float32Array, metadata?, text? }`, or `null`.
pub(super) fn record(r: Option<StoredItem>) -> Result<JsValue, JsValue> {
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
    if let Some(t) = &r.text {
        let _ = Reflect::set(&o, &"text".into(), &JsValue::from_str(t));
    }
    Ok(o.into())
}

pub(super) fn arg(args: &JsValue, key: &str) -> JsValue {
    Reflect::get(args, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

pub(super) fn string_arg(args: &JsValue, key: &str) -> Result<String, JsValue> {
    arg(args, key)
        .as_string()
        .ok_or_else(|| fail(bad_argument(key, "expected a string")))
}

pub(super) fn typed<T: JsCast>(args: &JsValue, key: &str, what: &str) -> Result<T, JsValue> {
    arg(args, key)
        .dyn_into::<T>()
        .map_err(|_| fail(bad_argument(key, format!("expected a {what}"))))
}
