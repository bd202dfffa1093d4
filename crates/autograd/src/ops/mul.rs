//! Elementwise multiplication with broadcasting: `a * b`.

use crate::element::Element;
use crate::error::Result;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::{broadcast_binary, or_panic};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `self * other` elementwise with broadcasting (`torch.mul`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// assert_eq!(a.mul(&a).to_vec(), vec![1.0, 4.0]);
    /// ```
    pub fn mul(&self, other: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_mul(other))
    }

    /// Fallible [`Tensor::mul`].
    pub fn try_mul(&self, other: &Tensor<T>) -> Result<Tensor<T>> {
        let out = broadcast_binary("mul", self, other, |a, b| {
            crate::ops::par::zip_map(a, b, |x, y| x * y, |a, b| a * b)
        })?;
        Ok(record(out, MulBackward, &[self, other]))
    }
}

struct MulBackward;
impl<T: Element> Op<T> for MulBackward {
    fn name(&self) -> &'static str {
        "MulBackward0"
    }
    fn rule(&self) -> &'static str {
        "d(a*b)/da = b, d(a*b)/db = a"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (a, b, g) = (&c.inputs[0], &c.inputs[1], c.grad);
        smallvec![
            c.needs_grad(0).then(|| g.mul(b).sum_to(&a.shape())),
            c.needs_grad(1).then(|| g.mul(a).sum_to(&b.shape())),
        ]
    }
}
