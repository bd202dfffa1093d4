//! `torch.optim.Rprop`: resilient backpropagation — each element's step size grows while its
//! gradient keeps its sign and shrinks when it flips; only the gradient's sign is used.
//!
//! PyTorch's algorithm (documentation pseudo-code), per parameter θ (η₊ > 1 > η₋ > 0):
//!
//! ```text
//! g_prev ← 0, η ← γ (step_size, per element)
//! g ← −∇f(θ) if maximize else ∇f(θ)
//! s ← sign(g · g_prev)
//! η ← clamp(η · (η₊ if s > 0, η₋ if s < 0, 1 if s = 0), step_size_min, step_size_max)
//! if s < 0:  g ← 0                     (no step, and no sign to compare at the next step)
//! θ ← θ − η · sign(g)
//! g_prev ← g
//! ```
//!
//! f32 evaluation follows PyTorch's single-tensor CPU code: `sign = grad.mul(prev).sign()`, the
//! factors written into `sign`, `step_size.mul_(sign).clamp_(min, max)`, `grad[sign.eq(etaminus)]
//! = 0`, `param.addcmul_(grad.sign(), step_size, value=-1)`, `prev.copy_(grad)`.

use crate::error::{py, OptimError};
use crate::kernel::{addcmul, with_two_buffers};
use crate::optimizer::{Algorithm, Optim};
use crate::param_group::{Hyper, Hyperparameters};
use crate::saved_fields::{param_state, Buffer, Step};
use tapegrad_autograd::Element;

/// `torch.optim.Rprop`'s hyper-parameters, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::RpropConfig;
/// let c = RpropConfig::default();
/// assert_eq!((c.lr, c.etas, c.step_sizes), (1e-2, (0.5, 1.2), (1e-6, 50.0)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RpropConfig {
    /// Initial step size of every element (default 1e-2).
    pub lr: f64,
    /// (η₋, η₊): multiplicative decrease and increase factors (default (0.5, 1.2)).
    pub etas: (f64, f64),
    /// (minimal, maximal) step size (default (1e-6, 50)).
    pub step_sizes: (f64, f64),
    /// Maximise the objective (default false).
    pub maximize: bool,
}

impl Default for RpropConfig {
    fn default() -> Self {
        RpropConfig {
            lr: 1e-2,
            etas: (0.5, 1.2),
            step_sizes: (1e-6, 50.0),
            maximize: false,
        }
    }
}

impl Hyperparameters for RpropConfig {
    /// PyTorch's constructor checks, with its messages.
    fn validate(&self) -> Result<(), OptimError> {
        if !(0.0 <= self.lr) {
            return Err(OptimError::InvalidHyperparameter(format!(
                "Invalid learning rate: {}",
                py(self.lr)
            )));
        }
        let (minus, plus) = self.etas;
        if !(0.0 < minus && minus < 1.0 && 1.0 < plus) {
            return Err(OptimError::InvalidHyperparameter(format!(
                "Invalid eta values: {}, {}",
                py(minus),
                py(plus)
            )));
        }
        Ok(())
    }

    fn fields(&mut self) -> Vec<(&'static str, Hyper<'_>)> {
        vec![
            ("lr", Hyper::Float(&mut self.lr)),
            ("eta1", Hyper::Float(&mut self.etas.0)),
            ("eta2", Hyper::Float(&mut self.etas.1)),
            ("step_size_min", Hyper::Float(&mut self.step_sizes.0)),
            ("step_size_max", Hyper::Float(&mut self.step_sizes.1)),
            ("maximize", Hyper::Bool(&mut self.maximize)),
        ]
    }
}

/// Rprop's per-parameter state: `step`, `prev` (the last gradient used), `step_size`.
#[derive(Debug, Clone)]
pub struct RpropState<T> {
    step: u64,
    prev: Vec<T>,
    step_size: Vec<T>,
}

param_state!(RpropState {
    step: Step,
    prev: Buffer,
    step_size: Buffer,
});

/// `torch.optim.Rprop`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Optimizer, Rprop, RpropConfig};
/// let w: Tensor<f64> = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut opt = Rprop::new(vec![w.clone()], RpropConfig { lr: 0.1, ..Default::default() })?;
/// for _ in 0..2 {
///     opt.zero_grad();
///     (&w * 2.0).sum().backward();
///     opt.step(); // step 1: η = 0.1 (no previous sign); step 2: η = 0.1·1.2
/// }
/// assert!((w.item() - (1.0 - 0.1 - 0.12)).abs() < 1e-12);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub type Rprop<T = f32> = Optim<RpropAlgorithm, T>;

/// Rprop's update rule, for [`Optim`].
#[derive(Debug, Clone, Copy)]
pub struct RpropAlgorithm;

impl Algorithm for RpropAlgorithm {
    const NAME: &'static str = "Rprop";
    type Config = RpropConfig;
    type State<T: Element> = RpropState<T>;

    #[inline(always)]
    fn update<T: Element>(
        c: &RpropConfig,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<RpropState<T>>,
    ) {
        let n = param.len();
        let s = state.get_or_insert_with(|| RpropState {
            step: 0,
            prev: vec![T::zero(); n],
            step_size: vec![T::from_f64(c.lr); n],
        });
        s.step += 1;
        let (etaminus, etaplus) = (T::from_f64(c.etas.0), T::from_f64(c.etas.1));
        let (lo, hi) = (T::from_f64(c.step_sizes.0), T::from_f64(c.step_sizes.1));
        for (p, g, prev, eta) in with_two_buffers(param, grad, &mut s.prev, &mut s.step_size) {
            let g = if c.maximize { -g } else { g };
            // sign = grad.mul(prev).sign(); then etaplus / etaminus / 1 written into it
            let sign = torch_sign(g * *prev);
            let factor = if sign > T::zero() {
                etaplus
            } else if sign < T::zero() {
                etaminus
            } else if sign == T::zero() {
                T::one()
            } else {
                sign // NaN stays NaN, as in PyTorch
            };
            *eta = clamp(*eta * factor, lo, hi); // step_size.mul_(sign).clamp_(min, max)
            let g = if factor == etaminus { T::zero() } else { g }; // grad[sign.eq(etaminus)] = 0
            *p = addcmul(*p, torch_sign(g), *eta, -T::one()); // param.addcmul_(grad.sign(), step_size, value=-1)
            *prev = g; // prev.copy_(grad)
        }
    }
}

/// `torch.sign` for one element: −1, 0 (keeping the zero), 1, NaN for NaN.
#[inline(always)]
fn torch_sign<T: Element>(x: T) -> T {
    if x > T::zero() {
        T::one()
    } else if x < T::zero() {
        -T::one()
    } else {
        x
    }
}

/// `torch.clamp(x, lo, hi)` for one element: `min(max(x, lo), hi)`, NaN propagating.
#[inline(always)]
fn clamp<T: Element>(x: T, lo: T, hi: T) -> T {
    if x.is_nan() {
        x
    } else if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}
