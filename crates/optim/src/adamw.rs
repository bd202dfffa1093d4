//! `torch.optim.AdamW`: Adam with decoupled weight decay, θ ← θ(1 − γλ) before the Adam update
//! (Loshchilov & Hutter), instead of Adam's L2 term λθ in the gradient. It shares
//! [`adam.rs`](crate::adam)'s kernel; only the defaults (λ = 1e-2) and the flag differ, as in
//! PyTorch where `AdamW` is `Adam(..., decoupled_weight_decay=True)`.

use crate::adam::{adam_family_fields, adam_update, AdamConfig, AdamState};
use crate::error::OptimError;
use crate::optimizer::{Algorithm, Optim};
use crate::param_group::{Hyper, Hyperparameters};
use tapegrad_autograd::Element;

/// `torch.optim.AdamW`'s hyper-parameters, with PyTorch's defaults (Adam's, but
/// `weight_decay = 1e-2`).
///
/// ```
/// use tapegrad_optim::AdamWConfig;
/// assert_eq!(AdamWConfig::default().weight_decay, 1e-2);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamWConfig {
    /// Learning rate γ (default 1e-3).
    pub lr: f64,
    /// (β₁, β₂) (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// ε (default 1e-8).
    pub eps: f64,
    /// Decoupled weight decay λ (default 1e-2).
    pub weight_decay: f64,
    /// AMSGrad (default false).
    pub amsgrad: bool,
    /// Maximise the objective (default false).
    pub maximize: bool,
}

impl Default for AdamWConfig {
    fn default() -> Self {
        // Adam's defaults, but weight_decay = 1e-2.
        let AdamConfig {
            lr,
            betas,
            eps,
            amsgrad,
            maximize,
            ..
        } = AdamConfig::default();
        AdamWConfig {
            weight_decay: 1e-2,
            lr,
            betas,
            eps,
            amsgrad,
            maximize,
        }
    }
}

impl Hyperparameters for AdamWConfig {
    /// PyTorch's constructor checks (Adam's), with its messages.
    fn validate(&self) -> Result<(), OptimError> {
        AdamConfig::from(*self).validate()
    }

    fn fields(&mut self) -> Vec<(&'static str, Hyper<'_>)> {
        let mut fields = adam_family_fields(
            &mut self.lr,
            &mut self.betas,
            &mut self.eps,
            &mut self.weight_decay,
        );
        fields.extend([
            ("amsgrad", Hyper::Bool(&mut self.amsgrad)),
            ("maximize", Hyper::Bool(&mut self.maximize)),
            // PyTorch's AdamW is Adam with this flag set; its state dict says so.
            ("decoupled_weight_decay", Hyper::Fixed(true)),
        ]);
        fields
    }
}

impl From<AdamWConfig> for AdamConfig {
    fn from(c: AdamWConfig) -> AdamConfig {
        AdamConfig {
            lr: c.lr,
            betas: c.betas,
            eps: c.eps,
            weight_decay: c.weight_decay,
            amsgrad: c.amsgrad,
            maximize: c.maximize,
            decoupled_weight_decay: true,
        }
    }
}

/// `torch.optim.AdamW`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{AdamW, AdamWConfig, Optimizer};
/// let w: Tensor<f64> = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut opt = AdamW::new(vec![w.clone()], AdamWConfig { lr: 0.1, weight_decay: 0.5, ..Default::default() })?;
/// (&w * 2.0).sum().backward();
/// opt.step(); // θ ← 1·(1 − 0.1·0.5) = 0.95, then the Adam step of ≈ 0.1
/// assert!((w.item() - 0.85).abs() < 1e-7);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub type AdamW<T = f32> = Optim<AdamWAlgorithm, T>;

/// AdamW's update rule, for [`Optim`]: Adam's kernel with the decay decoupled.
#[derive(Debug, Clone, Copy)]
pub struct AdamWAlgorithm;

impl Algorithm for AdamWAlgorithm {
    const NAME: &'static str = "AdamW";
    type Config = AdamWConfig;
    type State<T: Element> = AdamState<T>;

    #[inline(always)]
    fn update<T: Element>(
        config: &AdamWConfig,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<AdamState<T>>,
    ) {
        adam_update(&AdamConfig::from(*config), param, grad, state);
    }
}
