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
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
fn exp_f32_by(a: f32, madd: impl Fn(f32, f32, f32) -> f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4; // ln 2 split so that k·LN2_HI is exact
    const LN2_LO: f32 = -2.121_944_4e-4;
    const ROUND: f32 = 12_582_912.0; // 1.5·2²³: adding and subtracting it rounds to an integer
    let x = a.clamp(-87.3, 88.72);
    let shifted = madd(x, LOG2E, ROUND);
    let k = shifted - ROUND;
    let r = madd(-k, LN2_LO, madd(-k, LN2_HI, x));
    let p = madd(1.987_569_1e-4, r, 1.398_199_9e-3);
    let p = madd(p, r, 8.333_452e-3);
    let p = madd(p, r, 4.166_579_6e-2);
    let p = madd(p, r, 1.666_666_5e-1);
    let p = madd(p, r, 5.000_000_1e-1);
    let er = madd(p, r * r, r) + 1.0;
    // 2ᵏ as 2^(k/2)·2^(k - k/2): both factors are normal for every k in [-126, 128].
    // k as an integer, read from the bits of `shifted` (= 1.5·2²³ + k, whose last place is
    // worth 1): `k as i32` would do the same but, being saturating, does not vectorise.
    let k = (shifted.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    let (k1, k2) = (k >> 1, k.wrapping_sub(k >> 1));
    let pow2 = |e: i32| f32::from_bits((e.wrapping_add(127) << 23) as u32);
    let y = er * pow2(k1) * pow2(k2);
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

/// `ln x` for `f32` within 1 ulp, vectorisable: Cephes' `logf` (`x = m·2ᵉ` with
/// `m ∈ [√½, √2)`, a degree-8 polynomial for `ln(1 + f)`, `f = m − 1`, and `e·ln 2` added in
/// two parts), with fused multiply–adds. Subnormal `x` is scaled by 2²⁵ first; 0 gives `-inf`,
/// a negative `x` or NaN gives NaN, `+inf` gives `+inf`, as libm's `logf`.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
pub fn ln_f32(x: f32) -> f32 {
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
    let e = e as f32;
    let y = e.mul_add(-2.121_944_4e-4, f * z * p); // ln 2 = 0.693359375 − 2.12194440e-4
    let y = z.mul_add(-0.5, y);
    let r = e.mul_add(0.693_359_375, f + y);
    if x == f32::INFINITY {
        x
    } else if x == 0.0 {
        f32::NEG_INFINITY
    } else if x < 0.0 || x.is_nan() {
        f32::NAN
    } else {
        r
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

/// Cephes' `sinf`/`cosf` polynomials after a Cody–Waite reduction: `|x| = q·π/2 + r` with
/// `q` the nearest integer and `r ∈ [−π/4, π/4]` taken off in three parts by fused
/// multiply–adds (the first exact in `f32`, the other two in `f64`), then `sin r` or `cos r`
/// by quadrant (`cos x = sin(x + π/2)`: the quadrant plus one), the sign by quadrant and, for
/// `sin`, by the sign of `x`.
#[inline(always)]
#[allow(clippy::excessive_precision)] // Cephes' coefficients as published
fn sin_cos_f32(x: f32, cos: bool) -> f32 {
    // 1.5·2²³: adding and subtracting it rounds to an integer.
    const ROUND: f32 = 12_582_912.0;
    // π/2 = P1 + REST_HI + REST_LO: P1 = 201/128 (8 bits, so q·P1 is exact for q < 2¹⁶), the
    // rest as a pair of `f64` (π/2 − P1 to about 110 bits).
    const P1: f32 = 1.570_312_5;
    const REST_HI: f64 = 4.838_267_948_966_192_6e-4;
    const REST_LO: f64 = -2.508_278_806_334_166e-20;
    let a = x.abs();
    let shifted = a.mul_add(std::f32::consts::FRAC_2_PI, ROUND);
    let q = shifted - ROUND;
    // a − q·P1 is exact (Sterbenz: the two are within a factor of 2, or q = 0); the rest is
    // taken off in `f64`, one rounding, so r keeps its relative accuracy next to a root.
    let (r1, q64) = ((-q).mul_add(P1, a) as f64, -(q as f64));
    let r = q64.mul_add(REST_LO, q64.mul_add(REST_HI, r1)) as f32;
    let z = r * r;
    let s = (-1.951_529_589_1e-4f32).mul_add(z, 8.332_160_873_6e-3);
    let s = (s.mul_add(z, -1.666_665_461_1e-1) * z).mul_add(r, r);
    let c = 2.443_315_711_809_948e-5f32.mul_add(z, -1.388_731_625_493_765e-3);
    let c = c.mul_add(z, 4.166_664_568_298_827e-2);
    let c = (c * z).mul_add(z, (-0.5f32).mul_add(z, 1.0));
    // The quadrant, from the bits of `shifted` (= 1.5·2²³ + q).
    let n = shifted
        .to_bits()
        .wrapping_sub(ROUND.to_bits())
        .wrapping_add(u32::from(cos));
    let v = if n & 1 == 0 { s } else { c };
    let v = if n & 2 == 0 { v } else { -v };
    if !cos && x.is_sign_negative() {
        -v
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::{
        add_all, add_lanes, add_lanes4, cos_f32, erf_f32, exp_f32, exp_f32_fused, ln_f32,
        sigmoid_f32, sin_f32, tanh_f32,
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
