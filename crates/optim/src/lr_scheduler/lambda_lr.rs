//! `LambdaLR`: the learning rate is the base rate times a function of the epoch.

use super::{impl_lr_scheduler, Schedule, SchedulerCore};
use crate::error::OptimError;
use crate::optimizer::Optimizer;
use tapegrad_autograd::Element;

/// A learning-rate multiplier as a function of the epoch.
pub type LrLambda = Box<dyn Fn(i64) -> f64 + Send + Sync>;

/// `torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)`: lr_e = base_lr · λ(e).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{LRScheduler, LambdaLR, Optimizer, SgdConfig, SGD};
/// let mut opt = SGD::new(vec![Tensor::<f32>::zeros(&[1])], SgdConfig { lr: 0.1, ..Default::default() })?;
/// let mut s = LambdaLR::new(&mut opt, |e| 0.5f64.powi(e as i32))?;
/// s.step(&mut opt);
/// assert_eq!(opt.lr(), 0.05);
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
#[derive(Debug)]
pub struct LambdaLR {
    core: SchedulerCore,
    lambdas: Lambdas,
}

/// One `lr_lambda` per group (LambdaLR's and MultiplicativeLR's argument).
pub(crate) struct Lambdas(pub(crate) Vec<LrLambda>);

impl std::fmt::Debug for Lambdas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[{} lr_lambdas]", self.0.len())
    }
}

impl Lambdas {
    /// `lr_lambda` for each of `n` groups.
    pub(crate) fn one_per_group(
        n: usize,
        lr_lambda: impl Fn(i64) -> f64 + Send + Sync + Clone + 'static,
    ) -> Self {
        Lambdas(
            (0..n)
                .map(|_| Box::new(lr_lambda.clone()) as LrLambda)
                .collect(),
        )
    }

    /// PyTorch's list form: the count must be the group count `n`.
    pub(crate) fn checked(n: usize, lambdas: Vec<LrLambda>) -> Result<Self, OptimError> {
        if lambdas.len() != n {
            return Err(OptimError::InvalidHyperparameter(format!(
                "Expected {n} lr_lambdas, but got {}",
                lambdas.len()
            )));
        }
        Ok(Lambdas(lambdas))
    }
}

/// The constructors LambdaLR and MultiplicativeLR share, for a scheduler `$ty { core, lambdas }`:
/// `new` (one function for every group) and `with_lambdas` (PyTorch's list form).
macro_rules! lambda_constructors {
    ($ty:ident) => {
        impl $ty {
            /// One function for every group; attaches and performs PyTorch's initial step.
            pub fn new<T: Element, O: Optimizer<T> + ?Sized>(
                opt: &mut O,
                lr_lambda: impl Fn(i64) -> f64 + Send + Sync + Clone + 'static,
            ) -> Result<Self, OptimError> {
                let lambdas = Lambdas::one_per_group(opt.num_param_groups(), lr_lambda);
                Self::with_lambdas(opt, lambdas.0)
            }

            /// One function per group (PyTorch's list form); their number must equal the group
            /// count.
            pub fn with_lambdas<T: Element, O: Optimizer<T> + ?Sized>(
                opt: &mut O,
                lambdas: Vec<LrLambda>,
            ) -> Result<Self, OptimError> {
                let lambdas = Lambdas::checked(opt.num_param_groups(), lambdas)?;
                Ok($crate::lr_scheduler::attach_and_start(opt, |core| $ty {
                    core,
                    lambdas,
                }))
            }
        }
    };
}
pub(crate) use lambda_constructors;

lambda_constructors!(LambdaLR);

impl Schedule for LambdaLR {
    fn get_lr(&self, c: &SchedulerCore, _cur: &[f64]) -> Vec<f64> {
        c.base_lrs
            .iter()
            .zip(&self.lambdas.0)
            .map(|(base, f)| base * f(c.last_epoch))
            .collect()
    }
}

impl_lr_scheduler!(LambdaLR);
