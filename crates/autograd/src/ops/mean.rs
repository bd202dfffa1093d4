//! Means: of all elements, or over one dimension.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::ops::sum::{sum_axis, with_dim};
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// The mean of all elements, as a 0-d tensor (`x.mean()`); NaN for an empty tensor.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]).mean().item(), 2.0);
    /// ```
    pub fn mean(&self) -> Tensor<T> {
        let m = {
            let d = self.data();
            let s: T = crate::ops::par::sum(&d);
            s / T::from_f64(d.len() as f64)
        };
        record(ndarray::arr0(m).into_dyn(), MeanBackward, &[self])
    }

    /// The mean over dimension `dim`, keeping it as size 1 if `keepdim` (`x.mean(dim, keepdim)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(x.mean_dim(0, false).to_vec(), vec![2.0, 3.0]);
    /// ```
    pub fn mean_dim(&self, dim: isize, keepdim: bool) -> Tensor<T> {
        let d = or_panic(normalize_dim("mean", dim, &self.shape()));
        if self.ndim() == 0 {
            // PyTorch accepts dim 0 / -1 on a 0-d tensor; the result is 0-d.
            return self.unsqueeze(0).mean_dim(0, false);
        }
        let out = {
            let data = self.data();
            let n = T::from_f64(data.shape()[d] as f64);
            sum_axis(&data, d, keepdim).mapv(|v| v / n)
        };
        record(out, MeanDimBackward { dim: d, keepdim }, &[self])
    }
}

struct MeanBackward;
impl<T: Element> Op<T> for MeanBackward {
    fn name(&self) -> &'static str {
        "MeanBackward0"
    }
    fn rule(&self) -> &'static str {
        "d mean(x)/dx_i = 1/n"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let x = &c.inputs[0];
        let n = T::from_f64(x.numel() as f64);
        smallvec![Some(c.grad.div_scalar(n).broadcast_to(&x.shape()))]
    }
}

struct MeanDimBackward {
    dim: usize,
    keepdim: bool,
}
impl<T: Element> Op<T> for MeanDimBackward {
    fn name(&self) -> &'static str {
        "MeanBackward1"
    }
    fn rule(&self) -> &'static str {
        "d mean(x, dim)/dx_i = 1/n along dim"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let shape = c.inputs[0].shape();
        let n = T::from_f64(shape[self.dim] as f64);
        let g = with_dim(c.grad, self.dim, self.keepdim);
        smallvec![Some(g.div_scalar(n).broadcast_to(&shape))]
    }
}
