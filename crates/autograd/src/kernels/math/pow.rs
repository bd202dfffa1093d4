//! `|x|ʸ` for `f32`, through `f64`.

/// `|x|ʸ` for finite nonzero `f32` `x` (subnormal included), vectorisable, rounded once from
/// an `f64` value whose relative error is about `max(1, |y|)·2⁻⁴⁵`: within half an ulp but
/// next to halfway cases. `eᵗ` with `t = y·ln x`, both in `f64`, where `f32` would multiply
/// the error of `ln x` by |t|. `ln x` is `e·ln 2 + 2·atanh s` with `x = m·2ᵉ`,
/// `m ∈ [√½, √2)`, `s = (m − 1)/(m + 1)` (|s| ≤ 0.172, the odd series to `s¹⁵`); `eᵗ` is
/// `2ᵏ·eʳ`, |r| ≤ ½ln 2, Taylor to `r¹⁰`. Results beyond `f32`'s range round to 0 or `+inf`.
#[inline(always)]
pub fn pow_positive_f32(x: f32, y: f64) -> f32 {
    use std::f64::consts::{LN_2, LOG2_E, SQRT_2};
    // 1.5·2⁵²: adding and subtracting it rounds an `f64` to an integer, readable in its bits.
    const ROUND64: f64 = 6_755_399_441_055_744.0;
    // x as an f64 is normal even where it is subnormal as an f32; its sign is ignored below.
    // x = m·2ᵉ with m in [1, 2): the mantissa under a zero exponent.
    let b = (x as f64).to_bits();
    let m = f64::from_bits((b & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
