//! Search results as JavaScript objects, built for speed: a search answers in tens of
//! microseconds, and building its result through serde-wasm-bindgen cost about 11 µs of an
//! 85 µs query (each id decoded from UTF-8 on its own, and a call from wasm to JavaScript for
//! every object, number and field). Here one call hands JavaScript every id (decoded at once),
//! score and distance of a result, and a few lines of JavaScript make the objects.

use js_sys::{Object, Reflect};
use ruvector_core::{SearchPath, SearchResults};
use wasm_bindgen::prelude::*;

use super::{fail, to_js};
use crate::errors::ErrorInfo;

#[wasm_bindgen(inline_js = "
export function results(ids, ends, scores, distances, exact, evaluations) {
  const hits = new Array(ends.length);
  let at = 0;
  for (let i = 0; i < ends.length; i++) {
    hits[i] = { id: ids.slice(at, ends[i]), score: scores[i], distance: distances[i] };
    at = ends[i];
  }
  return { hits, path: exact ? 'exactScan' : 'graph', evaluations };
}")]
extern "C" {
    /// `{ hits: [{ id, score, distance }], path, evaluations }`; hit `i`'s id is
    /// `ids.slice(ends[i - 1], ends[i])` (UTF-16 units).
    fn results(
        ids: &str,
        ends: &[u32],
        scores: &[f32],
        distances: &[f32],
        exact: bool,
        evaluations: f64,
    ) -> Object;
}

/// `found` as the worker protocol returns it: `{ hits: [{ id, score, distance, metadata?,
/// vector? }], path, evaluations }`, the very object (same fields, order and values) that
/// serde-wasm-bindgen's JSON-compatible serializer makes of it, but for `vector`: a
/// `Float32Array`, as `get` returns it.
pub fn search_results_to_js(found: &SearchResults) -> Result<JsValue, JsValue> {
    let ids: String = found.hits.iter().map(|h| h.id.as_str()).collect();
    // JavaScript strings count UTF-16 units.
    let ends: Vec<u32> = found
        .hits
        .iter()
        .scan(0, |at, h| {
            *at += h.id.encode_utf16().count() as u32;
            Some(*at)
        })
        .collect();
    let scores: Vec<f32> = found.hits.iter().map(|h| h.score).collect();
    let distances: Vec<f32> = found.hits.iter().map(|h| h.distance).collect();
    let exact = found.path == SearchPath::ExactScan;
    let out = results(
        &ids,
        &ends,
        &scores,
        &distances,
        exact,
        found.evaluations as f64,
    );
    let extras = found.hits.iter().enumerate();
    let mut extras = extras
        .filter(|(_, h)| h.metadata.is_some() || h.vector.is_some())
        .peekable();
    if extras.peek().is_none() {
        return Ok(out.into());
    }
    let hits = Reflect::get(&out, &"hits".into()).map_err(internal)?;
    for (i, h) in extras {
        let hit = Reflect::get_u32(&hits, i as u32).map_err(internal)?;
        if let Some(m) = &h.metadata {
            Reflect::set(&hit, &"metadata".into(), &to_js(m)?).map_err(internal)?;
        }
        if let Some(v) = &h.vector {
            let v = js_sys::Float32Array::from(v.as_slice());
            Reflect::set(&hit, &"vector".into(), &v).map_err(internal)?;
        }
    }
    Ok(out.into())
}

/// A failure of `Reflect` on the plain objects made here (it cannot happen) as INTERNAL.
fn internal(e: JsValue) -> JsValue {
    fail(ErrorInfo::new("INTERNAL", format!("{e:?}")))
}
