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

use crate::collection::{Collection, CollectionConfig, Item, Record, Upserted};
use crate::error::{
    CreateError, DeleteError, GetError, InsertError, RetrainError, SearchError, UpsertError,
};
use crate::index::hnsw::MAX_LEVEL;
use crate::index::{Candidate, GraphHeader};
use crate::search::Hit;
use crate::storage::records::{
    CodesPage, GraphPage, Header, LogRecord, Manifest, MetaPage, SlotMeta, VectorPage,
};
use crate::storage::vector_pages::VectorPages;
use crate::storage::{
    corrupt, log_key, Backend, OpenError, PageKind, RecordError, WriteBatch, LOG_PREFIX,
    MANIFEST_KEY,
};
use crate::vectors::Slot;

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
            self.manifest.int8 = self.coll.coarse.as_ref().and_then(|c| c.stored());
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
        let key = log_key(seq);
        let bytes = rec.encode(&key);
        self.log.insert(seq, bytes.len() + key.len());
        batch.puts.push((key, bytes));
        self.count(&batch);
        self.evict();
        batch
    }

    fn slot_meta(&self, slot: u32) -> SlotMeta {
        let s = Slot(slot);
        SlotMeta {
            slot,
            id: self.coll.ids.id(s).map(str::to_owned),
            metadata: self.coll.metadata[s.index()]
                .as_ref()
                .map(|m| serde_json::to_vec(m).unwrap_or_default()),
        }
    }

    /// Puts the current contents of one page under a new generation and deletes the old one.
    fn write_page(&mut self, kind: PageKind, page: u32, batch: &mut WriteBatch) {
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
                    }
            })
            .sum()
    }

    /// Folds the log into pages: writes every page changed since the last checkpoint under
    /// a new generation, a manifest naming them, and deletes the folded log records and the
    /// replaced pages, in one batch. `None` when there is nothing to fold.
    pub fn checkpoint(&mut self) -> Option<WriteBatch> {
        if self.log.is_empty() && self.dirty.is_empty() {
            return None;
        }
        let folded = self.next_seq - 1;
        let mut batch = WriteBatch {
            seq: folded,
            ..WriteBatch::default()
        };
        for (kind, p) in std::mem::take(&mut self.dirty) {
            self.write_page(kind, p, &mut batch);
        }
        batch.deletes.extend(self.log.keys().map(|&s| log_key(s)));
        self.log.clear();
        self.manifest.folded_seq = folded;
        self.manifest.header = self.header();
        batch
            .puts
            .push((MANIFEST_KEY.into(), self.manifest.encode(MANIFEST_KEY)));
        self.stats.checkpoints += 1;
        self.count(&batch);
        self.evict();
        Some(batch)
    }

    /// Rebuilds a database from its records: the manifest, the pages it names and the log
    /// after it. Copies only; computes no distance.
    pub fn open(source: &dyn Backend) -> Result<Database, OpenError> {
        let manifest = read_manifest(source)?;
        let mut coll = Collection::new(manifest.config)
            .map_err(|e| corrupt(MANIFEST_KEY, format!("invalid configuration: {e}")))?;
        let read = |kind: PageKind, p: u32| read_page(source, &manifest, kind, p);
        let mut vec_pages = VectorPages::new(source, &manifest);
        let seqs = log_seqs(source)?;
        let h = manifest.header;
        // Graph pages in two passes, one page at a time: levels first (nodes must exist in
        // slot order), then lists (which link to later slots too). Holding every decoded page
        // instead would cost a few hundred bytes per node at the peak of an open.
        let mut levels: Vec<u8> = Vec::new();
        if coll.graph.is_some() {
            levels.reserve(h.slots as usize);
            for (kind, p) in pages_of(PageKind::Graph, 0, h.slots) {
                let (key, v) = read(kind, p)?;
                let (first, page) = GraphPage::decode_levels(&key, &v)?;
                let expected = ((p + 1) * kind.slots()).min(h.slots) - p * kind.slots();
                if first != p * kind.slots() || page.len() != expected as usize {
                    return Err(corrupt(&key, "page shape does not match the manifest"));
                }
                if let Some(i) = page
                    .iter()
                    .position(|&l| l == 0 || l as usize > MAX_LEVEL + 1)
                {
                    return Err(corrupt(
                        &key,
                        format!("node {} has an impossible level", first + i as u32),
                    ));
                }
                levels.extend(page);
            }
        }
        // Room for every slot at once, log included: growing step by step would copy the
        // arena again and again, and in a browser touch fresh memory each time.
        let last_slots = seqs
            .last()
            .and_then(|&s| source.get(&log_key(s)).ok().flatten().map(|v| (s, v)))
            .and_then(|(s, v)| LogRecord::decode(&log_key(s), &v).ok())
            .map_or(0, |r| r.header.slots);
        let tiers = tiers(&coll);
        coll.reserve_slots(h.slots.max(last_slots) as usize, !tiers);
        if let (true, Some(q), Some(c)) = (tiers, &manifest.int8, coll.coarse.as_mut()) {
            c.restore_stored(q)
                .map_err(|e| corrupt(MANIFEST_KEY, format!("int8 ranges: {e}")))?;
        }
        let per_page = PageKind::Vectors.slots();
        let level_of = |i: u32| levels.get(i as usize).map_or(0, |&l| l as usize - 1);
        // Slots whose codes come from code pages (the rest are encoded again and their code
        // pages rewritten at the next checkpoint: a version 1 database migrates).
        let codes_stored = manifest.first_vector_page_read() * per_page;
        let mut i = 0;
        while i < h.slots {
            if i < codes_stored {
                let (key, v) = read(PageKind::Codes, i / per_page)?;
                restore_codes(&mut coll, &key, &v, i, &level_of)?;
                i += per_page;
                continue;
            }
            restore_vector(&mut coll, &mut vec_pages, i, level_of(i))?;
            i += 1;
            // Every page the manifest names is stored: its originals can leave memory.
            if tiers && i % per_page == 0 && coll.codes_ready() {
                coll.vectors.evict_before(i as usize);
            }
        }
        drop(levels);
        if let Some(g) = coll.graph.as_mut() {
            for (kind, p) in pages_of(PageKind::Graph, 0, h.slots) {
                let (key, v) = read(kind, p)?;
                let page = GraphPage::decode(&key, &v)?;
                let expected = ((p + 1) * kind.slots()).min(h.slots) - p * kind.slots();
                if page.first != p * kind.slots() || page.nodes.len() != expected as usize {
                    return Err(corrupt(&key, "changed between two reads"));
                }
                for (j, lists) in page.nodes.iter().enumerate() {
                    let s = Slot(page.first + j as u32);
                    if lists.len() != g.level(s) + 1 {
                        return Err(corrupt(&key, "changed between two reads"));
                    }
                    for (l, links) in lists.iter().enumerate() {
                        check_links(&key, links, h.slots, g.capacity(l))?;
                        g.restore_links(s, l, links);
                    }
                }
            }
        }
        for p in pages_of(PageKind::Meta, 0, h.slots).map(|(_, p)| p) {
            let (key, v) = read(PageKind::Meta, p)?;
            let page = MetaPage::decode(&key, &v)?;
            for m in page.slots {
                if m.slot >= h.slots {
                    return Err(corrupt(
                        &key,
                        format!("slot {} beyond the manifest's {} slots", m.slot, h.slots),
                    ));
                }
                restore_meta(&mut coll, &key, m)?;
            }
        }
        set_header(&mut coll, &h, MANIFEST_KEY)?;
        let mut db = Database {
            coll,
            next_seq: manifest.folded_seq + 1,
            synced_slots: h.slots,
            manifest,
            dirty: BTreeSet::new(),
            log: BTreeMap::new(),
            policy: CheckpointPolicy::default(),
            stats: StorageStats::default(),
            codes_noted: codes_stored,
        };
        let after = db.manifest.folded_seq;
        for seq in seqs.into_iter().filter(|&s| s > after) {
            if seq != db.next_seq {
                return Err(RecordError::Missing {
                    key: log_key(db.next_seq),
                }
                .into());
            }
            let key = log_key(seq);
            let v = source
                .get(&key)?
                .ok_or(RecordError::Missing { key: key.clone() })?;
            let rec = LogRecord::decode(&key, &v)?;
            db.apply(&key, &rec, &mut vec_pages)?;
            db.log.insert(seq, v.len() + key.len());
        }
        db.coll.set_tracking(true);
        db.note_codes();
        db.evict();
        Ok(db)
    }

    /// Applies a log record read from storage (opening, or catching up with another writer).
    fn apply(
        &mut self,
        key: &str,
        rec: &LogRecord,
        vec_pages: &mut VectorPages<'_>,
    ) -> Result<(), OpenError> {
        let slots = self.coll.vectors.slots() as u32;
        let dim = self.coll.config.dimensions;
        let cos = self.coll.config.metric == crate::Metric::Cosine;
        let n = rec.new_count as usize;
        let hnsw = self.coll.graph.is_some();
        if rec.seq != self.next_seq
            || rec.first_new != slots
            || rec.header.slots != slots + rec.new_count
            || rec.levels.len() != if hnsw { n } else { 0 }
            || rec.norms.len() != if cos { n } else { 0 }
            || rec.vectors.len() != if rec.inline { n * dim } else { 0 }
        {
            return Err(corrupt(key, "does not follow the state before it"));
        }
        self.coll.reserve_slots(n, !tiers(&self.coll));
        for j in 0..rec.new_count {
            let level = rec.levels.get(j as usize).copied().unwrap_or(0) as usize;
            if rec.inline {
                let v = &rec.vectors[j as usize * dim..(j as usize + 1) * dim];
                let norm = rec.norms.get(j as usize).copied().unwrap_or(1.0);
                self.coll.restore_slot(v, norm, level);
            } else {
                restore_vector(&mut self.coll, vec_pages, slots + j, level)?;
            }
        }
        let total = rec.header.slots;
        if let Some(g) = self.coll.graph.as_mut() {
            for (slot, level, links) in &rec.lists {
                if *slot >= total || *level as usize > g.level(Slot(*slot)) {
                    return Err(corrupt(
                        key,
                        format!("list of node {slot} at level {level} does not exist"),
                    ));
                }
                check_links(key, links, total, g.capacity(*level as usize))?;
                g.restore_links(Slot(*slot), *level as usize, links);
            }
        }
        for m in &rec.meta {
            if m.slot >= total {
                return Err(corrupt(key, format!("slot {} does not exist", m.slot)));
            }
            restore_meta(&mut self.coll, key, m.clone())?;
        }
        set_header(&mut self.coll, &rec.header, key)?;
        // Restoring is not a change of ours: nothing of it goes into our next log record.
        if let Some(g) = self.coll.graph.as_mut() {
            g.take_touched();
        }
        self.coll.take_meta_changes();
        self.next_seq = rec.seq + 1;
        self.synced_slots = total;
        self.dirty
            .extend(pages_of(PageKind::Vectors, slots, total).filter(|_| rec.inline));
        self.dirty
            .extend(pages_of(PageKind::Graph, slots, total).filter(|_| hnsw));
        self.dirty.extend(
            rec.lists
                .iter()
                .map(|(s, _, _)| (PageKind::Graph, s / PageKind::Graph.slots())),
        );
        self.dirty.extend(
            rec.meta
                .iter()
                .map(|m| (PageKind::Meta, m.slot / PageKind::Meta.slots())),
        );
        self.note_codes();
        self.evict();
        Ok(())
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

    /// The keys of the vector pages [`Database::get`] and [`Database::fill_vectors`] read
    /// for `ids` (all of [`Database::snapshot`]'s when `None`): pages whose originals are
    /// not in memory. Such pages are never rewritten, so the keys stay valid.
    pub fn stored_page_keys(&self, ids: Option<&[&str]>) -> Vec<String> {
        let per = PageKind::Vectors.slots();
        let base = self.coll.vectors.base() as u32;
        let mut pages: Vec<u64> = match ids {
            Some(ids) => ids
                .iter()
                .filter_map(|id| self.coll.ids.slot(id))
                .filter(|s| s.0 < base)
                .map(|s| (s.0 / per) as u64)
                .collect(),
            None => (0..base.div_ceil(per) as u64).collect(),
        };
        pages.sort_unstable();
        pages.dedup();
        pages
            .into_iter()
            .filter_map(|p| {
                let p = p as u32;
                let gen = self.manifest.pages.get(&(PageKind::Vectors, p))?;
                Some(PageKind::Vectors.key(p, *gen))
            })
            .collect()
    }

    /// Whether `source` still holds the manifest this database last opened, folded or caught
    /// up to: no other writer has folded the log or replaced the database since, so the keys
    /// [`Database::stored_page_keys`] names hold the pages this database means by them (an
    /// import may reuse a key for different contents). Read the manifest in the same
    /// transaction as the pages.
    pub fn manifest_is_current(&self, source: &dyn Backend) -> Result<bool, OpenError> {
        match read_manifest(source) {
            Ok(m) => Ok(m.folded_seq == self.manifest.folded_seq),
            Err(OpenError::NotFound) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Retrains the int8 ranges (`quantization: int8 | binary`) on the vectors there are now
    /// (an evenly spaced sample of at most `INT8_TRAIN_SAMPLE`, as the first training) and
    /// re-encodes every slot, reading the vectors not in memory from `source`. The graph is
    /// kept. Returns a checkpoint that stores every code page and the new ranges; as with any
    /// write, if storing it fails the caller reopens.
    pub fn retrain(&mut self, source: &dyn Backend) -> Result<WriteBatch, RetrainError> {
        use crate::quantize::{Int8Quantizer, INT8_TRAIN_SAMPLE};
        if !tiers(&self.coll) {
            return Err(RetrainError::NotQuantized);
        }
        if !self.coll.codes_ready() {
            return Err(RetrainError::TooFew {
                min: crate::index::int8_codes::ONCE_SLOTS,
            });
        }
        let (n, dim) = (self.coll.vectors.slots(), self.coll.config.dimensions);
        let mut pages = VectorPages::new(source, &self.manifest);
        let mut stored = |s: usize| -> Result<Vec<f32>, OpenError> {
            match self.coll.vectors.resident(Slot(s as u32)) {
                Some(v) => Ok(v.to_vec()),
                None => Ok(pages.get(s as u32)?.0.to_vec()),
            }
        };
        let mut sample = Vec::new();
        for s in (0..n).step_by(n.div_ceil(INT8_TRAIN_SAMPLE)) {
            sample.extend(stored(s)?);
        }
        let quantizer =
            Int8Quantizer::train(&sample, dim).map_err(|_| RetrainError::TooFew { min: 1 })?;
        drop(sample);
        // Re-encoded a page at a time, as the pages are read: never all the floats at once.
        let mut failed = None;
        let rows = (0..n).map_while(|s| stored(s).map_err(|e| failed = Some(e)).ok());
        let old = self.coll.coarse.take();
        let rebuilt = old.as_ref().map(|c| c.rebuilt(quantizer, n, dim, rows));
        if let Some(e) = failed {
            self.coll.coarse = old;
            return Err(e.into());
        }
        self.coll.coarse = rebuilt;
        self.manifest.int8 = self.coll.coarse.as_ref().and_then(|c| c.stored());
        self.codes_noted = 0;
        self.note_codes();
        Ok(self.checkpoint().unwrap_or_default())
    }

    /// Rescoring: recomputes every hit's distance exactly from its float32 vector (from
    /// memory, or its page in `source`), reorders them (ties to the vector inserted first) and
    /// keeps the best `k`. Once a `quantization: int8 | binary` collection's originals are
    /// in storage its searches rank by int8 estimates; a search for
    /// `k · RESCORE_CANDIDATES` hits finished by this is slower and exact in its distances.
    pub fn rescore(
        &self,
        query: &[f32],
        hits: &mut Vec<Hit>,
        k: usize,
        source: &dyn Backend,
    ) -> Result<(), SearchError> {
        let q = self.coll.vectors.prepare_query(query)?;
        let metric = self.coll.config.metric;
        let mut slotted: Vec<(Slot, Hit)> = hits
            .drain(..)
            .filter_map(|h| Some((self.coll.ids.slot(&h.id)?, h)))
            .collect();
        // In slot order, so each page is read and decoded once (`slot << 32 | index`, sorted
        // as the crate's other cold-path `u64` sorts are).
        let mut order: Vec<u64> = slotted
            .iter()
            .enumerate()
            .map(|(i, (s, _))| ((s.0 as u64) << 32) | i as u64)
            .collect();
        order.sort_unstable();
        let index_of = |slot: Slot| {
            let at = order
                .binary_search_by_key(&slot.0, |&o| (o >> 32) as u32)
                .ok()?;
            Some(order[at] as u32 as usize)
        };
        let mut pages = VectorPages::new(source, &self.manifest);
        let mut ranked = Vec::with_capacity(slotted.len());
        for &o in &order {
            let (slot, h) = &mut slotted[o as u32 as usize];
            let d = match self.coll.vectors.resident(*slot) {
                Some(v) => metric.distance(&q, v),
                None => {
                    let v = pages.get(slot.0).map_err(|source| GetError::Storage {
                        id: h.id.clone(),
                        source,
                    })?;
                    metric.distance(&q, v.0)
                }
            };
            h.distance = d;
            h.score = metric.score(d);
            ranked.push(Candidate {
                distance: d,
                slot: *slot,
            });
        }
        // By distance, ties to the lower slot (the vector inserted first).
        ranked.sort_unstable();
        let best = ranked.iter().take(k).filter_map(|c| index_of(c.slot));
        hits.extend(best.map(|i| slotted[i].1.clone()));
        Ok(())
    }

    /// The stored form of `slot`'s vector, read from its page in `source`.
    fn stored_vector(&self, source: &dyn Backend, slot: Slot) -> Result<Vec<f32>, OpenError> {
        let mut pages = VectorPages::new(source, &self.manifest);
        Ok(pages.get(slot.0)?.0.to_vec())
    }

    /// The vector, as given, and metadata of `id` (`Ok(None)`: unknown id), reading the
    /// vector from `source` when it is not in memory.
    pub fn get(&self, id: &str, source: &dyn Backend) -> Result<Option<Record>, GetError> {
        self.coll.get_with(id, |slot| {
            self.stored_vector(source, slot)
                .map_err(|source| GetError::Storage {
                    id: id.to_owned(),
                    source,
                })
        })
    }

    /// Fills the vectors a search with `include_vectors` left out because they are in
    /// storage (a durable `quantization: int8` collection), reading them from `source`.
    pub fn fill_vectors(&self, hits: &mut [Hit], source: &dyn Backend) -> Result<(), GetError> {
        for h in hits.iter_mut().filter(|h| h.vector.is_none()) {
            h.vector = self.get(&h.id, source)?.map(|r| r.vector);
        }
        Ok(())
    }

    /// For a reader at sequence number `seq` (another tab): the log records after it, or
    /// [`CatchUp::Folded`] when they are gone into pages and it must reload.
    pub fn records_after(source: &dyn Backend, seq: u64) -> Result<CatchUp, OpenError> {
        let manifest = read_manifest(source)?;
        if manifest.folded_seq > seq {
            return Ok(CatchUp::Folded {
                folded_seq: manifest.folded_seq,
            });
        }
        let recs = log_after(source, seq)?;
        Ok(CatchUp::Records(recs.into_iter().map(|(r, _)| r).collect()))
    }

    /// Applies records from [`Database::records_after`] (a reader catching up). Bulk
    /// records read their vectors from `source`. Records this database has already
    /// applied are skipped, so catching up twice from overlapping reads is harmless.
    ///
    /// `source` must be at least as new as this database's last commit (it is what storage
    /// holds now): its manifest replaces ours, since another writer may have folded the
    /// log or rewritten pages since.
    pub fn catch_up(
        &mut self,
        source: &dyn Backend,
        records: &[LogRecord],
    ) -> Result<(), OpenError> {
        let manifest = read_manifest(source)?;
        let sized = records.iter().map(|r| {
            let key = log_key(r.seq);
            (r, r.encode(&key).len())
        });
        self.apply_log(source, manifest, sized)
    }

    /// [`Database::catch_up`] with the stored size of each record known.
    fn apply_log<'r>(
        &mut self,
        source: &dyn Backend,
        manifest: Manifest,
        records: impl Iterator<Item = (&'r LogRecord, usize)>,
    ) -> Result<(), OpenError> {
        let mut vec_pages = VectorPages::new(source, &manifest);
        self.manifest = manifest;
        for (r, size) in records {
            if r.seq < self.next_seq {
                continue;
            }
            let key = log_key(r.seq);
            self.apply(&key, r, &mut vec_pages)?;
            self.log.insert(r.seq, size + key.len());
        }
        // What another writer folded is no longer ours to fold.
        let folded = self.manifest.folded_seq;
        self.log.retain(|&s, _| s > folded);
        if folded + 1 >= self.next_seq {
            self.dirty.clear();
        }
        self.evict();
        Ok(())
    }

    /// Brings this database up to what `source` holds now (another writer committed):
    /// applies the log records after our last sequence number and returns how many, or
    /// [`CatchUp::Folded`] when they were folded into pages and only a reopen
    /// ([`Database::open`]) can catch up. `source` must hold the manifest, the log
    /// records after ours and the vector pages from our last slot on (see
    /// [`Database::sync_vector_page`]).
    pub fn sync(&mut self, source: &dyn Backend) -> Result<Result<usize, CatchUp>, OpenError> {
        let seq = self.next_seq - 1;
        let manifest = read_manifest(source)?;
        if manifest.folded_seq > seq {
            return Ok(Err(CatchUp::Folded {
                folded_seq: manifest.folded_seq,
            }));
        }
        let recs = log_after(source, seq)?;
        self.apply_log(source, manifest, recs.iter().map(|(r, size)| (r, *size)))?;
        Ok(Ok(recs.len()))
    }

    /// The first vector page [`Database::sync`] may need: the one holding our next slot
    /// (a bulk record from another writer puts its vectors in pages from there on).
    pub fn sync_vector_page(&self) -> u32 {
        self.coll.vectors.slots() as u32 / PageKind::Vectors.slots()
    }

    /// Numbers this database's [`Database::snapshot`] after `seq` (its folded sequence
    /// number becomes at least `seq + 1`): a database that replaces another (an import)
    /// must look newer to readers that were at `seq`, so that they reload rather than wait
    /// for records that will never come.
    pub fn advance_seq(&mut self, seq: u64) {
        self.next_seq = self.next_seq.max(seq + 2);
    }

    /// Every record of the current state as a fresh, fully folded set (pages and a
    /// manifest, no log): what `export` writes. Vector pages whose originals left memory
    /// are read from `source` (this database's storage).
    pub fn snapshot(&self, source: &dyn Backend) -> Result<Vec<(String, Vec<u8>)>, OpenError> {
        let base = self.coll.vectors.base() as u32;
        let mut stored = VectorPages::new(source, &self.manifest);
        let slots = self.coll.vectors.slots() as u32;
        let mut manifest = self.manifest.clone();
        manifest.pages.clear();
        manifest.folded_seq = self.next_seq - 1;
        manifest.header = self.header();
        let mut out = Vec::new();
        let kinds = [
            PageKind::Vectors,
            PageKind::Graph,
            PageKind::Meta,
            PageKind::Codes,
        ];
        let codes = tiers(&self.coll) && self.coll.codes_ready();
        for kind in kinds.into_iter().filter(|k| match k {
            PageKind::Graph => self.coll.graph.is_some(),
            PageKind::Codes => codes,
            _ => true,
        }) {
            for (_, p) in pages_of(kind, 0, slots) {
                let key = kind.key(p, 0);
                let first = p * kind.slots();
                let bytes = if kind == PageKind::Vectors && first < base {
                    let end = (first + kind.slots()).min(slots);
                    let mut page = VectorPage {
                        first,
                        count: end - first,
                        vectors: Vec::new(),
                        norms: Vec::new(),
                    };
                    for s in first..end {
                        page.vectors.extend_from_slice(stored.get(s)?.0);
                        page.norms.extend(self.coll.vectors.norm(Slot(s)));
                    }
                    page.encode(&key)
                } else {
                    self.encode_page(kind, p, &key)
                };
                out.push((key, bytes));
                manifest.pages.insert((kind, p), 0);
            }
        }
        manifest.next_gen = 1;
        out.push((MANIFEST_KEY.into(), manifest.encode(MANIFEST_KEY)));
        Ok(out)
    }
}

/// Whether the collection's originals leave memory once stored (`quantization: int8` or
/// `binary`, HNSW).
fn tiers(coll: &Collection) -> bool {
    coll.config().quantization.has_codes() && coll.graph.is_some()
}

/// The log records after `seq`, in order, each with its stored size; a gap is `Missing`.
fn log_after(source: &dyn Backend, seq: u64) -> Result<Vec<(LogRecord, usize)>, OpenError> {
    let mut out = Vec::new();
    for s in log_seqs(source)?.into_iter().filter(|&s| s > seq) {
        let expected = seq + 1 + out.len() as u64;
        if s != expected {
            return Err(RecordError::Missing {
                key: log_key(expected),
            }
            .into());
        }
        let key = log_key(s);
        let v = source
            .get(&key)?
            .ok_or(RecordError::Missing { key: key.clone() })?;
        out.push((LogRecord::decode(&key, &v)?, v.len()));
    }
    Ok(out)
}

fn read_manifest(source: &dyn Backend) -> Result<Manifest, OpenError> {
    let bytes = source.get(MANIFEST_KEY)?.ok_or(OpenError::NotFound)?;
    Ok(Manifest::decode(MANIFEST_KEY, &bytes)?)
}

/// The key and bytes of the live generation of page `p`, as the manifest names it.
fn read_page(
    source: &dyn Backend,
    manifest: &Manifest,
    kind: PageKind,
    p: u32,
) -> Result<(String, Vec<u8>), OpenError> {
    let gen = manifest
        .pages
        .get(&(kind, p))
        .ok_or_else(|| corrupt(MANIFEST_KEY, format!("names no {kind:?} page {p}")))?;
    let key = kind.key(p, *gen);
    let v = source
        .get(&key)?
        .ok_or(RecordError::Missing { key: key.clone() })?;
    Ok((key, v))
}

fn log_seqs(source: &dyn Backend) -> Result<Vec<u64>, OpenError> {
    let mut seqs = Vec::new();
    for key in source.keys(LOG_PREFIX)? {
        let seq = key[LOG_PREFIX.len()..]
            .parse::<u64>()
            .map_err(|_| corrupt(&key, "log key without a sequence number"))?;
        seqs.push(seq);
    }
    seqs.sort_unstable();
    Ok(seqs)
}

fn check_links(key: &str, links: &[u32], slots: u32, capacity: usize) -> Result<(), OpenError> {
    if links.len() > capacity {
        return Err(corrupt(
            key,
            format!(
                "a list of {} links exceeds its capacity {capacity}",
                links.len()
            ),
        ));
    }
    match links.iter().find(|&&l| l >= slots) {
        Some(l) => Err(corrupt(
            key,
            format!("links to node {l}, beyond {slots} slots"),
        )),
        None => Ok(()),
    }
}

fn restore_vector(
    coll: &mut Collection,
    pages: &mut VectorPages<'_>,
    slot: u32,
    level: usize,
) -> Result<(), OpenError> {
    let (v, norm) = pages.get(slot)?;
    coll.restore_slot(v, norm, level);
    Ok(())
}

/// Restores the full vector page's worth of slots from `first` from their code page (`key`,
/// `bytes`): the vectors stay in storage.
fn restore_codes(
    coll: &mut Collection,
    key: &str,
    bytes: &[u8],
    first: u32,
    level_of: &impl Fn(u32) -> usize,
) -> Result<(), OpenError> {
    let page = CodesPage::decode(key, bytes)?;
    let dim = coll.config().dimensions;
    let n = PageKind::Codes.slots();
    let cosine = coll.config().metric == crate::Metric::Cosine;
    if page.first != first
        || page.count != n
        || page.cosine.len() != if cosine { n as usize } else { 0 }
    {
        return Err(corrupt(key, "page shape does not match the manifest"));
    }
    for j in 0..n {
        let norm = page.cosine.get(j as usize).copied().unwrap_or(1.0);
        if !coll.restore_slot_stored(norm, level_of(first + j)) {
            return Err(corrupt(key, "follows vectors still in memory"));
        }
    }
    let restored = coll
        .coarse
        .as_mut()
        .is_some_and(|c| c.restore_page(&page.codes, &page.residual, &page.norm, dim));
    if !restored {
        return Err(corrupt(key, "codes do not fit the collection"));
    }
    Ok(())
}

fn restore_meta(coll: &mut Collection, key: &str, m: SlotMeta) -> Result<(), OpenError> {
    let metadata = match m.metadata {
        Some(b) => Some(
            serde_json::from_slice::<Value>(&b)
                .map_err(|e| corrupt(key, format!("slot {} metadata: {e}", m.slot)))?,
        ),
        None => None,
    };
    if let Some(id) = &m.id {
        crate::ids::validate(id).map_err(|e| corrupt(key, format!("slot {}: {e}", m.slot)))?;
        if let Some(other) = coll
            .ids
            .slot(id)
            .filter(|s| s.0 != m.slot && coll.live[s.index()])
        {
            // A later record may free `other` (an upsert moves an id to a new slot), but the
            // old slot's record comes first in slot order, so a live clash here is damage.
            return Err(corrupt(
                key,
                format!(
                    "id {id:?} of slot {} is already live at slot {}",
                    m.slot, other.0
                ),
            ));
        }
    }
    coll.restore_meta(Slot(m.slot), m.id.as_deref(), metadata);
    Ok(())
}

fn set_header(coll: &mut Collection, h: &Header, key: &str) -> Result<(), OpenError> {
    coll.generated = h.generated;
    if let Some(g) = coll.graph.as_mut() {
        if let Some(e) = h.entry {
            if e >= h.slots || g.level(Slot(e)) != h.top as usize {
                return Err(corrupt(
                    key,
                    format!("entry point {e} at level {} does not exist", h.top),
                ));
            }
        }
        g.set_header(GraphHeader {
            entry: h.entry.map(Slot),
            top: h.top as usize,
            rng_state: h.rng_state,
        });
    }
    Ok(())
}
