//! `CosineAnnealingWarmRestarts`: SGDR — cosine annealing from the base rate to `eta_min` over
//! `T_i` epochs, then a restart, with `T_i` multiplied by `T_mult` at each restart.

use super::{attach_and_start, impl_lr_scheduler, Schedule, SchedulerCore};
use crate::error::{py, OptimError};
use crate::optimizer::Optimizer;
use std::f64::consts::PI;
use tapegrad_autograd::Element;

/// `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0, T_mult=1,
/// eta_min=0.0)`, stepped without an epoch argument.
///
/// PyTorch's algorithm:
///
/// ```text
/// step():  T_cur ← T_cur + 1;  if T_cur ≥ T_i:  T_cur ← T_cur mod T_i,  T_i ← T_i · T_mult
/// lr = η_min + (base_lr − η_min) · (1 + cos(π · T_cur / T_i)) / 2
/// ```
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{CosineAnnealingWarmRestarts, Optimizer, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let mut s = CosineAnnealingWarmRestarts::new(&mut opt, 2, 2, 0.0)?;
/// let lrs: Vec<f64> = (0..4).map(|_| { s.step(&mut opt); opt.lr() }).collect();
/// // T_cur/T_i: 1/2, restart 0/4, 1/4, 2/4
/// assert!((lrs[0] - 0.5).abs() < 1e-15 && lrs[1] == 1.0 && (lrs[3] - 0.5).abs() < 1e-15);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CosineAnnealingWarmRestarts {
    core: SchedulerCore,
    t_0: u64,
    t_mult: u64,
    eta_min: f64,
    t_i: u64,
    t_cur: u64,
}

impl CosineAnnealingWarmRestarts {
    /// Attaches to `opt` and performs PyTorch's initial step; `t_0 ≥ 1`, `t_mult ≥ 1`.
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        t_0: u64,
        t_mult: u64,
        eta_min: f64,
    ) -> Result<Self, OptimError> {
        if t_0 == 0 {
            return Err(OptimError::InvalidHyperparameter(
                "Expected positive integer T_0, but got 0".into(),
            ));
        }
        if t_mult == 0 {
            return Err(OptimError::InvalidHyperparameter(
                "Expected integer T_mult >= 1, but got 0".into(),
            ));
        }
        if !eta_min.is_finite() {
            return Err(OptimError::InvalidHyperparameter(format!(
                "Expected float or int eta_min, but got {}",
                py(eta_min)
            )));
        }
        Ok(attach_and_start(opt, |core| CosineAnnealingWarmRestarts {
            core,
            t_0,
            t_mult,
            eta_min,
            t_i: t_0,
            t_cur: 0,
        }))
    }
}

impl Schedule for CosineAnnealingWarmRestarts {
    fn advance(&mut self) {
        if self.core.last_epoch == 0 {
            // The initial step is PyTorch's `step(epoch=0)`.
            self.t_i = self.t_0;
            self.t_cur = 0;
            return;
        }
        self.t_cur += 1;
        if self.t_cur >= self.t_i {
            self.t_cur %= self.t_i;
            self.t_i = self.t_i.saturating_mul(self.t_mult);
        }
    }

    fn get_lr(&self, c: &SchedulerCore, _cur: &[f64]) -> Vec<f64> {
        let (t_cur, t_i) = (self.t_cur as f64, self.t_i as f64);
        c.map_base_lrs(|base| {
            self.eta_min + (base - self.eta_min) * (1.0 + (PI * t_cur / t_i).cos()) / 2.0
        })
    }

    /// `T_cur` and `T_i` follow from `last_epoch`: walk the cycles (each at least as long as the
    /// last, so a saved count up to 2^53 takes at most 53 rounds with `T_mult ≥ 2`).
    fn reload(&mut self) {
        let mut e = self.core.last_epoch.max(0) as u64;
        let mut t_i = self.t_0;
        if self.t_mult == 1 {
            e %= t_i;
        } else {
            while e >= t_i {
                e -= t_i;
                t_i = t_i.saturating_mul(self.t_mult);
            }
        }
        self.t_cur = e;
        self.t_i = t_i;
    }
}

impl_lr_scheduler!(CosineAnnealingWarmRestarts);
