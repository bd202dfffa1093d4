//! Learning-rate schedulers, as `torch.optim.lr_scheduler` (one file each).
//!
//! A scheduler does not hold the optimizer: it is given it at construction and at every step,
//! `sched.step(&mut opt)`, once per epoch after `opt.step()`, as PyTorch's loop does. Each
//! scheduler reproduces PyTorch's `get_lr` (the recursive "chainable" forms where PyTorch uses
//! them), so its learning rates are PyTorch's floats. Construction performs PyTorch's initial step
//! (`last_epoch` becomes 0, and e.g. [`LinearLR`] applies its start factor).
//!
//! ```
//! use tapegrad_autograd::Tensor;
//! use tapegrad_optim::{LRScheduler, Optimizer, SgdConfig, StepLR, SGD};
//! let w: Tensor = Tensor::zeros(&[1]).requires_grad_(true);
//! let mut opt = SGD::new(vec![w], SgdConfig { lr: 0.1, ..Default::default() })?;
//! let mut sched = StepLR::new(&mut opt, 2, 0.5)?;
//! let mut lrs = vec![];
//! for _ in 0..5 {
//!     lrs.push(opt.lr()); // opt.step() would use this rate
//!     sched.step(&mut opt);
//! }
//! assert_eq!(lrs, vec![0.1, 0.1, 0.05, 0.05, 0.025]);
//! # Ok::<(), tapegrad_optim::OptimError>(())
//! ```

mod chained_scheduler;
mod constant_lr;
mod cosine_annealing_lr;
mod cosine_annealing_warm_restarts;
mod cyclic_lr;
mod exponential_lr;
mod lambda_lr;
mod linear_lr;
mod multi_step_lr;
mod multiplicative_lr;
mod one_cycle_lr;
mod polynomial_lr;
mod reduce_lr_on_plateau;
mod sequential_lr;
mod step_lr;

pub use chained_scheduler::ChainedScheduler;
pub use constant_lr::ConstantLR;
pub use cosine_annealing_lr::CosineAnnealingLR;
pub use cosine_annealing_warm_restarts::CosineAnnealingWarmRestarts;
pub use cyclic_lr::{CyclicLR, CyclicLRConfig, CyclicMode};
pub use exponential_lr::ExponentialLR;
pub use lambda_lr::{LambdaLR, LrLambda};
pub use linear_lr::LinearLR;
pub use multi_step_lr::MultiStepLR;
pub use multiplicative_lr::MultiplicativeLR;
pub use one_cycle_lr::{AnnealStrategy, OneCycleLR, OneCycleLRConfig};
pub use polynomial_lr::PolynomialLR;
pub use reduce_lr_on_plateau::{
    PlateauMode, ReduceLROnPlateau, ReduceLROnPlateauConfig, ThresholdMode,
};
pub use sequential_lr::SequentialLR;
pub use step_lr::StepLR;

use crate::error::{saved_integer, saved_rate, OptimError, MAX_SAVED_COUNT};
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// An epoch-based learning-rate scheduler (`torch.optim.lr_scheduler.LRScheduler`).
pub trait LRScheduler<T: Element = f32> {
    /// Advances one epoch and writes the new learning rates into `opt`'s groups
    /// (`scheduler.step()`).
    fn step(&mut self, opt: &mut dyn Optimizer<T>);
    /// The learning rates set by the last step, one per group (`get_last_lr()`).
    fn get_last_lr(&self) -> &[f64];
    /// The epoch counter (`last_epoch`; 0 right after construction).
    fn last_epoch(&self) -> i64;
    /// The scheduler's counters and rates, for a checkpoint (`state_dict()`).
    fn state_dict(&self) -> SchedulerStateDict;
    /// Restores [`LRScheduler::state_dict`]'s output (`load_state_dict()`).
    fn load_state_dict(&mut self, state: &SchedulerStateDict) -> Result<(), OptimError>;

