//! AVX2 + FMA micro-kernels: 6 x 16 for `f32`, 6 x 8 for `f64`.
//!
//! Each tile row is two ymm vectors wide, giving 12 accumulators plus two `B`
//! vectors and one broadcast `A` value (15 of the 16 ymm registers).

use super::kernel::Kernel;
use std::arch::x86_64::*;

/// Rows of the register tile (both element types).
const MR: usize = 6;

/// Generates a `MR x (2 * LANES)` micro-kernel for one element type.
macro_rules! avx2_kernel {
    ($name:ident, $t:ty, $lanes:expr, $zero:ident, $set1:ident, $load:ident, $store:ident,
     $fmadd:ident, $add:ident) => {
        /// `MR x 2*LANES` AVX2 micro-kernel (see `kernel::MicroKernel`).
        ///
        /// # Safety
        ///
        /// See `kernel::MicroKernel`; requires AVX2 and FMA.
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $name(
            kc: usize,
            a: *const $t,
            b: *const $t,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            const NR: usize = 2 * $lanes;
            let mut acc = [[$zero(); 2]; MR];
            for i in 0..MR {
                // SAFETY: the tile rows are valid (caller contract); a
                // prefetch never faults anyway.
                unsafe {
                    let row = c.add(i * ldc);
                    _mm_prefetch::<_MM_HINT_T0>(row as *const i8);
                    _mm_prefetch::<_MM_HINT_T0>(row.add(NR - 1) as *const i8);
                }
            }
            for p in 0..kc {
                // SAFETY: b holds kc*NR elements and a holds kc*MR.
                unsafe {
                    let bp = b.add(p * NR);
                    let b0 = $load(bp);
                    let b1 = $load(bp.add($lanes));
                    let ap = a.add(p * MR);
                    for (i, row) in acc.iter_mut().enumerate() {
                        let ai = $set1(*ap.add(i));
                        row[0] = $fmadd(ai, b0, row[0]);
                        row[1] = $fmadd(ai, b1, row[1]);
                    }
                }
            }
            for (i, row) in acc.iter().enumerate() {
                // SAFETY: the MR x NR tile at c (row stride ldc) is valid.
                unsafe {
                    let cr = c.add(i * ldc);
                    if overwrite {
                        $store(cr, row[0]);
                        $store(cr.add($lanes), row[1]);
                    } else {
                        $store(cr, $add($load(cr), row[0]));
                        $store(cr.add($lanes), $add($load(cr.add($lanes)), row[1]));
                    }
                }
            }
        }
    };
}

avx2_kernel!(
    kernel_f32,
    f32,
    8,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps
);
avx2_kernel!(
    kernel_f64,
    f64,
    4,
    _mm256_setzero_pd,
    _mm256_set1_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_fmadd_pd,
    _mm256_add_pd
);

/// AVX2 `f32` kernel.
pub(super) const KERNEL_F32: Kernel<f32> = Kernel {
    mr: MR,
    nr: 16,
    func: kernel_f32,
    transpose: None,
    direct: None,
    shifted: None,
    shifted_a: None,
    dot: None,
};

/// AVX2 `f64` kernel.
pub(super) const KERNEL_F64: Kernel<f64> = Kernel {
    mr: MR,
    nr: 8,
    func: kernel_f64,
    transpose: None,
    direct: None,
    shifted: None,
    shifted_a: None,
    dot: None,
};
