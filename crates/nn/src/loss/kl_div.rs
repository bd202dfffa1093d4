//! [`KLDivLoss`] (`torch.nn.KLDivLoss`) and [`kl_div`].

use super::options::loss_options;
use super::Reduction;
use tapegrad_autograd::{Element, Tensor};

/// How [`kl_div`] reduces (`reduction=` of `F.kl_div`): PyTorch's three plus `batchmean`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum KLDivReduction {
    /// The mean over all elements (PyTorch's default, which it warns about: it is not the
    /// KL divergence; use `BatchMean`).
    #[default]
    Mean,
    /// The sum divided by the batch size `input.shape[0]` (the sum for a 0-d input): the KL
    /// divergence averaged over the batch.
    BatchMean,
    /// The sum over all elements.
    Sum,
    /// No reduction: one loss per element.
    None,
}

impl From<Reduction> for KLDivReduction {
    fn from(r: Reduction) -> Self {
        match r {
            Reduction::Mean => KLDivReduction::Mean,
            Reduction::Sum => KLDivReduction::Sum,
            Reduction::None => KLDivReduction::None,
        }
    }
}

impl KLDivReduction {
    /// PyTorch's string for it (`"mean"`, `"batchmean"`, `"sum"`, `"none"`).
    pub fn as_str(self) -> &'static str {
        match self {
            KLDivReduction::Mean => "mean",
            KLDivReduction::BatchMean => "batchmean",
            KLDivReduction::Sum => "sum",
            KLDivReduction::None => "none",
        }
    }
}

/// The Kullback-Leibler divergence loss (`F.kl_div(input, target, reduction=,
/// log_target=)`): `input` holds log-probabilities; elementwise the loss is `t·(log t - input)`
/// for probabilities `t` (taken as 0 where `t = 0`, PyTorch's `xlogy(t, t) - t·input`), or
/// `exp(t)·(t - input)` for log-probabilities `t` (`log_target = true`); then reduced (see
/// [`KLDivReduction`]; `reduction` is a [`KLDivReduction`] or a [`Reduction`]). The two are
/// broadcast together.
///
/// Derivative: `d/d input = -t` (`-exp(t)` with `log_target`), scaled by the reduction;
/// `d/dt = log t + 1 - input` (0 at `t = 0`, where PyTorch gives -inf), or `exp(t)·(t + 1 -
/// input)` with `log_target`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::{kl_div, KLDivReduction};
/// let p = Tensor::from_vec(vec![0.5f64, 0.5, 1.0, 0.0], &[2, 2]);
/// let q = Tensor::from_vec(vec![0.25f64, 0.75, 0.5, 0.5], &[2, 2]);
/// let kl = kl_div(&q.log(), &p, KLDivReduction::BatchMean, false).item();
/// let want = (0.5 * (2f64.ln() + (2.0f64 / 3.0).ln()) + 2f64.ln()) / 2.0;
/// assert!((kl - want).abs() < 1e-12);
/// // The same with the target as log-probabilities (one without zeros: exp(-inf)·inf is NaN).
/// let r = Tensor::from_vec(vec![0.5f64, 0.5, 0.75, 0.25], &[2, 2]);
/// let as_log = kl_div(&q.log(), &r.log(), KLDivReduction::Sum, true).item();
/// assert!((as_log - kl_div(&q.log(), &r, KLDivReduction::Sum, false).item()).abs() < 1e-12);
/// ```
pub fn kl_div<T: Element>(
    input: &Tensor<T>,
    target: &Tensor<T>,
    reduction: impl Into<KLDivReduction>,
    log_target: bool,
) -> Tensor<T> {
    let per_element = if log_target {
        target.exp().mul(&target.sub(input))
    } else {
        // xlogy(t, t): log of 1 where t = 0, so 0·log 1 = 0 there (and no NaN gradient).
        let safe = Tensor::where_(&target.eq(T::zero()), &Tensor::scalar(T::one()), target);
        target.mul(&safe.log()).sub(&target.mul(input))
    };
    match reduction.into() {
        KLDivReduction::Mean => per_element.mean(),
        KLDivReduction::Sum => per_element.sum(),
        KLDivReduction::None => per_element,
        KLDivReduction::BatchMean => {
            let sum = per_element.sum();
            match input.shape().first() {
                Some(&n) => sum.div_scalar(T::from_f64(n as f64)),
                None => sum,
            }
        }
    }
}

/// The Kullback-Leibler divergence loss (`torch.nn.KLDivLoss(reduction='mean',
/// log_target=False)`): `input` holds log-probabilities, `target` probabilities (or
/// log-probabilities with `log_target`); elementwise `t·(log t - input)`, reduced.
/// `KLDivReduction::BatchMean` gives the KL divergence averaged over the batch. Derivative:
/// `-t` (`-exp(t)` with `log_target`) with respect to the input, scaled by the reduction. See
/// [`kl_div`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{KLDivLoss, KLDivReduction};
/// let p = Tensor::from_vec(vec![0.5f64, 0.5], &[1, 2]);
/// let loss_fn = KLDivLoss::new().reduction(KLDivReduction::BatchMean);
/// assert_eq!(loss_fn.forward(&p.log(), &p).item(), 0.0);
/// assert_eq!(loss_fn.log_target(true).forward(&p.log(), &p.log()).item(), 0.0);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KLDivLoss {
    /// How the per-element losses are reduced (mean by default, as PyTorch).
    pub reduction: KLDivReduction,
    /// `log_target=`: the target holds log-probabilities (false by default).
    pub log_target: bool,
}

loss_options! {
    KLDivLoss {
        reduction: impl Into<KLDivReduction> = KLDivReduction::Mean,
        /// Sets `log_target=`.
        log_target: bool = false,
    }
}

impl KLDivLoss {
    /// Computes the loss (`loss_fn(input, target)`).
    pub fn forward<T: Element>(&self, input: &Tensor<T>, target: &Tensor<T>) -> Tensor<T> {
        kl_div(input, target, self.reduction, self.log_target)
    }
}
