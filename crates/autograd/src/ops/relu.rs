//! Rectified linear unit: `max(x, 0)`.

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `max(self, 0)` elementwise (`torch.relu`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::from_vec(vec![-1.0f32, 2.0], &[2]).relu().to_vec(), vec![0.0, 2.0]);
    /// ```
    pub fn relu(&self) -> Tensor<T> {
        let z = T::zero();
        record(
            self.data().mapv(|v| if v < z { z } else { v }),
            ReluBackward,
            &[self],
        )
    }
}

struct ReluBackward;
impl<T: Element> Op<T> for ReluBackward {
    fn name(&self) -> &'static str {
        "ReluBackward0"
    }
    fn rule(&self) -> &'static str {
        "d relu(x)/dx = 1 if x > 0 else 0"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        #[allow(unused_variables)]
        let (x, y, g) = (&c.inputs[0], c.output, c.grad);
        if !is_grad_enabled() {
            return smallvec![Some(crate::ops::zip_grad(g, x, |g, v| {
                if v > T::zero() {
                    g
                } else {
                    T::zero()
                }
            }))];
        }
        let mask =
            crate::ops::constant_map(x, |v| if v > T::zero() { T::one() } else { T::zero() });
        smallvec![Some(g.mul(&mask))]
    }
}
