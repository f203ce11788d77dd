//! Int8 codes of every vector ([`crate::quantize`]), with each vector's residual and norm,
//! and the two searches they speed up.
//!
//! **An exact scan that reads a quarter of the bytes** ([`Int8Codes::scan`]). For a stored
//! vector `x` with codes `x̂` and residual `r = ‖x − x̂‖`, Cauchy–Schwarz gives
//! `|q·x − q·x̂| ≤ ‖q‖·r`; `q·x̂` comes from the integer kernel. Pass 1 turns that into a
//! lower and an upper distance bound per vector and keeps the `k` smallest upper bounds;
//! the `k`-th of them, `τ`, is at least the true `k`-th distance. Pass 2 computes the float32
//! distance (the plain scan's own kernel) of every vector whose lower bound is at most `τ`:
//! any other is strictly farther than `k` vectors, so it cannot be among the results, ties
//! included. The bounds carry margins for every rounding on the way (the codes' query
//! weights, float32 sums); they only make pass 2 a little larger. The flat index always
//! uses it.
//!
//! **A space on the codes** ([`Int8Walk`], for `quantization: int8`): distances are
//! estimated from `q·x̂`. The graph is built and walked in it; the caller reranks a walk's
//! candidates in float32 while every original is in memory, and ranks by the estimates
//! once the originals have moved to storage (see [`VectorStore::evict_before`]).
//!
//! Kept from [`MIN_SLOTS`] vectors on. The flat index's codes ([`Int8Codes::following`]) are
//! retrained (re-encoding everything) each time the arena has grown fourfold, so the ranges
//! follow the data; `quantization: int8` codes ([`Int8Codes::once`]) are trained once, at
//! [`ONCE_SLOTS`], because later the originals may no longer be in memory, and a reopened
//! collection must rebuild the very same codes. Cosine, dot product and Euclidean only:
//! Manhattan distances have no inner-product form.

use std::collections::BinaryHeap;

use super::{push_bounded, BuildSpace, Candidate, Owned, Space};
use crate::distance::Metric;
use crate::quantize::{Int8Quantizer, Int8Query, QuantizeError};
use crate::vectors::{Slot, VectorStore};

/// Below this many slots the plain scan is cheap enough, and there is too little to train on.
pub const MIN_SLOTS: usize = 1024;

/// `quantization: int8` codes are trained here, once: late enough that the ranges see a
/// broad sample of the data (training on the first 1,024 cost 0.01 of recall@10 on
/// debian-minilm-20k), early enough that the originals can leave memory well before a
/// large collection fills it.
pub const ONCE_SLOTS: usize = 16_384;

/// Relative allowance for float32 rounding in the bounds (sums of a few thousand terms
/// round well within it).
const ROUNDING: f32 = 1e-4;

/// The trained int8 quantiser: what must be kept (in the manifest) so that a reopened
/// collection encodes new vectors as the old ones were.
#[derive(Clone, Debug, PartialEq)]
pub struct Int8Ranges {
    /// Per-dimension range centres.
    pub offset: Vec<f32>,
    /// Per-dimension steps.
    pub scale: Vec<f32>,
    /// Slots there were when it was trained.
    pub trained_at: u64,
    /// Per-dimension magnitudes of a sign bit (`binary`; empty otherwise).
    pub bit_scale: Vec<f32>,
}

/// Codes, residual norms and squared norms of every slot of a flat collection.
#[derive(Clone, Debug, Default)]
pub struct Int8Codes {
    quantizer: Option<Int8Quantizer>,
    codes: Vec<i8>,
    /// `‖x − x̂‖` per slot, rounded up.
    residual: Vec<f32>,
    /// `‖x‖` per slot.
    norm: Vec<f32>,
    trained_at: usize,
    /// Retrain at each fourfold growth.
    retrain: bool,
    /// Sign bits of every slot's codes, `words` `u64` per slot (`quantization: binary`):
    /// bit `i` is set when `cᵢ > 0`, that is when `xᵢ` is above its range's centre.
    bits: Option<Vec<u64>>,
    /// Per dimension, the mean distance of the values from their range's centre (measured on
    /// the codes when they were trained): a set bit stands for `offsetᵢ + bit_scaleᵢ`, a
    /// clear one for `offsetᵢ − bit_scaleᵢ`.
    bit_scale: Vec<f32>,
}

