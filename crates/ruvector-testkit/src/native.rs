//! Native-only test support (never built for wasm32).
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
        (1.0 - ruvector_core::distance::dot(a, b)).max(0.0)
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
    pub fn with_distance(
        dim: usize,
        capacity: usize,
        m: usize,
        ef_construction: usize,
        dist: D,
    ) -> Self {
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
        self.index
            .search(q, k, ef)
            .into_iter()
            .map(|n| n.d_id)
            .collect()
    }
}

/// A texmex data set on disk: base rows, query rows and the ground truth (row numbers,
/// closest first), as in `../shared/data/debian-minilm-20k`.
#[derive(Clone, Debug)]
pub struct TexmexSet {
    /// Values per row.
    pub dim: usize,
    /// Base rows, row-major.
    pub base: Vec<f32>,
    /// Query rows, row-major.
    pub queries: Vec<f32>,
    /// For each query, the true neighbours' base row numbers, closest first.
    pub truth: Vec<Vec<usize>>,
}

/// Where the shared real data set lives: `$RUVECTOR_DATA` if set, else
/// `<workspace>/../shared/data/debian-minilm-20k`.
pub fn debian_minilm_dir() -> std::path::PathBuf {
    match std::env::var_os("RUVECTOR_DATA") {
        Some(p) => p.into(),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/data/debian-minilm-20k"),
    }
}

/// Loads `base.fvecs`, `query.fvecs` and `groundtruth.ivecs` from `dir`; `None` when the
/// folder is absent, an error when it is there but unreadable or malformed.
pub fn load_texmex(dir: &std::path::Path) -> Result<Option<TexmexSet>, String> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()))
    };
    let (dim, base) = crate::dataset::parse_fvecs(&read("base.fvecs")?)
        .map_err(|e| format!("base.fvecs: {e}"))?;
    let (qdim, queries) = crate::dataset::parse_fvecs(&read("query.fvecs")?)
        .map_err(|e| format!("query.fvecs: {e}"))?;
    if qdim != dim {
        return Err(format!(
            "query.fvecs has dimension {qdim}, base.fvecs {dim}"
        ));
    }
    let (k, gt) = crate::dataset::parse_ivecs(&read("groundtruth.ivecs")?)
        .map_err(|e| format!("groundtruth.ivecs: {e}"))?;
    let truth = gt
        .chunks_exact(k.max(1))
        .map(|r| r.iter().map(|&i| i as usize).collect())
        .collect();
    Ok(Some(TexmexSet {
        dim,
        base,
        queries,
        truth,
    }))
}
