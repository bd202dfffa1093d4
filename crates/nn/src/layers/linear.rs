//! [`Linear`]: `y = x Wᵀ + b` (`torch.nn.Linear`).

use super::present_parameters;
use super::repr::py_bool;
use crate::init;
use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// A fully connected layer, `y = x @ weight.T + bias` (`torch.nn.Linear`).
///
/// `weight` has shape `[out_features, in_features]`, `bias` `[out_features]`; the input's last
/// dimension must be `in_features` (any leading dimensions are kept). Initialised exactly as
/// PyTorch's `reset_parameters`: `kaiming_uniform_(weight, a=√5)`, i.e. U(−1/√in, 1/√in), then
/// bias U(−1/√in, 1/√in), both drawn from the process-wide generator (weight first).
///
/// ```
/// use tapegrad_autograd::{manual_seed, Tensor};
/// use tapegrad_nn::{Linear, Module};
/// manual_seed(0);
/// let lin: Linear = Linear::new(4, 2);
/// assert_eq!(lin.weight.shape().as_slice(), &[2, 4]);
/// assert!(lin.weight.to_vec().iter().all(|w| w.abs() <= 0.5)); // 1/√4
/// let y = lin.forward(&Tensor::ones(&[3, 4]));
/// assert_eq!(y.shape().as_slice(), &[3, 2]);
/// ```
pub struct Linear<T: Element = f32> {
    /// `[out_features, in_features]`, requires grad.
    pub weight: Tensor<T>,
    /// `[out_features]`, requires grad; `None` for `bias=False`.
    pub bias: Option<Tensor<T>>,
    /// Input size.
    pub in_features: usize,
    /// Output size.
    pub out_features: usize,
    training: AtomicBool,
}

impl<T: Element> Linear<T> {
    /// `Linear(in_features, out_features)` with a bias.
    pub fn new(in_features: usize, out_features: usize) -> Self {
        Self::with_bias(in_features, out_features, true)
    }

    /// `Linear(in_features, out_features, bias=bias)`.
    ///
    /// ```
    /// use tapegrad_nn::{Linear, Module};
    /// let lin = Linear::<f64>::with_bias(3, 1, false);
    /// assert!(lin.bias.is_none() && lin.parameters().len() == 1);
    /// ```
    pub fn with_bias(in_features: usize, out_features: usize, bias: bool) -> Self {
        let (weight, bias) =
            init::reset_parameters(&[out_features, in_features], out_features, bias);
        Linear {
            weight,
            bias,
            in_features,
            out_features,
            training: AtomicBool::new(true),
        }
    }
}

impl<T: Element> Module<T> for Linear<T> {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let shape = input.shape();
        assert!(
            shape.last() == Some(&self.in_features),
            "Linear.forward: input of shape {:?} does not match in_features={} (the last \
             dimension must be {}; mat1 and mat2 shapes cannot be multiplied)",
            shape,
            self.in_features,
            self.in_features
        );
        // One fused op, recorded as PyTorch records nn.Linear (AddmmBackward0).
        input.linear(&self.weight, self.bias.as_ref())
    }

    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        present_parameters(&[("weight", Some(&self.weight)), ("bias", self.bias.as_ref())])
    }

    fn extra_repr(&self) -> String {
        format!(
            "in_features={}, out_features={}, bias={}",
            self.in_features,
            self.out_features,
            py_bool(self.bias.is_some())
        )
    }

    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
