//! [`LayerNorm`] (`torch.nn.LayerNorm`).

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
        let weight =
            elementwise_affine.then(|| Tensor::ones(normalized_shape).requires_grad_(true));
        let bias = (elementwise_affine && bias)
            .then(|| Tensor::zeros(normalized_shape).requires_grad_(true));
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
        let mut v = vec![];
        if let Some(w) = &self.weight {
            v.push(("weight".to_string(), w.clone()));
        }
        if let Some(b) = &self.bias {
            v.push(("bias".to_string(), b.clone()));
        }
        v
    }
    fn extra_repr(&self) -> String {
        let dims: Vec<String> = self
            .normalized_shape
            .iter()
            .map(|d| d.to_string())
            .collect();
        let shape = if dims.len() == 1 {
            format!("({},)", dims[0])
        } else {
            format!("({})", dims.join(", "))
        };
        let affine = if self.weight.is_some() {
            "True"
        } else {
            "False"
        };
        format!(
            "{shape}, eps={}, elementwise_affine={affine}",
            python_float(self.eps)
        )
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}

/// A float as Python's `repr` writes it (`1e-05`, `0.1`).
pub(crate) fn python_float(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-4 || v.abs() >= 1e16) {
        let s = format!("{v:e}");
        match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = match e.strip_prefix('-') {
                    Some(d) => ("-", d),
                    None => ("+", e),
                };
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        }
    } else {
        format!("{v:?}")
    }
}
