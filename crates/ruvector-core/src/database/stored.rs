//! What reads back from storage after open: vectors kept in storage only (get, rescoring,
//! includeVectors), retraining, the page keys they need, and snapshots for export.

use super::open::read_manifest;
use super::{pages_of, tiers, Database, RESCORE_CANDIDATES};
use crate::collection::{Hit, SearchQuery, SearchResults, StoredItem};
use crate::error::{GetError, RetrainError, SearchError};
use crate::index::Candidate;
use crate::limits::MAX_K;
use crate::storage::records::VectorPage;
use crate::storage::vector_pages::VectorPages;
use crate::storage::{OpenError, PageKind, PageRef, RecordSource, WriteBatch, MANIFEST_KEY};
use crate::vectors::Slot;

impl Database {
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
    pub fn manifest_is_current(&self, source: &dyn RecordSource) -> Result<bool, OpenError> {
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
    pub fn retrain(&mut self, source: &dyn RecordSource) -> Result<WriteBatch, RetrainError> {
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
        self.manifest.int8 = self.coll.coarse.as_ref().and_then(|c| c.ranges());
        self.codes_noted = 0;
        self.note_codes();
        Ok(self.checkpoint().unwrap_or_default())
    }

    /// Rescoring: recomputes every hit's distance exactly from its float32 vector (from
    /// memory, or its page in `source`), reorders them (ties to the vector inserted first) and
    /// keeps the best `k`. Once a `quantization: int8 | binary` collection's originals are
    /// in storage its searches rank by int8 estimates; a search for
    /// `k · RESCORE_CANDIDATES` hits finished by this is slower and exact in its distances.
    /// With `include_vectors`, every kept hit leaves with its vector as given, taken from the
    /// page the rescoring read (each page is read and decoded once; no
    /// [`Database::fill_vectors`] after it).
    pub fn rescore(
        &self,
        query: &[f32],
        hits: &mut Vec<Hit>,
        k: usize,
        include_vectors: bool,
        source: &dyn RecordSource,
    ) -> Result<(), SearchError> {
        let q = self.coll.vectors.prepare_query(query)?;
        let metric = self.coll.config.metric;
        let mut slotted: Vec<(Slot, Hit)> = hits
            .drain(..)
            .filter_map(|h| Some((self.coll.ids.slot(&h.id)?, h)))
            .collect();
        let order = slot_order(slotted.iter().map(|(s, _)| *s).enumerate());
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
            let v = self.stored_form(&mut pages, *slot, &h.id)?;
            if include_vectors && h.vector.is_none() {
                h.vector = Some(self.coll.vectors.restore_original(*slot, v));
            }
            let d = metric.distance(&q, v);
            h.distance = d;
            h.score = metric.score(d);
            ranked.push(Candidate {
                distance: d,
                slot: *slot,
            });
        }
        // By distance, ties to the lower slot (the vector inserted first); the kept hits
        // are moved out, not cloned with their vectors.
        ranked.sort_unstable();
        let mut slotted: Vec<Option<Hit>> = slotted.into_iter().map(|(_, h)| Some(h)).collect();
        let best = ranked.iter().take(k).filter_map(|c| index_of(c.slot));
        hits.extend(best.filter_map(|i| slotted[i].take()));
        Ok(())
    }

