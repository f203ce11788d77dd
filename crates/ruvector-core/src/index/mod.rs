//! The two indexes and what they share: candidate ordering, the top-k heap, the visited set
//! and the per-search scratch.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::vectors::{Slot, VectorStore};

pub mod flat;
pub mod hnsw;
pub mod int8_codes;

pub use hnsw::{GraphHeader, Hnsw, HnswParams};

/// What a graph walk compares: a prepared query against stored slots. The float32 arena
/// ([`VectorStore`]) is one; int8 codes
/// ([`int8_codes::Int8Walk`]) another.
pub trait Space {
    /// The query as this space compares it.
    type Query: ?Sized;
    /// The distance from `q` to `slot` (lower is closer).
    fn distance(&self, q: &Self::Query, slot: Slot) -> f32;
    /// The distances from `q` to `a` and to `b`, as two [`Space::distance`] calls give them.
    fn distance2(&self, q: &Self::Query, a: Slot, b: Slot) -> (f32, f32) {
        (self.distance(q, a), self.distance(q, b))
    }
    /// A hint that `slot` is compared soon.
    fn prefetch(&self, _slot: Slot) {}
}

/// A [`Space`] the graph can be built in: stored slots can be queries too.
pub trait BuildSpace: Space {
    /// A stored slot prepared as a query (borrowed or computed).
    type Prepared<'a>: std::ops::Deref<Target = Self::Query>
    where
        Self: 'a;
    /// The vector at `slot` as a query.
    fn query_of(&self, slot: Slot) -> Self::Prepared<'_>;
}

/// A computed [`BuildSpace::Prepared`] query.
pub struct Owned<T>(pub T);

impl<T> std::ops::Deref for Owned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The float32 arena is the space of an unquantised collection.
impl Space for VectorStore {
    type Query = [f32];

    #[inline(always)]
    fn distance(&self, q: &[f32], slot: Slot) -> f32 {
        VectorStore::distance(self, q, slot)
    }

    #[inline(always)]
    fn distance2(&self, q: &[f32], a: Slot, b: Slot) -> (f32, f32) {
        VectorStore::distance2(self, q, a, b)
    }

    #[inline(always)]
    fn prefetch(&self, slot: Slot) {
        VectorStore::prefetch(self, slot)
    }
}

impl BuildSpace for VectorStore {
    type Prepared<'a> = &'a [f32];

    #[inline(always)]
    fn query_of(&self, slot: Slot) -> &[f32] {
        self.get(slot)
    }
}

/// Which index a collection uses, chosen at creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexKind {
    /// Exact search: every live vector is compared with the query.
    Flat,
    /// Approximate search on a hierarchical navigable small world graph.
    #[default]
    Hnsw,
}

/// How a search found its results, so callers and tests can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SearchPath {
    /// Walked the HNSW graph (filtering, if any, during the walk).
    Graph,
    /// Compared the query with every vector that passes the filter: the flat index, a
    /// very selective filter, or a graph walk that came back with fewer than `k` results.
    ExactScan,
    /// Read the postings of the query's terms (a text search).
    Text,
}

/// A slot and its distance to the query; orders by distance, then by slot, so ties go
/// to the lower internal id.
#[derive(Clone, Copy, Debug)]
pub struct Candidate {
    /// Distance to the query (lower is closer).
    pub distance: f32,
    /// The vector.
    pub slot: Slot,
}

impl PartialEq for Candidate {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Candidate {}
impl PartialOrd for Candidate {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Candidate {
    fn cmp(&self, other: &Self) -> Ordering {
        self.distance
            .total_cmp(&other.distance)
            .then(self.slot.cmp(&other.slot))
    }
}

/// A visited set over slots, cleared in O(1) by bumping an epoch.
#[derive(Clone, Debug, Default)]
pub struct Visited {
    marks: Vec<u32>,
    epoch: u32,
}

impl Visited {
    /// Starts a new search over up to `n` slots.
    pub fn reset(&mut self, n: usize) {
        if self.marks.len() < n {
            self.marks.resize(n, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.marks.iter_mut().for_each(|m| *m = 0);
            self.epoch = 1;
        }
    }

    /// Marks `slot`; true when it was not marked yet in this search.
    #[inline(always)]
    pub fn insert(&mut self, slot: Slot) -> bool {
        let m = &mut self.marks[slot.index()];
        let fresh = *m != self.epoch;
        *m = self.epoch;
        fresh
    }
}

/// Reusable buffers for searches and inserts; passing one by `&mut` keeps the hot path
/// free of allocations.
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    pub(crate) visited: Visited,
    /// Min-heap of candidates to expand.
    pub(crate) candidates: BinaryHeap<std::cmp::Reverse<Candidate>>,
    /// Max-heap of the best results so far.
    pub(crate) results: BinaryHeap<Candidate>,
    pub(crate) sorted: Vec<Candidate>,
    pub(crate) selected: Vec<Candidate>,
    /// Entry points of the next layer while inserting.
    pub(crate) eps: Vec<Candidate>,
    /// Links chosen for the node being inserted.
    pub(crate) chosen: Vec<Candidate>,
    /// Unvisited neighbours of the node being expanded.
    pub(crate) fresh: Vec<u32>,
    /// Lower distance bounds of an int8 scan's first pass.
    pub(crate) bounds: Vec<(f32, crate::vectors::Slot)>,
    /// Distance evaluations since the counter was last taken.
    pub(crate) evaluations: u64,
}

impl Scratch {
    /// Distance evaluations since the last call (resets the count).
    pub fn take_evaluations(&mut self) -> u64 {
        std::mem::take(&mut self.evaluations)
    }
}

/// Keeps the `k` smallest candidates pushed; never sorts more than `k`.
pub(crate) fn push_bounded(heap: &mut BinaryHeap<Candidate>, k: usize, c: Candidate) {
    if heap.len() < k {
        heap.push(c);
    } else if let Some(mut worst) = heap.peek_mut() {
        if c < *worst {
            *worst = c;
        }
    }
}
