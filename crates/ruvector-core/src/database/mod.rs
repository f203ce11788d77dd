//! The durable engine: a [`Collection`] plus what it takes to persist it, with no I/O.
//!
//! Every write returns the [`WriteBatch`] that commits it, with a dense sequence number.
//! The caller applies the batch to a backend atomically and durably, then acknowledges the
//! write. If the backend refuses the batch, the in-memory engine is ahead of storage: drop
//! it and [`Database::open`] again ([`crate::Store`] does this for you).
//!
//! A log record holds the *result* of a change (new vectors, the final contents of every
//! list it touched, changed ids and metadata), so opening replays it by copying: zero
//! distance evaluations, and a cost that grows with the bytes read. A checkpoint folds the
//! log into pages, rewriting only the pages that changed, and swaps the manifest.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::collection::{Collection, CollectionConfig, Item, ItemRef, Update, Upserted};
use crate::error::{CreateError, DeleteError, InsertError, UpsertError};
use crate::storage::records::{
    CodesPage, GraphPage, Header, LogRecord, Manifest, MetaPage, SlotMeta, VectorPage,
};
use crate::storage::text_pages::encode_text_page;
use crate::storage::{log_key, PageKind, WriteBatch, MANIFEST_KEY};
use crate::vectors::Slot;

mod compact;
mod open;
mod stored;

pub use compact::{CompactError, Compaction};
pub use stored::PendingSearch;

/// How many times `k` candidates a rescored search ([`Database::rescore`]) takes from the
/// int8 ranking.
pub const RESCORE_CANDIDATES: usize = 4;

/// A batch adding at least this many vectors writes them straight into vector pages
/// instead of the log, so bulk loads write each vector once.
pub const BULK_SLOTS: u32 = 256;

/// When [`Database::wants_checkpoint`] says yes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckpointPolicy {
    /// Fold once the log holds this many bytes…
    pub max_log_bytes: usize,
    /// …or this many records…
    pub max_log_records: usize,
    /// …or once it holds more bytes than the pages a checkpoint would rewrite, when it holds
    /// at least this many (0 turns the rule off). Opening then reads at most about twice
    /// the folded state: a log of HNSW lists, each rewritten by many batches, can
    /// otherwise grow far larger than the graph it describes.
    pub min_log_bytes_over_pages: usize,
}

impl Default for CheckpointPolicy {
    /// 32 MiB or 1,000 records, or a log of at least 1 MiB larger than its dirty pages.
    fn default() -> Self {
        CheckpointPolicy {
            max_log_bytes: 32 << 20,
            max_log_records: 1_000,
            min_log_bytes_over_pages: 1 << 20,
        }
    }
}

/// What [`Database::records_after`] found.
#[derive(Clone, Debug, PartialEq)]
pub enum CatchUp {
    /// The log records after the asked sequence number, in order (possibly none).
    Records(Vec<LogRecord>),
    /// Records after the asked sequence number were folded into pages up to
    /// `folded_seq`: reload with [`Database::open`].
    Folded {
        /// The manifest's folded sequence number.
        folded_seq: u64,
    },
}

/// Counters of what was handed to the backend.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageStats {
    /// The last committed sequence number.
    pub seq: u64,
    /// The last sequence number folded into pages.
    pub folded_seq: u64,
    /// Batches produced (writes and checkpoints).
    pub batches: u64,
    /// Checkpoints produced.
    pub checkpoints: u64,
    /// Bytes of keys and values put, over all batches.
    pub bytes_written: u64,
    /// Live log records.
    pub log_records: usize,
    /// Bytes in live log records.
    pub log_bytes: usize,
}

/// A collection that yields a [`WriteBatch`] for every committed change.
#[derive(Debug)]
pub struct Database {
    coll: Collection,
    manifest: Manifest,
    next_seq: u64,
    synced_slots: u32,
    dirty: BTreeSet<(PageKind, u32)>,
    log: BTreeMap<u64, usize>,
    policy: CheckpointPolicy,
    stats: StorageStats,
    /// Slots whose int8 codes are in code pages or marked dirty for them.
    codes_noted: u32,
}

fn pages_of(kind: PageKind, from: u32, to: u32) -> impl Iterator<Item = (PageKind, u32)> {
    let s = kind.slots();
    let end = if to > from {
        (to - 1) / s + 1
    } else {
        from / s
    };
    (from / s..end).map(move |p| (kind, p))
}