    /// [`SequentialLR`]'s hook: PyTorch's `recursive_undo` (`last_epoch -= 1`, undoing the
    /// initial step of a scheduler built before it is handed over).
    fn undo_epoch(&mut self) {
        panic!("SequentialLR: this scheduler cannot be sequenced (it has no undo_epoch)")
    }
    /// [`SequentialLR`]'s hook: PyTorch's `_initial_step()`.
    fn initial_step(&mut self, _opt: &mut dyn Optimizer<T>) {
        panic!("SequentialLR: this scheduler cannot be sequenced (it has no initial_step)")
    }
    /// [`SequentialLR`]'s hook: PyTorch's `_update_lr(0)` at a milestone (`last_epoch = 0`, the
    /// closed-form rate where PyTorch has one).
    fn restart_at_zero(&mut self, _opt: &mut dyn Optimizer<T>) {
        panic!("SequentialLR: this scheduler cannot be sequenced (it has no restart_at_zero)")
    }
}

/// A scheduler's saved state: named `f64` values (`last_epoch`, `_step_count`, `base_lrs.<g>`,
/// `_last_lr.<g>`, plus scheduler-specific counters such as `best`), ready for a checkpoint's
/// metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SchedulerStateDict {
    /// `(name, value)` pairs.
    pub values: Vec<(String, f64)>,
}

impl SchedulerStateDict {
    /// The value named `name`, if present.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    pub(crate) fn need(&self, name: &str) -> Result<f64, OptimError> {
        self.get(name)
            .ok_or_else(|| OptimError::StateDict(format!("scheduler state misses '{name}'")))
    }

    fn list(&self, prefix: &str) -> Vec<f64> {
        (0..)
            .map_while(|i| self.get(&format!("{prefix}.{i}")))
            .collect()
    }

    /// The value `name` as a whole number in `min..=max` (a counter), checked.
    pub(crate) fn need_integer(&self, name: &str, min: i64, max: i64) -> Result<i64, OptimError> {
        saved_integer(name, self.need(name)?, min, max)
    }

    /// The learning rates `prefix.0`, `prefix.1`, ..., each checked to be finite and `>= 0`.
    pub(crate) fn rates(&self, prefix: &str) -> Result<Vec<f64>, OptimError> {
        let values = self.list(prefix);
        for (i, v) in values.iter().enumerate() {
            saved_rate(&format!("{prefix}.{i}"), *v)?;
        }
        Ok(values)
    }
}

/// The learning rate of every group of `opt`.
pub(crate) fn group_lrs<T: Element, O: Optimizer<T> + ?Sized>(opt: &O) -> Vec<f64> {
    (0..opt.num_param_groups())
        .map(|g| opt.group_hyper(g, "lr").expect("every group has an lr"))
        .collect()
}

/// Writes `lrs` (one per group) into `opt`'s groups.
pub(crate) fn set_group_lrs<T: Element, O: Optimizer<T> + ?Sized>(opt: &mut O, lrs: &[f64]) {
    for (g, lr) in lrs.iter().enumerate() {
        opt.set_group_hyper(g, "lr", *lr)
            .expect("a scheduler may write any rate");
    }
}

/// PyTorch's "a float or a list" argument (OneCycleLR's `max_lr`, ReduceLROnPlateau's
/// `min_lr`): `list` when it is non-empty and has one value per group (`n`), `one` for each of
/// the `n` groups when `list` is empty; `Err(list.len())` otherwise.
pub(crate) fn one_value_per_group(n: usize, one: f64, list: &[f64]) -> Result<Vec<f64>, usize> {
    if list.is_empty() {
        Ok(vec![one; n])
    } else if list.len() == n {
        Ok(list.to_vec())
    } else {
        Err(list.len())
    }
}

