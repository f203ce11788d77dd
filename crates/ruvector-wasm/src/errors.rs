//! Stable error codes: every error that crosses into JavaScript is `{ code, message }`, with
//! `code` from this list (documented in `docs/protocol.md`) and a message a user can act on.

use ruvector_core::storage::OpenError;
use ruvector_core::{
    BackendError, CompactError, CreateError, CreateStoreError, DeleteError, FilterError, GetError,
    InsertError, MetadataError, RecordError, SearchError, TextError, UpsertError, VectorError,
    WriteError,
};

/// An error as JavaScript sees it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ErrorInfo {
    /// A stable code from this module's list.
    pub code: &'static str,
    /// What went wrong and what to do.
    pub message: String,
}

impl ErrorInfo {
    /// An error with this code and message.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        ErrorInfo {
            code,
            message: message.into(),
        }
    }
}

/// The code of a vector problem.
pub fn vector_code(e: &VectorError) -> &'static str {
    match e {
        VectorError::DimensionMismatch { .. } => "DIMENSION_MISMATCH",
        VectorError::NonFinite { .. } => "NON_FINITE",
        VectorError::ZeroNorm => "ZERO_VECTOR",
    }
}

/// The code of a text problem: `NO_TEXT_INDEX` for a database without one, `TOO_LARGE` past
/// the size limit.
pub fn text_code(e: &TextError) -> &'static str {
    match e {
        TextError::Disabled => "NO_TEXT_INDEX",
        TextError::TooLong { .. } => "TOO_LARGE",
    }
}

/// The code of a metadata problem: `TOO_LARGE` past the size limit, else `INVALID_METADATA`.
pub fn metadata_code(e: &MetadataError) -> &'static str {
    match e {
        MetadataError::TooLarge => "TOO_LARGE",
        MetadataError::NotObject(_) | MetadataError::TooDeep => "INVALID_METADATA",
    }
}

impl From<InsertError> for ErrorInfo {
    fn from(e: InsertError) -> Self {
        let code = match &e {
            InsertError::Vector { source, .. } => vector_code(source),
            InsertError::Id { .. } => "INVALID_ID",
            InsertError::DuplicateId { .. } | InsertError::DuplicateInBatch { .. } => {
                "DUPLICATE_ID"
            }
            InsertError::Metadata { source, .. } => metadata_code(source),
            InsertError::Text { source, .. } => text_code(source),
            InsertError::Full { .. } => "FULL",
        };
        ErrorInfo::new(code, e.to_string())
    }
}

impl From<UpsertError> for ErrorInfo {
    fn from(e: UpsertError) -> Self {
        let code = match &e {
            UpsertError::Vector(v) => vector_code(v),
            UpsertError::Id(_) => "INVALID_ID",
            UpsertError::MissingVector(_) => "MISSING_VECTOR",
            UpsertError::Metadata(m) => metadata_code(m),
            UpsertError::Text(t) => text_code(t),
            UpsertError::Full { .. } => "FULL",
        };
        ErrorInfo::new(code, e.to_string())
    }
}

impl From<DeleteError> for ErrorInfo {
    fn from(e: DeleteError) -> Self {
        ErrorInfo::new("NOT_FOUND", e.to_string())
    }
}

impl From<SearchError> for ErrorInfo {
    fn from(e: SearchError) -> Self {
        let code = match &e {
            SearchError::Vector(v) => vector_code(v),
            SearchError::Filter(_) => "INVALID_FILTER",
            SearchError::K { .. } => "INVALID_K",
            SearchError::Ef { .. } => "INVALID_EF",
            SearchError::Get(g) => return g.clone().into(),
            SearchError::Text(t) => text_code(t),
            SearchError::Missing { .. } => "INVALID_QUERY",
        };
        ErrorInfo::new(code, e.to_string())
    }
}

impl From<GetError> for ErrorInfo {
    fn from(e: GetError) -> Self {
        match e {
            GetError::Storage { source, .. } => source.into(),
            GetError::InStorage(_) => ErrorInfo::new("STORAGE", e.to_string()),
        }
    }
}

impl From<FilterError> for ErrorInfo {
    fn from(e: FilterError) -> Self {
        ErrorInfo::new("INVALID_FILTER", e.to_string())
    }
}

impl From<CreateError> for ErrorInfo {
    fn from(e: CreateError) -> Self {
        ErrorInfo::new("INVALID_CONFIG", e.to_string())
    }
}

impl From<BackendError> for ErrorInfo {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::QuotaExceeded(_) => ErrorInfo::new("QUOTA_EXCEEDED", e.to_string()),
            BackendError::Failed(_) => ErrorInfo::new("STORAGE", e.to_string()),
        }
    }
}

impl From<OpenError> for ErrorInfo {
    fn from(e: OpenError) -> Self {
        match &e {
            OpenError::NotFound => ErrorInfo::new("NOT_FOUND", e.to_string()),
            OpenError::Record(RecordError::NewerFormat { .. }) => {
                ErrorInfo::new("NEWER_FORMAT", e.to_string())
            }
            OpenError::Record(r) if r.key().starts_with(ruvector_core::storage::LOG_PREFIX) => {
                ErrorInfo::new(
                    "CORRUPT",
                    format!("{e}; open with {{ recover: true }} to drop it and the log after it (the writes they hold are lost, and counted)"),
                )
            }
            OpenError::Record(_) => ErrorInfo::new("CORRUPT", e.to_string()),
            OpenError::Backend(b) => b.clone().into(),
        }
    }
}

impl From<CompactError> for ErrorInfo {
    fn from(e: CompactError) -> Self {
        match e {
            CompactError::Read(g) => g.into(),
            _ => ErrorInfo::new("INTERNAL", format!("compaction: {e}")),
        }
    }
}

impl From<CreateStoreError> for ErrorInfo {
    fn from(e: CreateStoreError) -> Self {
        match e {
            CreateStoreError::Config(c) => c.into(),
            CreateStoreError::Exists => ErrorInfo::new("ALREADY_EXISTS", e.to_string()),
            CreateStoreError::Backend(b) => b.into(),
        }
    }
}

impl<E: std::error::Error + Into<ErrorInfo> + 'static> From<WriteError<E>> for ErrorInfo {
    fn from(e: WriteError<E>) -> Self {
        match e {
            WriteError::Rejected(r) => r.into(),
            WriteError::Storage(b) => b.into(),
            WriteError::Reopen(_, o) => o.into(),
        }
    }
}

impl From<std::convert::Infallible> for ErrorInfo {
    fn from(e: std::convert::Infallible) -> Self {
        match e {}
    }
}
