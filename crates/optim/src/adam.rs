//! `torch.optim.Adam` (and the kernel of `AdamW`): bias-corrected moving averages of the
//! gradient and of its square.
//!
//! PyTorch's algorithm (documentation pseudo-code), per parameter θ, step t = 1, 2, …:
//!
//! ```text
//! m₀ ← 0, v₀ ← 0, v₀^max ← 0
//! g ← −∇f(θ) if maximize else ∇f(θ)
//! if λ ≠ 0:
//!     if decoupled_weight_decay (AdamW):  θ ← θ (1 − γ λ)
//!     else:                               g ← g + λ θ        (L2)
//! m ← β₁ m + (1 − β₁) g                    (torch.lerp(m, g, 1 − β₁))
//! v ← β₂ v + (1 − β₂) g²
//! if amsgrad:  v^max ← max(v^max, v);  ṽ ← v^max   (the max of the raw v)
//! else:        ṽ ← v
//! θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√ṽ / √(1 − β₂ᵗ) + ε)
//! ```
//!
//! f32 evaluation follows PyTorch's single-tensor CPU code: `exp_avg.lerp_(grad, 1-beta1)`;
//! `exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1-beta2)`; in f64
//! `bias_correction1 = 1 - beta1**step`, `bias_correction2 = 1 - beta2**step`,
//! `step_size = lr / bias_correction1`, `bias_correction2_sqrt = bias_correction2**0.5`; then
//! `denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)` and
//! `param.addcdiv_(exp_avg, denom, value=-step_size)`, every f64 coefficient rounded to f32 where
//! it meets a tensor.

use crate::decay::{Decay, EffectiveGrad};
use crate::error::{check_adam_family, OptimError};
use crate::kernel::{addcdiv, addcmul, flush, maximum, with_two_buffers, AdamMoments};
use crate::optimizer::{Algorithm, Optim};
use crate::param_group::{Hyper, Hyperparameters};
use crate::saved_fields::{param_state, Buffer, Optional, Squares, Step};
use tapegrad_autograd::Element;

/// `torch.optim.Adam`'s hyper-parameters, with PyTorch's defaults. `decoupled_weight_decay:
/// true` is AdamW (see [`AdamW`](crate::AdamW) and [`AdamWConfig`](crate::AdamWConfig)).
///
/// ```
/// use tapegrad_optim::AdamConfig;
/// let c = AdamConfig { lr: 0.1, ..Default::default() };
/// assert_eq!((c.betas, c.eps, c.weight_decay), ((0.9, 0.999), 1e-8, 0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamConfig {
    /// Learning rate γ (default 1e-3).
    pub lr: f64,
    /// (β₁, β₂): decay rates of the two moment estimates (default (0.9, 0.999)).
    pub betas: (f64, f64),
    /// ε added to the denominator (default 1e-8).
    pub eps: f64,
    /// Weight decay λ (default 0): an L2 term in the gradient, or AdamW's decoupled decay.
    pub weight_decay: f64,
    /// Use AMSGrad: divide by the running maximum of the second moment (default false).
    pub amsgrad: bool,
    /// Maximise the objective (default false).
    pub maximize: bool,
    /// Decay the weights directly (θ ← θ(1 − γλ)) instead of adding λθ to the gradient
    /// (default false; AdamW sets it).
    pub decoupled_weight_decay: bool,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            amsgrad: false,
            maximize: false,
            decoupled_weight_decay: false,
        }
    }
}

impl Hyperparameters for AdamConfig {
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
            ("amsgrad", Hyper::Bool(&mut self.amsgrad)),
            ("maximize", Hyper::Bool(&mut self.maximize)),
            (
                "decoupled_weight_decay",
                Hyper::Bool(&mut self.decoupled_weight_decay),
            ),
        ]);
        fields
    }
}

/// The hyper-parameters every config of the Adam family (Adam, AdamW, Adamax, NAdam, RAdam)
/// lists first, in PyTorch's order: `lr`, `beta1`, `beta2`, `eps`, `weight_decay`.
pub(crate) fn adam_family_fields<'a>(
    lr: &'a mut f64,
    betas: &'a mut (f64, f64),
    eps: &'a mut f64,
    weight_decay: &'a mut f64,
) -> Vec<(&'static str, Hyper<'a>)> {
    vec![
        ("lr", Hyper::Float(lr)),
        ("beta1", Hyper::Float(&mut betas.0)),
        ("beta2", Hyper::Float(&mut betas.1)),
        ("eps", Hyper::Float(eps)),
        ("weight_decay", Hyper::Float(weight_decay)),
    ]
}

/// Adam's per-parameter state: `step`, `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` (amsgrad).
#[derive(Debug, Clone)]
pub struct AdamState<T> {
    step: u64,
    exp_avg: Vec<T>,
    exp_avg_sq: Vec<T>,
    max_exp_avg_sq: Option<Vec<T>>,
}

