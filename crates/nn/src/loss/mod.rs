//! Loss modules (`torch.nn.MSELoss`, ...), one file each. Each holds a [`Reduction`] (mean by
//! default) and its options (PyTorch's constructor arguments, set with builder methods of the
//! same names, written once by the crate's `loss_options!` macro) and calls the matching
//! [`functional`](crate::functional) function.

pub(crate) mod bce;
pub(crate) mod bce_with_logits;
pub(crate) mod cosine_embedding;
mod cross_entropy;
pub(crate) mod huber;
pub(crate) mod kl_div;
mod l1;
pub(crate) mod margin_ranking;
mod mse;
mod nll;
pub(crate) mod options;
pub(crate) mod smooth_l1;

pub use bce::BCELoss;
pub use bce_with_logits::BCEWithLogitsLoss;
pub use cosine_embedding::CosineEmbeddingLoss;
pub use cross_entropy::CrossEntropyLoss;
pub use huber::HuberLoss;
pub use kl_div::{KLDivLoss, KLDivReduction};
pub use l1::L1Loss;
pub use margin_ranking::MarginRankingLoss;
pub use mse::MSELoss;
pub use nll::NLLLoss;
pub use smooth_l1::SmoothL1Loss;
pub use tapegrad_autograd::functional::Reduction;

/// Panics with PyTorch's words unless `input` and `target` have the same shape.
pub(crate) fn same_shape<T: tapegrad_autograd::Element>(
    op: &str,
    input: &tapegrad_autograd::Tensor<T>,
    target: &tapegrad_autograd::Tensor<T>,
) {
    assert!(
        input.shape() == target.shape(),
        "{op}: using a target size ({:?}) that is different to the input size ({:?}); reshape          the target to the input's shape",
        target.shape().as_slice(),
        input.shape().as_slice()
    );
}

/// Defines a loss module whose only option is the reduction: the struct, its
/// [`loss_options!`](options::loss_options) (`new`, `with_reduction`, `Default`, `Display`)
/// and a `forward(input, target)` calling `$f`.
macro_rules! loss_module {
    ($(#[$doc:meta])* $name:ident, $target:ty, $f:path) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name {
            /// How the per-element losses are reduced.
            pub reduction: $crate::loss::Reduction,
        }

        $crate::loss::options::loss_options! {
            $name {
                reduction: $crate::loss::Reduction = $crate::loss::Reduction::Mean,
            }
        }

        impl $name {
            /// Computes the loss (`loss_fn(input, target)`).
            pub fn forward<T: tapegrad_autograd::Element>(
                &self,
                input: &tapegrad_autograd::Tensor<T>,
                target: $target,
            ) -> tapegrad_autograd::Tensor<T> {
                $f(input, target, self.reduction)
            }
        }
    };
}
pub(crate) use loss_module;
