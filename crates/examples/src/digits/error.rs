//! [`DigitsError`]: why a `digits` run stopped early.

use super::FEATURES;
use std::io;
use std::path::PathBuf;
use tapegrad::checkpoint::CheckpointError;
use tapegrad::nn::data::CsvError;
use tapegrad::nn::StateDictError;

/// Why a run stopped early.
#[derive(Debug, thiserror::Error)]
pub enum DigitsError {
    /// The data file is unreadable or malformed.
    #[error(transparent)]
    Data(#[from] CsvError),
    /// The data file reads but is not the digits table.
    #[error("{file}: expected {FEATURES} pixel columns and at least 5 rows, got {features} columns and {rows} rows")]
    DataShape {
        /// The file.
        file: PathBuf,
        /// Feature columns found.
        features: usize,
        /// Rows found.
        rows: usize,
    },
    /// Weights could not be saved or loaded (`--save`, `--eval`).
    #[error(transparent)]
    Weights(#[from] StateDictError),
    /// A checkpoint could not be saved, read or restored.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The checkpoint was written by another recipe.
    #[error("{file}: this checkpoint was written with {key} = {found}, but this run has {expected}; pass the same value to resume")]
    ResumeMismatch {
        /// The checkpoint.
        file: PathBuf,
        /// The setting.
        key: String,
        /// Its value in the checkpoint.
        found: String,
        /// Its value in this run.
        expected: String,
    },
    /// The checkpoint is past the last epoch of this run.
    #[error("{file}: this checkpoint was written after epoch {epoch}, past --epochs {epochs}; pass --epochs {epoch} or more to continue from it")]
    ResumePastEnd {
        /// The checkpoint.
        file: PathBuf,
        /// Epochs finished in the checkpoint.
        epoch: u64,
        /// `--epochs`.
        epochs: usize,
    },
    /// The weights to evaluate hold NaN or infinite values.
    #[error("{}: the weights hold NaN or infinite values ({}): any accuracy computed from them would be meaningless; were they saved from a diverged run?", file.display(), list_counts(tensors))]
    NonFiniteWeights {
        /// The weights file.
        file: PathBuf,
        /// Each tensor holding such values, with how many.
        tensors: Vec<(String, usize)>,
    },
    /// The loss became NaN or infinite.
    #[error("the loss became {loss} at epoch {epoch}, batch {batch} (learning rate {lr:e}): training diverged; lower --lr or run with --detect-anomaly to find the operation")]
    NonFiniteLoss {
        /// 1-based epoch.
        epoch: usize,
        /// 1-based batch within the epoch.
        batch: usize,
        /// The loss value.
        loss: f32,
        /// The learning rate.
        lr: f64,
    },
    /// `--detect-anomaly` caught an operation producing NaN/Inf.
    #[error("epoch {epoch}: {message}")]
    Anomaly {
        /// 1-based epoch.
        epoch: usize,
        /// The anomaly report (operation name and input shapes).
        message: String,
    },
    /// The curves could not be plotted.
    #[error("--plot: {0}")]
    Plot(#[from] tapegrad_plot::PlotError),
    /// Writing the report failed.
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// `name: count, name: count` for an error message.
fn list_counts(tensors: &[(String, usize)]) -> String {
    tensors
        .iter()
        .map(|(n, k)| format!("{n}: {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}
