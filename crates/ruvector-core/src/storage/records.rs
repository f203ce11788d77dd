//! The record bodies: manifest, log record and the three page kinds, with their encoders
//! and decoders. Decoders are plain functions over bytes (fuzzed, and fed random damage by
//! a test): they return a [`RecordError`] naming the key, never panic.

use std::collections::BTreeMap;

use super::codec::{open_envelope, open_versioned, seal, Kind, Reader, Writer};
use super::{PageKind, RecordError};
use crate::collection::CollectionConfig;
use crate::index::int8_codes::Int8Ranges;

/// Scalar state of a collection at some sequence number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Slots allocated (deleted ones included).
    pub slots: u32,
    /// HNSW entry point.
    pub entry: Option<u32>,
    /// The entry point's level.
    pub top: u8,
    /// The HNSW level generator's state.
    pub rng_state: u64,
    /// The generated-id counter.
    pub generated: u64,
}

fn put_header(w: &mut Writer, h: &Header) {
    w.u32(h.slots);
    w.u32(h.entry.map_or(u32::MAX, |e| e));
    w.u8(h.top);
    w.u64(h.rng_state);
    w.u64(h.generated);
}

fn get_header(r: &mut Reader<'_>) -> Result<Header, RecordError> {
    let slots = r.u32()?;
    let entry = r.u32()?;
    Ok(Header {
        slots,
        entry: (entry != u32::MAX).then_some(entry),
        top: r.u8()?,
        rng_state: r.u64()?,
        generated: r.u64()?,
    })
}

/// The manifest: the commit point of a checkpoint. It names the live version of every page.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// The collection's configuration.
    pub config: CollectionConfig,
    /// Every change up to this sequence number is in the pages; later ones are in the log.
    pub folded_seq: u64,
    /// The state at `folded_seq`.
    pub header: Header,
    /// The next page generation to use.
    pub next_gen: u64,
    /// Live pages: `(kind, page number) → generation`. Vector pages may run ahead of
    /// `folded_seq` (bulk batches write them directly).
    pub pages: BTreeMap<(PageKind, u32), u64>,
    /// The trained int8 ranges (format version 2, `quantization: int8 | binary`; `None`
    /// before training).
    pub int8: Option<Int8Ranges>,
    /// The name of the embedder the database's vectors came from (format version 4; `None`
    /// until one is used).
    pub embedder: Option<String>,
}

const KINDS: [PageKind; 3] = [PageKind::Vectors, PageKind::Graph, PageKind::Meta];

impl Manifest {
    /// Whether its collection keeps int8 codes in pages of their own.
    pub fn has_codes(&self) -> bool {
        self.config.quantization.has_codes() && self.config.index == crate::IndexKind::Hnsw
    }

    /// The first vector page an open reads: the pages before it are full and have code
    /// pages, from which their slots are restored (their vectors stay in storage).
    pub fn first_vector_page_read(&self) -> u32 {
        if !self.has_codes() || self.int8.is_none() {
            return 0;
        }
        let per = PageKind::Vectors.slots();
        let mut p = 0;
        while (p + 1) * per <= self.header.slots && self.pages.contains_key(&(PageKind::Codes, p)) {
            p += 1;
        }
        p
    }
}

/// A page list of the manifest: `u32 count` and `count × (u32 page, u64 gen)`.
fn get_pages(
    r: &mut Reader<'_>,
    kind: PageKind,
    pages: &mut BTreeMap<(PageKind, u32), u64>,
) -> Result<(), RecordError> {
    for _ in 0..r.u32()? {
        let p = r.u32()?;
        pages.insert((kind, p), r.u64()?);
    }
    Ok(())
}

impl Manifest {
    /// The page list of `kind`, as [`get_pages`] reads it.
    fn put_pages(&self, w: &mut Writer, kind: PageKind) {
        let pages = self.pages.range((kind, 0)..=(kind, u32::MAX));
        w.u32(pages.clone().count() as u32);
        for (&(_, p), &g) in pages {
            w.u32(p);
            w.u64(g);
        }
    }

