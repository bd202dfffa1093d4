//! `SequentialLR`: hand the optimizer from one scheduler to the next at given epochs.

use super::{LRScheduler, SchedulerStateDict};
use crate::error::{OptimError, MAX_SAVED_COUNT};
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// `torch.optim.lr_scheduler.SequentialLR(optimizer, schedulers, milestones)`: scheduler `i`
/// runs from `milestones[i − 1]` (restarted at its epoch 0 there) until `milestones[i]`.
///
/// PyTorch's algorithm: at construction every group's `lr` goes back to its `initial_lr`, every
/// sub-scheduler's `last_epoch` goes back by one (undoing its own initial step) and the first
/// scheduler does its initial step again; at each step `last_epoch += 1`, the scheduler in charge
/// is `schedulers[bisect_right(milestones, last_epoch)]`, which steps, or at its milestone
/// restarts at epoch 0 (its closed form where PyTorch has one).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{ConstantLR, ExponentialLR, LRScheduler, Optimizer, SequentialLR, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let warm = ConstantLR::new(&mut opt, 0.1, 2)?;
/// let decay = ExponentialLR::new(&mut opt, 0.5)?;
/// let mut s = SequentialLR::new(&mut opt, vec![Box::new(warm), Box::new(decay)], vec![2])?;
/// let mut lrs = vec![opt.lr()];
/// for _ in 0..4 { s.step(&mut opt); lrs.push(opt.lr()); }
/// assert_eq!(lrs, vec![0.1, 0.1, 1.0, 0.5, 0.25]);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub struct SequentialLR<T: Element = f32> {
    schedulers: Vec<Box<dyn LRScheduler<T>>>,
    milestones: Vec<u64>,
    last_epoch: i64,
    last_lr: Vec<f64>,
}

impl<T: Element> SequentialLR<T> {
    /// Takes over `schedulers` (built on `opt`, in order); `milestones` has one entry fewer.
    pub fn new(
        opt: &mut dyn Optimizer<T>,
        mut schedulers: Vec<Box<dyn LRScheduler<T>>>,
        milestones: Vec<u64>,
    ) -> Result<Self, OptimError> {
        if schedulers.is_empty() {
            return Err(OptimError::InvalidHyperparameter(
                "SequentialLR expects at least one scheduler, but got no scheduler.".into(),
            ));
        }
        if milestones.len() != schedulers.len() - 1 {
            return Err(OptimError::InvalidHyperparameter(format!(
                "Sequential Schedulers expects number of schedulers provided to be one more than \
                 the number of milestone points, but got number of schedulers {} and the number \
                 of milestones to be equal to {}",
                schedulers.len(),
                milestones.len()
            )));
        }
        for g in 0..opt.num_param_groups() {
            let initial = opt.group_hyper(g, "initial_lr").ok_or_else(|| {
                OptimError::InvalidHyperparameter(format!(
                    "SequentialLR: param_groups[{g}] has no initial_lr; build the schedulers on \
                     this optimizer first"
                ))
            })?;
            opt.set_group_hyper(g, "lr", initial)?;
        }
        for s in &mut schedulers {
            s.undo_epoch();
        }
        let idx = bisect_right(&milestones, 0);
        schedulers[idx].initial_step(opt);
        let last_lr = schedulers[idx].get_last_lr().to_vec();
        Ok(SequentialLR {
            schedulers,
            milestones,
            last_epoch: 0,
            last_lr,
        })
    }
}

/// Python's `bisect_right(milestones, e)`: how many milestones are `<= e`.
fn bisect_right(milestones: &[u64], e: i64) -> usize {
    milestones
        .iter()
        .filter(|m| **m as i128 <= e as i128)
        .count()
}

impl<T: Element> LRScheduler<T> for SequentialLR<T> {
    fn step(&mut self, opt: &mut dyn Optimizer<T>) {
        self.last_epoch += 1;
        let idx = bisect_right(&self.milestones, self.last_epoch);
        let s = &mut self.schedulers[idx];
        if idx > 0 && self.milestones[idx - 1] as i128 == self.last_epoch as i128 {
            s.restart_at_zero(opt);
        } else {
            s.step(opt);
        }
        self.last_lr = s.get_last_lr().to_vec();
    }

    fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    fn last_epoch(&self) -> i64 {
        self.last_epoch
    }

    /// `last_epoch`, `_last_lr.<g>` and each sub-scheduler's values under `_schedulers.<i>.`.
    fn state_dict(&self) -> SchedulerStateDict {
        save_nested(self.last_epoch, &self.last_lr, &self.schedulers)
    }

    fn load_state_dict(&mut self, state: &SchedulerStateDict) -> Result<(), OptimError> {
        self.last_epoch = load_nested(state, &mut self.schedulers, &mut self.last_lr)?;
        Ok(())
    }

    fn undo_epoch(&mut self) {
        for s in &mut self.schedulers {
            s.undo_epoch();
        }
    }
}

/// The state of a scheduler made of others (`SequentialLR`, `ChainedScheduler`).
pub(crate) fn save_nested<T: Element>(
    last_epoch: i64,
    last_lr: &[f64],
    schedulers: &[Box<dyn LRScheduler<T>>],
) -> SchedulerStateDict {
    let mut values = vec![("last_epoch".to_string(), last_epoch as f64)];
    for (i, v) in last_lr.iter().enumerate() {
        values.push((format!("_last_lr.{i}"), *v));
    }
    for (i, s) in schedulers.iter().enumerate() {
        for (k, v) in s.state_dict().values {
            values.push((format!("_schedulers.{i}.{k}"), v));
        }
    }
    SchedulerStateDict { values }
}

/// Restores [`save_nested`]'s output; returns `last_epoch`. The outer values are checked before
/// any sub-scheduler is loaded; a sub-state that fails leaves that sub-scheduler unchanged (the
/// ones before it are loaded).
pub(crate) fn load_nested<T: Element>(
    state: &SchedulerStateDict,
    schedulers: &mut [Box<dyn LRScheduler<T>>],
    last_lr: &mut Vec<f64>,
) -> Result<i64, OptimError> {
    let last_epoch = state.need_integer("last_epoch", -1, MAX_SAVED_COUNT)?;
    let lrs = state.rates("_last_lr")?;
    let subs: Vec<SchedulerStateDict> = (0..schedulers.len())
        .map(|i| {
            let prefix = format!("_schedulers.{i}.");
            SchedulerStateDict {
                values: state
                    .values
                    .iter()
                    .filter_map(|(k, v)| k.strip_prefix(&prefix).map(|k| (k.to_string(), *v)))
                    .collect(),
            }
        })
        .collect();
    for (s, sub) in schedulers.iter_mut().zip(&subs) {
        s.load_state_dict(sub)?;
    }
    *last_lr = lrs;
    Ok(last_epoch)
}
