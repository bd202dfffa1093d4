//! `MultiStepLR`: multiply the learning rate by `gamma` at each milestone epoch.

use super::{attach_and_start, impl_lr_scheduler, Schedule, SchedulerCore};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// `torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.1)`.
///
/// PyTorch's `get_lr`: at an epoch listed k times in `milestones` the current rate is multiplied
/// by `gamma ** k`; at other epochs it stays.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{LRScheduler, MultiStepLR, Optimizer, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let mut s = MultiStepLR::new(&mut opt, &[1, 3], 0.5)?;
/// let lrs: Vec<f64> = (0..4).map(|_| { s.step(&mut opt); opt.lr() }).collect();
/// assert_eq!(lrs, vec![0.5, 0.5, 0.25, 0.25]);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct MultiStepLR {
    core: SchedulerCore,
    milestones: Vec<usize>,
    gamma: f64,
}

impl MultiStepLR {
    /// Attaches to `opt` and performs PyTorch's initial step. Milestones may repeat (each
    /// repetition multiplies by `gamma` once more, as PyTorch's `Counter`).
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        milestones: &[usize],
        gamma: f64,
    ) -> Result<Self, OptimError> {
        Ok(attach_and_start(opt, |core| MultiStepLR {
            core,
            milestones: milestones.to_vec(),
            gamma,
        }))
    }
}

impl Schedule for MultiStepLR {
    fn get_lr(&self, c: &SchedulerCore, cur: &[f64]) -> Vec<f64> {
        let count = self
            .milestones
            .iter()
            .filter(|&&m| m as i128 == c.last_epoch as i128)
            .count();
        if count == 0 {
            cur.to_vec()
        } else {
            let f = self.gamma.powf(count as f64);
            cur.iter().map(|lr| lr * f).collect()
        }
    }

    fn closed_form(&self) -> Option<Vec<f64>> {
        let e = self.core.last_epoch;
        let passed = self
            .milestones
            .iter()
            .filter(|m| **m as i128 <= e as i128)
            .count();
        Some(
            self.core
                .map_base_lrs(|base| base * self.gamma.powf(passed as f64)),
        )
    }
}

impl_lr_scheduler!(MultiStepLR);
