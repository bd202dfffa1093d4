//! Layers, one file each: [`Linear`], [`Conv1d`]/[`Conv2d`], the pooling layers, the
//! activations, [`Identity`], [`Flatten`] and the [`Sequential`] container.

mod conv;
mod flatten;
mod identity;
mod leaky_relu;
mod linear;
mod log_softmax;
mod pool;
mod relu;
mod sequential;
mod sigmoid;
mod softmax;
mod tanh;

pub use conv::{Conv1d, Conv2d, ConvOptions, ConvPadding};
pub use flatten::Flatten;
pub use identity::Identity;
pub use leaky_relu::LeakyReLU;
pub use linear::Linear;
pub use log_softmax::LogSoftmax;
pub use pool::{AdaptiveAvgPool2d, AvgPool2d, IntOrPair, MaxPool1d, MaxPool2d};
pub use relu::ReLU;
pub use sequential::Sequential;
pub use sigmoid::Sigmoid;
pub use softmax::Softmax;
pub use tanh::Tanh;

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
