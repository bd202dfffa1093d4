//! The element types a [`Tensor`](crate::Tensor) can hold.
//!
//! * [`Scalar`]: every element type: `f32` (the default, as in PyTorch), `f64`, `i64` (index
//!   tensors, PyTorch's `torch.long`) and `bool` (masks, the result of comparisons). Storage,
//!   views, joining, indexing, comparisons and printing work for all four.
//! * [`Element`]: the floating-point types `f32` and `f64`, the only ones that can require a
//!   gradient (PyTorch: "only Tensors of floating point dtype can require gradients"). Every
//!   differentiable op is written for `T: Element`.
//!
//! The type is a parameter of the tensor (`Tensor<f32>`, `Tensor<i64>`, `Tensor<bool>`), not a
//! runtime tag: `docs/design.md` ("Data types") gives the reasons and the alternatives.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{AddAssign, DivAssign, MulAssign, SubAssign};

/// The data type of a tensor's elements, as named by PyTorch and safetensors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// 32-bit IEEE float (`torch.float32`, safetensors `F32`).
    F32,
    /// 64-bit IEEE float (`torch.float64`, safetensors `F64`).
    F64,
    /// 64-bit signed integer (`torch.int64` / `torch.long`, safetensors `I64`).
    I64,
    /// Boolean (`torch.bool`, safetensors `BOOL`).
    Bool,
}

impl DType {
    /// PyTorch's name for the type (`"float32"`, `"float64"`, `"int64"`, `"bool"`).
    pub fn torch_name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I64 => "int64",
            DType::Bool => "bool",
        }
    }

    /// PyTorch's scalar-type name used in its error messages (`"Float"`, `"Double"`, `"Long"`,
    /// `"Bool"`), as in "expected scalar type Long but found Float".
    pub fn scalar_type_name(self) -> &'static str {
        match self {
            DType::F32 => "Float",
            DType::F64 => "Double",
            DType::I64 => "Long",
            DType::Bool => "Bool",
        }
    }

    /// Is this a floating-point type (one that can require a gradient)?
    pub fn is_floating_point(self) -> bool {
        matches!(self, DType::F32 | DType::F64)
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for i64 {}
    impl Sealed for bool {}
}

/// Any element type a tensor can hold: `f32`, `f64`, `i64` or `bool` (sealed).
///
/// Conversions go through `f64` as PyTorch's `.to(dtype)` does: a float to `i64` truncates
/// toward zero, anything non-zero is `true`, `true` is 1.
///
/// ```
/// use tapegrad_autograd::{DType, Scalar};
/// assert_eq!(<i64 as Scalar>::DTYPE, DType::I64);
/// assert_eq!(i64::from_f64(-2.7), -2);
/// assert!(bool::from_f64(0.5));
/// assert_eq!(true.as_f64(), 1.0);
/// ```
pub trait Scalar:
    sealed::Sealed + Copy + PartialEq + PartialOrd + Default + Debug + Display + Send + Sync + 'static
{
    /// The matching [`DType`].
    const DTYPE: DType;
    /// Zero (`false` for `bool`).
    const ZERO: Self;
    /// One (`true` for `bool`).
    const ONE: Self;
    /// Converts from `f64`: rounding to nearest for `f32`, truncating toward zero (saturating)
    /// for `i64`, `v != 0` for `bool`.
    fn from_f64(v: f64) -> Self;
    /// Widens to `f64` (exact for floats, bools and integers up to 2⁵³).
    fn as_f64(self) -> f64;
    /// Converts to `i64` without going through `f64` (exact for integers and bools; floats
    /// truncate toward zero).
    fn as_i64(self) -> i64;
    /// Converts from `i64` (exact for `i64`; rounding for floats).
    fn from_i64(v: i64) -> Self;
    /// Is this value NaN? (Always `false` for integers and bools.)
    fn is_nan_value(self) -> bool;
}

/// A floating-point element type: implemented for `f32` and `f64` only. Differentiable ops,
/// gradients and optimizers are written for `T: Element`.
///
/// ```
/// use tapegrad_autograd::{Element, DType, Scalar};
/// fn dtype_of<T: Element>() -> DType { T::DTYPE }
/// assert_eq!(dtype_of::<f32>(), DType::F32);
/// assert_eq!(f64::from_f64(0.5), 0.5);
/// ```
pub trait Element:
    Scalar
    + num_traits::Float
    + ndarray::ScalarOperand
    + ndarray::LinalgScalar
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + crate::kernels::matmul::GemmScalar
{
}

/// `Scalar` for the numeric types, whose conversions are all `as` casts: rounding to nearest
/// for `f64 → f32`, truncating toward zero (and saturating) for a float to `i64`. An entry:
/// the type, its `DType`, zero, one, and the NaN test of a value `v`.
macro_rules! numeric_scalar {
    ($($t:ty: $dtype:ident, $zero:literal, $one:literal, is_nan |$v:ident| $is_nan:expr;)*) => {$(
        impl Scalar for $t {
            const DTYPE: DType = DType::$dtype;
            const ZERO: Self = $zero;
            const ONE: Self = $one;
            #[inline]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline]
            fn as_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn as_i64(self) -> i64 {
                self as i64
            }
            #[inline]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline]
            fn is_nan_value(self) -> bool {
                let $v = self;
                $is_nan
            }
        }
    )*};
}

numeric_scalar! {
    f32: F32, 0.0, 1.0, is_nan |v| v.is_nan();
    f64: F64, 0.0, 1.0, is_nan |v| v.is_nan();
    i64: I64, 0, 1, is_nan |_v| false;
}
impl Element for f32 {}
impl Element for f64 {}

impl Scalar for bool {
    const DTYPE: DType = DType::Bool;
    const ZERO: Self = false;
    const ONE: Self = true;
    #[inline]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline]
    fn as_f64(self) -> f64 {
        if self {
            1.0
        } else {
            0.0
        }
    }
    #[inline]
    fn as_i64(self) -> i64 {
        self as i64
    }
    #[inline]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    #[inline]
    fn is_nan_value(self) -> bool {
        false
    }
}

/// `x` as `f32`s when `T` is `f32` (for a kernel written for `f32` alone).
pub(crate) fn as_f32<T: Element>(x: &[T]) -> Option<&[f32]> {
    // SAFETY: T is f32, so the slice is one of f32s.
    (T::DTYPE == DType::F32)
        .then(|| unsafe { std::slice::from_raw_parts(x.as_ptr().cast::<f32>(), x.len()) })
}

/// `x` as mutable `f32`s when `T` is `f32`.
pub(crate) fn as_f32_mut<T: Element>(x: &mut [T]) -> Option<&mut [f32]> {
    // SAFETY: T is f32, so the slice is one of f32s, borrowed mutably for as long as `x`.
    (T::DTYPE == DType::F32)
        .then(|| unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr().cast::<f32>(), x.len()) })
}

/// `x` as uninitialised `f32`s when `T` is `f32` (an output a kernel writes whole).
pub(crate) fn as_f32_uninit<T: Element>(
    x: &mut [std::mem::MaybeUninit<T>],
) -> Option<&mut [std::mem::MaybeUninit<f32>]> {
    // SAFETY: T is f32, so the slice is one of (possibly uninitialised) f32s.
    (T::DTYPE == DType::F32).then(|| unsafe {
        std::slice::from_raw_parts_mut(x.as_mut_ptr().cast::<std::mem::MaybeUninit<f32>>(), x.len())
    })
}
