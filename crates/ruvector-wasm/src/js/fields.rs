//! Options objects read field by field: `search`, `open` and `import` options. A few calls
//! into JavaScript instead of `JSON.stringify` and a generic parser, which cost more than the
//! search itself at small `ef`, and about 4 KB of gzipped wasm. Unknown fields are refused,
//! so a misspelt option is an error, not a silent default.

use js_sys::{Object, Reflect};
use ruvector_core::{Fusion, IndexKind, Metric, Quantization, SearchMode, Stemming, TextConfig};
use wasm_bindgen::prelude::*;

use super::convert::json_value;
use crate::errors::ErrorInfo;
use crate::protocol::{
    bad_argument, CheckpointOptions, Durability, EmbedderOption, HnswOptions, ImportOptions,
    OpenOptions, SearchOptions, MAX_FILTER_BYTES,
};

/// The fields of an options object named `what` (for errors), all of them among `known`.
pub(super) struct Fields {
    what: String,
    object: JsValue,
}

impl Fields {
    /// `None` for `undefined` or `null` (every default); `BAD_ARGUMENT` for something that is
    /// not a plain object, or an own enumerable key not in `known`.
    pub fn of(what: &str, v: JsValue, known: &[&str]) -> Result<Option<Self>, ErrorInfo> {
        if v.is_undefined() || v.is_null() {
            return Ok(None);
        }
        if !v.is_object() || js_sys::Array::is_array(&v) {
            return Err(bad_argument(what, "expected an object"));
        }
        for key in Object::keys(v.unchecked_ref::<Object>()).iter() {
            let key = key.as_string().unwrap_or_default();
            if !known.contains(&key.as_str()) {
                let expected = known.join(", ");
                return Err(bad_argument(
                    what,
                    format!("unknown field `{key}`; expected one of {expected}"),
                ));
            }
        }
        let what = what.to_owned();
        Ok(Some(Fields { what, object: v }))
    }

    /// The value of `key`; `None` when absent or `null`.
    pub fn get(&self, key: &str) -> Option<JsValue> {
        let v = Reflect::get(&self.object, &JsValue::from_str(key)).ok()?;
        (!v.is_undefined() && !v.is_null()).then_some(v)
    }

    fn refuse(&self, key: &str, expected: &str) -> ErrorInfo {
        bad_argument(&format!("{}.{key}", self.what), expected)
    }

    /// `key` as a whole number from 0 to `max`.
    pub fn whole(&self, key: &str, max: f64) -> Result<Option<f64>, ErrorInfo> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.as_f64() {
            Some(n) if (0.0..=max).contains(&n) && n.fract() == 0.0 => Ok(Some(n)),
            _ => Err(self.refuse(key, &format!("expected a whole number from 0 to {max}"))),
        }
    }

    /// `key` as a count (a whole number of at most `u32::MAX`).
    pub fn count(&self, key: &str) -> Result<Option<usize>, ErrorInfo> {
        Ok(self.whole(key, u32::MAX as f64)?.map(|n| n as usize))
    }

    /// `key` as a boolean.
    pub fn flag(&self, key: &str) -> Result<Option<bool>, ErrorInfo> {
        self.get(key)
            .map(|v| {
                v.as_bool()
                    .ok_or_else(|| self.refuse(key, "expected true or false"))
            })
            .transpose()
    }

    /// `key` as one of `choices`, by name.
    pub fn choice<T: Copy>(
        &self,
        key: &str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, ErrorInfo> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let name = v.as_string().unwrap_or_default();
        match choices.iter().find(|(n, _)| *n == name) {
            Some(&(_, t)) => Ok(Some(t)),
            None => {
                let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
                Err(self.refuse(key, &format!("expected one of {}", names.join(", "))))
            }
        }
    }

    /// `key` as a nested options object whose fields are among `known`.
    pub fn object(&self, key: &str, known: &[&str]) -> Result<Option<Fields>, ErrorInfo> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => Fields::of(&format!("{}.{key}", self.what), v, known),
        }
    }
    /// `key` as a finite number of at least 0.
    pub fn weight(&self, key: &str) -> Result<Option<f32>, ErrorInfo> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        match v.as_f64() {
            Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n as f32)),
            _ => Err(self.refuse(key, "expected a finite number of at least 0")),
        }
    }
}

