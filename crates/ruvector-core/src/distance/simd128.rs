//! The WebAssembly SIMD128 kernel (`core::arch::wasm32`), compiled only with
//! `-C target-feature=+simd128`. Four `f32x4` accumulators hold the sixteen lanes of the
//! fixed order; the reduction and tail match [`super::scalar`] exactly.

use core::arch::wasm32::{
    f32x4_abs, f32x4_add, f32x4_extract_lane, f32x4_mul, f32x4_splat, f32x4_sub, v128, v128_load,
};

use super::{LaneOp, L1, L2};

/// An operation with a lane-wise SIMD128 form.
pub trait SimdOp: LaneOp {
    /// The contribution of four element pairs, lane-wise.
    fn lanes(a: v128, b: v128) -> v128;

    /// `Σ lane(aᵢ, bᵢ)` in the fixed order.
    #[inline(always)]
    fn simd(a: &[f32], b: &[f32]) -> f32 {
        sum::<Self>(a, b)
    }
}

impl SimdOp for super::Dot {
    #[inline(always)]
    fn lanes(a: v128, b: v128) -> v128 {
        f32x4_mul(a, b)
    }
}
impl SimdOp for L2 {
    #[inline(always)]
    fn lanes(a: v128, b: v128) -> v128 {
        let d = f32x4_sub(a, b);
        f32x4_mul(d, d)
    }
}
impl SimdOp for L1 {
    #[inline(always)]
    fn lanes(a: v128, b: v128) -> v128 {
        f32x4_abs(f32x4_sub(a, b))
    }
}

#[inline(always)]
fn sum<O: SimdOp + ?Sized>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let chunks = n / 16;
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut v = [f32x4_splat(0.0); 4];
    for c in 0..chunks {
        for (j, acc) in v.iter_mut().enumerate() {
            let o = c * 16 + j * 4;
            // SAFETY: o + 4 <= chunks * 16 <= n, so both 16-byte loads stay inside the
            // slices; v128_load has no alignment requirement.
            let (x, y) = unsafe {
                (
                    v128_load(pa.add(o) as *const v128),
                    v128_load(pb.add(o) as *const v128),
                )
            };
            *acc = f32x4_add(*acc, O::lanes(x, y));
        }
    }
    let s = f32x4_add(f32x4_add(v[0], v[1]), f32x4_add(v[2], v[3]));
    let mut total = (f32x4_extract_lane::<0>(s) + f32x4_extract_lane::<1>(s))
        + (f32x4_extract_lane::<2>(s) + f32x4_extract_lane::<3>(s));
    for i in chunks * 16..n {
        total += O::lane(a[i], b[i]);
    }
    total
}

/// `(Σ lane(qᵢ, aᵢ), Σ lane(qᵢ, bᵢ))`, each in the fixed order (so each equals [`sum`]),
/// with the two rows' loads interleaved: two vectors stream from memory at once.
#[inline(always)]
pub(crate) fn sum2<O: SimdOp + ?Sized>(q: &[f32], a: &[f32], b: &[f32]) -> (f32, f32) {
    let n = q.len().min(a.len()).min(b.len());
    let chunks = n / 16;
    let (pq, pa, pb) = (q.as_ptr(), a.as_ptr(), b.as_ptr());
    let mut va = [f32x4_splat(0.0); 4];
    let mut vb = [f32x4_splat(0.0); 4];
    for c in 0..chunks {
        for j in 0..4 {
            let o = c * 16 + j * 4;
            // SAFETY: o + 4 <= chunks * 16 <= n, within all three slices; unaligned loads.
            let (x, y, z) = unsafe {
                (
                    v128_load(pq.add(o) as *const v128),
                    v128_load(pa.add(o) as *const v128),
                    v128_load(pb.add(o) as *const v128),
                )
            };
            va[j] = f32x4_add(va[j], O::lanes(x, y));
            vb[j] = f32x4_add(vb[j], O::lanes(x, z));
        }
    }
    let reduce = |v: [v128; 4]| {
        let s = f32x4_add(f32x4_add(v[0], v[1]), f32x4_add(v[2], v[3]));
        (f32x4_extract_lane::<0>(s) + f32x4_extract_lane::<1>(s))
            + (f32x4_extract_lane::<2>(s) + f32x4_extract_lane::<3>(s))
    };
    let (mut ta, mut tb) = (reduce(va), reduce(vb));
    for i in chunks * 16..n {
        ta += O::lane(q[i], a[i]);
        tb += O::lane(q[i], b[i]);
    }
    (ta, tb)
}

/// SIMD128 `Σ aᵢ·bᵢ`.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    sum::<super::Dot>(a, b)
}

/// SIMD128 `Σ (aᵢ − bᵢ)²`.
pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
    sum::<L2>(a, b)
}

/// SIMD128 `Σ |aᵢ − bᵢ|`.
pub fn manhattan_sum(a: &[f32], b: &[f32]) -> f32 {
    sum::<L1>(a, b)
}
