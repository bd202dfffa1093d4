//! [`Dropout`] and [`Dropout2d`] (`torch.nn.Dropout`, `torch.nn.Dropout2d`).

use tapegrad_autograd::functional::dropout;

/// Defines a dropout layer: the struct with its probability `p`, `new(p)` (panicking unless
/// `0 <= p <= 1`, as PyTorch) and `Module`: `forward` is `$f(input, p, training)`, printed
/// `Name(p=…, inplace=False)`.
macro_rules! dropout_layer {
    ($(#[$doc:meta])* $name:ident, $what:literal, $f:path) => {
        $(#[$doc])*
        pub struct $name {
            #[doc = concat!("The probability of zeroing ", $what, ".")]
            pub p: f64,
            training: std::sync::atomic::AtomicBool,
        }

        impl $name {
            #[doc = concat!("`", stringify!($name), "(p)`; panics unless `0 <= p <= 1`, as PyTorch.")]
            pub fn new(p: f64) -> Self {
                assert!(
                    (0.0..=1.0).contains(&p),
                    "{}: dropout probability has to be between 0 and 1, but got {p}",
                    stringify!($name)
                );
                $name {
                    p,
                    training: std::sync::atomic::AtomicBool::new(true),
                }
            }
        }

        impl<T: tapegrad_autograd::Element> crate::Module<T> for $name {
            fn forward(&self, input: &tapegrad_autograd::Tensor<T>) -> tapegrad_autograd::Tensor<T> {
                let training = self.training.load(std::sync::atomic::Ordering::Relaxed);
                $f(input, self.p, training)
            }
            fn extra_repr(&self) -> String {
                format!("p={:?}, inplace=False", self.p)
            }
            fn training_flag(&self) -> Option<&std::sync::atomic::AtomicBool> {
                Some(&self.training)
            }
        }
    };
}

dropout_layer!(
    /// Zeroes each element with probability `p` in training mode and scales the others by
    /// `1/(1-p)`; the identity in eval mode (`torch.nn.Dropout`). Draws come from the
    /// process-wide seeded generator.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{Dropout, Module};
    /// let d = Dropout::new(0.5);
    /// let x = Tensor::<f32>::ones(&[8]);
    /// Module::<f32>::eval(&d);
    /// assert_eq!(d.forward(&x).to_vec(), x.to_vec());
    /// assert_eq!(Module::<f32>::summary(&d), "Dropout(p=0.5, inplace=False)");
    /// ```
    Dropout,
    "an element",
    dropout
);

dropout_layer!(
    /// Zeroes whole channels: in training mode each channel `x[n, c]` of an `[N, C, H, W]` (or
    /// `[N, C, L]`) input is zeroed with probability `p` and the kept channels are scaled by
    /// `1/(1-p)`; the identity in eval mode (`torch.nn.Dropout2d`). Draws (one per `(n, c)`) come
    /// from the process-wide seeded generator. Derivative: the same mask and scale
    /// ([`dropout2d`](crate::functional::dropout2d)).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{Dropout2d, Module};
    /// let d = Dropout2d::new(0.5);
    /// let x = Tensor::<f32>::ones(&[2, 3, 4, 4]);
    /// Module::<f32>::eval(&d);
    /// assert_eq!(d.forward(&x).to_vec(), x.to_vec());
    /// assert_eq!(Module::<f32>::summary(&d), "Dropout2d(p=0.5, inplace=False)");
    /// ```
    Dropout2d,
    "a channel",
    crate::functional::dropout2d
);
