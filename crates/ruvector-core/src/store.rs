//! [`Store`]: a [`Database`] driven against a synchronous [`Backend`]: each write is
//! applied, written as one batch, and only then acknowledged; checkpoints follow the
//! policy. Once a write returns `Ok`, it survives a crash of the process.

use serde_json::Value;

use crate::collection::{
    Collection, CollectionConfig, Item, SearchQuery, SearchResults, StoredItem, Update, Upserted,
};
use crate::database::Database;
use crate::error::{
    CreateError, DeleteError, GetError, InsertError, RetrainError, SearchError, UpsertError,
};
use crate::storage::export::{import_batch, is_empty, read_export, write_export, ImportError};
use crate::storage::{Backend, BackendError, OpenError, WriteBatch};
use crate::text::TextConfig;

/// A write refused by the engine or by storage. Either way nothing changed: after a
/// storage failure the store reopens itself from what was persisted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WriteError<E: std::error::Error + 'static> {
    /// The engine refused the input.
    #[error(transparent)]
    Rejected(E),
    /// The backend failed (for example, the quota is full).
    #[error(transparent)]
    Storage(#[from] BackendError),
    /// The backend failed, and reopening from it failed too.
    #[error("write failed ({0}) and the database could not be reopened: {1}")]
    Reopen(BackendError, OpenError),
}

