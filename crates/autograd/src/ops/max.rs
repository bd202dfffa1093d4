//! Maximum over a dimension, with the indices of the maxima.

use crate::element::Element;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use ndarray::{ArrayD, Axis, IxDyn};
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// The maximum over `dim` and where it is (`values, indices = x.max(dim, keepdim)`); the
    /// first maximum wins ties, and the gradient flows to it alone.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, 3.0, 4.0], &[2, 2]);
    /// let (v, i) = x.max_dim(1, false);
    /// assert_eq!((v.to_vec(), i), (vec![5.0, 4.0], vec![1, 1]));
    /// ```
    pub fn max_dim(&self, dim: isize, keepdim: bool) -> (Tensor<T>, Vec<usize>) {
        let d = or_panic(normalize_dim("max", dim, &self.shape()));
        if self.ndim() == 0 {
            // PyTorch accepts dim 0 / -1 on a 0-d tensor; the result is 0-d.
            return self.unsqueeze(0).max_dim(0, false);
        }
        let (values, indices) = {
            let data = self.data();
            assert!(
                data.shape()[d] > 0,
                "max(): cannot reduce over dimension {d} of size 0 (shape {:?})",
                data.shape()
            );
            // Lanes are visited in row-major order of the remaining dimensions.
            let mut idx = Vec::new();
            let mut vals = Vec::new();
            for lane in data.lanes(Axis(d)) {
                let (mut bi, mut bv) = (0, lane[0]);
                for (i, &x) in lane.iter().enumerate() {
                    if x > bv || (x.is_nan() && !bv.is_nan()) {
                        bi = i;
                        bv = x;
                    }
                }
                idx.push(bi);
                vals.push(bv);
            }
            let mut reduced: Vec<usize> = data.shape().to_vec();
            reduced.remove(d);
            let v = ArrayD::from_shape_vec(IxDyn(&reduced), vals).expect("one value per lane");
            (if keepdim { v.insert_axis(Axis(d)) } else { v }, idx)
        };
        let out = record(
            values,
            MaxBackward {
                dim: d,
                keepdim,
                indices: indices.clone(),
            },
            &[self],
        );
        (out, indices)
    }

    /// The largest element, as a 0-d tensor (`x.max()`); tied maxima share the gradient
    /// evenly, as PyTorch.
    pub fn max(&self) -> Tensor<T> {
        self.amax(&[], false)
    }
}

struct MaxBackward {
    dim: usize,
    keepdim: bool,
    indices: Vec<usize>,
}
impl<T: Element> Op<T> for MaxBackward {
    fn name(&self) -> &'static str {
        "MaxBackward0"
    }
    fn rule(&self) -> &'static str {
        "d max(x, dim)/dx_i = 1 at the position of the maximum, 0 elsewhere"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let shape = c.inputs[0].shape();
        // A constant one-hot mask of the argmax positions, in the same lane order map_axis used.
        let mut mask = ArrayD::<T>::zeros(IxDyn(&shape));
        for (lane, &i) in mask
            .lanes_mut(Axis(self.dim))
            .into_iter()
            .zip(&self.indices)
        {
            let mut lane = lane;
            lane[i] = T::one();
        }
        let g = if self.keepdim {
            c.grad.clone()
        } else {
            c.grad.unsqueeze(self.dim as isize)
        };
        smallvec![Some(g.broadcast_to(&shape).mul(&Tensor::from_array(mask)))]
    }
}
