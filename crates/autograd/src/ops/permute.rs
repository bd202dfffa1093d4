//! Reordering dimensions: `permute`, `transpose`, `t`, `mt` (views).

use crate::element::Scalar;
use crate::graph::{renamed, renamed_view};
use crate::ops::or_panic;
use crate::ops::view::ViewKind;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use crate::TensorError;

impl<T: Scalar> Tensor<T> {
    /// Reorders the dimensions: output dimension `i` is input dimension `dims[i]`
    /// (`x.permute(dims)`). A view: no values move.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2, 3, 4]);
    /// assert_eq!(x.permute(&[2, 0, 1]).shape().as_slice(), &[4, 2, 3]);
    /// ```
    pub fn permute(&self, dims: &[usize]) -> Tensor<T> {
        let rank = self.ndim();
        let mut seen = vec![false; rank];
        let valid = dims.len() == rank
            && dims
                .iter()
                .all(|&d| d < rank && !std::mem::replace(&mut seen[d], true));
        if !valid {
            or_panic::<()>(Err(TensorError::Invalid(format!(
                "permute: number of dimensions in the tensor input does not match the \
                 length of the desired ordering of dimensions, or a dimension repeats: got dims \
                 {dims:?} for a tensor of shape {:?}; pass each of 0..{rank} once",
                self.shape()
            ))));
        }
        self.view_of(ViewKind::Permute(dims.iter().copied().collect()))
            .expect("a permutation is always a view")
    }

    /// Swaps two dimensions (`x.transpose(dim0, dim1)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// assert_eq!(x.transpose(0, 1).to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    /// ```
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Tensor<T> {
        let shape = self.shape();
        let a = or_panic(normalize_dim("transpose", dim0, &shape));
        let b = or_panic(normalize_dim("transpose", dim1, &shape));
        let mut dims: Vec<usize> = (0..shape.len()).collect();
        if !dims.is_empty() {
            dims.swap(a, b); // a 0-d tensor transposes to itself
        }
        renamed_view(self.permute(&dims), self, "TransposeBackward0")
    }

    /// The transpose of a matrix, a no-op for 0-d and 1-d tensors (`x.t()`, or `x.mT` for the
    /// last two dimensions of a batch).
    pub fn t(&self) -> Tensor<T> {
        if self.ndim() < 2 {
            self.clone()
        } else {
            renamed(self.transpose(-2, -1), "TBackward0")
        }
    }

    /// The transpose of the last two dimensions of a (batch of) matrices (`x.mT`); panics
    /// below 2 dimensions.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// assert_eq!(Tensor::<f32>::zeros(&[5, 2, 3]).mt().shape().as_slice(), &[5, 3, 2]);
    /// ```
    pub fn mt(&self) -> Tensor<T> {
        assert!(
            self.ndim() >= 2,
            "tensor.mT is only supported on matrices or batches of matrices. Got {}-D tensor.",
            self.ndim()
        );
        self.transpose(-2, -1)
    }
}
