//! Reshaping: `reshape`, `unsqueeze`, `squeeze`, `flatten`. The values keep their row-major
//! order; the gradient is reshaped back.

use crate::element::Element;
use crate::error::Result;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::shape::{normalize_dim, resolve_reshape};
use crate::tensor::Tensor;
use ndarray::IxDyn;
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
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

    pub(crate) fn reshape_exact(&self, shape: &[usize]) -> Tensor<T> {
        if self.shape().as_slice() == shape {
            return self.clone();
        }
        let out = {
            let d = self.data();
            let v: Vec<T> = d.iter().copied().collect();
            ndarray::ArrayD::from_shape_vec(IxDyn(shape), v).expect("element count checked")
        };
        record(out, ViewBackward, &[self])
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
        self.reshape_exact(&shape)
    }

    /// Removes dimension `dim` if it has size 1 (`x.squeeze(dim)`).
    pub fn squeeze(&self, dim: isize) -> Tensor<T> {
        let mut shape = self.shape();
        let d = or_panic(normalize_dim("squeeze", dim, &shape));
        if shape.get(d) == Some(&1) {
            shape.remove(d);
        }
        self.reshape_exact(&shape)
    }

    /// Flattens dimensions `start_dim..` into one (`torch.flatten(x, start_dim)`).
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

struct ViewBackward;
impl<T: Element> Op<T> for ViewBackward {
    fn name(&self) -> &'static str {
        "ViewBackward0"
    }
    fn rule(&self) -> &'static str {
        "reshape: the gradient is reshaped back to the input's shape"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        smallvec![Some(c.grad.reshape_exact(&c.inputs[0].shape()))]
    }
}
