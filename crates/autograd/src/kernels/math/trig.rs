//! Trigonometric functions of `f32`: `sin`, `cos` and `tan` after one reduction by π/2,
//! `atan` and `asin`.

use super::ROUND;

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
    use super::*;
    use crate::kernels::math::accuracy::*;

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
}
