//! Hyperbolic tangent.

use crate::element::{DType, Element};
use crate::kernels::math;
use crate::ops::unary::unary_ops;

/// tanh(v) as [`Tensor::tanh`] computes it: for `f32` the call-free [`math::tanh_f32`], for
/// `f64` libm's.
#[inline(always)]
pub(crate) fn tanh_value<T: Element>(v: T) -> T {
    match T::DTYPE {
        DType::F32 => T::from_f64(math::tanh_f32(v.as_f64() as f32) as f64),
        _ => v.tanh(),
    }
}

unary_ops! {
    /// `tanh` elementwise (`torch.tanh`): for `f32` the call-free [`math::tanh_f32`] (within
    /// 3 ulp, as ATen's vectorised kernel takes Sleef's), so the loop runs in vector lanes; for
    /// `f64` libm's. Derivative: 1 - tanh²(x), from the output.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f32], &[1]).tanh().item(), 0.0);
    /// ```
    tanh, TanhBackward, "TanhBackward0", "d tanh(x)/dx = 1 - tanh(x)²", saves_output: true,
        |v| tanh_value(v),
        |x, y, g| g.mul(&y.mul(y).neg().add_scalar(T::one())),
        fast(y): |g, t| g * (T::one() - t * t);
}
