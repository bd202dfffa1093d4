//! `MaxPool2d(2)` (2×2 windows at stride 2, every one inside the input) for `f32` on AVX-512,
//! 16 windows at a time; each call takes whole planes, up to 512 outputs:
//! * where the planes are tiled by their windows with rows of 1, 2, 4 or 8 of them (`w = 2·ow`,
//!   `h = 2·oh`: `digits_cnn`'s 8×8 and 4×4 images), 16 windows are 64 consecutive inputs,
//!   loaded as four vectors, and each tap is picked out of them by two permutes, so a plane of
//!   4×4 outputs is one vector and smaller planes share one;
//! * otherwise a row of windows at a time, up to 16 of them: the 32 inputs of their upper row
//!   and the 32 of their lower row, loaded as two vectors each (under masks where the row has
//!   fewer), whose even and odd columns are the taps.
//!
//! Each lane applies the scalar loop's rule (`ops/pool.rs`: a tap wins if larger than the best
//! so far, or NaN) to its window's taps `a, b` (row `2·oy`) and `c, d` (row `2·oy + 1`) in
//! that order, with the same comparisons (`>` is `_CMP_GT_OQ`, NaN `_CMP_UNORD_Q`), so the same
//! values and indices bit for bit.

use crate::element::{DType, Element};
use std::mem::MaybeUninit;

/// The windows of `[h, w]` planes pooled to `[oh, ow]`, and how many planes a call takes: one,
/// or as many whole planes as fit [`GROUP`] outputs where a plane has fewer, so that each call
/// does enough vectors to cover its own cost.
pub(crate) struct Windows2x2 {
    size: [usize; 2],
    out: [usize; 2],
    /// Planes in a group.
    planes: usize,
    /// Where the windows tile the planes with rows of 1, 2, 4 or 8 of them: the index vector
    /// of tap `a` in the four vectors of 16 windows' inputs, and each window's tap `a` within
    /// its plane (PyTorch's index), for a group (`pool_dense_avx512`).
    dense: Option<([i32; 16], Vec<i32>)>,
}

/// Outputs a group of small planes holds at most (a plane with more is a group alone).
const GROUP: usize = 512;

impl Windows2x2 {
    /// The windows of `[h, w]` planes pooled to `out = [oh, ow]` (`2·oh ≤ h`, `2·ow ≤ w`), for
    /// `T = f32` on a CPU with AVX-512F; `None` elsewhere (the caller's scalar loop runs) or
    /// where a plane's indices would not fit an `i32`.
    pub(crate) fn new<T: Element>([h, w]: [usize; 2], [oh, ow]: [usize; 2]) -> Option<Self> {
        assert!(
            2 * oh <= h && 2 * ow <= w,
            "max_pool2d: {oh}x{ow} 2x2 windows do not fit a {h}x{w} plane"
        );
        #[cfg(target_arch = "x86_64")]
        {
            if T::DTYPE != DType::F32 || !std::arch::is_x86_feature_detected!("avx512f") {
                return None;
            }
            let per = oh * ow;
            if per == 0 || h * w >= i32::MAX as usize {
                return None;
            }
            let planes = (GROUP / per).max(1);
            // Lane `j` of tap `a` is `(j mod 8) div ow` row pairs and `2·(j mod ow)` columns
            // into the first 32 inputs (lanes below 8) or the last 32 (lanes from 8).
            let dense = (w == 2 * ow && h == 2 * oh && matches!(ow, 1 | 2 | 4 | 8)).then(|| {
                let lanes = std::array::from_fn(|j| ((j % 8) / ow * 2 * w + 2 * (j % ow)) as i32);
                let plane = (0..oh).flat_map(|oy| (0..ow).map(move |ox| 2 * oy * w + 2 * ox));
                (
                    lanes,
                    plane.cycle().take(planes * per).map(|a| a as i32).collect(),
                )
            });
            Some(Windows2x2 {
                size: [h, w],
                out: [oh, ow],
                planes,
                dense,
            })
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = ([h, w], [oh, ow]);
            None
        }
    }

    /// Planes a group holds: the chunk of planes each [`Windows2x2::pool`] call takes.
    pub(crate) fn planes(&self) -> usize {
        self.planes
    }

