//! Power with a scalar exponent: `x^p`.

use crate::element::{DType, Element};
use crate::graph::{record_values, BackwardCtx, InputGrads, Op};
use crate::kernels::math;
use crate::ops::par;
use crate::ops::unary::f32_or;
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `self^exponent` elementwise (`torch.pow(x, p)` / `x ** p` with a Python number `p`,
    /// integer or float). As ATen, the exponents 2, 3, 0.5, -0.5, -1 and -2 are computed as
    /// `x·x`, `x·x·x`, `√x`, `1/√x`, `1/x` and `1/(x·x)`, so the values are PyTorch's bit for
    /// bit; other exponents of `f32` values are correctly rounded but next to halfway cases
    /// ([`math::pow_positive_f32`], in vector lanes), where ATen's Sleef `powf` is within 1
    /// ulp. Derivative: `p·x^(p-1)`.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![3.0f32], &[1]).pow(2.0).item(), 9.0);
    /// assert_eq!(Tensor::from_vec(vec![3.0f32], &[1]).pow(3).item(), 27.0);
    /// ```
    pub fn pow(&self, exponent: impl Into<f64>) -> Tensor<T> {
        let exponent = exponent.into();
        let src = self.read_values();
        let out = match exponent {
            2.0 => par::map_values(&src, |v| v * v),
            3.0 => par::map_values(&src, |v| v * v * v),
            0.5 => par::map_values(&src, |v| v.sqrt()),
            -0.5 => par::map_values(&src, |v| v.sqrt().recip()),
            -1.0 => par::map_values(&src, |v| v.recip()),
            -2.0 => par::map_values(&src, |v| (v * v).recip()),
            _ => pow_values(&src, exponent),
        };
        drop(src);
        record_values(
            out,
            &self.inner.layout.shape,
            PowBackward { exponent },
            &[self],
        )
    }
}

/// `v^p` for every value: for `f32` by [`math::pow_positive_f32`] in vector lanes, then, if
/// there are any, a second pass for negative bases (`(−x)^p = x^p·(−1)^p` for an integer `p`,
/// NaN for another) and for ±0, ±inf and NaN (libm's `powf`, whose special values are C's and
/// PyTorch's); for other types, and for an infinite or NaN exponent, libm's `powf`.
fn pow_values<T: Element>(src: &[T], p: f64) -> Vec<T> {
    let libm = |v: T| v.powf(T::from_f64(p));
    // A NaN or infinite exponent (C's `powf` gives 1 for 1^p whatever p, and for (−1)^±inf):
    // libm's throughout.
    if T::DTYPE != DType::F32 || !p.is_finite() {
        return par::map_values(src, libm);
    }
    let mut out = par::map_values(src, |v| f32_or(v, |v| math::pow_positive_f32(v, p), libm));
    let negative_factor = match (p.fract() == 0.0, p % 2.0 == 0.0) {
        (false, _) => T::from_f64(f64::NAN),
        (true, true) => T::one(),
        (true, false) => -T::one(),
    };
    // ±0, ±inf or NaN, in a form that vectorises.
    let special = |v: T| {
        let a = v.as_f64().abs();
        !(a > 0.0 && a < f64::INFINITY)
    };
    if negative_factor != T::one() && src.iter().fold(false, |any, &v| any | (v < T::zero())) {
        for (o, &v) in out.iter_mut().zip(src) {
            *o = if v < T::zero() {
                *o * negative_factor
            } else {
                *o
            };
        }
    }
    if src.iter().fold(false, |any, &v| any | special(v)) {
        for (o, &v) in out.iter_mut().zip(src) {
            if special(v) {
                *o = libm(v);
            }
        }
    }
    out
}

struct PowBackward {
    exponent: f64,
}
impl<T: Element> Op<T> for PowBackward {
    fn name(&self) -> &'static str {
        "PowBackward0"
    }
    fn rule(&self) -> &'static str {
        "d(x^p)/dx = p·x^(p-1)"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (x, g) = (&c.inputs[0], c.grad);
        let p = self.exponent;
        if p == 0.0 {
            return smallvec![Some(g.zeros_like())];
        }
        let dx = if p == 2.0 {
            x.mul_scalar(T::from_f64(2.0))
        } else {
            x.pow(p - 1.0).mul_scalar(T::from_f64(p))
        };
        smallvec![Some(g.mul(&dx))]
    }
}
