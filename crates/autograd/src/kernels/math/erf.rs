//! The error function of `f32`, and the fit to `erfc` that GELU's Φ shares.

use super::exp_f32_fused;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::math::accuracy::*;

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
}
