//! `torch.optim.AdamW`: Adam with decoupled weight decay, θ ← θ(1 − γλ) before the Adam update
//! (Loshchilov & Hutter), instead of Adam's L2 term λθ in the gradient. It shares
//! [`adam.rs`](crate::adam)'s kernel; only the defaults (λ = 1e-2) and the flag differ, as in
//! PyTorch where `AdamW` is `Adam(..., decoupled_weight_decay=True)`.

use crate::adam::{Adam, AdamConfig};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use crate::param_group::ParamGroup;
use crate::state::OptimizerState;
use tapegrad_autograd::{Element, Tensor};

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
        AdamWConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 1e-2,
            amsgrad: false,
            maximize: false,
        }
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
pub struct AdamW<T: Element = f32> {
    inner: Adam<T>,
}

impl<T: Element> AdamW<T> {
    /// `AdamW(params, **config)`.
    pub fn new(
        params: impl IntoIterator<Item = Tensor<T>>,
        config: AdamWConfig,
    ) -> Result<Self, OptimError> {
        Self::with_groups(vec![(params.into_iter().collect(), config)])
    }

    /// Several parameter groups with their own hyper-parameters.
    pub fn with_groups(groups: Vec<(Vec<Tensor<T>>, AdamWConfig)>) -> Result<Self, OptimError> {
        Ok(AdamW {
            inner: Adam::with_groups(groups.into_iter().map(|(p, c)| (p, c.into())).collect())?,
        })
    }

    /// `optimizer.add_param_group(...)`.
    pub fn add_param_group(
        &mut self,
        params: Vec<Tensor<T>>,
        config: AdamWConfig,
    ) -> Result<(), OptimError> {
        self.inner.add_param_group(params, config.into())
    }
}

impl<T: Element> Optimizer<T> for AdamW<T> {
    fn step(&mut self) {
        self.inner.step_impl("AdamW");
    }

    fn param_groups(&self) -> &[ParamGroup<T>] {
        self.inner.param_groups()
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup<T>] {
        self.inner.param_groups_mut()
    }

    fn state_dict(&self) -> OptimizerState<T> {
        self.inner.core.state_dict(self.name())
    }

    fn load_state_dict(&mut self, state: &OptimizerState<T>) -> Result<(), OptimError> {
        let name = self.name();
        self.inner.core.load_state_dict(name, state)
    }

    fn name(&self) -> &'static str {
        "AdamW"
    }
}
