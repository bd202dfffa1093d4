//! # tapegrad-optim
//!
//! `torch.optim` for tapegrad: [`SGD`], [`Adagrad`], [`RMSprop`], [`Adam`], [`AdamW`], [`Adamax`],
//! [`NAdam`], [`RAdam`], [`Adadelta`], [`Rprop`], [`ASGD`] and [`LBFGS`] with
//! every hyper-parameter of PyTorch's classes, PyTorch's defaults, its validation messages, and
//! its update rules evaluated in the same order and precision as PyTorch's single-tensor CPU
//! implementation (Python-float coefficients computed in `f64`, rounded to the tensor's type where
//! they meet it), so that a training run reproduces PyTorch's numbers. Learning-rate schedulers
//! live in [`lr_scheduler`].
//!
//! ```
//! use tapegrad_autograd::Tensor;
//! use tapegrad_optim::{Optimizer, SgdConfig, SGD};
//! let w: Tensor = Tensor::from_vec(vec![0.0, 0.0], &[2]).requires_grad_(true);
//! let target: Tensor = Tensor::from_vec(vec![1.0, -2.0], &[2]);
//! let mut opt = SGD::new(vec![w.clone()], SgdConfig { lr: 0.1, momentum: 0.6, ..Default::default() })?;
//! for _ in 0..200 {
//!     opt.zero_grad();
//!     (&w - &target).pow(2.0).sum().backward();
//!     opt.step();
//! }
//! assert!((w.to_vec()[1] + 2.0).abs() < 1e-4);
//! # Ok::<(), tapegrad_optim::OptimError>(())
//! ```
//!
//! Layout: [`optimizer`] (the [`Optimizer`] trait, the [`Algorithm`] trait and [`Optim`], the
//! parameter-group / state / step / `state_dict` machinery written once), [`param_group`]
//! (groups and the [`Hyperparameters`] trait: a config's values by PyTorch name), one file per
//! optimizer ([`sgd`], [`adagrad`], [`rmsprop`], [`adam`], [`adamw`]) with its PyTorch
//! pseudo-code in the module doc, its config, its state and its update kernel, [`state`]
//! (`state_dict` and its named-tensor form), [`lr_scheduler`] (one file per scheduler). What the
//! optimizer files share lives once, in crate-private modules: `kernel` (PyTorch's per-element
//! arithmetic, Adam's moment updates, the element loop), `decay` (weight decay and `maximize`:
//! the gradient an update starts from) and `saved_fields` (a state's fields listed once for
//! save and load, `param_state!`).
//!
//! **"State", four things, four names.** An optimizer's *live* per-parameter buffers are its
//! state (PyTorch's `optimizer.state`): one `…State` type per optimizer ([`AdamState`]: `step`,
//! `exp_avg`, `exp_avg_sq`), behind the [`ParamState`] trait. What `state_dict()` returns is a
//! *state dict*: [`OptimizerStateDict`], made of one [`SavedParamState`] per parameter (copies of
//! its buffers) and one [`SavedParamGroup`] per group (its saved hyper-parameters); a scheduler's
//! counters (`last_epoch`, `_step_count`, …) save as a [`SchedulerStateDict`]. The saved forms'
//! layout (PyTorch's keys) is unchanged by these names; the old names remain as deprecated
//! aliases.
//!
//! Adding an optimizer is one file (an [`Algorithm`]) and one line here
//! (`pub type Name<T = f32> = Optim<NameAlgorithm, T>` lives in its file; `lib.rs` re-exports it).

#![warn(missing_docs)]
// Hyper-parameter checks are written `!(0.0 <= x)` as PyTorch's `if not 0.0 <= x`, so that NaN is
// refused too; updates are written `*p = *p + ...` to read like the pseudo-code they implement.
#![allow(clippy::neg_cmp_op_on_partial_ord, clippy::assign_op_pattern)]

pub mod adadelta;
pub mod adagrad;
pub mod adam;
pub mod adamax;
pub mod adamw;
pub mod asgd;
mod decay;
pub mod denormal;
pub mod error;
mod kernel;
pub mod lbfgs;
pub mod lr_scheduler;
pub mod nadam;
pub mod optimizer;
pub mod param_group;
pub mod radam;
pub mod rmsprop;
pub mod rprop;
mod saved_fields;
pub mod sgd;
pub mod state;

pub use adadelta::{Adadelta, AdadeltaAlgorithm, AdadeltaConfig, AdadeltaState};
pub use adagrad::{Adagrad, AdagradAlgorithm, AdagradConfig, AdagradState};
pub use adam::{Adam, AdamAlgorithm, AdamConfig, AdamState};
pub use adamax::{Adamax, AdamaxAlgorithm, AdamaxConfig, AdamaxState};
pub use adamw::{AdamW, AdamWAlgorithm, AdamWConfig};
pub use asgd::{AsgdAlgorithm, AsgdConfig, AsgdState, ASGD};
pub use denormal::set_flush_denormal;
pub use error::OptimError;
pub use lbfgs::{LbfgsConfig, LineSearch, LBFGS};
pub use lr_scheduler::{
    AnnealStrategy, ChainedScheduler, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts,
    CyclicLR, CyclicLRConfig, CyclicMode, ExponentialLR, LRScheduler, LambdaLR, LinearLR, LrLambda,
    MultiStepLR, MultiplicativeLR, OneCycleLR, OneCycleLRConfig, PlateauMode, PolynomialLR,
    ReduceLROnPlateau, ReduceLROnPlateauConfig, SchedulerStateDict, SequentialLR, StepLR,
    ThresholdMode,
};
pub use nadam::{NAdam, NAdamAlgorithm, NAdamConfig, NAdamState};
pub use optimizer::{Algorithm, Optim, Optimizer, ParamState};
pub use param_group::{Hyper, Hyperparameters, ParamGroup};
pub use radam::{RAdam, RAdamAlgorithm, RAdamConfig, RAdamState};
pub use rmsprop::{RMSprop, RmsPropAlgorithm, RmsPropConfig, RmsPropState};
pub use rprop::{Rprop, RpropAlgorithm, RpropConfig, RpropState};
pub use sgd::{SgdAlgorithm, SgdConfig, SgdState, SGD};
pub use state::{OptimizerStateDict, SavedParamGroup, SavedParamState};

/// The former name of [`OptimizerStateDict`].
#[deprecated(note = "renamed OptimizerStateDict: it is what `state_dict()` returns")]
pub type OptimizerState<T = f32> = OptimizerStateDict<T>;
/// The former name of [`SavedParamGroup`].
#[deprecated(note = "renamed SavedParamGroup: one group's saved hyper-parameters")]
pub type GroupState = SavedParamGroup;
/// The former name of [`SavedParamState`].
#[deprecated(note = "renamed SavedParamState: one parameter's saved buffers")]
pub type ParamStateEntry<T = f32> = SavedParamState<T>;
/// The former name of [`SchedulerStateDict`].
#[deprecated(note = "renamed SchedulerStateDict: it is what a scheduler's `state_dict()` returns")]
pub type SchedulerState = SchedulerStateDict;
