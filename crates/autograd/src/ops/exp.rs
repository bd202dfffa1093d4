//! Exponential: `exp(x)`.

use crate::ops::unary::unary_ops;

unary_ops! {
    /// `e^self` elementwise (`torch.exp`). Derivative: exp(x), the output.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).exp().item(), 1.0);
    /// ```
    exp, ExpBackward, "ExpBackward0", "d exp(x)/dx = exp(x)", saves_output: true,
        |v| v.exp(),
        |x, y, g| g.mul(y);
}
