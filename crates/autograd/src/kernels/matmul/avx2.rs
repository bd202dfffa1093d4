//! AVX2 + FMA micro-kernels: 6 x 16 for `f32`, 6 x 8 for `f64`, in the four forms of
//! `register_tile.rs` (packed `A`, direct `A`, shifted `B`, shifted `A`).
//!
//! Each tile row is two ymm vectors wide, giving 12 accumulators plus two `B`
//! vectors and one broadcast `A` value (15 of the 16 ymm registers). `copy_panels_64` packs a
//! row-major `B`'s 64-byte panel rows (these kernels' and the narrow AVX-512 ones').

use super::kernel::{CopyPanels, Kernel};
use super::pack::panel_rows;
use super::register_tile::{prefetch_tile, register_tile, A_AHEAD, C_AHEAD};
use std::arch::x86_64::*;

/// Rows of the register tile (both element types).
const MR: usize = 6;

register_tile!(
    "avx2,fma",
    body_f32,
    kernel_f32,
    direct_f32,
    col_major_f32,
    f32,
    MR,
    8,
    2,
    _mm256_setzero_ps,
    _mm256_set1_ps,
    _mm256_loadu_ps,
    _mm256_storeu_ps,
    _mm256_fmadd_ps,
    _mm256_add_ps,
    shifted: shifted_f32,
    shifted_a_f32
);
register_tile!(
    "avx2,fma",
    body_f64,
    kernel_f64,
    direct_f64,
    col_major_f64,
    f64,
    MR,
    4,
    2,
    _mm256_setzero_pd,
    _mm256_set1_pd,
    _mm256_loadu_pd,
    _mm256_storeu_pd,
    _mm256_fmadd_pd,
    _mm256_add_pd,
    shifted: shifted_f64,
    shifted_a_f64
);

/// AVX2 `f32` kernel.
pub(super) const KERNEL_F32: Kernel<f32> = Kernel {
    mr: MR,
    nr: 16,
    func: kernel_f32,
    transpose: None,
    copy_panels: Some(COPY_PANELS_64_F32),
    direct: Some(direct_f32),
    col_major: Some(col_major_f32),
    shifted: Some(shifted_f32),
    shifted_a: Some(shifted_a_f32),
    dot: None,
};

/// AVX2 `f64` kernel.
pub(super) const KERNEL_F64: Kernel<f64> = Kernel {
    mr: MR,
    nr: 8,
    func: kernel_f64,
    transpose: None,
    copy_panels: Some(COPY_PANELS_64_F64),
    direct: Some(direct_f64),
    col_major: Some(col_major_f64),
    shifted: Some(shifted_f64),
    shifted_a: Some(shifted_a_f64),
    dot: None,
};

/// The copy of [`CopyPanels`] for 64-byte panel rows (the AVX2 kernels' `f32` x 16 and
/// `f64` x 8, the narrow AVX-512 ones'): each row is two 32-byte moves.
///
/// # Safety
///
/// As [`super::kernel::CopyPanelsFn`]; requires AVX.
#[target_feature(enable = "avx")]
pub(super) unsafe fn copy_panels_64<T>(
    src: *const T,
    row_stride: usize,
    kc: usize,
    panels: usize,
    dst: *mut T,
) {
    let nr = 64 / std::mem::size_of::<T>();
    panel_rows(src, row_stride, kc, panels, nr, dst, |s, d| {
        let (s, d) = (s as *const __m256i, d as *mut __m256i);
        // SAFETY: 64 bytes at both ends (caller contract).
        unsafe {
            let (lo, hi) = (_mm256_loadu_si256(s), _mm256_loadu_si256(s.add(1)));
            _mm256_storeu_si256(d, lo);
            _mm256_storeu_si256(d.add(1), hi);
        }
    });
}

/// [`copy_panels_64`] for `f32` (16 a row).
pub(super) const COPY_PANELS_64_F32: CopyPanels<f32> = CopyPanels {
    row_bytes: 64,
    func: copy_panels_64::<f32>,
};

/// [`copy_panels_64`] for `f64` (8 a row).
pub(super) const COPY_PANELS_64_F64: CopyPanels<f64> = CopyPanels {
    row_bytes: 64,
    func: copy_panels_64::<f64>,
};
