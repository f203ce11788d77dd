//! A collection: vectors of one dimension with string ids and optional JSON metadata,
//! searched through a flat or an HNSW index.
//!
//! Every write validates all of its input before it changes anything, so an error leaves
//! the collection exactly as it was, and a batch is all or nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use serde_json::Value;

use crate::distance::Metric;
use crate::error::{CreateError, DeleteError, GetError, InsertError, TextError, UpsertError};
use crate::filter::Filter;
use crate::ids::{self, IdMap};
use crate::index::int8_codes::Int8Codes;
use crate::index::{Hnsw, HnswParams, IndexKind, Scratch};
use crate::limits::{MAX_DIMENSIONS, MAX_EF};
use crate::metadata::Meta;
use crate::quantize::Quantization;
use crate::text::postings::TextIndex;
use crate::text::{TextConfig, MAX_TEXT_BYTES};
use crate::vectors::{grow, Slot, VectorStore};

mod search;

pub use search::{
    Hit, HitScores, SearchMode, SearchQuery, SearchResults, EXACT_SCAN_SELECTIVITY,
    HYBRID_CANDIDATES, SELECTIVITY_SAMPLE,
};

/// How a collection is made; fixed for its lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionConfig {
    /// Values per vector (1 to [`MAX_DIMENSIONS`]).
    pub dimensions: usize,
    /// How vectors are compared. Default `cosine`.
    #[serde(default)]
    pub metric: Metric,
    /// Which index answers searches. Default `hnsw`.
    #[serde(default)]
    pub index: IndexKind,
    /// HNSW parameters (ignored by the flat index).
    #[serde(default)]
    pub hnsw: HnswParams,
    /// Default `none`. (A flat index scans int8 codes anyway, exactly: see `index::int8_codes`.)
    /// Not written when `none`, so such a collection's records stay as before the option.
    #[serde(default, skip_serializing_if = "Quantization::is_none")]
    pub quantization: Quantization,
    /// A full-text index over each record's text, split as this says; `None` (the
    /// default) has none, and a record's text is then refused. Not written when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextConfig>,
}

impl CollectionConfig {
    /// A cosine HNSW collection of `dimensions` with default parameters.
    pub fn new(dimensions: usize) -> Self {
        CollectionConfig {
            dimensions,
            metric: Metric::default(),
            index: IndexKind::default(),
            hnsw: HnswParams::default(),
            quantization: Quantization::None,
            text: None,
        }
    }

    /// With a text index splitting text as `text` says.
    pub fn text(mut self, text: TextConfig) -> Self {
        self.text = Some(text);
        self
    }

    /// With this metric.
    pub fn metric(mut self, metric: Metric) -> Self {
        self.metric = metric;
        self
    }

    /// With this index.
    pub fn index(mut self, index: IndexKind) -> Self {
        self.index = index;
        self
    }

    /// With these HNSW parameters.
    pub fn hnsw(mut self, hnsw: HnswParams) -> Self {
        self.hnsw = hnsw;
        self
    }

    /// With this quantisation.
    pub fn quantization(mut self, quantization: Quantization) -> Self {
        self.quantization = quantization;
        self
    }

    fn validate(&self) -> Result<(), CreateError> {
        if self.dimensions == 0 || self.dimensions > MAX_DIMENSIONS {
            return Err(CreateError::Dimensions {
                got: self.dimensions,
                max: MAX_DIMENSIONS,
            });
        }
        if self.quantization.has_codes() && !Int8Codes::suits(self.metric) {
            return Err(CreateError::Quantization {
                metric: self.metric,
            });
        }
        let h = &self.hnsw;
        for (name, got, min, max) in [
            ("m", h.m, 2, 128),
            ("ef_construction", h.ef_construction, 1, MAX_EF),
            ("ef_search", h.ef_search, 1, MAX_EF),
        ] {
            if !(min..=max).contains(&got) {
                return Err(CreateError::HnswParam {
                    name,
                    got,
                    min,
                    max,
                });
            }
        }
        Ok(())
    }
}

