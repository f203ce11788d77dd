//! Typed errors, one enum per operation. Every variant says what was wrong and what to do;
//! an operation that returns an error has changed nothing.

use crate::filter::FilterError;

/// A vector the collection cannot take.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VectorError {
    /// The vector's length differs from the collection's dimension.
    #[error("vector has {got} values but the collection has dimension {expected}")]
    DimensionMismatch {
        /// The collection's dimension.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A value is NaN or infinite.
    #[error("vector value at position {position} is NaN or infinite; every value must be finite")]
    NonFinite {
        /// Index of the first bad value.
        position: usize,
    },
    /// A zero vector has no direction, so it cannot be compared by cosine.
    #[error("a zero vector has no direction and cannot be used with the cosine metric")]
    ZeroNorm,
}

/// An id the collection cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The id is the empty string.
    #[error("id is empty; give a non-empty id or none to have one generated")]
    Empty,
    /// The id is longer than [`crate::MAX_ID_BYTES`].
    #[error("id is {len} bytes long; the limit is {max} bytes (UTF-8)")]
    TooLong {
        /// Its length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
}

/// Why a collection could not be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreateError {
    /// Dimension 0, or above [`crate::MAX_DIMENSIONS`].
    #[error("dimension {got} is out of range; use 1 to {max}")]
    Dimensions {
        /// The dimension asked for.
        got: usize,
        /// The largest supported.
        max: usize,
    },
    /// An HNSW parameter out of its range.
    #[error("HNSW parameter {name} = {got} is out of range {min}..={max}")]
    HnswParam {
        /// `m`, `ef_construction` or `ef_search`.
        name: &'static str,
        /// The value given.
        got: usize,
        /// Smallest allowed.
        min: usize,
        /// Largest allowed.
        max: usize,
    },
    /// int8 or binary quantisation asked for with a metric it cannot estimate.
    #[error("int8 and binary quantization need the cosine, dotproduct or euclidean metric, not {metric}")]
    Quantization {
        /// The collection's metric.
        metric: crate::Metric,
    },
}

/// Why an insert (single or batch) was refused. A batch is all or nothing: on error,
/// no item of it was inserted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InsertError {
    /// Item `item` has a bad vector.
    #[error("item {item}: {source}")]
    Vector {
        /// Index of the item in the batch (0 for a single insert).
        item: usize,
        /// What is wrong with it.
        source: VectorError,
    },
    /// Item `item` has a bad id.
    #[error("item {item}: {source}")]
    Id {
        /// Index of the item in the batch.
        item: usize,
        /// What is wrong with it.
        source: IdError,
    },
    /// The id is already in the collection; use `upsert` to replace it.
    #[error("item {item}: id {id:?} already exists; use upsert to replace it")]
    DuplicateId {
        /// Index of the item in the batch.
        item: usize,
        /// The id.
        id: String,
    },
    /// Two items of one batch have the same id.
    #[error("items {first} and {second} of the batch both have id {id:?}; ids in a batch must be distinct")]
    DuplicateInBatch {
        /// The id.
        id: String,
        /// The first item with it.
        first: usize,
        /// The second item with it.
        second: usize,
    },
    /// The item's metadata breaks a rule of [`crate::metadata`].
    #[error("item {item}: {source}")]
    Metadata {
        /// Index of the item in the batch.
        item: usize,
        /// What is wrong with it.
        source: MetadataError,
    },
    /// The item's text cannot be stored.
    #[error("item {item}: {source}")]
    Text {
        /// Index of the item in the batch.
        item: usize,
        /// What is wrong with it.
        source: TextError,
    },
    /// The collection holds the most vectors it can address.
    #[error("the collection is full ({max} vectors including deleted ones)")]
    Full {
        /// The limit.
        max: usize,
    },
}

/// Why a text (a record's, or a query's) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// The collection has no text index.
    #[error(
        "this database has no text index; open it with the text option to store and search text"
    )]
    Disabled,
    /// Longer than [`crate::text::MAX_TEXT_BYTES`].
    #[error("text is {bytes} bytes long; the limit is {max} bytes (UTF-8)")]
    TooLong {
        /// Its length in bytes.
        bytes: usize,
        /// The limit.
        max: usize,
    },
}