    /// The values and indices of the windows of the group of planes starting at `x[0]`, or
    /// of its first planes: `v` and `i` (as long as each other) hold whole planes' outputs,
    /// at most a group's, and `x` at least those planes' inputs.
    pub(crate) fn pool<T: Element>(
        &self,
        x: &[T],
        v: &mut [MaybeUninit<T>],
        i: &mut [MaybeUninit<i64>],
    ) {
        let ([h, w], [oh, ow]) = (self.size, self.out);
        let n = v.len();
        let planes = n / (oh * ow);
        assert!(
            T::DTYPE == DType::F32
                && i.len() == n
                && planes <= self.planes
                && n.is_multiple_of(oh * ow)
                && x.len() >= planes * h * w,
            "max_pool2d: {n} outputs of 2x2 windows are not whole planes of a group"
        );
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `new` checked AVX-512F; `x` holds the inputs of the `planes` planes whose
        // outputs `v` and `i` take. Where `dense`, the windows tile their `4·n` inputs.
        unsafe {
            let (x, v, i) = (
                x.as_ptr().cast(),
                v.as_mut_ptr().cast(),
                i.as_mut_ptr().cast(),
            );
            match &self.dense {
                Some((a, at)) => pool_dense_avx512(&at[..n], a, w, x, v, i),
                None => pool_rows_avx512(planes, self.size, self.out, x, v, i),
            }
        }
    }
}

/// Row `oy` of each plane's windows, up to 16 at a time from column `ox`: the 32 inputs from
/// column `2·ox` of rows `2·oy` and `2·oy + 1`, loaded as two vectors each under masks of the
/// `2·ow` columns the windows read; the even columns are taps `a` and `c`, the odd ones `b`
/// and `d`.
///
/// # Safety
/// The CPU has AVX-512F; `x` is readable for `planes·h·w` elements, `v` and `i` writable for
/// `planes·oh·ow`; `2·oh ≤ h`, `2·ow ≤ w`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pool_rows_avx512(
    planes: usize,
    [h, w]: [usize; 2],
    [oh, ow]: [usize; 2],
    x: *const f32,
    v: *mut f32,
    i: *mut i64,
) {
    use std::arch::x86_64::*;
    let even: [i32; 16] = std::array::from_fn(|j| 2 * j as i32);
    // SAFETY: a 64-byte read of a 16-element array.
    let even = unsafe { _mm512_loadu_si512(even.as_ptr().cast()) };
    let odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    let codes = [1, w, w + 1].map(|c| _mm512_set1_epi32(c as i32));
    for p in 0..planes {
        for oy in 0..oh {
            for ox in (0..ow).step_by(16) {
                let k = first(ow - ox);
                let columns = 2 * (ow - ox).min(16);
                let (first_half, second_half) = (first(columns), first(columns.saturating_sub(16)));
                let at = 2 * oy * w + 2 * ox;
                let out = (p * oh + oy) * ow + ox;
                // SAFETY (all below): the loads read, under their masks, columns `2·ox ..
                // 2·ox + columns` of rows `2·oy` and `2·oy + 1` of plane `p` (all inside it);
                // the stores write outputs `out .. out + popcount(k)` of the `planes·oh·ow`;
                // a pointer past the ends is only formed by wrapping.
                unsafe {
                    let row = x.add(p * h * w + at);
                    let halves = |row: *const f32| {
                        let low = _mm512_maskz_loadu_ps(first_half, row);
                        let high = _mm512_maskz_loadu_ps(second_half, row.wrapping_add(16));
                        (low, high)
                    };
                    let ((t0, t1), (b0, b1)) = (halves(row), halves(row.wrapping_add(w)));
                    let taps = [
                        _mm512_permutex2var_ps(t0, odd, t1),
                        _mm512_permutex2var_ps(b0, even, b1),
                        _mm512_permutex2var_ps(b0, odd, b1),
                    ];
                    let mut best = _mm512_permutex2var_ps(t0, even, t1);
                    let mut code = _mm512_setzero_si512();
                    for (t, c) in taps.into_iter().zip(codes) {
                        let take = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(t, best)
                            | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(t, t);
                        best = _mm512_mask_blend_ps(take, best, t);
                        code = _mm512_mask_mov_epi32(code, take, c);
                    }
                    _mm512_mask_storeu_ps(v.add(out), k, best);
                    let at = _mm512_add_epi32(_mm512_set1_epi32(at as i32), even);
                    store_indices(i.add(out), k, at, code);
                }
            }
        }
    }
}

