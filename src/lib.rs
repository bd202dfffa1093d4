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

#![warn(missing_docs)]

pub use tapegrad_autograd as autograd;
pub use tapegrad_nn as nn;
pub use tapegrad_optim as optim;

/// Training checkpoints (the `tapegrad-train` crate): [`checkpoint::Checkpoint`].
pub use tapegrad_train::checkpoint;

/// The README's code, compiled and run as a doctest so it stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

/// The book's chapter on layers and modules, whose example is compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../docs/07_layers.md")]
pub struct LayersChapterDoctests;

/// The book's chapter on random numbers, whose example is compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../docs/09_random_numbers.md")]
pub struct RandomNumbersChapterDoctests;

/// The names a training script uses, in one import: `use tapegrad::prelude::*;`: tensors and
/// autograd, the `torch.nn` layers and losses, data loading, and the `torch.optim` optimizers
/// and schedulers. Losses, activations and the layers' ops are also under `F` (`F::mse_loss`,
/// `F::conv2d`, `F::gelu`), as in `import torch.nn.functional as F` (one `F`:
/// `tapegrad::nn::functional`).
///
/// ```
/// use tapegrad::prelude::*;
/// manual_seed(0);
/// let net = Sequential::new().add(Linear::new(2, 4)).add(Tanh::new()).add(Linear::new(4, 1));
/// let mut opt = SGD::new(net.parameters(), SgdConfig { lr: 0.1, ..Default::default() })?;
/// let x = Tensor::from_vec(vec![0.0f32, 1.0, 1.0, 0.0], &[2, 2]);
/// let y = Tensor::from_vec(vec![1.0f32, -1.0], &[2, 1]);
/// let first = MSELoss::new().forward(&net.forward(&x), &y).item();
/// for _ in 0..50 {
///     let loss = MSELoss::new().forward(&net.forward(&x), &y);
///     opt.zero_grad();
///     loss.backward();
///     opt.step();
/// }
/// assert!(F::mse_loss(&net.forward(&x), &y, Reduction::Mean).item() < first);
/// # Ok::<(), OptimError>(())
/// ```
///
/// `Module` is also the derive for custom modules (`class Net(nn.Module)`): the fields are
/// registered with PyTorch's names and `forward` is an ordinary method.
///
/// ```
/// use tapegrad::prelude::*;
/// #[derive(Module)]
/// struct Net { fc1: Linear, act: ReLU, fc2: Linear }
/// impl Net {
///     fn forward(&self, x: &Tensor) -> Tensor { self.fc2.forward(&self.act.forward(&self.fc1.forward(x))) }
/// }
/// let net = Net { fc1: Linear::new(2, 16), act: ReLU::new(), fc2: Linear::new(16, 1) };
/// assert_eq!(net.state_dict().keys(), ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
/// ```
pub mod prelude {
    #[allow(deprecated)]
    pub use tapegrad_autograd::Tape;
    pub use tapegrad_autograd::{
        detect_anomaly, grad, manual_seed, no_grad, BackwardOptions, DType, Element, GraphListing,
        Tensor, TensorError,
    };
    pub use tapegrad_nn::functional as F;
    pub use tapegrad_nn::{
        children, sequential, BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss,
        DataLoader, Flatten, HuberLoss, Identity, KLDivLoss, KLDivReduction, L1Loss, LeakyReLU,
        Linear, LogSoftmax, MSELoss, MarginRankingLoss, Module, NLLLoss, ReLU, Reduction,
        Sequential, Sigmoid, SmoothL1Loss, Softmax, Tanh, TensorDataset,
    };
    pub use tapegrad_optim::{
        Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig,
        Adamax, AdamaxConfig, AsgdConfig, ChainedScheduler, ConstantLR, CosineAnnealingLR,
        CosineAnnealingWarmRestarts, CyclicLR, CyclicLRConfig, ExponentialLR, Hyperparameters,
        LRScheduler, LambdaLR, LbfgsConfig, LinearLR, MultiStepLR, MultiplicativeLR, NAdam,
        NAdamConfig, OneCycleLR, OneCycleLRConfig, OptimError, Optimizer, PolynomialLR, RAdam,
        RAdamConfig, RMSprop, ReduceLROnPlateau, RmsPropConfig, Rprop, RpropConfig, SequentialLR,
        SgdConfig, StepLR, ASGD, LBFGS, SGD,
    };
}
