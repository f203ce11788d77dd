//! What can go wrong in storage: a backend that fails, a record that cannot be used, a
//! database that cannot be opened. A leaf module: the engine's own errors wrap these.

/// A backend failure, with the backend's own words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The storage quota is full; nothing of the batch was written.
    #[error("storage quota exceeded: {0}")]
    QuotaExceeded(String),
    /// Any other failure of the backend; nothing of the batch was written.
    #[error("storage backend failed: {0}")]
    Failed(String),
}

/// An [`OpenError`] for the record at `key`, damaged in the way `what` says.
pub(crate) fn corrupt(key: &str, what: impl Into<String>) -> OpenError {
    OpenError::Record(RecordError::Corrupt {
        key: key.to_owned(),
        what: what.into(),
    })
}

/// A stored record that cannot be used, named by its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// Damaged: bad checksum, wrong length, truncated or inconsistent content.
    #[error("record {key:?} is corrupt: {what}")]
    Corrupt {
        /// The record's key.
        key: String,
        /// What is wrong.
        what: String,
    },
    /// A record the manifest or the log sequence needs is not there.
    #[error("record {key:?} is missing")]
    Missing {
        /// The key that should exist.
        key: String,
    },
    /// Written by a newer version of ruvector; upgrade to open it.
    #[error("record {key:?} has format version {found}; this build reads up to {supported}: upgrade ruvector to open it")]
    NewerFormat {
        /// The record's key.
        key: String,
        /// Its version.
        found: u16,
        /// The newest this build reads.
        supported: u16,
    },
}

impl RecordError {
    /// The key of the record at fault.
    pub fn key(&self) -> &str {
        match self {
            RecordError::Corrupt { key, .. }
            | RecordError::Missing { key }
            | RecordError::NewerFormat { key, .. } => key,
        }
    }
}

/// Why a database could not be opened.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OpenError {
    /// There is no manifest: nothing was ever created here.
    #[error("no database here (no manifest record)")]
    NotFound,
    /// A record is damaged, missing or too new.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The backend failed while reading.
    #[error(transparent)]
    Backend(#[from] BackendError),
}
