//! `ConstantLR`: multiply the learning rate by a constant factor until `total_iters` epochs pass.

use super::{attach_and_start, impl_lr_scheduler, Schedule, SchedulerCore};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// `torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1/3, total_iters=5)`.
///
/// PyTorch's `get_lr` (recursive form): at epoch 0 `lr · factor`; at epoch `total_iters`
/// `lr · (1 / factor)`; otherwise unchanged.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{ConstantLR, Optimizer, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 0.1, ..Default::default() })?;
/// let mut s = ConstantLR::new(&mut opt, 0.5, 2)?;
/// assert_eq!(opt.lr(), 0.05);
/// s.step(&mut opt);
/// s.step(&mut opt);
/// assert_eq!(opt.lr(), 0.1);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ConstantLR {
    core: SchedulerCore,
    factor: f64,
    total_iters: u64,
}

impl ConstantLR {
    /// Attaches to `opt` and performs PyTorch's initial step (which applies `factor`).
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        factor: f64,
        total_iters: u64,
    ) -> Result<Self, OptimError> {
        if !(0.0..=1.0).contains(&factor) {
            return Err(OptimError::InvalidHyperparameter(
                "Constant multiplicative factor expected to be between 0 and 1.".into(),
            ));
        }
        Ok(attach_and_start(opt, |core| ConstantLR {
            core,
            factor,
            total_iters,
        }))
    }

    /// PyTorch's defaults: `factor = 1/3`, `total_iters = 5`.
    pub fn with_defaults<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
    ) -> Result<Self, OptimError> {
        Self::new(opt, 1.0 / 3.0, 5)
    }
}

impl Schedule for ConstantLR {
    fn get_lr(&self, c: &SchedulerCore, cur: &[f64]) -> Vec<f64> {
        if c.last_epoch == 0 {
            return cur.iter().map(|lr| lr * self.factor).collect();
        }
        if c.last_epoch as i128 != self.total_iters as i128 {
            return cur.to_vec();
        }
        cur.iter().map(|lr| lr * (1.0 / self.factor)).collect()
    }

    fn closed_form(&self) -> Option<Vec<f64>> {
        let done = (self.core.last_epoch as i128 >= self.total_iters as i128) as u8 as f64;
        Some(
            self.core
                .map_base_lrs(|base| base * (self.factor + done * (1.0 - self.factor))),
        )
    }
}

impl_lr_scheduler!(ConstantLR);
