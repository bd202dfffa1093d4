//! AVX-512 dot-product kernels for very narrow outputs (`n` below one vector).
//!
//! When `C` has only a few columns (e.g. a classifier layer, `n = 10`), the
//! register-tiled kernels waste most vector lanes on zero padding. Instead,
//! each `C` element is a dot product of a row of a row-major `A` and a row of
//! the packed `B^T`, vectorised along `k`. A group of `R` rows of `A` keeps
//! one accumulator per output of the group (`R x n`, all `n` columns at once,
//! so no `B^T` row is padded and each `A` row is read once); each `k` step
//! loads `R` vectors of `A` and `n` of `B^T` for `R * n` fused multiply-adds.
//! `R` depends on `n` only (8 rows for `n <= 2`, 4 up to 6, 2 up to 14,
//! else 1), keeping the accumulators, the `A` vectors and one `B^T` vector
//! within the 32 registers.
//!
//! At the end a row's `n` accumulators are summed in one pass of shuffles and
//! adds that leaves output `j`'s sum in lane `j` of a single vector
//! ([`lane_sums_f32`]), each accumulator's lanes added in the order of
//! `_mm512_reduce_add_ps` on it alone (the bits of one horizontal sum per
//! output, which outputs of up to four columns use), with about two shuffles per
//! output instead of four. Every output is its own
//! multiply-add chain over `k` followed by that fixed order, whatever the row
//! group or thread it falls in, so results stay deterministic.

use super::kernel::DotKernel;
use std::arch::x86_64::*;

/// Rows of `A` one group reduces at once for an `n`-column output.
const fn group_rows(n: usize) -> usize {
    match n {
        0..=2 => 8,
        3..=6 => 4,
        7..=14 => 2,
        _ => 1,
    }
}

/// Lane `j` of the result is the sum of the 16 lanes of `v[j]` (`N <= 16`), each summed in the
/// order of `_mm512_reduce_add_ps`: the two 256-bit halves added, then the two 128-bit halves
/// of that, then elements `0 + 2` and `1 + 3`, then those two. Done for sixteen vectors at
/// once: 128-bit block shuffles (`shuffle_f32x4`) pair the halves of two vectors and then of
/// four, `unpacklo/hi_pd` and `shuffle_ps` the elements; about two shuffles per sum instead of
/// the four of a reduction per vector. Not inlined: the accumulators go through memory once,
/// and the `k` loop keeps all of its registers (inlined, the compiler spilled accumulators
/// inside the loop: 40 % slower at `n = 10`).
#[target_feature(enable = "avx512f")]
#[inline(never)]
fn lane_sums_f32<const N: usize>(v: &[__m512; N]) -> __m512 {
    let z = _mm512_setzero_ps();
    let at = |j: usize| if j < N { v[j] } else { z };
    // q[x], 128-bit lane i: the four partial sums of v[4i + x] (256-bit halves, then 128-bit).
    let q: [__m512; 4] = std::array::from_fn(|x| {
        let halves = |a: __m512, b: __m512| {
            _mm512_add_ps(
                _mm512_shuffle_f32x4::<0x44>(a, b),
                _mm512_shuffle_f32x4::<0xEE>(a, b),
            )
        };
        let lo = halves(at(x), at(4 + x));
        let hi = halves(at(8 + x), at(12 + x));
        _mm512_add_ps(
            _mm512_shuffle_f32x4::<0x88>(lo, hi),
            _mm512_shuffle_f32x4::<0xDD>(lo, hi),
        )
    });
    // Elements 0 + 2 and 1 + 3 of two vectors' partial sums side by side (the f32 pairs moved
    // as one f64; the sums are f32).
    let pairs = |a: __m512, b: __m512| {
        let (a, b) = (_mm512_castps_pd(a), _mm512_castps_pd(b));
        _mm512_add_ps(
            _mm512_castpd_ps(_mm512_unpacklo_pd(a, b)),
            _mm512_castpd_ps(_mm512_unpackhi_pd(a, b)),
        )
    };
    let (ab, cd) = (pairs(q[0], q[1]), pairs(q[2], q[3]));
    _mm512_add_ps(
        _mm512_shuffle_ps::<0x88>(ab, cd),
        _mm512_shuffle_ps::<0xDD>(ab, cd),
    )
}

/// Lane `j` of the result is the sum of the 8 lanes of `v[j]` (`N <= 8`), each in the order of `_mm512_reduce_add_pd` (256-bit halves, 128-bit
/// halves, then the two elements), eight vectors at once as in [`lane_sums_f32`].
#[target_feature(enable = "avx512f")]
#[inline(never)]
fn lane_sums_f64<const N: usize>(v: &[__m512d; N]) -> __m512d {
    let z = _mm512_setzero_pd();
    let at = |j: usize| if j < N { v[j] } else { z };
    // q[x], 128-bit lane i: the two partial sums of v[2i + x].
    let q: [__m512d; 2] = std::array::from_fn(|x| {
        let halves = |a: __m512d, b: __m512d| {
            _mm512_add_pd(
                _mm512_shuffle_f64x2::<0x44>(a, b),
                _mm512_shuffle_f64x2::<0xEE>(a, b),
            )
        };
        let lo = halves(at(x), at(2 + x));
        let hi = halves(at(4 + x), at(6 + x));
        _mm512_add_pd(
            _mm512_shuffle_f64x2::<0x88>(lo, hi),
            _mm512_shuffle_f64x2::<0xDD>(lo, hi),
        )
    });
    _mm512_add_pd(
        _mm512_unpacklo_pd(q[0], q[1]),
        _mm512_unpackhi_pd(q[0], q[1]),
    )
}

