//! [`MarginRankingLoss`] (`torch.nn.MarginRankingLoss`) and [`margin_ranking_loss`].

use super::options::loss_options;
use super::Reduction;
use tapegrad_autograd::{Element, Tensor};

/// The margin ranking loss (`F.margin_ranking_loss(input1, input2, target, margin=,
/// reduction=)`): `max(0, -target·(input1 - input2) + margin)` elementwise, the three
/// broadcast together (they must have the same number of dimensions, as PyTorch checks),
/// then reduced. `target` holds 1 (input1 should rank higher) or -1 (input2 should).
///
/// Derivative: where the loss is positive (or zero: PyTorch's `clamp_min` passes the
/// gradient at the boundary), `-target` for `input1` and `target` for `input2`; 0 elsewhere.
/// `target` gets `-(input1 - input2)` there.
///
/// ```
/// use tapegrad_autograd::{functional::Reduction, Tensor};
/// use tapegrad_nn::functional::margin_ranking_loss;
/// let a = Tensor::from_vec(vec![1.0f64, 1.0], &[2]);
/// let b = Tensor::from_vec(vec![0.0f64, 0.0], &[2]);
/// let y = Tensor::from_vec(vec![1.0f64, -1.0], &[2]);
/// assert_eq!(margin_ranking_loss(&a, &b, &y, 0.5, Reduction::None).to_vec(), vec![0.0, 1.5]);
/// ```
pub fn margin_ranking_loss<T: Element>(
    input1: &Tensor<T>,
    input2: &Tensor<T>,
    target: &Tensor<T>,
    margin: f64,
    reduction: Reduction,
) -> Tensor<T> {
    let (d1, d2, dt) = (input1.ndim(), input2.ndim(), target.ndim());
    assert!(
        d1 == d2 && d2 == dt,
        "margin_ranking_loss : All input tensors should have same dimension but got sizes: \
         input1: {:?}, input2: {:?}, target: {:?} ",
        input1.shape().as_slice(),
        input2.shape().as_slice(),
        target.shape().as_slice()
    );
    let per_element = target
        .mul(&input1.sub(input2))
        .neg()
        .add_scalar(T::from_f64(margin))
        .clamp(Some(0.0), None);
    reduction.apply(per_element)
}

/// The margin ranking loss (`torch.nn.MarginRankingLoss(margin=0.0, reduction='mean')`):
/// `max(0, -target·(input1 - input2) + margin)`, reduced; `forward(input1, input2, target)`
/// with `target` of 1 or -1. Derivative: `∓target` for the inputs where the loss is not
/// clamped, 0 elsewhere. See [`margin_ranking_loss`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::MarginRankingLoss;
/// let a = Tensor::from_vec(vec![1.0f64, 1.0], &[2]);
/// let b = Tensor::from_vec(vec![0.0f64, 0.0], &[2]);
/// let y = Tensor::from_vec(vec![1.0f64, -1.0], &[2]);
/// assert_eq!(MarginRankingLoss::new().forward(&a, &b, &y).item(), 0.5);
/// assert_eq!(MarginRankingLoss::new().margin(1.0).forward(&a, &b, &y).item(), 1.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MarginRankingLoss {
    /// How the per-element losses are reduced.
    pub reduction: Reduction,
    /// `margin=` (0 by default).
    pub margin: f64,
}

loss_options! {
    MarginRankingLoss {
        reduction: Reduction = Reduction::Mean,
        /// Sets `margin=`.
        margin: f64 = 0.0,
    }
}

impl MarginRankingLoss {
    /// Computes the loss (`loss_fn(input1, input2, target)`).
    pub fn forward<T: Element>(
        &self,
        input1: &Tensor<T>,
        input2: &Tensor<T>,
        target: &Tensor<T>,
    ) -> Tensor<T> {
        margin_ranking_loss(input1, input2, target, self.margin, self.reduction)
    }
}
