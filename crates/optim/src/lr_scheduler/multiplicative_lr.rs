//! `MultiplicativeLR`: multiply the learning rate by a function of the epoch at every step.

use super::lambda_lr::{Lambdas, LrLambda};
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

impl MultiplicativeLR {
    /// One function for every group; attaches and performs PyTorch's initial step.
    pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        lr_lambda: impl Fn(i64) -> f64 + Send + Sync + Clone + 'static,
    ) -> Result<Self, OptimError> {
        let lambdas = Lambdas::one_per_group(opt.num_param_groups(), lr_lambda);
        Self::with_lambdas(opt, lambdas.0)
    }

    /// One function per group (PyTorch's list form); their number must equal the group count.
    pub fn with_lambdas<T: Element, O: Optimizer<T> + ?Sized>(
        opt: &mut O,
        lambdas: Vec<LrLambda>,
    ) -> Result<Self, OptimError> {
        let lambdas = Lambdas::checked(opt.num_param_groups(), lambdas)?;
        let mut s = MultiplicativeLR {
            core: SchedulerCore::attach(opt),
            lambdas,
        };
        s.initial_step(opt);
        Ok(s)
    }
}

impl Schedule for MultiplicativeLR {
    fn core(&self) -> &SchedulerCore {
        &self.core
    }

    fn core_mut(&mut self) -> &mut SchedulerCore {
        &mut self.core
    }

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
