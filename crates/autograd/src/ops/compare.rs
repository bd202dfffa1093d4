//! Comparisons and logic, for every element type: `eq ne lt le gt ge` (tensor–tensor with
//! broadcasting, or tensor–scalar) return boolean tensors; `logical_and/or/xor/not`, `any`,
//! `all`, `count_nonzero`; `sum` of a boolean tensor counts its `true`s. None of these has a
//! gradient (PyTorch: their results never require grad).

use crate::element::Scalar;
use crate::ops::or_panic;
use crate::shape::{broadcast_shapes, normalize_dim};
use crate::tensor::Tensor;
use crate::TensorError;
use ndarray::{Axis, IxDyn, Zip};
use std::borrow::Cow;

/// The right-hand side of a comparison or a binary op taking either a tensor or a scalar
/// (`x.gt(0.0)`, `x.eq(&y)`): a scalar acts as a 0-d tensor.
pub trait TensorOrScalar<T: Scalar> {
    /// The operand as a tensor (a 0-d one for a scalar).
    fn as_tensor(&self) -> Cow<'_, Tensor<T>>;
}
impl<T: Scalar> TensorOrScalar<T> for &Tensor<T> {
    fn as_tensor(&self) -> Cow<'_, Tensor<T>> {
        Cow::Borrowed(self)
    }
}
impl<T: Scalar> TensorOrScalar<T> for Tensor<T> {
    fn as_tensor(&self) -> Cow<'_, Tensor<T>> {
        Cow::Borrowed(self)
    }
}
impl<T: Scalar> TensorOrScalar<T> for T {
    fn as_tensor(&self) -> Cow<'_, Tensor<T>> {
        Cow::Owned(Tensor::scalar(*self))
    }
}

/// `f(a, b)` elementwise over the broadcast shape of `a` and `b` (any element types), as a
/// new tensor outside the graph.
pub(crate) fn zip_broadcast<A: Scalar, B: Scalar, R: Scalar>(
    op: &'static str,
    a: &Tensor<A>,
    b: &Tensor<B>,
    f: impl Fn(A, B) -> R,
) -> Result<Tensor<R>, TensorError> {
    let (da, db) = (a.data(), b.data());
    let shape = IxDyn(&broadcast_shapes(op, da.shape(), db.shape())?);
    let (va, vb) = (
        da.broadcast(shape.clone()).expect("checked"),
        db.broadcast(shape).expect("checked"),
    );
    Ok(Tensor::from_array(
        Zip::from(&va).and(&vb).map_collect(|&x, &y| f(x, y)),
    ))
}

macro_rules! comparisons {
    ($($name:ident, $torch:literal, $sym:literal, |$x:ident, $y:ident| $e:expr;)*) => {
        impl<T: Scalar> Tensor<T> {
            $(
                #[doc = concat!("`self ", $sym, " other` elementwise, with broadcasting (`torch.",
                    $torch, "`); `other` is a tensor or a scalar. No gradient. NaN compares \
                    unequal to everything, as in IEEE arithmetic.")]
                pub fn $name(&self, other: impl TensorOrScalar<T>) -> Tensor<bool> {
                    or_panic(zip_broadcast($torch, self, &other.as_tensor(), |$x, $y| $e))
                }
            )*
        }
    };
}

comparisons! {
    eq, "eq", "==", |x, y| x == y;
    ne, "ne", "!=", |x, y| x != y;
    lt, "lt", "<", |x, y| x < y;
    le, "le", "<=", |x, y| x <= y;
    gt, "gt", ">", |x, y| x > y;
    ge, "ge", ">=", |x, y| x >= y;
}

impl<T: Scalar> Tensor<T> {
    /// Are the two tensors the same shape with equal elements (`torch.equal`)?
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let a = Tensor::from_vec(vec![1i64, 2], &[2]);
    /// assert!(a.equal(&a.copy()) && !a.equal(&a.reshape(&[1, 2])));
    /// ```
    pub fn equal(&self, other: &Tensor<T>) -> bool {
        self.shape() == other.shape() && self.to_vec() == other.to_vec()
    }

    /// `self != 0` (`x.bool()` reads a tensor as truth values the same way).
    fn truth(&self) -> Tensor<bool> {
        Tensor::from_array(self.data().mapv(|v| v != T::ZERO))
    }

    /// Elementwise NOT of the truth values (`torch.logical_not`): `true` where the element is
    /// zero.
    pub fn logical_not(&self) -> Tensor<bool> {
        Tensor::from_array(self.data().mapv(|v| v == T::ZERO))
    }

    /// Elementwise AND of the truth values, with broadcasting (`torch.logical_and`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0f32, 0.5, 2.0], &[3]);
    /// let inside = x.gt(0.0).logical_and(&x.lt(1.0));
    /// assert_eq!(inside.to_vec(), vec![false, true, false]);
    /// ```
    pub fn logical_and(&self, other: &Tensor<T>) -> Tensor<bool> {
        let z = T::ZERO;
        or_panic(zip_broadcast("logical_and", self, other, |a, b| {
            a != z && b != z
        }))
    }

    /// Elementwise OR of the truth values, with broadcasting (`torch.logical_or`).
    pub fn logical_or(&self, other: &Tensor<T>) -> Tensor<bool> {
        let z = T::ZERO;
        or_panic(zip_broadcast("logical_or", self, other, |a, b| {
            a != z || b != z
        }))
    }

