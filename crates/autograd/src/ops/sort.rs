//! Sorting: `sort`, `argsort`, `topk`. Values come from `gather` with the sorting indices, so
//! their gradient flows back to the positions they came from. NaN sorts as larger than every
//! number, as in PyTorch; equal values keep their order (a stable sort).

use crate::element::Scalar;
use crate::graph::renamed;
use crate::ops::or_panic;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use ndarray::Axis;
use std::cmp::Ordering;

/// PyTorch's order: numbers ascending, NaN last.
fn total<T: Scalar>(a: T, b: T) -> Ordering {
    match (a.is_nan_value(), b.is_nan_value()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

impl<T: Scalar> Tensor<T> {
    /// The values sorted along `dim` and the indices they came from
    /// (`values, indices = torch.sort(x, dim, descending)`), stable.
    /// Derivative: the gradient goes back to where each value came from.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![3.0f32, 1.0, 2.0], &[3]);
    /// let (v, i) = x.sort(-1, false);
    /// assert_eq!((v.to_vec(), i.to_vec()), (vec![1.0, 2.0, 3.0], vec![1, 2, 0]));
    /// ```
    pub fn sort(&self, dim: isize, descending: bool) -> (Tensor<T>, Tensor<i64>) {
        let i = self.argsort(dim, descending);
        (renamed(self.gather(dim, &i), "SortBackward0"), i)
    }

    /// The indices that sort `self` along `dim` (`torch.argsort`), stable.
    pub fn argsort(&self, dim: isize, descending: bool) -> Tensor<i64> {
        let shape = self.shape();
        if shape.is_empty() {
            return Tensor::scalar(0);
        }
        let d = or_panic(normalize_dim("sort", dim, &shape));
        let data = self.data();
        let mut out = ndarray::ArrayD::<i64>::zeros(data.raw_dim());
        for (lane, mut out_lane) in data.lanes(Axis(d)).into_iter().zip(out.lanes_mut(Axis(d))) {
            let mut order: Vec<usize> = (0..lane.len()).collect();
            order.sort_by(|&a, &b| {
                let o = total(lane[a], lane[b]);
                if descending {
                    o.reverse()
                } else {
                    o
                }
            });
            for (slot, &k) in out_lane.iter_mut().zip(&order) {
                *slot = k as i64;
            }
        }
        drop(data);
        Tensor::from_array(out)
    }

    /// The `k` largest (or smallest) values along `dim` and their indices (`torch.topk`),
    /// in sorted order. Derivative: as [`Tensor::sort`].
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 9.0, 4.0, 7.0], &[4]);
    /// let (v, i) = x.topk(2, -1, true);
    /// assert_eq!((v.to_vec(), i.to_vec()), (vec![9.0, 7.0], vec![1, 3]));
    /// ```
    pub fn topk(&self, k: usize, dim: isize, largest: bool) -> (Tensor<T>, Tensor<i64>) {
        let shape = self.shape();
        let d = or_panic(normalize_dim("topk", dim, &shape));
        let size = shape.get(d).copied().unwrap_or(1);
        assert!(
            k <= size,
            "topk(): selected index k ({k}) out of range for dimension {d} of size {size}"
        );
        let i = self.argsort(dim, largest);
        let i = if shape.is_empty() {
            i
        } else {
            i.narrow(d as isize, 0, k).contiguous()
        };
        (renamed(self.gather(dim, &i), "TopkBackward0"), i)
    }
}
