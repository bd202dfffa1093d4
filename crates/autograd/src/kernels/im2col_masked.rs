//! im2col and col2im of a "same" window (`conv.rs`: unit strides, as many output columns as
//! input columns) by AVX-512 masked loads.
//!
//! A tap's row of the im2col matrix is one run of the input plane with zeros around it and at
//! the few entries that wrapped around from a neighbouring input row. Written as a copy and
//! two fills, a row of LeNet's 8×8 images (64 entries) cost three calls (`memcpy`, two
//! `memset`), most of im2col's time. Here each 16 (`f32`) or 8 (`f64`) entries of the row are
//! one masked load from the run, under the tap's bits of the entries that read inside the plane
//! ([`valid_bits`]; the others load as zero and are never read), and one store: the same values,
//! bit for bit, without a call. col2im ([`Masked::add_row`]) adds each row back into the plane under the
//! same bits, 16 or 8 entries an addition: the sums of `Window2d::col2im`, in its order.

use crate::element::{DType, Element};
use std::marker::PhantomData;
use std::ops::Range;

/// Bit `p` (of word `p / 64`) set when entry `p` of a tap's `l`-entry row reads the input:
/// inside `run`, and not one of the `wrapped` entries.
pub(crate) fn valid_bits(l: usize, run: Range<usize>, wrapped: &[usize]) -> Vec<u64> {
    let mut bits = vec![0u64; l.div_ceil(64)];
    for p in run {
        bits[p / 64] |= 1 << (p % 64);
    }
    for &p in wrapped {
        bits[p / 64] &= !(1 << (p % 64));
    }
    bits
}

/// This CPU runs the masked rows for `T` (AVX-512F, `f32` or `f64`): checked once per im2col
/// or col2im by [`Masked::new`], not per row.
#[derive(Clone, Copy)]
pub(crate) struct Masked<T>(PhantomData<T>);

impl<T: Element> Masked<T> {
    /// `Some` where the CPU has AVX-512F and `T` is `f32` or `f64`.
    pub(crate) fn new() -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        let here = std::arch::is_x86_feature_detected!("avx512f");
        #[cfg(not(target_arch = "x86_64"))]
        let here = false;
        (here && matches!(T::DTYPE, DType::F32 | DType::F64)).then_some(Masked(PhantomData))
    }

    /// Writes one row: `dst[p] = x[from + p − run.start]` where bit `p` of `valid` is set, zero
    /// (all bits clear) elsewhere; the set bits lie inside `run`.
    ///
    /// # Panics
    ///
    /// If the run reaches past `x`, or `valid` is shorter than `dst`'s bits.
    pub(crate) fn row(self, dst: &mut [T], x: &[T], from: usize, run: Range<usize>, valid: &[u64]) {
        assert!(from + run.len() <= x.len() && valid.len() * 64 >= dst.len());
        let src = x.as_ptr().wrapping_add(from).wrapping_sub(run.start);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: AVX-512F is available (`Masked::new`); the loads read `src + p` only where
        // bit `p` is set, inside `run`, which maps to `x[from .. from + run.len()]` (asserted in
        // bounds); the stores write the first `dst.len()` entries of `dst`.
        unsafe {
            match T::DTYPE {
                DType::F32 => row32(dst.as_mut_ptr().cast(), src.cast(), dst.len(), valid),
                _ => row64(dst.as_mut_ptr().cast(), src.cast(), dst.len(), valid),
            }
        }
    }

    /// The adjoint of [`Masked::row`]: `x[from + p − run.start] += src[p]` where bit `p` of
    /// `valid` is set.
    ///
    /// # Panics
    ///
    /// As [`Masked::row`].
    pub(crate) fn add_row(
        self,
        x: &mut [T],
        from: usize,
        run: Range<usize>,
        src: &[T],
        valid: &[u64],
    ) {
        assert!(from + run.len() <= x.len() && valid.len() * 64 >= src.len());
        let dst = x.as_mut_ptr().wrapping_add(from).wrapping_sub(run.start);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: AVX-512F is available (`Masked::new`); `dst + p` is read and written only
        // where bit `p` is set, inside `run`, which maps to `x[from .. from + run.len()]`
        // (asserted in bounds); `src` is read under the same bits, below `src.len()` (bits past
        // it are clear).
        unsafe {
            match T::DTYPE {
                DType::F32 => add_row32(dst.cast(), src.as_ptr().cast(), src.len(), valid),
                _ => add_row64(dst.cast(), src.as_ptr().cast(), src.len(), valid),
            }
        }
    }
}