    /// The stored form of `slot`'s vector (`id`'s): from memory when it is there, else from
    /// its page in `pages` (read and decoded only when it is not the page in use).
    fn stored_form<'p>(
        &'p self,
        pages: &'p mut VectorPages<'_>,
        slot: Slot,
        id: &str,
    ) -> Result<&'p [f32], GetError> {
        match self.coll.vectors.resident(slot) {
            Some(v) => Ok(v),
            None => Ok(pages
                .get(slot.0)
                .map_err(|source| GetError::Storage {
                    id: id.to_owned(),
                    source,
                })?
                .0),
        }
    }

    /// The vector, as given, and metadata of `id` (`Ok(None)`: unknown id), reading the
    /// vector from `source` when it is not in memory.
    pub fn get(&self, id: &str, source: &dyn RecordSource) -> Result<Option<StoredItem>, GetError> {
        Ok(self.get_many(&[id.to_owned()], source)?.pop())
    }

    /// The records of `ids` as [`Database::get`] gives them, in order, unknown ids left out,
    /// read with one reader of `source`: ids in slot order (as an export pages) decode each
    /// stored page once, not once per vector.
    pub fn get_many(
        &self,
        ids: &[String],
        source: &dyn RecordSource,
    ) -> Result<Vec<StoredItem>, GetError> {
        let mut pages = VectorPages::new(source, &self.manifest);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let fetch = |slot| Ok(self.stored_form(&mut pages, slot, id)?.to_vec());
            out.extend(self.coll.get_with(id, fetch)?);
        }
        Ok(out)
    }

    /// Runs `query` in memory: the first half of every search of a database whose vectors
    /// may be in storage only. With `rescore` it finds `k · RESCORE_CANDIDATES` hits by
    /// the in-memory ranking (int8 estimates in a quantised collection), to be rescored
    /// from their float32 vectors. When [`PendingSearch::needs_stored`], read the pages of
    /// its hits, then [`Database::finish_search`].
    pub fn start_search(
        &self,
        query: &SearchQuery<'_>,
        rescore: bool,
    ) -> Result<PendingSearch, SearchError> {
        let mut wide = *query;
        // Rescoring reorders by distance: a vector search's alone.
        let rescore = rescore && query.mode == crate::collection::SearchMode::Vector;
        if rescore {
            wide.k = (query.k * RESCORE_CANDIDATES).min(MAX_K).max(query.k);
            // Rescoring gives the hits it keeps their vectors itself.
            wide.include_vectors = false;
        }
        Ok(PendingSearch {
            results: self.coll.search(&wide)?,
            k: query.k,
            rescore,
            include_vectors: query.include_vectors,
        })
    }

    /// The second half of a search: rescores `pending`'s hits from their float32 vectors
    /// ([`Database::rescore`]) and keeps the best `k`, or gives the hits whose vectors are
    /// in storage only their vectors ([`Database::fill_vectors`]), reading from `source`
    /// (which needs to hold only the stored pages of the hits).
    pub fn finish_search(
        &self,
        pending: PendingSearch,
        query: &[f32],
        source: &dyn RecordSource,
    ) -> Result<SearchResults, SearchError> {
        let PendingSearch {
            mut results,
            k,
            rescore,
            include_vectors,
        } = pending;
        if rescore {
            self.rescore(query, &mut results.hits, k, include_vectors, source)?;
        } else if include_vectors {
            self.fill_vectors(&mut results.hits, source)?;
        }
        Ok(results)
    }

    /// Fills the vectors a search with `include_vectors` left out because they are in
    /// storage (a durable `quantization: int8` collection), reading them from `source`.
    /// Each page is read and decoded once, however many hits it holds.
    pub fn fill_vectors(
        &self,
        hits: &mut [Hit],
        source: &dyn RecordSource,
    ) -> Result<(), GetError> {
        let missing = (hits.iter().enumerate()).filter(|(_, h)| h.vector.is_none());
        let order = slot_order(missing.filter_map(|(i, h)| Some((i, self.coll.ids.slot(&h.id)?))));
        let mut pages = VectorPages::new(source, &self.manifest);
        for o in order {
            let (slot, h) = (Slot((o >> 32) as u32), &mut hits[o as u32 as usize]);
            let stored = self.stored_form(&mut pages, slot, &h.id)?;
            h.vector = Some(self.coll.vectors.restore_original(slot, stored));
        }
        Ok(())
    }

    /// Every record of the current state as a fresh, fully folded set (pages and a
    /// manifest, no log): what `export` writes. Vector pages whose originals left memory
    /// are read from `source` (this database's storage).
    pub fn snapshot(&self, source: &dyn RecordSource) -> Result<Vec<(String, Vec<u8>)>, OpenError> {
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
            PageKind::Text,
        ];
        let codes = tiers(&self.coll) && self.coll.codes_ready();
        for kind in kinds.into_iter().filter(|k| match k {
            PageKind::Graph => self.coll.graph.is_some(),
            PageKind::Codes => codes,
            _ => true,
        }) {
            let pages: Vec<u32> = match (kind, &self.coll.text) {
                (PageKind::Text, Some(t)) => t.used_buckets().collect(),
                (PageKind::Text, None) => Vec::new(),
                _ => pages_of(kind, 0, slots).map(|(_, p)| p).collect(),
            };
            for p in pages {
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

impl Database {
    /// The manifest record as storage holds it once memory's changes are stored (the first
    /// of [`Database::page_records`], without encoding the pages).
    pub fn manifest_record(&self) -> Vec<u8> {
        self.manifest.encode(MANIFEST_KEY)
    }

    /// The records an open reads but the log, encoded from memory one at a time as the
    /// iterator is walked, manifest first, with how many there are: the manifest and every
    /// page it names, but the vector pages whose slots an open restores from code pages. What
    /// the browser's page cache holds; each record is the one storage holds under its key,
    /// since memory equals the pages. `None` while changes wait for a checkpoint (memory is
    /// ahead of the pages) or when a page an open reads is not in memory.
    pub fn page_records(&self) -> Option<(usize, impl Iterator<Item = (String, Vec<u8>)> + '_)> {
        let pages = self.page_list()?;
        let manifest = (MANIFEST_KEY.to_owned(), self.manifest_record());
        let encoded = pages.into_iter().map(move |p| self.page_record(p));
        Some((1 + encoded.len(), std::iter::once(manifest).chain(encoded)))
    }

    /// The pages of [`Database::page_records`] after the manifest, in its order, not yet
    /// encoded (`None` when it would be `None`): for a caller that encodes them a few at a
    /// time with [`Database::page_record`].
    pub fn page_list(&self) -> Option<Vec<PageRef>> {
        if !self.dirty.is_empty() {
            return None;
        }
        let first_vectors = self.manifest.first_vector_page_read();
        let base = self.coll.vectors.base() as u32;
        let pages: Vec<PageRef> = (self.manifest.pages.iter())
            .filter(|(&(kind, p), _)| kind != PageKind::Vectors || p >= first_vectors)
            .map(|(&(kind, page), &gen)| PageRef { kind, page, gen })
            .collect();
        let evicted = |p: &PageRef| p.kind == PageKind::Vectors && p.page * p.kind.slots() < base;
        (!pages.iter().any(evicted)).then_some(pages)
    }

    /// The key and record of `page`, one of [`Database::page_list`]'s, encoded from memory:
    /// the record storage holds while the manifest is the one the list came from and
    /// [`Database::pages_current`] holds.
    pub fn page_record(&self, page: PageRef) -> (String, Vec<u8>) {
        let key = page.key();
        let bytes = self.encode_page(page.kind, page.page, &key);
        (key, bytes)
    }

    /// True when memory equals the pages the manifest names: no change waits for a
    /// checkpoint.
    pub fn pages_current(&self) -> bool {
        self.dirty.is_empty()
    }
}

/// `(index, slot)` pairs as `slot << 32 | index`, sorted: walked in slot order, stored pages
/// are read and decoded once each (`VectorPages` keeps the page in use). A `u64` sort, as the
/// crate's other cold-path sorts are (one instantiation of the standard sort).
fn slot_order(items: impl Iterator<Item = (usize, Slot)>) -> Vec<u64> {
    let mut order: Vec<u64> = items
        .map(|(i, s)| ((s.0 as u64) << 32) | i as u64)
        .collect();
    order.sort_unstable();
    order
}

/// A search run in memory ([`Database::start_search`]) that may still need stored vectors.
#[derive(Debug)]
pub struct PendingSearch {
    /// The hits so far: the final ones unless rescoring is still to come.
    pub results: SearchResults,
    k: usize,
    rescore: bool,
    include_vectors: bool,
}

impl PendingSearch {
    /// Whether [`Database::finish_search`] reads stored vectors: to rescore, or for a hit
    /// whose vector was asked for and is not in memory. It reads those of the hits' pages
    /// that are not in memory ([`Database::stored_page_keys`] of the hits' ids).
    pub fn needs_stored(&self) -> bool {
        let missing = || self.results.hits.iter().any(|h| h.vector.is_none());
        self.rescore || (self.include_vectors && missing())
    }
}
