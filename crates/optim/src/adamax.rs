//! `torch.optim.Adamax`: Adam with the infinity norm — the second moment is replaced by an
//! exponentially weighted maximum of |g|.
//!
//! PyTorch's algorithm (documentation pseudo-code), per parameter θ, step t = 1, 2, …:
//!
//! ```text
//! m₀ ← 0, u₀ ← 0
//! g ← −∇f(θ) if maximize else ∇f(θ)
//! if λ ≠ 0:  g ← g + λ θ                      (weight_decay, L2)
//! m ← β₁ m + (1 − β₁) g                       (torch.lerp(m, g, 1 − β₁))
//! u ← max(β₂ u, |g| + ε)                      (exp_inf)
//! θ ← θ − (γ / (1 − β₁ᵗ)) · m / u
//! ```
//!
//! f32 evaluation follows PyTorch's single-tensor CPU code: `exp_avg.lerp_(grad, 1-beta1)`,
//! `torch.maximum(exp_inf.mul_(beta2), grad.abs().add_(eps), out=exp_inf)`, then in f64
//! `clr = lr / (1 - beta1**step)` and `param.addcdiv_(exp_avg, exp_inf, value=-clr)`. State
//! values that would be subnormal are stored as zero (see `set_flush_denormal`).

use crate::adam::adam_family_fields;
use crate::decay::{Decay, EffectiveGrad};
use crate::error::{check_adam_family, OptimError};
use crate::kernel::{addcdiv, flush, lerp, maximum, with_two_buffers};
use crate::optimizer::{Algorithm, Optim};
use crate::param_group::{Hyper, Hyperparameters};
use crate::saved_fields::{param_state, Buffer, Step};
use tapegrad_autograd::Element;

/// `torch.optim.Adamax`'s hyper-parameters, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::AdamaxConfig;
/// let c = AdamaxConfig::default();
/// assert_eq!((c.lr, c.betas, c.eps, c.weight_decay), (2e-3, (0.9, 0.999), 1e-8, 0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamaxConfig {
    /// Learning rate γ (default 2e-3).
    pub lr: f64,
    /// (β₁, β₂): decay of the first moment and of the infinity norm (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// ε added to |g| (default 1e-8).
    pub eps: f64,
    /// L2 penalty λ added to the gradient (default 0).
    pub weight_decay: f64,
    /// Maximise the objective (default false).
    pub maximize: bool,
}

impl Default for AdamaxConfig {
    fn default() -> Self {
        AdamaxConfig {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

impl Hyperparameters for AdamaxConfig {
    /// PyTorch's constructor checks, with its messages.
    fn validate(&self) -> Result<(), OptimError> {
        check_adam_family(self.lr, self.eps, self.betas, self.weight_decay)
    }

    fn fields(&mut self) -> Vec<(&'static str, Hyper<'_>)> {
        let mut fields = adam_family_fields(
            &mut self.lr,
            &mut self.betas,
            &mut self.eps,
            &mut self.weight_decay,
        );
        fields.extend([("maximize", Hyper::Bool(&mut self.maximize))]);
        fields
    }
}

/// Adamax's per-parameter state: `step`, `exp_avg`, `exp_inf`.
#[derive(Debug, Clone)]
pub struct AdamaxState<T> {
    step: u64,
    exp_avg: Vec<T>,
    exp_inf: Vec<T>,
}

param_state!(AdamaxState {
    step: Step,
    exp_avg: Buffer,
    exp_inf: Buffer,
});

/// `torch.optim.Adamax`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Adamax, AdamaxConfig, Optimizer};
/// let w: Tensor<f64> = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut opt = Adamax::new(vec![w.clone()], AdamaxConfig { lr: 0.1, ..Default::default() })?;
/// (&w * 2.0).sum().backward(); // m = 0.2, u = 2 + 1e-8
/// opt.step();                  // θ = 1 − (0.1 / 0.1) · 0.2 / (2 + 1e-8)
/// assert!((w.item() - 0.9).abs() < 1e-8);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub type Adamax<T = f32> = Optim<AdamaxAlgorithm, T>;

/// Adamax's update rule, for [`Optim`].
#[derive(Debug, Clone, Copy)]
pub struct AdamaxAlgorithm;

impl Algorithm for AdamaxAlgorithm {
    const NAME: &'static str = "Adamax";
    type Config = AdamaxConfig;
    type State<T: Element> = AdamaxState<T>;

    #[inline(always)]
    fn update<T: Element>(
        c: &AdamaxConfig,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<AdamaxState<T>>,
    ) {
        let n = param.len();
        let s = state.get_or_insert_with(|| AdamaxState {
            step: 0,
            exp_avg: vec![T::zero(); n],
            exp_inf: vec![T::zero(); n],
        });
        s.step += 1;
        let (beta1, beta2) = c.betas;
        // clr = lr / (1 - beta1**step), in f64 (Python floats)
        let clr = c.lr / (1.0 - beta1.powf(s.step as f64));
        let neg_clr = T::from_f64(-clr);
        let effective = EffectiveGrad::new(c.maximize, Decay::l2(c.weight_decay));
        let (w1, b2, eps) = (
            T::from_f64(1.0 - beta1),
            T::from_f64(beta2),
            T::from_f64(c.eps),
        );
        for (p, g, m, u) in with_two_buffers(param, grad, &mut s.exp_avg, &mut s.exp_inf) {
            let g = effective.of(p, g); // -grad if maximize; grad.add(param, alpha=weight_decay)
            *m = flush(lerp(*m, g, w1)); // exp_avg.lerp_(grad, 1 - beta1)
            *u = flush(maximum(*u * b2, g.abs() + eps)); // max(exp_inf·β₂, |g| + ε)
            *p = addcdiv(*p, *m, *u, neg_clr); // param.addcdiv_(exp_avg, exp_inf, value=-clr)
        }
    }
}
