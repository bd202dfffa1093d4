//! [`CrossEntropyLoss`] (`torch.nn.CrossEntropyLoss`).

use super::options::{constant_as, loss_options};
use super::Reduction;
use tapegrad_autograd::functional::{
    cross_entropy_with, CrossEntropyOptions, IntoCrossEntropyTarget, IGNORE_INDEX,
};
use tapegrad_autograd::{Element, Tensor};

/// Cross-entropy of logits against class indices or class probabilities
/// (`torch.nn.CrossEntropyLoss(weight=None, ignore_index=-100, reduction='mean',
/// label_smoothing=0.0)`): `log_softmax` over the classes then the negative log-likelihood.
///
/// The input is `[C]`, `[N, C]` or `[N, C, d1, ...]` (classes along dim 1); the target is
/// either class indices (`&Tensor<i64>` or a `usize` slice: `[N]` / `[N, d1, ...]`) or class
/// probabilities (`&Tensor<T>` of the input's shape). Options, as PyTorch:
///
/// * `weight`: one rescaling weight per class (`[C]`), a constant; with `mean` the sum is
///   divided by the total weight of the targets not ignored;
/// * `ignore_index` (-100): targets equal to it add no loss, no gradient and no weight;
/// * `label_smoothing` ε: the target distribution becomes `(1 - ε)·target + ε/C`;
/// * `reduction`: mean (default), sum or none (the target's shape).
///
/// Derivative: per position, `(Σ_k w[k]·y[k])·softmax(input) - w∘y` for the target
/// distribution `y` (so `softmax(input) - y` unweighted), scaled by the reduction; see
/// [`cross_entropy_with`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{CrossEntropyLoss, Reduction};
/// let logits = Tensor::from_vec(vec![0.0f64, 0.0, 0.0, 0.0], &[2, 2]);
/// assert!((CrossEntropyLoss::new().forward(&logits, &[0, 1]).item() - 2f64.ln()).abs() < 1e-12);
/// let loss_fn = CrossEntropyLoss::new()
///     .weight(&Tensor::from_vec(vec![1.0f64, 3.0], &[2]))
///     .ignore_index(0)
///     .label_smoothing(0.1)
///     .reduction(Reduction::Sum);
/// let y = Tensor::from_vec(vec![0i64, 1], &[2]);
/// // row 0 ignored; row 1: 0.9·(3 ln 2) + 0.1/2·((1 + 3) ln 2)
/// assert!((loss_fn.forward(&logits, &y).item() - 2.9 * 2f64.ln()).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct CrossEntropyLoss {
    /// How the per-position losses are reduced.
    pub reduction: Reduction,
    /// `weight=`: one weight per class, kept in f64 and converted to the input's type.
    pub weight: Option<Tensor<f64>>,
    /// `ignore_index=` (-100 by default).
    pub ignore_index: i64,
    /// `label_smoothing=` in [0, 1] (0 by default).
    pub label_smoothing: f64,
}

loss_options! {
    CrossEntropyLoss {
        reduction: Reduction = Reduction::Mean,
        /// Sets `ignore_index=`.
        ignore_index: i64 = IGNORE_INDEX,
        /// Sets `label_smoothing=`.
        label_smoothing: f64 = 0.0,
    }
    constants {
        /// Sets `weight=` (one per class; a constant copy, no gradient).
        weight,
    }
}

impl CrossEntropyLoss {
    /// The options for [`cross_entropy_with`] in the input's element type.
    pub fn options<T: Element>(&self) -> CrossEntropyOptions<T> {
        CrossEntropyOptions {
            weight: constant_as(&self.weight),
            ignore_index: self.ignore_index,
            reduction: self.reduction,
            label_smoothing: self.label_smoothing,
        }
    }

    /// Computes the loss (`loss_fn(input, target)`).
    pub fn forward<T: Element>(
        &self,
        input: &Tensor<T>,
        target: impl IntoCrossEntropyTarget<T>,
    ) -> Tensor<T> {
        cross_entropy_with(input, target, self.options())
    }
}
