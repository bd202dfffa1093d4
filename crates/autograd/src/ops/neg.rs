//! Negation: `-x`.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `-self` (`torch.neg`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f32, -2.0], &[2]).neg().to_vec(), vec![-1.0, 2.0]);
    /// ```
    pub fn neg(&self) -> Tensor<T> {
        record(self.data().mapv(|v| -v), NegBackward, &[self])
    }
}

struct NegBackward;
impl<T: Element> Op<T> for NegBackward {
    fn name(&self) -> &'static str {
        "NegBackward0"
    }
    fn rule(&self) -> &'static str {
        "d(-x)/dx = -1"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        #[allow(unused_variables)]
        let (x, y, g) = (&c.inputs[0], c.output, c.grad);
        smallvec![Some(g.mul_scalar(-T::one()))]
    }
}
