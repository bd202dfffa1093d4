//! The recorded standardisation shared by the double-differentiable backwards of `batch_norm`
//! and `layer_norm`: the statistics recomputed from `x` with tensor ops, so that the backward
//! can itself be differentiated.

use crate::element::Element;
use crate::tensor::Tensor;

/// `(invstd, x̂)` over `dims` (kept): `invstd = 1/√(var + eps)` with the biased variance, and
/// `x̂ = (x − mean)·invstd`, both recorded.
pub(crate) fn standardize<T: Element>(
    x: &Tensor<T>,
    dims: &[isize],
    eps: f64,
) -> (Tensor<T>, Tensor<T>) {
    let mean = x.mean_dims(dims, true);
    let invstd = x
        .var(dims, 0.0, true)
        .add_scalar(T::from_f64(eps))
        .sqrt()
        .pow(-1.0);
    let xhat = x.sub(&mean).mul(&invstd);
    (invstd, xhat)
}
