//! # ruvector-wasm
//!
//! ruvector-web in the browser. `worker/worker.js` calls one function, [`call`], with an
//! operation, its arguments (a database name, `Float32Array`s for vectors, plain objects for
//! options and metadata) and the request id; it resolves to plain data or rejects with
//! `{ code, message }` (codes in [`errors`]). The `js` module converts between JavaScript
//! values and Rust types; [`engine`] owns each open database's lifecycle and its storage
//! (IndexedDB in the record format of `ruvector_core::storage`, or in Node the same records in
//! the host's files; the OPFS page cache, Web Locks, BroadcastChannel). [`MemoryCollection`] is a synchronous, in-memory class
//! usable in any thread (the compat drop-in).

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
