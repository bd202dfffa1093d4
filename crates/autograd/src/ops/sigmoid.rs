//! Logistic sigmoid: `1 / (1 + exp(-x))`.

use crate::element::{DType, Element};
use crate::kernels::math;
use crate::ops::unary::unary_ops;

/// σ(v) as [`Tensor::sigmoid`] and [`Tensor::sigmoid_`] compute it: for `f32` the call-free
/// [`math::sigmoid_f32`], for `f64` libm's `exp` in the form that cannot overflow.
#[inline(always)]
pub(crate) fn sigmoid_value<T: Element>(v: T) -> T {
    match T::DTYPE {
        DType::F32 => T::from_f64(math::sigmoid_f32(v.as_f64() as f32) as f64),
        _ if v >= T::zero() => T::one() / (T::one() + (-v).exp()),
        _ => {
            let e = v.exp();
            e / (T::one() + e)
        }
    }
}

unary_ops! {
    /// The logistic function `1/(1+e^-x)` elementwise (`torch.sigmoid`). For `f32` the
    /// call-free [`math::sigmoid_f32`] (within 3 ulp; ATen's vectorised kernel takes Sleef's
    /// `exp` likewise), so the loop runs in vector lanes; for `f64` libm's `exp`, in the form
    /// that cannot overflow. Derivative: s(1 - s), s = sigmoid(x), from the output.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f32], &[1]).sigmoid().item(), 0.5);
    /// ```
    sigmoid, SigmoidBackward, "SigmoidBackward0", "d sigmoid(x)/dx = s(1-s), s = sigmoid(x)",
        saves_output: true,
        |v| sigmoid_value(v),
        |x, y, g| g.mul(&y.neg().add_scalar(T::one())).mul(y),
        // ATen's sigmoid_backward: grad * (1 - y) * y, in that order.
        fast(y): |g, s| g * (T::one() - s) * s;
}
