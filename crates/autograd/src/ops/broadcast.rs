//! `broadcast_to` (PyTorch's `expand`) and its adjoint `sum_to` (reduce a broadcast gradient
//! back to an input's shape). Each is the other's backward.

use crate::element::{Element, Scalar};
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::ops::view::ViewKind;
use crate::shape::broadcast_shapes;
use crate::shape::Shape;
use crate::tensor::Tensor;
use crate::TensorError;
use ndarray::Axis;
use smallvec::smallvec;

impl<T: Scalar> Tensor<T> {
    /// Repeats size-1 dimensions (and prepends new ones) to reach `shape` (`x.expand(shape)`,
    /// `torch.broadcast_to`): a view with stride 0 along the repeated dimensions, so it reads
    /// but cannot be written.
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
        let from = self.shape();
        let ok = broadcast_shapes("broadcast_to", &from, shape)
            .map(|s| s.as_slice() == shape)
            .unwrap_or(false);
        if !ok {
            or_panic::<()>(Err(TensorError::Invalid(format!(
                "broadcast_to: the expanded size of the tensor must match the existing size at \
                 non-singleton dimensions: cannot expand shape {:?} to {shape:?}",
                from.as_slice()
            ))));
        }
        self.view_of(ViewKind::Expand(Shape::from_slice(shape)))
            .expect("expand is always a view")
    }

    /// [`Tensor::broadcast_to`] where `-1` keeps a dimension's size (`x.expand(*sizes)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]);
    /// assert_eq!(x.expand(&[-1, 3]).shape().as_slice(), &[2, 3]);
    /// ```
    pub fn expand(&self, sizes: &[isize]) -> Tensor<T> {
        let shape = self.shape();
        let extra = sizes.len().saturating_sub(shape.len());
        let target: Vec<usize> = sizes
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                if s == -1 && i >= extra {
                    shape[i - extra]
                } else {
                    assert!(
                        s >= 0,
                        "expand: the expanded size of the tensor (-1) isn't allowed in a leading, \
                         non-existing dimension {i} (sizes {sizes:?}, shape {:?})",
                        shape.as_slice()
                    );
                    s as usize
                }
            })
            .collect();
        self.broadcast_to(&target)
    }
}

impl<T: Element> Tensor<T> {
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
        // `shape` must broadcast to this tensor's shape (it is the shape this one came from).
        let own = self.shape();
        let fits = shape.len() <= own.len()
            && shape
                .iter()
                .zip(&own[own.len() - shape.len()..])
                .all(|(&s, &o)| s == o || s == 1);
        assert!(
            fits,
            "sum_to_size: size {{{}}} is not expandable to size {{{}}}: the target shape must \
             broadcast to the tensor's shape {:?}",
            shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            own.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            own.as_slice()
        );
        let out = {
            let d = self.data();
            let extra = d.ndim() - shape.len();
            // The first sum reads a row-major gradient in place (a copy would have the same
            // layout, hence the same sums); a strided one is copied first, as before.
            let (mut a, summed) = if extra > 0 && d.is_standard_layout() {
                (d.sum_axis(Axis(0)), 1)
            } else {
                (d.to_owned(), 0)
            };
            for _ in summed..extra {
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
