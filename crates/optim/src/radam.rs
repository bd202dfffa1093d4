//! `torch.optim.RAdam`: Adam with its adaptive learning rate rectified — plain momentum SGD
//! while the variance estimate is unreliable (ρₜ ≤ 5), then Adam scaled by the rectification
//! term rₜ.
//!
//! PyTorch's algorithm (documentation pseudo-code), per parameter θ, step t = 1, 2, …:
//!
//! ```text
//! m₀ ← 0, v₀ ← 0,  ρ∞ ← 2 / (1 − β₂) − 1
//! g ← −∇f(θ) if maximize else ∇f(θ)
//! if λ ≠ 0:
//!     if decoupled_weight_decay:  θ ← θ (1 − γ λ)
//!     else:                       g ← g + λ θ
//! m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²
//! m̂ ← m / (1 − β₁ᵗ)
//! ρₜ ← ρ∞ − 2 t β₂ᵗ / (1 − β₂ᵗ)
//! if ρₜ > 5:
//!     l ← √(1 − β₂ᵗ) / (√v + ε)
//!     r ← √((ρₜ − 4)(ρₜ − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρₜ))
//!     θ ← θ − γ m̂ l r
//! else:
//!     θ ← θ − γ m̂
//! ```
//!
//! f32 evaluation follows PyTorch's single-tensor CPU code: `bias_corrected_exp_avg = exp_avg /
//! bias_correction1`; the adaptive rate is `bias_correction2**0.5 / (exp_avg_sq.sqrt() + eps)`,
//! which PyTorch evaluates as `reciprocal(...) * bias_correction2**0.5`; the update is
//! `param.add_(bias_corrected_exp_avg * lr * adaptive_lr * rect, alpha=-1.0)`, products left to
//! right, each rounded to the tensor's type. State values that would be subnormal are stored as
//! zero.

use crate::adam::adam_family_fields;
use crate::decay::{Decay, EffectiveGrad};
use crate::error::{check_adam_family, OptimError};
use crate::kernel::{add_alpha, with_two_buffers, AdamMoments};
use crate::optimizer::{Algorithm, Optim};
use crate::param_group::{Hyper, Hyperparameters};
use crate::saved_fields::{param_state, Buffer, Squares, Step};
use tapegrad_autograd::Element;

/// `torch.optim.RAdam`'s hyper-parameters, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::RAdamConfig;
/// let c = RAdamConfig::default();
/// assert_eq!((c.lr, c.betas, c.eps), (1e-3, (0.9, 0.999), 1e-8));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RAdamConfig {
    /// Learning rate γ (default 1e-3).
    pub lr: f64,
    /// (β₁, β₂) (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// ε added to the denominator (default 1e-8).
    pub eps: f64,
    /// Weight decay λ (default 0): L2 in the gradient, or decoupled.
    pub weight_decay: f64,
    /// Decay the weights directly, θ ← θ(1 − γλ) (default false).
    pub decoupled_weight_decay: bool,
    /// Maximise the objective (default false).
    pub maximize: bool,
}

impl Default for RAdamConfig {
    fn default() -> Self {
        RAdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

impl Hyperparameters for RAdamConfig {
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
        fields.extend([
            (
                "decoupled_weight_decay",
                Hyper::Bool(&mut self.decoupled_weight_decay),
            ),
            ("maximize", Hyper::Bool(&mut self.maximize)),
        ]);
        fields
    }
}

/// RAdam's per-parameter state: `step`, `exp_avg`, `exp_avg_sq`.
#[derive(Debug, Clone)]
pub struct RAdamState<T> {
    step: u64,
    exp_avg: Vec<T>,
    exp_avg_sq: Vec<T>,
}

param_state!(RAdamState {
    step: Step,
    exp_avg: Buffer,
    exp_avg_sq: Squares,
});

/// `torch.optim.RAdam`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Optimizer, RAdam, RAdamConfig};
/// let w: Tensor<f64> = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut opt = RAdam::new(vec![w.clone()], RAdamConfig { lr: 0.1, ..Default::default() })?;
/// (&w * 2.0).sum().backward();
/// opt.step(); // ρ₁ ≤ 5: the un-adapted step θ − γ·m̂ = 1 − 0.1·2
/// assert!((w.item() - 0.8).abs() < 1e-12);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub type RAdam<T = f32> = Optim<RAdamAlgorithm, T>;

/// RAdam's update rule, for [`Optim`].
#[derive(Debug, Clone, Copy)]
pub struct RAdamAlgorithm;

impl Algorithm for RAdamAlgorithm {
    const NAME: &'static str = "RAdam";
    type Config = RAdamConfig;
    type State<T: Element> = RAdamState<T>;

    #[inline(always)]
    fn update<T: Element>(
        c: &RAdamConfig,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<RAdamState<T>>,
    ) {
        let n = param.len();
        let s = state.get_or_insert_with(|| RAdamState {
            step: 0,
            exp_avg: vec![T::zero(); n],
            exp_avg_sq: vec![T::zero(); n],
        });
        s.step += 1;
        let (beta1, beta2) = c.betas;
        let step = s.step as f64;
        // Python floats (f64), as PyTorch computes them.
        let bias_correction1 = 1.0 - beta1.powf(step);
        let bias_correction2 = 1.0 - beta2.powf(step);
        let rho_inf = 2.0 / (1.0 - beta2) - 1.0;
        let rho_t = rho_inf - 2.0 * step * beta2.powf(step) / bias_correction2;
        // Some(rect) when the variance is tractable (ρₜ > 5).
        let rect = (rho_t > 5.0).then(|| {
            ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t))
                .powf(0.5)
        });
        // -grad if maximize; param.mul_(1 - lr * weight_decay) or grad.add(param, alpha=weight_decay)
        let effective = EffectiveGrad::new(
            c.maximize,
            Decay::<T>::new(c.lr, c.weight_decay, c.decoupled_weight_decay),
        );
        let (bc1, lr, eps) = (
            T::from_f64(bias_correction1),
            T::from_f64(c.lr),
            T::from_f64(c.eps),
        );
        let bc2_sqrt = T::from_f64(bias_correction2.powf(0.5));
        let rect = rect.map(T::from_f64);
        let moments = AdamMoments::<T>::new(c.betas);
        for (p, g, m, v) in with_two_buffers(param, grad, &mut s.exp_avg, &mut s.exp_avg_sq) {
            let g = effective.of(p, g);
            moments.update(m, v, g);
            let corrected = *m / bc1; // exp_avg / bias_correction1
            let step = match rect {
                Some(r) => {
                    // (bias_correction2**0.5) / (sqrt(v) + eps) = reciprocal(...) * bc2**0.5
                    let adaptive = (v.sqrt() + eps).recip() * bc2_sqrt;
                    corrected * lr * adaptive * r
                }
                None => corrected * lr,
            };
            *p = add_alpha(*p, step, -T::one()); // param.add_(..., alpha=-1.0)
        }
    }
}
