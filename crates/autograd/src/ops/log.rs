//! Natural logarithm: `log(x)`.

use crate::kernels::math;
use crate::ops::unary::{f32_or, unary_ops};

unary_ops! {
    /// Natural log elementwise (`torch.log`); negative inputs give NaN, zero gives -inf. For
    /// `f32` the call-free [`math::ln_f32`] (within 1 ulp, as ATen's vectorised kernel takes
    /// Sleef's `log`), so the loop runs in vector lanes; for `f64` libm's. Derivative: 1/x.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f64], &[1]).log().item(), 0.0);
    /// let y = Tensor::from_vec(vec![1.0f32, 0.0], &[2]).log();
    /// assert_eq!(y.to_vec(), [0.0, f32::NEG_INFINITY]);
    /// ```
    log, LogBackward, "LogBackward0", "d log(x)/dx = 1/x", saves_output: true,
        |v| f32_or(v, math::ln_f32, |v| v.ln()),
        |x, y, g| g.div(x),
        fast(x): |g, v| g / v;
}
