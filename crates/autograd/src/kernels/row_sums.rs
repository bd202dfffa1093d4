//! Sums over a row of `f32` values accumulated in `f64`, for the statistics of layer norm and
//! batch norm and their backwards, on AVX-512 with the bits of [`sum_pairs_f64`]: term `j`
//! goes to partial `j mod 8` (one vector of eight `f64`), the partials are added pairwise
//! (`((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))`), then the tail in order. Written
//! generically, that loop compiled to two-lane vectors and shuffles; this form took layer
//! norm's forward over rows of 64 from 64 to 45 µs (`[32, 32, 64]`, one thread, Zen 4).

use super::math::sum_pairs_f64;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// `Σ_j row[j]` in `f64`.
pub(crate) fn sum(row: &[f32]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F; the terms read `row` only.
        return unsafe { sum_avx512(row) };
    }
    sum_pairs_f64(row, row, |v, _| v as f64)
}

/// `Σ_j (row[j] − mean)²` in `f64`.
pub(crate) fn sum_sq_dev(row: &[f32], mean: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F; the terms read `row` only.
        return unsafe { sum_sq_dev_avx512(row, mean) };
    }
    sum_pairs_f64(row, row, |v, _| (v as f64 - mean) * (v as f64 - mean))
}

/// `Σ_j a[j]·((b[j] − mean)·invstd)`, each term in `f32`, summed in `f64` (layer norm's
/// `Σ ĝ·x̂`); `a` and `b` of one length.
pub(crate) fn sum_dev_prod(a: &[f32], b: &[f32], mean: f32, invstd: f32) -> f64 {
    assert_eq!(a.len(), b.len(), "sum_dev_prod: rows of different lengths");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F; `a` and `b` are as long (asserted).
        return unsafe { sum_dev_prod_avx512(a, b, mean, invstd) };
    }
    sum_pairs_f64(a, b, |a, b| (a * ((b - mean) * invstd)) as f64)
}

/// `Σ_j a[j]·((b[j] − mean)·invstd)` with the deviation `(b[j] − mean)·invstd` in `f32` and
/// the product in `f64` (batch norm's `Σ g·x̂`; [`sum_dev_prod`] multiplies in `f32`); `a` and
/// `b` of one length.
pub(crate) fn sum_dot_dev(a: &[f32], b: &[f32], mean: f32, invstd: f32) -> f64 {
    assert_eq!(a.len(), b.len(), "sum_dot_dev: rows of different lengths");
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F; `a` and `b` are as long (asserted).
        return unsafe { sum_dot_dev_avx512(a, b, mean, invstd) };
    }
    sum_pairs_f64(a, b, |a, b| a as f64 * ((b - mean) * invstd) as f64)
}

/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn sum_avx512(row: &[f32]) -> f64 {
    // SAFETY: `pairs` reads 8 values at `j < row.len() - 7`.
    let term = |j: usize| _mm512_cvtps_pd(unsafe { _mm256_loadu_ps(row.as_ptr().add(j)) });
    pairs(row.len(), term, |j| row[j] as f64)
}

/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn sum_sq_dev_avx512(row: &[f32], mean: f64) -> f64 {
    let m = _mm512_set1_pd(mean);
    let term = |j: usize| {
        // SAFETY: `pairs` reads 8 values at `j < row.len() - 7`.
        let d = _mm512_sub_pd(
            _mm512_cvtps_pd(unsafe { _mm256_loadu_ps(row.as_ptr().add(j)) }),
            m,
        );
        _mm512_mul_pd(d, d)
    };
    pairs(row.len(), term, |j| {
        (row[j] as f64 - mean) * (row[j] as f64 - mean)
    })
}

/// # Safety
/// The CPU must have AVX-512F, and `a` and `b` be as long.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn sum_dev_prod_avx512(a: &[f32], b: &[f32], mean: f32, invstd: f32) -> f64 {
    let (m, s) = (_mm256_set1_ps(mean), _mm256_set1_ps(invstd));
    let term = |j: usize| {
        // SAFETY: `pairs` reads 8 values at `j < len - 7` of both (as long).
        let (x, y) = unsafe {
            (
                _mm256_loadu_ps(a.as_ptr().add(j)),
                _mm256_loadu_ps(b.as_ptr().add(j)),
            )
        };
        _mm512_cvtps_pd(_mm256_mul_ps(x, _mm256_mul_ps(_mm256_sub_ps(y, m), s)))
    };
    pairs(a.len(), term, |j| (a[j] * ((b[j] - mean) * invstd)) as f64)
}

