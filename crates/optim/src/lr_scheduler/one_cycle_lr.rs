//! `OneCycleLR`: the 1cycle policy — warm the learning rate up from `max_lr / div_factor` to
//! `max_lr`, anneal it down to `initial_lr / final_div_factor`, and cycle the momentum (or Adam's
//! β₁) the opposite way; stepped once per batch.

use super::{
    attach_and_start, impl_lr_scheduler, momentum_name, one_value_per_group, Schedule,
    SchedulerCore,
};
use crate::error::{py, OptimError};
use crate::optimizer::Optimizer;
use std::f64::consts::PI;
use tapegrad_autograd::Element;

/// How [`OneCycleLR`] and its momentum move inside a phase (`anneal_strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AnnealStrategy {
    /// `"cos"` (default): `end + (start − end)/2 · (1 + cos(π·pct))`.
    #[default]
    Cos,
    /// `"linear"`: `(end − start)·pct + start`.
    Linear,
}

impl AnnealStrategy {
    fn anneal(self, start: f64, end: f64, pct: f64) -> f64 {
        match self {
            AnnealStrategy::Cos => {
                let cos_out = (PI * pct).cos() + 1.0;
                end + (start - end) / 2.0 * cos_out
            }
            AnnealStrategy::Linear => (end - start) * pct + start,
        }
    }
}

/// `OneCycleLR`'s keyword arguments, with PyTorch's defaults. Either `total_steps` or both
/// `epochs` and `steps_per_epoch` must be given.
///
/// ```
/// use tapegrad_optim::OneCycleLRConfig;
/// let c = OneCycleLRConfig { max_lr: 0.1, total_steps: Some(100), ..Default::default() };
/// assert_eq!((c.pct_start, c.div_factor, c.final_div_factor), (0.3, 25.0, 1e4));
/// assert_eq!((c.base_momentum, c.max_momentum, c.cycle_momentum), (0.85, 0.95, true));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct OneCycleLRConfig {
    /// Peak learning rate of every group (`max_lr`).
    pub max_lr: f64,
    /// One peak rate per group (PyTorch's list form of `max_lr`); overrides `max_lr` when
    /// non-empty.
    pub max_lrs: Vec<f64>,
    /// Number of steps in the cycle (`total_steps`).
    pub total_steps: Option<usize>,
    /// With `steps_per_epoch`, gives `total_steps = epochs · steps_per_epoch`.
    pub epochs: Option<usize>,
    /// See `epochs`.
    pub steps_per_epoch: Option<usize>,
    /// Fraction of the cycle spent increasing the rate (default 0.3).
    pub pct_start: f64,
    /// Cosine (default) or linear annealing.
    pub anneal_strategy: AnnealStrategy,
    /// Cycle the momentum (SGD, RMSprop) or β₁ (Adam, AdamW, ...) inversely to the rate
    /// (default true).
    pub cycle_momentum: bool,
    /// Lowest momentum, reached at the peak rate (default 0.85).
    pub base_momentum: f64,
    /// Highest momentum, at the start and the end (default 0.95).
    pub max_momentum: f64,
    /// `initial_lr = max_lr / div_factor` (default 25).
    pub div_factor: f64,
    /// `min_lr = initial_lr / final_div_factor` (default 1e4).
    pub final_div_factor: f64,
    /// Three phases (up, back down to `initial_lr`, then down to `min_lr`) instead of two
    /// (default false).
    pub three_phase: bool,
}

impl Default for OneCycleLRConfig {
    fn default() -> Self {
        OneCycleLRConfig {
            max_lr: 0.0,
            max_lrs: Vec::new(),
            total_steps: None,
            epochs: None,
            steps_per_epoch: None,
            pct_start: 0.3,
            anneal_strategy: AnnealStrategy::Cos,
            cycle_momentum: true,
            base_momentum: 0.85,
            max_momentum: 0.95,
            div_factor: 25.0,
            final_div_factor: 1e4,
            three_phase: false,
        }
    }
}

/// Where a phase starts and ends: `end_step` and which of (initial, max, min) the rate and the
/// momentum go from and to.
#[derive(Debug, Clone, Copy)]
struct Phase {
    end_step: f64,
    start_lr: Level,
    end_lr: Level,
    start_momentum: Level,
    end_momentum: Level,
}

