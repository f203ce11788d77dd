//! # ruvector-core
//!
//! The engine of ruvector-web: vectors with string ids and JSON metadata, compared by one of
//! four metrics with SIMD kernels that give the same bits on every build, searched exactly
//! (`flat`) or through our own HNSW graph, optionally under a Mongo-style metadata filter,
//! and persisted through a record format any backend can hold ([`Database`], [`Store`]).
//! It does no I/O and needs no JavaScript: the same crate runs in a browser worker
//! (wasm32 + SIMD128) and natively.
//!
//! ```
//! use ruvector_core::{Collection, CollectionConfig, Item, Metric, SearchQuery};
//!
//! let mut db = Collection::new(CollectionConfig::new(3).metric(Metric::Euclidean))?;
//! db.insert(Item::new("a", vec![0.0, 0.0, 1.0]))?;
//! db.insert(Item::new("b", vec![0.0, 1.0, 0.0]))?;
//! let res = db.search(&SearchQuery::new(&[0.0, 0.1, 0.9], 1))?;
//! assert_eq!(res.hits[0].id, "a");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod collection;
mod database;
pub mod distance;
mod error;
pub mod filter;
mod ids;
pub mod index;
mod limits;
pub mod metadata;
pub mod quantize;
pub mod recovery;
mod rng;
mod stats;
pub mod storage;
mod store;
pub mod text;
mod vectors;

pub use collection::{Collection, CollectionConfig, Item, ItemRef, StoredItem, Update, Upserted};
pub use collection::{
    Hit, HitScores, SearchMode, SearchQuery, SearchResults, EXACT_SCAN_SELECTIVITY,
    HYBRID_CANDIDATES, SELECTIVITY_SAMPLE,
};
pub use database::{
    CatchUp, Checkpoint, CheckpointPolicy, CompactError, Compaction, Database, PendingSearch,
    StorageStats, BULK_SLOTS, RESCORE_CANDIDATES,
};
pub use distance::{kernel_name, simd128_compiled, Metric, UnknownMetric};
pub use error::{
    CreateError, DeleteError, GetError, IdError, InsertError, MetadataError, RetrainError,
    SearchError, TextError, UpsertError, VectorError,
};
pub use filter::{Filter, FilterError};
pub use index::{HnswParams, IndexKind, SearchPath};
pub use limits::{
    MAX_DIMENSIONS, MAX_EF, MAX_ID_BYTES, MAX_K, MAX_METADATA_BYTES, MAX_METADATA_DEPTH,
};
pub use quantize::Quantization;
pub use rng::SplitMix64;
pub use stats::{MemoryUsage, Stats, TextStats};
#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
pub use storage::RedbBackend;
pub use storage::{
    Backend, BackendError, MemoryBackend, OpenError, RecordError, RecordSource, RecordWriter,
    WriteBatch,
};
pub use store::{CreateStoreError, ImportStoreError, Store, WriteError};
pub use text::{Fusion, Stemming, TextConfig};
pub use vectors::{Slot, VectorStore};
