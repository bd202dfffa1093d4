//! `CyclicLR`: cycle the learning rate between `base_lr` and `max_lr` in triangles (and the
//! momentum between `max_momentum` and `base_momentum` the other way), stepped once per batch.

use super::{attach_and_start, impl_lr_scheduler, momentum_name, Schedule, SchedulerCore};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// `CyclicLR`'s `mode`: how the amplitude changes from cycle to cycle.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum CyclicMode {
    /// `"triangular"` (default): the same triangle every cycle.
    #[default]
    Triangular,
    /// `"triangular2"`: the amplitude halves each cycle (scale 1 / 2^(cycle − 1)).
    Triangular2,
    /// `"exp_range"`: the amplitude is scaled by `gamma^iterations`.
    ExpRange {
        /// The per-iteration factor (`gamma`, PyTorch's default 1.0).
        gamma: f64,
    },
}

/// `CyclicLR`'s keyword arguments, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::{CyclicLRConfig, CyclicMode};
/// let c = CyclicLRConfig { base_lr: 0.01, max_lr: 0.1, ..Default::default() };
/// assert_eq!((c.step_size_up, c.step_size_down, c.mode), (2000, None, CyclicMode::Triangular));
/// assert_eq!((c.base_momentum, c.max_momentum, c.cycle_momentum), (0.8, 0.9, true));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CyclicLRConfig {
    /// Lower rate of every group (`base_lr`); also written into the groups at construction.
    pub base_lr: f64,
    /// Upper rate of every group (`max_lr`).
    pub max_lr: f64,
    /// Iterations from `base_lr` up to `max_lr` (default 2000).
    pub step_size_up: u64,
    /// Iterations back down (default: `step_size_up`).
    pub step_size_down: Option<u64>,
    /// Amplitude policy (default triangular).
    pub mode: CyclicMode,
    /// Cycle the momentum (or β₁) inversely to the rate (default true).
    pub cycle_momentum: bool,
    /// Momentum at the peak rate (default 0.8).
    pub base_momentum: f64,
    /// Momentum at the lowest rate (default 0.9).
    pub max_momentum: f64,
}

impl Default for CyclicLRConfig {
    fn default() -> Self {
        CyclicLRConfig {
            base_lr: 0.0,
            max_lr: 0.0,
            step_size_up: 2000,
            step_size_down: None,
            mode: CyclicMode::Triangular,
            cycle_momentum: true,
            base_momentum: 0.8,
            max_momentum: 0.9,
        }
    }
}

/// `torch.optim.lr_scheduler.CyclicLR(optimizer, base_lr, max_lr, step_size_up=2000,
/// step_size_down=None, mode='triangular', gamma=1.0, cycle_momentum=True, base_momentum=0.8,
/// max_momentum=0.9)`.
///
/// PyTorch's algorithm, at iteration `t` (`last_epoch`):
///
/// ```text
/// total = up + down,  ratio = up / total
/// cycle = ⌊1 + t / total⌋,  x = 1 + t / total − cycle
/// s = x / ratio if x ≤ ratio else (x − 1) / (ratio − 1)
/// lr       = base_lr + (max_lr − base_lr) · s · scale
/// momentum = max_momentum − (max_momentum − base_momentum) · s · scale
/// scale = 1 (triangular), 1 / 2^(cycle − 1) (triangular2), gamma^t (exp_range)
/// ```
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{CyclicLR, CyclicLRConfig, Optimizer, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, momentum: 0.9, ..Default::default() })?;
/// let c = CyclicLRConfig { base_lr: 0.1, max_lr: 0.5, step_size_up: 2, ..Default::default() };
/// let mut s = CyclicLR::new(&mut opt, c)?;
/// let lrs: Vec<f64> = (0..4).map(|_| { s.step(&mut opt); opt.lr() }).collect();
/// assert!((lrs[1] - 0.5).abs() < 1e-15 && (lrs[3] - 0.1).abs() < 1e-15);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CyclicLR {
    core: SchedulerCore,
    max_lrs: Vec<f64>,
    total_size: f64,
    step_ratio: f64,
    mode: CyclicMode,
    /// `Some(("momentum" | "beta1", base, max))` with `cycle_momentum`.
    momentum: Option<(&'static str, f64, f64)>,
}

impl CyclicLR {
    /// Sets every group's `lr` to `base_lr` (and its momentum to `max_momentum`), attaches and
    /// performs PyTorch's initial step.
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        c: CyclicLRConfig,
    ) -> Result<Self, OptimError> {
        if c.step_size_up == 0 && c.step_size_down.unwrap_or(0) == 0 {
            return Err(OptimError::InvalidHyperparameter(
                "CyclicLR: step_size_up + step_size_down must be positive, got 0".into(),
            ));
        }
        let momentum = if c.cycle_momentum {
            let name = momentum_name(opt)?;
            Some((name, c.base_momentum, c.max_momentum))
        } else {
            None
        };
        let n = opt.num_param_groups();
        for g in 0..n {
            opt.set_group_hyper(g, "lr", c.base_lr)?;
            if let Some((name, _, max)) = momentum {
                opt.set_group_hyper(g, name, max)?;
            }
        }
        let up = c.step_size_up as f64;
        let down = c.step_size_down.map_or(up, |d| d as f64);
        let total_size = up + down;
        Ok(attach_and_start(opt, |mut core| {
            // PyTorch replaces the base rates with base_lr after LRScheduler.__init__ (an
            // earlier scheduler's initial_lr stays in the groups).
            core.base_lrs = vec![c.base_lr; n];
            CyclicLR {
                core,
                max_lrs: vec![c.max_lr; n],
                total_size,
                step_ratio: up / total_size,
                mode: c.mode,
                momentum,
            }
        }))
    }

    /// `(scale_factor, scale_fn(...))` at iteration `t`.
    fn factors(&self, t: i64) -> (f64, f64) {
        let t = t as f64;
        let cycle = (1.0 + t / self.total_size).floor();
        let x = 1.0 + t / self.total_size - cycle;
        let s = if x <= self.step_ratio {
            x / self.step_ratio
        } else {
            (x - 1.0) / (self.step_ratio - 1.0)
        };
        let scale = match self.mode {
            CyclicMode::Triangular => 1.0,
            CyclicMode::Triangular2 => 1.0 / 2f64.powf(cycle - 1.0),
            CyclicMode::ExpRange { gamma } => gamma.powf(t),
        };
        (s, scale)
    }
}

impl Schedule for CyclicLR {
    fn get_lr(&self, c: &SchedulerCore, _cur: &[f64]) -> Vec<f64> {
        let (s, scale) = self.factors(c.last_epoch);
        c.base_lrs
            .iter()
            .zip(&self.max_lrs)
            .map(|(base, max)| base + (max - base) * s * scale)
            .collect()
    }

    fn momentum(&self) -> Option<(&'static str, Vec<f64>)> {
        let (name, base, max) = self.momentum?;
        let (s, scale) = self.factors(self.core.last_epoch);
        let m = max - (max - base) * s * scale;
        Some((name, vec![m; self.core.base_lrs.len()]))
    }
}

impl_lr_scheduler!(CyclicLR);
