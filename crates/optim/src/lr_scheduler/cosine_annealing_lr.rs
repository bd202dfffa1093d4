//! `CosineAnnealingLR`: anneal the learning rate along a cosine from the base rate to `eta_min`
//! over `T_max` epochs.

use super::{attach_and_start, impl_lr_scheduler, Schedule, SchedulerCore};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use std::f64::consts::PI;
use tapegrad_autograd::Element;

/// `torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min=0)`.
///
/// PyTorch's `get_lr` is the *recursive* form, which this reproduces branch by branch (its floats
/// differ in the last bits from the closed form η_min + (η_base − η_min)(1 + cos(π e/T_max))/2):
///
/// ```text
/// e == 0:                               lr
/// first step with e > 0:                η_min + (base − η_min)(1 + cos(e π / T_max)) / 2
/// (e − 1 − T_max) % (2 T_max) == 0:     lr + (base − η_min)(1 − cos(π / T_max)) / 2
/// otherwise:                            (1 + cos(π e / T_max)) / (1 + cos(π (e − 1) / T_max))
///                                       · (lr − η_min) + η_min
/// ```
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{CosineAnnealingLR, LRScheduler, Optimizer, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let mut s = CosineAnnealingLR::new(&mut opt, 2, 0.0)?;
/// s.step(&mut opt);
/// assert!((opt.lr() - 0.5).abs() < 1e-15);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CosineAnnealingLR {
    core: SchedulerCore,
    t_max: usize,
    eta_min: f64,
}

impl CosineAnnealingLR {
    /// Attaches to `opt` and performs PyTorch's initial step. `t_max` must be positive.
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        t_max: usize,
        eta_min: f64,
    ) -> Result<Self, OptimError> {
        if t_max == 0 {
            return Err(OptimError::InvalidHyperparameter(
                "CosineAnnealingLR: T_max must be a positive integer, got 0".into(),
            ));
        }
        Ok(attach_and_start(opt, |core| CosineAnnealingLR {
            core,
            t_max,
            eta_min,
        }))
    }
}

impl Schedule for CosineAnnealingLR {
    fn get_lr(&self, c: &SchedulerCore, cur: &[f64]) -> Vec<f64> {
        let e = c.last_epoch;
        let t_max = self.t_max as f64;
        let eta_min = self.eta_min;
        if e == 0 {
            return cur.to_vec();
        }
        let ef = e as f64;
        if c.step_count == 1 && e > 0 {
            return c.map_base_lrs(|base| {
                eta_min + (base - eta_min) * (1.0 + (ef * PI / t_max).cos()) / 2.0
            });
        }
        // In i128: `t_max` may be any usize (PyTorch's T_max is an unbounded Python int), and
        // `2 * t_max` overflows i64 (to a zero divisor) from t_max = 2^63 on.
        let period = 2 * self.t_max as i128;
        if (e as i128 - 1 - self.t_max as i128).rem_euclid(period) == 0 {
            return cur
                .iter()
                .zip(&c.base_lrs)
                .map(|(lr, base)| lr + (base - eta_min) * (1.0 - (PI / t_max).cos()) / 2.0)
                .collect();
        }
        cur.iter()
            .map(|lr| {
                (1.0 + (PI * ef / t_max).cos()) / (1.0 + (PI * (ef - 1.0) / t_max).cos())
                    * (lr - eta_min)
                    + eta_min
            })
            .collect()
    }

    fn closed_form(&self) -> Option<Vec<f64>> {
        let (e, t_max, eta_min) = (self.core.last_epoch as f64, self.t_max as f64, self.eta_min);
        Some(
            self.core.map_base_lrs(|base| {
                eta_min + (base - eta_min) * (1.0 + (PI * e / t_max).cos()) / 2.0
            }),
        )
    }
}

impl_lr_scheduler!(CosineAnnealingLR);