param_state!(AdamState {
    step: Step,
    exp_avg: Buffer,
    exp_avg_sq: Squares,
    max_exp_avg_sq: Optional<Squares>,
});

/// One Adam/AdamW update of a parameter (the single-tensor kernel shared by [`Adam`] and
/// [`AdamW`](crate::AdamW)).
#[inline(always)]
pub(crate) fn adam_update<T: Element>(
    c: &AdamConfig,
    param: &mut [T],
    grad: &[T],
    state: &mut Option<AdamState<T>>,
) {
    let n = param.len();
    let s = state.get_or_insert_with(|| AdamState {
        step: 0,
        exp_avg: vec![T::zero(); n],
        exp_avg_sq: vec![T::zero(); n],
        max_exp_avg_sq: None,
    });
    if c.amsgrad && s.max_exp_avg_sq.is_none() {
        s.max_exp_avg_sq = Some(vec![T::zero(); n]);
    }
    s.step += 1;
    let (beta1, beta2) = c.betas;
    let step = s.step as f64;
    // Python-float (f64) scalars, as PyTorch computes them.
    let bias_correction1 = 1.0 - beta1.powf(step);
    let bias_correction2 = 1.0 - beta2.powf(step);
    let step_size = c.lr / bias_correction1;
    let bias_correction2_sqrt = bias_correction2.sqrt();
    // ... rounded to T where they meet a tensor.
    // -grad if maximize; param.mul_(1 - lr * weight_decay) or grad.add(param, alpha=weight_decay)
    let effective = EffectiveGrad::new(
        c.maximize,
        Decay::<T>::new(c.lr, c.weight_decay, c.decoupled_weight_decay),
    );
    let moments = AdamMoments::<T>::new(c.betas);
    let bc2_sqrt = T::from_f64(bias_correction2_sqrt);
    let eps = T::from_f64(c.eps);
    let neg_step_size = T::from_f64(-step_size);
    if !c.amsgrad
        && !c.maximize
        && c.weight_decay == 0.0
        && moments.one_minus_beta1.abs() < T::from_f64(0.5)
    {
        // The common case, without per-element branches so the loop vectorises; the same
        // operations as the general loop below (lerp's |weight| < 0.5 branch).
        for (p, g, m, v) in with_two_buffers(param, grad, &mut s.exp_avg, &mut s.exp_avg_sq) {
            *m = flush(moments.one_minus_beta1.mul_add(g - *m, *m));
            *v = flush(addcmul(*v * moments.beta2, g, g, moments.one_minus_beta2));
            let denom = v.sqrt() / bc2_sqrt + eps;
            *p = addcdiv(*p, *m, denom, neg_step_size);
        }
        return;
    }
    let mut vmax = if c.amsgrad {
        s.max_exp_avg_sq.as_deref_mut().map(|v| v.iter_mut())
    } else {
        None
    };
    for (p, g, m, v) in with_two_buffers(param, grad, &mut s.exp_avg, &mut s.exp_avg_sq) {
        let g = effective.of(p, g);
        moments.update(m, v, g);
        let second = match vmax.as_mut() {
            Some(it) => {
                let mx = it
                    .next()
                    .expect("max_exp_avg_sq has the parameter's length");
                *mx = maximum(*mx, *v); // torch.maximum(max_exp_avg_sq, exp_avg_sq, out=...)
                *mx
            }
            None => *v,
        };
        // (v.sqrt() / bc2_sqrt).add_(eps)
        let denom = second.sqrt() / bc2_sqrt + eps;
        // param.addcdiv_(exp_avg, denom, value=-step_size)
        *p = addcdiv(*p, *m, denom, neg_step_size);
    }
}

/// `torch.optim.Adam`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Adam, AdamConfig, Optimizer};
/// let w: Tensor<f64> = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut opt = Adam::new(vec![w.clone()], AdamConfig { lr: 0.1, ..Default::default() })?;
/// (&w * 2.0).sum().backward();
/// opt.step(); // the first Adam step moves each weight by ≈ lr against its gradient's sign
/// assert!((w.item() - 0.9).abs() < 1e-7);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub type Adam<T = f32> = Optim<AdamAlgorithm, T>;

/// Adam's update rule, for [`Optim`]: its name, [`AdamConfig`], [`AdamState`] and
/// its update kernel.
#[derive(Debug, Clone, Copy)]
pub struct AdamAlgorithm;

impl Algorithm for AdamAlgorithm {
    const NAME: &'static str = "Adam";
    type Config = AdamConfig;
    type State<T: Element> = AdamState<T>;

    #[inline(always)]
    fn update<T: Element>(
        config: &AdamConfig,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<AdamState<T>>,
    ) {
        adam_update(config, param, grad, state);
    }
}
