//! Exponential: `exp(x)`.

use crate::kernels::math;
use crate::ops::unary::{f32_or, unary_ops};

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
        |v| f32_or(v, math::exp_f32_fused, |v| v.exp()),
        |x, y, g| g.mul(y),
        fast(y): |g, e| g * e;
}
