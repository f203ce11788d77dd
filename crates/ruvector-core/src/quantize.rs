//! Scalar quantisation to int8 (issue #9's first part): per dimension `i`,
//! `xᵢ ≈ offsetᵢ + scaleᵢ·cᵢ` with a code `cᵢ ∈ [−127, 127]`, a quarter of the float's bytes.
//!
//! The ranges are trained on the data: per dimension, the values between the
//! [`INT8_TRIM`] and `1 − INT8_TRIM` quantiles of a sample of at most [`INT8_TRAIN_SAMPLE`]
//! vectors, so one outlier does not coarsen a whole dimension (values beyond are clamped).
//!
//! A query stays nearly exact: `q·x̂ = Σ qᵢ·offsetᵢ + Σ (qᵢ·scaleᵢ)·cᵢ`, whose first sum is
//! a per-query constant and whose weights `qᵢ·scaleᵢ` are rounded once per query to `i16`
//! ([`Int8Query`]); the sum then runs on integers ([`crate::distance::int8`]). The only
//! real loss is the codes' rounding, at most `scaleᵢ / 2` per dimension.

use crate::distance::int8;

/// How a collection keeps its vectors for searching, chosen at creation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Quantization {
    /// Float32 only.
    #[default]
    None,
    /// Int8 codes (a quarter of the bytes), on which the HNSW graph is built and walked. In
    /// a durable collection the float32 vectors leave memory once stored (results are then
    /// ranked by the int8 estimate); before, the `ef` candidates are reranked in float32.
    /// Not with `manhattan`.
    Int8,
    /// As `int8`, plus one sign bit per dimension: a search walks the graph on the bits
    /// (Hamming distance, a widened candidate list) and reranks the candidates on the int8
    /// codes. Not with `manhattan`.
    Binary,
}

impl Quantization {
    /// True for [`Quantization::None`].
    pub fn is_none(&self) -> bool {
        *self == Quantization::None
    }

    /// True when int8 codes back the graph (`int8` and `binary`).
    pub fn has_codes(&self) -> bool {
        *self != Quantization::None
    }
}

/// How many vectors [`Int8Quantizer::train`] reads at most (evenly spaced).
pub const INT8_TRAIN_SAMPLE: usize = 10_000;
/// Share of values left out at each end of every dimension's range when training.
pub const INT8_TRIM: f64 = 0.001;

/// Why a quantiser could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuantizeError {
    /// Training needs at least one vector.
    #[error("no vectors to train the int8 ranges on: insert some first")]
    NoData,
    /// Stored parameters that do not fit together (a damaged record).
    #[error("int8 parameters do not fit: {0}")]
    Shape(String),
}

/// The trained per-dimension ranges of an int8 collection.
#[derive(Clone, Debug, PartialEq)]
pub struct Int8Quantizer {
    offset: Vec<f32>,
    scale: Vec<f32>,
}

impl Int8Quantizer {
    /// Ranges trained on `vectors` (rows of `dim` values, row-major).
    pub fn train(vectors: &[f32], dim: usize) -> Result<Self, QuantizeError> {
        let n = vectors.len().checked_div(dim).unwrap_or(0);
        Self::train_rows(n, dim, &|r| &vectors[r * dim..(r + 1) * dim])
    }

