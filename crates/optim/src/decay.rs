//! Weight decay, written once for every optimizer: [`Decay`] (none, L2 in the gradient, or
//! decoupled as AdamW's) and [`EffectiveGrad`], the lines every PyTorch update rule starts
//! with:
//!
//! ```text
//! g ← −∇f(θ) if maximize else ∇f(θ)
//! if λ ≠ 0:
//!     if decoupled_weight_decay:  θ ← θ (1 − γ λ)
//!     else:                       g ← g + λ θ        (grad.add(param, alpha=weight_decay))
//! ```

use crate::kernel::add_alpha;
use tapegrad_autograd::Element;

/// The weight decay of one step, decided once from the group's hyper-parameters: none, PyTorch's
/// L2 term in the gradient, or the decoupled decay of the weights (AdamW and the Adam family's
/// `decoupled_weight_decay`).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Decay<T> {
    /// `weight_decay == 0`.
    None,
    /// `grad = grad.add(param, alpha=weight_decay)` (L2 in the gradient).
    L2(T),
    /// `param.mul_(1 - lr * weight_decay)` (decoupled, AdamW-style).
    Decoupled(T),
}

impl<T: Element> Decay<T> {
    /// From the group's `lr`, `weight_decay` and `decoupled_weight_decay` (the Adam family);
    /// coefficients computed in f64 (Python floats) and rounded to `T`.
    pub(crate) fn new(lr: f64, weight_decay: f64, decoupled: bool) -> Self {
        if weight_decay == 0.0 {
            Decay::None
        } else if decoupled {
            Decay::Decoupled(T::from_f64(1.0 - lr * weight_decay))
        } else {
            Decay::L2(T::from_f64(weight_decay))
        }
    }

    /// The L2 term of the optimizers that have only it (SGD, Adagrad, RMSprop, Adadelta, Adamax,
    /// ASGD): `grad.add(param, alpha=weight_decay)` when `weight_decay ≠ 0`.
    pub(crate) fn l2(weight_decay: f64) -> Self {
        Decay::new(0.0, weight_decay, false)
    }

    /// Applies the decay to one element (`p` in place when decoupled); returns the gradient the
    /// update goes on with.
    #[inline(always)]
    pub(crate) fn apply(self, p: &mut T, g: T) -> T {
        match self {
            Decay::None => g,
            Decay::L2(wd) => add_alpha(g, *p, wd),
            Decay::Decoupled(decay) => {
                *p = *p * decay;
                g
            }
        }
    }
}

/// The gradient an update rule works with: ∇f(θ), negated when maximising, with the step's
/// [`Decay`] applied. Decided once per step; [`EffectiveGrad::of`] applies it to one element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EffectiveGrad<T> {
    maximize: bool,
    decay: Decay<T>,
}

impl<T: Element> EffectiveGrad<T> {
    /// From the group's `maximize` flag and its weight decay.
    pub(crate) fn new(maximize: bool, decay: Decay<T>) -> Self {
        EffectiveGrad { maximize, decay }
    }

    /// `g ← −g if maximize`, then the decay (`p` scaled in place when decoupled); returns the
    /// gradient the update goes on with.
    #[inline(always)]
    pub(crate) fn of(self, p: &mut T, g: T) -> T {
        let g = if self.maximize { -g } else { g };
        self.decay.apply(p, g)
    }
}