/// Generates a dot-product kernel (see `kernel::DotKernel`): `$group` reduces `R` rows of `A`
/// against `N` rows of `B^T`; `$name` runs the groups over all rows, picking `R` and `N` from
/// the column count.
macro_rules! dot_kernel {
    ($name:ident, $group:ident, $t:ty, $v:ty, $lanes:expr, $mask:ty, $zero:ident, $load:ident,
     $maskz_load:ident, $fmadd:ident, $sums:ident, $store:ident, $reduce:ident, $($n:literal)+) => {
        /// One group: rows `0..rows` (`rows <= R`) of the output block, all `N` columns.
        ///
        /// # Safety
        ///
        /// As `kernel::DotKernel` for `rows <= R` and `cols == N`; requires AVX-512F.
        #[target_feature(enable = "avx512f")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $group<const R: usize, const N: usize>(
            k: usize,
            a: *const $t,
            lda: usize,
            rows: usize,
            bt: *const $t,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            const LANES: usize = $lanes;
            // Rows past `rows` repeat the last valid row (never stored).
            let arow: [*const $t; R] =
                std::array::from_fn(|r| a.wrapping_add(r.min(rows - 1) * lda));
            let brow: [*const $t; N] = std::array::from_fn(|j| bt.wrapping_add(j * k));
            let mut acc = [[$zero(); N]; R];
            let full = k - k % LANES;
            let mut p = 0;
            while p < full {
                // SAFETY: p + LANES <= k, inside every A row (< rows) and every B^T row
                // (caller contract).
                unsafe {
                    let av: [$v; R] = std::array::from_fn(|r| $load(arow[r].add(p)));
                    for (j, &b) in brow.iter().enumerate() {
                        let bv = $load(b.add(p));
                        for (row, &x) in acc.iter_mut().zip(&av) {
                            row[j] = $fmadd(x, bv, row[j]);
                        }
                    }
                }
                p += LANES;
            }
            if full < k {
                let mask = ((1u32 << (k - full)) - 1) as $mask;
                // SAFETY: the masked lanes cover p .. k; masked-off lanes are never accessed.
                unsafe {
                    let av: [$v; R] = std::array::from_fn(|r| $maskz_load(mask, arow[r].add(p)));
                    for (j, &b) in brow.iter().enumerate() {
                        let bv = $maskz_load(mask, b.add(p));
                        for (row, &x) in acc.iter_mut().zip(&av) {
                            row[j] = $fmadd(x, bv, row[j]);
                        }
                    }
                }
            }
            for (r, row) in acc.iter().enumerate().take(rows) {
                let mut sums = [<$t>::default(); LANES];
                if N <= 4 {
                    // A few outputs: one horizontal sum each (the same order).
                    for (s, &x) in sums.iter_mut().zip(row) {
                        *s = $reduce(x);
                    }
                } else {
                    // SAFETY: `sums` holds LANES elements.
                    unsafe { $store(sums.as_mut_ptr(), $sums(row)) };
                }
                for (j, &s) in sums.iter().enumerate().take(N) {
                    // SAFETY: (r, j) is inside the rows x cols output block.
                    unsafe {
                        let cp = c.add(r * ldc + j);
                        *cp = if overwrite { s } else { *cp + s };
                    }
                }
            }
        }

        /// Dot-product kernel (see `kernel::DotKernel`).
        ///
        /// # Safety
        ///
        /// See `kernel::DotKernel`; requires AVX-512F.
        #[target_feature(enable = "avx512f")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $name(
            k: usize,
            a: *const $t,
            lda: usize,
            rows: usize,
            bt: *const $t,
            c: *mut $t,
            ldc: usize,
            cols: usize,
            overwrite: bool,
        ) {
            match cols {
                $($n => {
                    const R: usize = group_rows($n);
                    for r0 in (0..rows).step_by(R) {
                        // SAFETY: rows r0 .. r0 + R (clipped to `rows`) of A and C, forwarded
                        // from the caller.
                        unsafe {
                            $group::<R, $n>(
                                k,
                                a.add(r0 * lda),
                                lda,
                                R.min(rows - r0),
                                bt,
                                c.add(r0 * ldc),
                                ldc,
                                overwrite,
                            )
                        };
                    }
                })+
                _ => unreachable!("dot kernel: {cols} columns"),
            }
        }
    };
}

dot_kernel!(
    dot_f32,
    group_f32,
    f32,
    __m512,
    16,
    __mmask16,
    _mm512_setzero_ps,
    _mm512_loadu_ps,
    _mm512_maskz_loadu_ps,
    _mm512_fmadd_ps,
    lane_sums_f32,
    _mm512_storeu_ps,
    _mm512_reduce_add_ps,
    1 2 3 4 5 6 7 8 9 10 11 12 13 14 15
);
dot_kernel!(
    dot_f64,
    group_f64,
    f64,
    __m512d,
    8,
    __mmask8,
    _mm512_setzero_pd,
    _mm512_loadu_pd,
    _mm512_maskz_loadu_pd,
    _mm512_fmadd_pd,
    lane_sums_f64,
    _mm512_storeu_pd,
    _mm512_reduce_add_pd,
    1 2 3 4 5 6 7
);

/// `f32` dot kernel, used for `n < 16`.
pub(super) const DOT_F32: DotKernel<f32> = DotKernel {
    max_n: 15,
    min_k: 16,
    func: dot_f32,
    pack_bt: super::avx512_pack::pack_bt_f32,
};

/// `f64` dot kernel, used for `n < 8`.
pub(super) const DOT_F64: DotKernel<f64> = DotKernel {
    max_n: 7,
    min_k: 8,
    func: dot_f64,
    pack_bt: super::avx512_pack::pack_bt_f64,
};
