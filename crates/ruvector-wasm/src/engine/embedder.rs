//! An embedder run inside the worker: a module, loaded by URL at `open`, that exports
//! `dimensions` and `embed(texts) → Promise<vectors>` (or a default export holding them). Its
//! output is checked (one vector a text, each of the database's dimension, every value
//! finite) before anything is written; a throw, a wrong answer or no answer within the
//! timeout is `EMBEDDER_FAILED`.

use js_sys::{Array, Function, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::errors::ErrorInfo;

#[wasm_bindgen(inline_js = "
export async function loadEmbedder(url) {
  const m = await import(url);
  const e = m.default && typeof m.default.embed === 'function' ? m.default : m;
  if (typeof e.embed !== 'function') throw new Error('the module exports no embed function');
  const name = typeof e.name === 'string' && e.name ? e.name : url;
  return { name, dimensions: e.dimensions, embed: (texts) => e.embed(texts) };
}
export function embedWithin(embed, texts, ms) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  const asked = Promise.resolve().then(() => embed(texts));
  return Promise.race([asked, late]).finally(() => clearTimeout(timer));
}")]
extern "C" {
    #[wasm_bindgen(js_name = loadEmbedder, catch)]
    fn load_embedder(url: &str) -> Result<js_sys::Promise, JsValue>;
    #[wasm_bindgen(js_name = embedWithin)]
    fn embed_within(embed: &Function, texts: &Array, ms: f64) -> js_sys::Promise;
}

/// How long one `embed` call may take unless `open` says otherwise.
pub const EMBED_TIMEOUT_MS: f64 = 30_000.0;
/// Texts given to one `embed` call at most (an `insertMany` of texts alone is embedded in
/// batches of this many).
pub const EMBED_BATCH: usize = 64;

/// A loaded embedder module.
#[derive(Debug)]
pub struct Embedder {
    /// Its `name` export, or its URL.
    pub name: String,
    /// The dimension of its vectors.
    pub dimensions: usize,
    embed: Function,
    timeout_ms: f64,
}

fn failed(message: impl std::fmt::Display) -> ErrorInfo {
    ErrorInfo::new("EMBEDDER_FAILED", format!("embedder: {message}"))
}

/// The message of a JavaScript error (or the value itself).
fn message_of(e: &JsValue) -> String {
    Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_else(|| format!("{e:?}"))
}

impl Embedder {
    /// Loads the module at `url` (`EMBEDDER_FAILED` when it cannot be imported or exports no
    /// `embed`; `INVALID_CONFIG` when its `dimensions` is not a positive whole number).
    pub async fn load(url: &str, timeout_ms: Option<f64>) -> Result<Embedder, ErrorInfo> {
        let promise = load_embedder(url).map_err(|e| failed(message_of(&e)))?;
        let loaded = JsFuture::from(promise)
            .await
            .map_err(|e| failed(format!("loading {url}: {}", message_of(&e))))?;
        let get = |k: &str| Reflect::get(&loaded, &k.into()).unwrap_or(JsValue::UNDEFINED);
        let dimensions = match get("dimensions").as_f64() {
            Some(d) if d >= 1.0 && d.fract() == 0.0 => d as usize,
            _ => {
                let message = format!("the embedder {url} exports no whole positive `dimensions`");
                return Err(ErrorInfo::new("INVALID_CONFIG", message));
            }
        };
        Ok(Embedder {
            name: get("name").as_string().unwrap_or_else(|| url.to_owned()),
            dimensions,
            embed: get("embed").unchecked_into(),
            timeout_ms: timeout_ms.unwrap_or(EMBED_TIMEOUT_MS),
        })
    }

    /// The vectors of `texts`, back to back (`texts.len() · dimensions` values), checked.
    /// Asked [`EMBED_BATCH`] texts at a time.
    pub async fn embed(&self, texts: &[&str]) -> Result<Vec<f32>, ErrorInfo> {
        let mut out = Vec::with_capacity(texts.len() * self.dimensions);
        for (b, batch) in texts.chunks(EMBED_BATCH).enumerate() {
            let list: Array = batch.iter().map(|t| JsValue::from_str(t)).collect();
            let answer = JsFuture::from(embed_within(&self.embed, &list, self.timeout_ms))
                .await
                .map_err(|e| failed(message_of(&e)))?;
            let vectors = answer
                .dyn_into::<Array>()
                .map_err(|_| failed("embed() did not return an array of vectors"))?;
            if vectors.length() as usize != batch.len() {
                let n = vectors.length();
                return Err(failed(format!("{n} vectors for {} texts", batch.len())));
            }
            for (i, v) in vectors.iter().enumerate() {
                let at = b * EMBED_BATCH + i;
                self.check_into(&v, at, &mut out)?;
            }
        }
        Ok(out)
    }

    /// Appends vector `v` (the answer for text `at`) to `out` once it is an array of
    /// `dimensions` finite numbers.
    fn check_into(&self, v: &JsValue, at: usize, out: &mut Vec<f32>) -> Result<(), ErrorInfo> {
        let values: Vec<f32> = if let Some(f) = v.dyn_ref::<js_sys::Float32Array>() {
            f.to_vec()
        } else if let Some(a) = v.dyn_ref::<Array>() {
            a.iter()
                .map(|x| x.as_f64().unwrap_or(f64::NAN) as f32)
                .collect()
        } else if v.is_object() && js_sys::ArrayBuffer::is_view(v) {
            let a = Array::from(v.unchecked_ref::<Object>());
            a.iter()
                .map(|x| x.as_f64().unwrap_or(f64::NAN) as f32)
                .collect()
        } else {
            return Err(failed(format!("vector {at} is not an array of numbers")));
        };
        if values.len() != self.dimensions {
            let (n, d) = (values.len(), self.dimensions);
            return Err(failed(format!("vector {at} has {n} values, not {d}")));
        }
        if let Some(p) = values.iter().position(|x| !x.is_finite()) {
            return Err(failed(format!("vector {at} has NaN or infinity at {p}")));
        }
        out.extend_from_slice(&values);
        Ok(())
    }
}