/// The named values of PyTorch's phase table (`"initial_lr"`, `"max_lr"`, `"min_lr"`,
/// `"max_momentum"`, `"base_momentum"`).
#[derive(Debug, Clone, Copy)]
enum Level {
    Initial,
    Max,
    Min,
}

/// `torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr, total_steps=None, epochs=None,
/// steps_per_epoch=None, pct_start=0.3, anneal_strategy='cos', cycle_momentum=True,
/// base_momentum=0.85, max_momentum=0.95, div_factor=25.0, final_div_factor=1e4,
/// three_phase=False)`.
///
/// PyTorch's algorithm, at step `t` (`last_epoch`), per group:
///
/// ```text
/// initial_lr = max_lr / div_factor,  min_lr = initial_lr / final_div_factor
/// two phases:   [0, pct_start·T − 1]: initial_lr → max_lr,  momentum max → base
///               [.., T − 1]:          max_lr → min_lr,      momentum base → max
/// three phases: [0, pct_start·T − 1]: initial_lr → max_lr; [.., 2·pct_start·T − 2]: max_lr →
///               initial_lr; [.., T − 1]: initial_lr → min_lr (momentum max → base → max → max)
/// pct = (t − phase start) / (phase end − phase start);  lr = anneal(start, end, pct)
/// ```
///
/// With `cycle_momentum` the group's `momentum` (or `beta1` if the optimizer has betas) is set
/// to `max_momentum` at construction and follows the cycle. Stepping past `total_steps` panics,
/// as PyTorch raises.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{AdamW, AdamWConfig, OneCycleLR, Optimizer};
/// let mut opt = AdamW::new(vec![Tensor::<f32>::zeros(&[1])], AdamWConfig::default())?;
/// let mut s = OneCycleLR::new(&mut opt, 0.1, 10)?;
/// assert!((opt.lr() - 0.004).abs() < 1e-12);                // max_lr / 25
/// assert_eq!(opt.param_groups()[0].options.betas.0, 0.95);  // max_momentum
/// for _ in 0..2 { s.step(&mut opt); }                        // the peak: step pct_start·T − 1
/// assert!((opt.lr() - 0.1).abs() < 1e-12);
/// assert!((opt.param_groups()[0].options.betas.0 - 0.85).abs() < 1e-12);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct OneCycleLR {
    core: SchedulerCore,
    total_steps: usize,
    phases: Vec<Phase>,
    anneal: AnnealStrategy,
    max_lrs: Vec<f64>,
    min_lrs: Vec<f64>,
    /// `Some(("momentum" | "beta1", base, max))` with `cycle_momentum`.
    momentum: Option<(&'static str, f64, f64)>,
}

