//! The `digits` example's parts besides its training loop: the flags, the data split, the
//! model, evaluation and the report; [`error`] says why a run stops, [`resume`] reads and
//! writes its checkpoints.

pub mod error;
pub mod resume;

pub use error::DigitsError;

use crate::parse::positive_lr;
use crate::scripts::data_file;
use clap::builder::RangedU64ValueParser;
use clap::Parser;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use tapegrad::nn::data::{read_csv_classification, CsvSpec};
use tapegrad::nn::{
    load_safetensors, targets_as_indices, Linear, Module, ReLU, Sequential, StateDictError,
    TensorDataset,
};
use tapegrad::prelude::*;

/// Number of classes (digits 0–9).
pub const CLASSES: usize = 10;
/// Pixels per image (8×8).
pub const FEATURES: usize = 64;
/// The checkpoint file name inside `--checkpoint-dir`.
pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";

/// Handwritten digits (8×8, UCI / scikit-learn) with a 64-128-64-10 ReLU MLP and Adam.
#[derive(Parser, Debug, Clone)]
pub struct Cli {
    /// Number of passes over the training set.
    #[arg(long, default_value_t = 30, value_parser = RangedU64ValueParser::<usize>::new().range(1..=100_000))]
    pub epochs: usize,
    /// Seed of the weight initialisation and of the shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Seed of the fixed train/test permutation (see the example's documentation).
    #[arg(long, default_value_t = 42)]
    pub split_seed: u64,
    /// Adam's learning rate (positive, finite).
    #[arg(long, default_value_t = 1e-3, value_parser = |s: &str| positive_lr(s, "0.001", "positive and finite"))]
    pub lr: f64,
    /// Samples per mini-batch.
    #[arg(long, default_value_t = 64, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub batch_size: usize,
    /// The CSV file (64 pixel columns p0..p63 and a `label` column).
    #[arg(long, default_value_os_t = data_file("digits.csv"))]
    pub data: PathBuf,
    /// No progress bar (it is also off when stdout is not a terminal).
    #[arg(long)]
    pub quiet: bool,
    /// Write the trained model's weights (safetensors, PyTorch's nn.Sequential names).
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
    /// Load weights from FILE and print the test accuracy, without training.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["save", "resume", "checkpoint_dir", "plot"])]
    pub eval: Option<PathBuf>,
    /// Write a checkpoint to DIR/checkpoint.safetensors after every epoch.
    #[arg(long, value_name = "DIR")]
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue a run from a checkpoint written with --checkpoint-dir.
    #[arg(long, value_name = "FILE")]
    pub resume: Option<PathBuf>,
    /// Write the train-loss and test-accuracy curves (PNG or SVG, by extension).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Report the first operation that produces NaN/Inf (forward or backward) and stop.
    #[arg(long)]
    pub detect_anomaly: bool,
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Report {
    /// Per trained epoch (all epochs when resumed): mean training loss over the epoch's samples.
    pub train_losses: Vec<f32>,
    /// Per trained epoch: test accuracy after it (0–1).
    pub test_accuracies: Vec<f64>,
    /// Final test accuracy (0–1).
    pub accuracy: f64,
    /// `confusion[true][predicted]` counts on the test set.
    pub confusion: [[usize; CLASSES]; CLASSES],
    /// The final weights.
    pub state: tapegrad::nn::StateDict,
    /// Seconds spent in the training loop (0 for `--eval`).
    pub train_seconds: f64,
}

/// The network, named as PyTorch's `nn.Sequential` of the same layers.
pub fn build_model() -> Sequential {
    Sequential::new()
        .add(Linear::new(FEATURES, 128))
        .add(ReLU::new())
        .add(Linear::new(128, 64))
        .add(ReLU::new())
        .add(Linear::new(64, CLASSES))
}

/// The permuted row indices of the fixed split: the first `floor(0.8 n)` are training rows.
pub fn split_permutation(n: usize, split_seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(split_seed);
    let mut idx: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.gen_range(0..=i as u32) as usize;
        idx.swap(i, j);
    }
    idx
}

