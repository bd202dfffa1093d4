//! Square root: `sqrt(x)`.

use crate::ops::unary::unary_ops;

unary_ops! {
    /// Square root elementwise (`torch.sqrt`). Derivative: 1/(2·sqrt(x)).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![9.0f32], &[1]).sqrt().item(), 3.0);
    /// ```
    sqrt, SqrtBackward, "SqrtBackward0", "d sqrt(x)/dx = 1/(2 sqrt(x))", saves_output: true,
        |v| v.sqrt(),
        |x, y, g| g.div(&y.mul_scalar(T::from_f64(2.0)));
}
