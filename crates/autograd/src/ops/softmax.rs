//! Softmax over a dimension, computed stably (the maximum is subtracted first).

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use ndarray::{ArrayD, Axis};
use smallvec::smallvec;

/// `x - max(x, dim)` per lane, and the lanes' `sum(exp(..))`: the stable core of softmax and
/// log-softmax.
pub(crate) fn shifted_exp<T: Element>(
    x: &ndarray::ArrayViewD<T>,
    dim: usize,
) -> (ArrayD<T>, ArrayD<T>) {
    let max = x.fold_axis(
        Axis(dim),
        T::neg_infinity(),
        |&m, &v| if v > m { v } else { m },
    );
    let max = max.mapv(|m| if m.is_finite() { m } else { T::zero() });
    let shifted = x - &max.insert_axis(Axis(dim));
    let sum = shifted.mapv(|v| v.exp()).sum_axis(Axis(dim));
    (shifted, sum.insert_axis(Axis(dim)))
}

impl<T: Element> Tensor<T> {
    /// `exp(x) / sum(exp(x))` along `dim` (`torch.softmax(x, dim)`), stable for large logits.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let p = Tensor::from_vec(vec![1000.0f32, 1000.0], &[2]).softmax(-1);
    /// assert_eq!(p.to_vec(), vec![0.5, 0.5]);
    /// ```
    pub fn softmax(&self, dim: isize) -> Tensor<T> {
        let d = or_panic(normalize_dim("softmax", dim, &self.shape()));
        if self.ndim() == 0 {
            return self.unsqueeze(0).softmax(0).squeeze(0);
        }
        let out = {
            let (shifted, sum) = shifted_exp(&self.data(), d);
            shifted.mapv(|v| v.exp()) / &sum
        };
        record(out, SoftmaxBackward { dim: d }, &[self])
    }
}

struct SoftmaxBackward {
    dim: usize,
}
impl<T: Element> Op<T> for SoftmaxBackward {
    fn name(&self) -> &'static str {
        "SoftmaxBackward0"
    }
    fn rule(&self) -> &'static str {
        "d softmax: dx = y * (g - sum(g * y, dim)), y = softmax(x)"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (y, g) = (c.output, c.grad);
        let dot = g.mul(y).sum_dim(self.dim as isize, true);
        smallvec![Some(y.mul(&g.sub(&dot)))]
    }
}
