//! What a collection reports about itself.

use std::sync::atomic::Ordering;

use crate::collection::Collection;
use crate::distance::{kernel_name, Metric};
use crate::index::IndexKind;

/// Bytes held in memory, by part (allocated capacity, not just what is used).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MemoryUsage {
    /// The float32 vectors in memory and their cosine norms. A durable `quantization: int8`
    /// collection keeps only the vectors not yet in a full stored page (see
    /// [`MemoryUsage::vectors_in_memory`]).
    pub vectors: usize,
    /// Int8 codes, with their residual and norm per vector (`quantization: int8`, and the
    /// flat index's exact scan; 0 otherwise).
    pub codes: usize,
    /// HNSW links and levels (0 for flat).
    pub graph: usize,
    /// Id strings and their lookup table.
    pub ids: usize,
    /// Metadata (its JSON text, plus an estimate of the values parsed from it so far: filters,
    /// reads and results parse what they touch) and the per-slot flags.
    pub metadata: usize,
    /// The text index: texts, postings and its dictionary (0 without one).
    pub text: usize,
    /// How many slots have their float32 vector in memory (the rest are in storage only).
    pub vectors_in_memory: usize,
}

impl MemoryUsage {
    /// All parts together.
    pub fn total(&self) -> usize {
        self.vectors + self.codes + self.graph + self.ids + self.metadata + self.text
    }
}

/// A snapshot of a collection's counters.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Live vectors.
    pub len: usize,
    /// Deleted or replaced vectors still held as graph tombstones.
    pub tombstones: usize,
    /// Values per vector.
    pub dimensions: usize,
    /// The metric.
    pub metric: Metric,
    /// The index.
    pub index: IndexKind,
    /// Which distance kernel this build runs (`simd128`, `portable-wasm32`, `portable-native`).
    pub kernel: &'static str,
    /// Distances computed since the collection was created or opened.
    pub distance_evaluations: u64,
    /// Memory by part.
    pub memory: MemoryUsage,
    /// The text index's counts (`None` without one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextStats>,
}

/// What the text index holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TextStats {
    /// Live records with text (BM25's N).
    pub records: u32,
    /// Distinct terms some record holds.
    pub terms: usize,
    /// Record–term pairs.
    pub postings: usize,
}

impl Collection {
    /// Counters and memory by part.
    pub fn stats(&self) -> Stats {
        let metadata: usize = self.metadata_bytes()
            + self.metadata.capacity() * std::mem::size_of::<Option<Box<crate::metadata::Meta>>>()
            + self.live.capacity();
        Stats {
            len: self.len(),
            tombstones: self.vectors.slots() - self.len(),
            dimensions: self.config.dimensions,
            metric: self.config.metric,
            index: self.config.index,
            kernel: kernel_name(),
            distance_evaluations: self.evaluations.load(Ordering::Relaxed),
            memory: MemoryUsage {
                vectors: self.vectors.memory_bytes(),
                codes: self.coarse.as_ref().map_or(0, |c| c.memory_bytes()),
                vectors_in_memory: self.vectors.slots() - self.vectors.base(),
                graph: self.graph.as_ref().map_or(0, |g| g.memory_bytes()),
                ids: self.ids.memory_bytes(),
                metadata,
                text: self.text.as_ref().map_or(0, |t| t.bytes()),
            },
            text: self.text.as_ref().map(|t| TextStats {
                records: t.docs(),
                terms: t.terms(),
                postings: t.postings(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::metadata::json_bytes;
    use crate::storage::RecordWriter;
    use crate::{Collection, CollectionConfig, Database, IndexKind, Item, MemoryBackend};
    use serde_json::json;

    /// The running totals stats reads equal a count over every value, after every kind of
    /// change and after a reopen (which restores the metadata slot by slot).
    #[test]
    fn kept_totals_equal_a_recount() {
        let recount = |c: &Collection| {
            let meta: usize = (c.metadata.iter().flatten())
                .map(|m| m.held_bytes() + m.parsed_bytes())
                .sum();
            let ids: usize = c.ids().map(str::len).sum();
            assert_eq!(c.metadata_bytes(), meta, "metadata bytes");
            assert_eq!(c.ids.key_bytes(), ids, "id bytes");
            meta + ids
        };
        let backend = MemoryBackend::new();
        let (mut db, b) =
            Database::create(CollectionConfig::new(2).index(IndexKind::Flat)).expect("create");
        backend.write(&b).expect("write");
        let items = (0..40)
            .map(|i| {
                let item = Item::new(format!("id-{i}"), vec![i as f32, 1.0]);
                match i % 3 {
                    0 => item.with_metadata(json!({"n": i, "tags": ["a", {"deep": "é"}]})),
                    _ => item,
                }
            })
            .collect();
        let (_, b) = db.insert_batch(items).expect("insert");
        backend.write(&b).expect("write");
        let changes = [
            ("id-1", None, Some(json!({"new": "metadata"}))), // metadata added
            ("id-3", None, Some(json!(null))),                // metadata cleared
            ("id-6", Some(vec![9.0, 9.0]), None),             // new vector, metadata kept
            ("id-9", Some(vec![1.0, 9.0]), Some(json!({}))),  // both replaced
            ("fresh", Some(vec![2.0, 2.0]), Some(json!({"x": "y"}))),
        ];
        for (id, v, m) in changes {
            let (_, b) = db.upsert(id, v.as_deref(), m).expect("upsert");
            backend.write(&b).expect("write");
        }
        let b = db.delete(&["id-0", "id-2"]).expect("delete");
        backend.write(&b).expect("write");
        let live = recount(db.collection());
        assert!(live > 0);
        let b = db.checkpoint().expect("checkpoint");
        backend.write(&b).expect("write");
        let reopened = Database::open(&backend).expect("reopen");
        assert_eq!(recount(reopened.collection()), live);
        // Reads parse (`&self`): the parsed values count from then on, and stop counting
        // with the metadata they came from.
        let got = reopened.collection().get("id-3").expect("get");
        assert_eq!(got.and_then(|r| r.metadata), None);
        let got = reopened.collection().get("id-9").expect("get");
        assert_eq!(got.and_then(|r| r.metadata), Some(json!({})));
        let parsed = recount(reopened.collection());
        assert_eq!(
            parsed,
            live + json_bytes(&json!({})),
            "a parsed value counts"
        );
        let mut reopened = reopened;
        let _ = reopened.delete(&["id-9"]).expect("delete");
        let held = std::mem::size_of::<crate::metadata::Meta>() + "{}".len();
        assert_eq!(recount(reopened.collection()), live - "id-9".len() - held);
    }
}
