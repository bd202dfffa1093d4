//! `torch.optim.Adadelta`: per-element step sizes from the ratio of two running averages, of
//! past squared updates and of squared gradients (no learning rate needed; `lr` scales the
//! result).
//!
//! PyTorch's algorithm (documentation pseudo-code), per parameter θ:
//!
//! ```text
//! v₀ ← 0 (square_avg), u₀ ← 0 (acc_delta)
//! g ← −∇f(θ) if maximize else ∇f(θ)
//! if λ ≠ 0:  g ← g + λ θ                        (weight_decay, L2)
//! v ← ρ v + (1 − ρ) g²
//! Δ ← √(u + ε) / √(v + ε) · g
//! u ← ρ u + (1 − ρ) Δ²
//! θ ← θ − γ Δ
//! ```
//!
//! f32 evaluation follows PyTorch's single-tensor CPU code: `square_avg.mul_(rho).addcmul_(grad,
//! grad, value=1-rho)`, `std = square_avg.add(eps).sqrt_()`, `delta = acc_delta.add(eps).sqrt_()
//! .div_(std).mul_(grad)`, `acc_delta.mul_(rho).addcmul_(delta, delta, value=1-rho)`,
//! `param.add_(delta, alpha=-lr)`. State values that would be subnormal are stored as zero.

use crate::decay::{Decay, EffectiveGrad};
use crate::error::{at_least_zero, py, OptimError};
use crate::kernel::{add_alpha, addcmul, flush, with_two_buffers};
use crate::optimizer::{Algorithm, Optim};
use crate::param_group::{Hyper, Hyperparameters};
use crate::saved_fields::{param_state, Squares, Step};
use tapegrad_autograd::Element;

/// `torch.optim.Adadelta`'s hyper-parameters, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::AdadeltaConfig;
/// let c = AdadeltaConfig::default();
/// assert_eq!((c.lr, c.rho, c.eps, c.weight_decay), (1.0, 0.9, 1e-6, 0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdadeltaConfig {
    /// Coefficient γ that scales Δ before it is applied (default 1.0).
    pub lr: f64,
    /// ρ, the decay of both running averages (default 0.9).
    pub rho: f64,
    /// ε inside both square roots (default 1e-6).
    pub eps: f64,
    /// L2 penalty λ added to the gradient (default 0).
    pub weight_decay: f64,
    /// Maximise the objective (default false).
    pub maximize: bool,
}

impl Default for AdadeltaConfig {
    fn default() -> Self {
        AdadeltaConfig {
            lr: 1.0,
            rho: 0.9,
            eps: 1e-6,
            weight_decay: 0.0,
            maximize: false,
        }
    }
}

impl Hyperparameters for AdadeltaConfig {
    /// PyTorch's constructor checks, with its messages.
    fn validate(&self) -> Result<(), OptimError> {
        let bad = |m: String| Err(OptimError::InvalidHyperparameter(m));
        at_least_zero("Invalid learning rate", self.lr)?;
        if !(0.0 <= self.rho && self.rho <= 1.0) {
            return bad(format!("Invalid rho value: {}", py(self.rho)));
        }
        at_least_zero("Invalid epsilon value", self.eps)?;
        at_least_zero("Invalid weight_decay value", self.weight_decay)?;
        Ok(())
    }

    fn fields(&mut self) -> Vec<(&'static str, Hyper<'_>)> {
        vec![
            ("lr", Hyper::Float(&mut self.lr)),
            ("rho", Hyper::Float(&mut self.rho)),
            ("eps", Hyper::Float(&mut self.eps)),
            ("weight_decay", Hyper::Float(&mut self.weight_decay)),
            ("maximize", Hyper::Bool(&mut self.maximize)),
        ]
    }
}

/// Adadelta's per-parameter state: `step`, `square_avg`, `acc_delta`.
#[derive(Debug, Clone)]
pub struct AdadeltaState<T> {
    step: u64,
    square_avg: Vec<T>,
    acc_delta: Vec<T>,
}

param_state!(AdadeltaState {
    step: Step,
    square_avg: Squares,
    acc_delta: Squares,
});

/// `torch.optim.Adadelta`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Adadelta, AdadeltaConfig, Optimizer};
/// let w: Tensor<f64> = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut opt = Adadelta::new(vec![w.clone()], AdadeltaConfig::default())?;
/// (&w * 2.0).sum().backward(); // v = 0.1·4 = 0.4, Δ = √1e-6 / √(0.4 + 1e-6) · 2
/// opt.step();
/// let delta = (1e-6f64).sqrt() / (0.4f64 + 1e-6).sqrt() * 2.0;
/// assert!((w.item() - (1.0 - delta)).abs() < 1e-15);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub type Adadelta<T = f32> = Optim<AdadeltaAlgorithm, T>;

/// Adadelta's update rule, for [`Optim`].
#[derive(Debug, Clone, Copy)]
pub struct AdadeltaAlgorithm;

impl Algorithm for AdadeltaAlgorithm {
    const NAME: &'static str = "Adadelta";
    type Config = AdadeltaConfig;
    type State<T: Element> = AdadeltaState<T>;

    #[inline(always)]
    fn update<T: Element>(
        c: &AdadeltaConfig,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<AdadeltaState<T>>,
    ) {
        let n = param.len();
        let s = state.get_or_insert_with(|| AdadeltaState {
            step: 0,
            square_avg: vec![T::zero(); n],
            acc_delta: vec![T::zero(); n],
        });
        s.step += 1;
        let effective = EffectiveGrad::new(c.maximize, Decay::l2(c.weight_decay));
        let (rho, one_minus_rho, eps, neg_lr) = (
            T::from_f64(c.rho),
            T::from_f64(1.0 - c.rho),
            T::from_f64(c.eps),
            T::from_f64(-c.lr),
        );
        for (p, g, v, u) in with_two_buffers(param, grad, &mut s.square_avg, &mut s.acc_delta) {
            let g = effective.of(p, g); // -grad if maximize; grad.add(param, alpha=weight_decay)
            *v = flush(addcmul(*v * rho, g, g, one_minus_rho)); // square_avg.mul_(rho).addcmul_
            let std = (*v + eps).sqrt(); // square_avg.add(eps).sqrt_()
            let delta = (*u + eps).sqrt() / std * g; // acc_delta.add(eps).sqrt_().div_(std).mul_(grad)
            *u = flush(addcmul(*u * rho, delta, delta, one_minus_rho)); // acc_delta.mul_(rho).addcmul_
            *p = add_alpha(*p, delta, neg_lr); // param.add_(delta, alpha=-lr)
        }
    }
}
