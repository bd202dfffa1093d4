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

use crate::error::{py, OptimError};
use crate::optimizer::{add_alpha, buf_tensor, check_names, load_buf, Core, Optimizer, ParamState};
use crate::param_group::{GroupOptions, ParamGroup};
use crate::state::OptimizerState;
use tapegrad_autograd::{Element, Tensor};

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

impl SgdConfig {
    /// PyTorch's constructor checks, with its messages.
    pub fn validate(&self) -> Result<(), OptimError> {
        let bad = |m: String| Err(OptimError::InvalidHyperparameter(m));
        if !(0.0 <= self.lr) {
            return bad(format!("Invalid learning rate: {}", py(self.lr)));
        }
        if !(0.0 <= self.momentum) {
            return bad(format!("Invalid momentum value: {}", py(self.momentum)));
        }
        if !(0.0 <= self.weight_decay) {
            return bad(format!(
                "Invalid weight_decay value: {}",
                py(self.weight_decay)
            ));
        }
        if self.nesterov && (self.momentum <= 0.0 || self.dampening != 0.0) {
            return bad("Nesterov momentum requires a momentum and zero dampening".into());
        }
        Ok(())
    }

    pub(crate) fn to_pairs(self) -> Vec<(&'static str, f64)> {
        vec![
            ("lr", self.lr),
            ("momentum", self.momentum),
            ("dampening", self.dampening),
            ("weight_decay", self.weight_decay),
            ("nesterov", self.nesterov as u8 as f64),
            ("maximize", self.maximize as u8 as f64),
        ]
    }

    pub(crate) fn from_values(v: &[f64]) -> Self {
        SgdConfig {
            lr: v[0],
            momentum: v[1],
            dampening: v[2],
            weight_decay: v[3],
            nesterov: v[4] != 0.0,
            maximize: v[5] != 0.0,
        }
    }
}

/// SGD's per-parameter state: the momentum buffer (`state["momentum_buffer"]`), created from the
/// first gradient when momentum ≠ 0.
#[derive(Debug, Clone)]
pub(crate) struct SgdState<T> {
    momentum_buffer: Vec<T>,
}

impl<T: Element> ParamState<T> for SgdState<T> {
    fn save(&self, shape: &[usize]) -> Vec<(String, Tensor<T>)> {
        vec![(
            "momentum_buffer".into(),
            buf_tensor(&self.momentum_buffer, shape),
        )]
    }

    fn load(
        values: &[(String, Tensor<T>)],
        shape: &[usize],
        _options: &GroupOptions,
    ) -> Result<Self, OptimError> {
        check_names(values, &["momentum_buffer"])?;
        Ok(SgdState {
            momentum_buffer: load_buf(values, "momentum_buffer", shape)?,
        })
    }
}

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
pub struct SGD<T: Element = f32> {
    core: Core<T, SgdState<T>>,
}

impl<T: Element> SGD<T> {
    /// `SGD(params, **config)`: one group; refuses invalid hyper-parameters with PyTorch's
    /// message.
    pub fn new(
        params: impl IntoIterator<Item = Tensor<T>>,
        config: SgdConfig,
    ) -> Result<Self, OptimError> {
        Self::with_groups(vec![(params.into_iter().collect(), config)])
    }

    /// Several parameter groups, each with its own hyper-parameters
    /// (`SGD([{"params": a, ...}, {"params": b, ...}])`).
    pub fn with_groups(groups: Vec<(Vec<Tensor<T>>, SgdConfig)>) -> Result<Self, OptimError> {
        let groups = groups
            .into_iter()
            .map(|(p, c)| ParamGroup::new(p, GroupOptions::Sgd(c)))
            .collect();
        Ok(SGD {
            core: Core::new(groups)?,
        })
    }

    /// `optimizer.add_param_group(...)`.
    pub fn add_param_group(
        &mut self,
        params: Vec<Tensor<T>>,
        config: SgdConfig,
    ) -> Result<(), OptimError> {
        self.core
            .add_group(ParamGroup::new(params, GroupOptions::Sgd(config)))
    }
}

impl<T: Element> Optimizer<T> for SGD<T> {
    fn step(&mut self) {
        crate::optimizer::fma_dispatch!(self.core.for_each_with_grad(|options, param, grad, state| {
            let GroupOptions::Sgd(c) = options else {
                panic!("SGD.step: a parameter group holds {options:?}; SGD needs GroupOptions::Sgd")
            };
            let wd = T::from_f64(c.weight_decay);
            let mu = T::from_f64(c.momentum);
            let one_minus_damp = T::from_f64(1.0 - c.dampening);
            let neg_lr = T::from_f64(-c.lr);
            // d_p = -grad if maximize else grad; d_p = d_p + λ·θ
            let d_p = |g: T, p: T| {
                let g = if c.maximize { -g } else { g };
                if c.weight_decay != 0.0 {
                    add_alpha(g, p, wd) // grad.add(param, alpha=weight_decay)
                } else {
                    g
                }
            };
            if c.momentum == 0.0 {
                // θ ← θ − γ·d_p
                for (p, &g) in param.iter_mut().zip(grad) {
                    *p = add_alpha(*p, d_p(g, *p), neg_lr); // param.add_(grad, alpha=-lr)
                }
                return;
            }
            match state {
                None => {
                    // First step: b ← d_p (torch.clone(grad)), no dampening.
                    let mut buf = Vec::with_capacity(param.len());
                    for (p, &g) in param.iter_mut().zip(grad) {
                        let g = d_p(g, *p);
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
                        let g = d_p(g, *p);
                        // buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                        *b = add_alpha(*b * mu, g, one_minus_damp);
                        // grad.add(buf, alpha=momentum) if nesterov else buf
                        let step = if c.nesterov { add_alpha(g, *b, mu) } else { *b };
                        *p = add_alpha(*p, step, neg_lr); // param.add_(grad, alpha=-lr)
                    }
                }
            }
        }));
    }

    fn param_groups(&self) -> &[ParamGroup<T>] {
        &self.core.groups
    }

    fn param_groups_mut(&mut self) -> &mut [ParamGroup<T>] {
        &mut self.core.groups
    }

    fn state_dict(&self) -> OptimizerState<T> {
        self.core.state_dict(self.name())
    }

    fn load_state_dict(&mut self, state: &OptimizerState<T>) -> Result<(), OptimError> {
        let name = self.name();
        self.core.load_state_dict(name, state)
    }

    fn name(&self) -> &'static str {
        "SGD"
    }
}
