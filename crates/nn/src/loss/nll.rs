//! [`NLLLoss`] (`torch.nn.NLLLoss`).

use super::options::{constant_as, loss_options};
use super::Reduction;
use tapegrad_autograd::functional::{
    nll_loss_with, IntoClassIndices, NllLossOptions, IGNORE_INDEX,
};
use tapegrad_autograd::{Element, Tensor};

/// Negative log-likelihood of class indices given log-probabilities
/// (`torch.nn.NLLLoss(weight=None, ignore_index=-100, reduction='mean')`):
/// `-weight[t]·log_probs[n, t]` per position, reduced.
///
/// The input is `[C]`, `[N, C]` or `[N, C, d1, ...]` (classes along dim 1), the target class
/// indices (`&Tensor<i64>` or a `usize` slice), `[N]` / `[N, d1, ...]`. `weight` is one
/// constant weight per class; targets equal to `ignore_index` (-100) add no loss and no
/// gradient; `mean` divides by the total weight of the targets not ignored.
///
/// Derivative: `-weight[t]` at the target class (over the total weight for `mean`), 0
/// elsewhere; see [`nll_loss_with`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::NLLLoss;
/// let lp = Tensor::from_vec(vec![-1.0f32, -2.0, -3.0, -4.0], &[2, 2]);
/// assert_eq!(NLLLoss::new().forward(&lp, &[1, 0]).item(), 2.5);
/// let w = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// assert_eq!(NLLLoss::new().weight(&w).forward(&lp, &[1, 0]).item(), 2.25);
/// assert_eq!(NLLLoss::new().ignore_index(0).forward(&lp, &[1, 0]).item(), 2.0);
/// ```
#[derive(Clone, Debug)]
pub struct NLLLoss {
    /// How the per-position losses are reduced.
    pub reduction: Reduction,
    /// `weight=`: one weight per class, kept in f64 and converted to the input's type.
    pub weight: Option<Tensor<f64>>,
    /// `ignore_index=` (-100 by default).
    pub ignore_index: i64,
}

loss_options! {
    NLLLoss {
        reduction: Reduction = Reduction::Mean,
        /// Sets `ignore_index=`.
        ignore_index: i64 = IGNORE_INDEX,
    }
    constants {
        /// Sets `weight=` (one per class; a constant copy, no gradient).
        weight,
    }
}

impl NLLLoss {
    /// Computes the loss (`loss_fn(input, target)`).
    pub fn forward<T: Element>(
        &self,
        input: &Tensor<T>,
        target: impl IntoClassIndices,
    ) -> Tensor<T> {
        let options = NllLossOptions {
            weight: constant_as(&self.weight),
            ignore_index: self.ignore_index,
            reduction: self.reduction,
        };
        nll_loss_with(input, target, options)
    }
}
