//! [`LayerNorm`] (`torch.nn.LayerNorm`).

use super::repr::{py_bool, py_tuple, python_float};
use super::{affine_parameters, present_parameters};
use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::functional::layer_norm;
use tapegrad_autograd::{Element, Tensor};

/// Normalises over the last dimensions, then scales and shifts (`torch.nn.LayerNorm`):
/// `y = (x - mean) / sqrt(var + eps) * weight + bias`, the biased variance over the last
/// `normalized_shape.len()` dimensions. `weight` starts at ones and `bias` at zeros, both of
/// shape `normalized_shape` (`elementwise_affine=True`, `bias=True` by default).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{LayerNorm, Module};
/// let ln: LayerNorm = LayerNorm::new(&[4]);
/// let y = ln.forward(&Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[1, 4]));
/// assert!(y.mean().item().abs() < 1e-6);
/// assert_eq!(ln.summary(), "LayerNorm((4,), eps=1e-05, elementwise_affine=True)");
/// ```
pub struct LayerNorm<T: Element = f32> {
    /// The shape of the normalised trailing dimensions.
    pub normalized_shape: Vec<usize>,
    /// Added to the variance (default 1e-5).
    pub eps: f64,
    /// Scale, ones at first; `None` without `elementwise_affine`.
    pub weight: Option<Tensor<T>>,
    /// Shift, zeros at first; `None` without `elementwise_affine` or `bias`.
    pub bias: Option<Tensor<T>>,
    training: AtomicBool,
}

impl<T: Element> LayerNorm<T> {
    /// `LayerNorm(normalized_shape)` with eps 1e-5, weight and bias.
    pub fn new(normalized_shape: &[usize]) -> Self {
        Self::with_options(normalized_shape, 1e-5, true, true)
    }

    /// `LayerNorm(normalized_shape, eps, elementwise_affine, bias)`.
    pub fn with_options(
        normalized_shape: &[usize],
        eps: f64,
        elementwise_affine: bool,
        bias: bool,
    ) -> Self {
        let (weight, bias) = affine_parameters(
            normalized_shape,
            elementwise_affine,
            elementwise_affine && bias,
        );
        LayerNorm {
            normalized_shape: normalized_shape.to_vec(),
            eps,
            weight,
            bias,
            training: AtomicBool::new(true),
        }
    }
}

impl<T: Element> Module<T> for LayerNorm<T> {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        layer_norm(
            input,
            &self.normalized_shape,
            self.weight.as_ref(),
            self.bias.as_ref(),
            self.eps,
        )
    }
    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        present_parameters(&[
            ("weight", self.weight.as_ref()),
            ("bias", self.bias.as_ref()),
        ])
    }
    fn extra_repr(&self) -> String {
        let shape = py_tuple(&self.normalized_shape);
        let affine = py_bool(self.weight.is_some());
        format!(
            "{shape}, eps={}, elementwise_affine={affine}",
            python_float(self.eps)
        )
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
