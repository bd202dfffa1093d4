//! AVX-512F micro-kernels: 8 x 32 for `f32`, 8 x 16 for `f64`.
//!
//! Each tile row is two zmm vectors wide, giving 16 accumulators (measured
//! on Zen 5 to be as fast as 14 x 32 / 12 x 32 tiles for large problems and
//! faster for the common `m = 128` batch, which it tiles without waste; a
//! 14-row tile on Sapphire Rapids was within 3 % of it either way, and a 12-row
//! one within that machine's spread at n = 256-1024, though 6-17 % faster in a
//! standalone copy of the kernel: docs/performance-history.md, "Intel: Sapphire Rapids, 49bbe2e").
//! Narrow outputs (at most one vector wide) use a 16 x 16 / 16 x 8 variant
//! instead of wasting most of the tile on zero padding (16 rows tile the common
//! `m` = 32, 128, 1024 without an edge, where the 14 rows it had before left one).
//!
//! Every kernel also has a "direct" form reading a row-major `A` in place,
//! used when an `A` panel would be used too few times to repay packing it, and "shifted"
//! forms reading each row of `B`, or of `A`, at its own offset into one buffer
//! (`shifted.rs`: a unit-stride convolution's input read in place; the wide
//! kernels only).

use super::kernel::Kernel;
use super::register_tile::{prefetch_tile, register_tile, A_AHEAD, C_AHEAD};
use std::arch::x86_64::*;

/// Rows of the main register tile (both element types).
const MR: usize = 8;
/// Rows of the narrow (one vector wide) register tile.
const MR_NARROW: usize = 16;

register_tile!(
    "avx512f",
    body_f32,
    kernel_f32,
    direct_f32,
    col_major_f32,
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
register_tile!(
    "avx512f",
    body_f32_narrow,
    kernel_f32_narrow,
    direct_f32_narrow,
    col_major_f32_narrow,
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
register_tile!(
    "avx512f",
    body_f64,
    kernel_f64,
    direct_f64,
    col_major_f64,
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
register_tile!(
    "avx512f",
    body_f64_narrow,
    kernel_f64_narrow,
    direct_f64_narrow,
    col_major_f64_narrow,
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
    col_major: Some(col_major_f32),
    shifted: Some(shifted_f32),
    shifted_a: Some(shifted_a_f32),
    dot: Some(super::avx512_dot::DOT_F32),
    transpose: Some(super::avx512_pack::TRANSPOSE_F32),
    copy_panels: Some(super::avx512_pack::COPY_PANELS_128_F32),
};

/// AVX-512 `f64` kernel.
pub(super) const KERNEL_F64: Kernel<f64> = Kernel {
    mr: MR,
    nr: 16,
    func: kernel_f64,
    direct: Some(direct_f64),
    col_major: Some(col_major_f64),
    shifted: Some(shifted_f64),
    shifted_a: Some(shifted_a_f64),
    dot: Some(super::avx512_dot::DOT_F64),
    transpose: Some(super::avx512_pack::TRANSPOSE_F64),
    copy_panels: Some(super::avx512_pack::COPY_PANELS_128_F64),
};

/// AVX-512 `f32` kernel for narrow outputs (`n <= 16`): 16 x 16.
pub(super) const KERNEL_F32_NARROW: Kernel<f32> = Kernel {
    mr: MR_NARROW,
    nr: 16,
    func: kernel_f32_narrow,
    direct: Some(direct_f32_narrow),
    col_major: Some(col_major_f32_narrow),
    shifted: None,
    shifted_a: None,
    copy_panels: Some(super::avx2::COPY_PANELS_64_F32),
    ..KERNEL_F32
};

/// AVX-512 `f64` kernel for narrow outputs (`n <= 8`): 16 x 8.
pub(super) const KERNEL_F64_NARROW: Kernel<f64> = Kernel {
    mr: MR_NARROW,
    nr: 8,
    func: kernel_f64_narrow,
    direct: Some(direct_f64_narrow),
    col_major: Some(col_major_f64_narrow),
    shifted: None,
    shifted_a: None,
    copy_panels: Some(super::avx2::COPY_PANELS_64_F64),
    ..KERNEL_F64
};
