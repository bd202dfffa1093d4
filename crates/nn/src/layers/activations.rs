//! The activation modules of the core's activation ops, parameter-free (`torch.nn.SiLU`,
//! `torch.nn.GELU`, …). [`ReLU`](super::ReLU), [`Sigmoid`](super::Sigmoid),
//! [`Tanh`](super::Tanh), [`LeakyReLU`](super::LeakyReLU) and the softmaxes have files of their
//! own.

super::activation!(
    /// `x · sigmoid(x)` (`torch.nn.SiLU`).
    SiLU,
    |x| x.silu()
);
super::activation!(
    /// `x · tanh(softplus(x))` (`torch.nn.Mish`).
    Mish,
    |x| x.mish()
);
super::activation!(
    /// `x / (1 + |x|)` (`torch.nn.Softsign`).
    Softsign,
    |x| x.softsign()
);
super::activation!(
    /// `min(max(x, 0), 6)` (`torch.nn.ReLU6`).
    ReLU6,
    |x| x.relu6()
);
super::activation!(
    /// `relu6(x + 3) / 6` (`torch.nn.Hardsigmoid`).
    Hardsigmoid,
    |x| x.hardsigmoid()
);
super::activation!(
    /// `x · relu6(x + 3) / 6` (`torch.nn.Hardswish`).
    Hardswish,
    |x| x.hardswish()
);
super::activation!(
    /// `log(sigmoid(x))`, computed stably (`torch.nn.LogSigmoid`).
    LogSigmoid,
    |x| x.logsigmoid()
);
super::activation!(
    /// Scaled ELU with PyTorch's constants (`torch.nn.SELU`).
    SELU,
    |x| x.selu()
);

use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// The Gaussian error linear unit, `x · Φ(x)` (`torch.nn.GELU`); with `approximate = "tanh"`
/// the tanh approximation.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{Module, GELU};
/// let y = GELU::new().forward(&Tensor::from_vec(vec![0.0f64, 1.0], &[2]));
/// assert!((y.to_vec()[1] - 0.8413447460685429).abs() < 1e-12);
/// assert_eq!(Module::<f32>::summary(&GELU::tanh()), "GELU(approximate='tanh')");
/// ```
pub struct GELU {
    /// Use the tanh approximation (`approximate='tanh'`).
    pub tanh_approximation: bool,
    training: AtomicBool,
}

impl GELU {
    /// `GELU()` (exact, with `erf`).
    pub fn new() -> Self {
        GELU {
            tanh_approximation: false,
            training: AtomicBool::new(true),
        }
    }

    /// `GELU(approximate='tanh')`.
    pub fn tanh() -> Self {
        GELU {
            tanh_approximation: true,
            training: AtomicBool::new(true),
        }
    }
}

impl Default for GELU {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Element> Module<T> for GELU {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        input.gelu(self.tanh_approximation)
    }
    fn extra_repr(&self) -> String {
        let a = if self.tanh_approximation {
            "tanh"
        } else {
            "none"
        };
        format!("approximate='{a}'")
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
