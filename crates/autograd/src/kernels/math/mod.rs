//! Elementwise loops compiled for the widest vector unit of the CPU, and elementary
//! functions of `f32` written so that such loops vectorise.
//!
//! * [`map`] and [`zip_map`] run `out[i] = f(src[i])` (or `f(a[i], b[i])`) in a copy of the
//!   loop compiled with AVX-512 or AVX2 (with FMA) enabled, chosen at run time, so a closure
//!   of plain arithmetic runs 8 or 16 lanes at a time. The compiler never fuses a multiply and
//!   an add (Rust has no fast-math), so every copy gives the same bits; an explicit
//!   `mul_add` is one instruction in these copies and libm's `fmaf` elsewhere, the same value.
//!   `add_lanes` and its kin sum in lanes, in a fixed order.
//! * The functions, one file per family, each with its accuracy test (the error over the
//!   `f32` spacing at the exact value, across the function's domain): `exp.rs` (`eˣ` and what
//!   is built on it: `expm1`, `exp2`, the sigmoid, `tanh`, `sinh`, `cosh`), `log.rs` (`ln`,
//!   `log₂`, `log₁₀`, `log1p`), `trig.rs` (`sin`, `cos`, `tan`, `atan`, `asin`), `erf.rs`,
//!   `pow.rs`. None has a call or a branch the compiler cannot turn into a select: libm's are
//!   a call per element, which keeps a loop around them scalar (and `expf` takes a slow path
//!   below about -87). The tensor ops take them for `f32` (`ops::unary::f32_or`) and libm's
//!   for `f64`.

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

/// `ln 2` split so that `k·LN2_HI` is exact for the `k` of an `f32` exponent.
const LN2_HI: f32 = 0.693_359_4;

/// `ln 2 − LN2_HI`.
const LN2_LO: f32 = -2.121_944_4e-4;

/// 1.5·2²³: adding and subtracting it rounds an `f32` below 2²² to an integer, which can then
/// be read from the bits of the sum (its last place is worth 1).
const ROUND: f32 = 12_582_912.0;

mod erf;
mod exp;
mod log;
mod pow;
mod trig;

pub use erf::{erf_f32, erfc_fit_f32};
pub use exp::{
    cosh_f32, exp2_f32, exp_f32, exp_f32_fused, expm1_f32, sigmoid_f32, sinh_f32, tanh_f32,
    SINH_COSH_FAST_UP_TO,
};
pub use log::{ln_f32, log10_f32, log1p_f32, log2_f32};
pub use pow::pow_positive_f32;
pub use trig::{asin_f32, atan_f32, cos_f32, sin_f32, tan_f32, SIN_COS_FAST_UP_TO};

/// What the functions' accuracy tests share.
#[cfg(test)]
mod accuracy {
    /// The largest error of `f` against `exact` over `xs`, in units of the f32 spacing at the
    /// exact value.
    pub(super) fn worst_ulp(
        xs: impl Iterator<Item = f32>,
        f: fn(f32) -> f32,
        exact: fn(f64) -> f64,
    ) -> f64 {
        xs.map(|x| {
            let e = exact(x as f64);
            let spacing = (f32::EPSILON as f64 * e.abs()).max(f32::MIN_POSITIVE as f64);
            (f(x) as f64 - e).abs() / spacing
        })
        .fold(0.0, f64::max)
    }

    /// Every 997th positive finite `f32` (subnormals and every binade included).
    pub(super) fn positive_floats() -> impl Iterator<Item = f32> {
        (1u32..0x7f80_0000).step_by(997).map(f32::from_bits)
    }
}

#[cfg(test)]
mod tests {
    use super::{add_all, add_lanes, add_lanes4};

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
}
