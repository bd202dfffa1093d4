//! Softmax and log-softmax over a dimension (`log_softmax = x − logsumexp(x)`), computed
//! stably: the maximum is subtracted first. They share the forward and the lane fast paths.

use crate::element::{as_f32, as_f32_mut, as_f32_uninit, Element};
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, record_values, BackwardCtx, InputGrads, Op};
use crate::kernels::{math, softmax_lane};
use crate::ops::or_panic;
use crate::ops::par::written_chunks;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use ndarray::{ArrayD, Axis};
use smallvec::smallvec;
use std::any::TypeId;
use std::mem::MaybeUninit;

/// One lane's `x − max` (a non-finite maximum counts as 0, as in [`shifted_exp`]), or its
/// `exp` when `keep_exp` (softmax needs nothing else), written to `out`, and `Σ exp(x − max)`.
/// An `f32` lane of [`WIDE`] or more runs [`shifted_lane_f32`]; the others go in order.
#[inline(always)]
fn shifted_lane<T: Element>(x: &[T], out: &mut [T], keep_exp: bool) -> T {
    if x.len() >= WIDE {
        if let (Some(x), Some(o)) = (as_f32(x), as_f32_mut(out)) {
            return T::from_f64(shifted_lane_f32(x, o, keep_exp) as f64);
        }
    }
    let m = x
        .iter()
        .fold(T::neg_infinity(), |m, &v| if v > m { v } else { m });
    let m = if m.is_finite() { m } else { T::zero() };
    let mut sum = T::zero();
    for (o, &v) in out.iter_mut().zip(x) {
        let shifted = v - m;
        let e = lane_exp(shifted);
        sum += e;
        *o = if keep_exp { e } else { shifted };
    }
    sum
}

/// Lanes of `f32` run [`WIDE`] elements at a time, as PyTorch's vectorised softmax: `exp` is
/// the call-free [`math::exp_f32`] (within 2 ulp) and sums are kept per position modulo
/// `WIDE`, then reduced by [`tree`] (a lane shorter than `WIDE` is summed in order). `f64`
/// lanes keep libm's `exp` and one running sum.
const WIDE: usize = 16;

/// Lanes taken at a time, at most: the forward takes their maxima first, then their sums,
/// then their finishes, and the backward their sums, then their gradients, so that the
/// lanes' chains of dependent steps overlap (see [`softmax_lane::shifted_lanes`]). Softmax
/// over `[32, 4, 32, 32]` (lanes of 32) on one thread, Zen 4: 152–157 µs a lane at a time,
/// 108 in blocks. As many lanes as fit [`BLOCK_ELEMS`].
const BLOCK: usize = 16;

/// Elements a block holds at most, so that its lanes are still in L1 when read again.
const BLOCK_ELEMS: usize = 2048;

/// Elements in a block of lanes of `d` (see [`BLOCK`]), a task of [`written_chunks`].
fn block_len(d: usize) -> usize {
    d * (BLOCK_ELEMS / d.max(1)).clamp(1, BLOCK)
}

/// The [`WIDE`] partials of a lane reduced by `f` in a fixed tree, the upper half onto the
/// lower (`a[i] = f(a[i], a[i + 8])`), then 4, 2, 1: PyTorch's order (its AVX-512
/// `VecReduceAllSIMD<float>` folds a 16-float vector so). Lanes shorter than [`WIDE`] are
/// reduced in order instead, as PyTorch's `reduce_all` does them, by the callers. The tree is
/// four dependent steps, each vectorised, where a chain over the partials in order took
/// sixteen through memory: at a lane of 64 (attention's scores) that chain was a third of the
/// softmax forward's time (`perf` of a lone softmax).
#[inline(always)]
fn tree<T: Copy>(mut a: [T; WIDE], f: impl Fn(T, T) -> T) -> T {
    let mut w = WIDE / 2;
    while w > 0 {
        for i in 0..w {
            a[i] = f(a[i], a[i + w]);
        }
        w /= 2;
    }
    a[0]
}

