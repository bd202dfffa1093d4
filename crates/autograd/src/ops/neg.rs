//! Negation: `-x`.

use crate::ops::unary::unary_ops;

unary_ops! {
    /// `-self` (`torch.neg`). Derivative: -1.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, -2.0], &[2]).neg().to_vec(), vec![-1.0, 2.0]);
    /// ```
    neg, NegBackward, "NegBackward0", "d(-x)/dx = -1", saves_output: false, saves_inputs: false,
        |v| -v,
        |x, y, g| g.mul_scalar(-T::one());
}
