//! Logistic sigmoid: `1 / (1 + exp(-x))`.

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, record_values, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// The logistic function `1/(1+e^-x)` elementwise (`torch.sigmoid`), computed stably.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f32], &[1]).sigmoid().item(), 0.5);
    /// ```
    pub fn sigmoid(&self) -> Tensor<T> {
        let f = |v: T| {
            if v >= T::zero() {
                T::one() / (T::one() + (-v).exp())
            } else {
                let e = v.exp();
                e / (T::one() + e)
            }
        };
        if let Some(x) = self.read_contiguous() {
            let out: Vec<T> = x.iter().map(|&v| f(v)).collect();
            drop(x);
            return record_values(out, &self.inner.layout.shape, SigmoidBackward, &[self]);
        }
        record(self.data().mapv(f), SigmoidBackward, &[self])
    }
}

struct SigmoidBackward;
impl<T: Element> Op<T> for SigmoidBackward {
    fn name(&self) -> &'static str {
        "SigmoidBackward0"
    }
    fn rule(&self) -> &'static str {
        "d sigmoid(x)/dx = s(1-s), s = sigmoid(x)"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        #[allow(unused_variables)]
        let (x, y, g) = (&c.inputs[0], c.output, c.grad);
        if !is_grad_enabled() {
            // ATen's sigmoid_backward: grad * (1 - y) * y, in that order.
            return smallvec![Some(crate::ops::zip_grad(g, y, |g, s| g
                * (T::one() - s)
                * s))];
        }
        smallvec![Some(g.mul(&y.neg().add_scalar(T::one())).mul(y))]
    }
}
