//! What the browser tests share: unique database names, JSON in and out, seeded rows.
#![allow(dead_code)]

use js_sys::{Reflect, JSON};
use ruvector_testkit::dataset::Mixture;
use wasm_bindgen::JsValue;

pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}-{}",
        js_sys::Date::now(),
        (js_sys::Math::random() * 1e9) as u64
    )
}

pub fn obj(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

pub fn field(v: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(v.clone(), |v, k| {
        Reflect::get(&v, &k.into()).unwrap_or(JsValue::UNDEFINED)
    })
}

pub fn code(e: JsValue) -> String {
    field(&e, "code")
        .as_string()
        .unwrap_or_else(|| format!("not a typed error: {e:?}"))
}

pub fn json(v: &JsValue) -> String {
    JSON::stringify(v).unwrap().as_string().unwrap()
}

pub fn rows(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    Mixture::with_spread(dim, 10, seed, 1.5).sample(n, seed + 1)
}

/// One hit of a result set, read from its columns.
#[derive(Debug, PartialEq)]
pub struct HitOf {
    pub id: String,
    pub score: f32,
    pub distance: f32,
    /// The hit's metadata as JSON (`None`: no `metadata` column, or `null` in it).
    pub metadata: Option<String>,
    pub vector: Option<Vec<f32>>,
}

/// Query `q`'s hits of a result set (docs/protocol.md, "Result sets").
pub fn hits_of(set: &JsValue, q: usize) -> Vec<HitOf> {
    use js_sys::{Array, Float32Array, Uint32Array};
    let offsets = Uint32Array::from(field(set, "offsets")).to_vec();
    let ids = Array::from(&field(set, "ids"));
    let scores = Float32Array::from(field(set, "scores")).to_vec();
    let distances = Float32Array::from(field(set, "distances")).to_vec();
    let metadata = field(set, "metadata");
    let vectors = field(set, "vectors");
    let vectors = (!vectors.is_undefined()).then(|| Float32Array::from(vectors).to_vec());
    let dim = vectors.as_ref().map_or(0, |v| {
        v.len().checked_div(ids.length() as usize).unwrap_or(0)
    });
    (offsets[q] as usize..offsets[q + 1] as usize)
        .map(|i| HitOf {
            id: ids.get(i as u32).as_string().unwrap(),
            score: scores[i],
            distance: distances[i],
            metadata: (!metadata.is_undefined())
                .then(|| Array::from(&metadata).get(i as u32))
                .filter(|m| !m.is_null())
                .map(|m| json(&m)),
            vector: vectors.as_ref().map(|v| v[i * dim..(i + 1) * dim].to_vec()),
        })
        .collect()
}

/// Inserts the rows `from..to` of `data` (`dim` values each) into `name` in one packed
/// write, their ids `{prefix}{row}`.
pub async fn insert_rows(
    name: &str,
    data: &[f32],
    dim: usize,
    from: usize,
    to: usize,
    prefix: &str,
) {
    let ids: js_sys::Array = (from..to)
        .map(|i| JsValue::from(format!("{prefix}{i}")))
        .collect();
    let vectors = js_sys::Float32Array::from(&data[from * dim..to * dim]);
    let none = JsValue::UNDEFINED;
    ruvector_wasm::insert_packed(
        name.into(),
        none.clone(),
        vectors,
        ids.into(),
        none,
        JsValue::UNDEFINED,
        None,
    )
    .await
    .unwrap();
}