/// `fusion: { method: 'rrf', rankConstant = 60 } | { method: 'weighted', text = 0.5,
/// vector = 0.5 }`.
fn fusion(f: &Fields) -> Result<Option<Fusion>, ErrorInfo> {
    let known = ["method", "rankConstant", "text", "vector"];
    let Some(u) = f.object("fusion", &known)? else {
        return Ok(None);
    };
    let method = u.choice("method", &[("rrf", true), ("weighted", false)])?;
    let rrf = method.ok_or_else(|| u.refuse("method", "expected 'rrf' or 'weighted'"))?;
    let extra = |k: &str| match u.get(k) {
        Some(_) => Err(u.refuse(k, "not an option of this method")),
        None => Ok(()),
    };
    if rrf {
        extra("text")?;
        extra("vector")?;
        let rank_constant = u.whole("rankConstant", 1e6)?.map_or(60, |n| n as u32);
        return Ok(Some(Fusion::Rrf { rank_constant }));
    }
    extra("rankConstant")?;
    Ok(Some(Fusion::Weighted {
        text: u.weight("text")?.unwrap_or(0.5),
        vector: u.weight("vector")?.unwrap_or(0.5),
    }))
}

/// `search` options: `{ k = 10, ef, filter, includeMetadata, includeVectors, includeText,
/// rescore, mode, fusion }`.
pub(super) fn search_options(v: JsValue) -> Result<SearchOptions, ErrorInfo> {
    const KNOWN: [&str; 9] = [
        "k",
        "ef",
        "filter",
        "includeMetadata",
        "includeVectors",
        "includeText",
        "rescore",
        "mode",
        "fusion",
    ];
    let mut o = SearchOptions::default();
    let Some(f) = Fields::of("options", v, &KNOWN)? else {
        return Ok(o);
    };
    o.k = f.count("k")?.unwrap_or(o.k);
    o.ef = f.count("ef")?;
    if let Some(filter) = f.get("filter") {
        o.filter = json_value("options.filter", &filter, MAX_FILTER_BYTES)?;
    }
    o.include_metadata = f.flag("includeMetadata")?.unwrap_or(false);
    o.include_vectors = f.flag("includeVectors")?.unwrap_or(false);
    o.rescore = f.flag("rescore")?.unwrap_or(false);
    o.include_text = f.flag("includeText")?.unwrap_or(false);
    o.mode = f.choice(
        "mode",
        &[
            ("vector", SearchMode::Vector),
            ("text", SearchMode::Text),
            ("hybrid", SearchMode::Hybrid),
        ],
    )?;
    o.fusion = fusion(&f)?.unwrap_or_default();
    Ok(o)
}

/// `embedder: url | { name, dimensions }`.
fn embedder(f: &Fields) -> Result<Option<EmbedderOption>, ErrorInfo> {
    let Some(v) = f.get("embedder") else {
        return Ok(None);
    };
    if let Some(url) = v.as_string() {
        return Ok(Some(EmbedderOption::Module(url)));
    }
    let Some(e) = f.object("embedder", &["name", "dimensions"])? else {
        return Ok(None);
    };
    let name = e.get("name").and_then(|n| n.as_string());
    let name = name.ok_or_else(|| e.refuse("name", "expected a string"))?;
    let dimensions = e.count("dimensions")?.filter(|&d| d > 0);
    let dimensions =
        dimensions.ok_or_else(|| e.refuse("dimensions", "expected a positive whole number"))?;
    Ok(Some(EmbedderOption::Page { name, dimensions }))
}

/// `text: true | { stem: 'english' | false, fold = true, stopWords = false }` (`false`: no
/// text index asked for; `true`: one, with the default settings if it is made).
fn text(f: &Fields) -> Result<Option<TextConfig>, ErrorInfo> {
    let Some(v) = f.get("text") else {
        return Ok(None);
    };
    if let Some(b) = v.as_bool() {
        return Ok(b.then(TextConfig::default));
    }
    let Some(t) = f.object("text", &["stem", "fold", "stopWords"])? else {
        return Ok(None);
    };
    let d = TextConfig::default();
    let stem = match t.get("stem") {
        None => d.stem,
        Some(s) if s.as_bool() == Some(false) => Stemming::None,
        Some(s) if s.as_string().as_deref() == Some("english") => Stemming::English,
        Some(_) => return Err(t.refuse("stem", "expected 'english' or false")),
    };
    Ok(Some(TextConfig {
        stem,
        fold: t.flag("fold")?.unwrap_or(d.fold),
        stop_words: t.flag("stopWords")?.unwrap_or(d.stop_words),
    }))
}

