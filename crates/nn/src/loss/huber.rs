//! [`HuberLoss`] (`torch.nn.HuberLoss`) and [`huber_loss`].

use super::options::loss_options;
use super::{same_shape, Reduction};
use tapegrad_autograd::{Element, Tensor};

/// The Huber loss (`F.huber_loss(input, target, reduction=, delta=)`): with `d = input -
/// target`, `0.5·d²` where `|d| < delta` and `delta·(|d| - 0.5·delta)` elsewhere, reduced.
/// `delta` must be positive; the loss is `delta` times [`smooth_l1_loss`](super::smooth_l1::smooth_l1_loss)
/// with `beta = delta`.
///
/// Derivative: `d/d input = clamp(d, -delta, delta)` (`-` that for the target), scaled by the
/// reduction.
///
/// ```
/// use tapegrad_autograd::{functional::Reduction, Tensor};
/// use tapegrad_nn::functional::huber_loss;
/// let x = Tensor::from_vec(vec![0.5f64, 3.0], &[2]);
/// let y = Tensor::zeros(&[2]);
/// assert_eq!(huber_loss(&x, &y, Reduction::None, 1.0).to_vec(), vec![0.125, 2.5]);
/// ```
pub fn huber_loss<T: Element>(
    input: &Tensor<T>,
    target: &Tensor<T>,
    reduction: Reduction,
    delta: f64,
) -> Tensor<T> {
    assert!(
        delta > 0.0,
        "huber_loss does not support non-positive values for delta (got {delta})"
    );
    same_shape("huber_loss", input, target);
    let d = input.sub(target);
    let a = d.abs();
    let delta_t = T::from_f64(delta);
    let quadratic = d.square().mul_scalar(T::from_f64(0.5));
    let linear = a.sub_scalar(T::from_f64(0.5 * delta)).mul_scalar(delta_t);
    reduction.apply(Tensor::where_(&a.lt(delta_t), &quadratic, &linear))
}

/// The Huber loss (`torch.nn.HuberLoss(reduction='mean', delta=1.0)`): quadratic `0.5·d²` for
/// `|d| < delta`, linear `delta·(|d| - 0.5·delta)` beyond, with `d = input - target`.
/// Derivative: `clamp(d, -delta, delta)`, scaled by the reduction. See [`huber_loss`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::HuberLoss;
/// let x = Tensor::from_vec(vec![0.5f64, 3.0], &[2]);
/// let y = Tensor::zeros(&[2]);
/// assert_eq!(HuberLoss::new().forward(&x, &y).item(), 1.3125);
/// assert_eq!(HuberLoss::new().delta(2.0).forward(&x, &y).item(), 2.0625);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HuberLoss {
    /// How the per-element losses are reduced.
    pub reduction: Reduction,
    /// `delta=`: where the loss turns from quadratic to linear (1.0 by default).
    pub delta: f64,
}

loss_options! {
    HuberLoss {
        reduction: Reduction = Reduction::Mean,
        /// Sets `delta=`.
        delta: f64 = 1.0,
    }
}

impl HuberLoss {
    /// Computes the loss (`loss_fn(input, target)`).
    pub fn forward<T: Element>(&self, input: &Tensor<T>, target: &Tensor<T>) -> Tensor<T> {
        huber_loss(input, target, self.reduction, self.delta)
    }
}
