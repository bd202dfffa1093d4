//! Layers, one file each: [`Linear`], [`Conv1d`]/[`Conv2d`], [`ConvTranspose2d`], the pooling
//! layers, [`Embedding`], [`LayerNorm`], [`GroupNorm`], [`RMSNorm`], [`BatchNorm`],
//! [`Dropout`]/[`Dropout2d`], the recurrent layers, [`MultiheadAttention`], the activations,
//! [`Identity`], [`Flatten`] and the containers [`Sequential`], [`ModuleList`] and
//! [`ModuleDict`].

mod activations;
pub(crate) mod attention;
mod batch_norm;
mod conv;
mod conv_transpose;
mod dropout;
mod embedding;
mod flatten;
mod group_norm;
mod identity;
pub(crate) mod layer_norm;
mod leaky_relu;
mod linear;
mod log_softmax;
mod module_dict;
mod module_list;
mod pool;
mod recurrent;
mod relu;
pub(crate) mod repr;
mod rms_norm;
mod sequential;
mod sigmoid;
mod softmax;
mod tanh;

pub use activations::{
    Hardsigmoid, Hardswish, LogSigmoid, Mish, ReLU6, SiLU, Softsign, GELU, SELU,
};
pub use attention::MultiheadAttention;
pub use batch_norm::{BatchNorm, BatchNorm1d, BatchNorm2d};
pub use conv::{Conv1d, Conv2d, ConvNd, ConvOptions, ConvPadding, KernelSize};
pub use conv_transpose::ConvTranspose2d;
pub use dropout::{Dropout, Dropout2d};
pub use embedding::Embedding;
pub use flatten::Flatten;
pub use group_norm::GroupNorm;
pub use identity::Identity;
pub use layer_norm::LayerNorm;
pub use leaky_relu::LeakyReLU;
pub use linear::Linear;
pub use log_softmax::LogSoftmax;
pub use module_dict::ModuleDict;
pub use module_list::ModuleList;
pub use pool::{AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, IntOrPair, MaxPool1d, MaxPool2d};
pub use recurrent::{RecurrentLayer, RnnOptions, RnnState, GRU, LSTM, RNN};
pub use relu::ReLU;
pub use rms_norm::RMSNorm;
pub use sequential::Sequential;
pub use sigmoid::Sigmoid;
pub use softmax::Softmax;
pub use tanh::Tanh;

/// A layer's own parameters in PyTorch's order, leaving out the optional ones it does not have
/// (`bias=False`, `elementwise_affine=False`): what `named_own_parameters` returns.
pub(crate) fn present_parameters<T: tapegrad_autograd::Element>(
    named: &[(&str, Option<&tapegrad_autograd::Tensor<T>>)],
) -> Vec<(String, tapegrad_autograd::Tensor<T>)> {
    named
        .iter()
        .filter_map(|(name, t)| t.map(|t| (name.to_string(), t.clone())))
        .collect()
}

/// A normalisation layer's affine parameters over `shape`, requiring grad: the scale (ones)
/// if `scale`, the shift (zeros) if `shift`, as PyTorch's `reset_parameters` of the norms.
pub(crate) fn affine_parameters<T: tapegrad_autograd::Element>(
    shape: &[usize],
    scale: bool,
    shift: bool,
) -> (
    Option<tapegrad_autograd::Tensor<T>>,
    Option<tapegrad_autograd::Tensor<T>>,
) {
    use tapegrad_autograd::Tensor;
    (
        scale.then(|| Tensor::ones(shape).requires_grad_(true)),
        shift.then(|| Tensor::zeros(shape).requires_grad_(true)),
    )
}

/// Defines a parameter-free elementwise layer: the struct, `new`, `Default` and `Module`.
macro_rules! activation {
    ($(#[$doc:meta])* $name:ident, |$x:ident| $body:expr) => {
        $(#[$doc])*
        pub struct $name {
            training: std::sync::atomic::AtomicBool,
        }

        impl $name {
            /// The layer (it has no parameters).
            pub fn new() -> Self {
                $name {
                    training: std::sync::atomic::AtomicBool::new(true),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<T: tapegrad_autograd::Element> crate::Module<T> for $name {
            fn forward(&self, $x: &tapegrad_autograd::Tensor<T>) -> tapegrad_autograd::Tensor<T> {
                $body
            }
            fn training_flag(&self) -> Option<&std::sync::atomic::AtomicBool> {
                Some(&self.training)
            }
        }
    };
}
pub(crate) use activation;

/// Defines a parameter-free layer working along one dimension (`Softmax(dim)`,
/// `LogSoftmax(dim)`): the struct with its `dim`, `new(dim)` and `Module`, whose `forward` is
/// `input.$op(dim)` and which prints `dim=…`.
macro_rules! along_dim_layer {
    ($(#[$doc:meta])* $name:ident, $op:ident) => {
        $(#[$doc])*
        pub struct $name {
            /// The dimension normalised over (negative counts from the end).
            pub dim: isize,
            training: std::sync::atomic::AtomicBool,
        }

        impl $name {
            #[doc = concat!("`", stringify!($name), "(dim)`.")]
            pub fn new(dim: isize) -> Self {
                $name {
                    dim,
                    training: std::sync::atomic::AtomicBool::new(true),
                }
            }
        }

        impl<T: tapegrad_autograd::Element> crate::Module<T> for $name {
            fn forward(&self, input: &tapegrad_autograd::Tensor<T>) -> tapegrad_autograd::Tensor<T> {
                input.$op(self.dim)
            }
            fn extra_repr(&self) -> String {
                format!("dim={}", self.dim)
            }
            fn training_flag(&self) -> Option<&std::sync::atomic::AtomicBool> {
                Some(&self.training)
            }
        }
    };
}
pub(crate) use along_dim_layer;
