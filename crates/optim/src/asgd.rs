//! `torch.optim.ASGD`: averaged stochastic gradient descent — SGD with a decaying step size
//! ηₜ, plus a running average `ax` of the iterates once t exceeds t₀.
//!
//! PyTorch's algorithm (documentation pseudo-code), per parameter θ, step t = 1, 2, …:
//!
//! ```text
//! η₀ ← γ, μ₀ ← 1, ax₀ ← 0
//! g ← −∇f(θ) if maximize else ∇f(θ)
//! if λ_wd ≠ 0:  g ← g + λ_wd θ                (weight_decay, L2)
//! θ ← θ (1 − λ ηₜ₋₁)                          (λ = lambd)
//! θ ← θ − ηₜ₋₁ g
//! ax ← θ if μₜ₋₁ = 1 else ax + μₜ₋₁ (θ − ax)
//! ηₜ ← γ / (1 + λ γ t)^α
//! μₜ ← 1 / max(1, t − t₀)
//! ```
//!
//! f32 evaluation follows PyTorch's single-tensor CPU code: `eta` and `mu` are 0-d float
//! tensors (their new values rounded to the tensor's type), `param.mul_(1 - lambd * eta)`,
//! `param.add_(grad, alpha=-eta)`, `ax.add_(param.sub(ax).mul_(mu))` or `ax.copy_(param)`.

use crate::decay::{Decay, EffectiveGrad};
use crate::error::{at_least_zero, OptimError};
use crate::kernel::add_alpha;
use crate::optimizer::{Algorithm, Optim};
use crate::param_group::{Hyper, Hyperparameters};
use crate::saved_fields::{param_state, Buffer, Scalar, Step};
use tapegrad_autograd::Element;

/// `torch.optim.ASGD`'s hyper-parameters, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::AsgdConfig;
/// let c = AsgdConfig::default();
/// assert_eq!((c.lr, c.lambd, c.alpha, c.t0, c.weight_decay), (1e-2, 1e-4, 0.75, 1e6, 0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AsgdConfig {
    /// Learning rate γ (default 1e-2).
    pub lr: f64,
    /// Decay term λ (default 1e-4).
    pub lambd: f64,
    /// Power α of the step-size decay (default 0.75).
    pub alpha: f64,
    /// The step t₀ from which the iterates are averaged (default 1e6).
    pub t0: f64,
    /// L2 penalty added to the gradient (default 0).
    pub weight_decay: f64,
    /// Maximise the objective (default false).
    pub maximize: bool,
}

impl Default for AsgdConfig {
    fn default() -> Self {
        AsgdConfig {
            lr: 1e-2,
            lambd: 1e-4,
            alpha: 0.75,
            t0: 1e6,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

impl Hyperparameters for AsgdConfig {
    /// PyTorch's constructor checks, with its messages.
    fn validate(&self) -> Result<(), OptimError> {
        at_least_zero("Invalid learning rate", self.lr)?;
        at_least_zero("Invalid lambd value", self.lambd)?;
        at_least_zero("Invalid alpha value", self.alpha)?;
        at_least_zero("Invalid weight_decay value", self.weight_decay)?;
        Ok(())
    }

    fn fields(&mut self) -> Vec<(&'static str, Hyper<'_>)> {
        vec![
            ("lr", Hyper::Float(&mut self.lr)),
            ("lambd", Hyper::Float(&mut self.lambd)),
            ("alpha", Hyper::Float(&mut self.alpha)),
            ("t0", Hyper::Float(&mut self.t0)),
            ("weight_decay", Hyper::Float(&mut self.weight_decay)),
            ("maximize", Hyper::Bool(&mut self.maximize)),
        ]
    }
}

/// ASGD's per-parameter state: `step`, `eta` (0-d), `mu` (0-d), `ax` (the averaged iterate).
#[derive(Debug, Clone)]
pub struct AsgdState<T> {
    step: u64,
    eta: T,
    mu: T,
    ax: Vec<T>,
}

impl<T: Element> AsgdState<T> {
    /// The averaged parameter `ax` (PyTorch's `optimizer.state[p]["ax"]`), flat row-major.
    pub fn ax(&self) -> &[T] {
        &self.ax
    }
}

param_state!(AsgdState {
    step: Step,
    eta: Scalar,
    mu: Scalar,
    ax: Buffer,
});

/// `torch.optim.ASGD`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{AsgdConfig, Optimizer, ASGD};
/// let w: Tensor<f64> = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut opt = ASGD::new(vec![w.clone()], AsgdConfig { lr: 0.1, lambd: 0.0, ..Default::default() })?;
/// (&w * 2.0).sum().backward();
/// opt.step(); // η₀ = γ: θ = 1 − 0.1·2
/// assert!((w.item() - 0.8).abs() < 1e-12);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[allow(clippy::upper_case_acronyms)]
pub type ASGD<T = f32> = Optim<AsgdAlgorithm, T>;

/// ASGD's update rule, for [`Optim`].
#[derive(Debug, Clone, Copy)]
pub struct AsgdAlgorithm;

impl Algorithm for AsgdAlgorithm {
    const NAME: &'static str = "ASGD";
    type Config = AsgdConfig;
    type State<T: Element> = AsgdState<T>;

    #[inline(always)]
    fn update<T: Element>(
        c: &AsgdConfig,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<AsgdState<T>>,
    ) {
        let n = param.len();
        let s = state.get_or_insert_with(|| AsgdState {
            step: 0,
            eta: T::from_f64(c.lr),
            mu: T::one(),
            ax: vec![T::zero(); n],
        });
        s.step += 1;
        let eta = s.eta.as_f64(); // eta.item()
        let decay = T::from_f64(1.0 - c.lambd * eta);
        let neg_eta = T::from_f64(-eta);
        let effective = EffectiveGrad::new(c.maximize, Decay::l2(c.weight_decay));
        let mu = s.mu;
        for ((p, &g), ax) in param.iter_mut().zip(grad).zip(&mut s.ax) {
            let g = effective.of(p, g); // -grad if maximize; grad.add(param, alpha=weight_decay)
            *p = *p * decay; // param.mul_(1 - lambd * eta)
            *p = add_alpha(*p, g, neg_eta); // param.add_(grad, alpha=-eta)
            *ax = if mu != T::one() {
                *ax + (*p - *ax) * mu // ax.add_(param.sub(ax).mul_(mu))
            } else {
                *p // ax.copy_(param)
            };
        }
        let step = s.step as f64;
        s.eta = T::from_f64(c.lr / (1.0 + c.lambd * c.lr * step).powf(c.alpha));
        s.mu = T::from_f64(1.0 / (step - c.t0).max(1.0));
    }
}
