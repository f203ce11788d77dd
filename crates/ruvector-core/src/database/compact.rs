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

use crate::collection::{Collection, Item, StoredItem};
use crate::error::{CreateError, DeleteError, GetError, InsertError};
use crate::storage::{BackendError, RecordSource};
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
    /// A deletion could not be applied to the copy (not expected).
    #[error("copying a deletion: {0}")]
    Delete(#[from] DeleteError),
}

/// A compaction under way: the copy (a collection in memory: it never stores a page, so
/// it keeps its float32 vectors whatever its quantization), and where each copied record
/// came from.
pub struct Compaction {
    copy: Collection,
    /// The embedder recorded with the database compacted.
    embedder: Option<String>,
    policy: super::CheckpointPolicy,
    /// Each copied id's slot in the database compacted. A slot that is no longer that id's,
    /// or no longer live, means the record was deleted or its vector replaced (a replaced
    /// vector takes a new slot, which [`Compaction::next_ids`] reaches later).
    from: HashMap<String, Slot>,
    /// The slots of the database compacted below this have been handed out.
    cursor: u32,
    /// Ids below the cursor to hand out again: changed since they were copied.
    again: Vec<String>,
    /// The sequence number of the database compacted when the copy last caught up with it:
    /// with no write since, there is nothing to look at.
    caught_up_at: Option<u64>,
}

/// No records: reading through it finds what is in memory only.
struct Nothing;

impl RecordSource for Nothing {
    fn get(&self, _: &str) -> Result<Option<Vec<u8>>, BackendError> {
        Ok(None)
    }

    fn keys(&self, _: &str) -> Result<Vec<String>, BackendError> {
        Ok(Vec::new())
    }
}

/// The records of `c`'s slot in a form two collections can compare: metadata JSON and text.
fn contents(c: &Collection, slot: Slot) -> (Option<&str>, Option<&str>) {
    let meta = c.metadata.get(slot.index()).and_then(|m| m.as_deref());
    (meta.map(|m| m.text()), c.text_of(slot))
}

impl Compaction {
    /// An empty copy of `of`: its configuration, embedder and checkpoint policy.
    pub fn new(of: &Database) -> Result<Compaction, CompactError> {
        Ok(Compaction {
            copy: Collection::new(*of.collection().config())?,
            embedder: of.embedder().map(str::to_owned),
            policy: of.checkpoint_policy(),
            from: HashMap::new(),
            cursor: 0,
            again: Vec::new(),
            caught_up_at: None,
        })
    }

    /// Records copied so far.
    pub fn copied(&self) -> usize {
        self.copy.len()
    }

    /// Up to `limit` live ids of `of` not yet handed out, in slot order (none: every slot so
    /// far has been). Read them with [`Database::get_many`] and pass them to
    /// [`Compaction::copy`] with no write to `of` in between.
    pub fn next_ids(&mut self, of: &Database, limit: usize) -> Vec<String> {
        if !self.again.is_empty() {
            let n = self.again.len().min(limit);
            return self.again.drain(..n).collect();
        }
        let c = of.collection();
        let (ids, next) = c.ids_from(self.cursor, limit);
        self.cursor = next.unwrap_or(c.live.len() as u32);
        ids
    }

    /// Copies `records`, read from `of` as [`Compaction::next_ids`] named them; an id copied
    /// before is replaced.
    pub fn copy(&mut self, of: &Database, records: Vec<StoredItem>) -> Result<(), CompactError> {
        let before: Vec<&str> = (records.iter())
            .filter(|r| self.from.contains_key(&r.id))
            .map(|r| r.id.as_str())
            .collect();
        for id in before {
            self.copy.delete(id)?;
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
        self.copy.insert_batch(items)?;
        Ok(())
    }

    /// Takes in the writes made to `of` since the records were copied: a record deleted
    /// there, or changed in any way (vector, metadata, text), leaves the copy, and a changed
    /// one is handed out again by [`Compaction::next_ids`] (a new vector from its new slot).
    /// It looks at every copied record, unless `of` has not been written since the last time.
    pub fn catch_up(&mut self, of: &Database) -> Result<(), CompactError> {
        let seq = of.storage_stats().seq;
        if self.caught_up_at == Some(seq) {
            return Ok(());
        }
        self.caught_up_at = Some(seq);
        let (c, mine) = (of.collection(), &self.copy);
        let mut gone = Vec::new();
        for (id, &slot) in &self.from {
            let live = c.live.get(slot.index()).copied().unwrap_or(false);
            let same = live
                && c.ids.slot(id) == Some(slot)
                && mine.ids.slot(id).map(|s| contents(mine, s)) == Some(contents(c, slot));
            if !same {
                gone.push(id.clone());
            }
        }
        for id in gone {
            self.copy.delete(&id)?;
            self.from.remove(&id);
            // Live below the cursor (changed in place, or renumbered by a replacement): again.
            if c.ids.slot(&id).is_some_and(|s| s.0 < self.cursor) {
                self.again.push(id);
            }
        }
        Ok(())
    }

    /// The last catch-up, made where no write can come between it and the replacement
    /// (under the write lock): takes in the writes to `of` so far, copying new vectors from
    /// memory. `Ok(false)` when some of them are in storage only: read and copy them as
    /// before ([`Compaction::next_ids`]), then settle again. Also `Ok(false)`, the copy
    /// started over, when `of` was replaced meanwhile (another writer imported or compacted
    /// it, renumbering its slots) and the copy no longer holds exactly its live records.
    pub fn settle(&mut self, of: &Database) -> Result<bool, CompactError> {
        self.catch_up(of)?;
        let nothing = Nothing;
        loop {
            let (cursor, again) = (self.cursor, !self.again.is_empty());
            let ids = self.next_ids(of, 1024);
            if ids.is_empty() {
                // Every copied id is live in `of` at the slot it was copied from (caught up):
                // as many as `of` holds means the same records.
                if self.from.len() == of.collection().len() && self.copied() == self.from.len() {
                    return Ok(true);
                }
                *self = Compaction::new(of)?;
                return Ok(false);
            }
            match of.get_many(&ids, &nothing) {
                Ok(records) => self.copy(of, records)?,
                Err(_) => {
                    // Handed out again after they are read.
                    match again {
                        true => drop(self.again.splice(0..0, ids)),
                        false => self.cursor = cursor,
                    }
                    return Ok(false);
                }
            }
        }
    }

    /// The compacted database, to replace the one compacted: nothing of it is stored yet,
    /// and its [`Database::snapshot`] reads nothing (every vector is in memory).
    pub fn into_database(self) -> Database {
        let mut db = Database::from_collection(self.copy);
        db.manifest.embedder = self.embedder;
        db.set_checkpoint_policy(self.policy);
        db
    }
}
