//! What every loss module's options share: PyTorch's constructor arguments as a `Default` and
//! builder methods of the same names, `new`/`with_reduction`, and the `print(loss_fn)` text.
//!
//! A loss file defines its struct (one documented field per PyTorch argument) and its
//! `forward`, and lists the arguments once in [`loss_options!`], which writes the rest.

use tapegrad_autograd::{Element, Scalar, Tensor};

/// A weight tensor as the constant f64 copy the loss modules keep (converted to the input's
/// element type in `forward` by [`constant_as`]).
pub(crate) fn class_weight<W: Scalar>(weight: &Tensor<W>) -> Tensor<f64> {
    weight.detach().to_dtype()
}

/// A kept constant (see [`class_weight`]) in the input's element type `T`.
pub(crate) fn constant_as<T: Element>(constant: &Option<Tensor<f64>>) -> Option<Tensor<T>> {
    constant.as_ref().map(|c| c.to_dtype())
}

/// Writes a loss module's `Default` (PyTorch's defaults), `new()`, `with_reduction(r)`, one
/// builder method per argument (`reduction(r)`, `delta(d)`, ...; [`setters!`](crate::builder::setters)) and `Display` (`Name()`, as
/// `print(loss_fn)`).
///
/// ```text
/// loss_options! {
///     HuberLoss {
///         reduction: Reduction = Reduction::Mean,
///         /// Sets `delta=`.
///         delta: f64 = 1.0,
///     }
///     // Optional: constant tensors kept in f64, `None` by default; each gets a
///     // `weight<W: Scalar>(&Tensor<W>)` setter storing a detached copy.
///     constants {
///         /// Sets `weight=`.
///         weight,
///     }
/// }
/// ```
///
/// The reduction's type is written as the setters take it (`Reduction`, or
/// `impl Into<KLDivReduction>`); the field holds the value after `.into()`.
macro_rules! loss_options {
    (
        $name:ident {
            reduction: $reduction:ty = $reduction_default:expr,
            $( $(#[$doc:meta])* $field:ident: $ty:ty = $default:expr, )*
        }
        $( constants { $( $(#[$cdoc:meta])* $constant:ident, )* } )?
    ) => {
        impl Default for $name {
            fn default() -> Self {
                $name {
                    reduction: $reduction_default,
                    $( $field: $default, )*
                    $( $( $constant: None, )* )?
                }
            }
        }

        impl $name {
            /// The loss with PyTorch's defaults.
            pub fn new() -> Self {
                Self::default()
            }

            /// The loss with the given reduction.
            pub fn with_reduction(reduction: $reduction) -> Self {
                Self::new().reduction(reduction)
            }

            $( $(
                $(#[$cdoc])*
                pub fn $constant<W: tapegrad_autograd::Scalar>(
                    mut self,
                    $constant: &tapegrad_autograd::Tensor<W>,
                ) -> Self {
                    self.$constant = Some($crate::loss::options::class_weight($constant));
                    self
                }
            )* )?
        }

        $crate::builder::setters! {
            $name {
                /// Sets `reduction=`.
                reduction: $reduction,
                $( $(#[$doc])* $field: $ty, )*
            }
        }

        impl std::fmt::Display for $name {
            /// As `print(loss_fn)`: the name and `()`.
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}()", stringify!($name))
            }
        }
    };
}
pub(crate) use loss_options;
