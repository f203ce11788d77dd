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