    /// [`Int8Quantizer::train`] on `n` rows that `row` gives by number (rows need not be
    /// contiguous in memory).
    pub fn train_rows<'a>(
        n: usize,
        dim: usize,
        row: &dyn Fn(usize) -> &'a [f32],
    ) -> Result<Self, QuantizeError> {
        if n == 0 {
            return Err(QuantizeError::NoData);
        }
        let step = n.div_ceil(INT8_TRAIN_SAMPLE);
        let rows: Vec<usize> = (0..n).step_by(step).collect();
        let trim = ((rows.len() as f64) * INT8_TRIM).floor() as usize;
        let mut column = Vec::with_capacity(rows.len());
        let (mut offset, mut scale) = (Vec::with_capacity(dim), Vec::with_capacity(dim));
        for d in 0..dim {
            column.clear();
            column.extend(rows.iter().map(|&r| row(r)[d]));
            let (lo, hi) = trimmed_range(&column, trim);
            offset.push((lo + hi) / 2.0);
            scale.push(if hi > lo { (hi - lo) / 254.0 } else { 1.0 });
        }
        Ok(Int8Quantizer { offset, scale })
    }

    /// A quantiser from stored parameters (as [`Int8Quantizer::offset`] and
    /// [`Int8Quantizer::scale`] gave them).
    pub fn from_parts(offset: Vec<f32>, scale: Vec<f32>) -> Result<Self, QuantizeError> {
        if offset.len() != scale.len() {
            return Err(QuantizeError::Shape(format!(
                "{} offsets for {} scales",
                offset.len(),
                scale.len()
            )));
        }
        if let Some(i) = scale.iter().position(|s| !(s.is_finite() && *s > 0.0)) {
            return Err(QuantizeError::Shape(format!("scale {i} is not positive")));
        }
        if offset.iter().any(|o| !o.is_finite()) {
            return Err(QuantizeError::Shape("an offset is not finite".into()));
        }
        Ok(Int8Quantizer { offset, scale })
    }

    /// How many dimensions it quantises.
    pub fn dimensions(&self) -> usize {
        self.scale.len()
    }

    /// Per-dimension centres of the trained ranges.
    pub fn offset(&self) -> &[f32] {
        &self.offset
    }

    /// Per-dimension steps between codes.
    pub fn scale(&self) -> &[f32] {
        &self.scale
    }

    /// Appends the codes of `x` (one per dimension) to `out`; values beyond the trained
    /// range are clamped to its ends.
    pub fn encode(&self, x: &[f32], out: &mut Vec<i8>) {
        out.extend(
            x.iter()
                .zip(self.offset.iter().zip(&self.scale))
                .map(|(&v, (&o, &s))| ((v - o) / s).round().clamp(-127.0, 127.0) as i8),
        );
    }

    /// The vector the codes `c` stand for.
    pub fn decode(&self, c: &[i8]) -> Vec<f32> {
        c.iter()
            .zip(self.offset.iter().zip(&self.scale))
            .map(|(&c, (&o, &s))| o + s * c as f32)
            .collect()
    }

    /// The vector the codes `c` stand for, prepared as [`Int8Quantizer::query`] would
    /// prepare it, without materialising it.
    pub fn query_from_codes(&self, c: &[i8]) -> Int8Query {
        let limit = int8::max_query_weight(c.len()) as f32;
        let parts = || {
            c.iter()
                .zip(self.offset.iter().zip(&self.scale))
                .map(|(&c, (&o, &s))| (o + s * c as f32, o, s))
        };
        let (mut top, mut bias) = (0.0f32, 0.0f64);
        for (x, o, s) in parts() {
            top = top.max((x * s).abs());
            bias += x as f64 * o as f64;
        }
        let step = if top > 0.0 { top / limit } else { 1.0 };
        Int8Query {
            weights: parts()
                .map(|(x, _, s)| (x * s / step).round() as i16)
                .collect(),
            step,
            bias: bias as f32,
        }
    }

    /// `q` prepared for [`Int8Query::dot`] against any stored codes.
    pub fn query(&self, q: &[f32]) -> Int8Query {
        let limit = int8::max_query_weight(q.len()) as f32;
        let w: Vec<f32> = q.iter().zip(&self.scale).map(|(x, s)| x * s).collect();
        let top = w.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let step = if top > 0.0 { top / limit } else { 1.0 };
        let bias = q
            .iter()
            .zip(&self.offset)
            .map(|(&x, &o)| x as f64 * o as f64)
            .sum::<f64>() as f32;
        Int8Query {
            weights: w.iter().map(|x| (x / step).round() as i16).collect(),
            step,
            bias,
        }
    }
}

/// The range of `values` without its `trim` lowest and `trim` highest, to the resolution of a
/// 1,024-bin histogram (rounded outwards, so it never cuts more than asked).
fn trimmed_range(values: &[f32], trim: usize) -> (f32, f32) {
    let (min, max) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if trim == 0 || max <= min {
        return (min, max);
    }
    const BINS: usize = 1024;
    let width = (max - min) / BINS as f32;
    let mut hist = [0usize; BINS];
    for &v in values {
        hist[(((v - min) / width) as usize).min(BINS - 1)] += 1;
    }
    let (mut lo, mut below) = (0, 0);
    while below + hist[lo] <= trim {
        below += hist[lo];
        lo += 1;
    }
    let (mut hi, mut above) = (BINS - 1, 0);
    while above + hist[hi] <= trim {
        above += hist[hi];
        hi -= 1;
    }
    (min + width * lo as f32, min + width * (hi + 1) as f32)
}

/// A query against int8 codes: `bias + step · Σ weightᵢ·cᵢ` estimates `q·x̂`.
#[derive(Clone, Debug)]
pub struct Int8Query {
    weights: Vec<i16>,
    step: f32,
    bias: f32,
}

impl Int8Query {
    /// The factor between the integer sum and the inner product.
    pub fn step(&self) -> f32 {
        self.step
    }

    /// The per-query constant `Σ qᵢ·offsetᵢ`.
    pub fn bias(&self) -> f32 {
        self.bias
    }

    /// The inner product of the query with the vector whose codes are `c`, as decoded.
    #[inline]
    pub fn dot(&self, c: &[i8]) -> f32 {
        self.bias + self.step * int8::dot(&self.weights, c) as f32
    }

    /// [`Int8Query::dot`] for two vectors at once (the same numbers).
    #[inline]
    pub fn dot2(&self, a: &[i8], b: &[i8]) -> (f32, f32) {
        let (x, y) = int8::dot2(&self.weights, a, b);
        (
            self.bias + self.step * x as f32,
            self.bias + self.step * y as f32,
        )
    }
}
