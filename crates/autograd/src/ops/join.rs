//! Joining: `cat`, `stack`, `hstack`, `vstack`. The gradient of each input is its slice of the
//! output's gradient (`narrow`), so these are mutual adjoints of `split`.

use crate::element::{Element, Scalar};
use crate::error::{Result, TensorError};
use crate::graph::renamed;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use ndarray::{ArrayD, Axis, IxDyn};

impl<T: Scalar> Tensor<T> {
    /// Concatenates tensors along `dim` (`torch.cat(tensors, dim)`); all sizes but `dim`'s must
    /// match. Derivative: each input receives its slice of the gradient.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]);
    /// let b = Tensor::from_vec(vec![3.0f32, 4.0, 5.0, 6.0], &[2, 2]);
    /// assert_eq!(Tensor::cat(&[&a, &b], 0).to_vec(), vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    /// ```
    pub fn cat(tensors: &[&Tensor<T>], dim: isize) -> Tensor<T> {
        or_panic(Self::try_cat(tensors, dim))
    }

    /// Fallible [`Tensor::cat`], with PyTorch's messages.
    pub fn try_cat(tensors: &[&Tensor<T>], dim: isize) -> Result<Tensor<T>> {
        let Some(first) = tensors.first() else {
            return Err(TensorError::Invalid(
                "cat(): expected a non-empty list of Tensors".into(),
            ));
        };
        let shape0 = first.shape();
        if shape0.is_empty() {
            return Err(TensorError::Invalid(
                "cat(): zero-dimensional tensor (at position 0) cannot be concatenated; \
                 unsqueeze it first or use stack"
                    .into(),
            ));
        }
        let d = normalize_dim("cat", dim, &shape0)?;
        let mut sizes = Vec::with_capacity(tensors.len());
        for (i, t) in tensors.iter().enumerate() {
            let s = t.shape();
            if s.len() != shape0.len() {
                return Err(TensorError::Invalid(format!(
                    "Tensors must have same number of dimensions: got {} and {} (tensor number \
                     {i} in the list has shape {:?})",
                    shape0.len(),
                    s.len(),
                    s.as_slice()
                )));
            }
            for k in 0..s.len() {
                if k != d && s[k] != shape0[k] {
                    return Err(TensorError::Invalid(format!(
                        "Sizes of tensors must match except in dimension {d}. Expected size {} \
                         but got size {} for tensor number {i} in the list.",
                        shape0[k], s[k]
                    )));
                }
            }
            sizes.push(s[d]);
        }
        let mut out_shape = shape0.to_vec();
        out_shape[d] = sizes.iter().sum();
        let mut out = ArrayD::<T>::from_elem(IxDyn(&out_shape), T::ZERO);
        let mut start = 0;
        for (t, &len) in tensors.iter().zip(&sizes) {
            out.slice_axis_mut(Axis(d), (start..start + len).into())
                .assign(&*t.data());
            start += len;
        }
        Ok(record(out, CatBackward { dim: d, sizes }, tensors))
    }

    /// Stacks tensors of one shape along a new dimension `dim` (`torch.stack`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// assert_eq!(Tensor::stack(&[&a, &a], 1).to_vec(), vec![1.0, 1.0, 2.0, 2.0]);
    /// ```
    pub fn stack(tensors: &[&Tensor<T>], dim: isize) -> Tensor<T> {
        let Some(first) = tensors.first() else {
            panic!("stack expects a non-empty TensorList");
        };
        let shape0 = first.shape();
        for (i, t) in tensors.iter().enumerate() {
            assert!(
                t.shape() == shape0,
                "stack expects each tensor to be equal size, but got {:?} at entry 0 and {:?} \
                 at entry {i}",
                shape0.as_slice(),
                t.shape().as_slice()
            );
        }
        let rank = shape0.len() as isize + 1;
        let d = if dim < 0 { dim + rank } else { dim };
        let parts: Vec<Tensor<T>> = tensors.iter().map(|t| t.unsqueeze(d)).collect();
        let refs: Vec<&Tensor<T>> = parts.iter().collect();
        renamed(Self::cat(&refs, d), "StackBackward0")
    }

    /// Concatenates along dimension 1, or 0 for 1-D tensors (`torch.hstack`).
    pub fn hstack(tensors: &[&Tensor<T>]) -> Tensor<T> {
        let dim = if tensors.first().is_some_and(|t| t.ndim() == 1) {
            0
        } else {
            1
        };
        Self::cat(tensors, dim)
    }

    /// Concatenates along dimension 0, 1-D tensors taken as rows (`torch.vstack`).
    pub fn vstack(tensors: &[&Tensor<T>]) -> Tensor<T> {
        let rows: Vec<Tensor<T>> = tensors
            .iter()
            .map(|t| {
                if t.ndim() < 2 {
                    t.reshape(&[1, -1])
                } else {
                    (*t).clone()
                }
            })
            .collect();
        let refs: Vec<&Tensor<T>> = rows.iter().collect();
        Self::cat(&refs, 0)
    }
}

struct CatBackward {
    dim: usize,
    sizes: Vec<usize>,
}
impl<T: Scalar> Op<T> for CatBackward {
    fn name(&self) -> &'static str {
        "CatBackward0"
    }
    fn rule(&self) -> &'static str {
        "d cat(xs)/dx_i: the slice of the gradient where x_i was placed"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T>
    where
        T: Element,
    {
        let mut start = 0;
        self.sizes
            .iter()
            .enumerate()
            .map(|(i, &len)| {
                let g = c
                    .needs_grad(i)
                    .then(|| c.grad.narrow(self.dim as isize, start as isize, len));
                start += len;
                g
            })
            .collect()
    }
}
