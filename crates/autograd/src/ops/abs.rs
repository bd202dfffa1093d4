//! Absolute value: `|x|`.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `|self|` elementwise (`torch.abs`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.5f32, 2.0], &[2]).abs().to_vec(), vec![1.5, 2.0]);
    /// ```
    pub fn abs(&self) -> Tensor<T> {
        record(self.data().mapv(|v| v.abs()), AbsBackward, &[self])
    }
}

struct AbsBackward;
impl<T: Element> Op<T> for AbsBackward {
    fn name(&self) -> &'static str {
        "AbsBackward0"
    }
    fn rule(&self) -> &'static str {
        "d|x|/dx = sign(x) (0 at 0)"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        #[allow(unused_variables)]
        let (x, y, g) = (&c.inputs[0], c.output, c.grad);
        smallvec![Some(g.mul(&crate::ops::constant_map(x, |v| {
            if v > T::zero() {
                T::one()
            } else if v < T::zero() {
                -T::one()
            } else {
                T::zero()
            }
        })))]
    }
}
