//! AVX-512 in-register block transposes used by the packing routines, and the copy of a
//! row-major `B`'s 128-byte panel rows.
//!
//! Packing a row-major `A` or a transposed `B` is a transpose; doing it with
//! 16 x 16 (`f32`) / 8 x 8 (`f64`) register transposes instead of scalar
//! moves keeps the packing cost small next to the multiply. The dot-product
//! path's `B^T` from a row-major `B` (`pack_bt_f32`, `pack_bt_f64`) is one too,
//! each row of `B` read with a mask of its few columns.

use super::kernel::{CopyPanels, TransposeBlock};
use super::pack::panel_rows;
use std::arch::x86_64::*;

/// Loads up to 16 runs of 16 `f32` (`src + l*stride`, zero for
/// `l >= lanes`, and only the elements of `run` read in each) and returns the
/// transposed block: element `l` of result `p` is `src[l*stride + p]`.
///
/// # Safety
///
/// `src + l*stride + p` readable for `l < lanes` and the bits `p` set in `run`;
/// requires AVX-512F.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load_transposed_f32(
    src: *const f32,
    stride: usize,
    lanes: usize,
    run: __mmask16,
) -> [__m512; 16] {
    let mut r = [_mm512_setzero_ps(); 16];
    for (l, v) in r.iter_mut().enumerate() {
        // Constant indices keep `r` in registers; runs past `lanes` are
        // masked out (a fully masked load never touches memory).
        let mask: __mmask16 = if l < lanes { run } else { 0 };
        // SAFETY: run l < lanes is readable (caller contract); other runs
        // are not accessed (zero mask, wrapping pointer arithmetic).
        *v = unsafe { _mm512_maskz_loadu_ps(mask, src.wrapping_add(l * stride)) };
    }
    let mut t = [_mm512_setzero_ps(); 16];
    for i in 0..8 {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for i in 0..4 {
        r[4 * i] = _mm512_shuffle_ps::<0x44>(t[4 * i], t[4 * i + 2]);
        r[4 * i + 1] = _mm512_shuffle_ps::<0xEE>(t[4 * i], t[4 * i + 2]);
        r[4 * i + 2] = _mm512_shuffle_ps::<0x44>(t[4 * i + 1], t[4 * i + 3]);
        r[4 * i + 3] = _mm512_shuffle_ps::<0xEE>(t[4 * i + 1], t[4 * i + 3]);
    }
    for e in 0..4 {
        t[e] = _mm512_shuffle_f32x4::<0x88>(r[e], r[4 + e]);
        t[4 + e] = _mm512_shuffle_f32x4::<0xDD>(r[e], r[4 + e]);
        t[8 + e] = _mm512_shuffle_f32x4::<0x88>(r[8 + e], r[12 + e]);
        t[12 + e] = _mm512_shuffle_f32x4::<0xDD>(r[8 + e], r[12 + e]);
    }
    for e in 0..4 {
        r[e] = _mm512_shuffle_f32x4::<0x88>(t[e], t[8 + e]);
        r[8 + e] = _mm512_shuffle_f32x4::<0xDD>(t[e], t[8 + e]);
        r[4 + e] = _mm512_shuffle_f32x4::<0x88>(t[4 + e], t[12 + e]);
        r[12 + e] = _mm512_shuffle_f32x4::<0xDD>(t[4 + e], t[12 + e]);
    }
    r
}

/// Transposes a block of up to 16 runs of 16 `f32`:
/// `dst[p*ld + l] = src[l*stride + p]` for `p < 16`, `l < lanes`, and zero
/// for `lanes <= l < width` (`lanes <= width <= 16`).
///
/// # Safety
///
/// `src + l*stride .. + 16` readable for `l < lanes`; `dst + p*ld .. +
/// width` writable for `p < 16`; requires AVX-512F.
#[target_feature(enable = "avx512f")]
unsafe fn transpose_f32(
    src: *const f32,
    stride: usize,
    lanes: usize,
    dst: *mut f32,
    ld: usize,
    width: usize,
) {
    // SAFETY: forwarded from the caller.
    let r = unsafe { load_transposed_f32(src, stride, lanes, 0xFFFF) };
    let mask: __mmask16 = ((1u32 << width) - 1) as __mmask16;
    for (p, v) in r.iter().enumerate() {
        // SAFETY: dst row p has `width` writable elements (caller contract).
        unsafe { _mm512_mask_storeu_ps(dst.add(p * ld), mask, *v) };
    }
}

/// Like [`transpose_f32`] with `width = 16` split over two 8-wide panels:
/// lanes `0..8` go to `lo + p*8`, lanes `8..16` to `hi + p*8`.
///
/// # Safety
///
/// `src + l*stride .. + 16` readable for `l < lanes`; `lo + p*8 .. + 8` and
/// `hi + p*8 .. + 8` writable for `p < 16`; requires AVX-512F.
#[target_feature(enable = "avx512f")]
unsafe fn transpose_pair_f32(
    src: *const f32,
    stride: usize,
    lanes: usize,
    lo: *mut f32,
    hi: *mut f32,
) {
    // SAFETY: forwarded from the caller.
    let r = unsafe { load_transposed_f32(src, stride, lanes, 0xFFFF) };
    // Rows p and p + 1 of a panel are 16 contiguous elements: their halves are joined into
    // one vector and written by one full store (instead of two masked half stores each).
    for p in (0..16).step_by(2) {
        let low = _mm512_shuffle_f32x4::<0x44>(r[p], r[p + 1]);
        let high = _mm512_shuffle_f32x4::<0xEE>(r[p], r[p + 1]);
        // SAFETY: 16 writable elements at lo + p*8 and at hi + p*8 (rows p, p + 1).
        unsafe {
            _mm512_storeu_ps(lo.add(p * 8), low);
            _mm512_storeu_ps(hi.add(p * 8), high);
        }
    }
}

/// Transposes a block of up to 8 runs of 8 `f64` (as [`transpose_f32`] with
/// 8 instead of 16).
///
/// # Safety
///
/// As [`transpose_f32`] with 8 for 16.
#[target_feature(enable = "avx512f")]
unsafe fn transpose_f64(
    src: *const f64,
    stride: usize,
    lanes: usize,
    dst: *mut f64,
    ld: usize,
    width: usize,
) {
    // SAFETY: forwarded from the caller.
    let cols = unsafe { load_transposed_f64(src, stride, lanes, 0xFF) };
    let mask: __mmask8 = ((1u32 << width) - 1) as __mmask8;
    for (p, v) in cols.iter().enumerate() {
        // SAFETY: dst row p has `width` writable elements (caller contract).
        unsafe { _mm512_mask_storeu_pd(dst.add(p * ld), mask, *v) };
    }
}

/// [`load_transposed_f32`] for 8 runs of 8 `f64`.
///
/// # Safety
///
/// As [`load_transposed_f32`] with 8 for 16.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn load_transposed_f64(
    src: *const f64,
    stride: usize,
    lanes: usize,
    run: __mmask8,
) -> [__m512d; 8] {
    let mut r = [_mm512_setzero_pd(); 8];
    for (l, v) in r.iter_mut().enumerate() {
        let mask: __mmask8 = if l < lanes { run } else { 0 };
        // SAFETY: as in `load_transposed_f32`.
        *v = unsafe { _mm512_maskz_loadu_pd(mask, src.wrapping_add(l * stride)) };
    }
    let mut t = [_mm512_setzero_pd(); 8];
    for i in 0..4 {
        t[2 * i] = _mm512_unpacklo_pd(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_pd(r[2 * i], r[2 * i + 1]);
    }
    let u = [
        _mm512_shuffle_f64x2::<0x88>(t[0], t[2]),
        _mm512_shuffle_f64x2::<0x88>(t[1], t[3]),
        _mm512_shuffle_f64x2::<0x88>(t[4], t[6]),
        _mm512_shuffle_f64x2::<0x88>(t[5], t[7]),
        _mm512_shuffle_f64x2::<0xDD>(t[0], t[2]),
        _mm512_shuffle_f64x2::<0xDD>(t[1], t[3]),
        _mm512_shuffle_f64x2::<0xDD>(t[4], t[6]),
        _mm512_shuffle_f64x2::<0xDD>(t[5], t[7]),
    ];
    [
        _mm512_shuffle_f64x2::<0x88>(u[0], u[2]),
        _mm512_shuffle_f64x2::<0x88>(u[1], u[3]),
        _mm512_shuffle_f64x2::<0x88>(u[4], u[6]),
        _mm512_shuffle_f64x2::<0x88>(u[5], u[7]),
        _mm512_shuffle_f64x2::<0xDD>(u[0], u[2]),
        _mm512_shuffle_f64x2::<0xDD>(u[1], u[3]),
        _mm512_shuffle_f64x2::<0xDD>(u[4], u[6]),
        _mm512_shuffle_f64x2::<0xDD>(u[5], u[7]),
    ]
}

/// Packs `B^T` from a row-major `B` of `k` rows of `n < 16` `f32` (row stride `ldb`):
/// `bt[j*k + p] = b[p*ldb + j]`, sixteen rows of `B` at a time through
/// [`load_transposed_f32`], each row read with a mask of its `n` elements (the dot-product
/// path, `dot.rs`).
///
/// # Safety
///
/// `b + p*ldb .. + n` readable for `p < k`, `bt .. + n*k` writable; `1 <= n < 16`;
/// requires AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn pack_bt_f32(b: *const f32, ldb: usize, k: usize, n: usize, bt: *mut f32) {
    let run = ((1u32 << n) - 1) as __mmask16;
    for p in (0..k).step_by(16) {
        let lanes = 16.min(k - p);
        // SAFETY: rows p .. p + lanes of B, n elements each (caller contract).
        let cols = unsafe { load_transposed_f32(b.wrapping_add(p * ldb), ldb, lanes, run) };
        let mask = ((1u32 << lanes) - 1) as __mmask16;
        for (j, v) in cols.iter().enumerate().take(n) {
            // SAFETY: elements p .. p + lanes of row j < n of bt.
            unsafe { _mm512_mask_storeu_ps(bt.add(j * k + p), mask, *v) };
        }
    }
}