impl Int8Codes {
    /// Codes trained once, at [`ONCE_SLOTS`] (`quantization: int8`).
    pub fn once() -> Self {
        Int8Codes::default()
    }

    /// As [`Int8Codes::once`], with sign bits too (`quantization: binary`).
    pub fn once_with_bits() -> Self {
        Int8Codes {
            bits: Some(Vec::new()),
            ..Int8Codes::default()
        }
    }

    /// Codes retrained at each fourfold growth (the flat index's exact scan).
    pub fn following() -> Self {
        Int8Codes {
            retrain: true,
            ..Int8Codes::default()
        }
    }

    /// Whether a collection of this metric can use it.
    pub fn suits(metric: Metric) -> bool {
        metric != Metric::Manhattan
    }

    /// Brings the codes up to date with `vectors` after slots were appended.
    pub fn sync(&mut self, vectors: &VectorStore) {
        let (n, dim) = (vectors.slots(), vectors.dim());
        if n < if self.retrain { MIN_SLOTS } else { ONCE_SLOTS } {
            return;
        }
        if vectors.base() == 0
            && (self.quantizer.is_none() || self.retrain && n >= 4 * self.trained_at)
        {
            let row = |r: usize| vectors.get(crate::vectors::Slot(r as u32));
            let Ok(q) = Int8Quantizer::train_rows(n, dim, &row) else {
                return;
            };
            *self = Int8Codes {
                quantizer: Some(q),
                trained_at: n,
                retrain: self.retrain,
                bits: self.bits.as_ref().map(|_| Vec::new()),
                ..Int8Codes::default()
            };
        }
        if self.quantizer.is_none() {
            return;
        }
        self.reserve(n - self.residual.len(), dim);
        for s in self.residual.len()..n {
            self.push_row(vectors.get(Slot(s as u32)));
        }
        if self.bit_scale.is_empty() {
            self.measure_bits(dim);
        }
    }

    /// Appends the codes, residual and norm (and sign bits) of `x`; the quantiser must exist.
    fn push_row(&mut self, x: &[f32]) {
        let Some(q) = &self.quantizer else { return };
        let at = self.codes.len();
        q.encode(x, &mut self.codes);
        if let Some(bits) = self.bits.as_mut() {
            pack_signs(&self.codes[at..], bits);
        }
        let back = q.decode(&self.codes[at..]);
        let (mut r, mut xx) = (0.0f64, 0.0f64);
        for (a, b) in x.iter().zip(&back) {
            r += ((a - b) as f64).powi(2);
            xx += (*a as f64).powi(2);
        }
        self.residual.push((r.sqrt() * (1.0 + 1e-6)) as f32);
        self.norm.push(xx.sqrt() as f32);
    }

    /// Sets each sign bit's magnitude (`binary`) from the codes there are.
    fn measure_bits(&mut self, dim: usize) {
        let Some(q) = self.quantizer.as_ref().filter(|_| self.bits.is_some()) else {
            return;
        };
        let mut sum = vec![0u64; dim];
        for row in self.codes.chunks_exact(dim) {
            for (s, c) in sum.iter_mut().zip(row) {
                *s += c.unsigned_abs() as u64;
            }
        }
        let rows = (self.codes.len() / dim).max(1) as f64;
        self.bit_scale = sum
            .iter()
            .zip(q.scale())
            .map(|(&s, &step)| (s as f64 / rows) as f32 * step)
            .collect();
    }

    /// Codes of the same kind (bits or not) for `rows` (every slot's stored vector, in slot
    /// order), encoded with `quantizer`, as if trained at `trained_at` slots.
    pub fn rebuilt(
        &self,
        quantizer: Int8Quantizer,
        trained_at: usize,
        dim: usize,
        rows: impl Iterator<Item = Vec<f32>>,
    ) -> Int8Codes {
        let mut fresh = Int8Codes {
            retrain: self.retrain,
            bits: self.bits.as_ref().map(|_| Vec::new()),
            ..Int8Codes::default()
        };
        fresh.quantizer = Some(quantizer);
        fresh.trained_at = trained_at;
        for row in rows {
            fresh.push_row(&row);
        }
        fresh.measure_bits(dim);
        fresh
    }

    /// The trained ranges, to store (`None` before training).
    pub fn ranges(&self) -> Option<Int8Ranges> {
        let q = self.quantizer.as_ref()?;
        Some(Int8Ranges {
            offset: q.offset().to_vec(),
            scale: q.scale().to_vec(),
            trained_at: self.trained_at as u64,
            bit_scale: self.bit_scale.clone(),
        })
    }

