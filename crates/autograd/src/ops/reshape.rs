//! Reshaping: `reshape`, `unsqueeze`, `squeeze`, `flatten`. The values keep their row-major
//! order; the gradient is reshaped back.

use crate::element::Scalar;
use crate::error::Result;
use crate::graph::{renamed, renamed_view};
use crate::ops::or_panic;
use crate::ops::view::ViewKind;
use crate::shape::Shape;
use crate::shape::{normalize_dim, resolve_reshape};
use crate::tensor::Tensor;

impl<T: Scalar> Tensor<T> {
    /// The same values in a new shape; one dimension may be `-1` (inferred) (`x.reshape(shape)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 6.0, 1.0);
    /// assert_eq!(x.reshape(&[2, -1]).shape().as_slice(), &[2, 3]);
    /// ```
    pub fn reshape(&self, shape: &[isize]) -> Tensor<T> {
        or_panic(self.try_reshape(shape))
    }

    /// Fallible [`Tensor::reshape`].
    pub fn try_reshape(&self, shape: &[isize]) -> Result<Tensor<T>> {
        let new = resolve_reshape(&self.shape(), shape)?;
        Ok(self.reshape_exact(&new))
    }

    /// The same values in `shape` (same element count): a view when the strides allow it (always
    /// for a contiguous tensor), else a copy, as `torch.reshape`.
    pub(crate) fn reshape_exact(&self, shape: &[usize]) -> Tensor<T> {
        if self.shape().as_slice() == shape {
            return self.clone();
        }
        self.view_of(ViewKind::Reshape(Shape::from_slice(shape)))
            .unwrap_or_else(|| {
                self.contiguous()
                    .view_of(ViewKind::Reshape(Shape::from_slice(shape)))
                    .expect("a contiguous tensor can take any shape of its size")
            })
    }

    /// The same values in a new shape, always sharing storage (`x.view(shape)`); one dimension
    /// may be `-1`. Panics, as PyTorch does, when the strides cannot express the new shape
    /// (e.g. `x.t().view(-1)`): use [`Tensor::reshape`], which copies then.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 6.0, 1.0);
    /// let v = x.view(&[2, 3]);
    /// assert!(v.shares_storage(&x));
    /// ```
    pub fn view(&self, shape: &[isize]) -> Tensor<T> {
        or_panic(self.try_view(shape))
    }

    /// Fallible [`Tensor::view`].
    pub fn try_view(&self, shape: &[isize]) -> Result<Tensor<T>> {
        let new = resolve_reshape(&self.shape(), shape)?;
        self.try_view_shape(new)
    }

    /// Splits dimension `dim` into `sizes` (one may be `-1`) (`x.unflatten(dim, sizes)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2, 12]);
    /// assert_eq!(x.unflatten(1, &[3, -1]).shape().as_slice(), &[2, 3, 4]);
    /// ```
    pub fn unflatten(&self, dim: isize, sizes: &[isize]) -> Tensor<T> {
        assert!(
            self.ndim() > 0,
            "unflatten: Dimension specified as {dim} but tensor has no dimensions"
        );
        let shape = self.shape();
        let d = or_panic(normalize_dim("unflatten", dim, &shape));
        let inner = or_panic(resolve_reshape(&[shape[d]], sizes));
        let mut new: Vec<usize> = shape[..d].to_vec();
        new.extend_from_slice(&inner);
        new.extend_from_slice(&shape[d + 1..]);
        self.reshape_exact(&new)
    }

    /// Inserts a dimension of size 1 at `dim` (`x.unsqueeze(dim)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::<f32>::zeros(&[3]).unsqueeze(0).shape().as_slice(), &[1, 3]);
    /// ```
    pub fn unsqueeze(&self, dim: isize) -> Tensor<T> {
        let mut shape = self.shape();
        let rank = shape.len() as isize + 1;
        let d = if dim < 0 { dim + rank } else { dim };
        assert!(
            (0..rank).contains(&d),
            "unsqueeze: dimension out of range (expected to be in range of [{}, {}], but got {dim})",
            -rank,
            rank - 1
        );
        shape.insert(d as usize, 1);
        renamed(self.reshape_exact(&shape), "UnsqueezeBackward0")
    }

    /// Removes dimension `dim` if it has size 1 (`x.squeeze(dim)`; a view).
    pub fn squeeze(&self, dim: isize) -> Tensor<T> {
        let mut shape = self.shape();
        let d = or_panic(normalize_dim("squeeze", dim, &shape));
        if shape.get(d) == Some(&1) {
            shape.remove(d);
        }
        renamed_view(self.reshape_exact(&shape), self, "SqueezeBackward1")
    }

    /// Removes every dimension of size 1 (`x.squeeze()`; a view).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::<f32>::zeros(&[1, 3, 1]).squeeze_all().shape().as_slice(), &[3]);
    /// ```
    pub fn squeeze_all(&self) -> Tensor<T> {
        let shape: Vec<usize> = self.shape().iter().copied().filter(|&d| d != 1).collect();
        renamed_view(self.reshape_exact(&shape), self, "SqueezeBackward0")
    }

    /// Flattens dimensions `start_dim..=end_dim` into one (`torch.flatten(x, start_dim,
    /// end_dim)`; a view when the strides allow, else a copy).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2, 3, 4, 5]);
    /// assert_eq!(x.flatten_range(1, 2).shape().as_slice(), &[2, 12, 5]);
    /// ```
    pub fn flatten_range(&self, start_dim: isize, end_dim: isize) -> Tensor<T> {
        let shape = self.shape();
        if shape.is_empty() {
            return self.reshape_exact(&[1]);
        }
        let s = or_panic(normalize_dim("flatten", start_dim, &shape));
        let e = or_panic(normalize_dim("flatten", end_dim, &shape));
        assert!(
            s <= e,
            "flatten() has invalid args: start_dim ({start_dim}) cannot come after end_dim \
             ({end_dim})"
        );
        let mut new: Vec<usize> = shape[..s].to_vec();
        new.push(shape[s..=e].iter().product());
        new.extend_from_slice(&shape[e + 1..]);
        self.reshape_exact(&new)
    }

    /// Flattens dimensions `start_dim..` into one (`torch.flatten(x, start_dim)`; a view when
    /// the strides allow, else a copy).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::<f32>::zeros(&[2, 3, 4]).flatten(1).shape().as_slice(), &[2, 12]);
    /// ```
    pub fn flatten(&self, start_dim: isize) -> Tensor<T> {
        let shape = self.shape();
        if shape.is_empty() {
            return self.reshape_exact(&[1]);
        }
        let s = or_panic(normalize_dim("flatten", start_dim, &shape));
        let mut new: Vec<usize> = shape[..s].to_vec();
        new.push(shape[s..].iter().product());
        self.reshape_exact(&new)
    }
}
