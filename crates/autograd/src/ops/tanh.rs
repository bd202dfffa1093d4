//! Hyperbolic tangent.

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `tanh` elementwise (`torch.tanh`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f32], &[1]).tanh().item(), 0.0);
    /// ```
    pub fn tanh(&self) -> Tensor<T> {
        record(self.data().mapv(|v| v.tanh()), TanhBackward, &[self])
    }
}

struct TanhBackward;
impl<T: Element> Op<T> for TanhBackward {
    fn name(&self) -> &'static str {
        "TanhBackward0"
    }
    fn rule(&self) -> &'static str {
        "d tanh(x)/dx = 1 - tanh(x)²"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        #[allow(unused_variables)]
        let (x, y, g) = (&c.inputs[0], c.output, c.grad);
        if !is_grad_enabled() {
            return smallvec![Some(
                crate::ops::zip_grad(g, y, |g, t| g * (T::one() - t * t))
            )];
        }
        smallvec![Some(g.mul(&y.mul(y).neg().add_scalar(T::one())))]
    }
}
