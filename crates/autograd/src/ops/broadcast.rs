//! `broadcast_to` (PyTorch's `expand`) and its adjoint `sum_to` (reduce a broadcast gradient
//! back to an input's shape). Each is the other's backward.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;
use crate::TensorError;
use ndarray::{Axis, IxDyn};
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// Repeats size-1 dimensions (and prepends new ones) to reach `shape` (`x.expand(shape)`;
    /// here the result owns its values).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]);
    /// assert_eq!(x.broadcast_to(&[2, 3]).to_vec(), vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    /// ```
    pub fn broadcast_to(&self, shape: &[usize]) -> Tensor<T> {
        if self.shape().as_slice() == shape {
            return self.clone();
        }
        let out = {
            let d = self.data();
            let ok = broadcast_shapes("broadcast_to", d.shape(), shape)
                .map(|s| s.as_slice() == shape)
                .unwrap_or(false);
            if !ok {
                or_panic::<()>(Err(TensorError::Invalid(format!(
                    "broadcast_to: the expanded size of the tensor must match the existing size \
                     at non-singleton dimensions: cannot expand shape {:?} to {shape:?}",
                    d.shape()
                ))));
            }
            d.broadcast(IxDyn(shape)).expect("checked").to_owned()
        };
        record(out, ExpandBackward, &[self])
    }

    /// Sums a tensor down to `shape`, the shape it was broadcast from: the gradient of a
    /// broadcast input (`grad.sum_to_size(shape)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let g = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(g.sum_to(&[3]).to_vec(), vec![5.0, 7.0, 9.0]);
    /// assert_eq!(g.sum_to(&[2, 1]).to_vec(), vec![6.0, 15.0]);
    /// ```
    pub fn sum_to(&self, shape: &[usize]) -> Tensor<T> {
        if self.shape().as_slice() == shape {
            return self.clone();
        }
        let out = {
            let d = self.data();
            let extra = d.ndim() - shape.len();
            let mut a = d.to_owned();
            for _ in 0..extra {
                a = a.sum_axis(Axis(0));
            }
            for (i, &s) in shape.iter().enumerate() {
                if s == 1 && a.shape()[i] != 1 {
                    a = a.sum_axis(Axis(i)).insert_axis(Axis(i));
                }
            }
            a
        };
        record(out, SumToBackward, &[self])
    }
}

struct ExpandBackward;
impl<T: Element> Op<T> for ExpandBackward {
    fn name(&self) -> &'static str {
        "ExpandBackward0"
    }
    fn rule(&self) -> &'static str {
        "d expand(x)/dx: sum the gradient over the broadcast dimensions"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        smallvec![Some(c.grad.sum_to(&c.inputs[0].shape()))]
    }
}

struct SumToBackward;
impl<T: Element> Op<T> for SumToBackward {
    fn name(&self) -> &'static str {
        "SumToSizeBackward0"
    }
    fn rule(&self) -> &'static str {
        "d sum_to(x)/dx: broadcast the gradient back to x's shape"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        smallvec![Some(c.grad.broadcast_to(&c.inputs[0].shape()))]
    }
}