/// The hyper-parameter OneCycleLR and CyclicLR cycle with `cycle_momentum`: `"beta1"` if the
/// optimizer has betas, else `"momentum"`; PyTorch's error if it has neither.
pub(crate) fn momentum_name<T: Element, O: Optimizer<T> + ?Sized>(
    opt: &O,
) -> Result<&'static str, OptimError> {
    ["beta1", "momentum"]
        .into_iter()
        .find(|n| opt.group_hyper(0, n).is_some())
        .ok_or_else(|| {
            OptimError::InvalidHyperparameter(
                "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
                    .into(),
            )
        })
}

/// What every epoch-based scheduler keeps (PyTorch's `LRScheduler` attributes).
#[derive(Debug, Clone)]
pub(crate) struct SchedulerCore {
    pub(crate) base_lrs: Vec<f64>,
    pub(crate) last_epoch: i64,
    pub(crate) step_count: u64,
    pub(crate) last_lr: Vec<f64>,
    /// Inside PyTorch's `_initial_step` (its `_is_initial`).
    pub(crate) initial: bool,
}

impl SchedulerCore {
    /// PyTorch's `LRScheduler.__init__` with `last_epoch=-1`: records `initial_lr` in groups
    /// that have none and takes the base rates from it.
    pub(crate) fn attach<T: Element, O: Optimizer<T> + ?Sized>(opt: &mut O) -> Self {
        let mut base_lrs = Vec::new();
        for g in 0..opt.num_param_groups() {
            let initial = opt
                .group_hyper(g, "initial_lr")
                .unwrap_or_else(|| opt.group_hyper(g, "lr").expect("every group has an lr"));
            opt.set_group_hyper(g, "initial_lr", initial)
                .expect("every group takes an initial_lr");
            base_lrs.push(initial);
        }
        SchedulerCore {
            base_lrs,
            last_epoch: -1,
            step_count: 0,
            last_lr: Vec::new(),
            initial: false,
        }
    }

    /// The first half of `LRScheduler.step()`: counts the epoch and returns the groups' current
    /// rates, from which `get_lr` computes the new ones.
    pub(crate) fn advance<T: Element, O: Optimizer<T> + ?Sized>(&mut self, opt: &O) -> Vec<f64> {
        self.step_count += 1;
        self.last_epoch += 1;
        let current = group_lrs(opt);
        assert_eq!(
            current.len(),
            self.base_lrs.len(),
            "scheduler step: the optimizer has {} parameter groups but the scheduler was created \
             for {}; create the scheduler after adding every group",
            current.len(),
            self.base_lrs.len()
        );
        current
    }

    /// The second half of `LRScheduler.step()`: writes the new rates into the groups.
    pub(crate) fn apply<T: Element, O: Optimizer<T> + ?Sized>(
        &mut self,
        opt: &mut O,
        new: Vec<f64>,
    ) {
        set_group_lrs(opt, &new);
        self.last_lr = new;
    }

    /// `[f(base_lr) for base_lr in self.base_lrs]`: one rate per group from its base rate (the
    /// closed forms).
    pub(crate) fn map_base_lrs(&self, f: impl Fn(f64) -> f64) -> Vec<f64> {
        self.base_lrs.iter().map(|&base| f(base)).collect()
    }

    pub(crate) fn save(&self) -> SchedulerStateDict {
        let mut values = vec![
            ("last_epoch".to_string(), self.last_epoch as f64),
            ("_step_count".to_string(), self.step_count as f64),
        ];
        for (i, v) in self.base_lrs.iter().enumerate() {
            values.push((format!("base_lrs.{i}"), *v));
        }
        for (i, v) in self.last_lr.iter().enumerate() {
            values.push((format!("_last_lr.{i}"), *v));
        }
        SchedulerStateDict { values }
    }

