//! `ReduceLROnPlateau`: cut the learning rate when a monitored metric stops improving.

use super::SchedulerStateDict;
use super::{group_lrs, one_value_per_group};
use crate::error::{py, OptimError, MAX_SAVED_COUNT};
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// Whether the monitored quantity should go down (`"min"`, a loss) or up (`"max"`, an accuracy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlateauMode {
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

/// How `threshold` defines a significant improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdMode {
    /// Relative: better than `best · (1 ∓ threshold)`.
    Rel,
    /// Absolute: better than `best ∓ threshold`.
    Abs,
}

/// `ReduceLROnPlateau`'s options, with PyTorch's defaults.
///
/// ```
/// use tapegrad_optim::ReduceLROnPlateauConfig;
/// let c = ReduceLROnPlateauConfig::default();
/// assert_eq!((c.factor, c.patience, c.threshold, c.eps), (0.1, 10, 1e-4, 1e-8));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ReduceLROnPlateauConfig {
    /// `"min"` or `"max"` (default min).
    pub mode: PlateauMode,
    /// Multiplier applied to the rate on a plateau, < 1 (default 0.1).
    pub factor: f64,
    /// Epochs without improvement tolerated before cutting (default 10).
    pub patience: usize,
    /// Size of a significant improvement (default 1e-4).
    pub threshold: f64,
    /// `"rel"` or `"abs"` (default rel).
    pub threshold_mode: ThresholdMode,
    /// Epochs to wait after a cut before counting bad epochs again (default 0).
    pub cooldown: usize,
    /// Lower bound of every group's rate (default 0).
    pub min_lr: f64,
    /// Per-group lower bounds; when non-empty, overrides `min_lr` and must have one per group.
    pub min_lrs: Vec<f64>,
    /// A cut smaller than this is skipped (default 1e-8).
    pub eps: f64,
}

impl Default for ReduceLROnPlateauConfig {
    fn default() -> Self {
        ReduceLROnPlateauConfig {
            mode: PlateauMode::Min,
            factor: 0.1,
            patience: 10,
            threshold: 1e-4,
            threshold_mode: ThresholdMode::Rel,
            cooldown: 0,
            min_lr: 0.0,
            min_lrs: Vec::new(),
            eps: 1e-8,
        }
    }
}

/// `torch.optim.lr_scheduler.ReduceLROnPlateau`: `step(&mut opt, metric)` once per epoch.
///
/// PyTorch's algorithm: if the metric beats `best` significantly (`mode`/`threshold_mode`), it
/// becomes `best` and the bad-epoch count resets, else the count grows; during cooldown the count
/// is held at 0; when the count exceeds `patience`, every group's rate becomes
/// `max(lr · factor, min_lr)` (unless that changes it by less than `eps`), cooldown starts and the
/// count resets.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Optimizer, ReduceLROnPlateau, ReduceLROnPlateauConfig, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let cfg = ReduceLROnPlateauConfig { patience: 1, factor: 0.5, ..Default::default() };
/// let mut s = ReduceLROnPlateau::new(&mut opt, cfg)?;
/// for loss in [3.0, 3.0, 3.0] { s.step(&mut opt, loss); }
/// assert_eq!(opt.lr(), 0.5); // epochs 2 and 3 were bad, 2 > patience
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ReduceLROnPlateau {
    config: ReduceLROnPlateauConfig,
    min_lrs: Vec<f64>,
    best: f64,
    num_bad_epochs: usize,
    cooldown_counter: usize,
    last_epoch: i64,
    last_lr: Vec<f64>,
}

