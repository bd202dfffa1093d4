//! # tapegrad-autograd
//!
//! The core of tapegrad: [`Tensor`], an n-dimensional array of `f32` (default) or `f64` on
//! [`ndarray`], and a tape that records every operation so that [`Tensor::backward`] can run
//! reverse-mode differentiation, with PyTorch's semantics (broadcasting, gradient accumulation,
//! `no_grad`, `retain_grad`, hooks, `create_graph` for higher-order derivatives).
//!
//! ```
//! use tapegrad_autograd::Tensor;
//! // Fit y = 2x with one weight, as the first lecture does.
//! let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
//! let y = Tensor::from_vec(vec![2.0f32, 4.0, 6.0], &[3]);
//! let w = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad_(true);
//! for _ in 0..100 {
//!     let loss = (&x * &w - &y).pow(2.0).mean();
//!     loss.backward();
//!     let g = w.grad().unwrap();
//!     *w.data_mut() -= &(&*g.data() * 0.05);
//!     w.zero_grad();
//! }
//! assert!((w.item() - 2.0).abs() < 1e-4);
//! ```
//!
//! Layout: [`tensor`] (the handle, creation, inspection) and its child [`graph`] (the
//! recording: `Node`, `Op`),
//! [`backward`] (the walk), [`ops`] (one file per op or op family: forward and backward side by side),
//! [`grad_mode`], [`rng`], [`gradcheck`], [`kernels`].

#![warn(missing_docs)]

pub mod anomaly;
mod arc;
pub mod backward;
pub mod buffer_cache;
mod display;
pub mod element;
pub mod error;
mod free_lists;
pub mod function;
pub mod grad_mode;
pub mod gradcheck;
pub mod graph_listing;
pub mod kernels;
pub mod ops;
pub mod rng;
pub mod shape;
pub mod storage;
pub mod tensor;
pub use tensor::graph;
pub mod threads;
pub mod warnings;

pub use anomaly::{detect_anomaly, set_detect_anomaly};
pub use backward::{grad, BackwardOptions, BackwardStep};
pub use element::{DType, Element, Scalar};
pub use error::TensorError;
pub use function::{Function, FunctionCtx};
pub use grad_mode::{enable_grad, is_grad_enabled, no_grad, set_grad_enabled, GradModeGuard};
pub use gradcheck::{gradcheck, gradgradcheck, GradcheckError};
pub use graph::{BackwardCtx, InputGrads, Op};
pub use graph_listing::GraphListing;
pub use ops::{InplaceRhs, SliceArg, SliceArgs, TensorOrScalar};
pub use rng::{
    default_generator, initial_seed, manual_seed, rng_state, set_rng_state, Generator, RngState,
    RngStateError,
};
pub use shape::Shape;

/// The former name of [`GraphListing`] (a listing of the graph behind a tensor, not a tape
/// that records: recording is every op's, in `tensor/graph.rs`).
#[deprecated(note = "renamed GraphListing: it lists the recorded graph behind a tensor")]
pub type Tape<T> = GraphListing<T>;

/// The former name of the [`graph_listing`] module.
#[deprecated(note = "renamed graph_listing")]
pub mod tape {
    #[allow(deprecated)]
    pub use super::Tape;
    pub use crate::graph_listing::*;
}
pub use tensor::{live_graph_nodes, Tensor};
pub use threads::{get_num_threads, init_threads, ThreadsError};
pub use warnings::{warning_count, warnings_printed, Warning};

/// Loss functions, `embedding`, `dropout`, `layer_norm`, `native_batch_norm` (and its eval
/// mode, `native_batch_norm_eval`) and `lstm_cell`, as `torch.nn.functional` (and `torch`)
/// name them, and `lstm_sequence`, one LSTM layer's recurrence as one op (what `torch.nn.LSTM`
/// runs on the CPU).
pub mod functional {
    pub use crate::ops::batch_norm::{native_batch_norm, native_batch_norm_eval};
    pub use crate::ops::conv::check_stride_dilation;
    pub use crate::ops::dropout::{dropout, dropout_noise};
    pub use crate::ops::index::{embedding, embedding_with_padding};
    pub use crate::ops::layer_norm::{check_normalized_shape, layer_norm};
    pub use crate::ops::losses::{
        binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_with,
        l1_loss, mse_loss, nll_loss, nll_loss_with, ClassTargets, CrossEntropyOptions,
        CrossEntropyTarget, IntoClassIndices, IntoCrossEntropyTarget, NllLossOptions, Reduction,
        IGNORE_INDEX,
    };
    pub use crate::ops::lstm_cell::lstm_cell;
    pub use crate::ops::lstm_sequence::lstm_sequence;
    pub use crate::ops::pool::check_adaptive_pool2d;
}
