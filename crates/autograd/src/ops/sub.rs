//! Subtraction with broadcasting: `a - b`.

use crate::element::Element;
use crate::error::Result;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::{broadcast_binary, or_panic};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `self - other` with broadcasting (`torch.sub`); panics if the shapes don't broadcast.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let a = Tensor::from_vec(vec![5.0f32, 7.0], &[2]);
    /// assert_eq!(a.sub(&Tensor::scalar(1.0)).to_vec(), vec![4.0, 6.0]);
    /// ```
    pub fn sub(&self, other: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_sub(other))
    }

    /// Fallible [`Tensor::sub`].
    pub fn try_sub(&self, other: &Tensor<T>) -> Result<Tensor<T>> {
        let out = broadcast_binary("sub", self, other, |a, b| {
            crate::ops::par::zip_map(a, b, |x, y| x - y, |a, b| a - b)
        })?;
        Ok(record(out, SubBackward, &[self, other]))
    }
}

struct SubBackward;
impl<T: Element> Op<T> for SubBackward {
    fn name(&self) -> &'static str {
        "SubBackward0"
    }
    fn rule(&self) -> &'static str {
        "d(a-b)/da = 1, d(a-b)/db = -1"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let g = c.grad;
        smallvec![
            c.needs_grad(0).then(|| g.sum_to(&c.inputs[0].shape())),
            c.needs_grad(1)
                .then(|| g.neg().sum_to(&c.inputs[1].shape())),
        ]
    }
}
