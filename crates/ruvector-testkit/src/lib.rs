//! # ruvector-testkit
//!
//! What the tests and benchmarks of ruvector-web share and the shipped crates must not carry:
//! seeded data sets, exact ground truth and recall ([`dataset`]), and natively the data set
//! readers and hnsw_rs set up as our yardstick ([`native`]). A dev-dependency only.

pub mod dataset;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
