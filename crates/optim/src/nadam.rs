//! `torch.optim.NAdam`: Adam with Nesterov momentum, the momentum warmed up by a decaying
//! schedule μₜ.
//!
//! PyTorch's algorithm (documentation pseudo-code), per parameter θ, step t = 1, 2, …
//! (ψ = momentum_decay):
//!
//! ```text
//! m₀ ← 0, v₀ ← 0, μ-product ← 1
//! g ← −∇f(θ) if maximize else ∇f(θ)
//! if λ ≠ 0:
//!     if decoupled_weight_decay:  θ ← θ (1 − γ λ)
//!     else:                       g ← g + λ θ
//! μₜ   ← β₁ (1 − ½ · 0.96^(t ψ)),   μₜ₊₁ ← β₁ (1 − ½ · 0.96^((t+1) ψ))
//! μ-product ← μ-product · μₜ
//! m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²
//! d ← √(v / (1 − β₂ᵗ)) + ε
//! θ ← θ − γ (1 − μₜ) / (1 − μ-product) · g / d − γ μₜ₊₁ / (1 − μ-product · μₜ₊₁) · m / d
//! ```
//!
//! f32 evaluation follows PyTorch's single-tensor CPU code: `mu_product` is a 0-d float tensor
//! (`mu_product *= mu` rounds to the tensor's type), the coefficients are Python floats (f64)
//! rounded to the tensor's type where they meet it, `denom = exp_avg_sq.div(bias_correction2)
//! .sqrt().add_(eps)`, then two `param.addcdiv_` (the gradient's term first). State values that
//! would be subnormal are stored as zero.

use crate::adam::adam_family_fields;
use crate::decay::{Decay, EffectiveGrad};
use crate::error::{at_least_zero, check_adam_family, OptimError};
use crate::kernel::{addcdiv, with_two_buffers, AdamMoments};
use crate::optimizer::{Algorithm, Optim};
use crate::param_group::{Hyper, Hyperparameters};
use crate::saved_fields::{param_state, Buffer, Scalar, Squares, Step};
use tapegrad_autograd::Element;

/// `torch.optim.NAdam`'s hyper-parameters, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::NAdamConfig;
/// let c = NAdamConfig::default();
/// assert_eq!((c.lr, c.betas, c.momentum_decay), (2e-3, (0.9, 0.999), 4e-3));
/// assert!(!c.decoupled_weight_decay);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NAdamConfig {
    /// Learning rate γ (default 2e-3).
    pub lr: f64,
    /// (β₁, β₂) (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// ε added to the denominator (default 1e-8).
    pub eps: f64,
    /// Weight decay λ (default 0): L2 in the gradient, or decoupled (NAdamW).
    pub weight_decay: f64,
    /// ψ, the momentum schedule's decay (default 4e-3).
    pub momentum_decay: f64,
    /// Decay the weights directly, θ ← θ(1 − γλ), as AdamW does (default false).
    pub decoupled_weight_decay: bool,
    /// Maximise the objective (default false).
    pub maximize: bool,
}

impl Default for NAdamConfig {
    fn default() -> Self {
        NAdamConfig {
            lr: 2e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            momentum_decay: 4e-3,
            decoupled_weight_decay: false,
            maximize: false,
        }
    }
}

impl Hyperparameters for NAdamConfig {
    /// PyTorch's constructor checks, with its messages.
    fn validate(&self) -> Result<(), OptimError> {
        check_adam_family(self.lr, self.eps, self.betas, self.weight_decay)?;
        at_least_zero("Invalid momentum_decay value", self.momentum_decay)?;
        Ok(())
    }

    fn fields(&mut self) -> Vec<(&'static str, Hyper<'_>)> {
        let mut fields = adam_family_fields(
            &mut self.lr,
            &mut self.betas,
            &mut self.eps,
            &mut self.weight_decay,
        );
        fields.extend([
            ("momentum_decay", Hyper::Float(&mut self.momentum_decay)),
            (
                "decoupled_weight_decay",
                Hyper::Bool(&mut self.decoupled_weight_decay),
            ),
            ("maximize", Hyper::Bool(&mut self.maximize)),
        ]);
        fields
    }
}

