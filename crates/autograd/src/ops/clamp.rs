//! Clamping into `[min, max]`.

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::{constant_map, zip_grad};
use crate::tensor::Tensor;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// Limits every value to `[min, max]` (`torch.clamp`); `None` leaves that side open (both
    /// `None` panics, as in PyTorch). As PyTorch: a NaN element stays NaN, a NaN bound makes
    /// every element NaN, and `min > max` sets every element to `max`. The gradient passes
    /// where `min <= x <= max` and is zero elsewhere (where the value was clamped, or where `x`
    /// or a bound is NaN).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]);
    /// assert_eq!(x.clamp(Some(0.0), Some(1.0)).to_vec(), vec![0.0, 0.5, 1.0]);
    /// ```
    pub fn clamp(&self, min: Option<f64>, max: Option<f64>) -> Tensor<T> {
        assert!(
            min.is_some() || max.is_some(),
            "torch.clamp: At least one of 'min' or 'max' must not be None"
        );
        let lo = min.map(T::from_f64);
        let hi = max.map(T::from_f64);
        let nan_bound = lo.is_some_and(|l| l.is_nan()) || hi.is_some_and(|h| h.is_nan());
        let out = self.data().mapv(|mut v| {
            if nan_bound {
                return T::nan();
            }
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
        // ATen: where(min <= x <= max, grad, 0); every comparison with a NaN is false.
        let inside = |v: T| lo.is_none_or(|l| v >= l) && hi.is_none_or(|h| v <= h);
        if !is_grad_enabled() {
            // `where`, not `grad * mask`: an infinite or NaN gradient still gives 0 outside.
            return smallvec![Some(zip_grad(
                c.grad,
                &c.inputs[0],
                c.grad_reusable,
                |g, v| {
                    if inside(v) {
                        g
                    } else {
                        T::zero()
                    }
                }
            ))];
        }
        let mask = constant_map(
            &c.inputs[0],
            |v| if inside(v) { T::one() } else { T::zero() },
        );
        smallvec![Some(c.grad.mul(&mask))]
    }
}
