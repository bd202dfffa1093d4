//! Scalar forms of the arithmetic ops and the `+ - * /` operators, on owned and borrowed
//! tensors and with a scalar on either side, so a PyTorch expression reads the same in Rust.

use crate::element::Element;
use crate::tensor::Tensor;
use std::ops::{Add, Div, Mul, Neg, Sub};

impl<T: Element> Tensor<T> {
    /// `self + c` for a plain number.
    pub fn add_scalar(&self, c: T) -> Tensor<T> {
        self.add(&Tensor::scalar(c))
    }
    /// `self - c` for a plain number.
    pub fn sub_scalar(&self, c: T) -> Tensor<T> {
        self.sub(&Tensor::scalar(c))
    }
    /// `self * c` for a plain number.
    pub fn mul_scalar(&self, c: T) -> Tensor<T> {
        self.mul(&Tensor::scalar(c))
    }
    /// `self / c` for a plain number.
    pub fn div_scalar(&self, c: T) -> Tensor<T> {
        self.div(&Tensor::scalar(c))
    }
}

macro_rules! binary_operator {
    ($trait:ident, $method:ident) => {
        impl<T: Element> $trait<&Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(self, rhs)
            }
        }
        impl<T: Element> $trait<Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                Tensor::$method(self, &rhs)
            }
        }
        impl<T: Element> $trait<&Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                Tensor::$method(&self, rhs)
            }
        }
        impl<T: Element> $trait<Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                Tensor::$method(&self, &rhs)
            }
        }
        impl<T: Element> $trait<T> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: T) -> Tensor<T> {
                Tensor::$method(self, &Tensor::scalar(rhs))
            }
        }
        impl<T: Element> $trait<T> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: T) -> Tensor<T> {
                Tensor::$method(&self, &Tensor::scalar(rhs))
            }
        }
        binary_operator!(@scalar_lhs $trait, $method, f32);
        binary_operator!(@scalar_lhs $trait, $method, f64);
    };
    (@scalar_lhs $trait:ident, $method:ident, $t:ty) => {
        impl $trait<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn $method(self, rhs: &Tensor<$t>) -> Tensor<$t> {
                Tensor::$method(&Tensor::scalar(self), rhs)
            }
        }
        impl $trait<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn $method(self, rhs: Tensor<$t>) -> Tensor<$t> {
                Tensor::$method(&Tensor::scalar(self), &rhs)
            }
        }
    };
}

binary_operator!(Add, add);
binary_operator!(Sub, sub);
binary_operator!(Mul, mul);
binary_operator!(Div, div);

impl<T: Element> Neg for &Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(self)
    }
}

impl<T: Element> Neg for Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        Tensor::neg(&self)
    }
}

/// `iter.sum()` of tensors: their broadcast sum, recorded as additions
/// (`sum(p.pow(2).sum() for p in params)`); a 0-d zero for an empty iterator.
impl<T: Element> std::iter::Sum<Tensor<T>> for Tensor<T> {
    fn sum<I: Iterator<Item = Tensor<T>>>(iter: I) -> Tensor<T> {
        iter.reduce(|a, b| &a + &b)
            .unwrap_or_else(|| Tensor::scalar(T::zero()))
    }
}

/// `iter.sum()` of borrowed tensors.
impl<'a, T: Element> std::iter::Sum<&'a Tensor<T>> for Tensor<T> {
    fn sum<I: Iterator<Item = &'a Tensor<T>>>(iter: I) -> Tensor<T> {
        iter.fold(None, |acc: Option<Tensor<T>>, t| {
            Some(match acc {
                None => t.clone(),
                Some(a) => &a + t,
            })
        })
        .unwrap_or_else(|| Tensor::scalar(T::zero()))
    }
}
