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
//! **A graph walk on the codes** ([`Int8Walk`], for `quantization: int8`): distances are
//! estimated from `q·x̂`; the caller reranks the walk's candidates in float32.
//!
//! Kept from [`MIN_SLOTS`] vectors on; retrained (re-encoding everything) each time the
//! arena has grown fourfold since, so the ranges follow the data. Cosine, dot product and
//! Euclidean only: Manhattan distances have no inner-product form.

use std::collections::BinaryHeap;

use super::{push_bounded, Candidate, Space};
use crate::distance::Metric;
use crate::quantize::{Int8Quantizer, Int8Query};
use crate::vectors::{Slot, VectorStore};

/// Below this many slots the plain scan is cheap enough, and there is too little to train on.
pub const MIN_SLOTS: usize = 1024;

/// Relative allowance for float32 rounding in the bounds (sums of a few thousand terms
/// round well within it).
const ROUNDING: f32 = 1e-4;

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
}

impl Int8Codes {
    /// Whether a collection of this metric can use it.
    pub fn suits(metric: Metric) -> bool {
        metric != Metric::Manhattan
    }

    /// Brings the codes up to date with `vectors` after slots were appended.
    pub fn sync(&mut self, vectors: &VectorStore) {
        let (n, dim) = (vectors.slots(), vectors.dim());
        if n < MIN_SLOTS {
            return;
        }
        if self.quantizer.is_none() || n >= 4 * self.trained_at {
            let Ok(q) = Int8Quantizer::train(vectors.rows(), dim) else {
                return;
            };
            *self = Int8Codes {
                quantizer: Some(q),
                trained_at: n,
                ..Int8Codes::default()
            };
        }
        let Some(q) = &self.quantizer else { return };
        for s in self.residual.len()..n {
            let x = vectors.get(Slot(s as u32));
            let at = self.codes.len();
            q.encode(x, &mut self.codes);
            let back = q.decode(&self.codes[at..]);
            let (mut r, mut xx) = (0.0f64, 0.0f64);
            for (a, b) in x.iter().zip(&back) {
                r += ((a - b) as f64).powi(2);
                xx += (*a as f64).powi(2);
            }
            self.residual.push((r.sqrt() * (1.0 + 1e-6)) as f32);
            self.norm.push(xx.sqrt() as f32);
        }
    }

    /// True when there are codes for each of `slots` slots.
    pub fn ready(&self, slots: usize) -> bool {
        self.quantizer.is_some() && self.residual.len() == slots && slots > 0
    }

    /// A walk on the codes for `query` (prepared as the float32 kernels compare it), or
    /// `None` when they do not cover all of `vectors`.
    pub fn walk(&self, vectors: &VectorStore, query: &[f32]) -> Option<(Int8Walk<'_>, Int8Query)> {
        if !self.ready(vectors.slots()) {
            return None;
        }
        let q = self.quantizer.as_ref()?.query(query);
        let walk = Int8Walk {
            codes: self,
            metric: vectors.metric(),
            dim: vectors.dim(),
            qq: query.iter().map(|x| x * x).sum(),
        };
        Some((walk, q))
    }

    /// Bytes it holds.
    pub fn memory_bytes(&self) -> usize {
        self.codes.capacity() + (self.residual.capacity() + self.norm.capacity()) * 4
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

/// Distances estimated on int8 codes, for a graph walk ([`Int8Codes::walk`]).
pub struct Int8Walk<'a> {
    codes: &'a Int8Codes,
    metric: Metric,
    dim: usize,
    /// `‖q‖²`, for Euclidean estimates.
    qq: f32,
}

impl Space for Int8Walk<'_> {
    type Query = Int8Query;

    #[inline]
    fn distance(&self, q: &Int8Query, slot: Slot) -> f32 {
        let i = slot.index();
        let Some(c) = self.codes.codes.get(i * self.dim..(i + 1) * self.dim) else {
            return f32::INFINITY;
        };
        let est = q.dot(c);
        match self.metric {
            Metric::Cosine => 1.0 - est,
            Metric::DotProduct => -est,
            _ => {
                let xn = self.codes.norm.get(i).copied().unwrap_or(0.0);
                (self.qq - 2.0 * est + xn * xn).max(0.0).sqrt()
            }
        }
    }
}
