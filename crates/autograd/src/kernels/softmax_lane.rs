//! The `f32` lanes of the softmax family (`ops/softmax.rs`) on AVX-512, with the portable
//! lane's bits. Per lane: the lane's maximum, then `x − max` or its `exp` written out and
//! `Σ exp(x − max)` returned, with position `i` kept in vector lane `i mod 16` and the 16
//! partials folded by the same tree (upper half onto lower: 8, 4, 2, 1), `exp` as
//! `math::exp_f32` step for step (each multiply–add a multiply then an add, unfused), and the
//! tail (length mod 16) under a mask. The portable lane, compiled for AVX-512, kept its
//! partials in memory (its tail indexed them one at a time), so each chunk's sums made a
//! round trip through the stack, and the tree read them back 8 bytes at a time from a 64-byte
//! store, which the store buffer cannot forward.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;
use std::mem::MaybeUninit;

/// Lanes of `d` elements (`x` holds `sums.len()` of them) on AVX-512 when the CPU has it: each
/// lane's sum in `sums`, and every element of `out` written (`x − max`, or its `exp` when
/// `keep_exp`); `false` (nothing written) on other CPUs. All the lanes' maxima are taken
/// first, then all their sums: each lane is one chain of dependent steps (maximum, fold,
/// `exp`, sum, fold), and a lane of 32 done whole before the next left the core waiting on
/// that chain, where the maxima of several lanes overlap.
#[inline]
pub(crate) fn shifted_lanes(
    x: &[f32],
    out: &mut [MaybeUninit<f32>],
    d: usize,
    keep_exp: bool,
    sums: &mut [f32],
) -> bool {
    assert!(
        x.len() == out.len() && x.len() == d * sums.len(),
        "softmax lanes: {} inputs, {} outputs for {} lanes of {d}",
        x.len(),
        out.len(),
        sums.len()
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F; the lanes fit `x` and `out` (asserted).
        unsafe { shifted_lanes_avx512(x, out, d, keep_exp, sums) };
        return true;
    }
    false
}

/// # Safety
/// The CPU must have AVX-512F, and `x` and `out` hold `sums.len()` lanes of `d`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn shifted_lanes_avx512(
    x: &[f32],
    out: &mut [MaybeUninit<f32>],
    d: usize,
    keep_exp: bool,
    sums: &mut [f32],
) {
    let (full, tail) = (d / 16, (1u32 << (d % 16)) as u16 - 1);
    // SAFETY (every load and store): lane `j` spans `j·d .. (j + 1)·d` of `x` and `out`; its
    // chunk `c < full` spans 16·c .. 16·c + 16 ≤ d of it, and the tail's mask only 16·full .. d.
    for (j, m) in sums.iter_mut().enumerate() {
        let xp = unsafe { x.as_ptr().add(j * d) };
        let mut top = _mm512_set1_ps(f32::NEG_INFINITY);
        for c in 0..full {
            // `if v > top { v } else { top }`: MAXPS returns its second operand unless the
            // first is greater (NaN included), as the portable comparison does.
            top = _mm512_max_ps(unsafe { _mm512_loadu_ps(xp.add(16 * c)) }, top);
        }
        if tail != 0 {
            let v = unsafe { _mm512_maskz_loadu_ps(tail, xp.add(16 * full)) };
            top = _mm512_mask_max_ps(top, tail, v, top);
        }
        let top = fold(top, |a, b| _mm_max_ps(b, a));
        *m = if top.is_finite() { top } else { 0.0 };
    }
    for (j, sum) in sums.iter_mut().enumerate() {
        let (xp, op) = unsafe {
            (
                x.as_ptr().add(j * d),
                out.as_mut_ptr().add(j * d).cast::<f32>(),
            )
        };
        let m = _mm512_set1_ps(*sum);
        let mut acc = _mm512_setzero_ps();
        for c in 0..full {
            let shifted = _mm512_sub_ps(unsafe { _mm512_loadu_ps(xp.add(16 * c)) }, m);
            let e = exp(shifted);
            acc = _mm512_add_ps(acc, e);
            unsafe { _mm512_storeu_ps(op.add(16 * c), if keep_exp { e } else { shifted }) };
        }
        if tail != 0 {
            let v = unsafe { _mm512_maskz_loadu_ps(tail, xp.add(16 * full)) };
            let shifted = _mm512_sub_ps(v, m);
            let e = exp(shifted);
            acc = _mm512_mask_add_ps(acc, tail, acc, e);
            let o = if keep_exp { e } else { shifted };
            unsafe { _mm512_mask_storeu_ps(op.add(16 * full), tail, o) };
        }
        *sum = fold(acc, |a, b| _mm_add_ps(a, b));
    }
}

