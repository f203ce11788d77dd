//! The portable kernel: sixteen independent accumulators updated chunk by chunk, which LLVM
//! turns into four 4-wide vector operations on native targets (SSE2 and up). Same order
//! as the scalar reference, so the same bits.

use super::{reduce_lanes, LaneOp};

/// `Σ O::lane(aᵢ, bᵢ)` in the fixed order, written for the auto-vectoriser.
#[inline(always)]
pub fn sum<O: LaneOp>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f32; 16];
    let mut ca = a.chunks_exact(16);
    let mut cb = b.chunks_exact(16);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..16 {
            acc[l] += O::lane(x[l], y[l]);
        }
    }
    let mut total = reduce_lanes(&acc);
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        total += O::lane(*x, *y);
    }
    total
}

/// [`sum`] compiled with AVX enabled: LLVM keeps the sixteen lanes in two 8-wide
/// registers; same order, same bits.
///
/// # Safety
/// The CPU must support AVX ([`avx_available`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
pub unsafe fn sum_avx<O: LaneOp>(a: &[f32], b: &[f32]) -> f32 {
    sum::<O>(a, b)
}

/// True on x86-64 CPUs with AVX (detected once, then cached by std).
#[inline(always)]
pub fn avx_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Portable `Σ aᵢ·bᵢ` (without the AVX dispatch).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    sum::<super::Dot>(a, b)
}

/// Portable `Σ (aᵢ − bᵢ)²`.
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    sum::<super::L2>(a, b)
}

/// Portable `Σ |aᵢ − bᵢ|`.
pub fn manhattan_sum(a: &[f32], b: &[f32]) -> f32 {
    sum::<super::L1>(a, b)
}
