//! The vector arena: the vectors of a collection in segments of `SEGMENT_SLOTS` rows,
//! addressed by [`Slot`]. Cosine collections store each vector normalised, with its norm
//! beside it.
//!
//! Segments, not one contiguous `Vec`: a growing `Vec` is copied into a larger allocation
//! each time it grows, and the blocks it leaves behind are too small for the next growth,
//! so WebAssembly memory (which never shrinks) reached 2–2.5× the vectors it held (78.7 MiB
//! for 20k × 384 float32, 30 MiB of vectors, built in batches of 1,000). A segment is
//! allocated once, at its final size, and never moved.
//!
//! A durable `quantization: int8` collection keeps only a suffix in memory: the slots below
//! [`VectorStore::base`] were evicted once their storage pages were written, and are read
//! back from storage when asked for; searches use their int8 codes.

use std::borrow::Cow;

use crate::distance::{self, Metric};
use crate::error::VectorError;

/// An internal vector number: the position of a vector in the arena, and its node in the
/// graph. Slots are never reused, so a deleted slot never names another vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Slot(pub u32);

impl Slot {
    /// The slot as an index into per-slot arrays.
    #[inline(always)]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Cache lines of a vector [`VectorStore::prefetch`] asks for (the hardware prefetcher
/// follows the rest).
#[cfg(target_arch = "x86_64")]
const PREFETCH_LINES: usize = 24;

/// Rows per segment of the arena: a vector page's (eviction drops whole segments).
pub const SEGMENT_SLOTS: usize = 256;
const SEGMENT_SHIFT: u32 = SEGMENT_SLOTS.trailing_zeros();

/// Vectors of one dimension in segments of `SEGMENT_SLOTS` rows, compared with one metric.
#[derive(Clone, Debug)]
pub struct VectorStore {
    dim: usize,
    metric: Metric,
    /// Segment `first_segment + i` holds slots `(first_segment + i) · SEGMENT_SLOTS..`, row
    /// after row; a segment is allocated at its full size. Rows below `base` in the first
    /// segment are padding or evicted vectors (never read).
    segments: Vec<Vec<f32>>,
    /// The segment number of `segments[0]`.
    first_segment: usize,
    /// Slots allocated, evicted ones included.
    len: usize,
    /// Original norms of every slot (cosine only; empty otherwise).
    norms: Vec<f32>,
    /// The first slot whose vector is in memory.
    base: usize,
}

impl VectorStore {
    /// An empty arena for `dim`-dimensional vectors.
    pub fn new(dim: usize, metric: Metric) -> Self {
        VectorStore {
            dim,
            metric,
            segments: Vec::new(),
            first_segment: 0,
            len: 0,
            norms: Vec::new(),
            base: 0,
        }
    }

    /// The first slot whose vector is in memory (0 unless some were evicted).
    pub fn base(&self) -> usize {
        self.base
    }

    /// Drops the vectors of the slots below `slot` (kept: their norms), which the caller
    /// has in storage. Never brings any back.
    pub fn evict_before(&mut self, slot: usize) {
        let slot = slot.min(self.slots());
        if slot <= self.base {
            return;
        }
        // Whole segments below `slot` go; a segment it splits stays until it is all below.
        let gone = (slot >> SEGMENT_SHIFT)
            .saturating_sub(self.first_segment)
            .min(self.segments.len());
        self.segments.drain(..gone);
        self.first_segment += gone;
        self.base = slot;
    }

    /// Appends a slot whose vector stays in storage (opening from int8 code pages): only
    /// possible while no later vector is in memory. False otherwise.
    pub fn push_stored(&mut self, norm: f32) -> bool {
        if self.base < self.len {
            return false;
        }
        self.base += 1;
        self.len += 1;
        if self.metric == Metric::Cosine {
            self.norms.push(norm);
        }
        true
    }

    /// The stored vector of `slot`, when it is in memory.
    #[inline(always)]
    pub fn resident(&self, slot: Slot) -> Option<&[f32]> {
        let i = slot.index();
        (i >= self.base && i < self.len).then(|| self.get(slot))
    }

    /// The dimension of every vector.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The metric the arena's distances use.
    pub fn metric(&self) -> Metric {
        self.metric
    }