/// [`shifted_lane`] for an `f32` lane of [`WIDE`] or more.
#[inline(always)]
fn shifted_lane_f32(x: &[f32], out: &mut [f32], keep_exp: bool) -> f32 {
    // Position `i` goes to `top[i % WIDE]`, a whole `WIDE` at a time so that it vectorises.
    let mut top = [f32::NEG_INFINITY; WIDE];
    let mut xs = x.chunks_exact(WIDE);
    for xc in &mut xs {
        for (t, &v) in top.iter_mut().zip(xc) {
            *t = if v > *t { v } else { *t };
        }
    }
    for (t, &v) in top.iter_mut().zip(xs.remainder()) {
        *t = if v > *t { v } else { *t };
    }
    let m = tree(top, |m, v| if v > m { v } else { m });
    let m = if m.is_finite() { m } else { 0.0 };
    let mut acc = [0f32; WIDE];
    let (mut xs, mut os) = (x.chunks_exact(WIDE), out.chunks_exact_mut(WIDE));
    for (xc, oc) in (&mut xs).zip(&mut os) {
        for l in 0..WIDE {
            let shifted = xc[l] - m;
            let e = math::exp_f32(shifted);
            acc[l] += e;
            oc[l] = if keep_exp { e } else { shifted };
        }
    }
    let tail = xs.remainder().iter().zip(os.into_remainder());
    for (l, (&v, o)) in tail.enumerate() {
        let shifted = v - m;
        let e = math::exp_f32(shifted);
        acc[l] += e;
        *o = if keep_exp { e } else { shifted };
    }
    tree(acc, |s, v| s + v)
}

/// `Σ f(a[i], b[i])` over a lane (`a`, `b` of one length): in order for `f64` or `IN_ORDER`
/// (an `f32` lane shorter than [`WIDE`], as PyTorch sums one), else in [`WIDE`] partial sums
/// reduced by [`tree`]. Read in `WIDE`-element chunks, so that it vectorises (indexed one
/// element at a time, each with its bounds check, it stayed scalar: a third of a softmax
/// backward's time). `IN_ORDER` is chosen once per block of lanes ([`lane_sums`]), not
/// tested in here: a test per lane cost the long lanes' loop a third of its speed.
#[inline(always)]
fn lane_sum<T: Element, const IN_ORDER: bool>(a: &[T], b: &[T], f: impl Fn(T, T) -> T) -> T {
    debug_assert_eq!(a.len(), b.len());
    if IN_ORDER || TypeId::of::<T>() != TypeId::of::<f32>() {
        return a.iter().zip(b).fold(T::zero(), |s, (&x, &y)| s + f(x, y));
    }
    // Element `i` goes to `acc[i % WIDE]`, a whole `WIDE` at a time.
    let mut acc = [T::zero(); WIDE];
    let (mut ac, mut bc) = (a.chunks_exact(WIDE), b.chunks_exact(WIDE));
    for (x, y) in (&mut ac).zip(&mut bc) {
        for l in 0..WIDE {
            acc[l] += f(x[l], y[l]);
        }
    }
    let rest = ac.remainder().iter().zip(bc.remainder());
    for (a, (&x, &y)) in acc.iter_mut().zip(rest) {
        *a += f(x, y);
    }
    tree(acc, |s, v| s + v)
}