impl Database {
    /// A new, empty database and the batch that creates it (its manifest).
    pub fn create(config: CollectionConfig) -> Result<(Database, WriteBatch), CreateError> {
        let mut db = Database::from_collection(Collection::new(config)?);
        db.coll.set_tracking(true);
        let mut batch = WriteBatch::default();
        batch
            .puts
            .push((MANIFEST_KEY.into(), db.manifest.encode(MANIFEST_KEY)));
        db.count(&batch);
        Ok((db, batch))
    }

    /// A database around a collection that was built in memory, with nothing stored yet:
    /// its [`Database::snapshot`] is the export file of that collection.
    pub fn from_collection(coll: Collection) -> Database {
        let manifest = Manifest {
            config: *coll.config(),
            folded_seq: 0,
            header: Header::default(),
            next_gen: 1,
            pages: BTreeMap::new(),
            int8: None,
            embedder: None,
        };
        let mut db = Database {
            coll,
            manifest,
            next_seq: 1,
            synced_slots: 0,
            dirty: BTreeSet::new(),
            log: BTreeMap::new(),
            policy: CheckpointPolicy::default(),
            stats: StorageStats::default(),
            codes_noted: 0,
        };
        db.note_codes();
        db
    }

    /// `quantization: int8 | binary`: once codes exist, marks the code pages of the slots
    /// not noted yet dirty, and puts the trained ranges in the manifest.
    fn note_codes(&mut self) {
        if !tiers(&self.coll) || !self.coll.codes_ready() {
            return;
        }
        let slots = self.coll.vectors.slots() as u32;
        self.dirty
            .extend(pages_of(PageKind::Codes, self.codes_noted, slots));
        self.codes_noted = slots;
        if self.manifest.int8.is_none() {
            self.manifest.int8 = self.coll.coarse.as_ref().and_then(|c| c.ranges());
        }
    }

    /// The collection, leaving the storage bookkeeping behind (an in-memory copy that no
    /// longer records its changes for a log).
    pub fn into_collection(mut self) -> Collection {
        self.coll.set_tracking(false);
        self.coll
    }

    /// The collection, for searches and reads.
    pub fn collection(&self) -> &Collection {
        &self.coll
    }

    /// Sets when [`Database::wants_checkpoint`] answers yes.
    pub fn set_checkpoint_policy(&mut self, policy: CheckpointPolicy) {
        self.policy = policy;
    }

    /// Storage counters.
    pub fn storage_stats(&self) -> StorageStats {
        StorageStats {
            seq: self.next_seq - 1,
            folded_seq: self.manifest.folded_seq,
            log_records: self.log.len(),
            log_bytes: self.log.values().sum(),
            ..self.stats
        }
    }

    fn count(&mut self, batch: &WriteBatch) {
        self.stats.batches += 1;
        self.stats.bytes_written += batch.bytes() as u64;
    }

    /// Inserts all items or none; returns their ids and the batch that commits them.
    pub fn insert_batch(
        &mut self,
        items: Vec<Item>,
    ) -> Result<(Vec<String>, WriteBatch), InsertError> {
        let ids = self.coll.insert_batch(items)?;
        Ok((ids, self.commit()))
    }

    /// [`Collection::insert_rows`], returning the batch that commits it.
    pub fn insert_rows(
        &mut self,
        rows: Vec<ItemRef<'_>>,
    ) -> Result<(Vec<String>, WriteBatch), InsertError> {
        let ids = self.coll.insert_rows(rows)?;
        Ok((ids, self.commit()))
    }

    /// [`Collection::upsert`], returning the batch that commits it.
    pub fn upsert(
        &mut self,
        id: &str,
        vector: Option<&[f32]>,
        metadata: Option<Value>,
    ) -> Result<(Upserted, WriteBatch), UpsertError> {
        let r = self.coll.upsert(id, vector, metadata)?;
        Ok((r, self.commit()))
    }

    /// Gives a database created without a text index an empty one splitting text as
    /// `config` says, and returns the batch that stores it: a change of its own (so other
    /// readers see a new sequence number) folded at once, so the manifest that names the
    /// setting is also the point they reload from. `None` when it already has a text index.
    pub fn enable_text(&mut self, config: crate::text::TextConfig) -> Option<WriteBatch> {
        if self.coll.text.is_some() {
            return None;
        }
        self.coll.enable_text(config);
        self.manifest.config = *self.coll.config();
        Some(self.commit_folded())
    }

    /// A change of the manifest's own (a setting), given a sequence number of its own and
    /// folded at once: readers at an older number reload, and the manifest that holds the
    /// setting is the state they reload. One batch.
    fn commit_folded(&mut self) -> WriteBatch {
        let mut batch = self.commit();
        batch.append(self.checkpoint().unwrap_or_default());
        batch
    }