/// [`Masked::row`] for 4-byte elements, 16 at a time.
///
/// # Safety
///
/// AVX-512F; `src + p` readable where bit `p` of `valid` is set; `dst .. dst + l` writable.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn row32(dst: *mut i32, src: *const i32, l: usize, valid: &[u64]) {
    use std::arch::x86_64::*;
    for i0 in (0..l).step_by(16) {
        let load = (valid[i0 / 64] >> (i0 % 64)) as u16;
        // SAFETY: only the lanes of `load` are read (set bits); the stores cover `dst`'s entries
        // (a plain store for a whole vector: masked stores are slower).
        unsafe {
            let v = _mm512_maskz_loadu_epi32(load, src.wrapping_add(i0));
            if l - i0 >= 16 {
                _mm512_storeu_epi32(dst.add(i0), v);
            } else {
                _mm512_mask_storeu_epi32(dst.add(i0), (1u16 << (l - i0)) - 1, v);
            }
        }
    }
}

/// [`Masked::row`] for 8-byte elements, 8 at a time.
///
/// # Safety
///
/// As [`row32`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn row64(dst: *mut i64, src: *const i64, l: usize, valid: &[u64]) {
    use std::arch::x86_64::*;
    for i0 in (0..l).step_by(8) {
        let load = (valid[i0 / 64] >> (i0 % 64)) as u8;
        // SAFETY: as in `row32`.
        unsafe {
            let v = _mm512_maskz_loadu_epi64(load, src.wrapping_add(i0));
            if l - i0 >= 8 {
                _mm512_storeu_epi64(dst.add(i0), v);
            } else {
                _mm512_mask_storeu_epi64(dst.add(i0), (1u8 << (l - i0)) - 1, v);
            }
        }
    }
}

/// [`Masked::add_row`] for `f32`, 16 at a time.
///
/// # Safety
///
/// AVX-512F; `dst + p` readable and writable and `src + p` readable where bit `p` of `valid`
/// is set.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn add_row32(dst: *mut f32, src: *const f32, l: usize, valid: &[u64]) {
    use std::arch::x86_64::*;
    for i0 in (0..l).step_by(16) {
        let m = (valid[i0 / 64] >> (i0 % 64)) as u16;
        // SAFETY: only the lanes of `m` are read and written.
        unsafe {
            let d = _mm512_maskz_loadu_ps(m, dst.wrapping_add(i0));
            let v = _mm512_maskz_loadu_ps(m, src.wrapping_add(i0));
            _mm512_mask_storeu_ps(dst.wrapping_add(i0), m, _mm512_add_ps(d, v));
        }
    }
}

/// [`Masked::add_row`] for `f64`, 8 at a time.
///
/// # Safety
///
/// As [`add_row32`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn add_row64(dst: *mut f64, src: *const f64, l: usize, valid: &[u64]) {
    use std::arch::x86_64::*;
    for i0 in (0..l).step_by(8) {
        let m = (valid[i0 / 64] >> (i0 % 64)) as u8;
        // SAFETY: as in `add_row32`.
        unsafe {
            let d = _mm512_maskz_loadu_pd(m, dst.wrapping_add(i0));
            let v = _mm512_maskz_loadu_pd(m, src.wrapping_add(i0));
            _mm512_mask_storeu_pd(dst.wrapping_add(i0), m, _mm512_add_pd(d, v));
        }
    }
}
