//! Tiny products whose output rows fit one AVX-512 vector (at most 16 `f32` or 8 `f64`
//! columns), with `B`'s and `C`'s rows contiguous: the lecture network's backward products
//! (`G·W`, `Gᵀ·x`) and its bias gradients (`1ᵀ·G`).
//!
//! Row `i` of `C` is one vector: `c = 0`, then `c = c + a[i, p]·b[p, :]` for `p` ascending, a
//! multiply and an add per term (no fused multiply-add), each lane the same operations in the
//! same order as the plain loop's `acc += a[i, p] * b[p, j]` (`kernels/mod.rs`), so the same
//! bits. `B`'s rows are read and `C`'s rows written under a mask of the `n` columns, so nothing
//! past them is touched. The plain loop made one scalar multiply-add per output and term.
//! Without AVX-512 (Zen 3, and valgrind, which runs the AVX2 paths) the same row is two AVX2
//! vectors of 8 `f32` or 4 `f64`, loaded and stored under AVX's integer masks.

use crate::element::{DType, Element};

/// `c[i·rsc + j] = Σ_p a[i·ars + p·acs]·b[p·brs + j]` for `i < m`, `j < n`, `p < k`, `p`
/// ascending, where the CPU has AVX-512F or AVX2, `T` is `f32` or `f64` and `2 ≤ n ≤` one
/// AVX-512 vector (16 or 8); `false` (nothing written) otherwise.
///
/// # Safety
///
/// Every `a[i, p]` and `b[p, j]` lies inside its operand, and `c` is valid for writes at
/// `i·rsc + j`.
#[inline]
pub(crate) unsafe fn small_rows<T: Element>(
    (m, n, k): (usize, usize, usize),
    a: (*const T, isize, isize),
    b: (*const T, isize),
    c: (*mut T, isize),
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let lanes = match T::DTYPE {
            DType::F32 => 16,
            DType::F64 => 8,
            _ => return false,
        };
        if n < 2 || n > lanes {
            return false;
        }
        // One kernel for this CPU and type, the pointers cast to its element type.
        macro_rules! run {
            ($kernel:ident) => {
                $kernel(
                    (m, n, k),
                    (a.0.cast(), a.1, a.2),
                    (b.0.cast(), b.1),
                    (c.0.cast(), c.1),
                )
            };
        }
        let f32 = T::DTYPE == DType::F32;
        // SAFETY: each kernel runs where the CPU has its features (checked here); the rest is
        // the caller's.
        unsafe {
            if std::arch::is_x86_feature_detected!("avx512f") {
                match f32 {
                    true => run!(rows32),
                    false => run!(rows64),
                }
            } else if std::arch::is_x86_feature_detected!("avx2") {
                match f32 {
                    true => run!(rows32_avx2),
                    false => run!(rows64_avx2),
                }
            } else {
                return false;
            }
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = ((m, n, k), a, b, c);
        false
    }
}

/// [`small_rows`] for `f32`, `n ≤ 16`.
///
/// # Safety
///
/// AVX-512F; as [`small_rows`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn rows32(
    (m, n, k): (usize, usize, usize),
    (pa, ars, acs): (*const f32, isize, isize),
    (pb, brs): (*const f32, isize),
    (pc, rsc): (*mut f32, isize),
) {
    use std::arch::x86_64::*;
    let cols = ((1u32 << n) - 1) as u16;
    for i in 0..m as isize {
        // SAFETY (all offsets): inside the operands by the caller's contract; the masked loads
        // and the store touch the `n` columns only.
        unsafe {
            let ai = pa.offset(i * ars);
            let mut acc = _mm512_setzero_ps();
            for p in 0..k as isize {
                let b = _mm512_maskz_loadu_ps(cols, pb.offset(p * brs));
                acc = _mm512_add_ps(acc, _mm512_mul_ps(_mm512_set1_ps(*ai.offset(p * acs)), b));
            }
            _mm512_mask_storeu_ps(pc.offset(i * rsc), cols, acc);
        }
    }
}

/// [`small_rows`] for `f64`, `n ≤ 8`.
///
/// # Safety
///
/// As [`rows32`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn rows64(
    (m, n, k): (usize, usize, usize),
    (pa, ars, acs): (*const f64, isize, isize),
    (pb, brs): (*const f64, isize),
    (pc, rsc): (*mut f64, isize),
) {
    use std::arch::x86_64::*;
    let cols = ((1u32 << n) - 1) as u8;
    for i in 0..m as isize {
        // SAFETY: as in `rows32`.
        unsafe {
            let ai = pa.offset(i * ars);
            let mut acc = _mm512_setzero_pd();
            for p in 0..k as isize {
                let b = _mm512_maskz_loadu_pd(cols, pb.offset(p * brs));
                acc = _mm512_add_pd(acc, _mm512_mul_pd(_mm512_set1_pd(*ai.offset(p * acs)), b));
            }
            _mm512_mask_storeu_pd(pc.offset(i * rsc), cols, acc);
        }
    }
}