/// The train and test sets: inputs scaled by 1/16, the split drawn by [`split_permutation`].
pub fn load_split(cli: &Cli) -> Result<(TensorDataset, TensorDataset), DigitsError> {
    let all: TensorDataset = read_csv_classification(&cli.data, &CsvSpec::new("label", CLASSES))?;
    let (rows, features) = (all.len(), all.inputs().shape()[1]);
    if features != FEATURES || rows < 5 {
        return Err(DigitsError::DataShape {
            file: cli.data.clone(),
            features,
            rows,
        });
    }
    let idx = split_permutation(rows, cli.split_seed);
    let n_train = rows * 4 / 5;
    let scaled = TensorDataset::new(all.inputs() * (1.0 / 16.0), all.targets().clone());
    let (xtr, ytr) = scaled.batch(&idx[..n_train]);
    let (xte, yte) = scaled.batch(&idx[n_train..]);
    Ok((TensorDataset::new(xtr, ytr), TensorDataset::new(xte, yte)))
}

/// Test accuracy and confusion matrix of `model` on `test`.
pub fn evaluate(model: &dyn Module, test: &TensorDataset) -> (f64, [[usize; CLASSES]; CLASSES]) {
    let logits = no_grad(|| model.forward(test.inputs()));
    let predicted = logits.argmax(Some(1), false).to_vec();
    let truth = targets_as_indices(test.targets());
    let mut confusion = [[0usize; CLASSES]; CLASSES];
    for (&t, &p) in truth.iter().zip(&predicted) {
        confusion[t][p as usize] += 1;
    }
    let correct: usize = (0..CLASSES).map(|c| confusion[c][c]).sum();
    (correct as f64 / truth.len() as f64, confusion)
}

/// `--eval FILE`: loads the weights into `model`, refuses non-finite ones, prints the test
/// accuracy and the confusion matrix.
pub fn evaluate_file(
    model: &Sequential,
    path: &Path,
    test: &TensorDataset,
    out: &mut dyn Write,
) -> Result<Report, DigitsError> {
    let sd = load_safetensors(path)?;
    model.load_state_dict(&sd).map_err(StateDictError::from)?;
    let bad = sd.non_finite();
    if !bad.is_empty() {
        return Err(DigitsError::NonFiniteWeights {
            file: path.to_path_buf(),
            tensors: bad.into_iter().map(|(n, k)| (n.to_string(), k)).collect(),
        });
    }
    let (accuracy, confusion) = evaluate(model, test);
    writeln!(
        out,
        "{}: test accuracy {:.2} % ({} images)",
        path.display(),
        100.0 * accuracy,
        test.len()
    )?;
    write_confusion(out, &confusion)?;
    Ok(Report {
        train_losses: vec![],
        test_accuracies: vec![],
        accuracy,
        confusion,
        state: model.state_dict(),
        train_seconds: 0.0,
    })
}

/// `--plot FILE`: the train-loss and test-accuracy curves against the epoch.
pub fn plot_curves(
    path: &Path,
    train_losses: &[f32],
    test_accuracies: &[f64],
) -> Result<(), tapegrad_plot::PlotError> {
    let x = |i: usize| (i + 1) as f64;
    let series = [
        tapegrad_plot::Series::new(
            "train loss",
            train_losses
                .iter()
                .enumerate()
                .map(|(i, &v)| (x(i), v as f64))
                .collect(),
        ),
        tapegrad_plot::Series::new(
            "test accuracy",
            test_accuracies
                .iter()
                .enumerate()
                .map(|(i, &v)| (x(i), v))
                .collect(),
        ),
    ];
    tapegrad_plot::line_chart(
        path,
        "digits: 64-128-64-10 MLP, Adam",
        "epoch",
        "loss / accuracy",
        &series,
    )
}

/// The message of a caught panic.
pub fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Prints `confusion[true][predicted]` with row and column labels.
pub fn write_confusion(
    out: &mut dyn Write,
    confusion: &[[usize; CLASSES]; CLASSES],
) -> io::Result<()> {
    writeln!(
        out,
        "confusion matrix (rows: true digit, columns: predicted digit)"
    )?;
    write!(out, "     ")?;
    for c in 0..CLASSES {
        write!(out, "{c:>4}")?;
    }
    writeln!(out)?;
    for (t, row) in confusion.iter().enumerate() {
        write!(out, "  {t:>2} ")?;
        for n in row {
            write!(out, "{n:>4}")?;
        }
        writeln!(out)?;
    }
    Ok(())
}