/// Why a store could not be created.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CreateStoreError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] CreateError),
    /// The backend already holds a database; open it instead.
    #[error("the backend already holds a database; open it instead")]
    Exists,
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Why an import failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportStoreError {
    /// The file is not a readable export.
    #[error(transparent)]
    File(#[from] ImportError),
    /// The backend already holds a database; import into an empty one.
    #[error("the backend already holds a database; import into an empty one")]
    Exists,
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The imported records do not open.
    #[error(transparent)]
    Open(#[from] OpenError),
}

/// A database persisted in a backend.
pub struct Store<B: Backend> {
    db: Database,
    backend: B,
}

impl<B: Backend> Store<B> {
    /// Creates a new database in an empty backend.
    pub fn create(backend: B, config: CollectionConfig) -> Result<Self, CreateStoreError> {
        if !is_empty(&backend)? {
            return Err(CreateStoreError::Exists);
        }
        let (db, batch) = Database::create(config)?;
        backend.write(&batch)?;
        Ok(Store { db, backend })
    }

    /// Opens the database in `backend`.
    pub fn open(backend: B) -> Result<Self, OpenError> {
        let db = Database::open(&backend)?;
        Ok(Store { db, backend })
    }

    /// Imports an export file into an empty backend and opens it.
    pub fn import(backend: B, file: &[u8]) -> Result<Self, ImportStoreError> {
        if !is_empty(&backend)? {
            return Err(ImportStoreError::Exists);
        }
        let records = read_export(file)?;
        backend.write(&import_batch(records))?;
        Ok(Store::open(backend)?)
    }

    /// The whole database as one export file.
    pub fn export(&self) -> Result<Vec<u8>, OpenError> {
        Ok(write_export(&self.db.snapshot(&self.backend)?))
    }

    /// The vector, as given, and metadata of `id` (`Ok(None)`: unknown id), from memory or
    /// from the backend.
    pub fn get(&self, id: &str) -> Result<Option<StoredItem>, GetError> {
        self.db.get(id, &self.backend)
    }

    /// A search whose `include_vectors` hits come back whole, from the backend if need be.
    pub fn search(&self, query: &SearchQuery<'_>) -> Result<SearchResults, SearchError> {
        let pending = self.db.start_search(query, false)?;
        self.db.finish_search(pending, query.vector, &self.backend)
    }

    /// The collection, for searches and reads.
    pub fn collection(&self) -> &Collection {
        self.db.collection()
    }

    /// The durable engine.
    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Mutable access to the durable engine (for its checkpoint policy).
    pub fn database_mut(&mut self) -> &mut Database {
        &mut self.db
    }

    /// The backend.
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// Gives the backend back.
    pub fn into_backend(self) -> B {
        self.backend
    }

    fn persist<E: std::error::Error + 'static>(
        &mut self,
        batch: WriteBatch,
    ) -> Result<(), WriteError<E>> {
        if let Err(e) = self.backend.write(&batch) {
            // Memory is ahead of storage: go back to what storage holds.
            self.db =
                Database::open(&self.backend).map_err(|o| WriteError::Reopen(e.clone(), o))?;
            return Err(WriteError::Storage(e));
        }
        if self.db.wants_checkpoint() {
            self.checkpoint_quietly();
        }
        Ok(())
    }

    fn checkpoint_quietly(&mut self) {
        if let Some(batch) = self.db.checkpoint() {
            if self.backend.write(&batch).is_err() {
                // The log still holds everything; resynchronise and try at the next write.
                if let Ok(db) = Database::open(&self.backend) {
                    self.db = db;
                }
            }
        }
    }

    /// Folds the log into pages now.
    pub fn checkpoint(&mut self) -> Result<(), WriteError<std::convert::Infallible>> {
        match self.db.checkpoint() {
            Some(batch) => self.persist(batch),
            None => Ok(()),
        }
    }

    /// Inserts all items or none, durably.
    pub fn insert_batch(
        &mut self,
        items: Vec<Item>,
    ) -> Result<Vec<String>, WriteError<InsertError>> {
        let (ids, batch) = self.db.insert_batch(items).map_err(WriteError::Rejected)?;
        self.persist(batch)?;
        Ok(ids)
    }

    /// Inserts one item, durably.
    pub fn insert(&mut self, item: Item) -> Result<String, WriteError<InsertError>> {
        let mut ids = self.insert_batch(vec![item])?;
        Ok(ids.remove(0))
    }

    /// Upserts, durably.
    pub fn upsert(
        &mut self,
        id: &str,
        vector: Option<&[f32]>,
        metadata: Option<Value>,
    ) -> Result<Upserted, WriteError<UpsertError>> {
        let (r, batch) = self
            .db
            .upsert(id, vector, metadata)
            .map_err(WriteError::Rejected)?;
        self.persist(batch)?;
        Ok(r)
    }

    /// [`Database::upsert_with`] (vector, metadata and text), durably.
    pub fn upsert_with(
        &mut self,
        id: &str,
        update: Update<'_>,
    ) -> Result<Upserted, WriteError<UpsertError>> {
        let (r, batch) = self
            .db
            .upsert_with(id, update)
            .map_err(WriteError::Rejected)?;
        self.persist(batch)?;
        Ok(r)
    }

    /// Gives a database without a text index an empty one ([`Database::enable_text`]),
    /// durably; nothing to do when it has one.
    pub fn enable_text(
        &mut self,
        config: TextConfig,
    ) -> Result<(), WriteError<std::convert::Infallible>> {
        match self.db.enable_text(config) {
            Some(batch) => self.persist(batch),
            None => Ok(()),
        }
    }

    /// A search whose distances are exact even when the vectors are in storage only: the
    /// best `k · RESCORE_CANDIDATES` by the int8 ranking, rescored from their float32
    /// vectors ([`Database::rescore`]), which also gives the kept hits their vectors when
    /// `include_vectors` asks (each stored page read once).
    pub fn search_rescored(&self, query: &SearchQuery<'_>) -> Result<SearchResults, SearchError> {
        let pending = self.db.start_search(query, true)?;
        self.db.finish_search(pending, query.vector, &self.backend)
    }

    /// Retrains the int8 ranges on the vectors there are now and re-encodes every vector
    /// (`quantization: int8 | binary`; see [`Database::retrain`]), durably.
    pub fn retrain(&mut self) -> Result<(), WriteError<RetrainError>> {
        let batch = self
            .db
            .retrain(&self.backend)
            .map_err(WriteError::Rejected)?;
        self.persist(batch)
    }

    /// Deletes every id or none, durably.
    pub fn delete(&mut self, ids: &[&str]) -> Result<(), WriteError<DeleteError>> {
        let batch = self.db.delete(ids).map_err(WriteError::Rejected)?;
        self.persist(batch)
    }
}