/// What is wrong with a metadata value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// Metadata must be a JSON object.
    #[error("metadata must be a JSON object, not {0}")]
    NotObject(&'static str),
    /// Nested deeper than [`crate::MAX_METADATA_DEPTH`].
    #[error(
        "metadata nests deeper than {} levels",
        crate::limits::MAX_METADATA_DEPTH
    )]
    TooDeep,
    /// Longer than [`crate::MAX_METADATA_BYTES`] as JSON text.
    #[error(
        "metadata is larger than {} bytes as JSON",
        crate::limits::MAX_METADATA_BYTES
    )]
    TooLarge,
}

/// Why an upsert was refused; the collection is unchanged.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UpsertError {
    /// The new vector is bad.
    #[error(transparent)]
    Vector(#[from] VectorError),
    /// The id is bad.
    #[error(transparent)]
    Id(#[from] IdError),
    /// The id is new, so a vector is needed to insert it.
    #[error("id {0:?} does not exist, so upsert needs a vector to insert it")]
    MissingVector(String),
    /// The metadata breaks a rule of [`crate::metadata`] (null clears it).
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// The text cannot be stored (null clears it).
    #[error(transparent)]
    Text(#[from] TextError),
    /// The collection holds the most vectors it can address.
    #[error("the collection is full ({max} vectors including deleted ones)")]
    Full {
        /// The limit.
        max: usize,
    },
}

/// Why a delete was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeleteError {
    /// No vector has this id.
    #[error("no vector has id {0:?}")]
    UnknownId(String),
}

/// Why a search was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SearchError {
    /// The query vector is bad.
    #[error("query: {0}")]
    Vector(#[from] VectorError),
    /// The filter does not parse.
    #[error("filter: {0}")]
    Filter(#[from] FilterError),
    /// `k` must be from 1 to [`crate::MAX_K`].
    #[error("k = {got} is out of range; use 1 to {max}")]
    K {
        /// The k given.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// `ef` must be from 1 to [`crate::MAX_EF`].
    #[error("ef = {got} is out of range; use 1 to {max}")]
    Ef {
        /// The ef given.
        got: usize,
        /// The limit.
        max: usize,
    },
    /// A vector asked for with `include_vectors` could not be read from storage.
    #[error(transparent)]
    Get(#[from] GetError),
    /// The query text cannot be searched.
    #[error("query text: {0}")]
    Text(#[from] TextError),
    /// The search mode needs a part of the query that is missing.
    #[error("{mode} search needs {needs}")]
    Missing {
        /// `text` or `hybrid`.
        mode: &'static str,
        /// What it needs: a query text, a query vector.
        needs: &'static str,
    },
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GetError {
    /// The vector is in storage, not in memory (a durable `quantization: int8` collection
    /// keeps only its codes): read it through `Database::get` or `Store::get`.
    #[error("the vector of {0:?} is in storage, not in memory; read it through the database")]
    InStorage(String),
    /// Storage could not give the vector back.
    #[error("reading the vector of {id:?} from storage: {source}")]
    Storage {
        /// The id asked for.
        id: String,
        /// What storage said.
        source: crate::storage::OpenError,
    },
}

/// Why int8 codes could not be retrained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RetrainError {
    /// Only an HNSW collection with `quantization: int8` or `binary` has codes to retrain.
    #[error("only an HNSW collection with quantization int8 or binary has codes to retrain")]
    NotQuantized,
    /// Codes are trained once the collection holds enough vectors; until then there is
    /// nothing to retrain.
    #[error("no codes yet: they are trained once the collection holds {min} vectors")]
    TooFew {
        /// Vectors needed.
        min: usize,
    },
    /// A stored vector could not be read back.
    #[error("reading the stored vectors: {0}")]
    Storage(#[from] crate::storage::OpenError),
}
