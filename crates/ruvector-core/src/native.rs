//! Native-only extras (feature `native`, never built for wasm32).
//!
//! [`HnswRsBaseline`] is hnsw_rs set up the way the parity tests and benchmarks compare it
//! with ours: `max_nb_connection = m`, `DistDot` on unit vectors, single-threaded inserts.

use hnsw_rs::prelude::{DistDot, Distance, Hnsw};

/// hnsw_rs's distance driven by our kernel (`1 − a·b` on unit vectors), to separate graph
/// quality from kernel speed in the benchmarks.
#[derive(Clone, Copy, Debug, Default)]
pub struct OurDot;

impl Distance<f32> for OurDot {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - crate::distance::dot(a, b)).max(0.0)
    }
}

/// An hnsw_rs index over unit vectors, numbered by row.
pub struct HnswRsBaseline<D: Distance<f32> + Send + Sync + 'static> {
    index: Hnsw<'static, f32, D>,
    dim: usize,
}

impl HnswRsBaseline<DistDot> {
    /// hnsw_rs with its own `DistDot`.
    pub fn new(dim: usize, capacity: usize, m: usize, ef_construction: usize) -> Self {
        Self::with_distance(dim, capacity, m, ef_construction, DistDot {})
    }
}

impl<D: Distance<f32> + Send + Sync + 'static> HnswRsBaseline<D> {
    /// hnsw_rs with any distance. `m` must be at most 256 (hnsw_rs exits the process above).
    pub fn with_distance(dim: usize, capacity: usize, m: usize, ef_construction: usize, dist: D) -> Self {
        let m = m.clamp(1, 256);
        HnswRsBaseline {
            index: Hnsw::new(m, capacity.max(1), 16, ef_construction, dist),
            dim,
        }
    }

    /// Inserts rows (row-major, unit length) numbered from `first`, one at a time.
    pub fn insert_rows(&mut self, rows: &[f32], first: usize) {
        for (i, row) in rows.chunks_exact(self.dim).enumerate() {
            self.index.insert_slice((row, first + i));
        }
    }

    /// Row numbers of the `k` nearest, closest first.
    pub fn search(&self, q: &[f32], k: usize, ef: usize) -> Vec<usize> {
        self.index.search(q, k, ef).into_iter().map(|n| n.d_id).collect()
    }
}