    /// [`Collection::upsert_with`], returning the batch that commits it.
    pub fn upsert_with(
        &mut self,
        id: &str,
        update: Update<'_>,
    ) -> Result<(Upserted, WriteBatch), UpsertError> {
        let r = self.coll.upsert_with(id, update)?;
        Ok((r, self.commit()))
    }

    /// The name of the embedder recorded with the database ([`Database::record_embedder`]).
    pub fn embedder(&self) -> Option<&str> {
        self.manifest.embedder.as_deref()
    }

    /// Records `name` as the embedder the database's vectors come from, and returns the batch
    /// that stores it (a change of its own, folded at once, as [`Database::enable_text`]);
    /// `None` when it is the one recorded already.
    pub fn record_embedder(&mut self, name: &str) -> Option<WriteBatch> {
        if self.embedder() == Some(name) {
            return None;
        }
        self.manifest.embedder = Some(name.to_owned());
        Some(self.commit_folded())
    }

    /// Deletes every id or none (an unknown id refuses the whole call; an id given twice
    /// is deleted once).
    pub fn delete(&mut self, ids: &[&str]) -> Result<WriteBatch, DeleteError> {
        if let Some(missing) = ids.iter().find(|id| !self.coll.contains(id)) {
            return Err(DeleteError::UnknownId((*missing).to_owned()));
        }
        for id in ids {
            // An id given twice is gone the second time.
            if self.coll.contains(id) {
                self.coll.delete(id)?;
            }
        }
        Ok(self.commit())
    }

    fn header(&self) -> Header {
        let g = self.coll.graph.as_ref().map(|g| g.header());
        Header {
            slots: self.coll.vectors.slots() as u32,
            entry: g.and_then(|g| g.entry).map(|s| s.0),
            top: g.map_or(0, |g| g.top as u8),
            rng_state: g.map_or(0, |g| g.rng_state),
            generated: self.coll.generated,
        }
    }

    /// The log record (and, for bulk batches, vector pages) of the change just applied.
    fn commit(&mut self) -> WriteBatch {
        let seq = self.next_seq;
        self.next_seq += 1;
        let header = self.header();
        let (first, end) = (self.synced_slots, header.slots);
        self.synced_slots = end;
        let inline = end - first < BULK_SLOTS;
        let mut batch = WriteBatch {
            seq,
            ..WriteBatch::default()
        };
        let mut rec = LogRecord {
            seq,
            header,
            first_new: first,
            new_count: end - first,
            inline,
            ..LogRecord::default()
        };
        for i in first..end {
            let slot = Slot(i);
            if let Some(g) = &self.coll.graph {
                rec.levels.push(g.level(slot) as u8);
            }
            if let Some(n) = self.coll.vectors.norm(slot) {
                rec.norms.push(n);
            }
            if inline {
                rec.vectors.extend_from_slice(self.coll.vectors.get(slot));
            }
        }
        self.note_codes();
        if inline {
            self.dirty.extend(pages_of(PageKind::Vectors, first, end));
        } else {
            for (kind, p) in pages_of(PageKind::Vectors, first, end) {
                self.write_page(kind, p, &mut batch);
            }
            batch
                .puts
                .push((MANIFEST_KEY.into(), self.manifest.encode(MANIFEST_KEY)));
        }
        self.dirty
            .extend(pages_of(PageKind::Graph, first, end).filter(|_| self.coll.graph.is_some()));
        if let Some(g) = self.coll.graph.as_mut() {
            for (slot, level) in g.take_touched() {
                rec.lists
                    .push((slot, level, g.links(Slot(slot), level as usize).to_vec()));
                self.dirty
                    .insert((PageKind::Graph, slot / PageKind::Graph.slots()));
            }
        }
        for slot in self.coll.take_meta_changes() {
            rec.meta.push(self.slot_meta(slot));
            self.dirty
                .insert((PageKind::Meta, slot / PageKind::Meta.slots()));
        }
        self.note_text();
        let key = log_key(seq);
        let bytes = rec.encode(&key);
        self.log.insert(seq, bytes.len() + key.len());
        batch.puts.push((key, bytes));
        self.count(&batch);
        self.evict();
        batch
    }

    /// Marks the text pages of the buckets whose terms changed dirty; a bucket that no
    /// longer holds a term loses its page at the next checkpoint.
    fn note_text(&mut self) {
        if let Some(t) = self.coll.text.as_mut() {
            let changed = t.take_changed();
            self.dirty
                .extend(changed.into_iter().map(|b| (PageKind::Text, b)));
        }
    }

