//! Absolute value: `|x|`.

use crate::ops::unary::unary_ops;

unary_ops! {
    /// `|self|` elementwise (`torch.abs`). Derivative: sign(x), 0 at 0.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.5f32, 2.0], &[2]).abs().to_vec(), vec![1.5, 2.0]);
    /// ```
    abs, AbsBackward, "AbsBackward0", "d|x|/dx = sign(x) (0 at 0)", saves_output: true,
        |v| v.abs(),
        |x, y, g| g.mul(&crate::ops::constant_map(x, |v| {
            if v > T::zero() {
                T::one()
            } else if v < T::zero() {
                -T::one()
            } else {
                T::zero()
            }
        }));
}
