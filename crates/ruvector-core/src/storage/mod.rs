//! Durable storage. The engine does no I/O: every committed change comes out of a
//! [`crate::Database`] as one [`WriteBatch`], which a backend must apply atomically and
//! durably before the change is acknowledged. `open` rebuilds the engine from the records
//! without recomputing a single distance. The format is written down in `docs/format.md`.
//!
//! ## The storage contract
//! A backend is a map from string keys to byte values. Reading and writing are two
//! contracts, because some readers cannot write (records read ahead of an open, a recovery
//! view):
//! * [`RecordSource`]: `get(key)`, the value or `None`; `keys(prefix)`, the keys starting
//!   with `prefix`, in byte order. A store whose reads are asynchronous (IndexedDB) reads
//!   the key ranges of a [`ReadPlan`] ahead, then serves these from memory.
//! * [`RecordWriter`]: `write(batch)`, apply every put and delete of the batch, or none;
//!   once it returns `Ok`, the batch survives a crash of the process.
//!
//! A [`Backend`] is both.
//!
//! [`MemoryBackend`] (a `DashMap`; the default) and, natively, `RedbBackend` (one redb
//! write transaction per batch) implement it; the browser's IndexedDB backend lives in
//! `ruvector-wasm` and writes the same records.

pub mod codec;
mod error;
pub mod export;
pub mod memory;
mod plan;
pub mod records;
#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
pub mod redb;
pub mod text_pages;
pub(crate) mod vector_pages;

pub(crate) use error::corrupt;
pub use error::{BackendError, OpenError, RecordError};
pub use memory::MemoryBackend;
pub use plan::{KeyRange, ReadPlan};
#[cfg(all(feature = "native", not(target_arch = "wasm32")))]
pub use redb::RedbBackend;

/// The key of the manifest.
pub const MANIFEST_KEY: &str = "manifest";
/// Prefix of log records: `log/<seq, 20 digits>`.
pub const LOG_PREFIX: &str = "log/";

/// The key of the log record with sequence number `seq`.
pub fn log_key(seq: u64) -> String {
    format!("{LOG_PREFIX}{seq:020}")
}

/// The sequence number in a log record's key; `None` for any other key.
pub fn log_seq(key: &str) -> Option<u64> {
    key.strip_prefix(LOG_PREFIX)?.parse().ok()
}

/// The page kinds: four cover a fixed range of slots each, text pages a bucket of terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PageKind {
    /// Vectors and cosine norms: [`VECTOR_PAGE_SLOTS`] slots per page.
    Vectors,
    /// HNSW levels and links: [`GRAPH_PAGE_SLOTS`] slots per page.
    Graph,
    /// Ids, live flags and metadata: [`META_PAGE_SLOTS`] slots per page.
    Meta,
    /// Int8 codes, residuals and norms (`quantization: int8 | binary`; format version 2):
    /// [`VECTOR_PAGE_SLOTS`] slots per page, page for page beside the vector pages.
    Codes,
    /// One bucket of the text index's terms with their postings (format version 4): page
    /// `b` holds the terms whose hash falls in bucket `b`, not a range of slots.
    Text,
}

/// Slots per vector page (384-d: 384 KiB per page).
pub const VECTOR_PAGE_SLOTS: u32 = 256;
/// Slots per graph page (m = 16: about 17 KiB per page).
pub const GRAPH_PAGE_SLOTS: u32 = 128;
/// Slots per metadata page.
pub const META_PAGE_SLOTS: u32 = 256;

impl PageKind {
    /// Slots per page of this kind.
    pub fn slots(self) -> u32 {
        match self {
            PageKind::Vectors => VECTOR_PAGE_SLOTS,
            PageKind::Graph => GRAPH_PAGE_SLOTS,
            PageKind::Meta => META_PAGE_SLOTS,
            PageKind::Codes => VECTOR_PAGE_SLOTS,
            // Buckets are not slot ranges; one bucket, one page.
            PageKind::Text => 1,
        }
    }

    /// The key prefix of this kind's pages.
    pub fn prefix(self) -> &'static str {
        match self {
            PageKind::Vectors => "vec/",
            PageKind::Graph => "graph/",
            PageKind::Meta => "meta/",
            PageKind::Codes => "i8/",
            PageKind::Text => "txt/",
        }
    }

    /// The key of page `page` written in generation `gen`.
    pub fn key(self, page: u32, gen: u64) -> String {
        format!("{}{page:010}/{gen:020}", self.prefix())
    }
}

/// A page as a manifest names it: kind, number and generation, which make its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRef {
    /// What the page holds.
    pub kind: PageKind,
    /// Its number (slots `page × kind.slots() ..`).
    pub page: u32,
    /// The generation its current record was written with.
    pub gen: u64,
}

impl PageRef {
    /// The key of the page's record.
    pub fn key(self) -> String {
        self.kind.key(self.page, self.gen)
    }
}

/// One atomic write: every put and delete, or none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriteBatch {
    /// The sequence number of the change it commits (a checkpoint carries the last one).
    pub seq: u64,
    /// Remove every record first (replacing a whole database by an import).
    pub clear: bool,
    /// Keys to set.
    pub puts: Vec<(String, Vec<u8>)>,
    /// Keys to remove.
    pub deletes: Vec<String>,
}

impl WriteBatch {
    /// Bytes of keys and values it puts.
    pub fn bytes(&self) -> usize {
        self.puts.iter().map(|(k, v)| k.len() + v.len()).sum()
    }

    /// Folds `other` in after this batch (group commit): its puts and deletes win, and
    /// if it clears, nothing of this batch is left but the clearing.
    pub fn append(&mut self, other: WriteBatch) {
        if other.clear {
            *self = other;
            return;
        }
        self.seq = self.seq.max(other.seq);
        self.deletes
            .retain(|d| !other.puts.iter().any(|(k, _)| k == d));
        self.puts.retain(|(k, _)| !other.deletes.contains(k));
        self.puts.extend(other.puts);
        self.deletes.extend(other.deletes);
    }
}

/// Where records are read from: a backend, or records read ahead of an open (the browser
/// reads what a [`ReadPlan`] names in one transaction and hands the records over).
pub trait RecordSource {
    /// The value at `key`.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError>;
    /// Keys starting with `prefix`, in byte order.
    fn keys(&self, prefix: &str) -> Result<Vec<String>, BackendError>;
}

/// Where committed batches go.
pub trait RecordWriter {
    /// Applies every put and delete of `batch` (after removing every record if it
    /// clears), or none; durable once it returns `Ok`.
    fn write(&self, batch: &WriteBatch) -> Result<(), BackendError>;
}

/// A store that reads and writes records: what [`crate::Store`] runs on. Every type that
/// is both a [`RecordSource`] and a [`RecordWriter`] is one.
pub trait Backend: RecordSource + RecordWriter {}

impl<T: RecordSource + RecordWriter + ?Sized> Backend for T {}