    fn slot_meta(&self, slot: u32) -> SlotMeta {
        let s = Slot(slot);
        SlotMeta {
            slot,
            id: self.coll.ids.id(s).map(str::to_owned),
            metadata: self.coll.metadata[s.index()]
                .as_ref()
                .map(|m| m.text().as_bytes().to_vec()),
            text: self.coll.text_of(s).map(str::to_owned),
        }
    }

    /// Puts the current contents of one page under a new generation and deletes the old one.
    fn write_page(&mut self, kind: PageKind, page: u32, batch: &mut WriteBatch) {
        let used = |t: &crate::text::postings::TextIndex| t.bucket_used(page);
        if kind == PageKind::Text && !self.coll.text.as_ref().is_some_and(used) {
            if let Some(old) = self.manifest.pages.remove(&(kind, page)) {
                batch.deletes.push(kind.key(page, old));
            }
            self.dirty.remove(&(kind, page));
            return;
        }
        let gen = self.manifest.next_gen;
        self.manifest.next_gen += 1;
        let key = kind.key(page, gen);
        let bytes = self.encode_page(kind, page, &key);
        batch.puts.push((key, bytes));
        if let Some(old) = self.manifest.pages.insert((kind, page), gen) {
            batch.deletes.push(kind.key(page, old));
        }
        self.dirty.remove(&(kind, page));
    }

    fn encode_page(&self, kind: PageKind, page: u32, key: &str) -> Vec<u8> {
        let slots = self.coll.vectors.slots() as u32;
        let first = page * kind.slots();
        let end = (first + kind.slots()).min(slots);
        let range = (first..end).map(Slot);
        match kind {
            PageKind::Vectors => {
                let mut p = VectorPage {
                    first,
                    count: end - first,
                    vectors: Vec::new(),
                    norms: Vec::new(),
                };
                for s in range {
                    p.vectors.extend_from_slice(self.coll.vectors.get(s));
                    p.norms.extend(self.coll.vectors.norm(s));
                }
                p.encode(key)
            }
            PageKind::Graph => {
                let g = self.coll.graph.as_ref();
                let nodes = range
                    .map(|s| {
                        g.map_or(Vec::new(), |g| {
                            (0..=g.level(s)).map(|l| g.links(s, l).to_vec()).collect()
                        })
                    })
                    .collect();
                GraphPage { first, nodes }.encode(key)
            }
            PageKind::Meta => MetaPage {
                first,
                slots: (first..end).map(|s| self.slot_meta(s)).collect(),
            }
            .encode(key),
            PageKind::Codes => {
                let dim = self.coll.config.dimensions;
                let (codes, residual, norm) = self
                    .coll
                    .coarse
                    .as_ref()
                    .map_or((&[][..], &[][..], &[][..]), |c| {
                        c.page(first as usize, end as usize, dim)
                    });
                CodesPage {
                    first,
                    count: residual.len() as u32,
                    codes: codes.to_vec(),
                    residual: residual.to_vec(),
                    norm: norm.to_vec(),
                    cosine: range.filter_map(|s| self.coll.vectors.norm(s)).collect(),
                }
                .encode(key)
            }
            PageKind::Text => {
                let terms = self.coll.text.as_ref().map(|t| t.bucket(page));
                encode_text_page(key, page, terms.as_deref().unwrap_or_default())
            }
        }
    }

    /// True when the policy says the log must be folded now (its hard limits).
    pub fn wants_checkpoint(&self) -> bool {
        self.log.len() >= self.policy.max_log_records
            || self.log.values().sum::<usize>() >= self.policy.max_log_bytes
    }

    /// True when folding would pay off at the next quiet moment: the log is larger than
    /// the pages a checkpoint would rewrite (see
    /// [`CheckpointPolicy::min_log_bytes_over_pages`]), or a hard limit is reached.
    pub fn checkpoint_worthwhile(&self) -> bool {
        let log_bytes = self.log.values().sum::<usize>();
        let floor = self.policy.min_log_bytes_over_pages;
        self.wants_checkpoint()
            || (floor > 0 && log_bytes >= floor && log_bytes > self.dirty_page_bytes())
    }

    /// The checkpoint policy in force.
    pub fn checkpoint_policy(&self) -> CheckpointPolicy {
        self.policy
    }

