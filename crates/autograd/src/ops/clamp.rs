//! Clamping into `[min, max]`.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::constant_map;
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// Limits every value to `[min, max]` (`torch.clamp`); `None` leaves that side open.
    /// The gradient passes where `min <= x <= max` and is zero where the value was clamped.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]);
    /// assert_eq!(x.clamp(Some(0.0), Some(1.0)).to_vec(), vec![0.0, 0.5, 1.0]);
    /// ```
    pub fn clamp(&self, min: Option<f64>, max: Option<f64>) -> Tensor<T> {
        let lo = min.map(T::from_f64);
        let hi = max.map(T::from_f64);
        let out = self.data().mapv(|mut v| {
            if let Some(lo) = lo {
                if v < lo {
                    v = lo;
                }
            }
            if let Some(hi) = hi {
                if v > hi {
                    v = hi;
                }
            }
            v
        });
        record(out, ClampBackward { min: lo, max: hi }, &[self])
    }
}

struct ClampBackward<T> {
    min: Option<T>,
    max: Option<T>,
}
impl<T: Element> Op<T> for ClampBackward<T> {
    fn name(&self) -> &'static str {
        "ClampBackward1"
    }
    fn rule(&self) -> &'static str {
        "d clamp(x)/dx = 1 if min <= x <= max else 0"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (lo, hi) = (self.min, self.max);
        let mask = constant_map(&c.inputs[0], |v| {
            let inside = lo.is_none_or(|l| v >= l) && hi.is_none_or(|h| v <= h);
            if inside {
                T::one()
            } else {
                T::zero()
            }
        });
        smallvec![Some(c.grad.mul(&mask))]
    }
}