    /// The sealed record (the version 2 layout, which versions 3 and 4 always write, then
    /// version 4's text pages).
    pub fn encode(&self, key: &str) -> Vec<u8> {
        let mut w = Writer::default();
        w.bytes(&serde_json::to_vec(&self.config).unwrap_or_default());
        w.u64(self.folded_seq);
        put_header(&mut w, &self.header);
        w.u64(self.next_gen);
        for kind in KINDS.into_iter().chain([PageKind::Codes]) {
            self.put_pages(&mut w, kind);
        }
        match &self.int8 {
            Some(q) => {
                w.u8(1);
                w.u32(q.offset.len() as u32);
                w.f32s(&q.offset);
                w.f32s(&q.scale);
                w.u64(q.trained_at);
                w.u32(q.bit_scale.len() as u32);
                w.f32s(&q.bit_scale);
            }
            None => w.u8(0),
        }
        self.put_pages(&mut w, PageKind::Text);
        w.bytes(self.embedder.as_deref().unwrap_or_default().as_bytes());
        seal(key, Kind::Manifest, &w.0)
    }

    /// Decodes the record at `key` (format version 1, 2 or 3).
    pub fn decode(key: &str, bytes: &[u8]) -> Result<Manifest, RecordError> {
        let (version, body) = open_versioned(key, Kind::Manifest, bytes)?;
        let mut r = Reader::new(key, body);
        let config: CollectionConfig = serde_json::from_slice(r.bytes()?)
            .map_err(|e| r.corrupt(format!("configuration: {e}")))?;
        let folded_seq = r.u64()?;
        let header = get_header(&mut r)?;
        let next_gen = r.u64()?;
        let mut pages = BTreeMap::new();
        let v2 = version >= 2;
        for kind in KINDS.into_iter().chain(v2.then_some(PageKind::Codes)) {
            get_pages(&mut r, kind, &mut pages)?;
        }
        let int8 = match v2 && r.u8()? == 1 {
            false => None,
            true => {
                let dim = r.u32()? as usize;
                if dim != config.dimensions {
                    return Err(r.corrupt(format!("int8 ranges for {dim} dimensions")));
                }
                let (mut offset, mut scale, mut bit_scale) = (Vec::new(), Vec::new(), Vec::new());
                r.f32s_into(dim, &mut offset)?;
                r.f32s_into(dim, &mut scale)?;
                let trained_at = r.u64()?;
                let n = r.u32()? as usize;
                r.f32s_into(n, &mut bit_scale)?;
                Some(Int8Ranges {
                    offset,
                    scale,
                    trained_at,
                    bit_scale,
                })
            }
        };
        let mut embedder = None;
        if version >= 4 {
            get_pages(&mut r, PageKind::Text, &mut pages)?;
            let name = String::from_utf8(r.bytes()?.to_vec())
                .map_err(|_| r.corrupt("the embedder's name is not UTF-8"))?;
            embedder = (!name.is_empty()).then_some(name);
        }
        r.finish()?;
        Ok(Manifest {
            config,
            folded_seq,
            header,
            next_gen,
            pages,
            int8,
            embedder,
        })
    }
}

/// Int8 codes of slots `first .. first + count`, with each one's residual norm and norm
/// (format version 2).
#[derive(Clone, Debug, PartialEq)]
pub struct CodesPage {
    /// First slot.
    pub first: u32,
    /// Slots held.
    pub count: u32,
    /// `count × dim` codes.
    pub codes: Vec<i8>,
    /// `‖x − x̂‖` per slot.
    pub residual: Vec<f32>,
    /// `‖x‖` per slot (of the stored form: 1 for cosine).
    pub norm: Vec<f32>,
    /// Original norms (cosine only, else empty), as a vector page has them.
    pub cosine: Vec<f32>,
}

