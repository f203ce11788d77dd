//! What a vector's metadata may be: a JSON object, at most [`MAX_METADATA_BYTES`] as JSON
//! text and nested at most [`MAX_METADATA_DEPTH`] deep. The limits keep one record small
//! enough to store and decode, and deep values from exhausting a stack (wasm has 1 MiB).

use serde_json::Value;

use crate::error::MetadataError;

/// The largest metadata, as compact JSON text.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;
/// The deepest nesting of objects and arrays in metadata (the object itself is depth 1).
pub const MAX_METADATA_DEPTH: usize = 32;

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
    let mut counter = Counter(0);
    if serde_json::to_writer(&mut counter, m).is_err() {
        return Err(MetadataError::TooLarge);
    }
    Ok(())
}

/// Counts bytes written and refuses once past the limit, so a huge value is not
/// serialised in full just to be refused.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        if self.0 > MAX_METADATA_BYTES {
            return Err(std::io::Error::other("too large"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