    /// How many slots have been allocated (deleted ones included).
    pub fn slots(&self) -> usize {
        self.len
    }

    /// Checks a vector for this arena: right length, every value finite, and (cosine) not
    /// zero. Returns the prepared form the engine compares: for cosine a normalised copy and
    /// its norm, for other metrics the vector as given (borrowed) and 1.0.
    pub fn prepare<'a>(&self, v: &'a [f32]) -> Result<(Cow<'a, [f32]>, f32), VectorError> {
        self.check(v)?;
        if self.metric == Metric::Cosine {
            let mut p = v.to_vec();
            let norm = distance::normalize(&mut p);
            if !(norm > 0.0 && norm.is_finite()) {
                return Err(VectorError::ZeroNorm);
            }
            return Ok((Cow::Owned(p), norm));
        }
        Ok((Cow::Borrowed(v), 1.0))
    }

    /// Checks the length and that every value is finite.
    fn check(&self, v: &[f32]) -> Result<(), VectorError> {
        if v.len() != self.dim {
            return Err(VectorError::DimensionMismatch {
                expected: self.dim,
                got: v.len(),
            });
        }
        match v.iter().position(|x| !x.is_finite()) {
            Some(position) => Err(VectorError::NonFinite { position }),
            None => Ok(()),
        }
    }

    /// A query as the kernels compare it: [`VectorStore::prepare`]'s form without the norm
    /// (borrowed as given, or normalised into a copy for cosine).
    pub fn prepare_query<'a>(&self, v: &'a [f32]) -> Result<Cow<'a, [f32]>, VectorError> {
        self.prepare(v).map(|(p, _)| p)
    }

    /// Appends a vector returned by [`VectorStore::prepare`] and returns its slot.
    pub fn push(&mut self, prepared: &[f32], norm: f32) -> Slot {
        debug_assert_eq!(prepared.len(), self.dim);
        let slot = self.len;
        if self.segments.is_empty() {
            self.first_segment = slot >> SEGMENT_SHIFT;
        }
        let seg = (slot >> SEGMENT_SHIFT) - self.first_segment;
        if seg == self.segments.len() {
            self.add_segment(slot);
        }
        self.segments[seg].extend_from_slice(prepared);
        self.len += 1;
        if self.metric == Metric::Cosine {
            grow(&mut self.norms, 1);
            self.norms.push(norm);
        }
        Slot(slot as u32)
    }

    /// The stored (for cosine: normalised) vector of `slot`, which must be in memory
    /// (at or above [`VectorStore::base`]; the callers of an evicting collection use
    /// [`VectorStore::resident`]).
    #[inline(always)]
    pub fn get(&self, slot: Slot) -> &[f32] {
        let i = slot.index();
        let seg = &self.segments[(i >> SEGMENT_SHIFT) - self.first_segment];
        let start = (i & (SEGMENT_SLOTS - 1)) * self.dim;
        &seg[start..start + self.dim]
    }

    /// Hints the CPU to start loading the first cache lines of `slot`'s vector (x86-64; a
    /// no-op elsewhere). Graph walks call it for a node's neighbours before comparing them.
    #[inline(always)]
    pub fn prefetch(&self, slot: Slot) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            if let Some(v) = self.resident(slot) {
                for line in v.chunks(16).take(PREFETCH_LINES) {
                    // SAFETY: prefetching is only a hint; SSE is part of the x86-64 baseline.
                    unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr() as *const i8) };
                }
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = slot;
    }

    /// The original norm of `slot` (cosine collections only).
    pub fn norm(&self, slot: Slot) -> Option<f32> {
        self.norms.get(slot.index()).copied()
    }

    /// The vector of `slot` as it was given (cosine: normalised × norm), when in memory.
    pub fn original(&self, slot: Slot) -> Option<Vec<f32>> {
        Some(self.restore_original(slot, self.resident(slot)?))
    }

    /// `stored` (the stored form of `slot`'s vector) as it was given.
    pub fn restore_original(&self, slot: Slot, stored: &[f32]) -> Vec<f32> {
        match self.norms.get(slot.index()) {
            Some(&n) if self.metric == Metric::Cosine => stored.iter().map(|x| x * n).collect(),
            _ => stored.to_vec(),
        }
    }

    /// The distance from a prepared query to the vector at `slot`.
    #[inline(always)]
    pub fn distance(&self, query: &[f32], slot: Slot) -> f32 {
        self.metric.distance(query, self.get(slot))
    }

    /// The distances from a prepared query to the vectors at `a` and `b`.
    #[inline(always)]
    pub fn distance2(&self, query: &[f32], a: Slot, b: Slot) -> (f32, f32) {
        self.metric.distance2(query, self.get(a), self.get(b))
    }

    /// The distance between two stored vectors.
    #[inline(always)]
    pub fn distance_between(&self, a: Slot, b: Slot) -> f32 {
        self.metric.distance(self.get(a), self.get(b))
    }

    /// Allocates the segment of `slot` at its full size; one that starts below `slot` (the
    /// first after slots kept in storage only) is padded up to it.
    #[inline(never)]
    fn add_segment(&mut self, slot: usize) {
        let mut fresh = vec![0.0; (slot & (SEGMENT_SLOTS - 1)) * self.dim];
        fresh.reserve_exact(SEGMENT_SLOTS * self.dim - fresh.len());
        self.segments.push(fresh);
    }

    /// Bytes held by the arena (capacity, norms included).
    pub fn memory_bytes(&self) -> usize {
        let rows: usize = self.segments.iter().map(Vec::capacity).sum();
        (rows + self.norms.capacity()) * 4
    }

    /// Makes room for `additional` more norms (cosine), growing by at most an eighth beyond
    /// what is needed (see `grow`); segments are allocated as they are reached.
    pub fn reserve(&mut self, additional: usize) {
        if self.metric == Metric::Cosine {
            grow(&mut self.norms, additional);
        }
    }
}