impl CodesPage {
    /// The sealed record (format version 2).
    pub fn encode(&self, key: &str) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(self.first);
        w.u32(self.count);
        w.bytes(&self.codes.iter().map(|&c| c as u8).collect::<Vec<u8>>());
        w.u32(self.residual.len() as u32);
        w.f32s(&self.residual);
        w.u32(self.norm.len() as u32);
        w.f32s(&self.norm);
        w.u32(self.cosine.len() as u32);
        w.f32s(&self.cosine);
        seal(key, Kind::CodesPage, &w.0)
    }

    /// Decodes the record at `key`.
    pub fn decode(key: &str, bytes: &[u8]) -> Result<CodesPage, RecordError> {
        let mut r = Reader::new(key, open_envelope(key, Kind::CodesPage, bytes)?);
        let first = r.u32()?;
        let count = r.u32()?;
        let codes = r.bytes()?.iter().map(|&b| b as i8).collect();
        let (mut residual, mut norm, mut cosine) = (Vec::new(), Vec::new(), Vec::new());
        let n = r.u32()? as usize;
        r.f32s_into(n, &mut residual)?;
        let n = r.u32()? as usize;
        r.f32s_into(n, &mut norm)?;
        let n = r.u32()? as usize;
        r.f32s_into(n, &mut cosine)?;
        r.finish()?;
        Ok(CodesPage {
            first,
            count,
            codes,
            residual,
            norm,
            cosine,
        })
    }
}

/// Id and metadata of one slot; `id: None` means the slot is dead (deleted or replaced).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotMeta {
    /// The slot.
    pub slot: u32,
    /// Its id while live.
    pub id: Option<String>,
    /// Its metadata as JSON text.
    pub metadata: Option<Vec<u8>>,
    /// Its text (format version 4).
    pub text: Option<String>,
}

fn put_meta(w: &mut Writer, m: &SlotMeta) {
    let flags = m.id.is_some() as u8 | (m.metadata.is_some() as u8) << 1;
    w.u8(flags | (m.text.is_some() as u8) << 2);
    if let Some(id) = &m.id {
        w.bytes(id.as_bytes());
    }
    if let Some(md) = &m.metadata {
        w.bytes(md);
    }
    if let Some(t) = &m.text {
        w.bytes(t.as_bytes());
    }
}

fn get_meta(r: &mut Reader<'_>, slot: u32) -> Result<SlotMeta, RecordError> {
    let flags = r.u8()?;
    if flags > 7 {
        return Err(r.corrupt(format!("slot {slot}: bad flags {flags}")));
    }
    let text_of = |r: &mut Reader<'_>, what: &str| -> Result<String, RecordError> {
        String::from_utf8(r.bytes()?.to_vec())
            .map_err(|_| r.corrupt(format!("slot {slot}: {what} is not UTF-8")))
    };
    let id = match flags & 1 != 0 {
        true => Some(text_of(r, "id")?),
        false => None,
    };
    let metadata = if flags & 2 != 0 {
        Some(r.bytes()?.to_vec())
    } else {
        None
    };
    let text = match flags & 4 != 0 {
        true => Some(text_of(r, "text")?),
        false => None,
    };
    Ok(SlotMeta {
        slot,
        id,
        metadata,
        text,
    })
}

/// One committed batch of changes, as the state after it: new slots (with their vectors,
/// inline or in vector pages), the final contents of every list it touched, and every
/// slot whose id or metadata changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogRecord {
    /// Its sequence number.
    pub seq: u64,
    /// The state after it.
    pub header: Header,
    /// The first new slot.
    pub first_new: u32,
    /// How many new slots.
    pub new_count: u32,
    /// True: `vectors` holds the new slots' vectors. False: they are in vector pages
    /// written by the same batch.
    pub inline: bool,
    /// HNSW levels of the new slots (empty for a flat index).
    pub levels: Vec<u8>,
    /// Cosine norms of the new slots (empty for other metrics).
    pub norms: Vec<f32>,
    /// The new slots' stored vectors, when inline.
    pub vectors: Vec<f32>,
    /// `(slot, level, links)`: lists as they are after the batch.
    pub lists: Vec<(u32, u8, Vec<u32>)>,
    /// Slots whose id or metadata changed (new ones included).
    pub meta: Vec<SlotMeta>,
}