/// [`small_rows`] for `f32` without AVX-512: a row of `n ≤ 16` columns as two AVX2 vectors of
/// 8, the second used only when `n > 8`.
///
/// # Safety
///
/// AVX2; as [`small_rows`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn rows32_avx2(
    (m, n, k): (usize, usize, usize),
    (pa, ars, acs): (*const f32, isize, isize),
    (pb, brs): (*const f32, isize),
    (pc, rsc): (*mut f32, isize),
) {
    use std::arch::x86_64::*;
    // Lane j of a mask is all ones where column j (j + 8 in `hi`) is one of the `n`.
    let lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let lo = _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32), lane);
    let hi = _mm256_cmpgt_epi32(_mm256_set1_epi32(n as i32 - 8), lane);
    let two = n > 8;
    for i in 0..m as isize {
        // SAFETY (all offsets): inside the operands by the caller's contract; the masked loads
        // and stores touch the `n` columns only (`hi`'s, at 8 on, only when there are more
        // than 8).
        unsafe {
            let ai = pa.offset(i * ars);
            let (mut acc0, mut acc1) = (_mm256_setzero_ps(), _mm256_setzero_ps());
            for p in 0..k as isize {
                let (av, bp) = (_mm256_set1_ps(*ai.offset(p * acs)), pb.offset(p * brs));
                acc0 = _mm256_add_ps(acc0, _mm256_mul_ps(av, _mm256_maskload_ps(bp, lo)));
                if two {
                    let b1 = _mm256_maskload_ps(bp.add(8), hi);
                    acc1 = _mm256_add_ps(acc1, _mm256_mul_ps(av, b1));
                }
            }
            let ci = pc.offset(i * rsc);
            _mm256_maskstore_ps(ci, lo, acc0);
            if two {
                _mm256_maskstore_ps(ci.add(8), hi, acc1);
            }
        }
    }
}

