//! `PolynomialLR`: decay the learning rate by a polynomial of the remaining fraction of
//! `total_iters`.

use super::{attach_and_start, impl_lr_scheduler, Schedule, SchedulerCore};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// `torch.optim.lr_scheduler.PolynomialLR(optimizer, total_iters=5, power=1.0)`.
///
/// PyTorch's `get_lr` (recursive form), for epochs 1 ..= total_iters (afterwards unchanged):
///
/// ```text
/// lr ← lr · ((1 − e / total_iters) / (1 − (e − 1) / total_iters))^power
/// ```
///
/// so that lr_e = base_lr · (1 − min(e, total_iters) / total_iters)^power.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Optimizer, PolynomialLR, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let mut s = PolynomialLR::new(&mut opt, 4, 2.0)?;
/// s.step(&mut opt);
/// assert_eq!(opt.lr(), 0.5625); // (1 − 1/4)²
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PolynomialLR {
    core: SchedulerCore,
    total_iters: u64,
    power: f64,
}

impl PolynomialLR {
    /// Attaches to `opt` and performs PyTorch's initial step (which leaves the rates). PyTorch
    /// does not check its arguments; `total_iters = 0` would divide by zero there, and is
    /// refused here.
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        total_iters: u64,
        power: f64,
    ) -> Result<Self, OptimError> {
        if total_iters == 0 {
            return Err(OptimError::InvalidHyperparameter(
                "PolynomialLR: total_iters must be a positive integer, got 0".into(),
            ));
        }
        Ok(attach_and_start(opt, |core| PolynomialLR {
            core,
            total_iters,
            power,
        }))
    }

    /// PyTorch's defaults: `total_iters = 5`, `power = 1`.
    pub fn with_defaults<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
    ) -> Result<Self, OptimError> {
        Self::new(opt, 5, 1.0)
    }
}

impl Schedule for PolynomialLR {
    fn get_lr(&self, c: &SchedulerCore, cur: &[f64]) -> Vec<f64> {
        if c.initial || c.last_epoch as i128 > self.total_iters as i128 {
            return cur.to_vec();
        }
        let (e, n) = (c.last_epoch as f64, self.total_iters as f64);
        let decay = ((1.0 - e / n) / (1.0 - (e - 1.0) / n)).powf(self.power);
        cur.iter().map(|lr| lr * decay).collect()
    }

    fn closed_form(&self) -> Option<Vec<f64>> {
        let n = self.total_iters as f64;
        let e = (self.core.last_epoch as f64).min(n);
        Some(
            self.core
                .map_base_lrs(|base| base * (1.0 - e / n).powf(self.power)),
        )
    }
}

impl_lr_scheduler!(PolynomialLR);