/// Makes room for `additional` more elements: exactly what is needed, or an eighth more
/// than the current capacity when that is larger. Still amortised O(1) per element, while
/// `Vec`'s own doubling could leave up to half of a large arena unused.
pub fn grow<T>(v: &mut Vec<T>, additional: usize) {
    let needed = v.len() + additional;
    if needed > v.capacity() {
        let target = needed.max(v.capacity() + v.capacity() / 8);
        v.reserve_exact(target - v.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(i: usize) -> Vec<f32> {
        vec![i as f32 + 1.0, 0.5, -(i as f32)]
    }

    /// Rows across segment boundaries, after slots kept in storage only (the first segment
    /// padded up to the first row in memory), and after eviction of whole segments.
    #[test]
    fn segments_hold_every_row_where_its_slot_says() {
        let mut v = VectorStore::new(3, Metric::Euclidean);
        for _ in 0..300 {
            assert!(v.push_stored(1.0));
        }
        for i in 300..1_000 {
            assert_eq!(v.push(&row(i), 1.0), Slot(i as u32));
        }
        assert!(
            !v.push_stored(1.0),
            "no slot in storage only after one in memory"
        );
        assert_eq!((v.slots(), v.base()), (1_000, 300));
        assert_eq!(v.resident(Slot(299)), None);
        assert_eq!(v.resident(Slot(1_000)), None);
        for i in 300..1_000 {
            assert_eq!(v.get(Slot(i as u32)), &row(i)[..], "slot {i}");
        }
        let held = v.memory_bytes();
        v.evict_before(600); // drops the segment of 256..512, keeps 512..768 (split)
        assert_eq!(v.base(), 600);
        assert_eq!(v.resident(Slot(599)), None);
        assert!(v.memory_bytes() < held);
        for i in 600..1_000 {
            assert_eq!(v.resident(Slot(i as u32)), Some(&row(i)[..]), "slot {i}");
        }
        v.evict_before(1_000); // every row; the segment of 768..1024 stays for the next ones
        assert_eq!(v.memory_bytes(), SEGMENT_SLOTS * 3 * 4);
        assert_eq!(v.resident(Slot(999)), None);
        assert_eq!(v.push(&row(1_000), 1.0), Slot(1_000));
        assert_eq!(v.get(Slot(1_000)), &row(1_000)[..]);
    }
}
