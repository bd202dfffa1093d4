//! [`BatchNorm1d`] and [`BatchNorm2d`] (`torch.nn.BatchNorm1d/2d`).

use super::repr::{py_bool, python_float};
use crate::Module;
use std::sync::atomic::{AtomicBool, Ordering};
use tapegrad_autograd::{no_grad, Element, Tensor};

/// Batch normalisation over the channel dimension 1 (`torch.nn.BatchNorm1d` for `[N, C]` and
/// `[N, C, L]`, `torch.nn.BatchNorm2d` for `[N, C, H, W]`).
///
/// In training it normalises with the batch's mean and biased variance over every dimension
/// but the channels, and updates the running estimates as PyTorch does:
/// `running = (1 − momentum)·running + momentum·batch`, with the *unbiased* batch variance
/// for `running_var`, and counts `num_batches_tracked`. In eval mode it uses the running
/// estimates. `weight` starts at ones, `bias` at zeros; the buffers `running_mean` (zeros),
/// `running_var` (ones) and `num_batches_tracked` are in the state dict under PyTorch's names
/// (`num_batches_tracked` is stored in the model's float type; PyTorch's int64 file entry loads
/// into it converted). Derivative: that of the mean, variance and arithmetic it is built from.
pub struct BatchNorm<T: Element = f32> {
    /// Number of channels (`num_features`).
    pub num_features: usize,
    /// Added to the variance (default 1e-5).
    pub eps: f64,
    /// Weight of the new batch in the running estimates (default 0.1).
    pub momentum: f64,
    /// Scale, ones at first (`None` without `affine`).
    pub weight: Option<Tensor<T>>,
    /// Shift, zeros at first (`None` without `affine`).
    pub bias: Option<Tensor<T>>,
    /// Running mean of the channels (a buffer).
    pub running_mean: Tensor<T>,
    /// Running unbiased variance of the channels (a buffer).
    pub running_var: Tensor<T>,
    /// How many training batches updated the running estimates (a buffer).
    pub num_batches_tracked: Tensor<T>,
    /// The accepted input ranks (2 and 3 for 1d, 4 for 2d) and the layer's name.
    ranks: &'static [usize],
    name: &'static str,
    training: AtomicBool,
}

/// `BatchNorm1d`: over `[N, C]` or `[N, C, L]`.
pub type BatchNorm1d<T = f32> = BatchNorm<T>;
/// `BatchNorm2d`: over `[N, C, H, W]`.
pub type BatchNorm2d<T = f32> = BatchNorm<T>;

impl<T: Element> BatchNorm<T> {
    fn build(name: &'static str, ranks: &'static [usize], num_features: usize) -> Self {
        let c = [num_features];
        BatchNorm {
            num_features,
            eps: 1e-5,
            momentum: 0.1,
            weight: Some(Tensor::ones(&c).requires_grad_(true)),
            bias: Some(Tensor::zeros(&c).requires_grad_(true)),
            running_mean: Tensor::zeros(&c),
            running_var: Tensor::ones(&c),
            num_batches_tracked: Tensor::scalar(T::zero()),
            ranks,
            name,
            training: AtomicBool::new(true),
        }
    }

    /// `BatchNorm1d(num_features)` (eps 1e-5, momentum 0.1, affine).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{BatchNorm1d, Module};
    /// let bn: BatchNorm1d = BatchNorm1d::new_1d(2);
    /// let x = Tensor::from_vec(vec![1.0, 10.0, 3.0, 30.0], &[2, 2]);
    /// let y = bn.forward(&x); // each column normalised: [-1, 1] (up to eps)
    /// assert!((y.to_vec()[0] + 1.0).abs() < 1e-4 && (y.to_vec()[2] - 1.0).abs() < 1e-4);
    /// // running_mean = 0.9·0 + 0.1·[2, 20]; running_var = 0.9·1 + 0.1·[2, 200] (unbiased)
    /// assert_eq!(bn.running_mean.to_vec(), vec![0.2, 2.0]);
    /// assert_eq!(bn.running_var.to_vec(), vec![1.1, 20.9]);
    /// assert_eq!(bn.state_dict().keys(), ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]);
    /// ```
    pub fn new_1d(num_features: usize) -> Self {
        Self::build("BatchNorm1d", &[2, 3], num_features)
    }

    /// `BatchNorm2d(num_features)` (eps 1e-5, momentum 0.1, affine).
    pub fn new_2d(num_features: usize) -> Self {
        Self::build("BatchNorm2d", &[4], num_features)
    }

    /// Sets `eps` and `momentum` (builder style).
    pub fn with_eps_momentum(mut self, eps: f64, momentum: f64) -> Self {
        self.eps = eps;
        self.momentum = momentum;
        self
    }

    /// Without `weight` and `bias` (`affine=False`).
    pub fn without_affine(mut self) -> Self {
        self.weight = None;
        self.bias = None;
        self
    }
}

impl<T: Element> Module<T> for BatchNorm<T> {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let shape = input.shape();
        assert!(
            self.ranks.contains(&shape.len()),
            "{}: expected {} input (got {}D input of shape {:?})",
            self.name,
            if self.ranks == [4] {
                "4D".to_string()
            } else {
                "2D or 3D".to_string()
            },
            shape.len(),
            shape.as_slice()
        );
        assert!(
            shape[1] == self.num_features,
            "{}: running_mean should contain {} elements not {} (input shape {:?})",
            self.name,
            shape[1],
            self.num_features,
            shape.as_slice()
        );
        let training = self.training.load(Ordering::Relaxed);
        if training {
            let n = input.numel() / self.num_features.max(1);
            assert!(
                n > 1,
                "{}: Expected more than 1 value per channel when training, got input size {:?}",
                self.name,
                shape.as_slice()
            );
        }
        let y = crate::functional::batch_norm(
            input,
            Some(&self.running_mean),
            Some(&self.running_var),
            self.weight.as_ref(),
            self.bias.as_ref(),
            training,
            self.momentum,
            self.eps,
        );
        if training {
            no_grad(|| {
                self.num_batches_tracked.add_(T::one());
            });
        }
        y
    }
    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        match (&self.weight, &self.bias) {
            (Some(w), Some(b)) => vec![("weight".into(), w.clone()), ("bias".into(), b.clone())],
            _ => vec![],
        }
    }
    fn named_own_buffers(&self) -> Vec<(String, Tensor<T>)> {
        vec![
            ("running_mean".into(), self.running_mean.clone()),
            ("running_var".into(), self.running_var.clone()),
            (
                "num_batches_tracked".into(),
                self.num_batches_tracked.clone(),
            ),
        ]
    }
    fn type_name(&self) -> String {
        self.name.to_string()
    }
    fn extra_repr(&self) -> String {
        format!(
            "{}, eps={}, momentum={:?}, affine={}, track_running_stats=True",
            self.num_features,
            python_float(self.eps),
            self.momentum,
            py_bool(self.weight.is_some())
        )
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
