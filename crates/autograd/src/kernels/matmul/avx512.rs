//! AVX-512F micro-kernels: 8 x 32 for `f32`, 8 x 16 for `f64`.
//!
//! Each tile row is two zmm vectors wide, giving 16 accumulators (measured
//! on Zen 5 to be as fast as 14 x 32 / 12 x 32 tiles for large problems and
//! faster for the common `m = 128` batch, which it tiles without waste; a
//! 14-row tile on Sapphire Rapids was within 3 % of it either way).
//! Narrow outputs (at most one vector wide) use a 14 x 16 / 14 x 8 variant
//! instead of wasting most of the tile on zero padding.
//!
//! Every kernel also has a "direct" form reading a row-major `A` in place,
//! used when an `A` panel would be used too few times to repay packing it, and "shifted"
//! forms reading each row of `B`, or of `A`, at its own offset into one buffer
//! (`shifted.rs`: a unit-stride convolution's input read in place; the wide
//! kernels only).

use super::kernel::Kernel;
use std::arch::x86_64::*;

/// Rows of the main register tile (both element types).
const MR: usize = 8;
/// Rows of the narrow (one vector wide) register tile.
const MR_NARROW: usize = 14;
/// How many `k` steps ahead a packed-`A` kernel prefetches its panel (16 steps: 8 cache lines
/// of an 8-row `f32` panel, 16 of an `f64` one). On Sapphire Rapids (one program timing 15-60
/// products per size, with and without, alternated three times) `f64` ran 5-10 % faster on one
/// thread and 5-7 % on two at n = 128-2048 (n = 1024, 1 thread: 86.6-87.4 against
/// 92.9-93.2 GFLOP/s); `f32` within 1 %. A prefetch never faults, so running past the panel's
/// end is harmless (`wrapping_add`: the address is never dereferenced).
const A_AHEAD: usize = 16;