    /// Takes stored ranges (opening), so later slots are encoded with them, not retrained.
    pub fn restore_ranges(&mut self, s: &Int8Ranges) -> Result<(), QuantizeError> {
        self.quantizer = Some(Int8Quantizer::from_parts(
            s.offset.clone(),
            s.scale.clone(),
        )?);
        self.trained_at = s.trained_at as usize;
        self.bit_scale = s.bit_scale.clone();
        Ok(())
    }

    /// How many slots have codes.
    pub fn len(&self) -> usize {
        self.residual.len()
    }

    /// True when no slot has codes.
    pub fn is_empty(&self) -> bool {
        self.residual.is_empty()
    }

    /// Codes, residuals and norms of slots `first..end` (all of which have codes).
    pub fn page(&self, first: usize, end: usize, dim: usize) -> (&[i8], &[f32], &[f32]) {
        let end = end.min(self.len());
        let first = first.min(end);
        (
            &self.codes[first * dim..end * dim],
            &self.residual[first..end],
            &self.norm[first..end],
        )
    }

    /// Makes room for `additional` more slots (bounded growth, see `vectors::grow`).
    pub fn reserve(&mut self, additional: usize, dim: usize) {
        crate::vectors::grow(&mut self.codes, additional * dim);
        crate::vectors::grow(&mut self.residual, additional);
        crate::vectors::grow(&mut self.norm, additional);
        if let Some(bits) = self.bits.as_mut() {
            crate::vectors::grow(bits, additional * dim.div_ceil(64));
        }
    }

    /// Appends stored codes of the next slots (opening); false when they do not fit.
    pub fn restore_page(
        &mut self,
        codes: &[i8],
        residual: &[f32],
        norm: &[f32],
        dim: usize,
    ) -> bool {
        let n = residual.len();
        if self.quantizer.is_none() || codes.len() != n * dim || norm.len() != n {
            return false;
        }
        self.reserve(n, dim);
        self.codes.extend_from_slice(codes);
        self.residual.extend_from_slice(residual);
        self.norm.extend_from_slice(norm);
        if let Some(bits) = self.bits.as_mut() {
            for row in codes.chunks_exact(dim) {
                pack_signs(row, bits);
            }
        }
        true
    }

    /// True when there are codes for each of `slots` slots.
    pub fn ready(&self, slots: usize) -> bool {
        self.quantizer.is_some() && self.residual.len() == slots && slots > 0
    }

    /// The space of these codes over `vectors`, or `None` when they do not cover it all.
    pub fn space<'a>(&'a self, vectors: &'a VectorStore) -> Option<Int8Walk<'a>> {
        if !self.ready(vectors.slots()) {
            return None;
        }
        Some(Int8Walk {
            codes: self,
            quantizer: self.quantizer.as_ref()?,
            vectors,
        })
    }

    /// The codes of `slot`.
    fn of(&self, slot: Slot, dim: usize) -> Option<&[i8]> {
        self.codes.get(slot.index() * dim..(slot.index() + 1) * dim)
    }

    /// Bytes it holds.
    pub fn memory_bytes(&self) -> usize {
        self.codes.capacity()
            + (self.residual.capacity() + self.norm.capacity()) * 4
            + self.bits.as_ref().map_or(0, |b| b.capacity() * 8)
    }

