//! The element types a [`Tensor`](crate::Tensor) can hold: `f32` (the default, as in PyTorch)
//! and `f64` (for reproducing Python-float arithmetic and for finite-difference checks).

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
}

impl DType {
    /// PyTorch's name for the type (`"float32"`, `"float64"`).
    pub fn torch_name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }
}

/// A floating-point element type: implemented for `f32` and `f64` only.
///
/// ```
/// use tapegrad_autograd::{Element, DType};
/// assert_eq!(<f32 as Element>::DTYPE, DType::F32);
/// assert_eq!(f64::from_f64(0.5), 0.5);
/// ```
pub trait Element:
    num_traits::Float
    + ndarray::ScalarOperand
    + ndarray::LinalgScalar
    + Default
    + Debug
    + Display
    + Send
    + Sync
    + Sum
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + crate::kernels::matmul::GemmScalar
    + 'static
{
    /// The matching [`DType`].
    const DTYPE: DType;
    /// Converts from `f64` (rounding to nearest for `f32`).
    fn from_f64(v: f64) -> Self;
    /// Widens to `f64` (exact).
    fn as_f64(self) -> f64;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self as f64
    }
}

impl Element for f64 {
    const DTYPE: DType = DType::F64;
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
    #[inline]
    fn as_f64(self) -> f64 {
        self
    }
}