    /// About how many bytes a checkpoint would write: the dirty pages at full size.
    fn dirty_page_bytes(&self) -> usize {
        let dim = self.coll.config.dimensions;
        let links = self.coll.graph.as_ref().map_or(0, |g| g.params().m * 2 + 1);
        self.dirty
            .iter()
            .map(|(kind, _)| {
                kind.slots() as usize
                    * match kind {
                        PageKind::Vectors => dim * 4 + 4,
                        PageKind::Graph => links * 4 + 8,
                        // Ids and small metadata; a guess that errs towards folding.
                        PageKind::Meta => 32,
                        PageKind::Codes => dim + 12,
                        // A bucket: a 256th of the postings, at ~3 bytes each.
                        PageKind::Text => self
                            .coll
                            .text
                            .as_ref()
                            .map_or(0, |t| t.postings() * 3 / 256),
                    }
            })
            .sum()
    }

    /// Folds the log into pages: writes every page changed since the last checkpoint under
    /// a new generation, a manifest naming them, and deletes the folded log records and the
    /// replaced pages, in one batch. `None` when there is nothing to fold (and the manifest
    /// already has the current sequence number: [`Database::advance_seq`] moves it on).
    /// [`Database::begin_checkpoint`] does the same a slice at a time.
    pub fn checkpoint(&mut self) -> Option<WriteBatch> {
        let c = self.begin_checkpoint()?;
        Some(self.finish_checkpoint(c))
    }

    /// Starts a checkpoint whose pages are encoded a slice at a time
    /// ([`Database::continue_checkpoint`]), so that a caller can answer searches between
    /// slices; [`Database::finish_checkpoint`] ends it. No write may be applied before it
    /// ends: the batch folds the log as it stands now. `None` when there is nothing to fold.
    pub fn begin_checkpoint(&mut self) -> Option<Checkpoint> {
        let numbered = self.manifest.folded_seq + 1 == self.next_seq;
        if self.log.is_empty() && self.dirty.is_empty() && numbered {
            return None;
        }
        Some(Checkpoint {
            pages: std::mem::take(&mut self.dirty).into_iter(),
            batch: WriteBatch {
                seq: self.next_seq - 1,
                ..WriteBatch::default()
            },
        })
    }

    /// Encodes the next pages of checkpoint `c`, at least one and about `bytes` of them;
    /// true once every page is encoded.
    pub fn continue_checkpoint(&mut self, c: &mut Checkpoint, bytes: usize) -> bool {
        debug_assert_eq!(
            c.batch.seq + 1,
            self.next_seq,
            "a write came during a checkpoint"
        );
        let mut encoded = 0;
        while encoded < bytes {
            let Some((kind, page)) = c.pages.next() else {
                return true;
            };
            self.write_page(kind, page, &mut c.batch);
            encoded += c.batch.puts.last().map_or(0, |(_, v)| v.len());
        }
        c.pages.len() == 0
    }

    /// Ends checkpoint `c`: its remaining pages, the folded log records deleted, the manifest;
    /// the batch to store.
    pub fn finish_checkpoint(&mut self, mut c: Checkpoint) -> WriteBatch {
        while !self.continue_checkpoint(&mut c, usize::MAX) {}
        let mut batch = c.batch;
        batch.deletes.extend(self.log.keys().map(|&s| log_key(s)));
        self.log.clear();
        self.manifest.folded_seq = batch.seq;
        self.manifest.header = self.header();
        batch
            .puts
            .push((MANIFEST_KEY.into(), self.manifest.encode(MANIFEST_KEY)));
        self.stats.checkpoints += 1;
        self.count(&batch);
        self.evict();
        batch
    }

    /// `quantization: int8`: drops from memory the originals of every vector page that is
    /// stored and full, once int8 codes cover every slot. Storage keeps them for `get`,
    /// `include_vectors` and export ([`Database::get`], [`Database::fill_vectors`],
    /// [`Database::snapshot`]). If the batch that stored them fails, the caller reopens.
    fn evict(&mut self) {
        if !tiers(&self.coll) || !self.coll.codes_ready() {
            return;
        }
        let per = PageKind::Vectors.slots() as usize;
        let slots = self.coll.vectors.slots();
        let first_dirty = self
            .dirty
            .iter()
            .find(|(kind, _)| *kind == PageKind::Vectors)
            .map_or(slots, |&(_, p)| p as usize * per);
        self.coll
            .vectors
            .evict_before(first_dirty.min(slots / per * per));
    }
}

/// A checkpoint under way ([`Database::begin_checkpoint`]): the pages it has yet to encode
/// and its batch so far.
pub struct Checkpoint {
    pages: std::collections::btree_set::IntoIter<(PageKind, u32)>,
    batch: WriteBatch,
}

/// Whether the collection's originals leave memory once stored (`quantization: int8` or
/// `binary`, HNSW).
fn tiers(coll: &Collection) -> bool {
    coll.config().quantization.has_codes() && coll.graph.is_some()
}