    /// Restores [`SchedulerCore::save`]'s output; every value is checked first (counters are
    /// whole numbers below 2^53, rates finite and `>= 0`) and on error nothing changes.
    pub(crate) fn load(&mut self, s: &SchedulerStateDict) -> Result<(), OptimError> {
        let base = s.rates("base_lrs")?;
        if base.len() != self.base_lrs.len() {
            return Err(OptimError::StateDict(format!(
                "scheduler state has {} base_lrs, this scheduler has {} groups",
                base.len(),
                self.base_lrs.len()
            )));
        }
        let last_epoch = s.need_integer("last_epoch", -1, MAX_SAVED_COUNT)?;
        let step_count = s.need_integer("_step_count", 0, MAX_SAVED_COUNT)? as u64;
        let last_lr = s.rates("_last_lr")?;
        self.last_epoch = last_epoch;
        self.step_count = step_count;
        self.base_lrs = base;
        self.last_lr = last_lr;
        Ok(())
    }
}

/// A scheduler's access to its counters (its `core` field); [`impl_lr_scheduler`] implements it.
pub(crate) trait HasCore {
    fn core(&self) -> &SchedulerCore;
    fn core_mut(&mut self) -> &mut SchedulerCore;
}

/// What a scheduler file defines: its counters ([`SchedulerCore`], a field `core`) and PyTorch's
/// `get_lr`, plus the optional pieces a few schedulers have. The stepping (`step`, PyTorch's
/// initial step, `SequentialLR`'s restart at epoch 0, state dicts) is written once, in
/// [`impl_lr_scheduler`].
pub(crate) trait Schedule: HasCore {
    /// PyTorch's `get_lr` at `c.last_epoch`, given the groups' current rates.
    fn get_lr(&self, c: &SchedulerCore, current: &[f64]) -> Vec<f64>;
    /// PyTorch's `_get_closed_form_lr` at `last_epoch`, where PyTorch has one (`SequentialLR`
    /// restarts a scheduler at epoch 0 with it).
    fn closed_form(&self) -> Option<Vec<f64>> {
        None
    }
    /// Runs after `last_epoch` advanced and before `get_lr` (CosineAnnealingWarmRestarts'
    /// `T_cur`).
    fn advance(&mut self) {}
    /// The `(hyper-parameter, value per group)` the scheduler sets at this epoch besides the
    /// rate (OneCycleLR's and CyclicLR's `momentum` / `beta1`).
    fn momentum(&self) -> Option<(&'static str, Vec<f64>)> {
        None
    }
    /// Recomputes what follows from the counters after a `load_state_dict`.
    fn reload(&mut self) {}
}

/// `scheduler.step()`: count the epoch, compute the rates, write them (and the momentum).
pub(crate) fn step_schedule<S: Schedule, T: Element, O: Optimizer<T> + ?Sized>(
    s: &mut S,
    opt: &mut O,
) {
    let current = s.core_mut().advance(opt);
    s.advance();
    let new = s.get_lr(s.core(), &current);
    s.core_mut().apply(opt, new);
    write_momentum(s, opt);
}

fn write_momentum<S: Schedule, T: Element, O: Optimizer<T> + ?Sized>(s: &S, opt: &mut O) {
    if let Some((name, values)) = s.momentum() {
        for (g, v) in values.into_iter().enumerate() {
            opt.set_group_hyper(g, name, v)
                .unwrap_or_else(|e| panic!("scheduler step: setting {name} = {v}: {e}"));
        }
    }
}

/// PyTorch's `_initial_step()`: `_step_count = 0`, then a step in "initial" mode.
pub(crate) fn initial_step<S: Schedule, T: Element, O: Optimizer<T> + ?Sized>(
    s: &mut S,
    opt: &mut O,
) {
    s.core_mut().step_count = 0;
    s.core_mut().initial = true;
    step_schedule(s, opt);
    s.core_mut().initial = false;
}

/// PyTorch's `LRScheduler.__init__` for a scheduler built by `make` around its counters:
/// [`SchedulerCore::attach`] to `opt`, then PyTorch's initial step (`last_epoch` becomes 0).
pub(crate) fn attach_and_start<S: Schedule, T: Element, O: Optimizer<T> + ?Sized>(
    opt: &mut O,
    make: impl FnOnce(SchedulerCore) -> S,
) -> S {
    let mut s = make(SchedulerCore::attach(opt));
    initial_step(&mut s, opt);
    s
}

