//! Natural logarithm: `log(x)`.

use crate::ops::unary::unary_ops;

unary_ops! {
    /// Natural log elementwise (`torch.log`); negative inputs give NaN, zero gives -inf.
    /// Derivative: 1/x.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f64], &[1]).log().item(), 0.0);
    /// ```
    log, LogBackward, "LogBackward0", "d log(x)/dx = 1/x", saves_output: true,
        |v| v.ln(),
        |x, y, g| g.div(x);
}
