//! [`BCELoss`] (`torch.nn.BCELoss`) and [`binary_cross_entropy_weighted`].

use super::options::{constant_as, loss_options};
use super::Reduction;
use tapegrad_autograd::functional::binary_cross_entropy;
use tapegrad_autograd::{Element, Tensor};

/// Binary cross-entropy on probabilities with PyTorch's `weight` (`F.binary_cross_entropy(input,
/// target, weight=weight, reduction=)`): `-weight·(t·log p + (1-t)·log(1-p))` elementwise, each
/// log clamped at -100, `weight` broadcast against the input (e.g. one per column), then
/// reduced: `mean` is over all elements (not divided by the weights). `None` is plain
/// [`binary_cross_entropy`].
///
/// Derivative: `d/dp = weight·(p - t)/max(p(1-p), 1e-12)`, scaled by the reduction; the
/// weight is a constant.
///
/// ```
/// use tapegrad_autograd::{functional::Reduction, Tensor};
/// use tapegrad_nn::functional::binary_cross_entropy_weighted;
/// let p = Tensor::from_vec(vec![0.5f64, 0.5], &[2]);
/// let t = Tensor::from_vec(vec![1.0f64, 0.0], &[2]);
/// let w = Tensor::from_vec(vec![1.0f64, 3.0], &[2]);
/// let l = binary_cross_entropy_weighted(&p, &t, Some(&w), Reduction::Sum).item();
/// assert!((l - 4.0 * 2f64.ln()).abs() < 1e-12);
/// ```
pub fn binary_cross_entropy_weighted<T: Element>(
    input: &Tensor<T>,
    target: &Tensor<T>,
    weight: Option<&Tensor<T>>,
    reduction: Reduction,
) -> Tensor<T> {
    match weight {
        None => binary_cross_entropy(input, target, reduction),
        Some(w) => {
            reduction.apply(binary_cross_entropy(input, target, Reduction::None).mul(&w.detach()))
        }
    }
}

/// Binary cross-entropy on probabilities, `−weight·(t·log p + (1−t)·log(1−p))`, each log
/// clamped at −100 (`torch.nn.BCELoss(weight=None, reduction='mean')`). Inputs must lie in
/// [0, 1] (apply a sigmoid first). `weight` (optional, a constant) rescales each element and
/// broadcasts against the input. Derivative: `weight·(p − t)/max(p(1−p), 1e-12)`, scaled by
/// the reduction.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::BCELoss;
/// let (p, t) = (Tensor::from_vec(vec![0.5f64], &[1]), Tensor::from_vec(vec![1.0f64], &[1]));
/// assert!((BCELoss::new().forward(&p, &t).item() - 2f64.ln()).abs() < 1e-12);
/// let w = Tensor::from_vec(vec![2.0f64], &[1]);
/// assert!((BCELoss::new().weight(&w).forward(&p, &t).item() - 2.0 * 2f64.ln()).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct BCELoss {
    /// How the per-element losses are reduced.
    pub reduction: Reduction,
    /// `weight=`, kept in f64 and converted to the input's type.
    pub weight: Option<Tensor<f64>>,
}

loss_options! {
    BCELoss {
        reduction: Reduction = Reduction::Mean,
    }
    constants {
        /// Sets `weight=` (broadcast against the input; a constant copy, no gradient).
        weight,
    }
}

impl BCELoss {
    /// Computes the loss (`loss_fn(input, target)`).
    pub fn forward<T: Element>(&self, input: &Tensor<T>, target: &Tensor<T>) -> Tensor<T> {
        let weight = constant_as(&self.weight);
        binary_cross_entropy_weighted(input, target, weight.as_ref(), self.reduction)
    }
}
