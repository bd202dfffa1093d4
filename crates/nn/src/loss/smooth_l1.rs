//! [`SmoothL1Loss`] (`torch.nn.SmoothL1Loss`) and [`smooth_l1_loss`].

use super::options::loss_options;
use super::{same_shape, Reduction};
use tapegrad_autograd::functional::l1_loss;
use tapegrad_autograd::{Element, Tensor};

/// The smooth L1 loss (`F.smooth_l1_loss(input, target, reduction=, beta=)`): with `d = input
/// - target`, `0.5·d²/beta` where `|d| < beta` and `|d| - 0.5·beta` elsewhere, reduced;
/// `beta = 0` is [`l1_loss`]. `beta` must not be negative.
///
/// Derivative: `d/d input = clamp(d/beta, -1, 1)` (`sign(d)` for `beta = 0`; `-` that for the
/// target), scaled by the reduction.
///
/// ```
/// use tapegrad_autograd::{functional::Reduction, Tensor};
/// use tapegrad_nn::functional::smooth_l1_loss;
/// let x = Tensor::from_vec(vec![0.5f64, 3.0], &[2]);
/// let y = Tensor::zeros(&[2]);
/// assert_eq!(smooth_l1_loss(&x, &y, Reduction::None, 2.0).to_vec(), vec![0.0625, 2.0]);
/// ```
pub fn smooth_l1_loss<T: Element>(
    input: &Tensor<T>,
    target: &Tensor<T>,
    reduction: Reduction,
    beta: f64,
) -> Tensor<T> {
    assert!(
        beta >= 0.0,
        "smooth_l1_loss does not support negative values for beta (got {beta})"
    );
    same_shape("smooth_l1_loss", input, target);
    if beta == 0.0 {
        return l1_loss(input, target, reduction);
    }
    let d = input.sub(target);
    let a = d.abs();
    let quadratic = d.square().mul_scalar(T::from_f64(0.5 / beta));
    let linear = a.sub_scalar(T::from_f64(0.5 * beta));
    reduction.apply(Tensor::where_(
        &a.lt(T::from_f64(beta)),
        &quadratic,
        &linear,
    ))
}

/// The smooth L1 loss (`torch.nn.SmoothL1Loss(reduction='mean', beta=1.0)`): `0.5·d²/beta`
/// for `|d| < beta`, `|d| - 0.5·beta` beyond, with `d = input - target`. Derivative:
/// `clamp(d/beta, -1, 1)`, scaled by the reduction. See [`smooth_l1_loss`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::SmoothL1Loss;
/// let x = Tensor::from_vec(vec![0.5f64, 3.0], &[2]);
/// let y = Tensor::zeros(&[2]);
/// assert_eq!(SmoothL1Loss::new().forward(&x, &y).item(), 1.3125);
/// assert_eq!(SmoothL1Loss::new().beta(0.0).forward(&x, &y).item(), 1.75);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SmoothL1Loss {
    /// How the per-element losses are reduced.
    pub reduction: Reduction,
    /// `beta=`: where the loss turns from quadratic to linear (1.0 by default).
    pub beta: f64,
}

loss_options! {
    SmoothL1Loss {
        reduction: Reduction = Reduction::Mean,
        /// Sets `beta=`.
        beta: f64 = 1.0,
    }
}

impl SmoothL1Loss {
    /// Computes the loss (`loss_fn(input, target)`).
    pub fn forward<T: Element>(&self, input: &Tensor<T>, target: &Tensor<T>) -> Tensor<T> {
        smooth_l1_loss(input, target, self.reduction, self.beta)
    }
}