/// Generates a `MR x (NV * LANES)` micro-kernel for one element type, in a
/// packed-`A` form (`$name`, a `kernel::MicroKernel`), a direct-`A` form
/// (`$direct`, a `kernel::DirectKernel` reading row-major `A` in place) and,
/// when named, a shifted-`B` form (`$shifted`, a `kernel::ShiftedKernel`) and a
/// shifted-`A` form (`$shifted_a`, a `kernel::ShiftedAKernel`).
macro_rules! avx512_kernel {
    ($body:ident, $name:ident, $direct:ident, $t:ty,
     $mr:expr, $lanes:expr, $nv:expr,
     $zero:ident, $set1:ident, $load:ident, $store:ident, $fmadd:ident, $add:ident
     $(, shifted: $shifted:ident, $shifted_a:ident)?) => {
        /// Shared body: `A` element `(i, p)` is `a[p*MR + i]` (packed),
        /// `a[i*lda + p]` (`DIRECT`) or `a[offs[i] + p]` (`DIRECT` and
        /// `SHIFTED`); row `p` of `B` starts at `b[p*NR]` (packed) or
        /// `b[offs[p]]` (`SHIFTED` alone).
        ///
        /// # Safety
        ///
        /// See `kernel::MicroKernel` / `kernel::DirectKernel`; requires
        /// AVX-512F.
        #[target_feature(enable = "avx512f")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $body<const DIRECT: bool, const SHIFTED: bool>(
            kc: usize,
            a: *const $t,
            lda: usize,
            b: *const $t,
            offs: *const usize,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            const ROWS: usize = $mr;
            const NV: usize = $nv;
            const NR: usize = NV * $lanes;
            // A shifted-`B` call that does not overwrite continues each element's chain from
            // the value in `C` (the caller cut `k` into blocks), so a blocked product gives the
            // one-chain product's bits.
            let resume = SHIFTED && !DIRECT && !overwrite;
            let mut acc = [[$zero(); NV]; ROWS];
            if resume {
                for (i, row) in acc.iter_mut().enumerate() {
                    for (v, x) in row.iter_mut().enumerate() {
                        // SAFETY: the ROWS x NR tile at c (row stride ldc) is valid.
                        *x = unsafe { $load(c.add(i * ldc + v * $lanes)) };
                    }
                }
            }
            // SAFETY: with DIRECT and SHIFTED, offs holds ROWS offsets.
            let arow: [usize; ROWS] = std::array::from_fn(|i| {
                if DIRECT && SHIFTED {
                    unsafe { *offs.add(i) }
                } else {
                    i * lda
                }
            });
            // The C tile is fetched into L2 only (T1): it is needed after the k loop, and with C
            // in memory (n >= 1024) sixteen L1 prefetches at once held the load buffers the
            // A and B streams need. On Sapphire Rapids, alternated four to six times, best of
            // each: f32 n = 1024-2048 1-3 % faster than T0 on one thread.
            for i in 0..ROWS {
                // SAFETY: the tile rows are valid (caller contract); a
                // prefetch never faults anyway.
                unsafe {
                    let row = c.add(i * ldc);
                    _mm_prefetch::<_MM_HINT_T1>(row as *const i8);
                    _mm_prefetch::<_MM_HINT_T1>(row.add(NR - 1) as *const i8);
                }
            }
            for p in 0..kc {
                // SAFETY: b holds kc*NR elements (or NR from each of the kc
                // offsets); a holds kc*ROWS elements (packed) or ROWS rows of
                // kc elements with stride lda.
                unsafe {
                    let bp = if SHIFTED && !DIRECT {
                        b.add(*offs.add(p))
                    } else {
                        b.add(p * NR)
                    };
                    if !DIRECT {
                        // The packed A panel streams from L2: ask for it A_AHEAD steps early.
                        let ahead = a.wrapping_add((p + A_AHEAD) * ROWS);
                        _mm_prefetch::<_MM_HINT_T0>(ahead as *const i8);
                    }
                    let mut bv = [$zero(); NV];
                    for (v, x) in bv.iter_mut().enumerate() {
                        *x = $load(bp.add(v * $lanes));
                    }
                    for (i, row) in acc.iter_mut().enumerate() {
                        let ai = if DIRECT {
                            $set1(*a.add(arow[i] + p))
                        } else {
                            $set1(*a.add(p * ROWS + i))
                        };
                        for (x, &bx) in row.iter_mut().zip(&bv) {
                            *x = $fmadd(ai, bx, *x);
                        }
                    }
                }
            }
            for (i, row) in acc.iter().enumerate() {
                for (v, &x) in row.iter().enumerate() {
                    // SAFETY: the ROWS x NR tile at c (row stride ldc) is valid.
                    unsafe {
                        let cp = c.add(i * ldc + v * $lanes);
                        if overwrite || resume {
                            $store(cp, x);
                        } else {
                            $store(cp, $add($load(cp), x));
                        }
                    }
                }
            }
        }

        /// Packed-`A` micro-kernel (see `kernel::MicroKernel`).
        ///
        /// # Safety
        ///
        /// See `kernel::MicroKernel`; requires AVX-512F.
        #[target_feature(enable = "avx512f")]
        unsafe fn $name(
            kc: usize,
            a: *const $t,
            b: *const $t,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            // SAFETY: forwarded from the caller.
            unsafe { $body::<false, false>(kc, a, 0, b, std::ptr::null(), c, ldc, overwrite) }
        }

        /// Direct-`A` micro-kernel (see `kernel::DirectKernel`).
        ///
        /// # Safety
        ///
        /// See `kernel::DirectKernel`; requires AVX-512F.
        #[target_feature(enable = "avx512f")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $direct(
            kc: usize,
            a: *const $t,
            lda: usize,
            b: *const $t,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            // SAFETY: forwarded from the caller.
            unsafe { $body::<true, false>(kc, a, lda, b, std::ptr::null(), c, ldc, overwrite) }
        }

        $(
        /// Shifted-`B` micro-kernel (see `kernel::ShiftedKernel`).
        ///
        /// # Safety
        ///
        /// See `kernel::ShiftedKernel`; requires AVX-512F.
        #[target_feature(enable = "avx512f")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $shifted(
            kc: usize,
            a: *const $t,
            b: *const $t,
            offs: *const usize,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            // SAFETY: forwarded from the caller.
            unsafe { $body::<false, true>(kc, a, 0, b, offs, c, ldc, overwrite) }
        }

        /// Shifted-`A` micro-kernel (see `kernel::ShiftedAKernel`).
        ///
        /// # Safety
        ///
        /// See `kernel::ShiftedAKernel`; requires AVX-512F.
        #[target_feature(enable = "avx512f")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $shifted_a(
            kc: usize,
            a: *const $t,
            offs: *const usize,
            b: *const $t,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            // SAFETY: forwarded from the caller.
            unsafe { $body::<true, true>(kc, a, 0, b, offs, c, ldc, overwrite) }
        }
        )?
    };
}

