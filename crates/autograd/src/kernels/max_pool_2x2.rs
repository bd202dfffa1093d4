//! `MaxPool2d(2)` (2×2 windows at stride 2, every one inside the input) for `f32` on AVX-512,
//! 16 windows at a time, so a plane of 4×4 outputs is one vector and planes smaller than that
//! share one; each call takes whole planes, up to 512 outputs:
//! * where the planes are tiled by their windows with rows of 1, 2, 4 or 8 of them (`w = 2·ow`,
//!   `h = 2·oh`: `digits_cnn`'s 8×8 and 4×4 images), 16 windows are 64 consecutive inputs,
//!   loaded as four vectors, and each tap is picked out of them by two permutes;
//! * otherwise each tap is gathered through a table of the windows' first inputs (`vgatherdps`,
//!   about 150 cycles for the four taps of 16 windows on a Zen 4).
//!
//! Each lane applies the scalar loop's rule (`ops/pool.rs`: a tap wins if larger than the best
//! so far, or NaN) to its window's taps `a, b` (row `2·oy`) and `c, d` (row `2·oy + 1`) in
//! that order, with the same comparisons (`>` is `_CMP_GT_OQ`, NaN `_CMP_UNORD_Q`), so the same
//! values and indices bit for bit.

use crate::element::{DType, Element};
use std::mem::MaybeUninit;

/// The windows of a group of planes: where each output's window starts, relative to the
/// group's first input (`off`) and within its plane (`at`, PyTorch's index of tap `a`).
/// A group is one plane, or as many whole planes as fit [`GROUP`] outputs where a plane has
/// fewer: each call then does enough vectors to cover its own cost.
pub(crate) struct Windows2x2 {
    off: Vec<i32>,
    at: Vec<i32>,
    /// Planes in a group.
    planes: usize,
    /// Input row length.
    w: usize,
    /// Where the windows tile the planes with rows of 1, 2, 4 or 8 of them, the index vector
    /// of tap `a` in the four vectors of 16 windows' inputs (`pool_dense_avx512`).
    dense: Option<[i32; 16]>,
}

/// Outputs a group of small planes holds at most (a plane with more is a group alone).
const GROUP: usize = 512;

impl Windows2x2 {
    /// The table for `[h, w]` planes pooled to `out = [oh, ow]` (`2·oh ≤ h`, `2·ow ≤ w`), for
    /// `T = f32` on a CPU with AVX-512F; `None` elsewhere (the caller's scalar loop runs) or
    /// where a group's offsets would not fit an `i32`.
    pub(crate) fn new<T: Element>([h, w]: [usize; 2], [oh, ow]: [usize; 2]) -> Option<Self> {
        #[cfg(target_arch = "x86_64")]
        {
            if T::DTYPE != DType::F32 || !std::arch::is_x86_feature_detected!("avx512f") {
                return None;
            }
            let per = oh * ow;
            if per == 0 || (GROUP / per).max(1) * h * w >= i32::MAX as usize {
                return None;
            }
            let planes = (GROUP / per).max(1);
            // Lane `j` of tap `a` is `(j mod 8) div ow` row pairs and `2·(j mod ow)` columns
            // into the first 32 inputs (lanes below 8) or the last 32 (lanes from 8).
            let dense = (w == 2 * ow && h == 2 * oh && matches!(ow, 1 | 2 | 4 | 8))
                .then(|| std::array::from_fn(|j| ((j % 8) / ow * 2 * w + 2 * (j % ow)) as i32));
            let mut off = Vec::with_capacity(planes * per);
            let mut at = Vec::with_capacity(planes * per);
            for p in 0..planes {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let a = 2 * oy * w + 2 * ox;
                        off.push((p * h * w + a) as i32);
                        at.push(a as i32);
                    }
                }
            }
            Some(Windows2x2 {
                off,
                at,
                planes,
                w,
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
    /// at most a group's, and `x` at least those planes' inputs (`plane` elements each).
    pub(crate) fn pool<T: Element>(
        &self,
        x: &[T],
        plane: usize,
        v: &mut [MaybeUninit<T>],
        i: &mut [MaybeUninit<i64>],
    ) {
        let n = v.len();
        let per = self.off.len() / self.planes;
        assert!(
            T::DTYPE == DType::F32
                && i.len() == n
                && n <= self.off.len()
                && n.is_multiple_of(per)
                && x.len() >= n / per * plane,
            "max_pool2d: a 2x2 group of {n} outputs does not match its table"
        );
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `new` checked AVX-512F. Output `g < n` of the group lies in its plane
        // `g / per` (< n / per, whose inputs `x` holds), and its taps at `off[g]`, `+ 1`,
        // `+ w` and `+ w + 1` inside that plane (`2·oy + 1 < h`, `2·ox + 1 < w`); `v` and `i`
        // have `n` elements.
        // Where `dense`, the windows of the `n / per` planes tile their `4·n` inputs.
        unsafe {
            let (x, v, i) = (
                x.as_ptr().cast(),
                v.as_mut_ptr().cast(),
                i.as_mut_ptr().cast(),
            );
            match &self.dense {
                Some(a) => pool_dense_avx512(&self.at[..n], a, self.w, x, v, i),
                None => pool_avx512((&self.off[..n], &self.at[..n]), self.w, x, v, i),
            }
        }
    }
}

/// # Safety
/// The CPU has AVX-512F; for every `g < off.len()`, `x` is readable at `off[g]`, `off[g] + 1`,
/// `off[g] + w` and `off[g] + w + 1`; `v` and `i` are writable for `off.len()` elements, and
/// `at` as long as `off`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn pool_avx512(
    (off, at): (&[i32], &[i32]),
    w: usize,
    x: *const f32,
    v: *mut f32,
    i: *mut i64,
) {
    use std::arch::x86_64::*;
    let n = off.len();
    let taps = [
        (1, _mm512_set1_epi32(1)),
        (w, _mm512_set1_epi32(w as i32)),
        (w + 1, _mm512_set1_epi32(w as i32 + 1)),
    ];
    for g in (0..n).step_by(16) {
        let k = first(n - g);
        // SAFETY (all below): lanes under `k` are outputs `g..n`, whose taps `x` holds and
        // whose values and indices `v` and `i` take (the caller's promise); lanes outside
        // `k` are neither read nor written.
        unsafe {
            let o = _mm512_maskz_loadu_epi32(k, off.as_ptr().add(g));
            let zero = _mm512_setzero_ps();
            let mut best = _mm512_mask_i32gather_ps::<4>(zero, k, o, x);
            let mut tap = _mm512_setzero_si512();
            for (step, code) in taps {
                let t = _mm512_mask_i32gather_ps::<4>(zero, k, o, x.add(step));
                let take = _mm512_cmp_ps_mask::<_CMP_GT_OQ>(t, best)
                    | _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(t, t);
                best = _mm512_mask_blend_ps(take, best, t);
                tap = _mm512_mask_mov_epi32(tap, take, code);
            }
            _mm512_mask_storeu_ps(v.add(g), k, best);
            store_indices(
                i.add(g),
                k,
                _mm512_maskz_loadu_epi32(k, at.as_ptr().add(g)),
                tap,
            );
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