    /// The sign-bit space and `query` prepared for it (`quantization: binary`), or `None`
    /// without bits or when they do not cover all of `vectors`. `prepared` is `query` as the
    /// int8 space compares it (the walk's candidates are rescored in it); its bias and norm
    /// serve here too.
    pub fn bit_walk<'a>(
        &'a self,
        vectors: &'a VectorStore,
        query: &[f32],
        prepared: &WalkQuery,
    ) -> Option<(BitWalk<'a>, BitQuery)> {
        let bits = self.bits.as_deref()?;
        if !self.ready(vectors.slots()) || self.bit_scale.len() != query.len() {
            return None;
        }
        let words = query.len().div_ceil(64);
        // Each dimension's weight wᵢ = qᵢ·bit_scaleᵢ; a set bit adds wᵢ, a clear one
        // subtracts it: the estimate is `bias − Σw + 2·Σ_set w`. The weights are rounded to
        // QUERY_BITS-bit two's complement integers, `wᵢ ≈ step·uᵢ`, held as bit planes, so
        // `Σ_set w` is `step·(Σ_b 2ᵇ·popcount(x & plane_b) − 2ᴮ·popcount(x & plane_B))` with
        // B = QUERY_BITS − 1 the sign plane: no count of the vector's own bits is needed.
        let weights = || query.iter().zip(&self.bit_scale).map(|(q, s)| q * s);
        let (mut top, mut sum) = (0.0f32, 0.0f32);
        for x in weights() {
            (top, sum) = (top.max(x.abs()), sum + x);
        }
        let most = ((1i32 << (QUERY_BITS - 1)) - 1) as f32;
        let step = if top > 0.0 { top / most } else { 1.0 };
        let inv = 1.0 / step;
        let mut planes = Vec::with_capacity(words * QUERY_BITS);
        for (q, s) in query.chunks(64).zip(self.bit_scale.chunks(64)) {
            let mut word = [0u64; QUERY_BITS];
            for (i, (x, s)) in q.iter().zip(s).enumerate() {
                let u = ((x * s * inv).round_ties_even() as i32).clamp(-most as i32, most as i32)
                    as u64;
                for (b, w) in word.iter_mut().enumerate() {
                    *w |= ((u >> b) & 1) << i;
                }
            }
            planes.extend_from_slice(&word);
        }
        let q = BitQuery {
            planes,
            base: prepared.q.bias() - sum,
            step2: 2.0 * step,
            qq: prepared.qq,
        };
        let walk = BitWalk {
            bits,
            words,
            codes: self,
            metric: vectors.metric(),
        };
        Some((walk, q))
    }

    /// The `k` closest accepted slots, ascending (as [`super::flat::scan`] gives them), into
    /// `out`; `None` when the codes do not cover every slot (the caller scans plainly).
    /// Returns the distances computed (estimates and exact ones).
    #[allow(clippy::too_many_arguments)]
    pub fn scan(
        &self,
        vectors: &VectorStore,
        query: &[f32],
        k: usize,
        mut accept: impl FnMut(Slot) -> bool,
        heap: &mut BinaryHeap<Candidate>,
        bounds: &mut Vec<(f32, Slot)>,
        out: &mut Vec<Candidate>,
    ) -> Option<u64> {
        let q = self.quantizer.as_ref()?;
        let (n, dim) = (vectors.slots(), vectors.dim());
        if self.residual.len() != n || n == 0 {
            return None;
        }
        if vectors.base() > 0 {
            // The originals are in storage: rank by the estimates.
            let space = self.space(vectors)?;
            let wq = space.query(query);
            heap.clear();
            let mut evaluations = 0u64;
            for slot in (0..n as u32).map(Slot).filter(|&s| accept(s)) {
                evaluations += 1;
                push_bounded(
                    heap,
                    k,
                    Candidate {
                        distance: space.distance(&wq, slot),
                        slot,
                    },
                );
            }
            out.clear();
            out.extend(heap.drain());
            out.sort_unstable();
            return Some(evaluations);
        }
        let metric = vectors.metric();
        let prepared = q.query(query);
        let qq: f32 = query.iter().map(|x| x * x).sum();
        let qn = qq.sqrt();
        // The query weights' rounding: at most half a step on each of `dim` codes ≤ 127.
        let weights = prepared.step() * 0.5 * 127.0 * dim as f32;
        let bias = prepared.bias();
        heap.clear();
        bounds.clear();
        let mut evaluations = 0u64;
        for (i, codes) in self.codes.chunks_exact(dim).enumerate() {
            let slot = Slot(i as u32);
            if !accept(slot) {
                continue;
            }
            evaluations += 1;
            let est = prepared.dot(codes);
            let (r, xn) = (self.residual[i], self.norm[i]);
            let rounding = ROUNDING * (1.0 + qn * (xn + r) + bias.abs() + (est - bias).abs());
            let slack = qn * r + weights + rounding;
            let (lo, hi) = match metric {
                Metric::Cosine => (1.0 - (est + slack), 1.0 - (est - slack)),
                Metric::DotProduct => (-(est + slack), -(est - slack)),
                _ => {
                    let base = qq + xn * xn;
                    let round = ROUNDING * (base + 2.0 * qn * xn);
                    let d2 = |dot: f32| (base - 2.0 * dot).max(0.0);
                    (
                        (d2(est + slack) - round).max(0.0).sqrt(),
                        (d2(est - slack) + round).sqrt(),
                    )
                }
            };
            push_bounded(heap, k, Candidate { distance: hi, slot });
            bounds.push((lo, slot));
        }
        let tau = if heap.len() < k {
            f32::INFINITY
        } else {
            heap.peek().map_or(f32::INFINITY, |c| c.distance)
        };
        let close = bounds.iter().filter(|b| b.0 <= tau).map(|b| b.1);
        evaluations += super::flat::nearest(vectors, query, k, close, heap, out);
        Some(evaluations)
    }
}

