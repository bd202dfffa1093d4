//! [`Dropout`] (`torch.nn.Dropout`).

use crate::Module;
use std::sync::atomic::{AtomicBool, Ordering};
use tapegrad_autograd::functional::dropout;
use tapegrad_autograd::{Element, Tensor};

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
pub struct Dropout {
    /// The probability of zeroing an element.
    pub p: f64,
    training: AtomicBool,
}

impl Dropout {
    /// `Dropout(p)`; panics unless `0 <= p <= 1`, as PyTorch.
    pub fn new(p: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout: dropout probability has to be between 0 and 1, but got {p}"
        );
        Dropout {
            p,
            training: AtomicBool::new(true),
        }
    }
}

impl<T: Element> Module<T> for Dropout {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        dropout(input, self.p, self.training.load(Ordering::Relaxed))
    }
    fn extra_repr(&self) -> String {
        format!("p={:?}, inplace=False", self.p)
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}

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
pub struct Dropout2d {
    /// The probability of zeroing a channel.
    pub p: f64,
    training: AtomicBool,
}

impl Dropout2d {
    /// `Dropout2d(p)`; panics unless `0 <= p <= 1`, as PyTorch.
    pub fn new(p: f64) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout2d: dropout probability has to be between 0 and 1, but got {p}"
        );
        Dropout2d {
            p,
            training: AtomicBool::new(true),
        }
    }
}

impl<T: Element> Module<T> for Dropout2d {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        crate::functional::dropout2d(input, self.p, self.training.load(Ordering::Relaxed))
    }
    fn extra_repr(&self) -> String {
        format!("p={:?}, inplace=False", self.p)
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
