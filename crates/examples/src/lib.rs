//! # tapegrad-examples
//!
//! What the programs in `examples/` share, in a library so that their tests parse, build and
//! check exactly what the programs do (the tests run the programs themselves for their output):
//!
//! - [`lecture`]: the data of the lecture's sigmoid-net page (`input`, `target`), the net drawn
//!   from `--seed` or read from `--init`, and the JSON form of a run;
//! - [`all_optimizers`]: `all_optimizers`' flags;
//! - [`cli`] and [`parse`]: `sigmoid_net`'s flags (PyTorch's hyper-parameter names) and their
//!   parsers;
//! - [`optimizer`] and [`scheduler`]: the optimizer and the learning-rate scheduler the flags
//!   describe;
//! - [`error`]: why a run failed ([`AppError`]), and how that ends the program;
//! - [`scripts`] and [`pyfmt`]: what the six ported PyTorch training scripts share (their
//!   `--init`/`--save-init`/`--json` flags, state dicts, data files, Python's float format);
//! - [`digits`]: the `digits` example's flags, data split, model, report and checkpoints;
//! - [`numpy_gd`] and [`explain`]: `numpy_manual_gd`'s script and one iteration of it, and
//!   `--explain`'s narration of a step;
//! - [`learning_rates`], [`loss_landscape`] and [`feature_scaling`]: those examples' problems
//!   and optimizer runs (the programs print and plot them);
//! - [`hessian`]: `hessian_newton`'s loss and its Hessian three ways;
//! - [`show`]: `backprop_by_hand`'s matrices and vectors in aligned columns;
//! - [`workload`]: issue 13's MLP training step (`denormal_cliff` and the `train_step` bench);
//! - [`curve`]: the lecture examples' `--plot` line charts;
//! - [`exit`]: the end of every example's `main` (a closed pipe, `example | head`, is a quiet
//!   success).
//!
//! The network itself, `mynet`, is the library's: [`tapegrad_nn::lecture::MyNet`].

pub mod all_optimizers;
pub mod cli;
pub mod curve;
pub mod digits;
pub mod error;
pub mod exit;
pub mod explain;
pub mod feature_scaling;
pub mod hessian;
pub mod learning_rates;
pub mod lecture;
pub mod loss_landscape;
pub mod numpy_gd;
pub mod optimizer;
pub mod parse;
pub mod pyfmt;
pub mod scheduler;
pub mod scripts;
pub mod show;
pub mod workload;

pub use cli::{Cli, OptimizerKind};
pub use error::AppError;
pub use lecture::{INPUT, MAX_EPOCHS, TARGET};
pub use optimizer::build_optimizer;
pub use parse::{Betas, KwValue, Pair, SchedulerSpec, Target};
pub use scheduler::build_scheduler;
