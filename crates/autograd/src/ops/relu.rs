//! Rectified linear unit: `max(x, 0)`.

use crate::ops::unary::unary_ops;

unary_ops! {
    /// `max(self, 0)` elementwise (`torch.relu`). Derivative: 1 where x > 0, else 0.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).relu().to_vec(), vec![0.0, 2.0]);
    /// ```
    relu, ReluBackward, "ReluBackward0", "d relu(x)/dx = 1 if x > 0 else 0", saves_output: true,
        |v| if v < T::zero() { T::zero() } else { v },
        |x, y, g| g.mul(&crate::ops::constant_map(x, |v| {
            if v > T::zero() { T::one() } else { T::zero() }
        })),
        fast(x): |g, v| if v > T::zero() { g } else { T::zero() };
}
