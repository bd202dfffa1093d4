//! Addition and subtraction with broadcasting: `a + b` and `a - b`, one backward for both (as
//! in PyTorch, where `sub(a, b)` is `add(a, b, alpha=-1)`).

use crate::element::Element;
use crate::error::Result;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::{broadcast_binary, or_panic};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `self + other` with broadcasting (`torch.add`); panics if the shapes don't broadcast.
    /// Derivative: 1 to each operand (summed over its broadcast dimensions).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let b = Tensor::from_vec(vec![10.0f32, 20.0], &[2]);
    /// assert_eq!(a.add(&b).to_vec(), vec![11.0, 22.0, 13.0, 24.0]);
    /// ```
    pub fn add(&self, other: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_add(other))
    }

    /// Fallible [`Tensor::add`].
    pub fn try_add(&self, other: &Tensor<T>) -> Result<Tensor<T>> {
        let out = broadcast_binary("add", self, other, |a, b| {
            crate::ops::par::zip_map(a, b, |x, y| x + y, |a, b| a + b)
        })?;
        Ok(record(out, AddBackward { sub: false }, &[self, other]))
    }

    /// `self - other` with broadcasting (`torch.sub`); panics if the shapes don't broadcast.
    /// Derivative: 1 to `self`, -1 to `other` (summed over the broadcast dimensions).
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
        Ok(record(out, AddBackward { sub: true }, &[self, other]))
    }
}

/// The backward of `a + b` (`sub: false`) and `a - b` (`sub: true`).
struct AddBackward {
    sub: bool,
}
impl<T: Element> Op<T> for AddBackward {
    fn name(&self) -> &'static str {
        if self.sub {
            "SubBackward0"
        } else {
            "AddBackward0"
        }
    }
    fn rule(&self) -> &'static str {
        if self.sub {
            "d(a-b)/da = 1, d(a-b)/db = -1"
        } else {
            "d(a+b)/da = 1, d(a+b)/db = 1"
        }
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let g = c.grad;
        let to_b = || {
            let b = c.inputs[1].shape();
            if self.sub {
                g.neg().sum_to(&b)
            } else {
                g.sum_to(&b)
            }
        };
        smallvec![
            c.needs_grad(0).then(|| g.sum_to(&c.inputs[0].shape())),
            c.needs_grad(1).then(to_b),
        ]
    }
}