/// Each lane's `Σ g·y` (`y` given: softmax's backward) or `Σ g` (log-softmax's) into `sums`,
/// for lanes of `d`: on AVX-512 for `f32` lanes of [`WIDE`] or more
/// ([`softmax_lane::lane_sums`]), else by [`lane_sum`] (in order below `WIDE`), the same bits.
#[inline(always)]
fn lane_sums<T: Element>(g: &[T], y: Option<&[T]>, d: usize, sums: &mut [T]) {
    if d >= WIDE {
        if let (Some(g32), Some(s32)) = (as_f32(g), as_f32_mut(sums)) {
            let y32 = y.map(|y| as_f32(y).expect("y of g's type"));
            if softmax_lane::lane_sums(g32, y32, d, s32) {
                return;
            }
        }
    }
    let lanes = g.chunks_exact(d).zip(sums);
    match (y, d < WIDE) {
        (Some(y), true) => lanes
            .zip(y.chunks_exact(d))
            .for_each(|((g, s), y)| *s = lane_sum::<T, true>(g, y, |g, y| g * y)),
        (Some(y), false) => lanes
            .zip(y.chunks_exact(d))
            .for_each(|((g, s), y)| *s = lane_sum::<T, false>(g, y, |g, y| g * y)),
        (None, true) => lanes.for_each(|(g, s)| *s = lane_sum::<T, true>(g, g, |g, _| g)),
        (None, false) => lanes.for_each(|(g, s)| *s = lane_sum::<T, false>(g, g, |g, _| g)),
    }
}

/// `exp` in a lane loop: [`math::exp_f32`] for `f32` (see [`WIDE`]), libm's otherwise.
#[inline(always)]
fn lane_exp<T: Element>(x: T) -> T {
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        T::from_f64(math::exp_f32(x.as_f64() as f32) as f64)
    } else {
        x.exp()
    }
}

/// Is `dim` the last dimension of a contiguous `t` (the lane fast path applies)?
fn lanes_of<T: Element>(t: &Tensor<T>, dim: usize) -> Option<usize> {
    (dim + 1 == t.ndim() && t.is_contiguous()).then(|| t.shape()[dim])
}

/// `x - max(x, dim)` per lane, and the lanes' `sum(exp(..))`: the stable core of softmax and
/// log-softmax.
fn shifted_exp<T: Element>(x: &ndarray::ArrayViewD<T>, dim: usize) -> (ArrayD<T>, ArrayD<T>) {
    let max = x.fold_axis(
        Axis(dim),
        T::neg_infinity(),
        |&m, &v| if v > m { v } else { m },
    );
    let max = max.mapv(|m| if m.is_finite() { m } else { T::zero() });
    let shifted = x - &max.insert_axis(Axis(dim));
    let sum = shifted.mapv(|v| v.exp()).sum_axis(Axis(dim));
    (shifted, sum.insert_axis(Axis(dim)))
}

/// The stable forward of softmax and log-softmax along `d`: every lane's `x − max` (its `exp`
/// when `keep_exp`) and `Σ exp(x − max)` go to `finish_lane` (the fast path: `d` the last
/// dimension of a contiguous `x`), or, for any other layout, the whole shifted array and its
/// lane sums to `finish`.
fn stable_forward<T: Element, O: Op<T>>(
    x: &Tensor<T>,
    d: usize,
    keep_exp: bool,
    finish_lane: impl Fn(&mut [T], T) + Sync + Send,
    finish: impl FnOnce(ArrayD<T>, &ArrayD<T>) -> ArrayD<T>,
    op: O,
) -> Tensor<T> {
    if let Some(n) = lanes_of(x, d) {
        // The whole lane, its finish included, runs compiled for this CPU's vectors (the
        // finish alone, outside, was a loop of 4-wide divisions: a sixth of a softmax's time).
        let x_values = x.read_values();
        let block = block_len(n);
        // SAFETY: every element of the chunk is written: by the lane kernel, or zeroed first.
        let y = unsafe {
            written_chunks(x_values.len(), block, x_values.len(), |i, o| {
                let x = &x_values[i * block..][..o.len()];
                math::simd(
                    #[inline(always)]
                    || {
                        let mut sums = [T::zero(); BLOCK];
                        let sums = &mut sums[..o.len() / n];
                        let done = match (as_f32(x), as_f32_uninit(o), as_f32_mut(sums)) {
                            (Some(x), Some(o), Some(s)) if n >= WIDE => {
                                softmax_lane::shifted_lanes(x, o, n, keep_exp, s)
                            }
                            _ => false,
                        };
                        if !done {
                            o.fill(MaybeUninit::new(T::zero()));
                        }
                        // SAFETY: every element was written, just above or by the kernel.
                        let o = &mut *(o as *mut [MaybeUninit<T>] as *mut [T]);
                        if !done {
                            for ((x, o), s) in
                                x.chunks_exact(n).zip(o.chunks_exact_mut(n)).zip(&mut *sums)
                            {
                                *s = shifted_lane(x, o, keep_exp);
                            }
                        }
                        for (o, &s) in o.chunks_exact_mut(n).zip(&*sums) {
                            finish_lane(o, s);
                        }
                    },
                )
            })
        };
        drop(x_values);
        return record_values(y, &x.shape(), op, &[x]);
    }
    let out = {
        let (shifted, sum) = shifted_exp(&x.data(), d);
        finish(shifted, &sum)
    };
    record(out, op, &[x])
}

