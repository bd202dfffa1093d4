//! Exponential: `exp(x)`.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `e^self` elementwise (`torch.exp`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![0.0f64], &[1]).exp().item(), 1.0);
    /// ```
    pub fn exp(&self) -> Tensor<T> {
        record(self.data().mapv(|v| v.exp()), ExpBackward, &[self])
    }
}

struct ExpBackward;
impl<T: Element> Op<T> for ExpBackward {
    fn name(&self) -> &'static str {
        "ExpBackward0"
    }
    fn rule(&self) -> &'static str {
        "d exp(x)/dx = exp(x)"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        #[allow(unused_variables)]
        let (x, y, g) = (&c.inputs[0], c.output, c.grad);
        smallvec![Some(g.mul(y))]
    }
}
