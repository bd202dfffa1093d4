//! [`CosineEmbeddingLoss`] (`torch.nn.CosineEmbeddingLoss`) and [`cosine_embedding_loss`].

use super::options::loss_options;
use super::Reduction;
use tapegrad_autograd::{Element, Tensor};

/// PyTorch's `EPSILON` added to each squared norm in the cosine.
const EPSILON: f64 = 1e-12;

/// The cosine embedding loss (`F.cosine_embedding_loss(input1, input2, target, margin=,
/// reduction=)`): inputs `[N, D]` with a target `[N]` (or `[D]` with a 0-d target) of 1 or -1;
/// with `cos = Σ x1·x2 / sqrt((Σ x1² + 1e-12)·(Σ x2² + 1e-12))` over `D`, the loss is `1 -
/// cos` where the target is 1, `max(0, cos - margin)` where it is -1 (0 for any other
/// target), reduced over the batch.
///
/// Derivative: through the cosine, `d cos/d x1 = x2/(|x1|·|x2|) - cos·x1/|x1|²` (and
/// symmetrically), times -1 for target 1 and 1 for target -1 where `cos >= margin` (0
/// otherwise), scaled by the reduction.
///
/// ```
/// use tapegrad_autograd::{functional::Reduction, Tensor};
/// use tapegrad_nn::functional::cosine_embedding_loss;
/// let a = Tensor::from_vec(vec![1.0f64, 0.0, 1.0, 0.0], &[2, 2]);
/// let b = Tensor::from_vec(vec![1.0f64, 1.0, 1.0, 1.0], &[2, 2]);
/// let y = Tensor::from_vec(vec![1.0f64, -1.0], &[2]);
/// let l = cosine_embedding_loss(&a, &b, &y, 0.5, Reduction::None).to_vec();
/// let c = 0.5f64.sqrt();
/// assert!((l[0] - (1.0 - c)).abs() < 1e-9 && (l[1] - (c - 0.5)).abs() < 1e-9);
/// ```
pub fn cosine_embedding_loss<T: Element>(
    input1: &Tensor<T>,
    input2: &Tensor<T>,
    target: &Tensor<T>,
    margin: f64,
    reduction: Reduction,
) -> Tensor<T> {
    let targ_dim = target.ndim();
    let (s1, s2) = (input1.shape(), input2.shape());
    assert!(
        targ_dim <= 1,
        "cosine_embedding_loss: 0D or 1D target tensor expected, multi-target not supported \
         (target of shape {:?})",
        target.shape().as_slice()
    );
    if targ_dim == 1 {
        assert!(
            s1.len() == 2 && s2.len() == 2,
            "cosine_embedding_loss: 1D target tensor expects 2D input tensors, but found inputs \
             with sizes {:?} and {:?}.",
            s1.as_slice(),
            s2.as_slice()
        );
    } else {
        assert!(
            s1.len() == 1 && s2.len() == 1,
            "cosine_embedding_loss: 0D target tensor expects 1D input tensors, but found inputs \
             with sizes {:?} and {:?}.",
            s1.as_slice(),
            s2.as_slice()
        );
    }
    let d = targ_dim as isize;
    let eps = T::from_f64(EPSILON);
    let prod_sum = input1.mul(input2).sum_dim(d, false);
    let mag1 = input1.square().sum_dim(d, false).add_scalar(eps);
    let mag2 = input2.square().sum_dim(d, false).add_scalar(eps);
    let cos = prod_sum.div(&mag1.mul(&mag2).sqrt());
    let zeros = Tensor::zeros(&cos.shape());
    let pos = cos.neg().add_scalar(T::one());
    let neg = cos.sub_scalar(T::from_f64(margin)).clamp(Some(0.0), None);
    let out = Tensor::where_(&target.eq(T::one()), &pos, &zeros).add(&Tensor::where_(
        &target.eq(-T::one()),
        &neg,
        &zeros,
    ));
    reduction.apply(out)
}

/// The cosine embedding loss (`torch.nn.CosineEmbeddingLoss(margin=0.0, reduction='mean')`):
/// `1 - cos(x1, x2)` for target 1, `max(0, cos(x1, x2) - margin)` for target -1;
/// `forward(input1, input2, target)` with inputs `[N, D]` and target `[N]` (or `[D]` and 0-d).
/// Derivative: through the cosine, see [`cosine_embedding_loss`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::CosineEmbeddingLoss;
/// let a = Tensor::from_vec(vec![1.0f64, 0.0], &[1, 2]);
/// let y = Tensor::from_vec(vec![1.0f64], &[1]);
/// assert!(CosineEmbeddingLoss::new().forward(&a, &a, &y).item().abs() < 1e-9);
/// let y = Tensor::from_vec(vec![-1.0f64], &[1]);
/// assert!((CosineEmbeddingLoss::new().margin(0.5).forward(&a, &a, &y).item() - 0.5).abs() < 1e-9);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineEmbeddingLoss {
    /// How the per-sample losses are reduced.
    pub reduction: Reduction,
    /// `margin=` (0 by default; PyTorch suggests 0 to 0.5).
    pub margin: f64,
}

loss_options! {
    CosineEmbeddingLoss {
        reduction: Reduction = Reduction::Mean,
        /// Sets `margin=`.
        margin: f64 = 0.0,
    }
}

impl CosineEmbeddingLoss {
    /// Computes the loss (`loss_fn(input1, input2, target)`).
    pub fn forward<T: Element>(
        &self,
        input1: &Tensor<T>,
        input2: &Tensor<T>,
        target: &Tensor<T>,
    ) -> Tensor<T> {
        cosine_embedding_loss(input1, input2, target, self.margin, self.reduction)
    }
}
