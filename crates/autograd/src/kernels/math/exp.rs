//! `eˣ` and the functions built on it, for `f32`: `exp` (two forms), `expm1`, `exp2`, the
//! sigmoid, `tanh`, `sinh` and `cosh`.

use super::{LN2_HI, LN2_LO, ROUND};

/// `eᵃ` for `f32` within 2 ulp (Cephes' `expf`: `a = k·ln 2 + r`, |r| ≤ ½ln 2, a degree-6
/// polynomial for `eʳ`, and `2ᵏ` built in the exponent bits); 0 below -87.3 (where `eᵃ` is
/// subnormal or zero) and `+inf` above 88.72. NaN stays NaN. Softmax's; [`exp_f32_fused`] is
/// the faster form.
#[inline(always)]
pub fn exp_f32(a: f32) -> f32 {
    exp_f32_by(a, |x, y, z| x * y + z)
}

/// [`exp_f32`] with each multiply–add fused (`f32::mul_add`, one rounding instead of two): as
/// accurate, other last bits, and a fifth to a third faster in the loops of `math`, which are
/// compiled with FMA. Outside them each `mul_add` is a call to libm's `fmaf` (the same values,
/// ten times slower), so callers run it under [`map`](super::map),
/// [`zip_map`](super::zip_map) or [`simd`](super::simd). GELU's, the sigmoid's and tanh's;
/// softmax keeps [`exp_f32`], whose bits its golden runs were recorded with (one of
/// `digits_cnn_onecycle`'s 360 test predictions flips with this form).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::math::accuracy::*;

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
}
