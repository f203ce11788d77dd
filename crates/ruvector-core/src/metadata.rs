//! What a vector's metadata may be: a JSON object, at most [`MAX_METADATA_BYTES`] as JSON
//! text and nested at most [`MAX_METADATA_DEPTH`] deep. The limits keep one record small
//! enough to store and decode, and deep values from exhausting a stack (wasm has 1 MiB).

use std::sync::OnceLock;

use serde_json::Value;

use crate::error::MetadataError;
use crate::limits::{MAX_METADATA_BYTES, MAX_METADATA_DEPTH};

/// The JSON type of `v`, for error messages.
pub(crate) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Checks `m` against the rules above.
pub fn check(m: &Value) -> Result<(), MetadataError> {
    to_text(m).map(drop)
}

/// `m` as compact JSON text, once checked against the rules above.
fn to_text(m: &Value) -> Result<Box<str>, MetadataError> {
    if !m.is_object() {
        return Err(MetadataError::NotObject(json_kind(m)));
    }
    // Depth without recursion: the value may be as deep as its producer made it.
    let mut stack = vec![(m, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        if depth > MAX_METADATA_DEPTH && (v.is_object() || v.is_array()) {
            return Err(MetadataError::TooDeep);
        }
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, depth + 1))),
            Value::Object(o) => stack.extend(o.values().map(|x| (x, depth + 1))),
            _ => {}
        }
    }
    let mut out = Limited(Vec::new());
    if serde_json::to_writer(&mut out, m).is_err() {
        return Err(MetadataError::TooLarge);
    }
    // serde_json writes UTF-8; the fallback is unreachable, never a panic.
    Ok(String::from_utf8(out.0)
        .unwrap_or_default()
        .into_boxed_str())
}

/// Collects bytes written and refuses once past the limit, so a huge value is not
/// serialised in full just to be refused.
struct Limited(Vec<u8>);

impl std::io::Write for Limited {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_METADATA_BYTES {
            return Err(std::io::Error::other("too large"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One slot's metadata: its compact JSON text (what meta pages store, and what opening a
/// database restores) and its value, parsed the first time a filter, a read or a search
/// result needs it. An open then does not parse every object (20k small ones take ~20 ms in
/// a fresh worker), and a collection never filtered holds text only.
#[derive(Debug)]
pub(crate) struct Meta {
    text: Box<str>,
    value: OnceLock<Value>,
}

impl Meta {
    /// Metadata given by a caller, checked against the rules above. The value is not kept:
    /// like stored metadata, it is parsed back from the text when first needed.
    pub(crate) fn new(m: &Value) -> Result<Meta, MetadataError> {
        Ok(Meta::from_text(to_text(m)?))
    }

    /// Metadata read from storage: checked to be JSON text without building its value.
    pub(crate) fn stored(bytes: Vec<u8>) -> Result<Meta, String> {
        let text = String::from_utf8(bytes).map_err(|e| e.to_string())?;
        serde_json::from_str::<serde::de::IgnoredAny>(&text).map_err(|e| e.to_string())?;
        Ok(Meta::from_text(text.into_boxed_str()))
    }

    fn from_text(text: Box<str>) -> Meta {
        Meta {
            text,
            value: OnceLock::new(),
        }
    }

    /// The JSON text.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// The value, and the bytes it took to parse it now (0 when it already was).
    pub(crate) fn value(&self) -> (&Value, usize) {
        let mut parsed = 0;
        let v = self.value.get_or_init(|| {
            // Checked JSON when it was stored: the fallback is unreachable, never a panic.
            let v = serde_json::from_str(&self.text).unwrap_or(Value::Null);
            parsed = json_bytes(&v);
            v
        });
        (v, parsed)
    }

    /// Bytes it holds besides its parsed value: itself (boxed) and its text.
    pub(crate) fn held_bytes(&self) -> usize {
        std::mem::size_of::<Meta>() + self.text.len()
    }

    /// Bytes its parsed value holds (0 until parsed).
    pub(crate) fn parsed_bytes(&self) -> usize {
        self.value.get().map_or(0, json_bytes)
    }
}

/// Bytes a metadata value holds in memory, roughly: the values, strings and object keys.
pub(crate) fn json_bytes(v: &Value) -> usize {
    std::mem::size_of::<Value>()
        + match v {
            Value::String(s) => s.len(),
            Value::Array(a) => a.iter().map(json_bytes).sum(),
            Value::Object(o) => o.iter().map(|(k, v)| k.len() + 24 + json_bytes(v)).sum(),
            _ => 0,
        }
}