/// The lanes of `n` (at most 16) elements.
#[cfg(target_arch = "x86_64")]
fn first(n: usize) -> u16 {
    if n >= 16 {
        u16::MAX
    } else {
        (1u16 << n) - 1
    }
}

/// Windows that tile their inputs, rows of `w / 2` ∈ {1, 2, 4, 8} windows: the 16 windows
/// from output `g` are inputs `4·g .. 4·g + 64`, read as four vectors. `lanes` (`Windows2x2`'s
/// `dense`) picks tap `a` of lanes 0–7 out of the first two vectors and of lanes 8–15 out of
/// the last two; `b`, `c` and `d` are 1, `w` and `w + 1` further. The values and indices are
/// stored for outputs `g .. min(g + 16, n)`.
///
/// # Safety
/// The CPU has AVX-512F; `x` is readable for `4·at.len()` elements, `v` and `i` writable for
/// `at.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pool_dense_avx512(
    at: &[i32],
    lanes: &[i32; 16],
    w: usize,
    x: *const f32,
    v: *mut f32,
    i: *mut i64,
) {
    use std::arch::x86_64::*;
    let n = at.len();
    // SAFETY: a 64-byte read of a 16-element array.
    let a = unsafe { _mm512_loadu_si512(lanes.as_ptr().cast()) };
    let taps = [1, w, w + 1].map(|step| {
        let code = _mm512_set1_epi32(step as i32);
        (_mm512_add_epi32(a, code), code)
    });
    for g in (0..n).step_by(16) {
        let k = first(n - g);
        let inputs = 4 * (n - g).min(16);
        // SAFETY (all below): the loads read, under their masks, inputs `4·g .. 4·g + inputs`
        // (`x` holds `4·n`); the stores write outputs `g .. g + popcount(k)`; masked-off
        // lanes touch no memory, and a pointer past the ends is only formed by wrapping.
        unsafe {
            let quarter = |r: usize| {
                let m = first(inputs.saturating_sub(16 * r));
                _mm512_maskz_loadu_ps(m, x.wrapping_add(4 * g + 16 * r))
            };
            let (x0, x1, x2, x3) = (quarter(0), quarter(1), quarter(2), quarter(3));
            let tap = |index| {
                let low = _mm512_permutex2var_ps(x0, index, x1);
                let high = _mm512_permutex2var_ps(x2, index, x3);
                _mm512_mask_blend_ps(0xFF00, low, high)
            };
            let mut best = tap(a);
            let mut code = _mm512_setzero_si512();
            for (index, c) in taps {
                let t = tap(index);
                let take = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(t, best)
                    | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(t, t);
                best = _mm512_mask_blend_ps(take, best, t);
                code = _mm512_mask_mov_epi32(code, take, c);
            }
            _mm512_mask_storeu_ps(v.add(g), k, best);
            store_indices(
                i.add(g),
                k,
                _mm512_maskz_loadu_epi32(k, at.as_ptr().add(g)),
                code,
            );
        }
    }
}

/// `at + code` (16 lanes of `i32`) widened to `i64` and stored at `i` under `k`.
///
/// # Safety
/// The CPU has AVX-512F; `i` is writable for the lanes of `k`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn store_indices(
    i: *mut i64,
    k: u16,
    at: std::arch::x86_64::__m512i,
    code: std::arch::x86_64::__m512i,
) {
    use std::arch::x86_64::*;
    let index = _mm512_add_epi32(at, code);
    let (low, high) = (
        _mm512_castsi512_si256(index),
        _mm512_extracti64x4_epi64::<1>(index),
    );
    // SAFETY: the lanes of `k` are writable (the caller's promise).
    unsafe {
        _mm512_mask_storeu_epi64(i, k as u8, _mm512_cvtepi32_epi64(low));
        if k >> 8 != 0 {
            _mm512_mask_storeu_epi64(i.add(8), (k >> 8) as u8, _mm512_cvtepi32_epi64(high));
        }
    }
}
