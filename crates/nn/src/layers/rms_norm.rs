//! [`RMSNorm`] (`torch.nn.RMSNorm`).

use super::repr::{py_bool, py_tuple, python_float};
use super::{affine_parameters, present_parameters};
use crate::functional::rms_norm;
use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// Root-mean-square normalisation over the last dimensions (`torch.nn.RMSNorm(
/// normalized_shape, eps=None, elementwise_affine=True)`):
/// `y = x / sqrt(mean(x²) + eps) * weight`, the mean over the last `normalized_shape.len()`
/// dimensions; `eps = None` is the machine epsilon of the element type
/// (`torch.finfo(x.dtype).eps`). `weight` starts at ones, of shape `normalized_shape`; there is
/// no bias. Derivative: that of the square, mean, rsqrt and products it is built from
/// ([`rms_norm`]).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{Module, RMSNorm};
/// let n: RMSNorm = RMSNorm::new(&[2]);
/// let y = n.forward(&Tensor::from_vec(vec![3.0, 4.0], &[1, 2]));
/// assert!((y.to_vec()[1] - 4.0 / 12.5f32.sqrt()).abs() < 1e-6);
/// assert_eq!(n.summary(), "RMSNorm((2,), eps=None, elementwise_affine=True)");
/// ```
pub struct RMSNorm<T: Element = f32> {
    /// The shape of the normalised trailing dimensions.
    pub normalized_shape: Vec<usize>,
    /// Added to the mean square; `None`: the element type's machine epsilon.
    pub eps: Option<f64>,
    /// Scale, ones at first; `None` without `elementwise_affine`.
    pub weight: Option<Tensor<T>>,
    training: AtomicBool,
}

impl<T: Element> RMSNorm<T> {
    /// `RMSNorm(normalized_shape)`: eps None, with weight.
    pub fn new(normalized_shape: &[usize]) -> Self {
        Self::with_options(normalized_shape, None, true)
    }

    /// `RMSNorm(normalized_shape, eps, elementwise_affine)`.
    pub fn with_options(
        normalized_shape: &[usize],
        eps: Option<f64>,
        elementwise_affine: bool,
    ) -> Self {
        RMSNorm {
            normalized_shape: normalized_shape.to_vec(),
            eps,
            weight: affine_parameters(normalized_shape, elementwise_affine, false).0,
            training: AtomicBool::new(true),
        }
    }
}

impl<T: Element> Module<T> for RMSNorm<T> {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        rms_norm(
            input,
            &self.normalized_shape,
            self.weight.as_ref(),
            self.eps,
        )
    }
    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        present_parameters(&[("weight", self.weight.as_ref())])
    }
    fn extra_repr(&self) -> String {
        let shape = py_tuple(&self.normalized_shape);
        let eps = match self.eps {
            Some(e) => python_float(e),
            None => "None".to_string(),
        };
        let affine = py_bool(self.weight.is_some());
        format!("{shape}, eps={eps}, elementwise_affine={affine}")
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
