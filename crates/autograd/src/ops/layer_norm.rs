//! `layer_norm`: normalise over the last dimensions, then scale and shift.

use crate::element::Element;
use crate::tensor::Tensor;

/// Layer normalisation (`F.layer_norm(x, normalized_shape, weight, bias, eps)`): over the last
/// `normalized_shape.len()` dimensions (which must equal `normalized_shape`),
/// `y = (x - mean) / sqrt(var + eps) * weight + bias` with the biased variance, as PyTorch.
/// Built from differentiable ops (mean, var, sqrt, div), so its derivative is theirs.
///
/// ```
/// use tapegrad_autograd::{functional::layer_norm, Tensor};
/// let x = Tensor::from_vec(vec![1.0f64, 3.0], &[1, 2]);
/// // mean 2, biased variance 1: (x - 2) / sqrt(1 + 0) = [-1, 1]
/// assert_eq!(layer_norm(&x, &[2], None, None, 0.0).to_vec(), vec![-1.0, 1.0]);
/// ```
pub fn layer_norm<T: Element>(
    x: &Tensor<T>,
    normalized_shape: &[usize],
    weight: Option<&Tensor<T>>,
    bias: Option<&Tensor<T>>,
    eps: f64,
) -> Tensor<T> {
    let shape = x.shape();
    let k = normalized_shape.len();
    assert!(
        k >= 1 && shape.len() >= k && shape[shape.len() - k..] == *normalized_shape,
        "layer_norm: Given normalized_shape={normalized_shape:?}, expected input with shape \
         [*, {}], but got input of size {:?}",
        normalized_shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        shape.as_slice()
    );
    let dims: Vec<isize> = (1..=k as isize).map(|d| -d).collect();
    let mean = x.mean_dims(&dims, true);
    let var = x.var(&dims, 0.0, true);
    let mut y = x.sub(&mean).div(&var.add_scalar(T::from_f64(eps)).sqrt());
    if let Some(w) = weight {
        y = y.mul(w);
    }
    if let Some(b) = bias {
        y = y.add(b);
    }
    y
}
