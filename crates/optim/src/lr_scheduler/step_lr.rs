//! `StepLR`: multiply the learning rate by `gamma` every `step_size` epochs.

use super::{attach_and_start, impl_lr_scheduler, Schedule, SchedulerCore};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// `torch.optim.lr_scheduler.StepLR(optimizer, step_size, gamma=0.1)`.
///
/// PyTorch's `get_lr` (recursive form): at epoch e > 0 with e % step_size == 0 the rate becomes
/// `lr * gamma`, otherwise it stays; hence lr_e = base_lr · gamma^⌊e / step_size⌋.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{LRScheduler, Optimizer, SgdConfig, StepLR, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let mut s = StepLR::new(&mut opt, 3, 0.5)?;
/// for _ in 0..3 { s.step(&mut opt); }
/// assert_eq!(opt.lr(), 0.5);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct StepLR {
    core: SchedulerCore,
    step_size: usize,
    gamma: f64,
}

impl StepLR {
    /// Attaches to `opt` and performs PyTorch's initial step. `step_size` must be positive.
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        step_size: usize,
        gamma: f64,
    ) -> Result<Self, OptimError> {
        if step_size == 0 {
            return Err(OptimError::InvalidHyperparameter(
                "StepLR: step_size must be a positive integer, got 0".into(),
            ));
        }
        Ok(attach_and_start(opt, |core| StepLR {
            core,
            step_size,
            gamma,
        }))
    }
}

impl Schedule for StepLR {
    fn get_lr(&self, c: &SchedulerCore, cur: &[f64]) -> Vec<f64> {
        // In i128: a step_size above i64::MAX would wrap to a negative divisor (-1 for
        // usize::MAX, which divides every epoch).
        if c.last_epoch == 0 || c.last_epoch as i128 % self.step_size as i128 != 0 {
            cur.to_vec()
        } else {
            cur.iter().map(|lr| lr * self.gamma).collect()
        }
    }

    fn closed_form(&self) -> Option<Vec<f64>> {
        let e = self.core.last_epoch.max(0) as u128 / self.step_size as u128;
        Some(
            self.core
                .map_base_lrs(|base| base * self.gamma.powf(e as f64)),
        )
    }
}

impl_lr_scheduler!(StepLR);