/// A vector to insert whose values are borrowed: a row of a packed batch
/// ([`Collection::insert_rows`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ItemRef<'a> {
    /// Its id; `None` has a random one generated.
    pub id: Option<String>,
    /// Its values; the length must equal the collection's dimension.
    pub vector: &'a [f32],
    /// Optional JSON object, searchable by filters.
    pub metadata: Option<Value>,
    /// Optional text for full-text search (the collection needs a text index).
    pub text: Option<String>,
}

/// A vector to insert.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Item {
    /// Its id; `None` has a random one generated.
    pub id: Option<String>,
    /// Its values; the length must equal the collection's dimension.
    pub vector: Vec<f32>,
    /// Optional JSON object, searchable by filters.
    pub metadata: Option<Value>,
    /// Optional text for full-text search (the collection needs a text index).
    pub text: Option<String>,
}

impl Item {
    /// An item with this id and vector and no metadata.
    pub fn new(id: impl Into<String>, vector: Vec<f32>) -> Self {
        Item {
            id: Some(id.into()),
            vector,
            metadata: None,
            text: None,
        }
    }

    /// With this metadata.
    pub fn with_metadata(mut self, metadata: Value) -> Self {
        self.metadata = Some(metadata);
        self
    }

    /// With this text.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }
}

/// A stored vector, as [`Collection::get`] returns it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredItem {
    /// Its id.
    pub id: String,
    /// The vector as given (for cosine: normalised × norm, equal within 1e-6 relative).
    pub vector: Vec<f32>,
    /// Its metadata, if any.
    pub metadata: Option<Value>,
    /// Its text, if any.
    pub text: Option<String>,
}

/// What [`Collection::upsert`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upserted {
    /// The id was new; the vector was inserted.
    Inserted,
    /// The id existed; its vector and/or metadata were replaced.
    Updated,
}

/// A collection of vectors. Writes take `&mut self`; searches take `&self` and may run
/// from several threads at once.
#[derive(Debug)]
pub struct Collection {
    pub(crate) config: CollectionConfig,
    pub(crate) vectors: VectorStore,
    pub(crate) graph: Option<Hnsw>,
    pub(crate) ids: IdMap,
    /// Boxed: a slot without metadata costs a pointer, not a [`Meta`].
    pub(crate) metadata: Vec<Option<Box<Meta>>>,
    /// [`Meta::held_bytes`] summed over `metadata`, kept as it changes (stats stay O(1)).
    metadata_bytes: usize,
    /// `stats::json_bytes` summed over the values parsed so far (searches parse, `&self`).
    parsed_bytes: AtomicUsize,
    pub(crate) live: Vec<bool>,
    pub(crate) scratch: Mutex<Scratch>,
    pub(crate) evaluations: AtomicU64,
    pub(crate) generated: u64,
    /// Slots whose id, liveness or metadata changed since last taken (`None`: not tracking).
    pub(crate) meta_changes: Option<Vec<u32>>,
    /// A flat index's int8 codes, which let its exact scan read a quarter of the bytes.
    pub(crate) coarse: Option<Int8Codes>,
    /// The full-text index (`config.text`).
    pub(crate) text: Option<TextIndex>,
}

struct Prepared<'a> {
    id: String,
    vector: std::borrow::Cow<'a, [f32]>,
    norm: f32,
    metadata: Option<Meta>,
    text: Option<Box<str>>,
}

/// What [`Collection::upsert_with`] changes; each `None` keeps what is there.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Update<'a> {
    /// A new vector (required when the id is new).
    pub vector: Option<&'a [f32]>,
    /// New metadata; `Some(Value::Null)` clears it.
    pub metadata: Option<Value>,
    /// New text; `Some(None)` clears it.
    pub text: Option<Option<String>>,
}

