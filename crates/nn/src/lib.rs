//! # tapegrad-nn
//!
//! `torch.nn` for tapegrad: the [`Module`] trait, layers ([`Linear`], [`Conv2d`], pooling,
//! activations, [`Sequential`]), [`init`], losses (as modules and in [`functional`]), data loading
//! ([`TensorDataset`], [`DataLoader`]) and state dicts in safetensors files that PyTorch reads
//! and writes. Names, defaults, parameter names and initialisation follow `torch.nn`, so
//! PyTorch code ports line by line.
//!
//! The lecture network (a 2-3-2-12-2 sigmoid MLP whose layers are `Sequential(Linear,
//! Sigmoid)` attributes) is [`lecture::MyNet`], about fifteen lines with PyTorch's parameter
//! names and summary; `#[derive(Module)]` registers its fields as submodules, as PyTorch's
//! `__setattr__` does:
//!
//! ```
//! use tapegrad_autograd::{manual_seed, Tensor};
//! use tapegrad_nn::lecture::MyNet;
//! use tapegrad_nn::{MSELoss, Module};
//!
//! manual_seed(0);
//! let net: MyNet = MyNet::new(2, 2);
//! let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
//! assert_eq!(names, ["hide1.0.weight", "hide1.0.bias", "hide2.0.weight", "hide2.0.bias",
//!                    "hide3.0.weight", "hide3.0.bias", "out.0.weight", "out.0.bias"]);
//! assert!(net.summary().starts_with(
//!     "MyNet(\n  (hide1): Sequential(\n    (0): Linear(in_features=2, out_features=3, bias=True)\n    (1): Sigmoid()\n  )\n"));
//!
//! let input = Tensor::from_vec(vec![0.5f32, 0.1, 0.05, 0.18, 0.05, 0.31], &[3, 2]);
//! let target = Tensor::from_vec(vec![1.0f32, 2.0, 0.0, 3.0, 1.0, 123.0], &[3, 2]);
//! let loss = MSELoss::new().forward(&net.forward(&input), &target);
//! net.zero_grad();
//! loss.backward();
//! assert!(net.parameters().iter().all(|p| p.grad().is_some()));
//! ```

#![warn(missing_docs)]

// Lets `#[derive(Module)]`'s `::tapegrad_nn::…` paths resolve inside this crate too.
extern crate self as tapegrad_nn;

mod builder;
pub mod data;
pub mod functional;
pub mod init;
pub mod layers;
pub mod lecture;
pub mod loss;
pub mod module;
pub mod safetensors_io;
pub mod state_dict;
pub mod utils;

pub use data::{
    random_split, random_split_with, targets_as_indices, DataLoader, Dataset, Subset, TensorDataset,
};
pub use layers::{
    AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, BatchNorm, BatchNorm1d, BatchNorm2d, Conv1d,
    Conv2d, ConvNd, ConvOptions, ConvPadding, ConvTranspose2d, Dropout, Dropout2d, Embedding,
    Flatten, GroupNorm, Hardsigmoid, Hardswish, Identity, IntOrPair, KernelSize, LayerNorm,
    LeakyReLU, Linear, LogSigmoid, LogSoftmax, MaxPool1d, MaxPool2d, Mish, ModuleDict, ModuleList,
    MultiheadAttention, RMSNorm, ReLU, ReLU6, RecurrentLayer, RnnOptions, RnnState, Sequential,
    SiLU, Sigmoid, Softmax, Softsign, Tanh, GELU, GRU, LSTM, RNN, SELU,
};
pub use loss::{
    BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, HuberLoss, KLDivLoss,
    KLDivReduction, L1Loss, MSELoss, MarginRankingLoss, NLLLoss, Reduction, SmoothL1Loss,
};
pub use module::{AsModule, Module};
#[doc = include_str!("derive_module.md")]
pub use tapegrad_nn_derive::Module;

/// Names the code of `#[derive(Module)]` refers to; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use tapegrad_autograd::Tensor;
}
pub use safetensors_io::{load_safetensors, save_safetensors, StateDictError};
pub use state_dict::{IncompatibleKeys, LoadError, SizeMismatch, StateDict};
