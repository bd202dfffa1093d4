//! Leaky ReLU: `x if x > 0 else slope·x`.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::constant_map;
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `x if x > 0 else negative_slope·x` (`F.leaky_relu`; PyTorch's default slope is 0.01).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let y = Tensor::from_vec(vec![-2.0f32, 3.0], &[2]).leaky_relu(0.5);
    /// assert_eq!(y.to_vec(), vec![-1.0, 3.0]);
    /// ```
    pub fn leaky_relu(&self, negative_slope: f64) -> Tensor<T> {
        let s = T::from_f64(negative_slope);
        let out = self.data().mapv(|v| if v > T::zero() { v } else { v * s });
        record(
            out,
            LeakyReluBackward {
                slope: negative_slope,
            },
            &[self],
        )
    }
}

struct LeakyReluBackward {
    slope: f64,
}
impl<T: Element> Op<T> for LeakyReluBackward {
    fn name(&self) -> &'static str {
        "LeakyReluBackward0"
    }
    fn rule(&self) -> &'static str {
        "d leaky_relu(x)/dx = 1 if x > 0 else slope"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let s = T::from_f64(self.slope);
        let mask = constant_map(&c.inputs[0], |v| if v > T::zero() { T::one() } else { s });
        smallvec![Some(c.grad.mul(&mask))]
    }
}
