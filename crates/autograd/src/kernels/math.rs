//! Elementwise loops compiled for the widest vector unit of the CPU, and elementary
//! functions written so that such loops vectorise.
//!
//! * [`map`] and [`zip_map`] run `out[i] = f(src[i])` (or `f(a[i], b[i])`) in a copy of the
//!   loop compiled with AVX-512 or AVX2 (with FMA) enabled, chosen at run time, so a closure
//!   of plain arithmetic runs 8 or 16 lanes at a time. The compiler never fuses a multiply and
//!   an add (Rust has no fast-math), so every copy gives the same bits; an explicit
//!   `mul_add` is one instruction in these copies and libm's `fmaf` elsewhere, the same value.
//! * [`exp_f32`] has no calls and no branches the compiler cannot turn into selects: libm's
//!   `expf` is a call per element (so a loop around it stays scalar), and below about -87 it
//!   takes a slow underflow path.

use std::mem::MaybeUninit;

/// The sum of `values` in order, starting from +0.0 as PyTorch's accumulator does: the sum of
/// no values is +0.0 (`torch.zeros(0, 3).sum()`), where `Iterator::sum` of floats starts from
/// -0.0 (the additive identity that keeps `-0.0 + -0.0` negative) and gives -0.0.
pub(crate) fn add_all<T: crate::element::Element>(values: impl Iterator<Item = T>) -> T {
    values.fold(T::zero(), |acc, v| acc + v)
}

/// The sum of `values` from +0.0 in sixteen interleaved partial sums (lane `j` adds entries
/// `j`, `j + 16`, …), combined pairwise, then the tail in order: a fixed order (so the same
/// bits whatever the thread count) whose loop vectorises, as PyTorch's `sum` kernel keeps
/// vector-wide partial sums. Whole-tensor `sum` and `mean` go through here.
pub(crate) fn add_lanes<T: crate::element::Element>(values: &[T]) -> T {
    simd(
        #[inline(always)]
        || {
            let (chunks, tail) = values.as_chunks::<16>();
            let mut acc = [T::zero(); 16];
            for c in chunks {
                acc.iter_mut().zip(c).for_each(|(a, &v)| *a += v);
            }
            fold_lanes(acc, tail)
        },
    )
}

/// [`add_lanes`] of four slices of one length at once, in one loop: each sum's sixteen partials
/// are one chain of dependent additions (a vector of `f32` adds a chunk of 16 every 3 cycles or
/// so), and four chains side by side keep the adder busy where one left it waiting. The same
/// bits as four calls.
pub(crate) fn add_lanes4<T: crate::element::Element>(values: [&[T]; 4]) -> [T; 4] {
    let n = values[0].len();
    assert!(
        values.iter().all(|v| v.len() == n),
        "add_lanes4: slices of different lengths"
    );
    simd(
        #[inline(always)]
        || {
            let split = values.map(|v| v.as_chunks::<16>());
            let [c0, c1, c2, c3] = split.map(|(chunks, _)| chunks);
            let (mut a0, mut a1, mut a2, mut a3) = (
                [T::zero(); 16],
                [T::zero(); 16],
                [T::zero(); 16],
                [T::zero(); 16],
            );
            for (((x0, x1), x2), x3) in c0.iter().zip(c1).zip(c2).zip(c3) {
                for l in 0..16 {
                    a0[l] += x0[l];
                    a1[l] += x1[l];
                    a2[l] += x2[l];
                    a3[l] += x3[l];
                }
            }
            let acc = [a0, a1, a2, a3];
            std::array::from_fn(|k| fold_lanes(acc[k], split[k].1))
        },
    )
}

/// [`add_lanes`]' end: the sixteen partials combined pairwise (the upper half onto the lower,
/// 8, 4, 2, 1), then the tail added in order.
#[inline(always)]
fn fold_lanes<T: crate::element::Element>(mut acc: [T; 16], tail: &[T]) -> T {
    let mut width = 16;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            let v = acc[i + width];
            acc[i] += v;
        }
    }
    tail.iter().fold(acc[0], |a, &v| a + v)
}

/// `Σ_j f(a[j], b[j])` in f64, in eight interleaved partial sums added pairwise at the end (so
/// the loop vectorises), then the tail: a fixed order, whatever the thread count. The
/// statistics of layer norm and batch norm go through here; [`add_lanes`] is the same idea
/// for plain sums in the element type.
#[inline(always)]
pub(crate) fn sum_pairs_f64<T: crate::element::Element>(
    a: &[T],
    b: &[T],
    f: impl Fn(T, T) -> f64,
) -> f64 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0.0f64; 8];
    for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for ((s, &x), &y) in acc.iter_mut().zip(ca).zip(cb) {
            *s += f(x, y);
        }
    }
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    let mut s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    let full = n / 8 * 8;
    for (&x, &y) in a[full..].iter().zip(&b[full..]) {
        s += f(x, y);
    }
    s
}

/// Runs `f` compiled with AVX-512, or AVX2 and FMA, enabled (chosen at run time), so that
/// loops in an `#[inline(always)]` closure vectorise for this CPU: the LSTM cell's gate loop
/// goes through here.
#[inline]
pub fn simd<R, F: FnOnce() -> R>(f: F) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F.
            return unsafe { simd_avx512(f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA.
            return unsafe { simd_avx2(f) };
        }
    }
    f()
}

/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn simd_avx512<R, F: FnOnce() -> R>(f: F) -> R {
    f()
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn simd_avx2<R, F: FnOnce() -> R>(f: F) -> R {
    f()
}

/// `out[i] = f(src[i])` for every `i`, vectorised for this CPU where `f` allows it.
#[inline]
pub fn map<T: Copy, F: Fn(T) -> T>(src: &[T], out: &mut [T], f: &F) {
    map_uninit(src, as_uninit(out), f)
}

/// `out[i] = f(a[i], b[i])` for every `i`, vectorised for this CPU where `f` allows it.
#[inline]
pub fn zip_map<T: Copy, F: Fn(T, T) -> T>(a: &[T], b: &[T], out: &mut [T], f: &F) {
    zip_map_uninit(a, b, as_uninit(out), f)
}

/// `out` seen as possibly uninitialised memory, for loops that only write values (the ones
/// below, the products' `multiply`).
pub(crate) fn as_uninit<T>(out: &mut [T]) -> &mut [MaybeUninit<T>] {
    // SAFETY: `MaybeUninit<T>` has `T`'s layout, and the callers only write initialised values
    // through the result, so `out` stays initialised.
    unsafe { std::slice::from_raw_parts_mut(out.as_mut_ptr().cast(), out.len()) }
}

/// [`map`] into memory not yet initialised: every element of `out` is written.
#[inline]
pub(crate) fn map_uninit<T: Copy, F: Fn(T) -> T>(src: &[T], out: &mut [MaybeUninit<T>], f: &F) {
    assert_eq!(src.len(), out.len(), "map: input and output lengths differ");
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F.
            return unsafe { map_avx512(src, out, f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA.
            return unsafe { map_avx2(src, out, f) };
        }
    }
    map_loop(src, out, f)
}

/// [`zip_map`] into memory not yet initialised: every element of `out` is written.
#[inline]
pub(crate) fn zip_map_uninit<T: Copy, F: Fn(T, T) -> T>(
    a: &[T],
    b: &[T],
    out: &mut [MaybeUninit<T>],
    f: &F,
) {
    assert!(
        a.len() == out.len() && b.len() == out.len(),
        "zip_map: input and output lengths differ"
    );
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F.
            return unsafe { zip_map_avx512(a, b, out, f) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA.
            return unsafe { zip_map_avx2(a, b, out, f) };
        }
    }
    zip_map_loop(a, b, out, f)
}