impl ReduceLROnPlateau {
    /// Attaches to `opt`; refuses `factor >= 1` ("Factor should be < 1.0.") and a `min_lrs` list of
    /// the wrong length.
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        config: ReduceLROnPlateauConfig,
    ) -> Result<Self, OptimError> {
        if !(config.factor < 1.0) {
            return Err(OptimError::InvalidHyperparameter(
                "Factor should be < 1.0.".into(),
            ));
        }
        let n = opt.num_param_groups();
        let min_lrs = one_value_per_group(n, config.min_lr, &config.min_lrs).map_err(|got| {
            OptimError::InvalidHyperparameter(format!("expected {n} min_lrs, got {got}"))
        })?;
        if let Some(bad) = min_lrs.iter().find(|v| !(**v >= 0.0)) {
            return Err(OptimError::InvalidHyperparameter(format!(
                "Invalid min_lr value: {}",
                py(*bad)
            )));
        }
        let best = Self::mode_worse(config.mode);
        Ok(ReduceLROnPlateau {
            last_lr: group_lrs(opt),
            config,
            min_lrs,
            best,
            num_bad_epochs: 0,
            cooldown_counter: 0,
            last_epoch: 0,
        })
    }

    fn mode_worse(mode: PlateauMode) -> f64 {
        match mode {
            PlateauMode::Min => f64::INFINITY,
            PlateauMode::Max => f64::NEG_INFINITY,
        }
    }

    /// PyTorch's `is_better(a, best)`.
    fn is_better(&self, a: f64, best: f64) -> bool {
        let t = self.config.threshold;
        match (self.config.mode, self.config.threshold_mode) {
            (PlateauMode::Min, ThresholdMode::Rel) => a < best * (1.0 - t),
            (PlateauMode::Min, ThresholdMode::Abs) => a < best - t,
            (PlateauMode::Max, ThresholdMode::Rel) => a > best * (t + 1.0),
            (PlateauMode::Max, ThresholdMode::Abs) => a > best + t,
        }
    }

    /// One epoch with the monitored `metric` (`scheduler.step(metrics)`).
    pub fn step<T: Element, O: Optimizer<T> + ?Sized>(&mut self, opt: &mut O, metric: f64) {
        self.last_epoch += 1;
        if self.is_better(metric, self.best) {
            self.best = metric;
            self.num_bad_epochs = 0;
        } else {
            self.num_bad_epochs += 1;
        }
        if self.cooldown_counter > 0 {
            self.cooldown_counter -= 1;
            self.num_bad_epochs = 0;
        }
        if self.num_bad_epochs > self.config.patience {
            let lrs = group_lrs(opt);
            for (g, (old_lr, min_lr)) in lrs.into_iter().zip(&self.min_lrs).enumerate() {
                let new_lr = (old_lr * self.config.factor).max(*min_lr);
                if old_lr - new_lr > self.config.eps {
                    opt.set_group_hyper(g, "lr", new_lr)
                        .expect("a scheduler may write any rate");
                }
            }
            self.cooldown_counter = self.config.cooldown;
            self.num_bad_epochs = 0;
        }
        self.last_lr = group_lrs(opt);
    }

    /// The rates after the last step, one per group.
    pub fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    /// The best metric seen so far.
    pub fn best(&self) -> f64 {
        self.best
    }

    /// Epochs since the last improvement (`num_bad_epochs`).
    pub fn num_bad_epochs(&self) -> usize {
        self.num_bad_epochs
    }

    /// The epoch counter.
    pub fn last_epoch(&self) -> i64 {
        self.last_epoch
    }

    /// The counters for a checkpoint (`best`, `num_bad_epochs`, `cooldown_counter`,
    /// `last_epoch`, `_last_lr.<g>`).
    pub fn state_dict(&self) -> SchedulerStateDict {
        let mut values = vec![
            ("best".to_string(), self.best),
            ("num_bad_epochs".to_string(), self.num_bad_epochs as f64),
            ("cooldown_counter".to_string(), self.cooldown_counter as f64),
            ("last_epoch".to_string(), self.last_epoch as f64),
        ];
        for (i, v) in self.last_lr.iter().enumerate() {
            values.push((format!("_last_lr.{i}"), *v));
        }
        SchedulerStateDict { values }
    }

    /// Restores [`ReduceLROnPlateau::state_dict`]'s output. Every value is checked first
    /// (`best` a number, possibly ±inf as before the first step; counters whole numbers below
    /// 2^53; rates finite and `>= 0`); on error nothing changes.
    pub fn load_state_dict(&mut self, s: &SchedulerStateDict) -> Result<(), OptimError> {
        let best = s.need("best")?;
        if best.is_nan() {
            return Err(OptimError::InvalidValue {
                key: "best".into(),
                value: best,
                expected: "is not a number (the best metric so far, or ±inf before the first \
                           step)"
                    .into(),
            });
        }
        let bad = s.need_integer("num_bad_epochs", 0, MAX_SAVED_COUNT)? as usize;
        let cool = s.need_integer("cooldown_counter", 0, MAX_SAVED_COUNT)? as usize;
        let epoch = s.need_integer("last_epoch", 0, MAX_SAVED_COUNT)?;
        let last_lr = s.rates("_last_lr")?;
        self.best = best;
        self.num_bad_epochs = bad;
        self.cooldown_counter = cool;
        self.last_epoch = epoch;
        self.last_lr = last_lr;
        Ok(())
    }
}
