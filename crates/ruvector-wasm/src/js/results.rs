//! Search results as JavaScript sees them: a result set of one or more queries in columns
//! (docs/protocol.md, "Result sets"). A query answers in tens of microseconds, and an object
//! per hit cost a call from wasm into JavaScript for every object and field (and, posted to
//! the page, a structured clone of each); here one call hands JavaScript every id (decoded at
//! once), score and distance of every query, and the page makes the hit objects
//! (`web/results.js`).

use js_sys::{Array, Float32Array, Object, Reflect};
use ruvector_core::{SearchPath, SearchResults};
use wasm_bindgen::prelude::*;

use super::{fail, json_array};
use crate::errors::ErrorInfo;

#[wasm_bindgen(inline_js = "
const PATHS = ['graph', 'exactScan', 'text'];
export function resultSet(ids, idEnds, offsets, scores, distances, textScores, vectorScores, paths, evaluations) {
  const list = new Array(idEnds.length);
  let at = 0;
  for (let i = 0; i < idEnds.length; i++) {
    list[i] = ids.slice(at, idEnds[i]);
    at = idEnds[i];
  }
  const set = {
    offsets: offsets.slice(), ids: list, scores: scores.slice(), distances: distances.slice(),
    paths: Array.from(paths, (p) => PATHS[p]), evaluations: evaluations.slice(),
  };
  if (textScores.length) set.textScores = textScores.slice();
  if (vectorScores.length) set.vectorScores = vectorScores.slice();
  return set;
}")]
extern "C" {
    /// `{ offsets, ids, scores, distances, textScores, vectorScores, paths, evaluations }`,
    /// the typed arrays copied out of wasm memory; hit `i`'s id is
    /// `ids.slice(idEnds[i - 1], idEnds[i])` (UTF-16 units).
    #[wasm_bindgen(js_name = resultSet)]
    #[allow(clippy::too_many_arguments)]
    fn result_set_js(
        ids: &str,
        id_ends: &[u32],
        offsets: &[u32],
        scores: &[f32],
        distances: &[f32],
        text_scores: &[f32],
        vector_scores: &[f32],
        paths: &[u8],
        evaluations: &[f64],
    ) -> Object;
}

/// The results of `found` (one entry per query) as a result set: `{ offsets: Uint32Array,
/// ids: string[], scores: Float32Array, distances: Float32Array, textScores: Float32Array,
/// vectorScores: Float32Array, paths: string[], evaluations: Float64Array, metadata?:
/// (object | null)[], vectors?: Float32Array, texts?: (string | null)[] }`. Query `q`'s hits
/// are entries `offsets[q]` to `offsets[q + 1]` of each column; a distance or a per-ranking
/// score a hit has not is NaN. `textScores` is there when any hit has a BM25 score,
/// `vectorScores` when a vector score differs from a hit's score (hybrid; elsewhere a hit with
/// a distance has its score as its vector score), `metadata` and `texts` when any hit has
/// some, `vectors` (hit `i` at `i·dim`) when the hits have their vectors.
pub fn result_set(found: &[SearchResults]) -> Result<JsValue, JsValue> {
    let hits = || found.iter().flat_map(|r| r.hits.iter());
    let ids: String = hits().map(|h| h.id.as_str()).collect();
    // JavaScript strings count UTF-16 units.
    let id_ends: Vec<u32> = hits()
        .scan(0, |at, h| {
            *at += h.id.encode_utf16().count() as u32;
            Some(*at)
        })
        .collect();
    let mut offsets = Vec::with_capacity(found.len() + 1);
    offsets.push(0u32);
    for r in found {
        offsets.push(offsets[offsets.len() - 1] + r.hits.len() as u32);
    }
    let scores: Vec<f32> = hits().map(|h| h.score).collect();
    let distances: Vec<f32> = hits().map(|h| h.distance).collect();
    // The per-ranking columns only when they say more than `scores` and `distances` do: a
    // vector search (the common case) posts neither.
    let nan = |s: Option<f32>| s.unwrap_or(f32::NAN);
    let text_scores: Vec<f32> = match hits().any(|h| h.scores.text.is_some()) {
        true => hits().map(|h| nan(h.scores.text)).collect(),
        false => Vec::new(),
    };
    let fused = hits().any(|h| {
        h.scores
            .vector
            .is_some_and(|v| v.to_bits() != h.score.to_bits())
    });
    let vector_scores: Vec<f32> = match fused {
        true => hits().map(|h| nan(h.scores.vector)).collect(),
        false => Vec::new(),
    };
    let paths: Vec<u8> = (found.iter())
        .map(|r| match r.path {
            SearchPath::Graph => 0,
            SearchPath::ExactScan => 1,
            SearchPath::Text => 2,
        })
        .collect();
    let evaluations: Vec<f64> = found.iter().map(|r| r.evaluations as f64).collect();
    let set = result_set_js(
        &ids,
        &id_ends,
        &offsets,
        &scores,
        &distances,
        &text_scores,
        &vector_scores,
        &paths,
        &evaluations,
    );
    if hits().any(|h| h.text.is_some()) {
        let texts = Array::new();
        for h in hits() {
            texts.push(&h.text.as_deref().map_or(JsValue::NULL, JsValue::from_str));
        }
        Reflect::set(&set, &"texts".into(), &texts).map_err(internal)?;
    }
    if hits().any(|h| h.metadata.is_some()) {
        let metadata = json_array(hits().map(|h| h.metadata.as_ref()))?;
        Reflect::set(&set, &"metadata".into(), &metadata).map_err(internal)?;
    }
    if hits().any(|h| h.vector.is_some()) {
        let mut values = Vec::new();
        for h in hits() {
            let v = h
                .vector
                .as_ref()
                .ok_or_else(|| fail(ErrorInfo::new("INTERNAL", "a hit without its vector")))?;
            values.extend_from_slice(v);
        }
        let vectors = Float32Array::from(values.as_slice());
        Reflect::set(&set, &"vectors".into(), &vectors).map_err(internal)?;
    }
    Ok(set.into())
}

/// A failure of `Reflect` on the plain object made here (it cannot happen) as INTERNAL.
fn internal(e: JsValue) -> JsValue {
    fail(ErrorInfo::new("INTERNAL", format!("{e:?}")))
}
