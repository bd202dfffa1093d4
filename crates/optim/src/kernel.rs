//! The pieces every update kernel is written with: PyTorch's CPU arithmetic for one element
//! (each tensor op's exact rounding) and the flush of subnormal state values. (How a state is
//! saved and loaded lives in [`saved_fields`](crate::saved_fields); weight decay in
//! [`decay`](crate::decay).)

use tapegrad_autograd::Element;

// ---------------------------------------------------------------- PyTorch's CPU arithmetic
//
// PyTorch's x86 CPU kernels are compiled with FMA enabled and floating-point contraction on, and
// some are written with explicit fused multiply-adds, so a multiply followed by an add inside one
// tensor op is a single rounding. These helpers reproduce each op's exact rounding; the golden
// first-step tests (tests/golden_first_step.rs) pin them bit for bit.

/// `self.add_(other, alpha=alpha)`: `fma(alpha, other, self)` (ATen's `ufunc::add`).
#[inline(always)]
pub(crate) fn add_alpha<T: Element>(this: T, other: T, alpha: T) -> T {
    other.mul_add(alpha, this)
}

/// `self.addcmul_(t1, t2, value=value)`: `self + (value·t1)·t2` with the last product and the sum
/// fused.
#[inline(always)]
pub(crate) fn addcmul<T: Element>(this: T, t1: T, t2: T, value: T) -> T {
    (value * t1).mul_add(t2, this)
}

/// `self.addcdiv_(t1, t2, value=value)`: `self + (value·t1)/t2` (a division in between: nothing to
/// fuse).
#[inline(always)]
pub(crate) fn addcdiv<T: Element>(this: T, t1: T, t2: T, value: T) -> T {
    this + value * t1 / t2
}

/// `torch.lerp(start, end, weight)` for one element, as ATen's CPU kernel:
/// `fma(w, end − start, start)` when |w| < 0.5, else `fma(w − 1, end − start, end)`.
#[inline(always)]
pub(crate) fn lerp<T: Element>(start: T, end: T, weight: T) -> T {
    if weight.abs() < T::from_f64(0.5) {
        weight.mul_add(end - start, start)
    } else {
        (weight - T::one()).mul_add(end - start, end)
    }
}

/// `x`, or zero if `x` is subnormal (|x| < the smallest normal number): what
/// `torch.set_flush_denormal(True)` does to a result, applied to the values an update stores in
/// the optimizer's state. A state that decays geometrically towards zero (Adam's moments of a
/// parameter whose gradient is exactly zero, e.g. a dead ReLU unit's) would otherwise spend
/// thousands of steps as subnormals, on which x86 arithmetic is ~100× slower. NaN and ±inf pass
/// unchanged; normal values are untouched, so a run that never reaches 1e-38 (f32) is
/// bit-identical with or without it.
#[inline(always)]
pub(crate) fn flush<T: Element>(x: T) -> T {
    if x.abs() < T::min_positive_value() {
        T::zero()
    } else {
        x
    }
}

/// Adam's two moment updates (shared by Adam/AdamW, NAdam and RAdam), with their coefficients
/// rounded to `T` once per step: `exp_avg.lerp_(grad, 1 - beta1)`;
/// `exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)`; both [`flush`]ed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamMoments<T> {
    /// `1 - beta1`, the weight of the lerp.
    pub(crate) one_minus_beta1: T,
    /// `beta2`.
    pub(crate) beta2: T,
    /// `1 - beta2`.
    pub(crate) one_minus_beta2: T,
}

impl<T: Element> AdamMoments<T> {
    /// From `betas`; `1 - beta` computed in f64 (Python floats), then rounded.
    pub(crate) fn new((beta1, beta2): (f64, f64)) -> Self {
        AdamMoments {
            one_minus_beta1: T::from_f64(1.0 - beta1),
            beta2: T::from_f64(beta2),
            one_minus_beta2: T::from_f64(1.0 - beta2),
        }
    }

    /// Updates one element's first moment `m` and second moment `v` with gradient `g`.
    #[inline(always)]
    pub(crate) fn update(self, m: &mut T, v: &mut T, g: T) {
        *m = flush(lerp(*m, g, self.one_minus_beta1));
        *v = flush(addcmul(*v * self.beta2, g, g, self.one_minus_beta2));
    }
}

/// A parameter's elements in step with its gradient's and two state buffers' (of its length):
/// `(θᵢ, gᵢ, aᵢ, bᵢ)`, the loop of every update rule with two buffers.
#[inline(always)]
pub(crate) fn with_two_buffers<'a, T: Copy>(
    param: &'a mut [T],
    grad: &'a [T],
    a: &'a mut [T],
    b: &'a mut [T],
) -> impl Iterator<Item = (&'a mut T, T, &'a mut T, &'a mut T)> {
    param
        .iter_mut()
        .zip(grad)
        .zip(a)
        .zip(b)
        .map(|(((p, &g), a), b)| (p, g, a, b))
}

/// `torch.maximum` for one element: NaN wins, as in PyTorch.
#[inline(always)]
pub(crate) fn maximum<T: Element>(a: T, b: T) -> T {
    if a.is_nan() || b.is_nan() {
        T::nan()
    } else if a > b {
        a
    } else {
        b
    }
}
