//! Natural logarithm: `log(x)`.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// Natural log elementwise (`torch.log`); negative inputs give NaN, zero gives -inf.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![1.0f64], &[1]).log().item(), 0.0);
    /// ```
    pub fn log(&self) -> Tensor<T> {
        record(self.data().mapv(|v| v.ln()), LogBackward, &[self])
    }
}

struct LogBackward;
impl<T: Element> Op<T> for LogBackward {
    fn name(&self) -> &'static str {
        "LogBackward0"
    }
    fn rule(&self) -> &'static str {
        "d log(x)/dx = 1/x"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        #[allow(unused_variables)]
        let (x, y, g) = (&c.inputs[0], c.output, c.grad);
        smallvec![Some(g.div(x))]
    }
}
