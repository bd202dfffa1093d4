//! The elementwise functions of one tensor, as a table: each line is PyTorch's name, its
//! `grad_fn` name, the value of one element, and the derivative written in tensor operations
//! (`x` the input, `y` the output, `g` the gradient arriving from above), so double backward
//! works; the form of an entry is that of `unary_ops!` (`ops/unary.rs`). Functions whose
//! derivative is zero almost everywhere (`sign`, `floor`, `ceil`, `round`, `trunc`) give a zero
//! gradient, as PyTorch does.

use crate::element::{DType, Element};
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::kernels::math;
use crate::ops::unary::{f32_or, unary_ops};
use crate::tensor::Tensor;
use smallvec::smallvec;

fn c<T: Element>(v: f64) -> T {
    T::from_f64(v)
}

/// Whether [`math::sin_f32`] and [`math::cos_f32`] cover `v` (|v| ≤ 2¹⁶, not NaN), or `T`
/// is not `f32` (libm's computed it already).
#[inline(always)]
fn sin_cos_fast<T: Element>(v: T) -> bool {
    T::DTYPE != DType::F32 || v.as_f64().abs() <= math::SIN_COS_FAST_UP_TO as f64
}

/// Whether [`math::sinh_f32`] and [`math::cosh_f32`] cover `v` (|v| ≤ 88.7, not NaN), or
/// `T` is not `f32` (libm's computed it already).
#[inline(always)]
fn sinh_cosh_fast<T: Element>(v: T) -> bool {
    T::DTYPE != DType::F32 || v.as_f64().abs() <= math::SINH_COSH_FAST_UP_TO as f64
}