impl OneCycleLR {
    /// `OneCycleLR(opt, max_lr=max_lr, total_steps=total_steps)` with PyTorch's other defaults.
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        max_lr: f64,
        total_steps: usize,
    ) -> Result<Self, OptimError> {
        Self::with_config(
            opt,
            OneCycleLRConfig {
                max_lr,
                total_steps: Some(total_steps),
                ..Default::default()
            },
        )
    }

    /// Every keyword argument; PyTorch's checks and messages. Sets each group's `lr` (and
    /// momentum) to the cycle's start.
    pub fn with_config<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        c: OneCycleLRConfig,
    ) -> Result<Self, OptimError> {
        let bad = |m: String| Err(OptimError::InvalidHyperparameter(m));
        let total_steps = match (c.total_steps, c.epochs, c.steps_per_epoch) {
            (Some(0), ..) => return bad("Expected positive integer total_steps, but got 0".into()),
            (Some(t), ..) => t,
            (None, Some(0), Some(_)) => {
                return bad("Expected positive integer epochs, but got 0".into())
            }
            (None, Some(_), Some(0)) => {
                return bad("Expected positive integer steps_per_epoch, but got 0".into())
            }
            (None, Some(e), Some(s)) => e.checked_mul(s).ok_or_else(|| {
                OptimError::InvalidHyperparameter(format!(
                    "epochs * steps_per_epoch = {e} * {s} overflows"
                ))
            })?,
            _ => {
                return bad(
                    "You must define either total_steps OR (epochs AND steps_per_epoch)".into(),
                )
            }
        };
        if !(0.0..=1.0).contains(&c.pct_start) {
            return bad(format!(
                "Expected float between 0 and 1 pct_start, but got {}",
                py(c.pct_start)
            ));
        }
        let n = opt.num_param_groups();
        let max_lrs = one_value_per_group(n, c.max_lr, &c.max_lrs).map_err(|got| {
            OptimError::InvalidHyperparameter(format!("expected {n} values for max_lr, got {got}"))
        })?;
        let t = total_steps as f64;
        use Level::*;
        let phase = |end_step, start_lr, end_lr, start_momentum, end_momentum| Phase {
            end_step,
            start_lr,
            end_lr,
            start_momentum,
            end_momentum,
        };
        let phases = if c.three_phase {
            vec![
                phase(c.pct_start * t - 1.0, Initial, Max, Max, Initial),
                phase(2.0 * c.pct_start * t - 2.0, Max, Initial, Initial, Max),
                phase(t - 1.0, Initial, Min, Max, Max),
            ]
        } else {
            vec![
                phase(c.pct_start * t - 1.0, Initial, Max, Max, Initial),
                phase(t - 1.0, Max, Min, Initial, Max),
            ]
        };
        if phases[0].end_step == 0.0 {
            // PyTorch divides by it at the initial step (ZeroDivisionError).
            return bad(format!(
                "OneCycleLR: the warm-up phase ends at step 0 (pct_start * total_steps = {}); \
                 use a larger total_steps or pct_start",
                py(c.pct_start * t)
            ));
        }
        let momentum = if c.cycle_momentum {
            let name = momentum_name(opt)?;
            Some((name, c.base_momentum, c.max_momentum))
        } else {
            None
        };
        // PyTorch writes initial_lr over any earlier scheduler's, so base_lrs are its.
        let mut min_lrs = Vec::with_capacity(n);
        for (g, max_lr) in max_lrs.iter().enumerate() {
            let initial = max_lr / c.div_factor;
            opt.set_group_hyper(g, "initial_lr", initial)?;
            min_lrs.push(initial / c.final_div_factor);
            if let Some((name, _, max)) = momentum {
                opt.set_group_hyper(g, name, max)?;
            }
        }
        Ok(attach_and_start(opt, |core| OneCycleLR {
            core,
            total_steps,
            phases,
            anneal: c.anneal_strategy,
            max_lrs,
            min_lrs,
            momentum,
        }))
    }

    /// The phase of step `t` and the fraction of it done.
    fn phase_at(&self, t: i64) -> (Phase, f64) {
        assert!(
            t <= self.total_steps as i64,
            "OneCycleLR.step: Tried to step {t} times. The specified number of total steps is {} \
             (create the scheduler with total_steps covering every step)",
            self.total_steps
        );
        let mut start_step = 0.0;
        let last = self.phases.len() - 1;
        for (i, p) in self.phases.iter().enumerate() {
            if t as f64 <= p.end_step || i == last {
                return (*p, (t as f64 - start_step) / (p.end_step - start_step));
            }
            start_step = p.end_step;
        }
        unreachable!("the last phase is always taken")
    }
}

impl Schedule for OneCycleLR {
    fn get_lr(&self, c: &SchedulerCore, _cur: &[f64]) -> Vec<f64> {
        let (p, pct) = self.phase_at(c.last_epoch);
        (0..c.base_lrs.len())
            .map(|g| {
                let level = |l: Level| match l {
                    Level::Initial => c.base_lrs[g],
                    Level::Max => self.max_lrs[g],
                    Level::Min => self.min_lrs[g],
                };
                self.anneal.anneal(level(p.start_lr), level(p.end_lr), pct)
            })
            .collect()
    }

    fn momentum(&self) -> Option<(&'static str, Vec<f64>)> {
        let (name, base, max) = self.momentum?;
        let (p, pct) = self.phase_at(self.core.last_epoch);
        // The momentum table names max_momentum and base_momentum; `Initial` stands for base.
        let level = |l: Level| match l {
            Level::Initial => base,
            _ => max,
        };
        let m = self
            .anneal
            .anneal(level(p.start_momentum), level(p.end_momentum), pct);
        Some((name, vec![m; self.core.base_lrs.len()]))
    }
}

impl_lr_scheduler!(OneCycleLR);