/// [`small_rows`] for `f64` without AVX-512: a row of `n ≤ 8` columns as two AVX2 vectors of
/// 4.
///
/// # Safety
///
/// As [`rows32_avx2`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn rows64_avx2(
    (m, n, k): (usize, usize, usize),
    (pa, ars, acs): (*const f64, isize, isize),
    (pb, brs): (*const f64, isize),
    (pc, rsc): (*mut f64, isize),
) {
    use std::arch::x86_64::*;
    let lane = _mm256_setr_epi64x(0, 1, 2, 3);
    let lo = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64), lane);
    let hi = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n as i64 - 4), lane);
    let two = n > 4;
    for i in 0..m as isize {
        // SAFETY: as in `rows32_avx2`.
        unsafe {
            let ai = pa.offset(i * ars);
            let (mut acc0, mut acc1) = (_mm256_setzero_pd(), _mm256_setzero_pd());
            for p in 0..k as isize {
                let (av, bp) = (_mm256_set1_pd(*ai.offset(p * acs)), pb.offset(p * brs));
                acc0 = _mm256_add_pd(acc0, _mm256_mul_pd(av, _mm256_maskload_pd(bp, lo)));
                if two {
                    let b1 = _mm256_maskload_pd(bp.add(4), hi);
                    acc1 = _mm256_add_pd(acc1, _mm256_mul_pd(av, b1));
                }
            }
            let ci = pc.offset(i * rsc);
            _mm256_maskstore_pd(ci, lo, acc0);
            if two {
                _mm256_maskstore_pd(ci.add(4), hi, acc1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::small_rows;
    use crate::element::Element;

    /// The plain loop's sums (`kernels/mod.rs`): `acc += a·b`, `p` ascending from zero.
    fn plain<T: Element>(
        a: &[T],
        (ars, acs): (usize, usize),
        b: &[T],
        brs: usize,
        mkn: [usize; 3],
    ) -> Vec<T> {
        let [m, k, n] = mkn;
        let mut c = Vec::new();
        for i in 0..m {
            for j in 0..n {
                let mut acc = T::zero();
                for p in 0..k {
                    acc += a[i * ars + p * acs] * b[p * brs + j];
                }
                c.push(acc);
            }
        }
        c
    }

    /// Every width a vector holds, with `A` read transposed and `B`, `C` rows wider than `n`:
    /// the plain loop's bits in the `n` columns, the padding after them untouched.
    fn same_bits_as_the_plain_loop<T: Element>(
        lanes: usize,
        from: impl Fn(f64) -> T,
        run: Rows<T>,
    ) {
        for n in 2..=lanes {
            for &(m, k) in &[(1, 1), (3, 2), (3, 12), (12, 3), (5, 17)] {
                // Values with many bits set, and a zero row of products, so an unfused
                // multiply-add or another order would show.
                let val = |s: usize| from(((s * 2_654_435_761) % 1000) as f64 / 37.0 - 13.0);
                let a: Vec<T> = (0..m * k)
                    .map(|s| if s % 5 == 4 { T::zero() } else { val(s) })
                    .collect();
                let (brs, rsc) = (n + 3, n + 2);
                let b: Vec<T> = (0..k * brs).map(|s| val(s + 7)).collect();
                let sentinel = from(-777.0);
                let mut c = vec![sentinel; m * rsc];
                // A read transposed: a[i, p] at p·m + i.
                let at: Vec<T> = (0..k * m).map(|s| a[(s % m) * k + s / m]).collect();
                // SAFETY: every index lies inside `at`, `b` and `c` (shapes above).
                let done = unsafe {
                    run(
                        (m, n, k),
                        (at.as_ptr(), 1, m as isize),
                        (b.as_ptr(), brs as isize),
                        (c.as_mut_ptr(), rsc as isize),
                    )
                };
                if !done {
                    return; // neither AVX-512 nor AVX2 here: the plain loop runs instead
                }
                let want = plain(&a, (k, 1), &b, brs, [m, k, n]);
                for i in 0..m {
                    for j in 0..rsc {
                        let got = c[i * rsc + j];
                        if j < n {
                            let w = want[i * n + j];
                            assert!(
                                got.as_f64().to_bits() == w.as_f64().to_bits(),
                                "{m}x{k}x{n}: ({i}, {j}) {} against {}",
                                got.as_f64(),
                                w.as_f64()
                            );
                        } else {
                            assert!(got == sentinel, "{m}x{k}x{n}: padding ({i}, {j}) written");
                        }
                    }
                }
            }
        }
    }

    /// A row kernel: [`small_rows`], or one of its kernels alone.
    type Rows<T> = unsafe fn(
        (usize, usize, usize),
        (*const T, isize, isize),
        (*const T, isize),
        (*mut T, isize),
    ) -> bool;

    /// [`small_rows`] through the AVX2 kernels even where AVX-512 is there (`false` without
    /// AVX2).
    #[cfg(target_arch = "x86_64")]
    unsafe fn avx2_rows<T: Element>(
        (m, n, k): (usize, usize, usize),
        a: (*const T, isize, isize),
        b: (*const T, isize),
        c: (*mut T, isize),
    ) -> bool {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return false;
        }
        let (a32, b32, c32) = ((a.0.cast(), a.1, a.2), (b.0.cast(), b.1), (c.0.cast(), c.1));
        let (a64, b64, c64) = ((a.0.cast(), a.1, a.2), (b.0.cast(), b.1), (c.0.cast(), c.1));
        // SAFETY: AVX2 is available; the rest is the caller's.
        unsafe {
            match T::DTYPE == crate::element::DType::F32 {
                true => super::rows32_avx2((m, n, k), a32, b32, c32),
                false => super::rows64_avx2((m, n, k), a64, b64, c64),
            }
        }
        true
    }

    #[test]
    fn rows_of_one_vector_give_the_plain_loops_bits_f32() {
        same_bits_as_the_plain_loop::<f32>(16, |v| v as f32, small_rows);
        #[cfg(target_arch = "x86_64")]
        same_bits_as_the_plain_loop::<f32>(16, |v| v as f32, avx2_rows);
    }

    #[test]
    fn rows_of_one_vector_give_the_plain_loops_bits_f64() {
        same_bits_as_the_plain_loop::<f64>(8, |v| v, small_rows);
        #[cfg(target_arch = "x86_64")]
        same_bits_as_the_plain_loop::<f64>(8, |v| v, avx2_rows);
    }

    #[test]
    fn wider_or_single_columns_are_left_to_the_plain_loop() {
        let a = [1.0f32; 4];
        let b = [1.0f32; 34];
        let mut c = [0.0f32; 34];
        for n in [1, 17] {
            // SAFETY: one row of `a`, `b` and `c`, `n` ≤ 17 columns each.
            let done = unsafe {
                small_rows(
                    (1, n, 1),
                    (a.as_ptr(), 1, 1),
                    (b.as_ptr(), 17),
                    (c.as_mut_ptr(), 17),
                )
            };
            assert!(!done, "n = {n}");
        }
        assert_eq!(c, [0.0; 34]);
    }
}
