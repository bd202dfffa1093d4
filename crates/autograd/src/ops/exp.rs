//! Exponential: `exp(x)`.

use crate::element::{DType, Element};
use crate::kernels::math;
use crate::ops::unary::unary_ops;

/// eᵛ as [`Tensor::exp`] computes it: for `f32` the call-free [`math::exp_f32_fused`] (within
/// 2 ulp), for `f64` libm's.
#[inline(always)]
fn exp_value<T: Element>(v: T) -> T {
    match T::DTYPE {
        DType::F32 => T::from_f64(math::exp_f32_fused(v.as_f64() as f32) as f64),
        _ => v.exp(),
    }
}

unary_ops! {
    /// `e^self` elementwise (`torch.exp`): for `f32` the call-free [`math::exp_f32_fused`]
    /// (within 2 ulp, as ATen's vectorised kernel takes Sleef's `exp`), so the loop runs in
    /// vector lanes; for `f64` libm's. Derivative: exp(x), the output.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).exp().item(), 1.0);
    /// assert_eq!(Tensor::from_vec(vec![0.0f32], &[1]).exp().item(), 1.0);
    /// ```
    exp, ExpBackward, "ExpBackward0", "d exp(x)/dx = exp(x)", saves_output: true,
        |v| exp_value(v),
        |x, y, g| g.mul(y),
        fast(y): |g, e| g * e;
}
