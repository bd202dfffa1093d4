//! # tapegrad-train
//!
//! What a training run keeps beyond the model: [`checkpoint`]s that resume exactly (model,
//! optimizer, scheduler, epoch and random generators in one safetensors file). The facade
//! re-exports it as `tapegrad::checkpoint`.

#![warn(missing_docs)]

pub mod checkpoint;
