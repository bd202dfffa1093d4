//! Natural logarithm: `log(x)`.

use crate::element::{DType, Element};
use crate::kernels::math;
use crate::ops::unary::unary_ops;

/// ln v as [`Tensor::log`] computes it: for `f32` the call-free [`math::ln_f32`] (within 1
/// ulp), for `f64` libm's.
#[inline(always)]
fn ln_value<T: Element>(v: T) -> T {
    match T::DTYPE {
        DType::F32 => T::from_f64(math::ln_f32(v.as_f64() as f32) as f64),
        _ => v.ln(),
    }
}

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
        |v| ln_value(v),
        |x, y, g| g.div(x);
}
