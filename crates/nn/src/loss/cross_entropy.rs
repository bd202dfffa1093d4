//! [`CrossEntropyLoss`] (`torch.nn.CrossEntropyLoss`).

use super::{class_weight, Reduction};
use tapegrad_autograd::functional::{
    cross_entropy_with, CrossEntropyOptions, IntoCrossEntropyTarget, IGNORE_INDEX,
};
use tapegrad_autograd::{Element, Scalar, Tensor};

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

impl Default for CrossEntropyLoss {
    fn default() -> Self {
        CrossEntropyLoss {
            reduction: Reduction::Mean,
            weight: None,
            ignore_index: IGNORE_INDEX,
            label_smoothing: 0.0,
        }
    }
}

impl CrossEntropyLoss {
    /// The loss with PyTorch's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The loss with the given reduction.
    pub fn with_reduction(reduction: Reduction) -> Self {
        Self::new().reduction(reduction)
    }

    /// Sets `reduction=`.
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// Sets `weight=` (one per class; a constant copy, no gradient).
    pub fn weight<W: Scalar>(mut self, weight: &Tensor<W>) -> Self {
        self.weight = Some(class_weight(weight));
        self
    }

    /// Sets `ignore_index=`.
    pub fn ignore_index(mut self, ignore_index: i64) -> Self {
        self.ignore_index = ignore_index;
        self
    }

    /// Sets `label_smoothing=`.
    pub fn label_smoothing(mut self, label_smoothing: f64) -> Self {
        self.label_smoothing = label_smoothing;
        self
    }

    /// The options for [`cross_entropy_with`] in the input's element type.
    pub fn options<T: Element>(&self) -> CrossEntropyOptions<T> {
        CrossEntropyOptions {
            weight: self.weight.as_ref().map(|w| w.to_dtype()),
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

impl std::fmt::Display for CrossEntropyLoss {
    /// As `print(loss_fn)`: `CrossEntropyLoss()`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CrossEntropyLoss()")
    }
}
