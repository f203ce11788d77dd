//! Compaction: the live records of a database copied into a fresh one whose slots are 0 to
//! n − 1, so that deleted and replaced vectors (tombstones, docs/engine.md) stop costing
//! memory, storage and open time. Ids, vectors, metadata and texts stay as they are; the graph
//! is built anew from the live vectors, as inserting them would build it, so its recall is a
//! fresh build's.
//!
//! A [`Compaction`] is filled beside the database it compacts, a slice at a time: the caller
//! asks for the next ids ([`Compaction::next_ids`]), reads them ([`Database::get_many`], which
//! reads vectors kept in storage only) and hands them over ([`Compaction::copy`]), so that
//! searches and writes go on between slices. Writes made meanwhile are taken in by
//! [`Compaction::catch_up`]; [`Compaction::settle`] does it a last time under the write lock,
//! and the copy ([`Compaction::into_database`]) then replaces the database in one batch.

use std::collections::HashMap;

use crate::collection::{Collection, Item, StoredItem, Update};
use crate::error::{CreateError, DeleteError, GetError, InsertError, UpsertError};
use crate::storage::{BackendError, MemoryBackend, OpenError, RecordWriter};
use crate::vectors::Slot;

use super::Database;

/// Why a compaction failed. The database it compacts is untouched either way.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompactError {
    /// The compacted configuration was refused (not expected: it is the database's own).
    #[error(transparent)]
    Create(#[from] CreateError),
    /// A vector could not be read back from storage.
    #[error(transparent)]
    Read(#[from] GetError),
    /// A record was refused by the copy (not expected: it was accepted once).
    #[error("copying a record: {0}")]
    Insert(#[from] InsertError),
    /// A change could not be applied to the copy (not expected).
    #[error("copying a change: {0}")]
    Upsert(#[from] UpsertError),
    /// A deletion could not be applied to the copy (not expected).
    #[error("copying a deletion: {0}")]
    Delete(#[from] DeleteError),
    /// The copy's own records could not be written or read (in memory: out of memory).
    #[error(transparent)]
    Storage(#[from] BackendError),
    /// The copy's records did not open.
    #[error(transparent)]
    Open(#[from] OpenError),
}

/// A compaction under way: the fresh database and its records, and where each copied
/// record came from.
pub struct Compaction {
    db: Database,
    records: MemoryBackend,
    /// Each copied id's slot in the database compacted. A slot that is no longer that id's,
    /// or no longer live, means the record was deleted or its vector replaced (a replaced
    /// vector takes a new slot, which [`Compaction::next_ids`] reaches later).
    from: HashMap<String, Slot>,
    /// The slots of the database compacted below this have been handed out.
    cursor: u32,
}

/// The records of `c`'s slot in a form two collections can compare: metadata JSON and text.
fn contents(c: &Collection, slot: Slot) -> (Option<&str>, Option<&str>) {
    let meta = c.metadata.get(slot.index()).and_then(|m| m.as_deref());
    (meta.map(|m| m.text()), c.text_of(slot))
}

impl Compaction {
    /// An empty copy of `of`: its configuration, embedder and checkpoint policy.
    pub fn new(of: &Database) -> Result<Compaction, CompactError> {
        let (mut db, batch) = Database::create(*of.collection().config())?;
        let records = MemoryBackend::new();
        records.write(&batch)?;
        if let Some(batch) = of.embedder().and_then(|name| db.record_embedder(name)) {
            records.write(&batch)?;
        }
        db.set_checkpoint_policy(of.checkpoint_policy());
        Ok(Compaction {
            db,
            records,
            from: HashMap::new(),
            cursor: 0,
        })
    }

    /// Records copied so far.
    pub fn copied(&self) -> usize {
        self.db.collection().len()
    }

    /// Up to `limit` live ids of `of` not yet handed out, in slot order (none: every slot so
    /// far has been). Read them with [`Database::get_many`] and pass them to
    /// [`Compaction::copy`] with no write to `of` in between.
    pub fn next_ids(&mut self, of: &Database, limit: usize) -> Vec<String> {
        let c = of.collection();
        let (ids, next) = c.ids_from(self.cursor, limit);
        self.cursor = next.unwrap_or(c.live.len() as u32);
        ids
    }

    /// Copies `records`, read from `of` as [`Compaction::next_ids`] named them; an id copied
    /// before is replaced.
    pub fn copy(&mut self, of: &Database, records: Vec<StoredItem>) -> Result<(), CompactError> {
        let again: Vec<&str> = (records.iter())
            .filter(|r| self.from.contains_key(&r.id))
            .map(|r| r.id.as_str())
            .collect();
        if !again.is_empty() {
            let batch = self.db.delete(&again)?;
            self.records.write(&batch)?;
        }
        let mut items = Vec::with_capacity(records.len());
        for r in records {
            let Some(slot) = of.collection().ids.slot(&r.id) else {
                continue; // read, then deleted: not expected without a write in between
            };
            self.from.insert(r.id.clone(), slot);
            let mut item = Item::new(r.id, r.vector);
            item.metadata = r.metadata;
            item.text = r.text;
            items.push(item);
        }
        if !items.is_empty() {
            let (_, batch) = self.db.insert_batch(items)?;
            self.records.write(&batch)?;
        }
        Ok(())
    }

    /// Takes in the writes made to `of` since the records were copied: records deleted or
    /// replaced there leave the copy (a replaced one comes back through
    /// [`Compaction::next_ids`], from its new slot), and new metadata and texts are copied.
    pub fn catch_up(&mut self, of: &Database) -> Result<(), CompactError> {
        let (c, mine) = (of.collection(), self.db.collection());
        let mut gone = Vec::new();
        let mut changed = Vec::new();
        for (id, &slot) in &self.from {
            let live = c.live.get(slot.index()).copied().unwrap_or(false);
            if !live || c.ids.slot(id) != Some(slot) {
                gone.push(id.clone());
                continue;
            }
            let copy = mine.ids.slot(id).map(|s| contents(mine, s));
            if copy != Some(contents(c, slot)) {
                changed.push((id.clone(), slot));
            }
        }
        if !gone.is_empty() {
            let refs: Vec<&str> = gone.iter().map(String::as_str).collect();
            let batch = self.db.delete(&refs)?;
            self.records.write(&batch)?;
            for id in &gone {
                self.from.remove(id);
            }
        }
        for (id, slot) in changed {
            let update = Update {
                vector: None,
                metadata: Some(c.meta_value(slot).cloned().unwrap_or_default()),
                text: Some(c.text_of(slot).map(str::to_owned)),
            };
            let (_, batch) = self.db.upsert_with(&id, update)?;
            self.records.write(&batch)?;
        }
        Ok(())
    }

    /// The last catch-up, made where no write can come between it and the replacement
    /// (under the write lock): takes in the writes to `of` so far, copying new vectors from
    /// memory. `Ok(false)` when some of them are in storage only: read and copy them as
    /// before ([`Compaction::next_ids`]), then settle again.
    pub fn settle(&mut self, of: &Database) -> Result<bool, CompactError> {
        self.catch_up(of)?;
        let nothing = MemoryBackend::new();
        loop {
            let cursor = self.cursor;
            let ids = self.next_ids(of, 1024);
            if ids.is_empty() {
                return Ok(true);
            }
            match of.get_many(&ids, &nothing) {
                Ok(records) => self.copy(of, records)?,
                Err(_) => {
                    self.cursor = cursor;
                    return Ok(false);
                }
            }
        }
    }

    /// The compacted database and its records, to replace the one compacted.
    pub fn into_database(self) -> (Database, MemoryBackend) {
        (self.db, self.records)
    }
}
