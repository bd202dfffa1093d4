//! Softmax over a dimension, computed stably (the maximum is subtracted first).

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, record_values, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::ops::par::for_each_chunk;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use ndarray::{ArrayD, Axis};
use smallvec::smallvec;

/// `out[lane] = f(lane of a, lane of b, out lane)` for every `d`-wide lane of row-major
/// buffers: the fast path of the softmax family over the last dimension, in parallel for
/// large tensors (each lane is computed alone, so the split changes nothing).
pub(crate) fn per_lane<T: Element>(
    a: &[T],
    b: &[T],
    d: usize,
    f: impl Fn(&[T], &[T], &mut [T]) + Sync + Send,
) -> Vec<T> {
    let mut out = vec![T::zero(); a.len()];
    for_each_chunk(&mut out, d, a.len(), |i, o| {
        let r = i * d..(i + 1) * d;
        f(&a[r.clone()], b.get(r).unwrap_or(&[]), o)
    });
    out
}

/// One lane's `x − max` (a non-finite maximum counts as 0, as in [`shifted_exp`]) written to
/// `out`, and `Σ exp(x − max)`.
#[inline]
pub(crate) fn shifted_lane<T: Element>(x: &[T], out: &mut [T]) -> T {
    let m = x
        .iter()
        .fold(T::neg_infinity(), |m, &v| if v > m { v } else { m });
    let m = if m.is_finite() { m } else { T::zero() };
    let mut sum = T::zero();
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v - m;
        sum += o.exp();
    }
    sum
}

/// Is `dim` the last dimension of a contiguous `t` (the lane fast path applies)?
pub(crate) fn lanes_of<T: Element>(t: &Tensor<T>, dim: usize) -> Option<usize> {
    (dim + 1 == t.ndim() && t.is_contiguous()).then(|| t.shape()[dim])
}

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
        if let Some(n) = lanes_of(self, d) {
            let y = per_lane(&self.read_values(), &[], n, |x, _, o| {
                let sum = shifted_lane(x, o);
                o.iter_mut().for_each(|v| *v = v.exp() / sum);
            });
            return record_values(y, &self.shape(), SoftmaxBackward { dim: d }, &[self]);
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
        if let (false, Some(n), true) =
            (is_grad_enabled(), lanes_of(y, self.dim), g.is_contiguous())
        {
            let dx = per_lane(&y.read_values(), &g.read_values(), n, |y, g, o| {
                let dot = y.iter().zip(g).fold(T::zero(), |acc, (&y, &g)| acc + g * y);
                for ((o, &y), &g) in o.iter_mut().zip(y).zip(g) {
                    *o = y * (g - dot);
                }
            });
            return smallvec![Some(Tensor::from_values(dx, &y.shape(), None, false))];
        }
        let dot = g.mul(y).sum_dim(self.dim as isize, true);
        smallvec![Some(y.mul(&g.sub(&dot)))]
    }
}
