//! [`BCEWithLogitsLoss`] (`torch.nn.BCEWithLogitsLoss`) and
//! [`binary_cross_entropy_with_logits_weighted`].

use super::options::{constant_as, loss_options};
use super::Reduction;
use tapegrad_autograd::functional::binary_cross_entropy_with_logits;
use tapegrad_autograd::{Element, Tensor};

/// Binary cross-entropy on logits with PyTorch's `weight` and `pos_weight`
/// (`F.binary_cross_entropy_with_logits(input, target, weight=, reduction=, pos_weight=)`):
/// elementwise `weight·((1 - t)·x - (1 + (pos_weight - 1)·t)·log σ(x))`, i.e. the positive
/// term `-t·log σ(x)` scaled by `pos_weight` (broadcast against the input, so one per class
/// along the last dimension) and the whole by `weight` (broadcast against the input), then
/// reduced (`mean` over all elements). Both are constants. With neither, the fused
/// [`binary_cross_entropy_with_logits`].
///
/// Derivative: `d/dx = weight·((1 + (pw - 1)·t)·σ(x) - pw·t)` (`σ(x) - t` for `pw = 1`),
/// scaled by the reduction; `d/dt = weight·(-x - (pw - 1)·log σ(x))`.
///
/// ```
/// use tapegrad_autograd::{functional::Reduction, Tensor};
/// use tapegrad_nn::functional::binary_cross_entropy_with_logits_weighted;
/// let x = Tensor::from_vec(vec![0.0f64, 0.0], &[1, 2]);
/// let t = Tensor::from_vec(vec![1.0f64, 0.0], &[1, 2]);
/// let pw = Tensor::from_vec(vec![3.0f64, 3.0], &[2]);
/// let l = binary_cross_entropy_with_logits_weighted(&x, &t, None, Some(&pw), Reduction::Sum);
/// assert!((l.item() - 4.0 * 2f64.ln()).abs() < 1e-12); // 3·ln 2 + ln 2
/// ```
pub fn binary_cross_entropy_with_logits_weighted<T: Element>(
    input: &Tensor<T>,
    target: &Tensor<T>,
    weight: Option<&Tensor<T>>,
    pos_weight: Option<&Tensor<T>>,
    reduction: Reduction,
) -> Tensor<T> {
    let per_element = match pos_weight {
        None if weight.is_none() => {
            return binary_cross_entropy_with_logits(input, target, reduction)
        }
        None => binary_cross_entropy_with_logits(input, target, Reduction::None),
        Some(pw) => {
            assert!(
                input.shape() == target.shape(),
                "binary_cross_entropy_with_logits: Target size ({:?}) must be the same as input \
                 size ({:?})",
                target.shape().as_slice(),
                input.shape().as_slice()
            );
            let log_weight = pw
                .detach()
                .sub_scalar(T::one())
                .mul(target)
                .add_scalar(T::one());
            let one_minus_t = target.neg().add_scalar(T::one());
            one_minus_t
                .mul(input)
                .sub(&log_weight.mul(&input.logsigmoid()))
        }
    };
    match weight {
        Some(w) => reduction.apply(per_element.mul(&w.detach())),
        None => reduction.apply(per_element),
    }
}

/// Binary cross-entropy on logits: a sigmoid and [`BCELoss`](crate::BCELoss) fused, stable
/// for any logit (`torch.nn.BCEWithLogitsLoss(weight=None, reduction='mean',
/// pos_weight=None)`). `weight` rescales each element (broadcast against the input);
/// `pos_weight` rescales the positive term `-t·log σ(x)`, one value per class along the last
/// dimension (broadcast against the input); both are constants. Derivative: `weight·((1 +
/// (pos_weight - 1)·t)·σ(x) - pos_weight·t)`, scaled by the reduction (`σ(x) - t` plain).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::BCEWithLogitsLoss;
/// let (x, t) = (Tensor::from_vec(vec![0.0f64], &[1]), Tensor::from_vec(vec![1.0f64], &[1]));
/// assert!((BCEWithLogitsLoss::new().forward(&x, &t).item() - 2f64.ln()).abs() < 1e-12);
/// let pw = Tensor::from_vec(vec![2.0f64], &[1]);
/// let l = BCEWithLogitsLoss::new().pos_weight(&pw).forward(&x, &t).item();
/// assert!((l - 2.0 * 2f64.ln()).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct BCEWithLogitsLoss {
    /// How the per-element losses are reduced.
    pub reduction: Reduction,
    /// `weight=`, kept in f64 and converted to the input's type.
    pub weight: Option<Tensor<f64>>,
    /// `pos_weight=`, kept in f64 and converted to the input's type.
    pub pos_weight: Option<Tensor<f64>>,
}

loss_options! {
    BCEWithLogitsLoss {
        reduction: Reduction = Reduction::Mean,
    }
    constants {
        /// Sets `weight=` (broadcast against the input; a constant copy, no gradient).
        weight,
        /// Sets `pos_weight=` (one per class along the last dimension, broadcast against the
        /// input; a constant copy, no gradient).
        pos_weight,
    }
}

impl BCEWithLogitsLoss {
    /// Computes the loss (`loss_fn(input, target)`).
    pub fn forward<T: Element>(&self, input: &Tensor<T>, target: &Tensor<T>) -> Tensor<T> {
        let (weight, pos_weight) = (constant_as(&self.weight), constant_as(&self.pos_weight));
        binary_cross_entropy_with_logits_weighted(
            input,
            target,
            weight.as_ref(),
            pos_weight.as_ref(),
            self.reduction,
        )
    }
}
