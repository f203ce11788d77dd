//! Opening a database from its records, and catching up with records other writers added:
//! copies only, never a distance.

use std::collections::{BTreeMap, BTreeSet};

use super::{pages_of, tiers, CatchUp, CheckpointPolicy, Database, StorageStats};
use crate::collection::Collection;
use crate::index::hnsw::MAX_LEVEL;
use crate::index::GraphHeader;
use crate::metadata::Meta;
use crate::storage::records::{
    CodesPage, GraphPage, Header, LogRecord, Manifest, MetaPage, SlotMeta,
};
use crate::storage::text_pages::TextPage;
use crate::storage::vector_pages::VectorPages;
use crate::storage::{
    corrupt, log_key, log_seq, OpenError, PageKind, RecordError, RecordSource, LOG_PREFIX,
    MANIFEST_KEY,
};
use crate::vectors::Slot;

impl Database {
    /// Rebuilds a database from its records: the manifest, the pages it names and the log
    /// after it. Copies only; computes no distance.
    pub fn open(source: &dyn RecordSource) -> Result<Database, OpenError> {
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
            c.restore_ranges(q)
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
                restore_meta(&mut coll, &key, m, false)?;
            }
        }
        restore_text_pages(&mut coll, source, &manifest)?;
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
        // Replayed texts are indexed; the buckets they change are dirty (`apply`).
        if let Some(t) = db.coll.text.as_mut() {
            t.set_tracking(true);
        }
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
            restore_meta(&mut self.coll, key, m.clone(), true)?;
        }
        self.note_text();
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

    /// For a reader at sequence number `seq` (another tab): the log records after it, or
    /// [`CatchUp::Folded`] when they are gone into pages and it must reload.
    pub fn records_after(source: &dyn RecordSource, seq: u64) -> Result<CatchUp, OpenError> {
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
        source: &dyn RecordSource,
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
        source: &dyn RecordSource,
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
    pub fn sync(&mut self, source: &dyn RecordSource) -> Result<Result<usize, CatchUp>, OpenError> {
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

    /// The sequence number of what `source` holds: its newest log record's, or its
    /// manifest's when there is none; 0 when neither is readable. Reads the manifest and the
    /// log's keys only: what a database that replaces it must be numbered after (see
    /// [`Database::advance_seq`]), without opening it.
    pub fn stored_seq(source: &dyn RecordSource) -> u64 {
        let folded = (source.get(MANIFEST_KEY).ok().flatten())
            .and_then(|v| Manifest::decode(MANIFEST_KEY, &v).ok())
            .map_or(0, |m| m.folded_seq);
        (source.keys(LOG_PREFIX).unwrap_or_default().iter())
            .filter_map(|k| log_seq(k))
            .fold(folded, u64::max)
    }

    /// Numbers this database's [`Database::snapshot`] after `seq` (its folded sequence
    /// number becomes at least `seq + 1`): a database that replaces another (an import)
    /// must look newer to readers that were at `seq`, so that they reload rather than wait
    /// for records that will never come.
    pub fn advance_seq(&mut self, seq: u64) {
        self.next_seq = self.next_seq.max(seq + 2);
    }
}

/// The log records after `seq`, in order, each with its stored size; a gap is `Missing`.
fn log_after(source: &dyn RecordSource, seq: u64) -> Result<Vec<(LogRecord, usize)>, OpenError> {
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

pub(super) fn read_manifest(source: &dyn RecordSource) -> Result<Manifest, OpenError> {
    let bytes = source.get(MANIFEST_KEY)?.ok_or(OpenError::NotFound)?;
    Ok(Manifest::decode(MANIFEST_KEY, &bytes)?)
}

/// The key and bytes of the live generation of page `p`, as the manifest names it.
fn read_page(
    source: &dyn RecordSource,
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

fn log_seqs(source: &dyn RecordSource) -> Result<Vec<u64>, OpenError> {
    let mut seqs = Vec::new();
    for key in source.keys(LOG_PREFIX)? {
        let seq =
            log_seq(&key).ok_or_else(|| corrupt(&key, "log key without a sequence number"))?;
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

/// Restores one slot's id, metadata and text; `index`: the text is indexed now (a log
/// record), not by text pages.
fn restore_meta(
    coll: &mut Collection,
    key: &str,
    m: SlotMeta,
    index: bool,
) -> Result<(), OpenError> {
    let metadata = match m.metadata {
        // Checked to be JSON now, parsed when first needed.
        Some(b) => Some(
            Meta::stored(b).map_err(|e| corrupt(key, format!("slot {} metadata: {e}", m.slot)))?,
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
    if !coll.restore_text(Slot(m.slot), m.text, index) {
        return Err(corrupt(
            key,
            format!(
                "slot {} has text but the database has no text index",
                m.slot
            ),
        ));
    }
    Ok(())
}

/// The postings of every text page the manifest names, then the text index's statistics.
fn restore_text_pages(
    coll: &mut Collection,
    source: &dyn RecordSource,
    manifest: &Manifest,
) -> Result<(), OpenError> {
    let buckets: Vec<u32> = (manifest.pages.keys())
        .filter(|(k, _)| *k == PageKind::Text)
        .map(|&(_, b)| b)
        .collect();
    let Some(ix) = coll.text.as_mut() else {
        return match buckets.first() {
            Some(b) => Err(corrupt(
                MANIFEST_KEY,
                format!("names text page {b} but the database has no text index"),
            )),
            None => Ok(()),
        };
    };
    for b in buckets {
        let (key, v) = read_page(source, manifest, PageKind::Text, b)?;
        let page = TextPage::decode(&key, &v)?;
        if page.bucket != b {
            return Err(corrupt(&key, format!("holds bucket {}", page.bucket)));
        }
        for (term, postings) in page.terms {
            ix.restore_postings(b, &term, postings)
                .map_err(|e| corrupt(&key, e))?;
        }
    }
    ix.finish_restore();
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
