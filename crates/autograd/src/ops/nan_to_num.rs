//! `nan_to_num`: NaN, +inf and -inf replaced by finite values.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::constant_map;
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// NaN → `nan`, +inf → `posinf`, -inf → `neginf` (`torch.nan_to_num`; `None` gives
    /// PyTorch's defaults: 0, the largest and the lowest finite value). Derivative: 1 where
    /// the element was finite, 0 where it was replaced.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![f32::NAN, f32::INFINITY, -1.5], &[3]);
    /// assert_eq!(x.nan_to_num(None, None, Some(-9.0)).to_vec(), vec![0.0, f32::MAX, -1.5]);
    /// ```
    pub fn nan_to_num(
        &self,
        nan: Option<f64>,
        posinf: Option<f64>,
        neginf: Option<f64>,
    ) -> Tensor<T> {
        let nan = nan.map_or(T::zero(), T::from_f64);
        let pos = posinf.map_or(T::max_value(), T::from_f64);
        let neg = neginf.map_or(T::min_value(), T::from_f64);
        let out = self.data().mapv(|v| {
            if v.is_nan() {
                nan
            } else if v == T::infinity() {
                pos
            } else if v == T::neg_infinity() {
                neg
            } else {
                v
            }
        });
        record(out, NanToNumBackward, &[self])
    }
}

struct NanToNumBackward;
impl<T: Element> Op<T> for NanToNumBackward {
    fn name(&self) -> &'static str {
        "NanToNumBackward0"
    }
    fn rule(&self) -> &'static str {
        "d nan_to_num(x)/dx = 1 where x is finite, 0 where it was replaced"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let finite = constant_map(&c.inputs[0], |v| {
            if v.is_finite() {
                T::one()
            } else {
                T::zero()
            }
        });
        smallvec![Some(c.grad.mul(&finite))]
    }
}
