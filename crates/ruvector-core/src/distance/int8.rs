//! Integer kernels for scalar-quantised vectors ([`crate::quantize`]): a query as `i16`
//! weights against stored `i8` codes, `Σ qᵢ·cᵢ` accumulated in `i32`. Integer sums are
//! exact, so the scalar and the SIMD128 kernel return the same number on every build.
//!
//! Range: the caller keeps `|qᵢ| ≤` [`max_query_weight`]`(len)` and `|cᵢ| ≤ 127`, so no
//! partial sum can overflow `i32`.

/// The largest `|qᵢ|` a query of `len` weights may use: every partial sum of
/// `len` products with `|cᵢ| ≤ 127` then fits in an `i32`, and it never exceeds `i16`.
pub fn max_query_weight(len: usize) -> i32 {
    let per = (i32::MAX as i64) / (127 * len.max(1) as i64);
    per.min(i16::MAX as i64) as i32
}

/// `Σ qᵢ·cᵢ` over the common length, exact.
#[inline]
pub fn dot(q: &[i16], c: &[i8]) -> i32 {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        simd128::dot(q, c)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        scalar_dot(q, c)
    }
}

/// `(dot(q, a), dot(q, b))` over the common length of all three: two vectors in one pass,
/// so a graph walk waits for both vectors' memory at once. Exact, like [`dot`].
#[inline]
pub fn dot2(q: &[i16], a: &[i8], b: &[i8]) -> (i32, i32) {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        simd128::dot2(q, a, b)
    }
    #[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        let n = q.len().min(a.len()).min(b.len());
        (scalar_dot(&q[..n], &a[..n]), scalar_dot(&q[..n], &b[..n]))
    }
}

/// The reference: one product at a time (LLVM vectorises it natively).
pub fn scalar_dot(q: &[i16], c: &[i8]) -> i32 {
    q.iter().zip(c).map(|(&a, &b)| a as i32 * b as i32).sum()
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use core::arch::wasm32::{
        i16x8_extend_high_i8x16, i16x8_extend_low_i8x16, i32x4_add, i32x4_dot_i16x8,
        i32x4_extract_lane, i32x4_splat, v128, v128_load,
    };

    /// Sixteen codes of `c` against weights `w0`, `w1` into four `i32` lanes.
    #[inline(always)]
    fn step(w0: v128, w1: v128, codes: v128) -> v128 {
        let lo = i32x4_dot_i16x8(w0, i16x8_extend_low_i8x16(codes));
        let hi = i32x4_dot_i16x8(w1, i16x8_extend_high_i8x16(codes));
        i32x4_add(lo, hi)
    }

    /// The four lanes of `acc` summed.
    #[inline(always)]
    fn lanes(acc: v128) -> i32 {
        i32x4_extract_lane::<0>(acc)
            + i32x4_extract_lane::<1>(acc)
            + i32x4_extract_lane::<2>(acc)
            + i32x4_extract_lane::<3>(acc)
    }

    /// [`dot`] for two code vectors, interleaved.
    #[inline(always)]
    pub fn dot2(q: &[i16], a: &[i8], b: &[i8]) -> (i32, i32) {
        let n = q.len().min(a.len()).min(b.len());
        let chunks = n / 16;
        let (pq, pa, pb) = (q.as_ptr(), a.as_ptr(), b.as_ptr());
        let (mut acc_a, mut acc_b) = (i32x4_splat(0), i32x4_splat(0));
        for k in 0..chunks {
            // SAFETY: 16·k + 16 <= n, so every 16-byte load lies inside its slice.
            let (ca, cb, w0, w1) = unsafe {
                (
                    v128_load(pa.add(k * 16) as *const v128),
                    v128_load(pb.add(k * 16) as *const v128),
                    v128_load(pq.add(k * 16) as *const v128),
                    v128_load(pq.add(k * 16 + 8) as *const v128),
                )
            };
            acc_a = i32x4_add(acc_a, step(w0, w1, ca));
            acc_b = i32x4_add(acc_b, step(w0, w1, cb));
        }
        let (mut ta, mut tb) = (lanes(acc_a), lanes(acc_b));
        for i in chunks * 16..n {
            ta += q[i] as i32 * a[i] as i32;
            tb += q[i] as i32 * b[i] as i32;
        }
        (ta, tb)
    }

    /// Sixteen codes per step: widened to two `i16x8`, multiplied pairwise with the query's
    /// weights and summed into four `i32` lanes (`i32x4.dot_i16x8_s`).
    #[inline(always)]
    pub fn dot(q: &[i16], c: &[i8]) -> i32 {
        let n = q.len().min(c.len());
        let chunks = n / 16;
        let (pq, pc) = (q.as_ptr(), c.as_ptr());
        let mut acc = i32x4_splat(0);
        for k in 0..chunks {
            // SAFETY: 16·k + 16 <= n, so the 16 codes and the 16 weights (two 16-byte loads)
            // lie inside both slices; v128_load has no alignment requirement.
            let (codes, w0, w1) = unsafe {
                (
                    v128_load(pc.add(k * 16) as *const v128),
                    v128_load(pq.add(k * 16) as *const v128),
                    v128_load(pq.add(k * 16 + 8) as *const v128),
                )
            };
            acc = i32x4_add(acc, step(w0, w1, codes));
        }
        let mut total = lanes(acc);
        for i in chunks * 16..n {
            total += q[i] as i32 * c[i] as i32;
        }
        total
    }
}
