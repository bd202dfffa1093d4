//! Exact GELU as one op (PyTorch's fused `gelu` kernel): `y = ½x(1 + erf(x/√2))` in one pass,
//! and its derivative `Φ(x) + x·φ(x)` in one pass, instead of five recorded ops and their
//! five backward rules. Under `create_graph` the backward is the same formula written with
//! recorded tensor ops, so GELU can be differentiated twice.

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;
use std::f64::consts::FRAC_1_SQRT_2;

/// `1/√(2π)`, the standard normal density at 0.
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;

/// `½x(1 + erf(x/√2))`, element by element in the order of the composed form (so the values
/// are the same bits).
pub(crate) fn gelu_exact<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    let (half, c) = (T::from_f64(0.5), T::from_f64(FRAC_1_SQRT_2));
    let y = crate::ops::par::map(&x.data(), |v| (v * half) * (erf(v * c) + T::one()));
    record(y, GeluBackward, &[x])
}

/// `erf` as `Tensor::erf` computes it: in `f64` (libm), rounded to `T`.
fn erf<T: Element>(v: T) -> T {
    T::from_f64(libm::erf(v.as_f64()))
}

/// `Φ(x) + x·φ(x)` of one element.
fn slope<T: Element>(v: T) -> T {
    let (half, c, k) = (
        T::from_f64(0.5),
        T::from_f64(FRAC_1_SQRT_2),
        T::from_f64(FRAC_1_SQRT_2PI),
    );
    let cdf = half * (erf(v * c) + T::one());
    cdf + v * k * (-(v * v) * half).exp()
}

struct GeluBackward;
impl<T: Element> Op<T> for GeluBackward {
    fn name(&self) -> &'static str {
        "GeluBackward0"
    }
    fn rule(&self) -> &'static str {
        "d gelu(x)/dx = Φ(x) + x·φ(x)"
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (x, g) = (&ctx.inputs[0], ctx.grad);
        if is_grad_enabled() {
            let half = T::from_f64(0.5);
            let cdf = ((x * T::from_f64(FRAC_1_SQRT_2)).erf() + T::one()) * half;
            let pdf = (-(x * x) * half).exp() * T::from_f64(FRAC_1_SQRT_2PI);
            return smallvec![Some(g * &(cdf + x * &pdf))];
        }
        let dx = crate::ops::par::zip_map(
            &x.data(),
            &g.data(),
            |v, g| g * slope(v),
            |x, g| {
                ndarray::Zip::from(x)
                    .and(g)
                    .map_collect(|&v, &g| g * slope(v))
            },
        );
        smallvec![Some(Tensor::from_array(dx))]
    }
}