/// Appends the sign bits of `codes` (set when positive), 64 to a word.
fn pack_signs(codes: &[i8], out: &mut Vec<u64>) {
    for chunk in codes.chunks(64) {
        let mut w = 0u64;
        for (i, &c) in chunk.iter().enumerate() {
            w |= ((c > 0) as u64) << i;
        }
        out.push(w);
    }
}

/// Bits of each rounded query weight in a [`BitQuery`]. On debian-minilm-20k 4 bits find
/// what float32 weights find (recall@10 0.924 against 0.922 at ef 16, within 0.002 from
/// ef 32); 3 bits lost 0.013 at ef 16 and were no faster in the browser.
const QUERY_BITS: usize = 4;

/// A query against sign bits: its weights rounded to `QUERY_BITS` (4) bits, as bit planes
/// laid out word by word (`planes[word·QUERY_BITS + b]`).
pub struct BitQuery {
    planes: Vec<u64>,
    /// `Σ qᵢ·offsetᵢ − Σ wᵢ`: the estimate with every bit clear.
    base: f32,
    /// Twice the rounding step.
    step2: f32,
    /// `‖q‖²`, for Euclidean estimates.
    qq: f32,
}

/// Distances estimated from one sign bit per dimension ([`Int8Codes::bit_walk`]): the query
/// keeps `QUERY_BITS` (4) bits per dimension (asymmetric), so each vector costs four `popcnt`
/// per 64 dimensions. (A float32 query through per-byte tables found the same neighbours at
/// 0.7× the speed in the browser; Hamming distance between the bits, one `popcnt` per 64
/// dimensions, found 0.78 of the top 10 where these find 0.86 on seeded clusters.)
pub struct BitWalk<'a> {
    bits: &'a [u64],
    words: usize,
    codes: &'a Int8Codes,
    metric: Metric,
}

impl Space for BitWalk<'_> {
    type Query = BitQuery;

    #[inline]
    fn distance(&self, q: &BitQuery, slot: Slot) -> f32 {
        let at = slot.index() * self.words;
        let Some(words) = self.bits.get(at..at + self.words) else {
            return f32::INFINITY;
        };
        let (mut low, mut sign) = (0u32, 0u32);
        for (&x, planes) in words.iter().zip(q.planes.chunks_exact(QUERY_BITS)) {
            for (b, &p) in planes[..QUERY_BITS - 1].iter().enumerate() {
                low += (x & p).count_ones() << b;
            }
            sign += (x & planes[QUERY_BITS - 1]).count_ones();
        }
        let weighted = low as i32 - (sign << (QUERY_BITS - 1)) as i32;
        let est = q.base + q.step2 * weighted as f32;
        match self.metric {
            Metric::Cosine => 1.0 - est,
            Metric::DotProduct => -est,
            _ => {
                let xn = self.codes.norm.get(slot.index()).copied().unwrap_or(0.0);
                (q.qq - 2.0 * est + xn * xn).max(0.0).sqrt()
            }
        }
    }
}

/// A query as [`Int8Walk`] compares it.
pub struct WalkQuery {
    q: Int8Query,
    /// `‖q‖²`, for Euclidean estimates.
    qq: f32,
}

/// Distances estimated on int8 codes: a space to build and walk the graph in
/// ([`Int8Codes::space`]).
pub struct Int8Walk<'a> {
    codes: &'a Int8Codes,
    quantizer: &'a Int8Quantizer,
    vectors: &'a VectorStore,
}

impl Int8Walk<'_> {
    /// `query` (prepared as the float32 kernels compare it) against the codes.
    pub fn query(&self, query: &[f32]) -> WalkQuery {
        WalkQuery {
            q: self.quantizer.query(query),
            qq: query.iter().map(|x| x * x).sum(),
        }
    }
}

