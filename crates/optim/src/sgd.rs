//! `torch.optim.SGD`: stochastic gradient descent with optional momentum, dampening, Nesterov
//! momentum, L2 weight decay and maximisation.
//!
//! PyTorch's algorithm (documentation pseudo-code), per parameter θ with gradient g:
//!
//! ```text
//! g ← −∇f(θ) if maximize else ∇f(θ)
//! if λ ≠ 0:  g ← g + λ θ                      (weight_decay, L2)
//! if μ ≠ 0:                                   (momentum)
//!     if t > 1:  b ← μ b + (1 − τ) g          (τ = dampening)
//!     else:      b ← g                        (first step: the buffer is the gradient itself)
//!     if nesterov:  g ← g + μ b
//!     else:         g ← b
//! θ ← θ − γ g                                 (γ = lr)
//! ```
//!
//! In f32 each line is one PyTorch tensor op with its Python-float coefficient rounded to f32:
//! `grad.add(param, alpha=λ)`, `buf.mul_(μ).add_(grad, alpha=1-τ)`, `grad.add(buf, alpha=μ)`,
//! `param.add_(grad, alpha=-γ)`; this file evaluates them in that order, each `add` with `alpha`
//! as one fused multiply-add as ATen's CPU kernel does.

use crate::decay::{Decay, EffectiveGrad};
use crate::error::{at_least_zero, OptimError};
use crate::kernel::{add_alpha, flush};
use crate::optimizer::{Algorithm, Optim};
use crate::param_group::{Hyper, Hyperparameters};
use crate::saved_fields::{param_state, Buffer};
use tapegrad_autograd::Element;

/// `torch.optim.SGD`'s hyper-parameters, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::SgdConfig;
/// let c = SgdConfig { lr: 0.1, momentum: 0.6, ..Default::default() };
/// assert_eq!((c.dampening, c.nesterov), (0.0, false));
/// assert_eq!(SgdConfig::default().lr, 1e-3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SgdConfig {
    /// Learning rate γ (default 1e-3).
    pub lr: f64,
    /// Momentum factor μ (default 0: plain SGD).
    pub momentum: f64,
    /// Dampening τ for momentum (default 0).
    pub dampening: f64,
    /// L2 penalty λ added to the gradient (default 0).
    pub weight_decay: f64,
    /// Nesterov momentum (default false; needs momentum > 0 and dampening 0).
    pub nesterov: bool,
    /// Maximise the objective instead of minimising it (default false).
    pub maximize: bool,
}

impl Default for SgdConfig {
    fn default() -> Self {
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false,
        }
    }
}

impl Hyperparameters for SgdConfig {
    /// PyTorch's constructor checks, with its messages.
    fn validate(&self) -> Result<(), OptimError> {
        let bad = |m: String| Err(OptimError::InvalidHyperparameter(m));
        at_least_zero("Invalid learning rate", self.lr)?;
        at_least_zero("Invalid momentum value", self.momentum)?;
        at_least_zero("Invalid weight_decay value", self.weight_decay)?;
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return bad("Nesterov momentum requires a momentum and zero dampening".into());
        }
        Ok(())
    }

    fn fields(&mut self) -> Vec<(&'static str, Hyper<'_>)> {
        vec![
            ("lr", Hyper::Float(&mut self.lr)),
            ("momentum", Hyper::Float(&mut self.momentum)),
            ("dampening", Hyper::Float(&mut self.dampening)),
            ("weight_decay", Hyper::Float(&mut self.weight_decay)),
            ("nesterov", Hyper::Bool(&mut self.nesterov)),
            ("maximize", Hyper::Bool(&mut self.maximize)),
        ]
    }
}

/// SGD's per-parameter state: the momentum buffer (`state["momentum_buffer"]`), created from the
/// first gradient when momentum ≠ 0.
#[derive(Debug, Clone)]
pub struct SgdState<T> {
    momentum_buffer: Vec<T>,
}

param_state!(SgdState {
    momentum_buffer: Buffer,
});

/// `torch.optim.SGD`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Optimizer, SgdConfig, SGD};
/// let w: Tensor = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut opt = SGD::new(vec![w.clone()], SgdConfig { lr: 0.1, momentum: 0.6, ..Default::default() })?;
/// (&w * 2.0).sum().backward(); // grad 2
/// opt.step();                  // buf = 2, w = 1 - 0.1*2
/// assert!((w.item() - 0.8).abs() < 1e-7);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub type SGD<T = f32> = Optim<SgdAlgorithm, T>;

/// SGD's update rule, for [`Optim`]: its name, [`SgdConfig`], [`SgdState`] and its update kernel.
#[derive(Debug, Clone, Copy)]
pub struct SgdAlgorithm;

impl Algorithm for SgdAlgorithm {
    const NAME: &'static str = "SGD";
    type Config = SgdConfig;
    type State<T: Element> = SgdState<T>;

    #[inline(always)]
    fn update<T: Element>(
        c: &SgdConfig,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<SgdState<T>>,
    ) {
        let mu = T::from_f64(c.momentum);
        let one_minus_damp = T::from_f64(1.0 - c.dampening);
        let neg_lr = T::from_f64(-c.lr);
        // d_p = -grad if maximize else grad; d_p = d_p.add(param, alpha=weight_decay)
        let d_p = EffectiveGrad::new(c.maximize, Decay::l2(c.weight_decay));
        if c.momentum == 0.0 {
            // θ ← θ − γ·d_p
            for (p, &g) in param.iter_mut().zip(grad) {
                *p = add_alpha(*p, d_p.of(p, g), neg_lr); // param.add_(grad, alpha=-lr)
            }
            return;
        }
        match state {
            None => {
                // First step: b ← d_p (torch.clone(grad)), no dampening.
                let mut buf = Vec::with_capacity(param.len());
                for (p, &g) in param.iter_mut().zip(grad) {
                    let g = d_p.of(p, g);
                    let b = g;
                    let step = if c.nesterov { add_alpha(g, b, mu) } else { b };
                    buf.push(b);
                    *p = add_alpha(*p, step, neg_lr);
                }
                *state = Some(SgdState {
                    momentum_buffer: buf,
                });
            }
            Some(s) => {
                // b ← μ·b + (1 − τ)·d_p
                for ((p, &g), b) in param.iter_mut().zip(grad).zip(&mut s.momentum_buffer) {
                    let g = d_p.of(p, g);
                    // buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    *b = flush(add_alpha(*b * mu, g, one_minus_damp));
                    // grad.add(buf, alpha=momentum) if nesterov else buf
                    let step = if c.nesterov { add_alpha(g, *b, mu) } else { *b };
                    *p = add_alpha(*p, step, neg_lr); // param.add_(grad, alpha=-lr)
                }
            }
        }
    }
}
