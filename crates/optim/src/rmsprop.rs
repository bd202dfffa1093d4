//! `torch.optim.RMSprop`: divide the gradient by the root of a moving average of its square.
//!
//! PyTorch's algorithm (documentation pseudo-code), per parameter θ:
//!
//! ```text
//! v₀ ← 0 (square_avg), b₀ ← 0 (momentum buffer), g^ave₀ ← 0 (grad_avg)
//! g ← −∇f(θ) if maximize else ∇f(θ)
//! if λ ≠ 0:  g ← g + λ θ                        (weight_decay, L2)
//! v ← α v + (1 − α) g²                          (α = alpha, default 0.99)
//! ṽ ← v
//! if centered:
//!     g^ave ← g^ave + (1 − α)(g − g^ave)        (torch.lerp)
//!     ṽ ← v − (g^ave)²
//! if μ > 0:                                     (momentum)
//!     b ← μ b + g / (√ṽ + ε)
//!     θ ← θ − γ b
//! else:
//!     θ ← θ − γ g / (√ṽ + ε)                    (ε outside the root, default 1e-8)
//! ```
//!
//! f32 evaluation follows PyTorch's single-tensor CPU code: `square_avg.mul_(alpha)
//! .addcmul_(grad, grad, value=1-alpha)`, `grad_avg.lerp_(grad, 1-alpha)`,
//! `avg = square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()` (or `square_avg.sqrt()`),
//! `avg.add_(eps)`, then `buf.mul_(momentum).addcdiv_(grad, avg)` + `param.add_(buf, alpha=-lr)`
//! or `param.addcdiv_(grad, avg, value=-lr)`.

use crate::decay::{Decay, EffectiveGrad};
use crate::error::{at_least_zero, OptimError};
use crate::kernel::{add_alpha, addcdiv, addcmul, flush, lerp};
use crate::optimizer::{Algorithm, Optim};
use crate::param_group::{Hyper, Hyperparameters};
use crate::saved_fields::{param_state, Buffer, Optional, Squares, Step};
use tapegrad_autograd::Element;

/// `torch.optim.RMSprop`'s hyper-parameters, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::RmsPropConfig;
/// let c = RmsPropConfig::default();
/// assert_eq!((c.lr, c.alpha, c.eps), (0.01, 0.99, 1e-8));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RmsPropConfig {
    /// Learning rate γ (default 0.01).
    pub lr: f64,
    /// Smoothing constant α of the squared-gradient average (default 0.99).
    pub alpha: f64,
    /// ε added to the root (default 1e-8).
    pub eps: f64,
    /// L2 penalty λ added to the gradient (default 0).
    pub weight_decay: f64,
    /// Momentum factor μ (default 0).
    pub momentum: f64,
    /// Centered RMSprop: normalise by an estimate of the gradient's variance (default false).
    pub centered: bool,
    /// Maximise the objective (default false).
    pub maximize: bool,
}

impl Default for RmsPropConfig {
    fn default() -> Self {
        RmsPropConfig {
            lr: 0.01,
            alpha: 0.99,
            eps: 1e-8,
            weight_decay: 0.0,
            momentum: 0.0,
            centered: false,
            maximize: false,
        }
    }
}

impl Hyperparameters for RmsPropConfig {
    /// PyTorch's constructor checks, with its messages.
    fn validate(&self) -> Result<(), OptimError> {
        at_least_zero("Invalid learning rate", self.lr)?;
        at_least_zero("Invalid epsilon value", self.eps)?;
        at_least_zero("Invalid momentum value", self.momentum)?;
        at_least_zero("Invalid weight_decay value", self.weight_decay)?;
        at_least_zero("Invalid alpha value", self.alpha)?;
        Ok(())
    }

    fn fields(&mut self) -> Vec<(&'static str, Hyper<'_>)> {
        vec![
            ("lr", Hyper::Float(&mut self.lr)),
            ("alpha", Hyper::Float(&mut self.alpha)),
            ("eps", Hyper::Float(&mut self.eps)),
            ("weight_decay", Hyper::Float(&mut self.weight_decay)),
            ("momentum", Hyper::Float(&mut self.momentum)),
            ("centered", Hyper::Bool(&mut self.centered)),
            ("maximize", Hyper::Bool(&mut self.maximize)),
        ]
    }
}