/// The backward fast path of softmax and log-softmax: each lane's sum ([`lane_sums`]: `Σ g·y`
/// when `with_y`, else `Σ g`), then `f(y lane, g lane, sum, dx lane)`, over the lanes of the
/// saved output `y` and the gradient `g`, when no graph of the backward is built and `dim` is
/// the last dimension of a contiguous `y`; `None` otherwise. A strided or broadcast `g` (the
/// gradient of a `sum`, one value at stride 0) is read as a row-major copy (`read_values`):
/// it used to send the whole backward down the `ndarray` path.
fn lane_backward<T: Element>(
    c: &BackwardCtx<'_, T>,
    dim: usize,
    with_y: bool,
    f: impl Fn(&[T], &[T], T, &mut [MaybeUninit<T>]) + Sync + Send,
) -> Option<InputGrads<T>> {
    let (y, g) = (c.output, c.grad);
    let (false, Some(n)) = (is_grad_enabled(), lanes_of(y, dim)) else {
        return None;
    };
    let (ys, gs) = (y.read_values(), g.read_values());
    let block = block_len(n);
    // SAFETY: `f` writes every element of its lane (the callers zip the whole of it).
    let dx = unsafe {
        written_chunks(ys.len(), block, ys.len(), |i, o| {
            let (y, g) = (&ys[i * block..][..o.len()], &gs[i * block..][..o.len()]);
            math::simd(
                #[inline(always)]
                || {
                    let mut sums = [T::zero(); BLOCK];
                    let sums = &mut sums[..o.len() / n];
                    lane_sums(g, with_y.then_some(y), n, sums);
                    let lanes = y.chunks_exact(n).zip(g.chunks_exact(n));
                    for ((y, g), (o, &s)) in lanes.zip(o.chunks_exact_mut(n).zip(&*sums)) {
                        f(y, g, s, o);
                    }
                },
            )
        })
    };
    drop((ys, gs));
    Some(smallvec![Some(Tensor::from_values(
        dx,
        &y.shape(),
        None,
        false
    ))])
}

impl<T: Element> Tensor<T> {
    /// `exp(x) / sum(exp(x))` along `dim` (`torch.softmax(x, dim)`), stable for large logits.
    /// Derivative: `dx = y·(g − Σ g·y)`, `y` the output.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let p = Tensor::from_vec(vec![1000.0f32, 1000.0], &[2]).softmax(-1);
    /// assert_eq!(p.to_vec(), vec![0.5, 0.5]);
    /// ```
    pub fn softmax(&self, dim: isize) -> Tensor<T> {
        let d = or_panic(normalize_dim("softmax", dim, &self.shape()));
        if self.ndim() == 0 {
            return self.unsqueeze(0).softmax(0).squeeze(0);
        }
        stable_forward(
            self,
            d,
            true,
            // Times the sum's reciprocal, as PyTorch's vectorised softmax.
            #[inline(always)]
            |o, sum| {
                let r = T::one() / sum;
                o.iter_mut().for_each(|v| *v *= r);
            },
            |shifted, sum| shifted.mapv(|v| v.exp()) * sum.mapv(|s| T::one() / s),
            SoftmaxBackward { dim: d },
        )
    }

