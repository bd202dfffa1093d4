//! AVX-512 dot-product kernels for very narrow outputs (`n` below one vector).
//!
//! When `C` has only a few columns (e.g. a classifier layer, `n = 10`), the
//! register-tiled kernels waste most vector lanes on zero padding. Instead,
//! each `C` element is computed as a dot product of a row of a row-major `A`
//! and a row of the packed `B^T`, vectorised along `k`: a 4 x 4 block of
//! outputs keeps 16 accumulators, and each is reduced horizontally at the end
//! in a fixed order, so results stay deterministic.

use super::kernel::DotKernel;
use std::arch::x86_64::*;

/// Generates a 4 x 4 dot-product kernel (see `kernel::DotKernel`).
macro_rules! dot_kernel {
    ($name:ident, $t:ty, $lanes:expr, $mask:ty, $zero:ident, $load:ident, $maskz_load:ident,
     $fmadd:ident, $reduce:ident) => {
        /// 4 x 4 AVX-512 dot-product kernel (see `kernel::DotKernel`).
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
            const LANES: usize = $lanes;
            // Rows past `rows` repeat the last valid row (never stored).
            let arow: [*const $t; 4] =
                std::array::from_fn(|r| a.wrapping_add(r.min(rows - 1) * lda));
            let brow: [*const $t; 4] = std::array::from_fn(|j| bt.wrapping_add(j * k));
            let mut acc = [[$zero(); 4]; 4];
            let full = k - k % LANES;
            let tail = k - full;
            let mut p = 0;
            while p < full {
                // SAFETY: p + LANES <= k, inside every A row (< rows) and
                // every B^T row (caller contract).
                unsafe {
                    let bv: [_; 4] = std::array::from_fn(|j| $load(brow[j].add(p)));
                    for (row, &ar) in acc.iter_mut().zip(&arow) {
                        let av = $load(ar.add(p));
                        for (x, &b) in row.iter_mut().zip(&bv) {
                            *x = $fmadd(av, b, *x);
                        }
                    }
                }
                p += LANES;
            }
            if tail > 0 {
                let mask = ((1u32 << tail) - 1) as $mask;
                // SAFETY: the masked lanes cover p .. k; masked-off lanes are
                // never accessed.
                unsafe {
                    let bv: [_; 4] = std::array::from_fn(|j| $maskz_load(mask, brow[j].add(p)));
                    for (row, &ar) in acc.iter_mut().zip(&arow) {
                        let av = $maskz_load(mask, ar.add(p));
                        for (x, &b) in row.iter_mut().zip(&bv) {
                            *x = $fmadd(av, b, *x);
                        }
                    }
                }
            }
            let sums: [[$t; 4]; 4] =
                std::array::from_fn(|r| std::array::from_fn(|j| $reduce(acc[r][j])));
            for (r, row) in sums.iter().enumerate().take(rows) {
                for (j, &s) in row.iter().enumerate().take(cols) {
                    // SAFETY: (r, j) is inside the rows x cols output block.
                    unsafe {
                        let cp = c.add(r * ldc + j);
                        *cp = if overwrite { s } else { *cp + s };
                    }
                }
            }
        }
    };
}

dot_kernel!(
    dot_f32,
    f32,
    16,
    __mmask16,
    _mm512_setzero_ps,
    _mm512_loadu_ps,
    _mm512_maskz_loadu_ps,
    _mm512_fmadd_ps,
    _mm512_reduce_add_ps
);
dot_kernel!(
    dot_f64,
    f64,
    8,
    __mmask8,
    _mm512_setzero_pd,
    _mm512_loadu_pd,
    _mm512_maskz_loadu_pd,
    _mm512_fmadd_pd,
    _mm512_reduce_add_pd
);

/// `f32` dot kernel, used for `n < 16`.
pub(super) const DOT_F32: DotKernel<f32> = DotKernel {
    max_n: 15,
    min_k: 16,
    func: dot_f32,
};

/// `f64` dot kernel, used for `n < 8`.
pub(super) const DOT_F64: DotKernel<f64> = DotKernel {
    max_n: 7,
    min_k: 8,
    func: dot_f64,
};
