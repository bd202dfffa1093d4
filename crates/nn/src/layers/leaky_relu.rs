//! [`LeakyReLU`] (`torch.nn.LeakyReLU`).

use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// Elementwise `x` for `x ≥ 0`, `negative_slope·x` otherwise (`torch.nn.LeakyReLU`; default
/// slope 0.01).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{LeakyReLU, Module};
/// let y = LeakyReLU::new(0.1).forward(&Tensor::from_vec(vec![-2.0f64, 3.0], &[2]));
/// assert_eq!(y.to_vec(), [-0.2, 3.0]);
/// assert_eq!(<LeakyReLU as Module>::extra_repr(&LeakyReLU::default()), "negative_slope=0.01");
/// ```
pub struct LeakyReLU {
    /// The slope for negative inputs.
    pub negative_slope: f64,
    training: AtomicBool,
}

impl LeakyReLU {
    /// `LeakyReLU(negative_slope)`.
    pub fn new(negative_slope: f64) -> Self {
        LeakyReLU {
            negative_slope,
            training: AtomicBool::new(true),
        }
    }
}

impl Default for LeakyReLU {
    /// `LeakyReLU()`: slope 0.01.
    fn default() -> Self {
        Self::new(0.01)
    }
}

impl<T: Element> Module<T> for LeakyReLU {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        input.leaky_relu(self.negative_slope)
    }
    fn extra_repr(&self) -> String {
        format!("negative_slope={:?}", self.negative_slope)
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
