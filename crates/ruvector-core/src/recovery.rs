//! Recovery from a damaged log. A database is its last checkpoint (the manifest and the
//! pages it names) plus the log records after it. When a log record is damaged or missing,
//! [`Database::open_recovering`] opens the checkpoint with the log records before the damage
//! and drops the damaged one and every later one: the writes they held are lost, and the
//! report says how many. The recovered state is committed as a checkpoint numbered after
//! every dropped record, never under their numbers: another tab that applied them before the
//! damage finds its state folded and reloads. Damage to the manifest or a page cannot be
//! recovered this way (the error names the record; restore an export instead).

use crate::storage::{
    log_key, log_seq, BackendError, OpenError, RecordSource, WriteBatch, LOG_PREFIX,
};
use crate::Database;

/// What [`Database::open_recovering`] found and dropped.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Recovery {
    /// The first damaged (or missing) log record.
    pub first_damaged: String,
    /// What was wrong with it.
    pub reason: String,
    /// Log records dropped (the damaged one and all after it): each was one commit.
    pub dropped_records: usize,
    /// The sequence number of the recovered state: past every dropped record's, so that no
    /// later write reuses a number another tab may have applied.
    pub seq: u64,
}

/// `source` without the log records from sequence number `from` on.
struct LogBefore<'a> {
    source: &'a dyn RecordSource,
    from: u64,
}

impl LogBefore<'_> {
    fn hidden(&self, key: &str) -> bool {
        key.starts_with(LOG_PREFIX) && key >= log_key(self.from).as_str()
    }
}

impl RecordSource for LogBefore<'_> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, BackendError> {
        if self.hidden(key) {
            return Ok(None);
        }
        self.source.get(key)
    }

    fn keys(&self, prefix: &str) -> Result<Vec<String>, BackendError> {
        let mut keys = self.source.keys(prefix)?;
        keys.retain(|k| !self.hidden(k));
        Ok(keys)
    }
}

/// The sequence number of the log record an open error blames, if it blames one.
fn damaged_seq(e: &OpenError) -> Option<u64> {
    let OpenError::Record(r) = e else { return None };
    log_seq(r.key())
}

impl Database {
    /// Opens `source` like [`Database::open`]; when that fails on a damaged or missing log
    /// record, opens the last checkpoint with the log before it instead and returns, with the
    /// database, what was dropped and the batch that deletes the dropped records and commits
    /// the recovered state as a checkpoint numbered after them (write it before anything
    /// else, so the next commit does not follow damage). Any other error (a damaged manifest
    /// or page, a backend failure) is returned as it is.
    pub fn open_recovering(
        source: &dyn RecordSource,
    ) -> Result<(Database, Option<(Recovery, WriteBatch)>), OpenError> {
        let err = match Database::open(source) {
            Ok(db) => return Ok((db, None)),
            Err(e) => e,
        };
        let Some(from) = damaged_seq(&err) else {
            return Err(err);
        };
        let mut db = Database::open(&LogBefore { source, from })?;
        let dropped: Vec<String> = source
            .keys(LOG_PREFIX)?
            .into_iter()
            .filter(|k| k.as_str() >= log_key(from).as_str())
            .collect();
        // A reader in another tab may be at any dropped number (it applied those records
        // before they were damaged). Numbered after all of them, the checkpoint below is
        // newer than such a reader's state, which catching up then reports as folded: it
        // reloads instead of taking new records, under reused numbers, on top of lost ones.
        let highest = dropped
            .iter()
            .filter_map(|k| log_seq(k))
            .fold(from, u64::max);
        db.advance_seq(highest);
        let recovery = Recovery {
            first_damaged: log_key(from),
            reason: err.to_string(),
            dropped_records: dropped.len(),
            seq: db.storage_stats().seq,
        };
        let mut batch = db.checkpoint().unwrap_or_default();
        batch.deletes.extend(dropped);
        Ok((db, Some((recovery, batch))))
    }
}