/// NAdam's per-parameter state: `step`, `mu_product` (0-d), `exp_avg`, `exp_avg_sq`.
#[derive(Debug, Clone)]
pub struct NAdamState<T> {
    step: u64,
    mu_product: T,
    exp_avg: Vec<T>,
    exp_avg_sq: Vec<T>,
}

param_state!(NAdamState {
    step: Step,
    mu_product: Scalar,
    exp_avg: Buffer,
    exp_avg_sq: Squares,
});

/// `torch.optim.NAdam`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{NAdam, NAdamConfig, Optimizer};
/// let w: Tensor<f64> = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut opt = NAdam::new(vec![w.clone()], NAdamConfig { lr: 0.1, ..Default::default() })?;
/// (&w * 2.0).sum().backward(); // g = 2: m = 0.2, v = 0.004, d = √(0.004 / 0.001) + ε ≈ 2
/// opt.step();
/// let mu = |t: f64| 0.9 * (1.0 - 0.5 * 0.96f64.powf(t * 4e-3));
/// let (mu1, mu2) = (mu(1.0), mu(2.0));
/// let want = 1.0 - 0.1 * (1.0 - mu1) / (1.0 - mu1) * 2.0 / 2.0   // the gradient's term
///                - 0.1 * mu2 / (1.0 - mu1 * mu2) * 0.2 / 2.0;     // the momentum's term
/// assert!((w.item() - want).abs() < 1e-8);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub type NAdam<T = f32> = Optim<NAdamAlgorithm, T>;

/// NAdam's update rule, for [`Optim`].
#[derive(Debug, Clone, Copy)]
pub struct NAdamAlgorithm;

impl Algorithm for NAdamAlgorithm {
    const NAME: &'static str = "NAdam";
    type Config = NAdamConfig;
    type State<T: Element> = NAdamState<T>;

    #[inline(always)]
    fn update<T: Element>(
        c: &NAdamConfig,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<NAdamState<T>>,
    ) {
        let n = param.len();
        let s = state.get_or_insert_with(|| NAdamState {
            step: 0,
            mu_product: T::one(),
            exp_avg: vec![T::zero(); n],
            exp_avg_sq: vec![T::zero(); n],
        });
        s.step += 1;
        let (beta1, beta2) = c.betas;
        let step = s.step as f64;
        // Python floats (f64), as PyTorch computes them.
        let bias_correction2 = 1.0 - beta2.powf(step);
        let mu = beta1 * (1.0 - 0.5 * 0.96f64.powf(step * c.momentum_decay));
        let mu_next = beta1 * (1.0 - 0.5 * 0.96f64.powf((step + 1.0) * c.momentum_decay));
        s.mu_product = s.mu_product * T::from_f64(mu); // mu_product *= mu (a 0-d tensor)
        let mu_product = s.mu_product.as_f64();
        let mu_product_next = mu_product * mu_next;
        let grad_coef = T::from_f64(-c.lr * (1.0 - mu) / (1.0 - mu_product));
        let avg_coef = T::from_f64((-c.lr * mu_next) / (1.0 - mu_product_next));
        // -grad if maximize; param.mul_(1 - lr * weight_decay) or grad.add(param, alpha=weight_decay)
        let effective = EffectiveGrad::new(
            c.maximize,
            Decay::<T>::new(c.lr, c.weight_decay, c.decoupled_weight_decay),
        );
        let (bc2, eps) = (T::from_f64(bias_correction2), T::from_f64(c.eps));
        let moments = AdamMoments::<T>::new(c.betas);
        for (p, g, m, v) in with_two_buffers(param, grad, &mut s.exp_avg, &mut s.exp_avg_sq) {
            let g = effective.of(p, g);
            moments.update(m, v, g);
            let denom = (*v / bc2).sqrt() + eps; // exp_avg_sq.div(bc2).sqrt().add_(eps)
            *p = addcdiv(*p, g, denom, grad_coef); // param.addcdiv_(grad, denom, value=...)
            *p = addcdiv(*p, *m, denom, avg_coef); // param.addcdiv_(exp_avg, denom, value=...)
        }
    }
}
