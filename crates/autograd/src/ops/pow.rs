//! Power with a scalar exponent: `x^p`.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `self^exponent` elementwise (`torch.pow(x, p)` / `x ** p` with a Python number `p`,
    /// integer or float). As ATen, the exponents 2, 3, 0.5 and -1 are computed as `x·x`,
    /// `x·x·x`, `√x` and `1/x`, so the values are PyTorch's bit for bit.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![3.0f32], &[1]).pow(2.0).item(), 9.0);
    /// assert_eq!(Tensor::from_vec(vec![3.0f32], &[1]).pow(3).item(), 27.0);
    /// ```
    pub fn pow(&self, exponent: impl Into<f64>) -> Tensor<T> {
        let exponent = exponent.into();
        let p = T::from_f64(exponent);
        let out = match exponent {
            2.0 => self.data().mapv(|v| v * v),
            3.0 => self.data().mapv(|v| v * v * v),
            0.5 => self.data().mapv(|v| v.sqrt()),
            -1.0 => self.data().mapv(|v| v.recip()),
            _ => self.data().mapv(|v| v.powf(p)),
        };
        record(out, PowBackward { exponent }, &[self])
    }
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
