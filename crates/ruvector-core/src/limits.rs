//! The limits of what the engine accepts: a leaf module every other may use, so that an
//! error message and the check it reports on read the same number.

/// The largest dimension a collection accepts.
pub const MAX_DIMENSIONS: usize = 16_384;
/// The longest id accepted, in UTF-8 bytes.
pub const MAX_ID_BYTES: usize = 512;
/// The largest metadata, as compact JSON text.
pub const MAX_METADATA_BYTES: usize = 64 * 1024;
/// The deepest nesting of objects and arrays in metadata (the object itself is depth 1).
pub const MAX_METADATA_DEPTH: usize = 32;
/// The largest `k` a search accepts.
pub const MAX_K: usize = 10_000;
/// The largest `ef` a search (or `efConstruction`) accepts.
pub const MAX_EF: usize = 10_000;
