//! Maximum and minimum over a dimension with where they are (`x.max(dim)`, `x.min(dim)`),
//! and `argmax`/`argmin`. NaN counts as larger (for `max`) and smaller (for `min`) than every
//! number, so it propagates, as in PyTorch; the first extreme wins ties.

use crate::element::{Element, Scalar};
use crate::graph::renamed;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use ndarray::{ArrayD, Axis, IxDyn};
use smallvec::smallvec;

/// Does `x` beat the current extreme `best` (NaN beats everything but NaN)?
fn beats<T: Scalar>(x: T, best: T, largest: bool) -> bool {
    if best.is_nan_value() {
        return false;
    }
    x.is_nan_value() || if largest { x > best } else { x < best }
}

impl<T: Scalar> Tensor<T> {
    /// The extreme over `dim` and the index of its first occurrence (one lane at a time).
    fn extreme_dim(
        &self,
        op: &'static str,
        dim: isize,
        keepdim: bool,
        largest: bool,
    ) -> (ArrayD<T>, Tensor<i64>) {
        let d = or_panic(normalize_dim(op, dim, &self.shape()));
        let data = if self.ndim() == 0 {
            // PyTorch accepts dim 0 / -1 on a 0-d tensor; the result is 0-d.
            self.data().to_owned().insert_axis(Axis(0))
        } else {
            self.data().to_owned()
        };
        assert!(
            data.shape()[d] > 0,
            "{op}(): Expected reduction dim {d} to have non-zero size (shape {:?})",
            data.shape()
        );
        // Lanes are visited in row-major order of the remaining dimensions.
        let (mut idx, mut vals) = (Vec::new(), Vec::new());
        for lane in data.lanes(Axis(d)) {
            let (mut bi, mut bv) = (0, lane[0]);
            for (i, &x) in lane.iter().enumerate() {
                if beats(x, bv, largest) {
                    bi = i;
                    bv = x;
                }
            }
            idx.push(bi as i64);
            vals.push(bv);
        }
        let mut reduced: Vec<usize> = data.shape().to_vec();
        reduced.remove(d);
        let v = ArrayD::from_shape_vec(IxDyn(&reduced), vals).expect("one value per lane");
        let i = Tensor::from_vec(idx, &reduced);
        if keepdim && self.ndim() > 0 {
            (v.insert_axis(Axis(d)), i.unsqueeze(d as isize))
        } else {
            (v, i)
        }
    }

    /// The maximum over `dim` and where it is (`values, indices = x.max(dim, keepdim)`); the
    /// first maximum wins ties. Derivative: the gradient goes to that position alone.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
    /// let (v, i) = x.max_dim(1, false);
    /// assert_eq!((v.to_vec(), i.to_vec()), (vec![5.0, 4.0], vec![1, 1]));
    /// ```
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> (Tensor<T>, Tensor<i64>) {
        self.select_extreme("max", dim, keepdim, true)
    }

    /// The minimum over `dim` and where it is (`x.min(dim, keepdim)`). Derivative as
    /// [`Tensor::max_dim`].
    pub fn min_dim(&self, dim: isize, keepdim: bool) -> (Tensor<T>, Tensor<i64>) {
        self.select_extreme("min", dim, keepdim, false)
    }

    fn select_extreme(
        &self,
        op: &'static str,
        dim: isize,
        keepdim: bool,
        largest: bool,
    ) -> (Tensor<T>, Tensor<i64>) {
        let (values, indices) = self.extreme_dim(op, dim, keepdim, largest);
        let d = or_panic(normalize_dim(op, dim, &self.shape()));
        let out = record(
            values,
            ExtremeBackward {
                name: if largest {
                    "MaxBackward0"
                } else {
                    "MinBackward0"
                },
                dim: d,
                keepdim,
                indices: indices.clone(),
            },
            &[self],
        );
        (out, indices)
    }

    /// The index of the largest element (`torch.argmax`): over the flattened tensor as a 0-d
    /// tensor when `dim` is `None`, else along `dim`. The first maximum wins ties.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, 7.0, 4.0], &[2, 2]);
    /// assert_eq!(x.argmax(None, false).item(), 2);
    /// assert_eq!(x.argmax(Some(1), false).to_vec(), vec![1, 0]);
    /// ```
    pub fn argmax(&self, dim: Option<isize>, keepdim: bool) -> Tensor<i64> {
        self.arg_extreme("argmax", dim, keepdim, true)
    }

    /// The index of the smallest element (`torch.argmin`), as [`Tensor::argmax`].
    pub fn argmin(&self, dim: Option<isize>, keepdim: bool) -> Tensor<i64> {
        self.arg_extreme("argmin", dim, keepdim, false)
    }

    fn arg_extreme(
        &self,
        op: &'static str,
        dim: Option<isize>,
        keepdim: bool,
        largest: bool,
    ) -> Tensor<i64> {
        match dim {
            Some(d) => self.extreme_dim(op, d, keepdim, largest).1,
            None => {
                let i = self.reshape(&[-1]).extreme_dim(op, 0, false, largest).1;
                if keepdim {
                    i.reshape(&vec![1; self.ndim()])
                } else {
                    i
                }
            }
        }
    }
}

impl<T: Element> Tensor<T> {
    /// The largest element, as a 0-d tensor (`x.max()`); tied maxima share the gradient
    /// evenly, as PyTorch.
    pub fn max(&self) -> Tensor<T> {
        renamed(self.amax(&[], false), "MaxBackward1")
    }
}

struct ExtremeBackward {
    name: &'static str,
    dim: usize,
    keepdim: bool,
    indices: Tensor<i64>,
}
impl<T: Scalar> Op<T> for ExtremeBackward {
    fn name(&self) -> &'static str {
        self.name
    }
    fn rule(&self) -> &'static str {
        "d max(x, dim)/dx_i = 1 at the position of the maximum, 0 elsewhere"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T>
    where
        T: Element,
    {
        let shape = c.inputs[0].shape();
        if shape.is_empty() {
            return smallvec![Some(c.grad.clone())];
        }
        let d = self.dim as isize;
        let (g, i) = if self.keepdim {
            (c.grad.clone(), self.indices.clone())
        } else {
            (c.grad.unsqueeze(d), self.indices.unsqueeze(d))
        };
        smallvec![Some(Tensor::zeros(&shape).scatter(d, &i, &g))]
    }
}
