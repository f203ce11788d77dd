//! Distance metrics and the kernels behind them.
//!
//! Every kernel sums in **one fixed order**: sixteen lanes (four `f32x4`), lane `l` of a
//! chunk adding `f(a[16c + l], b[16c + l])`; then the fixed lane reduction
//! `s = (v0 + v1) + (v2 + v3)` (lane-wise), `total = (s0 + s1) + (s2 + s3)`; then the tail in
//! index order. Rust never fuses a multiply and an add, so the scalar reference
//! ([`scalar`]), the portable kernel LLVM vectorises natively ([`portable`]) and the
//! `core::arch::wasm32` SIMD128 kernel (`simd128`, compiled with `+simd128`) give
//! bit-identical results on every build. On x86-64 the portable kernel is also compiled
//! with AVX and chosen at run time: the sixteen lanes become two 8-wide registers, the
//! order (and so the bits) stay the same. [`dot`], [`l2_squared`] and [`manhattan_sum`] are
//! the single dispatch point the engine uses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub mod int8;
pub mod portable;
pub mod scalar;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub mod simd128;

/// How two vectors are compared. The names are the same everywhere (Rust, JSON, JavaScript).
///
/// | metric | `distance` (lower is closer) | `score` (higher is closer) |
/// |---|---|---|
/// | `cosine` | `1 − cos(a, b)` | `cos(a, b)` |
/// | `euclidean` | `‖a − b‖` | `−‖a − b‖` |
/// | `dotproduct` | `−a·b` | `a·b` |
/// | `manhattan` | `Σ|aᵢ − bᵢ|` | `−Σ|aᵢ − bᵢ|` |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Angle between the vectors. Vectors are stored normalised with their norm beside them.
    #[default]
    Cosine,
    /// Straight-line (L2) distance.
    Euclidean,
    /// Inner product; larger products rank first.
    #[serde(rename = "dotproduct")]
    DotProduct,
    /// Sum of absolute differences (L1).
    Manhattan,
}

impl Metric {
    /// All metrics, in documentation order.
    pub const ALL: [Metric; 4] = [
        Metric::Cosine,
        Metric::Euclidean,
        Metric::DotProduct,
        Metric::Manhattan,
    ];

    /// The metric's name as used in JSON and JavaScript.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Cosine => "cosine",
            Metric::Euclidean => "euclidean",
            Metric::DotProduct => "dotproduct",
            Metric::Manhattan => "manhattan",
        }
    }

    /// The distance between `a` and `b` (lower is closer). For `cosine`, both must already
    /// be unit vectors: the engine normalises stored vectors once and each query once.
    /// A result of `-0.0` is returned as `+0.0`, so ties compare equal.
    #[inline]
    pub fn distance(self, a: &[f32], b: &[f32]) -> f32 {
        let d = match self {
            Metric::Cosine => 1.0 - dot(a, b),
            Metric::Euclidean => l2_squared(a, b).sqrt(),
            Metric::DotProduct => -dot(a, b),
            Metric::Manhattan => manhattan_sum(a, b),
        };
        d + 0.0
    }

    /// The distances from `q` to `a` and to `b`, bit for bit those of two
    /// [`Metric::distance`] calls. The SIMD128 build streams both rows at once.
    #[inline]
    pub fn distance2(self, q: &[f32], a: &[f32], b: &[f32]) -> (f32, f32) {
        #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
        {
            use simd128::sum2;
            let (x, y) = match self {
                Metric::Cosine => {
                    let (x, y) = sum2::<Dot>(q, a, b);
                    (1.0 - x, 1.0 - y)
                }
                Metric::Euclidean => {
                    let (x, y) = sum2::<L2>(q, a, b);
                    (x.sqrt(), y.sqrt())
                }
                Metric::DotProduct => {
                    let (x, y) = sum2::<Dot>(q, a, b);
                    (-x, -y)
                }
                Metric::Manhattan => sum2::<L1>(q, a, b),
            };
            (x + 0.0, y + 0.0)
        }
        #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
        {
            (self.distance(q, a), self.distance(q, b))
        }
    }

    /// Converts a distance from [`Metric::distance`] into the score (higher is closer).
    #[inline]
    pub fn score(self, distance: f32) -> f32 {
        match self {
            Metric::Cosine => 1.0 - distance,
            Metric::Euclidean | Metric::DotProduct | Metric::Manhattan => -distance,
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A metric name that is not one of `cosine | euclidean | dotproduct | manhattan`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metric {0:?}: use one of cosine, euclidean, dotproduct, manhattan")]
pub struct UnknownMetric(pub String);

impl FromStr for Metric {
    type Err = UnknownMetric;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| UnknownMetric(s.to_owned()))
    }
}