impl Collection {
    /// An empty collection.
    pub fn new(config: CollectionConfig) -> Result<Self, CreateError> {
        config.validate()?;
        Ok(Collection {
            config,
            vectors: VectorStore::new(config.dimensions, config.metric),
            graph: (config.index == IndexKind::Hnsw).then(|| Hnsw::new(config.hnsw)),
            ids: IdMap::default(),
            metadata: Vec::new(),
            metadata_bytes: 0,
            parsed_bytes: AtomicUsize::new(0),
            live: Vec::new(),
            scratch: Mutex::new(Scratch::default()),
            evaluations: AtomicU64::new(0),
            generated: 0,
            meta_changes: None,
            coarse: match config.index {
                IndexKind::Flat if Int8Codes::suits(config.metric) => Some(Int8Codes::following()),
                IndexKind::Hnsw if config.quantization == Quantization::Int8 => {
                    Some(Int8Codes::once())
                }
                IndexKind::Hnsw if config.quantization == Quantization::Binary => {
                    Some(Int8Codes::once_with_bits())
                }
                _ => None,
            },
            text: config.text.map(TextIndex::new),
        })
    }

    /// Gives a collection without a text index an empty one (its records have no text).
    pub(crate) fn enable_text(&mut self, config: TextConfig) {
        if self.text.is_none() {
            self.config.text = Some(config);
            let mut ix = TextIndex::new(config);
            ix.set_tracking(self.meta_changes.is_some());
            self.text = Some(ix);
        }
    }

    /// The configuration it was created with.
    pub fn config(&self) -> &CollectionConfig {
        &self.config
    }

    /// Live vectors.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when it holds no live vector.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// True when `id` is live.
    pub fn contains(&self, id: &str) -> bool {
        self.ids.slot(id).is_some()
    }

    /// Inserts one vector and returns its id (generated when `item.id` is `None`).
    pub fn insert(&mut self, item: Item) -> Result<String, InsertError> {
        let mut ids = self.insert_batch(vec![item])?;
        Ok(ids.remove(0))
    }

    /// Inserts all items or none; returns their ids in order.
    pub fn insert_batch(&mut self, mut items: Vec<Item>) -> Result<Vec<String>, InsertError> {
        let rows = items.iter_mut().map(|it| ItemRef {
            id: it.id.take(),
            vector: &it.vector,
            metadata: it.metadata.take(),
            text: it.text.take(),
        });
        self.insert_rows(rows.collect())
    }

    /// [`Collection::insert_batch`] for items whose vectors are borrowed (rows of a packed
    /// batch, say): all or none, and no vector is copied before it is stored (cosine
    /// normalises into a copy).
    pub fn insert_rows(&mut self, rows: Vec<ItemRef<'_>>) -> Result<Vec<String>, InsertError> {
        let max = u32::MAX as usize - 1;
        if self.vectors.slots() + rows.len() > max {
            return Err(InsertError::Full { max });
        }
        let mut seen: HashMap<String, usize> = HashMap::with_capacity(rows.len());
        let mut prepared = Vec::with_capacity(rows.len());
        for (item, it) in rows.into_iter().enumerate() {
            let id = match it.id {
                Some(id) => {
                    ids::validate(&id).map_err(|source| InsertError::Id { item, source })?;
                    if self.contains(&id) {
                        return Err(InsertError::DuplicateId { item, id });
                    }
                    id
                }
                None => self.fresh_id(&seen),
            };
            if let Some(&first) = seen.get(&id) {
                return Err(InsertError::DuplicateInBatch {
                    id,
                    first,
                    second: item,
                });
            }
            let (vector, norm) = self
                .vectors
                .prepare(it.vector)
                .map_err(|source| InsertError::Vector { item, source })?;
            let metadata = match it.metadata {
                None | Some(Value::Null) => None,
                Some(m) => {
                    Some(Meta::new(&m).map_err(|source| InsertError::Metadata { item, source })?)
                }
            };
            let text = self
                .check_text(it.text)
                .map_err(|source| InsertError::Text { item, source })?;
            seen.insert(id.clone(), item);
            prepared.push(Prepared {
                id,
                vector,
                norm,
                metadata,
                text,
            });
        }
        // Nothing below can fail: the batch is applied whole.
        self.vectors.reserve(prepared.len());
        if let Some(g) = self.graph.as_mut() {
            g.reserve(prepared.len());
        }
        let mut out = Vec::with_capacity(prepared.len());
        for p in prepared {
            self.place(&p.id, &p.vector, p.norm, p.metadata, p.text);
            out.push(p.id);
        }
        Ok(out)
    }