impl LogRecord {
    /// The sealed record.
    pub fn encode(&self, key: &str) -> Vec<u8> {
        let mut w = Writer::default();
        w.u64(self.seq);
        put_header(&mut w, &self.header);
        w.u32(self.first_new);
        w.u32(self.new_count);
        w.u8(self.inline as u8);
        w.u32(self.levels.len() as u32);
        w.0.extend_from_slice(&self.levels);
        w.u32(self.norms.len() as u32);
        w.f32s(&self.norms);
        w.u32(self.vectors.len() as u32);
        w.f32s(&self.vectors);
        w.u32(self.lists.len() as u32);
        for (slot, level, links) in &self.lists {
            w.u32(*slot);
            w.u8(*level);
            w.u32(links.len() as u32);
            w.u32s(links);
        }
        w.u32(self.meta.len() as u32);
        for m in &self.meta {
            w.u32(m.slot);
            put_meta(&mut w, m);
        }
        seal(key, Kind::Log, &w.0)
    }

    /// Decodes the record at `key`.
    pub fn decode(key: &str, bytes: &[u8]) -> Result<LogRecord, RecordError> {
        let mut r = Reader::new(key, open_envelope(key, Kind::Log, bytes)?);
        let seq = r.u64()?;
        let header = get_header(&mut r)?;
        let first_new = r.u32()?;
        let new_count = r.u32()?;
        let inline = match r.u8()? {
            0 => false,
            1 => true,
            b => return Err(r.corrupt(format!("bad inline flag {b}"))),
        };
        let n = r.u32()? as usize;
        let levels = r.bytes_n(n)?.to_vec();
        let n = r.u32()? as usize;
        let mut norms = Vec::new();
        r.f32s_into(n, &mut norms)?;
        let n = r.u32()? as usize;
        let mut vectors = Vec::new();
        r.f32s_into(n, &mut vectors)?;
        let n = r.u32()?;
        let mut lists = Vec::new();
        for _ in 0..n {
            let slot = r.u32()?;
            let level = r.u8()?;
            let len = r.u32()? as usize;
            lists.push((slot, level, r.u32s(len)?));
        }
        let n = r.u32()?;
        let mut meta = Vec::new();
        for _ in 0..n {
            let slot = r.u32()?;
            meta.push(get_meta(&mut r, slot)?);
        }
        r.finish()?;
        Ok(LogRecord {
            seq,
            header,
            first_new,
            new_count,
            inline,
            levels,
            norms,
            vectors,
            lists,
            meta,
        })
    }
}

/// Vectors of slots `first .. first + count` (stored form: normalised for cosine).
#[derive(Clone, Debug, PartialEq)]
pub struct VectorPage {
    /// First slot.
    pub first: u32,
    /// Slots held.
    pub count: u32,
    /// `count × dim` values.
    pub vectors: Vec<f32>,
    /// Cosine norms (empty for other metrics).
    pub norms: Vec<f32>,
}

impl VectorPage {
    /// The sealed record.
    pub fn encode(&self, key: &str) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(self.first);
        w.u32(self.count);
        w.u32(self.vectors.len() as u32);
        w.f32s(&self.vectors);
        w.u32(self.norms.len() as u32);
        w.f32s(&self.norms);
        seal(key, Kind::VectorPage, &w.0)
    }

    /// Decodes the record at `key`.
    pub fn decode(key: &str, bytes: &[u8]) -> Result<VectorPage, RecordError> {
        let mut r = Reader::new(key, open_envelope(key, Kind::VectorPage, bytes)?);
        let first = r.u32()?;
        let count = r.u32()?;
        let (mut vectors, mut norms) = (Vec::new(), Vec::new());
        let n = r.u32()? as usize;
        r.f32s_into(n, &mut vectors)?;
        let n = r.u32()? as usize;
        r.f32s_into(n, &mut norms)?;
        r.finish()?;
        Ok(VectorPage {
            first,
            count,
            vectors,
            norms,
        })
    }
}

/// Levels and lists (level 0 first) of slots `first ..`.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphPage {
    /// First slot.
    pub first: u32,
    /// Per slot: one list per level `0..=level`.
    pub nodes: Vec<Vec<Vec<u32>>>,
}

