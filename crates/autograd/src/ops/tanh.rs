//! Hyperbolic tangent.

use crate::ops::unary::unary_ops;

unary_ops! {
    /// `tanh` elementwise (`torch.tanh`). Derivative: 1 - tanh²(x), from the output.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f32], &[1]).tanh().item(), 0.0);
    /// ```
    tanh, TanhBackward, "TanhBackward0", "d tanh(x)/dx = 1 - tanh(x)²", saves_output: true,
        |v| v.tanh(),
        |x, y, g| g.mul(&y.mul(y).neg().add_scalar(T::one())),
        fast(y): |g, t| g * (T::one() - t * t);
}