/// # Safety
/// The CPU must have AVX-512F, and `a` and `b` be as long.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn sum_dot_dev_avx512(a: &[f32], b: &[f32], mean: f32, invstd: f32) -> f64 {
    let (m, s) = (_mm256_set1_ps(mean), _mm256_set1_ps(invstd));
    let term = |j: usize| {
        // SAFETY: `pairs` reads 8 values at `j < len - 7` of both (as long).
        let (x, y) = unsafe {
            (
                _mm256_loadu_ps(a.as_ptr().add(j)),
                _mm256_loadu_ps(b.as_ptr().add(j)),
            )
        };
        let dev = _mm512_cvtps_pd(_mm256_mul_ps(_mm256_sub_ps(y, m), s));
        _mm512_mul_pd(_mm512_cvtps_pd(x), dev)
    };
    pairs(a.len(), term, |j| {
        a[j] as f64 * ((b[j] - mean) * invstd) as f64
    })
}

/// `Σ` of `n` terms in [`sum_pairs_f64`]'s order: `vector(j)` gives terms `j .. j + 8`, for
/// every whole group of eight, `scalar(j)` term `j` of the tail.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn pairs(n: usize, vector: impl Fn(usize) -> __m512d, scalar: impl Fn(usize) -> f64) -> f64 {
    let full = n / 8 * 8;
    let mut acc = _mm512_setzero_pd();
    for j in (0..full).step_by(8) {
        acc = _mm512_add_pd(acc, vector(j));
    }
    // a0 + a1 in lane 0, a2 + a3 in lane 2, …; then (a0 + a1) + (a2 + a3) in lane 0 and
    // (a4 + a5) + (a6 + a7) in lane 4; then their sum.
    let p = _mm512_add_pd(acc, _mm512_permute_pd::<0b0101_0101>(acc));
    let q = _mm512_add_pd(p, _mm512_permutex_pd::<0b0100_1110>(p));
    let (lo, hi) = (_mm512_castpd512_pd256(q), _mm512_extractf64x4_pd::<1>(q));
    let mut s = _mm_cvtsd_f64(_mm_add_sd(
        _mm256_castpd256_pd128(lo),
        _mm256_castpd256_pd128(hi),
    ));
    for j in full..n {
        s += scalar(j);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_sums_give_the_bits_of_sum_pairs_f64() {
        // Lengths with and without a tail; values from 1e-6 to 1e6 of both signs, so that
        // `f64` sums of `f32` values are inexact and their order shows in the last bits.
        for n in [0usize, 1, 7, 8, 9, 16, 63, 64, 65, 200] {
            let a: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 101) as f32 - 50.3) * 10f32.powi((i % 13) as i32 - 6))
                .collect();
            let b: Vec<f32> = (0..n)
                .map(|i| ((i * 11 % 29) as f32) * 0.05 - 0.7)
                .collect();
            let (mean, invstd) = (3.25f32, 0.731f32);
            assert_eq!(
                sum(&a).to_bits(),
                sum_pairs_f64(&a, &a, |v, _| v as f64).to_bits(),
                "sum, n = {n}"
            );
            let m = 101.37f64;
            let want = sum_pairs_f64(&a, &a, |v, _| (v as f64 - m) * (v as f64 - m));
            assert_eq!(
                sum_sq_dev(&a, m).to_bits(),
                want.to_bits(),
                "sum_sq_dev, n = {n}"
            );
            let want = sum_pairs_f64(&b, &a, |g, v| (g * ((v - mean) * invstd)) as f64);
            assert_eq!(
                sum_dev_prod(&b, &a, mean, invstd).to_bits(),
                want.to_bits(),
                "sum_dev_prod, n = {n}"
            );
            let want = sum_pairs_f64(&b, &a, |g, v| g as f64 * ((v - mean) * invstd) as f64);
            assert_eq!(
                sum_dot_dev(&b, &a, mean, invstd).to_bits(),
                want.to_bits(),
                "sum_dot_dev, n = {n}"
            );
        }
    }
}