unary_ops! {
    /// `sin(x)` (`torch.sin`): for `f32` with |x| ≤ 2¹⁶ the call-free [`math::sin_f32`]
    /// (within 1.12 ulp, checked at every such `f32`), so the loop runs in vector lanes;
    /// beyond, and for `f64`, libm's. Derivative: cos(x).
    sin, SinBackward, "SinBackward0", "d sin(x)/dx = cos(x)", saves_output: false,
        |v| f32_or(v, math::sin_f32, |v| v.sin()),
        unless(|v| sin_cos_fast(v)) => v.sin(),
        |x, y, g| g * &x.cos();
    /// `cos(x)` (`torch.cos`): for `f32` with |x| ≤ 2¹⁶ the call-free [`math::cos_f32`]
    /// (within 1.12 ulp, checked at every such `f32`); beyond, and for `f64`, libm's.
    /// Derivative: -sin(x).
    cos, CosBackward, "CosBackward0", "d cos(x)/dx = -sin(x)", saves_output: false,
        |v| f32_or(v, math::cos_f32, |v| v.cos()),
        unless(|v| sin_cos_fast(v)) => v.cos(),
        |x, y, g| -(g * &x.sin());
    /// `tan(x)` (`torch.tan`): for `f32` with |x| ≤ 2¹⁶ the call-free [`math::tan_f32`]
    /// (within 2 ulp); beyond, and for `f64`, libm's. Derivative: 1 + tan²(x).
    tan, TanBackward, "TanBackward0", "d tan(x)/dx = 1 + tan(x)²", saves_output: true,
        |v| f32_or(v, math::tan_f32, |v| v.tan()),
        unless(|v| sin_cos_fast(v)) => v.tan(),
        |x, y, g| g * &(&(y * y) + c::<T>(1.0));
    /// `asin(x)` (`torch.asin`): for `f32` the call-free [`math::asin_f32`] (within 2 ulp),
    /// for `f64` libm's. Derivative: 1/√(1 - x²).
    asin, AsinBackward, "AsinBackward0", "d asin(x)/dx = 1/sqrt(1 - x²)", saves_output: false,
        |v| f32_or(v, math::asin_f32, |v| v.asin()),
        |x, y, g| g * &(-(x * x) + c::<T>(1.0)).rsqrt(),
        fast(x): |g, v| g * (-(v * v) + T::one()).sqrt().recip();
    /// `atan(x)` (`torch.atan`): for `f32` the call-free [`math::atan_f32`] (within 2 ulp),
    /// for `f64` libm's. Derivative: 1/(1 + x²).
    atan, AtanBackward, "AtanBackward0", "d atan(x)/dx = 1/(1 + x²)", saves_output: false,
        |v| f32_or(v, math::atan_f32, |v| v.atan()),
        |x, y, g| g / &(&(x * x) + c::<T>(1.0)),
        fast(x): |g, v| g / (v * v + T::one());
    /// `sinh(x)` (`torch.sinh`): for `f32` with |x| ≤ 88.7 the call-free
    /// [`math::sinh_f32`] (within 1.5 ulp); beyond, and for `f64`, libm's. Derivative: cosh(x).
    sinh, SinhBackward, "SinhBackward0", "d sinh(x)/dx = cosh(x)", saves_output: false,
        |v| f32_or(v, math::sinh_f32, |v| v.sinh()),
        unless(|v| sinh_cosh_fast(v)) => v.sinh(),
        |x, y, g| g * &x.cosh();
    /// `cosh(x)` (`torch.cosh`): for `f32` with |x| ≤ 88.7 the call-free
    /// [`math::cosh_f32`] (within 1.5 ulp); beyond, and for `f64`, libm's. Derivative: sinh(x).
    cosh, CoshBackward, "CoshBackward0", "d cosh(x)/dx = sinh(x)", saves_output: false,
        |v| f32_or(v, math::cosh_f32, |v| v.cosh()),
        unless(|v| sinh_cosh_fast(v)) => v.cosh(),
        |x, y, g| g * &x.sinh();
    /// The error function (`torch.erf`): for `f32` the call-free [`math::erf_f32`] (within 2
    /// ulp), so the loop runs in vector lanes; for `f64` libm's. Derivative: 2/√π · e^(-x²).
    erf, ErfBackward, "ErfBackward0", "d erf(x)/dx = 2/sqrt(pi) exp(-x²)", saves_output: false,
        |v| f32_or(v, math::erf_f32, |v| T::from_f64(libm::erf(v.as_f64()))),
        |x, y, g| g * &(-(x * x)).exp().mul_scalar(c(std::f64::consts::FRAC_2_SQRT_PI)),
        fast(x): |g, v| g * (f32_or(-(v * v), math::exp_f32_fused, |a| a.exp())
            * c::<T>(std::f64::consts::FRAC_2_SQRT_PI));
    /// `1/√x` (`torch.rsqrt`). Derivative: -y³/2.
    rsqrt, RsqrtBackward, "RsqrtBackward0", "d x^(-1/2)/dx = -x^(-3/2)/2 = -y³/2", saves_output: true,
        |v| v.sqrt().recip(),
        |x, y, g| g * &(&(y * y) * y).mul_scalar(c(-0.5)),
        fast(y): |g, r| g * (r * r * r * c::<T>(-0.5));
    /// `1/x` (`torch.reciprocal`). Derivative: -1/x² = -y².
    reciprocal, ReciprocalBackward, "ReciprocalBackward0", "d (1/x)/dx = -1/x² = -y²", saves_output: true,
        |v| v.recip(),
        |x, y, g| -(g * &(y * y)),
        fast(y): |g, r| -(g * (r * r));
    /// `ln(1 + x)` (`torch.log1p`): for `f32` the call-free [`math::log1p_f32`] (within 1.5
    /// ulp), for `f64` libm's. Derivative: 1/(1 + x).
    log1p, Log1pBackward, "Log1PBackward0", "d ln(1+x)/dx = 1/(1+x)", saves_output: false,
        |v| f32_or(v, math::log1p_f32, |v| v.ln_1p()),
        |x, y, g| g / &(x + c::<T>(1.0)),
        fast(x): |g, v| g / (v + T::one());
    /// `eˣ - 1` (`torch.expm1`): for `f32` the call-free [`math::expm1_f32`] (within 1.5
    /// ulp), for `f64` libm's. Derivative: eˣ = y + 1.
    expm1, Expm1Backward, "Expm1Backward0", "d (e^x - 1)/dx = e^x = y + 1", saves_output: true,
        |v| f32_or(v, math::expm1_f32, |v| v.exp_m1()),
        |x, y, g| g * &(y + c::<T>(1.0)),
        fast(y): |g, e| g * (e + T::one());
    /// `log₂ x` (`torch.log2`): for `f32` the call-free [`math::log2_f32`] (within 1 ulp),
    /// for `f64` libm's. Derivative: 1/(x ln 2).
    log2, Log2Backward, "Log2Backward0", "d log2(x)/dx = 1/(x ln 2)", saves_output: false,
        |v| f32_or(v, math::log2_f32, |v| v.log2()),
        |x, y, g| g / &x.mul_scalar(c(std::f64::consts::LN_2)),
        fast(x): |g, v| g / (v * c::<T>(std::f64::consts::LN_2));
    /// `log₁₀ x` (`torch.log10`): for `f32` the call-free [`math::log10_f32`] (within 1 ulp),
    /// for `f64` libm's. Derivative: 1/(x ln 10).
    log10, Log10Backward, "Log10Backward0", "d log10(x)/dx = 1/(x ln 10)", saves_output: false,
        |v| f32_or(v, math::log10_f32, |v| v.log10()),
        |x, y, g| g / &x.mul_scalar(c(std::f64::consts::LN_10)),
        fast(x): |g, v| g / (v * c::<T>(std::f64::consts::LN_10));
    /// `2ˣ` (`torch.exp2`): for `f32` the call-free [`math::exp2_f32`] (within 1.5 ulp,
    /// subnormal results included), for `f64` libm's. Derivative: 2ˣ ln 2 = y ln 2.
    exp2, Exp2Backward, "Exp2Backward0", "d 2^x/dx = 2^x ln 2", saves_output: true,
        |v| f32_or(v, math::exp2_f32, |v| v.exp2()),
        |x, y, g| g * &y.mul_scalar(c(std::f64::consts::LN_2)),
        fast(y): |g, e| g * (e * c::<T>(std::f64::consts::LN_2));
    /// `x²` (`torch.square`). Derivative: 2x.
    square, SquareBackward, "PowBackward0", "d x²/dx = 2x", saves_output: false,
        |v| v * v,
        |x, y, g| g * &x.mul_scalar(c(2.0)),
        fast(x): |g, v| g * (v * c::<T>(2.0));
    /// The sign, -1, 0 or 1 (`torch.sign`). Derivative: 0.
    sign, SignBackward, "SignBackward0", "d sign(x)/dx = 0", saves_output: false,
        |v| if v > T::zero() { T::one() } else if v < T::zero() { -T::one() } else { v },
        |x, y, g| g.mul_scalar(T::zero());
    /// Rounds down (`torch.floor`). Derivative: 0.
    floor, FloorBackward, "FloorBackward0", "d floor(x)/dx = 0", saves_output: false,
        |v| v.floor(),
        |x, y, g| g.mul_scalar(T::zero());
    /// Rounds up (`torch.ceil`). Derivative: 0.
    ceil, CeilBackward, "CeilBackward0", "d ceil(x)/dx = 0", saves_output: false,
        |v| v.ceil(),
        |x, y, g| g.mul_scalar(T::zero());
    /// Rounds to the nearest integer, ties to even, as PyTorch (`torch.round`). Derivative: 0.
    round, RoundBackward, "RoundBackward0", "d round(x)/dx = 0", saves_output: false,
        |v| round_half_even(v),
        |x, y, g| g.mul_scalar(T::zero());
    /// Rounds toward zero (`torch.trunc`). Derivative: 0.
    trunc, TruncBackward, "TruncBackward0", "d trunc(x)/dx = 0", saves_output: false,
        |v| v.trunc(),
        |x, y, g| g.mul_scalar(T::zero());
    /// The fractional part `x - trunc(x)` (`torch.frac`). Derivative: 1.
    frac, FracBackward, "FracBackward0", "d frac(x)/dx = 1", saves_output: false,
        |v| v - v.trunc(),
        |x, y, g| g.clone();
}

