//! Sums: of all elements, or over one dimension.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use ndarray::{ArrayD, ArrayViewD, Axis};
use smallvec::smallvec;

/// The sums of `x` along axis `d`, keeping it as size 1 if `keepdim`: the forward of
/// `sum_dim`, and of `mean_dim` before the division.
pub(crate) fn sum_axis<T: Element>(x: &ArrayViewD<'_, T>, d: usize, keepdim: bool) -> ArrayD<T> {
    let s = x.sum_axis(Axis(d));
    if keepdim {
        s.insert_axis(Axis(d))
    } else {
        s
    }
}

/// The gradient `g` of a reduction along `dim` with the dimension back (as size 1) if the
/// reduction dropped it (`keepdim` false), ready to broadcast over the input.
pub(crate) fn with_dim<T: Element>(g: &Tensor<T>, dim: usize, keepdim: bool) -> Tensor<T> {
    if keepdim {
        g.clone()
    } else {
        g.unsqueeze(dim as isize)
    }
}

impl<T: Element> Tensor<T> {
    /// The sum of all elements, as a 0-d tensor (`x.sum()`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).sum().item(), 6.0);
    /// ```
    pub fn sum(&self) -> Tensor<T> {
        let s: T = crate::ops::par::sum(&self.data());
        record(ndarray::arr0(s).into_dyn(), SumBackward, &[self])
    }

    /// The sum over dimension `dim` (negative counts from the end), keeping it as size 1 if
    /// `keepdim` (`x.sum(dim, keepdim)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(x.sum_dim(1, false).to_vec(), vec![3.0, 7.0]);
    /// assert_eq!(x.sum_dim(0, true).shape().as_slice(), &[1, 2]);
    /// ```
    pub fn sum_dim(&self, dim: isize, keepdim: bool) -> Tensor<T> {
        let d = or_panic(normalize_dim("sum", dim, &self.shape()));
        if self.ndim() == 0 {
            // PyTorch accepts dim 0 / -1 on a 0-d tensor; the result is 0-d.
            return self.unsqueeze(0).sum_dim(0, false);
        }
        let out = sum_axis(&self.data(), d, keepdim);
        record(out, SumDimBackward { dim: d, keepdim }, &[self])
    }
}

struct SumBackward;
impl<T: Element> Op<T> for SumBackward {
    fn name(&self) -> &'static str {
        "SumBackward0"
    }
    fn rule(&self) -> &'static str {
        "d sum(x)/dx_i = 1: the gradient is copied to every element"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        smallvec![Some(c.grad.broadcast_to(&c.inputs[0].shape()))]
    }
}

pub(crate) struct SumDimBackward {
    pub(crate) dim: usize,
    pub(crate) keepdim: bool,
}
impl<T: Element> Op<T> for SumDimBackward {
    fn name(&self) -> &'static str {
        "SumBackward1"
    }
    fn rule(&self) -> &'static str {
        "d sum(x, dim)/dx_i = 1: the gradient is copied along dim"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let g = with_dim(c.grad, self.dim, self.keepdim);
        smallvec![Some(g.broadcast_to(&c.inputs[0].shape()))]
    }
}
