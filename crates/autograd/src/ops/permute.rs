//! Reordering dimensions: `permute`, `transpose`, `t`.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use crate::TensorError;
use smallvec::{smallvec, SmallVec};

impl<T: Element> Tensor<T> {
    /// Reorders the dimensions: output dimension `i` is input dimension `dims[i]`
    /// (`x.permute(dims)`). The result is stored contiguously.
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
        let out = self
            .data()
            .view()
            .permuted_axes(dims.to_vec())
            .as_standard_layout()
            .into_owned();
        record(
            out,
            PermuteBackward {
                dims: dims.iter().copied().collect(),
            },
            &[self],
        )
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
        dims.swap(a, b);
        self.permute(&dims)
    }

    /// The transpose of a matrix, a no-op for 0-d and 1-d tensors (`x.t()`, or `x.mT` for the
    /// last two dimensions of a batch).
    pub fn t(&self) -> Tensor<T> {
        if self.ndim() < 2 {
            self.clone()
        } else {
            self.transpose(-2, -1)
        }
    }
}

struct PermuteBackward {
    dims: SmallVec<[usize; 4]>,
}
impl<T: Element> Op<T> for PermuteBackward {
    fn name(&self) -> &'static str {
        "PermuteBackward0"
    }
    fn rule(&self) -> &'static str {
        "permute: the gradient is permuted back by the inverse permutation"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let mut inverse = vec![0; self.dims.len()];
        for (i, &d) in self.dims.iter().enumerate() {
            inverse[d] = i;
        }
        smallvec![Some(c.grad.permute(&inverse))]
    }
}
