//! The native backend: one redb table, one write transaction (durable on commit) per batch.

use std::path::Path;

use redb::{Database, ReadableDatabase, TableDefinition};

use super::{BackendError, RecordSource, RecordWriter, WriteBatch};

const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("records");

/// Records in a redb file.
pub struct RedbBackend {
    db: Database,
}

fn fail(e: impl std::fmt::Display) -> BackendError {
    BackendError::Failed(e.to_string())
}

impl RedbBackend {
    /// Opens the file at `path`, creating it if needed.
    pub fn open(path: &Path) -> Result<Self, BackendError> {
        let db = Database::create(path).map_err(fail)?;
        let w = db.begin_write().map_err(fail)?;
        w.open_table(RECORDS).map_err(fail)?;
        w.commit().map_err(fail)?;
        Ok(RedbBackend { db })
    }
}

impl RecordWriter for RedbBackend {
    fn write(&self, batch: &WriteBatch) -> Result<(), BackendError> {
        let w = self.db.begin_write().map_err(fail)?;
        {
            let mut t = w.open_table(RECORDS).map_err(fail)?;
            if batch.clear {
                t.retain(|_, _| false).map_err(fail)?;
            }
            for d in &batch.deletes {
                t.remove(d.as_str()).map_err(fail)?;
            }
            for (k, v) in &batch.puts {
                t.insert(k.as_str(), v.as_slice()).map_err(fail)?;
            }
        }
        w.commit().map_err(fail)
    }
}

impl RecordSource for RedbBackend {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        let r = self.db.begin_read().map_err(fail)?;
        let t = r.open_table(RECORDS).map_err(fail)?;
        Ok(t.get(key).map_err(fail)?.map(|v| v.value().to_vec()))
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, BackendError> {
        let r = self.db.begin_read().map_err(fail)?;
        let t = r.open_table(RECORDS).map_err(fail)?;
        let mut out = Vec::new();
        for e in t.range(prefix..).map_err(fail)? {
            let (k, _) = e.map_err(fail)?;
            if !k.value().starts_with(prefix) {
                break;
            }
            out.push(k.value().to_owned());
        }
        Ok(out)
    }
}