    /// `log(softmax(x, dim))` without overflow or `log(0)` (`torch.log_softmax(x, dim)`).
    /// Derivative: `dx = g − softmax(x)·Σ g`.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let y = Tensor::from_vec(vec![0.0f64, 0.0], &[2]).log_softmax(0);
    /// assert!((y.to_vec()[0] - 0.5f64.ln()).abs() < 1e-15);
    /// ```
    pub fn log_softmax(&self, dim: isize) -> Tensor<T> {
        let d = or_panic(normalize_dim("log_softmax", dim, &self.shape()));
        if self.ndim() == 0 {
            return self.unsqueeze(0).log_softmax(0).squeeze(0);
        }
        stable_forward(
            self,
            d,
            false,
            #[inline(always)]
            |o, sum| {
                let log_sum = sum.ln();
                o.iter_mut().for_each(|v| *v -= log_sum);
            },
            |shifted, sum| shifted - &sum.mapv(|s| s.ln()),
            LogSoftmaxBackward { dim: d },
        )
    }
}

struct SoftmaxBackward {
    dim: usize,
}
impl<T: Element> Op<T> for SoftmaxBackward {
    fn name(&self) -> &'static str {
        "SoftmaxBackward0"
    }
    fn rule(&self) -> &'static str {
        "d softmax: dx = y * (g - sum(g * y, dim)), y = softmax(x)"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        // dx = y·(g − Σ g·y), lane by lane.
        let fast = lane_backward(
            c,
            self.dim,
            true,
            #[inline(always)]
            |y, g, dot, o| {
                for ((o, &y), &g) in o.iter_mut().zip(y).zip(g) {
                    o.write(y * (g - dot));
                }
            },
        );
        fast.unwrap_or_else(|| {
            let (y, g) = (c.output, c.grad);
            let dot = g.mul(y).sum_dim(self.dim as isize, true);
            smallvec![Some(y.mul(&g.sub(&dot)))]
        })
    }
}

