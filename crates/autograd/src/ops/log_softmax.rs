//! Log-softmax over a dimension: `x - logsumexp(x)`, computed stably.

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, record_values, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::ops::softmax::{lanes_of, per_lane, shifted_exp, shifted_lane};
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `log(softmax(x, dim))` without overflow or `log(0)` (`torch.log_softmax(x, dim)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let y = Tensor::from_vec(vec![0.0f64, 0.0], &[2]).log_softmax(0);
    /// assert!((y.to_vec()[0] - 0.5f64.ln()).abs() < 1e-15);
    /// ```
    pub fn log_softmax(&self, dim: isize) -> Tensor<T> {
        let d = or_panic(normalize_dim("log_softmax", dim, &self.shape()));
        if self.ndim() == 0 {
            return self.unsqueeze(0).log_softmax(0).squeeze(0);
        }
        if let Some(n) = lanes_of(self, d) {
            let y = per_lane(&self.read_values(), &[], n, |x, _, o| {
                let log_sum = shifted_lane(x, o).ln();
                o.iter_mut().for_each(|v| *v -= log_sum);
            });
            return record_values(y, &self.shape(), LogSoftmaxBackward { dim: d }, &[self]);
        }
        let out = {
            let (shifted, sum) = shifted_exp(&self.data(), d);
            shifted - &sum.mapv(|s| s.ln())
        };
        record(out, LogSoftmaxBackward { dim: d }, &[self])
    }
}

struct LogSoftmaxBackward {
    dim: usize,
}
impl<T: Element> Op<T> for LogSoftmaxBackward {
    fn name(&self) -> &'static str {
        "LogSoftmaxBackward0"
    }
    fn rule(&self) -> &'static str {
        "d log_softmax: dx = g - softmax(x) * sum(g, dim)"
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
                let total = g.iter().fold(T::zero(), |acc, &g| acc + g);
                for ((o, &y), &g) in o.iter_mut().zip(y).zip(g) {
                    *o = g - y.exp() * total;
                }
            });
            return smallvec![Some(Tensor::from_values(dx, &y.shape(), None, false))];
        }
        let total = g.sum_dim(self.dim as isize, true);
        smallvec![Some(g.sub(&y.exp().mul(&total)))]
    }
}
