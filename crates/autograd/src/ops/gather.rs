//! Picking one element per row along the last dimension (`x.gather(-1, idx[..., None])`),
//! the core of NLL and cross-entropy, and its adjoint, scattering back.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;
use std::sync::Arc;

fn check_indices(op: &str, rows: usize, classes: usize, indices: &[usize]) {
    assert!(
        indices.len() == rows,
        "{op}: expected {rows} indices (one per row), got {}",
        indices.len()
    );
    if let Some((i, &bad)) = indices.iter().enumerate().find(|(_, &t)| t >= classes) {
        panic!("{op}: index {bad} at position {i} is out of bounds for dimension -1 with size {classes}; class indices must be in 0..{classes}");
    }
}

impl<T: Element> Tensor<T> {
    /// For each row along the last dimension, the element at `indices[row]`: shape
    /// `[..., C] -> [...]` (`x.gather(-1, idx.unsqueeze(-1)).squeeze(-1)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// assert_eq!(x.gather_last(&[1, 0]).to_vec(), vec![2.0, 3.0]);
    /// ```
    pub fn gather_last(&self, indices: &[usize]) -> Tensor<T> {
        let shape = self.shape();
        assert!(
            !shape.is_empty(),
            "gather_last: needs at least one dimension"
        );
        let classes = *shape.last().expect("rank >= 1");
        // The leading dimensions' product, not numel / classes: that is 0 for 0 classes.
        let rows: usize = shape[..shape.len() - 1].iter().product();
        check_indices("gather", rows, classes, indices);
        let out = {
            // Read in place where contiguous: a copy of the whole input (cross-entropy's
            // `[1024, 65]` log-probabilities, to pick 1 024 of them) was about a tenth of its
            // forward (one thread, Zen 4: 69–72 → 64 µs).
            let flat = self.read_values();
            let v: Vec<T> = indices
                .iter()
                .enumerate()
                .map(|(r, &i)| flat[r * classes + i])
                .collect();
            ArrayD::from_shape_vec(IxDyn(&shape[..shape.len() - 1]), v).expect("one per row")
        };
        let idx: Arc<[usize]> = indices.into();
        record(
            out,
            LastDimBackward {
                indices: idx,
                of_gather: true,
            },
            &[self],
        )
    }

    /// The adjoint of [`Tensor::gather_last`]: a `[..., classes]` tensor of zeros with row `r`'s
    /// value placed at `indices[r]`.
    pub fn scatter_last(&self, indices: &[usize], classes: usize) -> Tensor<T> {
        let rows = self.numel();
        check_indices("scatter", rows, classes, indices);
        let mut shape: Vec<usize> = self.shape().to_vec();
        shape.push(classes);
        let out = {
            let d = self.data();
            let mut v = vec![T::zero(); rows * classes];
            for (r, (&i, &g)) in indices.iter().zip(d.iter()).enumerate() {
                v[r * classes + i] = g;
            }
            ArrayD::from_shape_vec(IxDyn(&shape), v).expect("shape")
        };
        let idx: Arc<[usize]> = indices.into();
        record(
            out,
            LastDimBackward {
                indices: idx,
                of_gather: false,
            },
            &[self],
        )
    }
}

/// The backward of `gather_last` (`of_gather: true`) and of `scatter_last`: each the other's
/// adjoint at the same indices.
struct LastDimBackward {
    indices: Arc<[usize]>,
    of_gather: bool,
}
impl<T: Element> Op<T> for LastDimBackward {
    fn name(&self) -> &'static str {
        if self.of_gather {
            "GatherBackward0"
        } else {
            "ScatterBackward0"
        }
    }
    fn rule(&self) -> &'static str {
        if self.of_gather {
            "d gather(x, i)/dx: the gradient goes to the picked element, 0 elsewhere"
        } else {
            "d scatter(x, i)/dx: pick the gradient at the scattered positions"
        }
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let g = if self.of_gather {
            let classes = *c.inputs[0].shape().last().expect("rank >= 1");
            c.grad.scatter_last(&self.indices, classes)
        } else {
            c.grad.gather_last(&self.indices)
        };
        smallvec![Some(g)]
    }
}
