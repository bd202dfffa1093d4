//! [`LogSoftmax`] (`torch.nn.LogSoftmax`).

use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// `log(softmax(x))` along `dim`, computed stably (`torch.nn.LogSoftmax(dim)`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{LogSoftmax, Module};
/// let m = LogSoftmax::new(-1);
/// let y = m.forward(&Tensor::from_vec(vec![0.0f64, 0.0], &[1, 2]));
/// assert!((y.to_vec()[0] - 0.5f64.ln()).abs() < 1e-12);
/// assert_eq!(<LogSoftmax as Module>::summary(&m), "LogSoftmax(dim=-1)");
/// ```
pub struct LogSoftmax {
    /// The dimension normalised over (negative counts from the end).
    pub dim: isize,
    training: AtomicBool,
}

impl LogSoftmax {
    /// `LogSoftmax(dim)`.
    pub fn new(dim: isize) -> Self {
        LogSoftmax {
            dim,
            training: AtomicBool::new(true),
        }
    }
}

impl<T: Element> Module<T> for LogSoftmax {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        input.log_softmax(self.dim)
    }
    fn extra_repr(&self) -> String {
        format!("dim={}", self.dim)
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