    fn fresh_id(&mut self, batch: &HashMap<String, usize>) -> String {
        loop {
            self.generated += 1;
            let id = ids::generate(self.generated ^ ((self.vectors.slots() as u64) << 32));
            if !self.contains(&id) && !batch.contains_key(&id) {
                return id;
            }
        }
    }

    /// Appends a validated vector, links it into the graph and binds its id.
    fn place(
        &mut self,
        id: &str,
        vector: &[f32],
        norm: f32,
        metadata: Option<Meta>,
        text: Option<Box<str>>,
    ) -> Slot {
        let slot = self.vectors.push(vector, norm);
        if let Some(c) = self.coarse.as_mut() {
            c.sync(&self.vectors);
        }
        grow(&mut self.live, 1);
        self.live.push(true);
        self.set_metadata(slot, metadata);
        if let Some(t) = self.text.as_mut() {
            t.set(slot.0, text);
        }
        self.ids.bind(id, slot);
        self.note_meta(slot);
        if let Some(g) = self.graph.as_mut() {
            let scratch = self.scratch.get_mut().unwrap_or_else(|e| e.into_inner());
            let live = &|s: Slot| self.live[s.index()];
            // quantization int8: built on the codes once they exist.
            match self.coarse.as_ref().and_then(|c| c.space(&self.vectors)) {
                Some(space) => g.insert(&space, slot, live, scratch),
                None => g.insert(&self.vectors, slot, live, scratch),
            }
            self.evaluations
                .fetch_add(scratch.take_evaluations(), Ordering::Relaxed);
        }
        slot
    }

    /// Inserts `id` if it is new (a vector is then required), or replaces its vector and/or
    /// metadata. `metadata`: `None` keeps what is there, `Some(Value::Null)` clears it,
    /// `Some(object)` replaces it.
    pub fn upsert(
        &mut self,
        id: &str,
        vector: Option<&[f32]>,
        metadata: Option<Value>,
    ) -> Result<Upserted, UpsertError> {
        self.upsert_with(
            id,
            Update {
                vector,
                metadata,
                text: None,
            },
        )
    }

    /// [`Collection::upsert`] that may also set or clear the record's text.
    pub fn upsert_with(&mut self, id: &str, update: Update<'_>) -> Result<Upserted, UpsertError> {
        ids::validate(id)?;
        let prepared = update.vector.map(|v| self.vectors.prepare(v)).transpose()?;
        let metadata = match update.metadata {
            None => None,
            Some(Value::Null) => Some(None),
            Some(m) => Some(Some(Meta::new(&m)?)),
        };
        let text = match update.text {
            None => None,
            Some(t) => Some(self.check_text(t)?),
        };
        let max = u32::MAX as usize - 1;
        let Some(old) = self.ids.slot(id) else {
            let Some((v, norm)) = prepared else {
                return Err(UpsertError::MissingVector(id.to_owned()));
            };
            if self.vectors.slots() + 1 > max {
                return Err(UpsertError::Full { max });
            }
            self.place(id, &v, norm, metadata.flatten(), text.flatten());
            return Ok(Upserted::Inserted);
        };
        match prepared {
            Some((v, norm)) => {
                if self.vectors.slots() + 1 > max {
                    return Err(UpsertError::Full { max });
                }
                let kept = self.set_metadata(old, None);
                let kept_text = self.take_text(old);
                self.bury(old);
                let text = text.unwrap_or(kept_text);
                self.place(id, &v, norm, metadata.unwrap_or(kept), text);
            }
            None => {
                if let Some(m) = metadata {
                    self.set_metadata(old, m);
                    self.note_meta(old);
                }
                if let (Some(t), Some(ix)) = (text, self.text.as_mut()) {
                    ix.set(old.0, t);
                    self.note_meta(old);
                }
            }
        }
        Ok(Upserted::Updated)
    }

