//! # ruvector-wasm
//!
//! ruvector-web in the browser. The functions exported here are what `worker/worker.js`
//! calls: every one takes a database name (no handle to free), plain data in
//! (`Float32Array` for vectors, plain objects for options and metadata) and plain data out,
//! and rejects with `{ code, message }` (codes in [`errors`]). Databases persist in IndexedDB
//! in the record format of `ruvector_core::storage`. [`MemoryCollection`] is a synchronous,
//! in-memory class usable in any thread.

pub mod errors;
pub mod protocol;

#[cfg(target_arch = "wasm32")]
pub mod engine;
#[cfg(target_arch = "wasm32")]
mod js;
#[cfg(target_arch = "wasm32")]
pub use js::*;

/// This crate's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
