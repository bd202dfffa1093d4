//! Logarithms of `f32`: `ln`, `log₂`, `log₁₀` and `ln(1 + x)`, on Cephes' `logf` reduction.

use super::{LN2_HI, LN2_LO};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::math::accuracy::*;

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
}
