//! `torch.nn.utils`: gradient clipping and flattening parameters into one vector.

use tapegrad_autograd::{no_grad, Element, Tensor};

/// Scales the gradients of `parameters` so that their total `norm_type`-norm (the norm of
/// the per-parameter norms, as PyTorch computes it) is at most `max_norm`, and returns that
/// total norm from before clipping (`torch.nn.utils.clip_grad_norm_`). The gradients are
/// multiplied by `min(1, max_norm / (total + 1e-6))`; parameters without a gradient are
/// skipped. `norm_type` is a p ≥ 1 or `f64::INFINITY`. With `error_if_nonfinite`, a NaN or
/// infinite total panics with PyTorch's message instead of scaling.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::utils::clip_grad_norm_;
/// let p = Tensor::<f64>::zeros(&[2]).requires_grad_(true);
/// p.set_grad(Some(Tensor::from_vec(vec![3.0, 4.0], &[2])));
/// let total = clip_grad_norm_(&[p.clone()], 1.0, 2.0, false);
/// assert_eq!(total.item(), 5.0);
/// let g = p.grad().unwrap().to_vec(); // scaled by 1 / (5 + 1e-6)
/// assert!((g[0] - 0.6).abs() < 1e-6 && (g[1] - 0.8).abs() < 1e-6);
/// ```
pub fn clip_grad_norm_<T: Element>(
    parameters: &[Tensor<T>],
    max_norm: f64,
    norm_type: f64,
    error_if_nonfinite: bool,
) -> Tensor<T> {
    let grads: Vec<Tensor<T>> = parameters.iter().filter_map(|p| p.grad()).collect();
    if grads.is_empty() {
        return Tensor::scalar(T::zero());
    }
    let total = no_grad(|| {
        let norms: Vec<Tensor<T>> = grads
            .iter()
            .map(|g| g.norm(norm_type, &[], false))
            .collect();
        let refs: Vec<&Tensor<T>> = norms.iter().collect();
        Tensor::stack(&refs, 0).norm(norm_type, &[], false)
    });
    let t = total.item().as_f64();
    if error_if_nonfinite && !t.is_finite() {
        panic!(
            "The total norm of order {norm_type} for gradients from `parameters` is non-finite, \
             so it cannot be clipped. To disable this error and scale the gradients by the \
             non-finite norm anyway, set `error_if_nonfinite=False`"
        );
    }
    let coef = T::from_f64(max_norm) / (total.item() + T::from_f64(1e-6));
    let coef = if coef < T::one() { coef } else { T::one() };
    no_grad(|| {
        for g in &grads {
            g.mul_(coef);
        }
    });
    total
}

/// Clamps every gradient element of `parameters` to `[-clip_value, clip_value]`
/// (`torch.nn.utils.clip_grad_value_`).
pub fn clip_grad_value_<T: Element>(parameters: &[Tensor<T>], clip_value: f64) {
    no_grad(|| {
        for g in parameters.iter().filter_map(|p| p.grad()) {
            g.clamp_(Some(-clip_value), Some(clip_value));
        }
    });
}

/// All parameters' values flattened and concatenated into one vector, outside the graph
/// (`torch.nn.utils.parameters_to_vector`).
pub fn parameters_to_vector<T: Element>(parameters: &[Tensor<T>]) -> Tensor<T> {
    let flat: Vec<Tensor<T>> = parameters
        .iter()
        .map(|p| p.detach().reshape(&[-1]))
        .collect();
    let refs: Vec<&Tensor<T>> = flat.iter().collect();
    no_grad(|| Tensor::cat(&refs, 0))
}

/// Writes consecutive slices of `vec` into the parameters, in order
/// (`torch.nn.utils.vector_to_parameters`); panics unless the lengths add up.
pub fn vector_to_parameters<T: Element>(vec: &Tensor<T>, parameters: &[Tensor<T>]) {
    let total: usize = parameters.iter().map(|p| p.numel()).sum();
    assert!(
        vec.ndim() == 1 && vec.numel() == total,
        "vector_to_parameters: expected a vector of {total} elements, got shape {:?}",
        vec.shape().as_slice()
    );
    let mut at = 0;
    no_grad(|| {
        for p in parameters {
            let n = p.numel();
            let dims: Vec<isize> = p.shape().iter().map(|&d| d as isize).collect();
            p.copy_(&vec.narrow(0, at as isize, n).reshape(&dims));
            at += n;
        }
    });
}