const DURABILITY: [(&str, Durability); 2] = [
    ("strict", Durability::Strict),
    ("relaxed", Durability::Relaxed),
];

/// `checkpoint: { maxLogRecords, maxLogBytes }`.
fn checkpoint(f: &Fields) -> Result<Option<CheckpointOptions>, ErrorInfo> {
    let Some(c) = f.object("checkpoint", &["maxLogRecords", "maxLogBytes"])? else {
        return Ok(None);
    };
    Ok(Some(CheckpointOptions {
        max_log_records: c.count("maxLogRecords")?,
        max_log_bytes: c.count("maxLogBytes")?,
    }))
}

/// `open` options (docs/protocol.md). Any error is `INVALID_CONFIG`: the engine cannot use
/// what was asked, like a missing `dimensions`.
pub(super) fn open_options(v: JsValue) -> Result<OpenOptions, ErrorInfo> {
    const KNOWN: [&str; 14] = [
        "compaction",
        "text",
        "embedder",
        "embedTimeoutMs",
        "dimensions",
        "metric",
        "index",
        "hnsw",
        "quantization",
        "durability",
        "checkpoint",
        "simd",
        "persist",
        "recover",
    ];
    let read = || -> Result<OpenOptions, ErrorInfo> {
        let Some(f) = Fields::of("options", v, &KNOWN)? else {
            return Ok(OpenOptions::default());
        };
        let metrics = Metric::ALL.map(|m| (m.name(), m));
        let hnsw = f.object("hnsw", &["m", "efConstruction", "efSearch", "seed"])?;
        Ok(OpenOptions {
            dimensions: f.count("dimensions")?,
            metric: f.choice("metric", &metrics)?,
            index: f.choice(
                "index",
                &[("flat", IndexKind::Flat), ("hnsw", IndexKind::Hnsw)],
            )?,
            hnsw: match hnsw {
                None => None,
                Some(h) => Some(HnswOptions {
                    m: h.count("m")?,
                    ef_construction: h.count("efConstruction")?,
                    ef_search: h.count("efSearch")?,
                    seed: h.whole("seed", 2f64.powi(53))?.map(|s| s as u64),
                }),
            },
            quantization: f.choice(
                "quantization",
                &[
                    ("none", Quantization::None),
                    ("int8", Quantization::Int8),
                    ("binary", Quantization::Binary),
                ],
            )?,
            durability: f.choice("durability", &DURABILITY)?,
            checkpoint: checkpoint(&f)?,
            simd: f.flag("simd")?,
            persist: f.flag("persist")?,
            recover: f.flag("recover")?,
            text: text(&f)?,
            text_settings: f.get("text").is_some_and(|t| t.is_object()),
            embedder: embedder(&f)?,
            compaction: f.choice("compaction", &[("auto", true), ("manual", false)])?,
            embed_timeout_ms: match f.whole("embedTimeoutMs", 3.6e6)? {
                Some(ms) if ms < 1.0 => {
                    return Err(f.refuse("embedTimeoutMs", "expected at least 1 (ms)"))
                }
                ms => ms,
            },
        })
    };
    read().map_err(|e| ErrorInfo {
        code: "INVALID_CONFIG",
        ..e
    })
}

/// `import` options: `{ durability, checkpoint, replace }`.
pub(super) fn import_options(v: JsValue) -> Result<ImportOptions, ErrorInfo> {
    let Some(f) = Fields::of("options", v, &["durability", "checkpoint", "replace"])? else {
        return Ok(ImportOptions::default());
    };
    Ok(ImportOptions {
        durability: f.choice("durability", &DURABILITY)?,
        checkpoint: checkpoint(&f)?,
        replace: f.flag("replace")?,
    })
}