/// `Σ a[i]·b[i]` (or `Σ a[i]` without `b`) over each lane of `d` elements (`a` and `b` hold
/// `sums.len()` of them) on AVX-512 when the CPU has it, into `sums`, in the lane order above
/// (the portable `lane_sum`'s bits, `d ≥ 16`); `false` (nothing written) on other CPUs. The
/// backward of softmax (`Σ g·y`) and of log-softmax (`Σ g`).
#[inline]
pub(crate) fn lane_sums(a: &[f32], b: Option<&[f32]>, d: usize, sums: &mut [f32]) -> bool {
    assert!(
        a.len() == d * sums.len() && b.is_none_or(|b| b.len() == a.len()),
        "softmax lane sums: {} and {:?} values for {} lanes of {d}",
        a.len(),
        b.map(<[f32]>::len),
        sums.len()
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F; the lanes fit `a` and `b` (asserted).
        unsafe { lane_sums_avx512(a, b, d, sums) };
        return true;
    }
    false
}

/// # Safety
/// The CPU must have AVX-512F, and `a` (and `b`) hold `sums.len()` lanes of `d`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn lane_sums_avx512(a: &[f32], b: Option<&[f32]>, d: usize, sums: &mut [f32]) {
    let (full, tail) = (d / 16, (1u32 << (d % 16)) as u16 - 1);
    // SAFETY (every load): as in `shifted_lanes_avx512`.
    let term = |at: usize, mask: u16| unsafe {
        let v = _mm512_maskz_loadu_ps(mask, a.as_ptr().add(at));
        match b {
            Some(b) => _mm512_mul_ps(v, _mm512_maskz_loadu_ps(mask, b.as_ptr().add(at))),
            None => v,
        }
    };
    for (j, sum) in sums.iter_mut().enumerate() {
        let mut acc = _mm512_setzero_ps();
        for c in 0..full {
            acc = _mm512_add_ps(acc, term(j * d + 16 * c, u16::MAX));
        }
        if tail != 0 {
            acc = _mm512_mask_add_ps(acc, tail, acc, term(j * d + 16 * full, tail));
        }
        *sum = fold(acc, |a, b| _mm_add_ps(a, b));
    }
}

/// The 16 lanes of `v` folded by `f(lower, upper)`: lanes `i` and `i + 8`, then `i + 4`,
/// `i + 2`, `i + 1` (the portable `tree`, `a[i] = f(a[i], a[i + w])`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn fold(v: __m512, f: impl Fn(__m128, __m128) -> __m128) -> f32 {
    let lo = _mm512_castps512_ps256(v);
    let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(v)));
    let (l0, l1) = (_mm256_castps256_ps128(lo), _mm256_extractf128_ps::<1>(lo));
    let (h0, h1) = (_mm256_castps256_ps128(hi), _mm256_extractf128_ps::<1>(hi));
    let (a, b) = (f(l0, h0), f(l1, h1)); // lanes 0..4 and 4..8 after the first step
    let a = f(a, b);
    let a = f(a, _mm_movehl_ps(a, a));
    _mm_cvtss_f32(f(a, _mm_movehdup_ps(a)))
}

/// `math::exp_f32` on 16 lanes, step for step (the same roundings, so the same bits).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
fn exp(a: __m512) -> __m512 {
    let s = _mm512_set1_ps;
    let madd = |x, y, z| _mm512_add_ps(_mm512_mul_ps(x, y), z);
    const ROUND: f32 = 12_582_912.0;
    // `a.clamp(-87.3, 88.72)`; a NaN lane is replaced at the end.
    let x = _mm512_min_ps(_mm512_max_ps(a, s(-87.3)), s(88.72));
    let shifted = madd(x, s(std::f32::consts::LOG2_E), s(ROUND));
    let k = _mm512_sub_ps(shifted, s(ROUND));
    let neg_k = _mm512_castsi512_ps(_mm512_xor_si512(
        _mm512_castps_si512(k),
        _mm512_set1_epi32(i32::MIN),
    ));
    let r = madd(neg_k, s(-2.121_944_4e-4), madd(neg_k, s(0.693_359_4), x));
    let p = madd(s(1.987_569_1e-4), r, s(1.398_199_9e-3));
    let p = madd(p, r, s(8.333_452e-3));
    let p = madd(p, r, s(4.166_579_6e-2));
    let p = madd(p, r, s(1.666_666_5e-1));
    let p = madd(p, r, s(5.000_000_1e-1));
    let er = _mm512_add_ps(madd(p, _mm512_mul_ps(r, r), r), s(1.0));
    let k = _mm512_sub_epi32(
        _mm512_castps_si512(shifted),
        _mm512_set1_epi32(ROUND.to_bits() as i32),
    );
    let k1 = _mm512_srai_epi32::<1>(k);
    let k2 = _mm512_sub_epi32(k, k1);
    let pow2 = |e| {
        _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(
            e,
            _mm512_set1_epi32(127),
        )))
    };
    let y = _mm512_mul_ps(_mm512_mul_ps(er, pow2(k1)), pow2(k2));
    let y = _mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_LT_OQ>(a, s(-87.3)), y, s(0.0));
    let y = _mm512_mask_blend_ps(
        _mm512_cmp_ps_mask::<_CMP_GT_OQ>(a, s(88.72)),
        y,
        s(f32::INFINITY),
    );
    _mm512_mask_blend_ps(_mm512_cmp_ps_mask::<_CMP_UNORD_Q>(a, a), y, a)
}