struct LogSoftmaxBackward {
    dim: usize,
}
impl<T: Element> Op<T> for LogSoftmaxBackward {
    fn name(&self) -> &'static str {
        "LogSoftmaxBackward0"
    }
    fn rule(&self) -> &'static str {
        "d log_softmax: dx = g - softmax(x) * sum(g, dim)"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        // dx = g − exp(y)·Σ g, lane by lane.
        let fast = lane_backward(
            c,
            self.dim,
            false,
            #[inline(always)]
            |y, g, total, o| {
                for ((o, &y), &g) in o.iter_mut().zip(y).zip(g) {
                    o.write(g - lane_exp(y) * total);
                }
            },
        );
        fast.unwrap_or_else(|| {
            let (y, g) = (c.output, c.grad);
            let total = g.sum_dim(self.dim as isize, true);
            smallvec![Some(g.sub(&y.exp().mul(&total)))]
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::kernels::math::exp_f32;
    use crate::Tensor;

    /// The partials of a lane of `n`: for `n < 16` in order, else by halves (the upper half
    /// onto the lower, until one is left).
    fn halves(mut a: Vec<f32>, n: usize, f: fn(f32, f32) -> f32) -> f32 {
        if n < 16 {
            return a[1..].iter().fold(a[0], |s, &v| f(s, v));
        }
        while a.len() > 1 {
            let w = a.len() / 2;
            a = (0..w).map(|i| f(a[i], a[i + w])).collect();
        }
        a[0]
    }

    /// The documented `f32` lane order: position `i` of a lane goes to partial `i % 16`, the
    /// 16 partials are added in order for a lane shorter than 16, else by halves (8 + 8,
    /// 4 + 4, 2 + 2, 1 + 1). Written out plainly here, one element at a time: each lane's
    /// `x − max` (a non-finite maximum counting as 0) and `Σ exp(x − max)`.
    fn shifted_by_partials(x: &[f32]) -> (Vec<f32>, f32) {
        let mut top = [f32::NEG_INFINITY; 16];
        for (i, &v) in x.iter().enumerate() {
            top[i % 16] = if v > top[i % 16] { v } else { top[i % 16] };
        }
        let m = halves(top.to_vec(), x.len(), |m, v| if v > m { v } else { m });
        let m = if m.is_finite() { m } else { 0.0 };
        let shifted: Vec<f32> = x.iter().map(|&v| v - m).collect();
        (shifted.clone(), sum_by_partials(&shifted, exp_f32))
    }

    /// `Σ f(v)` over a lane by the partials of [`shifted_by_partials`].
    fn sum_by_partials(x: &[f32], f: impl Fn(f32) -> f32) -> f32 {
        let mut acc = [0f32; 16];
        for (i, &v) in x.iter().enumerate() {
            acc[i % 16] += f(v);
        }
        halves(acc.to_vec(), x.len(), |s, v| s + v)
    }

    /// One bit pattern, or both NaN (the payload of a NaN made by `inf − inf` is not
    /// specified).
    fn same(a: &[f32], b: &[f32]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()))
    }

    #[test]
    fn f32_lanes_give_the_bits_of_the_documented_partial_sums() {
        // Lanes shorter than a group (10), of whole groups (16, 64), with tails (37, 65,
        // 100), and long enough to be taken one at a time (2100); 37 of them, so blocks of 16
        // lanes and a partial block. Row 1 holds +inf, row 2 is all -inf, row 3 holds a NaN.
        let rows = 37;
        for d in [10usize, 16, 37, 64, 65, 100, 2100] {
            let mut x: Vec<f32> = (0..rows * d)
                .map(|i| ((i * 37 % 101) as f32) * 0.173 - 8.0)
                .collect();
            x[d + 3] = f32::INFINITY;
            x[2 * d..3 * d].fill(f32::NEG_INFINITY);
            x[3 * d + 5] = f32::NAN;
            let g: Vec<f32> = (0..rows * d)
                .map(|i| ((i * 11 % 29) as f32) * 0.05 - 0.7)
                .collect();
            for log in [false, true] {
                let t = Tensor::from_vec(x.clone(), &[rows, d]).requires_grad_(true);
                let y = if log {
                    t.log_softmax(-1)
                } else {
                    t.softmax(-1)
                };
                // The gradient reaching `y` is `g` exactly (`1 · g`).
                y.mul(&Tensor::from_vec(g.clone(), &[rows, d]))
                    .sum()
                    .backward();
                let (got_y, got_dx) = (y.to_vec(), t.grad().unwrap().to_vec());
                for r in 0..rows {
                    let lane = r * d..(r + 1) * d;
                    let (shifted, sum) = shifted_by_partials(&x[lane.clone()]);
                    let g = &g[lane.clone()];
                    let (want_y, want_dx): (Vec<f32>, Vec<f32>) = if log {
                        // y = x − max − ln Σ, dx = g − exp(y)·Σ g.
                        let want_y: Vec<f32> = shifted.iter().map(|&v| v - sum.ln()).collect();
                        let total = sum_by_partials(g, |v| v);
                        let dx = g.iter().zip(&want_y).map(|(&g, &y)| g - exp_f32(y) * total);
                        (want_y.clone(), dx.collect())
                    } else {
                        // y = exp(x − max)·(1/Σ), dx = y·(g − Σ g·y).
                        let want_y: Vec<f32> =
                            shifted.iter().map(|&v| exp_f32(v) * (1.0 / sum)).collect();
                        let gy: Vec<f32> = g.iter().zip(&want_y).map(|(&g, &y)| g * y).collect();
                        let dot = sum_by_partials(&gy, |v| v);
                        let dx = g.iter().zip(&want_y).map(|(&g, &y)| y * (g - dot));
                        (want_y.clone(), dx.collect())
                    };
                    let what = if log { "log_softmax" } else { "softmax" };
                    assert!(
                        same(&got_y[lane.clone()], &want_y),
                        "{what}, d = {d}, row {r}"
                    );
                    assert!(
                        same(&got_dx[lane], &want_dx),
                        "{what} backward, d = {d}, row {r}"
                    );
                }
            }
        }
    }
}
