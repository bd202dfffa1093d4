//! `MultiplicativeLR`: multiply the learning rate by a function of the epoch at every step.

use super::lambda_lr::{lambda_constructors, Lambdas, LrLambda};
use super::{impl_lr_scheduler, Schedule, SchedulerCore};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// `torch.optim.lr_scheduler.MultiplicativeLR(optimizer, lr_lambda)`: at each step after the
/// initial one, lr ← lr · λ(epoch).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{MultiplicativeLR, Optimizer, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 1.0, ..Default::default() })?;
/// let mut s = MultiplicativeLR::new(&mut opt, |_| 0.5)?;
/// s.step(&mut opt);
/// s.step(&mut opt);
/// assert_eq!(opt.lr(), 0.25);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug)]
pub struct MultiplicativeLR {
    core: SchedulerCore,
    lambdas: Lambdas,
}

lambda_constructors!(MultiplicativeLR);

impl Schedule for MultiplicativeLR {
    fn get_lr(&self, c: &SchedulerCore, cur: &[f64]) -> Vec<f64> {
        if c.initial {
            return cur.to_vec();
        }
        cur.iter()
            .zip(&self.lambdas.0)
            .map(|(lr, f)| lr * f(c.last_epoch))
            .collect()
    }
}

impl_lr_scheduler!(MultiplicativeLR);
