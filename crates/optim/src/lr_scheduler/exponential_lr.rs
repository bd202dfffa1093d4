//! `ExponentialLR`: multiply the learning rate by `gamma` every epoch.

use super::{attach_and_start, impl_lr_scheduler, Schedule, SchedulerCore};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// `torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma)`.
///
/// PyTorch's `get_lr` (recursive form): epoch 0 keeps the rate, every later epoch multiplies the
/// current rate by `gamma` (so lr_e = base_lr · gamma · gamma · …, rounded after each product).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{ExponentialLR, LRScheduler, Optimizer, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let mut s = ExponentialLR::new(&mut opt, 0.5)?;
/// s.step(&mut opt);
/// s.step(&mut opt);
/// assert_eq!(opt.lr(), 0.25);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ExponentialLR {
    core: SchedulerCore,
    gamma: f64,
}

impl ExponentialLR {
    /// Attaches to `opt` and performs PyTorch's initial step.
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        gamma: f64,
    ) -> Result<Self, OptimError> {
        Ok(attach_and_start(opt, |core| ExponentialLR { core, gamma }))
    }
}

impl Schedule for ExponentialLR {
    fn get_lr(&self, c: &SchedulerCore, cur: &[f64]) -> Vec<f64> {
        if c.last_epoch == 0 {
            cur.to_vec()
        } else {
            cur.iter().map(|lr| lr * self.gamma).collect()
        }
    }

    fn closed_form(&self) -> Option<Vec<f64>> {
        let e = self.core.last_epoch as f64;
        Some(self.core.map_base_lrs(|base| base * self.gamma.powf(e)))
    }
}

impl_lr_scheduler!(ExponentialLR);
