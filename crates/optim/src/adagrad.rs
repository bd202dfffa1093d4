//! `torch.optim.Adagrad`: per-element learning rates from the running sum of squared gradients.
//!
//! PyTorch's algorithm (documentation pseudo-code), per parameter θ, step t = 1, 2, …:
//!
//! ```text
//! state_sum₀ ← initial_accumulator_value
//! g ← −∇f(θ) if maximize else ∇f(θ)
//! γ̃ ← γ / (1 + (t − 1) η)                     (η = lr_decay; computed in f64)
//! if λ ≠ 0:  g ← g + λ θ                       (weight_decay, L2)
//! state_sum ← state_sum + g²
//! θ ← θ − γ̃ g / (√state_sum + ε)              (ε outside the root, default 1e-10)
//! ```
//!
//! As PyTorch's single-tensor CPU code evaluates it in f32: `state_sum.addcmul_(g, g, value=1)`,
//! `std = state_sum.sqrt().add_(eps)`, `param.addcdiv_(g, std, value=-clr)`, i.e.
//! `θ + ((−γ̃)·g) / std` with `−γ̃` rounded to f32.

use crate::decay::{Decay, EffectiveGrad};
use crate::error::{at_least_zero, OptimError};
use crate::kernel::{addcdiv, addcmul};
use crate::optimizer::{Algorithm, Optim};
use crate::param_group::{Hyper, Hyperparameters};
use crate::saved_fields::{param_state, Squares, Step};
use tapegrad_autograd::Element;

/// `torch.optim.Adagrad`'s hyper-parameters, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::AdagradConfig;
/// let c = AdagradConfig::default();
/// assert_eq!((c.lr, c.eps, c.lr_decay), (0.01, 1e-10, 0.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdagradConfig {
    /// Learning rate γ (default 0.01).
    pub lr: f64,
    /// Learning-rate decay η: step t uses γ / (1 + (t−1)η) (default 0).
    pub lr_decay: f64,
    /// L2 penalty λ added to the gradient (default 0).
    pub weight_decay: f64,
    /// Starting value of the squared-gradient sum (default 0).
    pub initial_accumulator_value: f64,
    /// ε added to the root of the sum (default 1e-10).
    pub eps: f64,
    /// Maximise the objective (default false).
    pub maximize: bool,
}

impl Default for AdagradConfig {
    fn default() -> Self {
        AdagradConfig {
            lr: 0.01,
            lr_decay: 0.0,
            weight_decay: 0.0,
            initial_accumulator_value: 0.0,
            eps: 1e-10,
            maximize: false,
        }
    }
}

impl Hyperparameters for AdagradConfig {
    /// PyTorch's constructor checks, with its messages.
    fn validate(&self) -> Result<(), OptimError> {
        at_least_zero("Invalid learning rate", self.lr)?;
        at_least_zero("Invalid lr_decay value", self.lr_decay)?;
        at_least_zero("Invalid weight_decay value", self.weight_decay)?;
        at_least_zero(
            "Invalid initial_accumulator_value value",
            self.initial_accumulator_value,
        )?;
        at_least_zero("Invalid epsilon value", self.eps)?;
        Ok(())
    }

    fn fields(&mut self) -> Vec<(&'static str, Hyper<'_>)> {
        vec![
            ("lr", Hyper::Float(&mut self.lr)),
            ("lr_decay", Hyper::Float(&mut self.lr_decay)),
            ("weight_decay", Hyper::Float(&mut self.weight_decay)),
            (
                "initial_accumulator_value",
                Hyper::Float(&mut self.initial_accumulator_value),
            ),
            ("eps", Hyper::Float(&mut self.eps)),
            ("maximize", Hyper::Bool(&mut self.maximize)),
        ]
    }
}

/// Adagrad's per-parameter state: `state["step"]` and `state["sum"]`.
#[derive(Debug, Clone)]
pub struct AdagradState<T> {
    step: u64,
    sum: Vec<T>,
}

param_state!(AdagradState {
    step: Step,
    sum: Squares,
});

/// `torch.optim.Adagrad`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Adagrad, AdagradConfig, Optimizer};
/// let w: Tensor<f64> = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
/// let mut opt = Adagrad::new(vec![w.clone()], AdagradConfig { lr: 0.1, ..Default::default() })?;
/// (&w * 2.0).sum().backward(); // g = 2, sum = 4
/// opt.step();                  // w = 1 - 0.1 * 2 / (2 + 1e-10)
/// assert!((w.item() - 0.9).abs() < 1e-9);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub type Adagrad<T = f32> = Optim<AdagradAlgorithm, T>;

/// Adagrad's update rule, for [`Optim`]: its name, [`AdagradConfig`], [`AdagradState`] and its update kernel.
#[derive(Debug, Clone, Copy)]
pub struct AdagradAlgorithm;

impl Algorithm for AdagradAlgorithm {
    const NAME: &'static str = "Adagrad";
    type Config = AdagradConfig;
    type State<T: Element> = AdagradState<T>;

    /// PyTorch's `Adagrad.__init__` creates every parameter's state up front: `step = 0`,
    /// `sum = initial_accumulator_value`.
    fn init_state<T: Element>(c: &AdagradConfig, numel: usize) -> Option<AdagradState<T>> {
        Some(AdagradState {
            step: 0,
            sum: vec![T::from_f64(c.initial_accumulator_value); numel],
        })
    }

    #[inline(always)]
    fn update<T: Element>(
        c: &AdagradConfig,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<AdagradState<T>>,
    ) {
        let s = state.get_or_insert_with(|| AdagradState {
            step: 0,
            sum: vec![T::from_f64(c.initial_accumulator_value); param.len()],
        });
        s.step += 1;
        // clr = lr / (1 + (step - 1) * lr_decay), in f64 (Python floats)
        let clr = c.lr / (1.0 + (s.step as f64 - 1.0) * c.lr_decay);
        let neg_clr = T::from_f64(-clr);
        let effective = EffectiveGrad::new(c.maximize, Decay::l2(c.weight_decay));
        let eps = T::from_f64(c.eps);
        for ((p, &g), sum) in param.iter_mut().zip(grad).zip(&mut s.sum) {
            let g = effective.of(p, g); // -grad if maximize; grad.add(param, alpha=weight_decay)
            *sum = addcmul(*sum, g, g, T::one()); // state_sum.addcmul_(grad, grad, value=1)
            let std = sum.sqrt() + eps; // state_sum.sqrt().add_(eps)
            *p = addcdiv(*p, g, std, neg_clr); // param.addcdiv_(grad, std, value=-clr)
        }
    }
}
