//! `torch.nn.functional`: losses (re-exported from `tapegrad_autograd::functional`) and
//! activations as free functions.

pub use crate::layers::attention::scaled_dot_product_attention;
pub use crate::loss::bce::binary_cross_entropy_weighted;
pub use crate::loss::bce_with_logits::binary_cross_entropy_with_logits_weighted;
pub use crate::loss::cosine_embedding::cosine_embedding_loss;
pub use crate::loss::huber::huber_loss;
pub use crate::loss::kl_div::{kl_div, KLDivReduction};
pub use crate::loss::margin_ranking::margin_ranking_loss;
pub use crate::loss::smooth_l1::smooth_l1_loss;
pub use tapegrad_autograd::functional::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_with,
    dropout, embedding, embedding_with_padding, l1_loss, layer_norm, mse_loss, nll_loss,
    nll_loss_with, ClassTargets, CrossEntropyOptions, CrossEntropyTarget, IntoClassIndices,
    IntoCrossEntropyTarget, NllLossOptions, Reduction, IGNORE_INDEX,
};
use tapegrad_autograd::{Element, Tensor};

/// `F.relu(x)`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::relu;
/// assert_eq!(relu(&Tensor::from_vec(vec![-1.0f32, 1.0], &[2])).to_vec(), [0.0, 1.0]);
/// ```
pub fn relu<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.relu()
}

/// `F.sigmoid(x)` (`torch.sigmoid`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::sigmoid;
/// assert_eq!(sigmoid(&Tensor::from_vec(vec![0.0f32], &[1])).to_vec(), [0.5]);
/// ```
pub fn sigmoid<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.sigmoid()
}

/// `F.tanh(x)` (`torch.tanh`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::tanh;
/// assert_eq!(tanh(&Tensor::from_vec(vec![0.0f32], &[1])).to_vec(), [0.0]);
/// ```
pub fn tanh<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.tanh()
}

/// `F.leaky_relu(x, negative_slope)`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::leaky_relu;
/// assert_eq!(leaky_relu(&Tensor::from_vec(vec![-1.0f64, 1.0], &[2]), 0.01).to_vec(), [-0.01, 1.0]);
/// ```
pub fn leaky_relu<T: Element>(x: &Tensor<T>, negative_slope: f64) -> Tensor<T> {
    x.leaky_relu(negative_slope)
}

/// `F.softmax(x, dim)`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::softmax;
/// assert_eq!(softmax(&Tensor::from_vec(vec![1.0f64, 1.0], &[2]), -1).to_vec(), [0.5, 0.5]);
/// ```
pub fn softmax<T: Element>(x: &Tensor<T>, dim: isize) -> Tensor<T> {
    x.softmax(dim)
}

/// `F.log_softmax(x, dim)`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::log_softmax;
/// let y = log_softmax(&Tensor::from_vec(vec![1.0f64, 1.0], &[2]), 0).to_vec();
/// assert!((y[0] + 2f64.ln()).abs() < 1e-12);
/// ```
pub fn log_softmax<T: Element>(x: &Tensor<T>, dim: isize) -> Tensor<T> {
    x.log_softmax(dim)
}

/// `F.linear(x, weight, bias)`: `x @ weight.T + bias`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::linear;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]);
/// let w = Tensor::from_vec(vec![3.0f32, 4.0], &[1, 2]);
/// assert_eq!(linear(&x, &w, Some(&Tensor::from_vec(vec![0.5f32], &[1]))).to_vec(), [11.5]);
/// ```
pub fn linear<T: Element>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
) -> Tensor<T> {
    let y = x.matmul(&weight.t());
    match bias {
        Some(b) => y.add(b),
        None => y,
    }
}
