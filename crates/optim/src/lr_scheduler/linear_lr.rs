//! `LinearLR`: scale the learning rate by a factor moving linearly from `start_factor` to
//! `end_factor` over `total_iters` epochs.

use super::{attach_and_start, impl_lr_scheduler, Schedule, SchedulerCore};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// `torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=1/3, end_factor=1.0,
/// total_iters=5)`.
///
/// PyTorch's `get_lr` (recursive form): epoch 0 multiplies the rate by `start_factor`; epochs
/// 1..=total_iters multiply the current rate by
/// `1 + (end − start) / (total_iters · start + (e − 1)(end − start))`; later epochs keep it.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{LRScheduler, LinearLR, Optimizer, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let mut s = LinearLR::new(&mut opt, 0.5, 1.0, 2)?;
/// assert_eq!(opt.lr(), 0.5);
/// s.step(&mut opt);
/// assert_eq!(opt.lr(), 0.75);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct LinearLR {
    core: SchedulerCore,
    start_factor: f64,
    end_factor: f64,
    total_iters: usize,
}

impl LinearLR {
    /// Attaches to `opt` and performs PyTorch's initial step (which applies `start_factor`).
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        start_factor: f64,
        end_factor: f64,
        total_iters: usize,
    ) -> Result<Self, OptimError> {
        if start_factor > 1.0 || !(start_factor > 0.0) {
            return Err(OptimError::InvalidHyperparameter(
                "Starting multiplicative factor expected to be greater than 0 and less or equal \
                 to 1."
                    .into(),
            ));
        }
        if end_factor > 1.0 || !(end_factor >= 0.0) {
            return Err(OptimError::InvalidHyperparameter(
                "Ending multiplicative factor expected to be between 0 and 1.".into(),
            ));
        }
        Ok(attach_and_start(opt, |core| LinearLR {
            core,
            start_factor,
            end_factor,
            total_iters,
        }))
    }

    /// PyTorch's defaults: `start_factor = 1/3`, `end_factor = 1`, `total_iters = 5`.
    pub fn with_defaults<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
    ) -> Result<Self, OptimError> {
        Self::new(opt, 1.0 / 3.0, 1.0, 5)
    }
}

impl Schedule for LinearLR {
    fn get_lr(&self, c: &SchedulerCore, cur: &[f64]) -> Vec<f64> {
        let e = c.last_epoch;
        if e == 0 {
            return cur.iter().map(|lr| lr * self.start_factor).collect();
        }
        if e as i128 > self.total_iters as i128 {
            return cur.to_vec();
        }
        let (s, t) = (self.start_factor, self.end_factor);
        let f = 1.0 + (t - s) / (self.total_iters as f64 * s + (e as f64 - 1.0) * (t - s));
        cur.iter().map(|lr| lr * f).collect()
    }

    fn closed_form(&self) -> Option<Vec<f64>> {
        let (s, t, n) = (self.start_factor, self.end_factor, self.total_iters as f64);
        let e = (self.core.last_epoch as f64).min(n);
        Some(self.core.map_base_lrs(|base| base * (s + (t - s) * e / n)))
    }
}

impl_lr_scheduler!(LinearLR);