fn round_half_even<T: Element>(v: T) -> T {
    let r = v.round();
    if (v - v.trunc()).abs() == c(0.5) && (r.as_f64() % 2.0) != 0.0 {
        r - v.signum()
    } else {
        r
    }
}

impl<T: Element> Tensor<T> {
    /// Rounds to `decimals` decimal places, ties to even (`torch.round(x, decimals=d)`),
    /// computed as PyTorch does in the element type: `round(x·10^d)/10^d` for `d >= 0`,
    /// `round(x/10^-d)·10^-d` for `d < 0`. Derivative: 0.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.25f64, -2.71, 1234.5], &[3]);
    /// assert_eq!(x.round_decimals(1).to_vec(), vec![1.2, -2.7, 1234.5]);
    /// assert_eq!(x.round_decimals(-2).to_vec(), vec![0.0, -0.0, 1200.0]);
    /// ```
    pub fn round_decimals(&self, decimals: i32) -> Tensor<T> {
        let neg = decimals < 0;
        let ten_pow: T = c(10f64.powi(decimals.abs()));
        let out = crate::ops::par::map(&self.data(), |v: T| {
            if neg {
                round_half_even(v / ten_pow) * ten_pow
            } else {
                round_half_even(v * ten_pow) / ten_pow
            }
        });
        record(out, RoundDecimalsBackward, &[self])
    }
}

struct RoundDecimalsBackward;
impl<T: Element> Op<T> for RoundDecimalsBackward {
    fn name(&self) -> &'static str {
        "RoundBackward1"
    }
    fn rule(&self) -> &'static str {
        "d round(x, decimals)/dx = 0"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> InputGrads<T> {
        smallvec![Some(ctx.grad.mul_scalar(T::zero()))]
    }
}
