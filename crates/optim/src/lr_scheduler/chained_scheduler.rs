//! `ChainedScheduler`: step several schedulers of one optimizer together, each multiplying in
//! its own change.

use super::sequential_lr::{load_nested, save_nested};
use super::{group_lrs, LRScheduler, SchedulerStateDict};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// `torch.optim.lr_scheduler.ChainedScheduler(schedulers)`: `step()` steps every scheduler in
/// order; the rates are the optimizer's afterwards. Chaining works with the recursive
/// ("chainable") schedulers, whose `get_lr` changes the current rate.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{ChainedScheduler, ConstantLR, ExponentialLR, LRScheduler, Optimizer, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let warm = ConstantLR::new(&mut opt, 0.1, 2)?;
/// let decay = ExponentialLR::new(&mut opt, 0.5)?;
/// let mut s = ChainedScheduler::new(&mut opt, vec![Box::new(warm), Box::new(decay)])?;
/// s.step(&mut opt);
/// s.step(&mut opt); // ConstantLR's factor ends: 0.1·0.25 / 0.1
/// assert!((opt.lr() - 0.25).abs() < 1e-15);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub struct ChainedScheduler<T: Element = f32> {
    schedulers: Vec<Box<dyn LRScheduler<T>>>,
    last_lr: Vec<f64>,
}

impl<T: Element> ChainedScheduler<T> {
    /// Chains `schedulers` (each built on `opt`; at least one).
    pub fn new(
        opt: &mut dyn Optimizer<T>,
        schedulers: Vec<Box<dyn LRScheduler<T>>>,
    ) -> Result<Self, OptimError> {
        if schedulers.is_empty() {
            return Err(OptimError::InvalidHyperparameter(
                "ChainedScheduler expects at least one scheduler to be chained, but got no \
                 scheduler."
                    .into(),
            ));
        }
        Ok(ChainedScheduler {
            schedulers,
            last_lr: group_lrs(opt),
        })
    }
}

impl<T: Element> LRScheduler<T> for ChainedScheduler<T> {
    fn step(&mut self, opt: &mut dyn Optimizer<T>) {
        for s in &mut self.schedulers {
            s.step(opt);
        }
        self.last_lr = group_lrs(opt);
    }

    fn get_last_lr(&self) -> &[f64] {
        &self.last_lr
    }

    /// The last scheduler's epoch counter (they all step together).
    fn last_epoch(&self) -> i64 {
        self.schedulers[self.schedulers.len() - 1].last_epoch()
    }

    /// `_last_lr.<g>` and each scheduler's values under `_schedulers.<i>.`.
    fn state_dict(&self) -> SchedulerStateDict {
        save_nested(self.last_epoch(), &self.last_lr, &self.schedulers)
    }

    fn load_state_dict(&mut self, state: &SchedulerStateDict) -> Result<(), OptimError> {
        load_nested(state, &mut self.schedulers, &mut self.last_lr)?;
        Ok(())
    }

    fn undo_epoch(&mut self) {
        for s in &mut self.schedulers {
            s.undo_epoch();
        }
    }
}
