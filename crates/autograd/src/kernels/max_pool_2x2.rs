//! `MaxPool2d(2)` (2×2 windows at stride 2, every one inside the input) for `f32` on AVX-512:
//! 16 windows at a time, each of the four taps gathered from a table of the windows' first
//! inputs, so a plane of 4×4 outputs is one vector and planes smaller than that share one.
//!
//! Each lane applies the scalar loop's rule (`ops/pool.rs`: a tap wins if larger than the best
//! so far, or NaN) to its window's taps `a, b` (row `2·oy`) and `c, d` (row `2·oy + 1`) in
//! that order, with the same comparisons (`>` is `_CMP_GT_OQ`, NaN `_CMP_UNORD_Q`), so the same
//! values and indices bit for bit.

use crate::element::{DType, Element};
use std::mem::MaybeUninit;

/// The windows of a group of planes: where each output's window starts, relative to the
/// group's first input (`off`) and within its plane (`at`, PyTorch's index of tap `a`).
/// A group is one plane, or as many whole planes as fit 16 outputs where a plane has fewer.
pub(crate) struct Windows2x2 {
    off: Vec<i32>,
    at: Vec<i32>,
    /// Planes in a group.
    planes: usize,
    /// Input row length.
    w: usize,
}

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
            let planes = (16 / per).max(1);
            if per == 0 || planes * h * w >= i32::MAX as usize {
                return None;
            }
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
            Some(Windows2x2 { off, at, planes, w })
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
        unsafe {
            pool_avx512(
                (&self.off[..n], &self.at[..n]),
                self.w,
                x.as_ptr().cast(),
                v.as_mut_ptr().cast(),
                i.as_mut_ptr().cast(),
            )
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
        let k: __mmask16 = if n - g >= 16 {
            u16::MAX
        } else {
            (1u16 << (n - g)) - 1
        };
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
            let index = _mm512_add_epi32(_mm512_maskz_loadu_epi32(k, at.as_ptr().add(g)), tap);
            let (low, high) = (
                _mm512_castsi512_si256(index),
                _mm512_extracti64x4_epi64::<1>(index),
            );
            _mm512_mask_storeu_epi64(i.add(g), k as u8, _mm512_cvtepi32_epi64(low));
            if k >> 8 != 0 {
                _mm512_mask_storeu_epi64(i.add(g + 8), (k >> 8) as u8, _mm512_cvtepi32_epi64(high));
            }
        }
    }
}