    /// A record's text as given, checked: `Err` when there is no text index or it is too
    /// long.
    fn check_text(&self, text: Option<String>) -> Result<Option<Box<str>>, TextError> {
        let Some(t) = text else {
            return Ok(None);
        };
        if self.text.is_none() {
            return Err(TextError::Disabled);
        }
        if t.len() > MAX_TEXT_BYTES {
            return Err(TextError::TooLong {
                bytes: t.len(),
                max: MAX_TEXT_BYTES,
            });
        }
        Ok(Some(t.into_boxed_str()))
    }

    /// Removes `slot`'s text from the text index and returns it.
    fn take_text(&mut self, slot: Slot) -> Option<Box<str>> {
        let ix = self.text.as_mut()?;
        let t: Option<Box<str>> = ix.text(slot.0).map(Into::into);
        if t.is_some() {
            ix.set(slot.0, None);
        }
        t
    }

    /// The vector, as given, and metadata of `id`; `Ok(None)` for an unknown id. A durable
    /// `quantization: int8` collection keeps its older vectors in storage only:
    /// [`GetError::InStorage`] then, and `Database::get` reads them.
    pub fn get(&self, id: &str) -> Result<Option<StoredItem>, GetError> {
        self.get_with(id, |_| Err(GetError::InStorage(id.to_owned())))
    }

    /// The metadata and text of `id` with an empty vector (`None`: unknown id): what a pass
    /// over the metadata reads, without touching a vector.
    pub fn get_without_vector(&self, id: &str) -> Option<StoredItem> {
        let slot = self.ids.slot(id)?;
        Some(StoredItem {
            id: id.to_owned(),
            vector: Vec::new(),
            metadata: self.meta_value(slot).cloned(),
            text: self.text_of(slot).map(str::to_owned),
        })
    }

    /// As [`Collection::get`], with `fetch` giving the stored form of a vector that is not
    /// in memory.
    pub(crate) fn get_with(
        &self,
        id: &str,
        fetch: impl FnOnce(Slot) -> Result<Vec<f32>, GetError>,
    ) -> Result<Option<StoredItem>, GetError> {
        let Some(slot) = self.ids.slot(id) else {
            return Ok(None);
        };
        let vector = match self.vectors.original(slot) {
            Some(v) => v,
            None => self.vectors.restore_original(slot, &fetch(slot)?),
        };
        Ok(Some(StoredItem {
            id: id.to_owned(),
            vector,
            metadata: self.meta_value(slot).cloned(),
            text: self.text_of(slot).map(str::to_owned),
        }))
    }

    /// Whether int8 codes cover every slot (`quantization: int8` graphs are then built and
    /// walked on them, and the originals may leave memory).
    pub(crate) fn codes_ready(&self) -> bool {
        self.coarse
            .as_ref()
            .is_some_and(|c| c.ready(self.vectors.slots()))
    }

    /// Deletes `id`; an unknown id is an error and changes nothing.
    pub fn delete(&mut self, id: &str) -> Result<(), DeleteError> {
        let slot = self
            .ids
            .remove(id)
            .ok_or_else(|| DeleteError::UnknownId(id.to_owned()))?;
        self.set_metadata(slot, None);
        self.take_text(slot);
        self.bury(slot);
        Ok(())
    }

    /// The text of `slot`, if it has one.
    pub(crate) fn text_of(&self, slot: Slot) -> Option<&str> {
        self.text.as_ref()?.text(slot.0)
    }