/// The per-element operation of a kernel; the kernels differ only in this.
pub trait LaneOp {
    /// The contribution of one pair of elements to the sum.
    fn lane(a: f32, b: f32) -> f32;
}

/// `a·b` terms.
pub struct Dot;
/// `(a − b)²` terms.
pub struct L2;
/// `|a − b|` terms.
pub struct L1;

impl LaneOp for Dot {
    #[inline(always)]
    fn lane(a: f32, b: f32) -> f32 {
        a * b
    }
}
impl LaneOp for L2 {
    #[inline(always)]
    fn lane(a: f32, b: f32) -> f32 {
        let d = a - b;
        d * d
    }
}
impl LaneOp for L1 {
    #[inline(always)]
    fn lane(a: f32, b: f32) -> f32 {
        (a - b).abs()
    }
}

/// The fixed lane reduction shared by every kernel: `(v0 + v1) + (v2 + v3)` lane-wise over
/// the four 4-lane accumulators, then `(s0 + s1) + (s2 + s3)`.
#[inline(always)]
pub fn reduce_lanes(acc: &[f32; 16]) -> f32 {
    let mut s = [0.0f32; 4];
    for (l, out) in s.iter_mut().enumerate() {
        *out = (acc[l] + acc[4 + l]) + (acc[8 + l] + acc[12 + l]);
    }
    (s[0] + s[1]) + (s[2] + s[3])
}

/// `Σ aᵢ·bᵢ` with the build's fastest kernel. Slices must have equal length.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    dispatch::<Dot>(a, b)
}

/// `Σ (aᵢ − bᵢ)²` with the build's fastest kernel. Slices must have equal length.
#[inline]
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    dispatch::<L2>(a, b)
}

/// `Σ |aᵢ − bᵢ|` with the build's fastest kernel. Slices must have equal length.
#[inline]
pub fn manhattan_sum(a: &[f32], b: &[f32]) -> f32 {
    dispatch::<L1>(a, b)
}

#[inline(always)]
fn dispatch<O: LaneOp + KernelOp>(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len());
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        O::simd(a, b)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        #[cfg(target_arch = "x86_64")]
        if portable::avx_available() {
            // SAFETY: the CPU supports AVX (checked at run time just above).
            return unsafe { portable::sum_avx::<O>(a, b) };
        }
        portable::sum::<O>(a, b)
    }
}

/// Connects an operation to its SIMD128 kernel (a no-op bound on other builds).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub trait KernelOp: simd128::SimdOp {}
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl<T: simd128::SimdOp> KernelOp for T {}
/// Connects an operation to its SIMD128 kernel (a no-op bound on other builds).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
pub trait KernelOp {}
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
impl<T> KernelOp for T {}

/// True when this build's kernels are the `core::arch::wasm32` SIMD128 ones.
pub const fn simd128_compiled() -> bool {
    cfg!(all(target_arch = "wasm32", target_feature = "simd128"))
}

/// The name of the kernel [`dot`] and its siblings run here: `"simd128"`,
/// `"portable-wasm32"` (the scalar web build), `"portable-avx"` (x86-64 with AVX, chosen
/// at run time) or `"portable-native"`.
pub fn kernel_name() -> &'static str {
    if simd128_compiled() {
        "simd128"
    } else if cfg!(target_arch = "wasm32") {
        "portable-wasm32"
    } else if portable::avx_available() {
        "portable-avx"
    } else {
        "portable-native"
    }
}

/// Scales `v` to unit length in place and returns its original norm (computed with
/// [`dot`], so every build agrees). Returns `0.0` and leaves `v` alone for a zero vector.
pub fn normalize(v: &mut [f32]) -> f32 {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        for x in v.iter_mut() {
            *x /= norm;
        }
    }
    norm
}