impl GraphPage {
    /// The sealed record.
    pub fn encode(&self, key: &str) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(self.first);
        w.u32(self.nodes.len() as u32);
        for lists in &self.nodes {
            w.u8(lists.len() as u8);
            for l in lists {
                w.u16(l.len() as u16);
                w.u32s(l);
            }
        }
        seal(key, Kind::GraphPage, &w.0)
    }

    /// Decodes the record at `key`.
    pub fn decode(key: &str, bytes: &[u8]) -> Result<GraphPage, RecordError> {
        let mut r = Reader::new(key, open_envelope(key, Kind::GraphPage, bytes)?);
        let first = r.u32()?;
        let n = r.u32()?;
        let mut nodes = Vec::new();
        for _ in 0..n {
            let levels = r.u8()?;
            let mut lists = Vec::with_capacity(levels as usize);
            for _ in 0..levels {
                let len = r.u16()? as usize;
                lists.push(r.u32s(len)?);
            }
            nodes.push(lists);
        }
        r.finish()?;
        Ok(GraphPage { first, nodes })
    }

    /// The first slot and each node's list count (level + 1), checked as
    /// [`GraphPage::decode`] checks the record, without keeping the lists.
    pub fn decode_levels(key: &str, bytes: &[u8]) -> Result<(u32, Vec<u8>), RecordError> {
        let mut r = Reader::new(key, open_envelope(key, Kind::GraphPage, bytes)?);
        let first = r.u32()?;
        let n = r.u32()? as usize;
        let mut levels = Vec::with_capacity(n.min(bytes.len()));
        for _ in 0..n {
            let lists = r.u8()?;
            for _ in 0..lists {
                let len = r.u16()? as usize;
                r.bytes_n(len * 4)?;
            }
            levels.push(lists);
        }
        r.finish()?;
        Ok((first, levels))
    }
}

/// Ids and metadata of slots `first ..`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetaPage {
    /// First slot.
    pub first: u32,
    /// Per slot, in order.
    pub slots: Vec<SlotMeta>,
}

impl MetaPage {
    /// The sealed record.
    pub fn encode(&self, key: &str) -> Vec<u8> {
        let mut w = Writer::default();
        w.u32(self.first);
        w.u32(self.slots.len() as u32);
        for m in &self.slots {
            put_meta(&mut w, m);
        }
        seal(key, Kind::MetaPage, &w.0)
    }

    /// Decodes the record at `key`.
    pub fn decode(key: &str, bytes: &[u8]) -> Result<MetaPage, RecordError> {
        let mut r = Reader::new(key, open_envelope(key, Kind::MetaPage, bytes)?);
        let first = r.u32()?;
        let n = r.u32()?;
        let mut slots = Vec::new();
        for i in 0..n {
            slots.push(get_meta(&mut r, first.wrapping_add(i))?);
        }
        r.finish()?;
        Ok(MetaPage { first, slots })
    }
}

/// Decodes any record by its key's kind and checks it: the plain function the fuzz target
/// and the property test call. Returns a short description of what it held.
pub fn decode_any(key: &str, bytes: &[u8]) -> Result<String, RecordError> {
    if key == super::MANIFEST_KEY {
        let m = Manifest::decode(key, bytes)?;
        return Ok(format!("manifest at seq {}", m.folded_seq));
    }
    if key.starts_with(super::LOG_PREFIX) {
        return Ok(format!("log {}", LogRecord::decode(key, bytes)?.seq));
    }
    if key.starts_with(PageKind::Vectors.prefix()) {
        return Ok(format!(
            "vectors from {}",
            VectorPage::decode(key, bytes)?.first
        ));
    }
    if key.starts_with(PageKind::Graph.prefix()) {
        return Ok(format!(
            "graph from {}",
            GraphPage::decode(key, bytes)?.first
        ));
    }
    if key.starts_with(PageKind::Meta.prefix()) {
        return Ok(format!("meta from {}", MetaPage::decode(key, bytes)?.first));
    }
    if key.starts_with(PageKind::Codes.prefix()) {
        return Ok(format!(
            "codes from {}",
            CodesPage::decode(key, bytes)?.first
        ));
    }
    if key.starts_with(PageKind::Text.prefix()) {
        let page = super::text_pages::TextPage::decode(key, bytes)?;
        return Ok(format!("text bucket {}", page.bucket));
    }
    Err(RecordError::Corrupt {
        key: key.to_owned(),
        what: "not a ruvector key".into(),
    })
}
