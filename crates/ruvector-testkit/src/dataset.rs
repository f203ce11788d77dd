//! Seeded data sets and measures shared by the tests and the benchmarks: clustered
//! synthetic vectors, readers for the texmex `.fvecs`/`.ivecs` formats, exact ground
//! truth and recall. Pure functions over memory; no I/O.

use ruvector_core::distance;
use ruvector_core::{Metric, SplitMix64};

/// A seeded Gaussian mixture: `clusters` centres drawn from N(0, I), cluster weights
/// lognormal(0, 0.5), each cluster with its own isotropic spread uniform in
/// `[0.5, 1.0] × spread_scale`. Base points and queries are independent samples of the
/// same mixture, every point L2-normalised.
#[derive(Clone, Debug)]
pub struct Mixture {
    dim: usize,
    centres: Vec<f32>,
    spreads: Vec<f64>,
    cumulative: Vec<f64>,
}

impl Mixture {
    /// The mixture for `seed`, with spreads in [0.5, 1.0].
    pub fn new(dim: usize, clusters: usize, seed: u64) -> Self {
        Self::with_spread(dim, clusters, seed, 1.0)
    }

    /// The mixture for `seed`, with spreads in `[0.5, 1.0] × spread_scale` (a larger scale
    /// makes clusters overlap and neighbours harder to find).
    pub fn with_spread(dim: usize, clusters: usize, seed: u64, spread_scale: f64) -> Self {
        let mut rng = SplitMix64::new(seed);
        let clusters = clusters.max(1);
        let centres = (0..clusters * dim).map(|_| rng.normal() as f32).collect();
        let spreads = (0..clusters)
            .map(|_| (0.5 + 0.5 * rng.next_f64()) * spread_scale)
            .collect();
        let mut total = 0.0;
        let cumulative: Vec<f64> = (0..clusters)
            .map(|_| {
                total += (0.5 * rng.normal()).exp();
                total
            })
            .collect();
        let cumulative = cumulative.into_iter().map(|c| c / total).collect();
        Mixture {
            dim,
            centres,
            spreads,
            cumulative,
        }
    }

    /// `n` unit-length points (row-major) drawn with `seed`.
    pub fn sample(&self, n: usize, seed: u64) -> Vec<f32> {
        let mut rng = SplitMix64::new(seed);
        let dim = self.dim;
        let mut out = Vec::with_capacity(n * dim);
        for _ in 0..n {
            let u = rng.next_f64();
            let c = self
                .cumulative
                .partition_point(|&w| w < u)
                .min(self.spreads.len() - 1);
            let start = out.len();
            for j in 0..dim {
                out.push(self.centres[c * dim + j] + (self.spreads[c] * rng.normal()) as f32);
            }
            distance::normalize(&mut out[start..]);
        }
        out
    }
}

/// `n` unit vectors from [`Mixture::new`]`(dim, clusters, seed)` (sampled with `seed + 1`).
pub fn clustered(n: usize, dim: usize, clusters: usize, seed: u64) -> Vec<f32> {
    Mixture::new(dim, clusters, seed).sample(n, seed.wrapping_add(1))
}

/// Why a texmex file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TexmexError {
    /// The bytes end inside a record.
    #[error("truncated at byte {0}")]
    Truncated(usize),
    /// A record's dimension differs from the first record's.
    #[error("record {record} has dimension {got}, the first had {expected}")]
    Ragged {
        /// The record number.
        record: usize,
        /// Its dimension.
        got: usize,
        /// The first record's.
        expected: usize,
    },
}

fn texmex<T: Copy>(bytes: &[u8], conv: fn([u8; 4]) -> T) -> Result<(usize, Vec<T>), TexmexError> {
    let mut out = Vec::new();
    let (mut at, mut dim, mut record) = (0usize, None, 0usize);
    while at < bytes.len() {
        let head: [u8; 4] = bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or(TexmexError::Truncated(at))?;
        let d = u32::from_le_bytes(head) as usize;
        let expected = *dim.get_or_insert(d);
        if d != expected {
            return Err(TexmexError::Ragged {
                record,
                got: d,
                expected,
            });
        }
        let body = bytes
            .get(at + 4..at + 4 + 4 * d)
            .ok_or(TexmexError::Truncated(at))?;
        out.extend(body.chunks_exact(4).map(|c| conv([c[0], c[1], c[2], c[3]])));
        at += 4 + 4 * d;
        record += 1;
    }
    Ok((dim.unwrap_or(0), out))
}

/// Parses `.fvecs` bytes: returns the dimension and the rows, row-major.
pub fn parse_fvecs(bytes: &[u8]) -> Result<(usize, Vec<f32>), TexmexError> {
    texmex(bytes, f32::from_le_bytes)
}

/// Parses `.ivecs` bytes: returns the row length and the rows, row-major.
pub fn parse_ivecs(bytes: &[u8]) -> Result<(usize, Vec<i32>), TexmexError> {
    texmex(bytes, i32::from_le_bytes)
}

/// The exact `k` nearest base rows for each query row, by `metric` (cosine expects unit
/// rows), ties to the lower row number.
pub fn ground_truth(
    base: &[f32],
    queries: &[f32],
    dim: usize,
    k: usize,
    metric: Metric,
) -> Vec<Vec<usize>> {
    queries
        .chunks_exact(dim)
        .map(|q| {
            let mut d: Vec<(f32, usize)> = base
                .chunks_exact(dim)
                .enumerate()
                .map(|(i, v)| (metric.distance(q, v), i))
                .collect();
            let k = k.min(d.len());
            if k > 0 {
                d.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            }
            d.truncate(k);
            d.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            d.into_iter().map(|(_, i)| i).collect()
        })
        .collect()
}

/// Mean recall@k: the share of each truth list's first `k` found in the matching result list.
pub fn recall_at(results: &[Vec<usize>], truth: &[Vec<usize>], k: usize) -> f64 {
    let mut hit = 0usize;
    let mut total = 0usize;
    for (r, t) in results.iter().zip(truth) {
        let t = &t[..k.min(t.len())];
        total += t.len();
        hit += r.iter().take(k).filter(|x| t.contains(x)).count();
    }
    if total == 0 {
        1.0
    } else {
        hit as f64 / total as f64
    }
}