/// RMSprop's per-parameter state: `step`, `square_avg`, and `momentum_buffer` (momentum > 0) /
/// `grad_avg` (centered).
#[derive(Debug, Clone)]
pub struct RmsPropState<T> {
    step: u64,
    square_avg: Vec<T>,
    momentum_buffer: Option<Vec<T>>,
    grad_avg: Option<Vec<T>>,
}

param_state!(RmsPropState {
    step: Step,
    square_avg: Squares,
    momentum_buffer: Optional<Buffer>,
    grad_avg: Optional<Buffer>,
});

/// `torch.optim.RMSprop`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Optimizer, RMSprop, RmsPropConfig};
/// let w: Tensor<f64> = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut opt = RMSprop::new(vec![w.clone()], RmsPropConfig { lr: 0.01, ..Default::default() })?;
/// (&w * 2.0).sum().backward(); // g = 2, v = 0.01 * 4 = 0.04, √v = 0.2
/// opt.step();                  // w = 1 - 0.01 * 2 / (0.2 + 1e-8)
/// assert!((w.item() - 0.9).abs() < 1e-6);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[allow(clippy::upper_case_acronyms)]
pub type RMSprop<T = f32> = Optim<RmsPropAlgorithm, T>;

/// RMSprop's update rule, for [`Optim`]: its name, [`RmsPropConfig`], [`RmsPropState`] and its update kernel.
#[derive(Debug, Clone, Copy)]
pub struct RmsPropAlgorithm;

impl Algorithm for RmsPropAlgorithm {
    const NAME: &'static str = "RMSprop";
    type Config = RmsPropConfig;
    type State<T: Element> = RmsPropState<T>;

    #[inline(always)]
    fn update<T: Element>(
        c: &RmsPropConfig,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<RmsPropState<T>>,
    ) {
        let n = param.len();
        let s = state.get_or_insert_with(|| RmsPropState {
            step: 0,
            square_avg: vec![T::zero(); n],
            momentum_buffer: None,
            grad_avg: None,
        });
        if c.momentum > 0.0 && s.momentum_buffer.is_none() {
            s.momentum_buffer = Some(vec![T::zero(); n]);
        }
        if c.centered && s.grad_avg.is_none() {
            s.grad_avg = Some(vec![T::zero(); n]);
        }
        s.step += 1;
        let effective = EffectiveGrad::new(c.maximize, Decay::l2(c.weight_decay));
        let alpha = T::from_f64(c.alpha);
        let one_minus_alpha = T::from_f64(1.0 - c.alpha);
        let eps = T::from_f64(c.eps);
        let mu = T::from_f64(c.momentum);
        let neg_lr = T::from_f64(-c.lr);
        let centered = if c.centered {
            s.grad_avg.as_deref_mut()
        } else {
            None
        };
        let buf = if c.momentum > 0.0 {
            s.momentum_buffer.as_deref_mut()
        } else {
            None
        };
        let mut centered = centered.map(|v| v.iter_mut());
        let mut buf = buf.map(|v| v.iter_mut());
        for ((p, &g), v) in param.iter_mut().zip(grad).zip(&mut s.square_avg) {
            let g = effective.of(p, g); // -grad if maximize; grad.add(param, alpha=weight_decay)
                                        // square_avg.mul_(alpha).addcmul_(grad, grad, value=1-alpha)
            *v = flush(addcmul(*v * alpha, g, g, one_minus_alpha));
            let avg = match centered.as_mut() {
                Some(it) => {
                    let ga = it.next().expect("grad_avg has the parameter's length");
                    // grad_avg.lerp_(grad, 1-alpha)
                    *ga = flush(lerp(*ga, g, one_minus_alpha));
                    // square_avg.addcmul(grad_avg, grad_avg, value=-1).sqrt_()
                    addcmul(*v, *ga, *ga, -T::one()).sqrt()
                }
                None => v.sqrt(),
            } + eps;
            match buf.as_mut() {
                Some(it) => {
                    let b = it
                        .next()
                        .expect("momentum_buffer has the parameter's length");
                    // buf.mul_(momentum).addcdiv_(grad, avg)
                    *b = flush(addcdiv(*b * mu, g, avg, T::one()));
                    *p = add_alpha(*p, *b, neg_lr); // param.add_(buf, alpha=-lr)
                }
                // param.addcdiv_(grad, avg, value=-lr)
                None => *p = addcdiv(*p, g, avg, neg_lr),
            }
        }
    }
}