    /// Elementwise XOR of the truth values, with broadcasting (`torch.logical_xor`).
    pub fn logical_xor(&self, other: &Tensor<T>) -> Tensor<bool> {
        let z = T::ZERO;
        or_panic(zip_broadcast("logical_xor", self, other, |a, b| {
            (a != z) != (b != z)
        }))
    }

    /// Is any element non-zero (`x.any()`)? A 0-d boolean tensor; `false` for an empty tensor.
    pub fn any(&self) -> Tensor<bool> {
        Tensor::scalar(self.data().iter().any(|&v| v != T::ZERO))
    }

    /// Are all elements non-zero (`x.all()`)? A 0-d boolean tensor; `true` for an empty one.
    pub fn all(&self) -> Tensor<bool> {
        Tensor::scalar(self.data().iter().all(|&v| v != T::ZERO))
    }

    /// Whether any (`all` false) or all (`all` true) elements of each lane of dimension `dim`
    /// are non-zero, keeping the dimension as size 1 if `keepdim`: `any_dim` / `all_dim`.
    fn truth_lanes(&self, op: &'static str, dim: isize, keepdim: bool, all: bool) -> Tensor<bool> {
        let z = T::ZERO;
        let f = |mut it: Box<dyn Iterator<Item = &T> + '_>| {
            if all {
                it.all(|&v| v != z)
            } else {
                it.any(|&v| v != z)
            }
        };
        let shape = self.shape();
        let d = or_panic(normalize_dim(op, dim, &shape));
        if shape.is_empty() {
            // PyTorch accepts dim 0 / -1 on a 0-d tensor: one lane of one element.
            let v = self.to_vec();
            return Tensor::scalar(f(Box::new(v.iter())));
        }
        let out = self
            .data()
            .map_axis(Axis(d), |lane| f(Box::new(lane.iter())));
        let out = if keepdim {
            out.insert_axis(Axis(d))
        } else {
            out
        };
        Tensor::from_array(out)
    }

    /// Is any element non-zero along dimension `dim` (`torch.any(x, dim, keepdim)`)? A
    /// boolean tensor without that dimension (size 1 if `keepdim`); `false` for an empty lane.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let m = Tensor::from_vec(vec![false, true, false, false], &[2, 2]);
    /// assert_eq!(m.any_dim(1, false).to_vec(), vec![true, false]);
    /// assert_eq!(m.any_dim(0, true).shape().as_slice(), &[1, 2]);
    /// ```
    pub fn any_dim(&self, dim: isize, keepdim: bool) -> Tensor<bool> {
        self.truth_lanes("any", dim, keepdim, false)
    }

    /// Are all elements non-zero along dimension `dim` (`torch.all(x, dim, keepdim)`)? A
    /// boolean tensor without that dimension (size 1 if `keepdim`); `true` for an empty lane.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let m = Tensor::from_vec(vec![true, true, false, true], &[2, 2]);
    /// assert_eq!(m.all_dim(0, false).to_vec(), vec![false, true]);
    /// ```
    pub fn all_dim(&self, dim: isize, keepdim: bool) -> Tensor<bool> {
        self.truth_lanes("all", dim, keepdim, true)
    }

    /// How many elements are non-zero, as a 0-d `i64` tensor (`torch.count_nonzero`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f32, 1.5, 0.0, -2.0], &[2, 2]);
    /// assert_eq!(x.count_nonzero().item(), 2);
    /// ```
    pub fn count_nonzero(&self) -> Tensor<i64> {
        Tensor::scalar(self.truth().data().iter().filter(|&&v| v).count() as i64)
    }

    /// How many elements are non-zero along `dims` (`torch.count_nonzero(x, dim)`).
    pub fn count_nonzero_dims(&self, dims: &[isize]) -> Tensor<i64> {
        // Counts below 2⁵³ are exact in f64.
        self.truth().double().sum_dims(dims, false).long()
    }
}

impl Tensor<bool> {
    /// The number of `true` elements, as a 0-d `i64` tensor (`mask.sum()`: PyTorch sums
    /// booleans as integers).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let pred = Tensor::from_vec(vec![2i64, 0, 1], &[3]);
    /// let y = Tensor::from_vec(vec![2i64, 1, 1], &[3]);
    /// assert_eq!(pred.eq(&y).sum().item(), 2);
    /// assert_eq!(pred.eq(&y).float().mean().item(), 2.0 / 3.0);
    /// ```
    pub fn sum(&self) -> Tensor<i64> {
        self.count_nonzero()
    }

    /// The number of `true` elements along `dims` (empty: all), as `i64`, keeping the summed
    /// dimensions as size 1 if `keepdim` (`mask.sum(dims, keepdim)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let m = Tensor::from_vec(vec![true, true, false, true, false, false], &[2, 3]);
    /// assert_eq!(m.sum_dims(&[1], false).to_vec(), vec![2, 1]);
    /// assert_eq!(m.sum_dims(&[0], true).to_vec(), vec![2, 1, 0]);
    /// ```
    pub fn sum_dims(&self, dims: &[isize], keepdim: bool) -> Tensor<i64> {
        // Counts below 2⁵³ are exact in f64.
        self.double().sum_dims(dims, keepdim).long()
    }

    /// The number of `true` elements along dimension `dim`, as `i64` (`mask.sum(dim,
    /// keepdim)`).
    pub fn sum_dim(&self, dim: isize, keepdim: bool) -> Tensor<i64> {
        self.sum_dims(&[dim], keepdim)
    }
}
