//! The scalar reference kernel: one element at a time, in the fixed order of
//! [`crate::distance`]. Each lane's running sum is kept apart (lane-major loop), so the
//! compiler has nothing to vectorise; it is the yardstick the other kernels must match bit
//! for bit, and the baseline of the kernel benchmarks.

use super::{reduce_lanes, LaneOp};

/// `Σ O::lane(aᵢ, bᵢ)` in the fixed order, without SIMD.
pub fn sum<O: LaneOp>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let chunks = n / 16;
    let mut acc = [0.0f32; 16];
    for (l, lane) in acc.iter_mut().enumerate() {
        let mut s = 0.0f32;
        for c in 0..chunks {
            let i = c * 16 + l;
            s += O::lane(a[i], b[i]);
        }
        *lane = s;
    }
    let mut total = reduce_lanes(&acc);
    for i in chunks * 16..n {
        total += O::lane(a[i], b[i]);
    }
    total
}

/// Scalar `Σ aᵢ·bᵢ`.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    sum::<super::Dot>(a, b)
}

/// Scalar `Σ (aᵢ − bᵢ)²`.
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    sum::<super::L2>(a, b)
}

/// Scalar `Σ |aᵢ − bᵢ|`.
pub fn manhattan_sum(a: &[f32], b: &[f32]) -> f32 {
    sum::<super::L1>(a, b)
}
