//! [`Softmax`] (`torch.nn.Softmax`).

use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// Softmax along `dim`, so each slice sums to 1 (`torch.nn.Softmax(dim)`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{Softmax, Module};
/// let m = Softmax::new(-1);
/// let y = m.forward(&Tensor::from_vec(vec![0.0f64, 0.0], &[1, 2]));
/// assert!((y.to_vec()[0] - 0.5f64).abs() < 1e-12);
/// assert_eq!(<Softmax as Module>::summary(&m), "Softmax(dim=-1)");
/// ```
pub struct Softmax {
    /// The dimension normalised over (negative counts from the end).
    pub dim: isize,
    training: AtomicBool,
}

impl Softmax {
    /// `Softmax(dim)`.
    pub fn new(dim: isize) -> Self {
        Softmax {
            dim,
            training: AtomicBool::new(true),
        }
    }
}

impl<T: Element> Module<T> for Softmax {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        input.softmax(self.dim)
    }
    fn extra_repr(&self) -> String {
        format!("dim={}", self.dim)
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