avx512_kernel!(
    body_f32,
    kernel_f32,
    direct_f32,
    f32,
    MR,
    16,
    2,
    _mm512_setzero_ps,
    _mm512_set1_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps,
    shifted: shifted_f32,
    shifted_a_f32
);
avx512_kernel!(
    body_f32_narrow,
    kernel_f32_narrow,
    direct_f32_narrow,
    f32,
    MR_NARROW,
    16,
    1,
    _mm512_setzero_ps,
    _mm512_set1_ps,
    _mm512_loadu_ps,
    _mm512_storeu_ps,
    _mm512_fmadd_ps,
    _mm512_add_ps
);
avx512_kernel!(
    body_f64,
    kernel_f64,
    direct_f64,
    f64,
    MR,
    8,
    2,
    _mm512_setzero_pd,
    _mm512_set1_pd,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_fmadd_pd,
    _mm512_add_pd,
    shifted: shifted_f64,
    shifted_a_f64
);
avx512_kernel!(
    body_f64_narrow,
    kernel_f64_narrow,
    direct_f64_narrow,
    f64,
    MR_NARROW,
    8,
    1,
    _mm512_setzero_pd,
    _mm512_set1_pd,
    _mm512_loadu_pd,
    _mm512_storeu_pd,
    _mm512_fmadd_pd,
    _mm512_add_pd
);

/// AVX-512 `f32` kernel.
pub(super) const KERNEL_F32: Kernel<f32> = Kernel {
    mr: MR,
    nr: 32,
    func: kernel_f32,
    direct: Some(direct_f32),
    shifted: Some(shifted_f32),
    shifted_a: Some(shifted_a_f32),
    dot: Some(super::avx512_dot::DOT_F32),
    transpose: Some(super::avx512_pack::TRANSPOSE_F32),
};

/// AVX-512 `f64` kernel.
pub(super) const KERNEL_F64: Kernel<f64> = Kernel {
    mr: MR,
    nr: 16,
    func: kernel_f64,
    direct: Some(direct_f64),
    shifted: Some(shifted_f64),
    shifted_a: Some(shifted_a_f64),
    dot: Some(super::avx512_dot::DOT_F64),
    transpose: Some(super::avx512_pack::TRANSPOSE_F64),
};

/// AVX-512 `f32` kernel for narrow outputs (`n <= 16`): 14 x 16.
pub(super) const KERNEL_F32_NARROW: Kernel<f32> = Kernel {
    mr: MR_NARROW,
    nr: 16,
    func: kernel_f32_narrow,
    direct: Some(direct_f32_narrow),
    shifted: None,
    shifted_a: None,
    ..KERNEL_F32
};

/// AVX-512 `f64` kernel for narrow outputs (`n <= 8`): 14 x 8.
pub(super) const KERNEL_F64_NARROW: Kernel<f64> = Kernel {
    mr: MR_NARROW,
    nr: 8,
    func: kernel_f64_narrow,
    direct: Some(direct_f64_narrow),
    shifted: None,
    shifted_a: None,
    ..KERNEL_F64
};