    /// Marks `slot` dead and repairs the graph around it (its id is already unbound or
    /// about to be rebound).
    fn bury(&mut self, slot: Slot) {
        self.live[slot.index()] = false;
        self.note_meta(slot);
        if let Some(g) = self.graph.as_mut() {
            let scratch = self.scratch.get_mut().unwrap_or_else(|e| e.into_inner());
            let live = &|s: Slot| self.live[s.index()];
            match self.coarse.as_ref().and_then(|c| c.space(&self.vectors)) {
                Some(space) => g.delete(&space, slot, live, scratch),
                None => g.delete(&self.vectors, slot, live, scratch),
            }
            self.evaluations
                .fetch_add(scratch.take_evaluations(), Ordering::Relaxed);
        }
    }

    fn note_meta(&mut self, slot: Slot) {
        if let Some(c) = self.meta_changes.as_mut() {
            c.push(slot.0);
        }
    }

    /// Starts recording changed slots and graph lists (for the durable [`crate::Database`]).
    pub(crate) fn set_tracking(&mut self, on: bool) {
        self.meta_changes = on.then(Vec::new);
        if let Some(g) = self.graph.as_mut() {
            g.set_tracking(on);
        }
        if let Some(t) = self.text.as_mut() {
            t.set_tracking(on);
        }
    }

    /// Slots whose id, liveness or metadata changed since the last call, sorted, deduplicated.
    pub(crate) fn take_meta_changes(&mut self) -> Vec<u32> {
        let c = self
            .meta_changes
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default();
        // Sorted as u64, the crate's one cold-path sort of integers (each element type is
        // its own copy of the standard library's sort in the wasm build).
        let mut wide: Vec<u64> = c.iter().map(|&s| s as u64).collect();
        wide.sort_unstable();
        wide.dedup();
        wide.into_iter().map(|s| s as u32).collect()
    }

    /// Makes room for `additional` more slots in every per-slot structure at once (opening
    /// knows how many are coming; growing slot by slot would copy the arena again and again).
    /// `floats`: also in the float32 arena (not for slots whose originals stay in storage).
    pub(crate) fn reserve_slots(&mut self, additional: usize, floats: bool) {
        if floats {
            self.vectors.reserve(additional);
        }
        if let Some(c) = self.coarse.as_mut().filter(|c| !c.is_empty() || !floats) {
            c.reserve(additional, self.config.dimensions);
        }
        grow(&mut self.live, additional);
        grow(&mut self.metadata, additional);
        if let Some(g) = self.graph.as_mut() {
            g.reserve(additional);
        }
    }

    /// Appends a stored vector (already prepared) as a dead slot; for HNSW, with `level`.
    pub(crate) fn restore_slot(&mut self, vector: &[f32], norm: f32, level: usize) -> Slot {
        let slot = self.vectors.push(vector, norm);
        // The same training points as the inserts had (1,024, then, for the flat index, each
        // fourfold growth), so a reopened collection holds the very codes it had, and walks
        // and answers the same.
        if let Some(c) = self.coarse.as_mut() {
            c.sync(&self.vectors);
        }
        self.restore_node(slot, level);
        slot
    }

    /// The per-slot state of a restored (dead until its metadata says otherwise) slot.
    fn restore_node(&mut self, slot: Slot, level: usize) {
        grow(&mut self.live, 1);
        self.live.push(false);
        self.set_metadata(slot, None);
        if let Some(g) = self.graph.as_mut() {
            g.restore_node(slot, level);
        }
    }

    /// Appends a dead slot whose vector stays in storage and whose codes come from a code
    /// page (opening); false when the arena still holds later vectors.
    pub(crate) fn restore_slot_stored(&mut self, norm: f32, level: usize) -> bool {
        if !self.vectors.push_stored(norm) {
            return false;
        }
        self.restore_node(Slot(self.vectors.slots() as u32 - 1), level);
        true
    }