impl Space for Int8Walk<'_> {
    type Query = WalkQuery;

    #[inline]
    fn distance(&self, q: &WalkQuery, slot: Slot) -> f32 {
        let Some(c) = self.codes.of(slot, self.vectors.dim()) else {
            return f32::INFINITY;
        };
        self.finish(q, slot, q.q.dot(c))
    }

    #[inline]
    fn distance2(&self, q: &WalkQuery, a: Slot, b: Slot) -> (f32, f32) {
        let dim = self.vectors.dim();
        match (self.codes.of(a, dim), self.codes.of(b, dim)) {
            (Some(ca), Some(cb)) => {
                let (x, y) = q.q.dot2(ca, cb);
                (self.finish(q, a, x), self.finish(q, b, y))
            }
            _ => (self.distance(q, a), self.distance(q, b)),
        }
    }
}

impl Int8Walk<'_> {
    /// The distance from `q` to `slot` given their estimated inner product `est`.
    #[inline(always)]
    fn finish(&self, q: &WalkQuery, slot: Slot, est: f32) -> f32 {
        match self.vectors.metric() {
            Metric::Cosine => 1.0 - est,
            Metric::DotProduct => -est,
            _ => {
                let xn = self.codes.norm.get(slot.index()).copied().unwrap_or(0.0);
                (q.qq - 2.0 * est + xn * xn).max(0.0).sqrt()
            }
        }
    }
}

impl BuildSpace for Int8Walk<'_> {
    type Prepared<'b>
        = Owned<WalkQuery>
    where
        Self: 'b;

    /// The original while it is in memory (the vector just inserted always is), else the
    /// decoded codes.
    fn query_of(&self, slot: Slot) -> Owned<WalkQuery> {
        if let Some(x) = self.vectors.resident(slot) {
            return Owned(self.query(x));
        }
        let q = match self.codes.of(slot, self.vectors.dim()) {
            Some(c) => self.quantizer.query_from_codes(c),
            None => self.quantizer.query(&vec![0.0; self.vectors.dim()]),
        };
        let n = self.codes.norm.get(slot.index()).copied().unwrap_or(0.0);
        let q = WalkQuery { q, qq: n * n };
        Owned(q)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruvector_testkit::dataset::Mixture;

    #[test]
    fn the_bit_planes_estimate_what_the_sign_bits_stand_for() {
        // The walk's estimate is `bias + Σ wᵢ·sᵢ` (sᵢ = ±1 from the sign bit) with the
        // weights rounded to QUERY_BITS bits: it must stay within the rounding of the
        // weights, `dim · step / 2`, of the float sum, for every metric's formula.
        let (dim, seed) = (200, 0xB175);
        let rows = Mixture::new(dim, 8, seed).sample(ONCE_SLOTS, seed + 1);
        let queries = Mixture::new(dim, 8, seed).sample(20, seed + 2);
        let mut vectors = VectorStore::new(dim, Metric::DotProduct);
        for r in rows.chunks_exact(dim) {
            let norm = r.iter().map(|x| x * x).sum::<f32>().sqrt();
            vectors.push(r, norm);
        }
        let mut codes = Int8Codes::once_with_bits();
        codes.sync(&vectors);
        let quantizer = codes.quantizer.clone().expect("trained at ONCE_SLOTS");
        let bits = codes.bits.clone().expect("bits");
        let words = dim.div_ceil(64);
        for q in queries.chunks_exact(dim) {
            let prepared = codes.space(&vectors).expect("trained").query(q);
            let (walk, bq) = codes
                .bit_walk(&vectors, q, &prepared)
                .expect("bits cover every slot");
            let bias: f32 = q.iter().zip(quantizer.offset()).map(|(a, o)| a * o).sum();
            let tolerance = dim as f32 * bq.step2 / 2.0 + 1e-3;
            for slot in (0..ONCE_SLOTS as u32).step_by(97).map(Slot) {
                let w = &bits[slot.index() * words..(slot.index() + 1) * words];
                let exact: f32 = (0..dim)
                    .map(|d| {
                        let s = if (w[d / 64] >> (d % 64)) & 1 == 1 {
                            1.0
                        } else {
                            -1.0
                        };
                        s * q[d] * codes.bit_scale[d]
                    })
                    .sum::<f32>()
                    + bias;
                let est = -walk.distance(&bq, slot);
                assert!(
                    (est - exact).abs() <= tolerance,
                    "slot {}: estimate {est} vs {exact} (tolerance {tolerance})",
                    slot.0
                );
            }
        }
    }
}