/// PyTorch's `_update_lr(0)` (SequentialLR at a milestone): `last_epoch = 0`, then the closed
/// form if the scheduler has one, else `get_lr`.
pub(crate) fn restart_at_zero<S: Schedule, T: Element, O: Optimizer<T> + ?Sized>(
    s: &mut S,
    opt: &mut O,
) {
    s.core_mut().last_epoch = 0;
    let current = group_lrs(opt);
    let new = s
        .closed_form()
        .unwrap_or_else(|| s.get_lr(s.core(), &current));
    s.core_mut().apply(opt, new);
    write_momentum(s, opt);
}

/// Implements [`LRScheduler`] for a type implementing [`Schedule`], plus the same methods as
/// inherent ones (so `sched.last_epoch()` needs no type annotation), and [`HasCore`] (its
/// `core` field).
macro_rules! impl_lr_scheduler {
    ($ty:ty) => {
        impl $ty {
            /// Advances one epoch and writes the new rates into `opt` (`scheduler.step()`).
            pub fn step<
                T: tapegrad_autograd::Element,
                O: $crate::optimizer::Optimizer<T> + ?Sized,
            >(
                &mut self,
                opt: &mut O,
            ) {
                $crate::lr_scheduler::step_schedule(self, opt)
            }
            /// The rates set by the last step, one per group (`get_last_lr()`).
            pub fn get_last_lr(&self) -> &[f64] {
                &self.core.last_lr
            }
            /// The epoch counter (`last_epoch`).
            pub fn last_epoch(&self) -> i64 {
                self.core.last_epoch
            }
            /// Counters and rates for a checkpoint (`state_dict()`).
            pub fn state_dict(&self) -> $crate::lr_scheduler::SchedulerStateDict {
                self.core.save()
            }
            /// Restores [`Self::state_dict`]'s output (`load_state_dict()`).
            pub fn load_state_dict(
                &mut self,
                state: &$crate::lr_scheduler::SchedulerStateDict,
            ) -> Result<(), $crate::error::OptimError> {
                self.core.load(state)?;
                $crate::lr_scheduler::Schedule::reload(self);
                Ok(())
            }
        }

        impl $crate::lr_scheduler::HasCore for $ty {
            fn core(&self) -> &$crate::lr_scheduler::SchedulerCore {
                &self.core
            }
            fn core_mut(&mut self) -> &mut $crate::lr_scheduler::SchedulerCore {
                &mut self.core
            }
        }

        impl<T: tapegrad_autograd::Element> $crate::lr_scheduler::LRScheduler<T> for $ty {
            fn step(&mut self, opt: &mut dyn $crate::optimizer::Optimizer<T>) {
                <$ty>::step(self, opt)
            }
            fn get_last_lr(&self) -> &[f64] {
                <$ty>::get_last_lr(self)
            }
            fn last_epoch(&self) -> i64 {
                <$ty>::last_epoch(self)
            }
            fn state_dict(&self) -> $crate::lr_scheduler::SchedulerStateDict {
                <$ty>::state_dict(self)
            }
            fn load_state_dict(
                &mut self,
                state: &$crate::lr_scheduler::SchedulerStateDict,
            ) -> Result<(), $crate::error::OptimError> {
                <$ty>::load_state_dict(self, state)
            }
            fn undo_epoch(&mut self) {
                self.core.last_epoch -= 1;
            }
            fn initial_step(&mut self, opt: &mut dyn $crate::optimizer::Optimizer<T>) {
                $crate::lr_scheduler::initial_step(self, opt)
            }
            fn restart_at_zero(&mut self, opt: &mut dyn $crate::optimizer::Optimizer<T>) {
                $crate::lr_scheduler::restart_at_zero(self, opt)
            }
        }
    };
}
pub(crate) use impl_lr_scheduler;