    /// Sets the text of an existing slot: indexed (replaying a log record), or only kept
    /// (opening from pages, whose postings come from text pages). False when the collection
    /// has no text index.
    pub(crate) fn restore_text(&mut self, slot: Slot, text: Option<String>, index: bool) -> bool {
        let Some(ix) = self.text.as_mut() else {
            return text.is_none();
        };
        let text = text.map(String::into_boxed_str);
        match index {
            true => ix.set(slot.0, text),
            false => ix.restore_text(slot.0, text),
        }
        true
    }

    /// Sets the id (live when `Some`) and metadata of an existing slot.
    pub(crate) fn restore_meta(&mut self, slot: Slot, id: Option<&str>, metadata: Option<Meta>) {
        if let Some(old) = self.ids.id(slot).map(str::to_owned) {
            if self.ids.slot(&old) == Some(slot) {
                self.ids.remove(&old);
            }
        }
        if let Some(id) = id {
            self.ids.bind(id, slot);
        }
        self.live[slot.index()] = id.is_some();
        self.set_metadata(slot, metadata);
    }

    /// Sets `slot`'s metadata (appending when `slot` is the next one), keeping
    /// `metadata_bytes`; returns what it replaced.
    fn set_metadata(&mut self, slot: Slot, m: Option<Meta>) -> Option<Meta> {
        let (held, parsed) = m
            .as_ref()
            .map_or((0, 0), |m| (m.held_bytes(), m.parsed_bytes()));
        self.metadata_bytes += held;
        *self.parsed_bytes.get_mut() += parsed;
        let m = m.map(Box::new);
        let Some(at) = self.metadata.get_mut(slot.index()) else {
            grow(&mut self.metadata, 1);
            self.metadata.push(m);
            return None;
        };
        let old = std::mem::replace(at, m);
        if let Some(o) = &old {
            self.metadata_bytes -= o.held_bytes();
            *self.parsed_bytes.get_mut() -= o.parsed_bytes();
        }
        old.map(|o| *o)
    }

    /// The metadata of `slot`, parsed now if no one needed it before.
    pub(crate) fn meta_value(&self, slot: Slot) -> Option<&Value> {
        let (v, parsed) = self.metadata.get(slot.index())?.as_ref()?.value();
        if parsed > 0 {
            self.parsed_bytes.fetch_add(parsed, Ordering::Relaxed);
        }
        Some(v)
    }

    /// Bytes the metadata holds, as [`crate::Stats`] counts them: each slot's [`Meta`] and
    /// JSON text, and the values parsed from them so far.
    pub(crate) fn metadata_bytes(&self) -> usize {
        self.metadata_bytes + self.parsed_bytes.load(Ordering::Relaxed)
    }

    /// Live ids with their internal slot, in slot order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(|(id, _)| id)
    }

    /// Up to `limit` live ids from internal slot `after` on, in slot order, and the slot to go on
    /// from (`None`: none is left): how an export pages through a collection. Slots only grow,
    /// so a scan sees every record that stays live from its start to its end once; one whose
    /// vector is replaced meanwhile moves to a later slot and may be seen again there.
    pub fn ids_from(&self, after: u32, limit: usize) -> (Vec<String>, Option<u32>) {
        let mut out = Vec::with_capacity(limit.min(self.len()));
        let end = self.live.len() as u32;
        let mut slot = after;
        while slot < end && out.len() < limit {
            if self.live[slot as usize] {
                if let Some(id) = self.ids.id(Slot(slot)) {
                    out.push(id.to_owned());
                }
            }
            slot += 1;
        }
        (out, (slot < end).then_some(slot))
    }

    /// The live ids whose metadata `filter` accepts (a record without metadata is matched as
    /// `null`), in slot order: what a delete by filter removes.
    pub fn ids_where(&self, filter: &Filter) -> Vec<String> {
        self.ids
            .iter()
            .filter(|&(_, slot)| filter.matches(self.meta_value(slot)))
            .map(|(id, _)| id.to_owned())
            .collect()
    }
}
