//! Square root: `sqrt(x)`.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// Square root elementwise (`torch.sqrt`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![9.0f32], &[1]).sqrt().item(), 3.0);
    /// ```
    pub fn sqrt(&self) -> Tensor<T> {
        record(self.data().mapv(|v| v.sqrt()), SqrtBackward, &[self])
    }
}

struct SqrtBackward;
impl<T: Element> Op<T> for SqrtBackward {
    fn name(&self) -> &'static str {
        "SqrtBackward0"
    }
    fn rule(&self) -> &'static str {
        "d sqrt(x)/dx = 1/(2 sqrt(x))"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        #[allow(unused_variables)]
        let (x, y, g) = (&c.inputs[0], c.output, c.grad);
        smallvec![Some(g.div(&y.mul_scalar(T::from_f64(2.0))))]
    }
}
