//! Elementwise division with broadcasting: `a / b`.

use crate::element::Element;
use crate::error::Result;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::{broadcast_binary, or_panic};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `self / other` elementwise with broadcasting (`torch.div`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
    /// assert_eq!(a.div(&Tensor::scalar(2.0)).to_vec(), vec![0.5, 1.5]);
    /// ```
    pub fn div(&self, other: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_div(other))
    }

    /// Fallible [`Tensor::div`].
    pub fn try_div(&self, other: &Tensor<T>) -> Result<Tensor<T>> {
        let out = broadcast_binary("div", self, other, |a, b| {
            crate::ops::par::zip_map(a, b, |x, y| x / y, |a, b| a / b)
        })?;
        Ok(record(out, DivBackward, &[self, other]))
    }
}

struct DivBackward;
impl<T: Element> Op<T> for DivBackward {
    fn name(&self) -> &'static str {
        "DivBackward0"
    }
    fn rule(&self) -> &'static str {
        "d(a/b)/da = 1/b, d(a/b)/db = -a/b²"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (a, b, g) = (&c.inputs[0], &c.inputs[1], c.grad);
        smallvec![
            c.needs_grad(0).then(|| g.div(b).sum_to(&a.shape())),
            c.needs_grad(1)
                .then(|| g.mul(a).div(&b.mul(b)).neg().sum_to(&b.shape())),
        ]
    }
}