/// [`pack_bt_f32`] for `f64` (`n < 8`, eight rows of `B` at a time).
///
/// # Safety
///
/// As [`pack_bt_f32`] with `n < 8`.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn pack_bt_f64(b: *const f64, ldb: usize, k: usize, n: usize, bt: *mut f64) {
    let run = ((1u32 << n) - 1) as __mmask8;
    for p in (0..k).step_by(8) {
        let lanes = 8.min(k - p);
        // SAFETY: rows p .. p + lanes of B, n elements each (caller contract).
        let cols = unsafe { load_transposed_f64(b.wrapping_add(p * ldb), ldb, lanes, run) };
        let mask = ((1u32 << lanes) - 1) as __mmask8;
        for (j, v) in cols.iter().enumerate().take(n) {
            // SAFETY: elements p .. p + lanes of row j < n of bt.
            unsafe { _mm512_mask_storeu_pd(bt.add(j * k + p), mask, *v) };
        }
    }
}

/// The copy of [`CopyPanels`] for the AVX-512 kernels' 128-byte panel rows (`f32` x 32,
/// `f64` x 16): each row is two 64-byte moves, where `pack.rs`'s generic copy makes eight
/// 16-byte ones. Packing a row-major `B` fell from 2.1 to 1.5 % of a one-thread `f32` 1024³
/// profile on Zen 4.
///
/// # Safety
///
/// As [`super::kernel::CopyPanelsFn`]; requires AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn copy_panels_128<T>(
    src: *const T,
    row_stride: usize,
    kc: usize,
    panels: usize,
    dst: *mut T,
) {
    let nr = 128 / std::mem::size_of::<T>();
    panel_rows(src, row_stride, kc, panels, nr, dst, |s, d| {
        let (s, d) = (s as *const __m512i, d as *mut __m512i);
        // SAFETY: 128 bytes at both ends (caller contract).
        unsafe {
            let (lo, hi) = (_mm512_loadu_si512(s), _mm512_loadu_si512(s.add(1)));
            _mm512_storeu_si512(d, lo);
            _mm512_storeu_si512(d.add(1), hi);
        }
    });
}

/// [`copy_panels_128`] for `f32` (32 a row).
pub(super) const COPY_PANELS_128_F32: CopyPanels<f32> = CopyPanels {
    row_bytes: 128,
    func: copy_panels_128::<f32>,
};

/// [`copy_panels_128`] for `f64` (16 a row).
pub(super) const COPY_PANELS_128_F64: CopyPanels<f64> = CopyPanels {
    row_bytes: 128,
    func: copy_panels_128::<f64>,
};

/// 16 x 16 `f32` block transpose.
pub(super) const TRANSPOSE_F32: TransposeBlock<f32> = TransposeBlock {
    size: 16,
    func: transpose_f32,
    pair: Some(transpose_pair_f32),
};

/// 8 x 8 `f64` block transpose.
pub(super) const TRANSPOSE_F64: TransposeBlock<f64> = TransposeBlock {
    size: 8,
    func: transpose_f64,
    pair: None,
};