#[inline(always)]
fn map_loop<T: Copy, F: Fn(T) -> T>(src: &[T], out: &mut [MaybeUninit<T>], f: &F) {
    for (o, &x) in out.iter_mut().zip(src) {
        o.write((*f)(x));
    }
}

#[inline(always)]
fn zip_map_loop<T: Copy, F: Fn(T, T) -> T>(a: &[T], b: &[T], out: &mut [MaybeUninit<T>], f: &F) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        o.write((*f)(x, y));
    }
}

/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn map_avx512<T: Copy, F: Fn(T) -> T>(src: &[T], out: &mut [MaybeUninit<T>], f: &F) {
    map_loop(src, out, f)
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn map_avx2<T: Copy, F: Fn(T) -> T>(src: &[T], out: &mut [MaybeUninit<T>], f: &F) {
    map_loop(src, out, f)
}

/// # Safety
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn zip_map_avx512<T: Copy, F: Fn(T, T) -> T>(
    a: &[T],
    b: &[T],
    out: &mut [MaybeUninit<T>],
    f: &F,
) {
    zip_map_loop(a, b, out, f)
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn zip_map_avx2<T: Copy, F: Fn(T, T) -> T>(
    a: &[T],
    b: &[T],
    out: &mut [MaybeUninit<T>],
    f: &F,
) {
    zip_map_loop(a, b, out, f)
}

/// `eᵃ` for `f32` within 2 ulp (Cephes' `expf`: `a = k·ln 2 + r`, |r| ≤ ½ln 2, a degree-6
/// polynomial for `eʳ`, and `2ᵏ` built in the exponent bits); 0 below -87.3 (where `eᵃ` is
/// subnormal or zero) and `+inf` above 88.72. NaN stays NaN. Softmax's; [`exp_f32_fused`] is
/// the faster form.
#[inline(always)]
pub fn exp_f32(a: f32) -> f32 {
    exp_f32_by(a, |x, y, z| x * y + z)
}

/// [`exp_f32`] with each multiply–add fused (`f32::mul_add`, one rounding instead of two): as
/// accurate, other last bits, and a fifth to a third faster in the loops of this module, which
/// are compiled with FMA. Outside them each `mul_add` is a call to libm's `fmaf` (the same
/// values, ten times slower), so callers run it under [`map`], [`zip_map`] or [`simd`]. GELU's,
/// the sigmoid's and tanh's; softmax keeps [`exp_f32`], whose bits its golden runs were
/// recorded with (one of `digits_cnn_onecycle`'s 360 test predictions flips with this form).
#[inline(always)]
pub fn exp_f32_fused(a: f32) -> f32 {
    exp_f32_by(a, f32::mul_add)
}

/// [`exp_f32`]'s steps, each multiply–add by `madd(x, y, z) = x·y + z`.
#[inline(always)]
fn exp_f32_by(a: f32, madd: impl Fn(f32, f32, f32) -> f32) -> f32 {
    let x = a.clamp(-87.3, 88.72);
    let (k, r) = exp_reduce(x, &madd);
    let er = exp_m1_poly(r, &madd) + 1.0;
    let y = times_pow2(er, k);
    if a < -87.3 {
        0.0
    } else if a > 88.72 {
        f32::INFINITY
    } else if a.is_nan() {
        a
    } else {
        y
    }
}

/// `ln 2` split so that `k·LN2_HI` is exact for the `k` of an `f32` exponent.
const LN2_HI: f32 = 0.693_359_4;
/// `ln 2 − LN2_HI`.
const LN2_LO: f32 = -2.121_944_4e-4;
/// 1.5·2²³: adding and subtracting it rounds an `f32` below 2²² to an integer, which can then
/// be read from the bits of the sum (its last place is worth 1).
const ROUND: f32 = 12_582_912.0;

/// Cephes' reduction `x = k·ln 2 + r`, |r| ≤ ½ln 2, for |x| ≤ 89: `k` as an integer (read
/// from the bits of `x·log₂e + 1.5·2²³`; `k as i32` would do the same but, being saturating,
/// does not vectorise) and `r`, taken off in two parts.
#[inline(always)]
fn exp_reduce(x: f32, madd: impl Fn(f32, f32, f32) -> f32) -> (i32, f32) {
    let shifted = madd(x, std::f32::consts::LOG2_E, ROUND);
    let k = shifted - ROUND;
    let r = madd(-k, LN2_LO, madd(-k, LN2_HI, x));
    let k = (shifted.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    (k, r)
}

/// `eʳ − 1 = r + r²·P(r)` for |r| ≤ ½ln 2, with Cephes' degree-5 `P` of `expf`.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
fn exp_m1_poly(r: f32, madd: impl Fn(f32, f32, f32) -> f32) -> f32 {
    let p = madd(1.987_569_1e-4, r, 1.398_199_9e-3);
    let p = madd(p, r, 8.333_452e-3);
    let p = madd(p, r, 4.166_579_6e-2);
    let p = madd(p, r, 1.666_666_5e-1);
    let p = madd(p, r, 5.000_000_1e-1);
    madd(p, r * r, r)
}

/// `2ᵉ` for `e` in [-126, 127], built in the exponent bits.
#[inline(always)]
fn pow2(e: i32) -> f32 {
    f32::from_bits((e.wrapping_add(127) << 23) as u32)
}

/// `v·2ᵏ` as `v·2^(k/2)·2^(k − k/2)`, both factors normal for every `k` in [-252, 254], so
/// that `2ᵏ` itself need not be (`2¹²⁸`, `2⁻¹⁵⁰`); for `v` in [½, 2) the first product is exact
/// and the result rounded once, also into the subnormals.
#[inline(always)]
fn times_pow2(v: f32, k: i32) -> f32 {
    let k1 = k >> 1;
    v * pow2(k1) * pow2(k.wrapping_sub(k1))
}

/// `eˣ − 1` for `f32` within 1.5 ulp, vectorisable: [`exp_reduce`]'s `x = k·ln 2 + r`, then
/// `2ᵏ·(eʳ − 1) + (2ᵏ − 1)` (both `2ᵏ − 1` and the product exact for |k| ≤ 24, so no
/// cancellation), and `eˣ − 1` from `eˣ` beyond, where the `− 1` is at most half an ulp or
/// leaves `-1`. `+inf` above 88.72, NaN stays NaN.
#[inline(always)]
pub fn expm1_f32(x: f32) -> f32 {
    let c = x.clamp(-87.3, 88.72);
    let (k, r) = exp_reduce(c, f32::mul_add);
    let m1 = exp_m1_poly(r, f32::mul_add);
    let two_k = pow2(k);
    let near = two_k.mul_add(m1, two_k - 1.0);
    let far = times_pow2(m1 + 1.0, k) - 1.0;
    if x > 88.72 {
        f32::INFINITY
    } else if x.is_nan() || x == 0.0 {
        x // NaN, and ±0 with its sign
    } else if k.abs() <= 24 {
        near
    } else {
        far
    }
}

/// `2ˣ` for `f32` within 1.5 ulp, vectorisable: `x = k + s` with `k` the nearest integer (so
/// `s ∈ [−½, ½]` is exact), `2ˢ = e^(s·ln 2)` by `expf`'s polynomial ([`exp_m1_poly`]), and
/// `2ᵏ` in the exponent bits, in two factors so that subnormal results are rounded once.
/// 0 below -150, `+inf` from 128, NaN stays NaN.
#[inline(always)]
pub fn exp2_f32(x: f32) -> f32 {
    let c = x.clamp(-151.0, 129.0);
    let shifted = c + ROUND;
    let s = c - (shifted - ROUND);
    let k = (shifted.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let r = s.mul_add(LN2_HI, s * LN2_LO);
    let y = times_pow2(exp_m1_poly(r, f32::mul_add) + 1.0, k);
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// `|x|ʸ` for finite nonzero `f32` `x` (subnormal included), rounded once from an `f64` value
/// whose relative error is about `max(1, |y|)·2⁻⁴⁵`, so within 0.5 ulp but next to halfway
/// cases, vectorisable:
/// `eᵗ` with `t = y·ln x`, both in `f64`, where `f32` would multiply the error of `ln x` by
/// |t|. `ln x` is `e·ln 2 + 2·atanh s` with `x = m·2ᵉ`, `m ∈ [√½, √2)`, `s = (m − 1)/(m + 1)`
/// (|s| ≤ 0.172, the odd series to `s¹⁵`); `eᵗ` is `2ᵏ·eʳ`, |r| ≤ ½ln 2, Taylor to `r¹⁰`.
/// Results beyond `f32`'s range round to 0 or `+inf`.
#[inline(always)]
pub fn pow_positive_f32(x: f32, y: f64) -> f32 {
    use std::f64::consts::{LN_2, LOG2_E, SQRT_2};
    // 1.5·2⁵²: adding and subtracting it rounds an `f64` to an integer, readable in its bits.
    const ROUND64: f64 = 6_755_399_441_055_744.0;
    let b = (x as f64).to_bits(); // normal as an f64, even where x is subnormal; sign ignored
    let m = f64::from_bits((b & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000); // [1, 2)
                                                                                 // The biased exponent as an f64 without an integer conversion (AVX-512F has none for
                                                                                 // 64-bit lanes): 2⁵² + e_biased, read as an f64, minus 2⁵² + 1023.
    let e = f64::from_bits(0x4330_0000_0000_0000 | ((b >> 52) & 0x7ff)) - 4_503_599_627_371_519.0;
    let (m, e) = if m > SQRT_2 {
        (0.5 * m, e + 1.0)
    } else {
        (m, e)
    };
    let s = (m - 1.0) / (m + 1.0);
    let z = s * s;
    let p = [13.0, 11.0, 9.0, 7.0, 5.0, 3.0]
        .iter()
        .fold(1.0f64 / 15.0, |p, &d| p.mul_add(z, 1.0 / d));
    let two_s = s + s;
    let ln_x = e.mul_add(LN_2, (two_s * z).mul_add(p, two_s));
    let t = (y * ln_x).clamp(-110.0, 100.0);
    let shifted = t.mul_add(LOG2_E, ROUND64);
    let k = shifted - ROUND64;
    let r = (-k).mul_add(LN_2, t);
    let er = (2..=10).rev().fold(FACTORIAL_RECIP[9] / 10.0, |q, n| {
        q.mul_add(r, FACTORIAL_RECIP[n - 1])
    });
    let er = er.mul_add(r, 1.0);
    // 2ᵏ in the exponent bits: k ∈ [-159, 145], a normal f64.
    let k_bits = shifted.to_bits().wrapping_sub(ROUND64.to_bits());
    let pow2k = f64::from_bits(k_bits.wrapping_add(1023) << 52);
    (er * pow2k) as f32
}

/// `1/n!` for `n` in 0..10, in `f64`.
const FACTORIAL_RECIP: [f64; 10] = {
    let mut c = [1.0f64; 10];
    let mut n = 1;
    while n < 10 {
        c[n] = c[n - 1] / n as f64;
        n += 1;
    }
    c
};

/// Below this |x|, [`sinh_f32`] and [`cosh_f32`] hold their bound; beyond (where `eˣ`
/// overflows while they need not), and for NaN, callers take libm's.
pub const SINH_COSH_FAST_UP_TO: f32 = 88.7;

/// `sinh x` for `f32` with |x| ≤ [`SINH_COSH_FAST_UP_TO`] within 1.5 ulp, vectorisable:
/// `(u + u/(u + 1))/2` with `u = eˣ − 1` ([`expm1_f32`]) at |x|, so no cancellation near 0;
/// the sign of `x` restored.
#[inline(always)]
pub fn sinh_f32(x: f32) -> f32 {
    let u = expm1_f32(x.abs());
    (0.5 * (u + u / (u + 1.0))).copysign(x)
}

/// `cosh x` for `f32` with |x| ≤ [`SINH_COSH_FAST_UP_TO`] within 1.5 ulp, vectorisable:
/// `eˣ/2 + e⁻ˣ/2` with `eˣ` at |x| ([`exp_f32_fused`]); no cancellation, as `cosh x ≥ 1`.
#[inline(always)]
pub fn cosh_f32(x: f32) -> f32 {
    let e = exp_f32_fused(x.abs());
    0.5f32.mul_add(e, 0.5 / e)
}

/// The logistic function `1/(1 + e⁻ˣ)` for `f32` with [`exp_f32_fused`], within 3 ulp.
#[inline(always)]
pub fn sigmoid_f32(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32_fused(-x))
}

/// `tanh x` for `f32` within 3 ulp, vectorisable: Cephes' `tanhf` (an odd polynomial below
/// |x| = 0.625, `1 − 2/(e²ˣ + 1)` above, where no cancellation can occur), with fused
/// multiply–adds ([`exp_f32_fused`]).
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
pub fn tanh_f32(x: f32) -> f32 {
    let a = x.abs();
    let z = x * x;
    let p = -5.704_988_727_45e-3f32;
    let p = p.mul_add(z, 2.063_908_879_54e-2);
    let p = p.mul_add(z, -5.373_971_555_31e-2);
    let p = p.mul_add(z, 1.333_144_220_36e-1);
    let p = p.mul_add(z, -3.333_328_194_22e-1);
    let small = (p * z).mul_add(x, x);
    let large = 1.0 - 2.0 / (exp_f32_fused(2.0 * a) + 1.0);
    if a < 0.625 {
        small
    } else {
        large.copysign(x)
    }
}

/// `ln x` for `f32` within 1 ulp, vectorisable: Cephes' `logf` ([`log_reduce`], then
/// `e·ln 2` added in two parts), with fused multiply–adds. 0 gives `-inf`, a negative `x` or
/// NaN gives NaN, `+inf` gives `+inf`, as libm's `logf`.
#[inline(always)]
pub fn ln_f32(x: f32) -> f32 {
    let (e, f, tail) = log_reduce(x);
    let y = e.mul_add(LN2_LO, tail);
    let y = (f * f).mul_add(-0.5, y);
    log_special(x, e.mul_add(LN2_HI, f + y))
}

/// `log₂ x` for `f32` within 1 ulp, vectorisable: Cephes' `log2f`, `e + ln(1 + f)·log₂e` with
/// `log₂e = 1 + 0.4427…` so that `f` itself is added exactly once. Special values as [`ln_f32`].
#[inline(always)]
#[allow(clippy::excessive_precision)] // log₂e − 1 to f32's precision
pub fn log2_f32(x: f32) -> f32 {
    const LOG2E_M1: f32 = 0.442_695_040_888_963_4;
    let (e, f, tail) = log_reduce(x);
    let y = (f * f).mul_add(-0.5, tail); // ln(1 + f) − f
    let t = y.mul_add(LOG2E_M1, f.mul_add(LOG2E_M1, y));
    log_special(x, e + (f + t))
}

/// `log₁₀ x` for `f32` within 1 ulp, vectorisable: Cephes' `log10f`,
/// `ln(1 + f)·log₁₀e + e·log₁₀2` with both constants split into a short head (whose products
/// are nearly exact) and a tail. Special values as [`ln_f32`].
#[inline(always)]
pub fn log10_f32(x: f32) -> f32 {
    const LOG10E_HI: f32 = 0.433_593_75; // 111/256
    const LOG10E_LO: f32 = (std::f64::consts::LOG10_E - 0.433_593_75) as f32;
    const LOG10_2_HI: f32 = 0.300_781_25; // 77/256
    const LOG10_2_LO: f32 = (std::f64::consts::LOG10_2 - 0.300_781_25) as f32;
    let (e, f, tail) = log_reduce(x);
    let y = (f * f).mul_add(-0.5, tail); // ln(1 + f) − f
    let z = y * LOG10E_LO;
    let z = f.mul_add(LOG10E_LO, z);
    let z = e.mul_add(LOG10_2_LO, z);
    let z = y.mul_add(LOG10E_HI, z);
    let z = f.mul_add(LOG10E_HI, z);
    log_special(x, e.mul_add(LOG10_2_HI, z))
}

/// `ln(1 + x)` for `f32` within 1.5 ulp, vectorisable: `u = 1 + x` rounded, then
/// `ln u + (x − (u − 1))/u`, the second term putting back what the rounding of `u` lost
/// (Goldberg's correction; `x` itself where `u` rounds to 1). `-1` gives `-inf`, below it NaN,
/// `+inf` gives `+inf`.
#[inline(always)]
pub fn log1p_f32(x: f32) -> f32 {
    let u = 1.0 + x;
    let finite = u > 0.0 && u < f32::INFINITY;
    let correction = if finite { (x - (u - 1.0)) / u } else { 0.0 };
    if u == 1.0 {
        x
    } else {
        ln_f32(u) + correction
    }
}

/// Cephes' reduction of `logf`: `x = 2ᵉ·(1 + f)` with `1 + f ∈ [√½, √2)`, and the tail
/// `f³·P(f)` of `ln(1 + f) = f − f²/2 + f³·P(f)` (a degree-8 `P`). Subnormal `x` is scaled by
/// 2²⁵ first. What it gives for `x ≤ 0`, `inf` and NaN is replaced by [`log_special`].
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
fn log_reduce(x: f32) -> (f32, f32, f32) {
    let subnormal = x < f32::MIN_POSITIVE;
    let bits = if subnormal { x * 33_554_432.0 } else { x }.to_bits();
    // x = m·2ᵉ with m ∈ [0.5, 1), then m ∈ [√½, √2) and f = m − 1.
    let e = ((bits >> 23) & 0xff) as i32 - if subnormal { 151 } else { 126 };
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let low = m < std::f32::consts::FRAC_1_SQRT_2;
    let (e, f) = if low {
        (e - 1, m + m - 1.0)
    } else {
        (e, m - 1.0)
    };
    let z = f * f;
    let p = 7.037_683_629_2e-2f32;
    let p = p.mul_add(f, -1.151_461_031_0e-1);
    let p = p.mul_add(f, 1.167_699_874_0e-1);
    let p = p.mul_add(f, -1.242_014_084_6e-1);
    let p = p.mul_add(f, 1.424_932_278_7e-1);
    let p = p.mul_add(f, -1.666_805_766_5e-1);
    let p = p.mul_add(f, 2.000_071_476_5e-1);
    let p = p.mul_add(f, -2.499_999_399_3e-1);
    let p = p.mul_add(f, 3.333_333_117_4e-1);
    (e as f32, f, f * z * p)
}

/// `value` of a logarithm where `x` is positive and finite; for the others libm's answer:
/// `+inf` at `+inf`, `-inf` at ±0, NaN below 0 and at NaN.
#[inline(always)]
fn log_special(x: f32, value: f32) -> f32 {
    if x == f32::INFINITY {
        x
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x < 0.0 || x.is_nan() {
        f32::NAN
    } else {
        value
    }
}

/// The Chebyshev fit of Numerical Recipes (§6.2) to `erfc z`, `z ≥ 0`, as its two parts:
/// `erfc z = t·e^a` with `t = 1/(1 + z/2)` and the exponent `a = −z² + C₀ + t·P(t)`
/// (fractional error below 1.2e-7 everywhere, so the tail keeps its relative accuracy), in
/// `f32` with fused multiply–adds. GELU's Φ and [`erf_f32`] take it.
#[inline(always)]
pub fn erfc_fit_f32(z: f32) -> (f32, f32) {
    #[allow(clippy::excessive_precision)] // the coefficients as published
    const C: [f32; 10] = [
        -1.265_512_2,
        1.000_023_7,
        0.374_091_96,
        0.096_784_18,
        -0.186_288_06,
        0.278_868_07,
        -1.135_203_98,
        1.488_515_87,
        -0.822_152_23,
        0.170_872_77,
    ];
    let t = 1.0 / z.mul_add(0.5, 1.0);
    let poly = C[1..].iter().rev().fold(0.0f32, |p, &c| t.mul_add(p, c));
    (t, (-z).mul_add(z, t.mul_add(poly, C[0])))
}

/// Below this |x|, [`erf_f32`] sums its Taylor series; from it on, `1 − erfc |x|`.
const ERF_SERIES_BELOW: f32 = 0.75;

/// The Taylor coefficients of `erf x = x·Σ_k c_k·x²ᵏ`: `c_k = (2/√π)·(−1)ᵏ/(k!·(2k + 1))`,
/// computed in `f64` and rounded once. Fourteen terms: at |x| = 0.75 the first one left out,
/// `c₁₄·0.75²⁹`, is below 1e-12 of `erf`.
const ERF_SERIES: [f32; 14] = {
    let mut c = [0.0f32; 14];
    let mut k = 0;
    let mut factorial = 1.0f64; // k!
    while k < 14 {
        if k > 0 {
            factorial *= k as f64;
        }
        let sign = if k % 2 == 0 { 1.0 } else { -1.0 };
        c[k] = (std::f64::consts::FRAC_2_SQRT_PI * sign / (factorial * (2 * k + 1) as f64)) as f32;
        k += 1;
    }
    c
};

/// `erf x` for `f32`, vectorisable: the Taylor series below |x| = 0.75
/// ([`ERF_SERIES`]), `1 − erfc |x|` by [`erfc_fit_f32`] from there (where `erfc` ≤ 0.29, so
/// the fit's error stays below an ulp of `erf`), the sign of `x` restored. `±inf` gives ±1,
/// NaN gives NaN.
#[inline(always)]
pub fn erf_f32(x: f32) -> f32 {
    let z = x * x;
    let series = ERF_SERIES[..ERF_SERIES.len() - 1]
        .iter()
        .rev()
        .fold(ERF_SERIES[ERF_SERIES.len() - 1], |p, &c| p.mul_add(z, c));
    let a = x.abs();
    let (t, e) = erfc_fit_f32(a);
    let tail = (1.0 - t * exp_f32_fused(e)).copysign(x);
    if a < ERF_SERIES_BELOW {
        x * series
    } else if x.is_nan() {
        x
    } else {
        tail
    }
}

/// `sin x` for `f32` where |x| ≤ [`SIN_COS_FAST_UP_TO`], vectorisable; see [`sin_cos_f32`].
#[inline(always)]
pub fn sin_f32(x: f32) -> f32 {
    sin_cos_f32(x, false)
}

/// `cos x` for `f32` where |x| ≤ [`SIN_COS_FAST_UP_TO`], vectorisable; see [`sin_cos_f32`].
#[inline(always)]
pub fn cos_f32(x: f32) -> f32 {
    sin_cos_f32(x, true)
}

/// The largest |x| for which [`sin_f32`] and [`cos_f32`] hold their bound (`q < 2¹⁶`, so
/// the first step of the reduction is exact): every `f32` up to it, both signs, is within
/// 1.12 ulp of the exact value (checked one by one against `f64`: 1.113 for `sin`, 1.103 for
/// `cos`). Beyond it (and for ±inf and NaN) callers take libm's.
pub const SIN_COS_FAST_UP_TO: f32 = 65_536.0;

/// Cephes' `sinf`/`cosf` polynomials after [`reduce_half_pi`], then `sin r` or `cos r` by
/// quadrant (`cos x = sin(x + π/2)`: the quadrant plus one), the sign by quadrant and, for
/// `sin`, by the sign of `x`.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
fn sin_cos_f32(x: f32, cos: bool) -> f32 {
    let (r, n) = reduce_half_pi(x.abs());
    let z = r * r;
    let s = (-1.951_529_589_1e-4f32).mul_add(z, 8.332_160_873_6e-3);
    let s = (s.mul_add(z, -1.666_665_461_1e-1) * z).mul_add(r, r);
    let c = 2.443_315_711_809_948e-5f32.mul_add(z, -1.388_731_625_493_765e-3);
    let c = c.mul_add(z, 4.166_664_568_298_827e-2);
    let c = (c * z).mul_add(z, (-0.5f32).mul_add(z, 1.0));
    let n = n.wrapping_add(u32::from(cos));
    let v = if n & 1 == 0 { s } else { c };
    let v = if n & 2 == 0 { v } else { -v };
    if !cos && x.is_sign_negative() {
        -v
    } else {
        v
    }
}

/// `tan x` for `f32` where |x| ≤ [`SIN_COS_FAST_UP_TO`] within 2 ulp, vectorisable: Cephes'
/// `tanf` polynomial for `tan r` after [`reduce_half_pi`], `−1/tan r` in the odd quadrants,
/// the sign of `x` restored.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
pub fn tan_f32(x: f32) -> f32 {
    let (r, n) = reduce_half_pi(x.abs());
    let z = r * r;
    let p = 9.385_401_855_43e-3f32.mul_add(z, 3.119_922_326_97e-3);
    let p = p.mul_add(z, 2.443_013_545_25e-2);
    let p = p.mul_add(z, 5.341_128_070_05e-2);
    let p = p.mul_add(z, 1.333_879_940_85e-1);
    let p = p.mul_add(z, 3.333_315_685_48e-1);
    let t = (p * z).mul_add(r, r);
    let v = if n & 1 == 0 { t } else { -1.0 / t };
    if x.is_sign_negative() {
        -v
    } else {
        v
    }
}

/// The Cody–Waite reduction `a = q·π/2 + r` of `a ≥ 0` up to [`SIN_COS_FAST_UP_TO`], `q` the
/// nearest integer and `r ∈ [−π/4, π/4]` taken off in three parts by fused multiply–adds (the
/// first exact in `f32`, the other two in `f64`): `(r, q mod 2³²)`.
#[inline(always)]
fn reduce_half_pi(a: f32) -> (f32, u32) {
    // π/2 = P1 + REST_HI + REST_LO: P1 = 201/128 (8 bits, so q·P1 is exact for q < 2¹⁶), the
    // rest as a pair of `f64` (π/2 − P1 to about 110 bits).
    const P1: f32 = 1.570_312_5;
    const REST_HI: f64 = 4.838_267_948_966_192_6e-4;
    const REST_LO: f64 = -2.508_278_806_334_166e-20;
    let shifted = a.mul_add(std::f32::consts::FRAC_2_PI, ROUND);
    let q = shifted - ROUND;
    // a − q·P1 is exact (Sterbenz: the two are within a factor of 2, or q = 0); the rest is
    // taken off in `f64`, one rounding, so r keeps its relative accuracy next to a root.
    let (r1, q64) = ((-q).mul_add(P1, a) as f64, -(q as f64));
    let r = q64.mul_add(REST_LO, q64.mul_add(REST_HI, r1)) as f32;
    // The quadrant, from the bits of `shifted` (= 1.5·2²³ + q).
    (r, shifted.to_bits().wrapping_sub(ROUND.to_bits()))
}

/// `atan x` for `f32` within 2 ulp, vectorisable: Cephes' `atanf` (|x| reduced to
/// [0, tan π/8] by `atan x = π/2 + atan(−1/x)` above tan 3π/8 and `π/4 + atan((x−1)/(x+1))`
/// above tan π/8, then an odd degree-9 polynomial), the constant added in two parts; the sign
/// of `x` restored. `±inf` gives ±π/2, NaN stays NaN.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
pub fn atan_f32(x: f32) -> f32 {
    let a = x.abs();
    let (hi, lo, t) = if a > 2.414_213_562_373_095 {
        (FRAC_PI_2_HI, FRAC_PI_2_LO, -1.0 / a)
    } else if a > 0.414_213_562_373_095 {
        (
            FRAC_PI_2_HI * 0.5,
            FRAC_PI_2_LO * 0.5,
            (a - 1.0) / (a + 1.0),
        )
    } else {
        (0.0, 0.0, a)
    };
    let z = t * t;
    let p = 8.053_744_495_38e-2f32.mul_add(z, -1.387_768_560_32e-1);
    let p = p.mul_add(z, 1.997_771_064_78e-1);
    let p = p.mul_add(z, -3.333_294_915_39e-1);
    let v = hi + (p * z).mul_add(t, t + lo);
    if x.is_nan() {
        x
    } else {
        v.copysign(x)
    }
}

/// `asin x` for `f32` within 2 ulp, vectorisable: Cephes' `asinf` (above |x| = ½,
/// `asin a = π/2 − 2·asin √((1 − a)/2)`; an odd degree-9 polynomial), `π/2` subtracted in two
/// parts; the sign of `x` restored. |x| > 1 and NaN give NaN.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
pub fn asin_f32(x: f32) -> f32 {
    let a = x.abs();
    let far = a > 0.5;
    let z = if far { 0.5 * (1.0 - a) } else { a * a };
    let t = if far { z.sqrt() } else { a };
    let p = 4.216_319_904_8e-2f32.mul_add(z, 2.418_131_104_9e-2);
    let p = p.mul_add(z, 4.547_002_599_8e-2);
    let p = p.mul_add(z, 7.495_300_268_6e-2);
    let p = p.mul_add(z, 1.666_675_242_2e-1);
    let s = (p * z).mul_add(t, t);
    let v = if far {
        (-2.0f32).mul_add(s, FRAC_PI_2_HI) + FRAC_PI_2_LO
    } else {
        s
    };
    if a > 1.0 || x.is_nan() {
        f32::NAN
    } else {
        v.copysign(x)
    }
}

/// `π/2` rounded to `f32`, and what that leaves out.
const FRAC_PI_2_HI: f32 = std::f32::consts::FRAC_PI_2;
const FRAC_PI_2_LO: f32 = (std::f64::consts::FRAC_PI_2 - FRAC_PI_2_HI as f64) as f32;

#[cfg(test)]
mod tests {
    use super::{
        add_all, add_lanes, add_lanes4, asin_f32, atan_f32, cos_f32, cosh_f32, erf_f32, exp2_f32,
        exp_f32, exp_f32_fused, expm1_f32, ln_f32, log10_f32, log1p_f32, log2_f32,
        pow_positive_f32, sigmoid_f32, sin_f32, sinh_f32, tan_f32, tanh_f32,
    };

    #[test]
    fn add_lanes_sums_sixteen_lanes_then_pairwise() {
        // 1.0 then 63 entries of u = 2⁻²⁴ (half the f32 spacing at 1.0; exact sum 1 + 63u).
        // Left to right, every 1 + u rounds back to 1 (a tie, to even): 1.0.
        // In lanes: lane 0 holds entries 0, 16, 32, 48, so it stays 1.0 the same way; lanes
        // 1..15 hold 4u each. Pairwise: width 8 gives lane 0 = 1 + 4u and lanes 1..7 = 8u;
        // width 4: 1 + 12u, 16u; width 2: 1 + 28u, 32u; width 1: 1 + 60u, all exact in f32
        // (even multiples of u above 1.0). A 65th entry would be the tail, added last.
        let u = 2f32.powi(-24);
        let mut values = vec![u; 64];
        values[0] = 1.0;
        assert_eq!(add_all(values.iter().copied()), 1.0);
        assert_eq!(add_lanes(&values), 1.0 + 60.0 * u);
        values.push(4.0 * u);
        assert_eq!(add_lanes(&values), 1.0 + 64.0 * u);
        assert_eq!(add_lanes::<f32>(&[]), 0.0);
        assert!(
            add_lanes(&[-0.0f32; 40]).is_sign_positive(),
            "from +0.0, as PyTorch"
        );
    }

    #[test]
    fn add_lanes4_gives_the_bits_of_four_add_lanes() {
        // Values of mixed magnitude and sign, so that the order of the additions shows in the
        // last bits; lengths with and without a tail.
        for n in [0usize, 5, 16, 100, 8192] {
            let v: Vec<Vec<f32>> = (0..4)
                .map(|k| {
                    (0..n)
                        .map(|i| {
                            ((i * 37 + k * 11) % 101) as f32 * 10f32.powi((i % 9) as i32 - 4) - 3.7
                        })
                        .collect()
                })
                .collect();
            let got = add_lanes4([&v[0][..], &v[1], &v[2], &v[3]]);
            for k in 0..4 {
                assert_eq!(
                    got[k].to_bits(),
                    add_lanes(&v[k]).to_bits(),
                    "n = {n}, slice {k}"
                );
            }
        }
    }

    /// The largest error of `f` against `exact` over `xs`, in units of the f32 spacing at the
    /// exact value.
    fn worst_ulp(xs: impl Iterator<Item = f32>, f: fn(f32) -> f32, exact: fn(f64) -> f64) -> f64 {
        xs.map(|x| {
            let e = exact(x as f64);
            let spacing = (f32::EPSILON as f64 * e.abs()).max(f32::MIN_POSITIVE as f64);
            (f(x) as f64 - e).abs() / spacing
        })
        .fold(0.0, f64::max)
    }

    #[test]
    fn tanh_and_sigmoid_are_within_three_ulp() {
        let xs = || (-200_000..=200_000).map(|i| i as f32 * 1e-4);
        let tiny = || (1..=1000).map(|i| i as f32 * 1e-9);
        let t = worst_ulp(xs().chain(tiny()), tanh_f32, f64::tanh);
        let s = worst_ulp(xs(), sigmoid_f32, |x| 1.0 / (1.0 + (-x).exp()));
        assert!(t <= 3.0 && s <= 3.0, "tanh {t} ulp, sigmoid {s} ulp");
        assert_eq!(
            (tanh_f32(0.0), tanh_f32(30.0), tanh_f32(-30.0)),
            (0.0, 1.0, -1.0)
        );
        assert_eq!((sigmoid_f32(-200.0), sigmoid_f32(200.0)), (0.0, 1.0));
    }

    #[test]
    fn ln_f32_is_within_one_ulp() {
        // Every 997th positive finite f32 (subnormals and every binade included), and a dense
        // sweep around 1 where ln x is small and the reduction's choice of m matters.
        let all = (1u32..0x7f80_0000).step_by(997).map(f32::from_bits);
        let near_one = (-100_000..=100_000).map(|i| 1.0 + i as f32 * 1e-6);
        let worst = worst_ulp(all.chain(near_one), ln_f32, f64::ln);
        assert!(worst <= 1.0, "ln_f32: {worst} ulp");
        assert_eq!((ln_f32(1.0), ln_f32(f32::INFINITY)), (0.0, f32::INFINITY));
        assert_eq!(
            (ln_f32(0.0), ln_f32(-0.0)),
            (f32::NEG_INFINITY, f32::NEG_INFINITY)
        );
        assert!(ln_f32(-1.0).is_nan() && ln_f32(f32::NAN).is_nan());
    }

    #[test]
    fn sin_and_cos_f32_are_within_1_12_ulp_up_to_two_to_the_sixteen() {
        // Every 1009th f32 from 0 to 2¹⁶, both signs (every one of them was checked once,
        // 1.113 ulp the worst: `SIN_COS_FAST_UP_TO`), among them the floats next to the
        // multiples of π/2, where the reduction must keep r's relative accuracy.
        let up_to = super::SIN_COS_FAST_UP_TO.to_bits();
        let xs = || {
            (0..=up_to)
                .step_by(1009)
                .map(f32::from_bits)
                .flat_map(|x| [x, -x])
        };
        let near_roots = || {
            (1..=40_000).flat_map(|k| {
                let x = (k as f64 * std::f64::consts::FRAC_PI_2) as f32;
                [
                    x,
                    f32::from_bits(x.to_bits() + 1),
                    f32::from_bits(x.to_bits() - 1),
                ]
            })
        };
        let s = worst_ulp(xs().chain(near_roots()), sin_f32, f64::sin);
        let c = worst_ulp(xs().chain(near_roots()), cos_f32, f64::cos);
        assert!(s <= 1.12 && c <= 1.12, "sin {s} ulp, cos {c} ulp");
        assert_eq!(
            (sin_f32(0.0), sin_f32(-0.0).to_bits()),
            (0.0, (-0.0f32).to_bits())
        );
        assert_eq!(cos_f32(0.0), 1.0);
    }

    /// Every 997th positive finite `f32` (subnormals and every binade included).
    fn positive_floats() -> impl Iterator<Item = f32> {
        (1u32..0x7f80_0000).step_by(997).map(f32::from_bits)
    }

    #[test]
    fn log2_log10_and_log1p_are_within_their_bounds() {
        let near_one = || (-100_000..=100_000).map(|i| 1.0 + i as f32 * 1e-6);
        let l2 = worst_ulp(positive_floats().chain(near_one()), log2_f32, f64::log2);
        let l10 = worst_ulp(positive_floats().chain(near_one()), log10_f32, f64::log10);
        assert!(l2 <= 1.0 && l10 <= 1.0, "log2 {l2} ulp, log10 {l10} ulp");
        // log1p: every positive float, (-1, 0) by 1e-6, and the small arguments either side
        // of 0 where 1 + x rounds.
        let below = (1..1_000_000).map(|i| -(i as f32) * 1e-6);
        let small = (1..=10_000).flat_map(|i| [i as f32 * 1e-9, -(i as f32) * 1e-9]);
        let l1p = worst_ulp(
            positive_floats().chain(below).chain(small),
            log1p_f32,
            f64::ln_1p,
        );
        assert!(l1p <= 1.5, "log1p {l1p} ulp");
        // Exact and special values, as libm's.
        assert_eq!(
            (log2_f32(8.0), log2_f32(0.25), log10_f32(1000.0)),
            (3.0, -2.0, 3.0)
        );
        for f in [log2_f32, log10_f32] {
            assert_eq!(
                (f(1.0), f(0.0), f(f32::INFINITY)),
                (0.0, f32::NEG_INFINITY, f32::INFINITY)
            );
            assert!(f(-1.0).is_nan() && f(f32::NAN).is_nan());
        }
        assert_eq!(log1p_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(
            (log1p_f32(-1.0), log1p_f32(f32::INFINITY)),
            (f32::NEG_INFINITY, f32::INFINITY)
        );
        assert!(log1p_f32(-2.0).is_nan() && log1p_f32(f32::NAN).is_nan());
    }

    #[test]
    fn expm1_exp2_sinh_and_cosh_are_within_their_bounds() {
        let by = |from: i32, to: i32, step: f32| (from..=to).map(move |i| i as f32 * step);
        let tiny = || (1..=10_000).flat_map(|i| [i as f32 * 1e-10, -(i as f32) * 1e-10]);
        // Every 1e-4 over the range where each is finite and not yet ±1 or 0.
        let e1 = worst_ulp(
            by(-200_000, 887_000, 1e-4).chain(tiny()),
            expm1_f32,
            f64::exp_m1,
        );
        let e2 = worst_ulp(by(-1_490_000, 1_279_000, 1e-4), exp2_f32, f64::exp2);
        let sh = worst_ulp(
            by(-887_000, 887_000, 1e-4).chain(tiny()),
            sinh_f32,
            f64::sinh,
        );
        let ch = worst_ulp(by(-887_000, 887_000, 1e-4), cosh_f32, f64::cosh);
        assert!(e1 <= 1.5 && e2 <= 1.5, "expm1 {e1} ulp, exp2 {e2} ulp");
        assert!(sh <= 1.5 && ch <= 1.5, "sinh {sh} ulp, cosh {ch} ulp");
        assert_eq!(expm1_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(
            (expm1_f32(0.0), expm1_f32(-30.0), expm1_f32(89.0)),
            (0.0, -1.0, f32::INFINITY)
        );
        assert_eq!(
            (exp2_f32(10.0), exp2_f32(-149.0), exp2_f32(-3.0)),
            (1024.0, f32::from_bits(1), 0.125)
        );
        assert_eq!((exp2_f32(-200.0), exp2_f32(128.0)), (0.0, f32::INFINITY));
        assert!(expm1_f32(f32::NAN).is_nan() && exp2_f32(f32::NAN).is_nan());
        assert_eq!(
            (sinh_f32(-0.0).to_bits(), cosh_f32(0.0)),
            ((-0.0f32).to_bits(), 1.0)
        );
    }

    #[test]
    fn tan_atan_and_asin_are_within_two_ulp() {
        // tan as sin and cos are checked: every 1009th f32 up to 2¹⁶, both signs, and the
        // floats next to the multiples of π/2 (roots and poles).
        let up_to = super::SIN_COS_FAST_UP_TO.to_bits();
        let xs = (0..=up_to)
            .step_by(1009)
            .map(f32::from_bits)
            .flat_map(|x| [x, -x]);
        let near = (1..=40_000).flat_map(|k| {
            let x = (k as f64 * std::f64::consts::FRAC_PI_2) as f32;
            [
                x,
                f32::from_bits(x.to_bits() + 1),
                f32::from_bits(x.to_bits() - 1),
            ]
        });
        let t = worst_ulp(xs.chain(near), tan_f32, f64::tan);
        let both = || positive_floats().flat_map(|x| [x, -x]);
        let at = worst_ulp(both(), atan_f32, f64::atan);
        let unit = (-1_000_000..=1_000_000).map(|i| i as f32 * 1e-6);
        let small = (1..=10_000).flat_map(|i| [i as f32 * 1e-9, -(i as f32) * 1e-9]);
        let near_one = (0..10_000).map(|i| f32::from_bits(1.0f32.to_bits() - i));
        let s = worst_ulp(unit.chain(small).chain(near_one), asin_f32, f64::asin);
        assert!(
            t <= 2.0 && at <= 2.0 && s <= 2.0,
            "tan {t}, atan {at}, asin {s} ulp"
        );
        assert_eq!(tan_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(
            (atan_f32(f32::INFINITY), atan_f32(f32::NEG_INFINITY)),
            (1.570_796_4, -1.570_796_4)
        );
        assert_eq!((asin_f32(1.0), asin_f32(-1.0)), (1.570_796_4, -1.570_796_4));
        assert!(asin_f32(1.000_001).is_nan() && atan_f32(f32::NAN).is_nan());
    }

    #[test]
    fn pow_positive_f32_rounds_its_f64_value_once() {
        // Every 9973rd positive finite f32 and a dense sweep of [0.01, 10], for exponents of
        // each kind; where the result is a normal f32, within half an ulp (plus the f64
        // value's own error) of f64's powf.
        let xs = || {
            (1u32..0x7f80_0000)
                .step_by(9973)
                .map(f32::from_bits)
                .chain((100..=100_000).map(|i| i as f32 * 1e-4))
        };
        for y in [2.5, -1.5, 1.0 / 3.0, 0.3, 7.0, -3.0, 1e-3, 40.0, -0.75] {
            let mut worst = 0.0f64;
            for x in xs() {
                let exact = (x as f64).powf(y);
                if (1e-37..1e38).contains(&exact) {
                    let got = pow_positive_f32(x, y) as f64;
                    worst = worst.max((got - exact).abs() / (f32::EPSILON as f64 * exact));
                }
            }
            assert!(worst <= 0.5001, "x^{y}: {worst} ulp");
        }
        assert_eq!(pow_positive_f32(1.0, -7.5), 1.0);
        assert_eq!(pow_positive_f32(2.0, 10.0), 1024.0);
        assert_eq!(pow_positive_f32(9.0, 0.5), 3.0);
        assert_eq!(pow_positive_f32(10.0, 40.0), f32::INFINITY);
        assert_eq!(pow_positive_f32(10.0, -50.0), 0.0);
        assert_eq!(
            pow_positive_f32(f32::from_bits(1), 0.5),
            2f32.powi(-75) * 2f32.sqrt()
        );
    }

    #[test]
    fn erf_f32_is_within_two_ulp() {
        // Every 1e-5 over [-5, 5] (both sides of the switch at 0.75), and tiny arguments.
        let xs = (-500_000..=500_000).map(|i| i as f32 * 1e-5);
        let tiny = (1..=1000).map(|i| i as f32 * 1e-30);
        let worst = worst_ulp(xs.chain(tiny), erf_f32, libm::erf);
        assert!(worst <= 2.0, "erf_f32: {worst} ulp");
        assert_eq!(
            (erf_f32(0.0), erf_f32(10.0), erf_f32(-10.0)),
            (0.0, 1.0, -1.0)
        );
        assert_eq!(
            (erf_f32(f32::INFINITY), erf_f32(f32::NEG_INFINITY)),
            (1.0, -1.0)
        );
        assert!(erf_f32(f32::NAN).is_nan());
    }

    #[test]
    fn exp_f32_is_within_two_ulp_of_the_exact_value() {
        for (name, exp) in [
            ("exp_f32", exp_f32 as fn(f32) -> f32),
            ("exp_f32_fused", exp_f32_fused),
        ] {
            let mut worst = 0.0f64;
            for i in -873_000..=887_000 {
                // every 1e-4 from -87.3 to 88.7
                let a = i as f32 * 1e-4;
                let exact = (a as f64).exp();
                let got = exp(a) as f64;
                let ulp = f32::EPSILON as f64 * exact; // the spacing near exact, within 2x
                worst = worst.max((got - exact).abs() / ulp);
            }
            assert!(worst <= 2.0, "{name}: worst error {worst} ulp");
            assert_eq!(exp(0.0), 1.0, "{name}");
            assert_eq!(exp(-100.0), 0.0, "{name}");
            assert_eq!(exp(f32::NEG_INFINITY), 0.0, "{name}");
            assert_eq!(exp(89.0), f32::INFINITY, "{name}");
            assert!(exp(f32::NAN).is_nan(), "{name}");
        }
    }

    #[test]
    fn the_fused_exp_differs_from_the_unfused_one_only_in_last_bits() {
        // The two forms run the same steps; fusing changes the rounding, not the method, so
        // they agree to within 2 ulp of each other and differ somewhere (else nothing fused).
        let (mut differ, mut worst) = (0, 0u32);
        for i in -87_000..=88_000 {
            let a = i as f32 * 1e-3;
            let (u, f) = (exp_f32(a), exp_f32_fused(a));
            worst = worst.max(u.to_bits().abs_diff(f.to_bits()));
            differ += usize::from(u != f);
        }
        assert!(worst <= 2, "{worst} ulp apart");
        assert!(differ > 0, "exp_f32_fused rounds exactly as exp_f32");
    }
}
