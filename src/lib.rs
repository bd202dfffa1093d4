//! # tapegrad
//!
//! A small PyTorch-style deep-learning framework: tensors with a tape-based autograd
//! ([`autograd`]), `torch.nn`-style modules ([`nn`]) and `torch.optim`-identical optimizers
//! ([`optim`]). Most programs only need the [`prelude`].
//!
//! ```
//! use tapegrad::prelude::*;
//! let w = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad_(true);
//! let loss = (&w * 3.0).sum();
//! loss.backward();
//! assert_eq!(w.grad().unwrap().item(), 3.0);
//! ```

pub use tapegrad_autograd as autograd;
pub use tapegrad_nn as nn;
pub use tapegrad_optim as optim;

pub mod checkpoint;

/// The names a training script uses, in one import: `use tapegrad::prelude::*;`.
pub mod prelude {
    pub use tapegrad_autograd::{
        grad, manual_seed, no_grad, BackwardOptions, DType, Element, Tensor, TensorError,
    };
}
