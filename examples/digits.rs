//! Handwritten digits (UCI / scikit-learn `load_digits`, 1797 8×8 images, data/digits.csv) with
//! a 64→128→64→10 ReLU MLP: a real classification problem end to end, with checkpoints.
//!
//! ```text
//! cargo run --release --example digits                         # 30 epochs, ≈ 97 % test accuracy
//! cargo run --release --example digits -- --save digits.safetensors
//! cargo run --release --example digits -- --eval digits.safetensors
//! cargo run --release --example digits -- --checkpoint-dir ckpt --epochs 10
//! cargo run --release --example digits -- --checkpoint-dir ckpt --resume ckpt/checkpoint.safetensors
//! cargo run --release --example digits -- --plot digits.svg    # train loss + test accuracy
//! ```
//!
//! The recipe, as PyTorch code (the weights `--save` writes have exactly these names:
//! `0.weight`, `0.bias`, `2.weight`, `2.bias`, `4.weight`, `4.bias`):
//!
//! ```python
//! torch.manual_seed(seed)
//! net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
//! opt = torch.optim.Adam(net.parameters(), lr=1e-3)
//! loader = DataLoader(TensorDataset(x_train / 16, y_train), batch_size=64, shuffle=True,
//!                     generator=torch.Generator().manual_seed(seed))
//! for epoch in range(30):
//!     for xb, yb in loader:
//!         loss = nn.CrossEntropyLoss()(net(xb), yb)
//!         opt.zero_grad(); loss.backward(); opt.step()
//! ```
//!
//! **The split** (fixed, independent of `--seed`): the row indices `0..1797` are permuted by
//! Fisher–Yates from the end with a `ChaCha8Rng::seed_from_u64(split_seed)` generator
//! (`--split-seed`, default 42): for `i` from 1796 down to 1, `j = rng.gen_range(0..=i as u32)`,
//! swap `idx[i]` and `idx[j]`. The first 1437 (`floor(0.8 · 1797)`) permuted indices are the
//! training rows, the last 360 the test rows. Inputs are the pixel counts (0–16) divided by 16.
//!
//! **Seeds**: `--seed` seeds both the weight initialisation (`manual_seed`) and the
//! `DataLoader`'s shuffling generator.
//!
//! **Checkpoints**: with `--checkpoint-dir DIR` the state after every epoch (model, Adam state,
//! epoch, the loader's shuffling generator, the process-wide generator, the curves so far) is
//! written atomically to `DIR/checkpoint.safetensors`; `--resume FILE` continues from one and
//! ends with bit-identical weights to an uninterrupted run of the same `--epochs`.
//!
//! **Measured** (release build, 2-core machine, split seed 42, `--seed 0..4`): test accuracy
//! 97.22, 97.22, 96.94, 97.50, 97.22 % (median 97.22 %); training 0.10–0.18 s (3–6 ms per
//! epoch), the whole process 0.11–0.22 s wall, 0.08 s CPU, 6 MB peak memory. PyTorch's
//! 97.5–99.2 % were measured on another split: an independent NumPy implementation of this
//! recipe gets 96.4–97.5 % on this split and 97.2–98.6 % on other random 80/20 splits, so the
//! split, not the implementation, sets the level.
//!
//! **Failure**: a loss that becomes NaN or infinite (try `--lr 1e9`) stops the run with a message
//! and exit code 1; `--detect-anomaly` names the first operation that produced NaN/Inf instead.
//! Bad files (data, weights, checkpoints) are reported by name, never with a panic.

use clap::builder::RangedU64ValueParser;
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;
use tapegrad::checkpoint::{Checkpoint, CheckpointError, TrainingState};
use tapegrad::nn::data::{read_csv_classification, CsvError, CsvSpec};
use tapegrad::nn::{
    load_safetensors, save_safetensors, targets_as_indices, CrossEntropyLoss, DataLoader, Linear,
    Module, ReLU, Sequential, StateDictError, TensorDataset,
};
use tapegrad::optim::{Adam, AdamConfig, Optimizer};
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
    #[arg(long, default_value_t = 1e-3, value_parser = parse_lr)]
    pub lr: f64,
    /// Samples per mini-batch.
    #[arg(long, default_value_t = 64, value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub batch_size: usize,
    /// The CSV file (64 pixel columns p0..p63 and a `label` column).
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv"))]
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

/// Accepts a positive, finite learning rate.
fn parse_lr(s: &str) -> Result<f64, String> {
    let lr: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number; pass e.g. --lr 0.001"))?;
    if lr > 0.0 && lr.is_finite() {
        Ok(lr)
    } else {
        Err(format!(
            "the learning rate must be positive and finite, got {lr}"
        ))
    }
}

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

/// Runs the example: trains (or, with `--eval`, only evaluates) and writes the report to `out`.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<Report, DigitsError> {
    let (train, test) = load_split(cli)?;
    manual_seed(cli.seed);
    let model = build_model();
    if let Some(path) = &cli.eval {
        let sd = load_safetensors(path)?;
        model.load_state_dict(&sd).map_err(StateDictError::from)?;
        let bad = sd.non_finite();
        if !bad.is_empty() {
            return Err(DigitsError::NonFiniteWeights {
                file: path.clone(),
                tensors: bad.into_iter().map(|(n, k)| (n.to_string(), k)).collect(),
            });
        }
        let (accuracy, confusion) = evaluate(&model, &test);
        writeln!(
            out,
            "{}: test accuracy {:.2} % ({} images)",
            path.display(),
            100.0 * accuracy,
            test.len()
        )?;
        write_confusion(out, &confusion)?;
        return Ok(Report {
            train_losses: vec![],
            test_accuracies: vec![],
            accuracy,
            confusion,
            state: model.state_dict(),
            train_seconds: 0.0,
        });
    }
    let config = AdamConfig {
        lr: cli.lr,
        ..Default::default()
    };
    let mut opt =
        Adam::new(model.parameters(), config).expect("a positive lr is a valid Adam config");
    let mut loader = DataLoader::new(&train, cli.batch_size).shuffle(cli.seed);
    let loss_fn = CrossEntropyLoss::new();
    let mut train_losses = Vec::new();
    let mut test_accuracies = Vec::new();
    let mut start_epoch = 0;
    if let Some(path) = &cli.resume {
        let ckpt = Checkpoint::<f32>::load(path)?;
        check_recipe(&ckpt, cli, path)?;
        let epoch = ckpt.restore(&model, Some(&mut opt), None, Some(&mut loader))?;
        start_epoch = match usize::try_from(epoch) {
            Ok(e) if e <= cli.epochs => e,
            _ => {
                return Err(DigitsError::ResumePastEnd {
                    file: path.clone(),
                    epoch,
                    epochs: cli.epochs,
                })
            }
        };
        train_losses = parse_list(&ckpt, "train_losses", path, start_epoch)?;
        test_accuracies = parse_list(&ckpt, "test_accuracies", path, start_epoch)?;
        writeln!(
            out,
            "resumed from {} after epoch {start_epoch}",
            path.display()
        )?;
    }
    if let Some(dir) = &cli.checkpoint_dir {
        std::fs::create_dir_all(dir).map_err(|source| CheckpointError::Io {
            path: dir.clone(),
            source,
        })?;
    }
    writeln!(
        out,
        "digits: {} train / {} test images, {} batches of {} per epoch, Adam lr {}",
        train.len(),
        test.len(),
        loader.len(),
        cli.batch_size,
        cli.lr
    )?;
    let show_bar = !cli.quiet && io::stdout().is_terminal();
    let started = Instant::now();
    for epoch in start_epoch + 1..=cli.epochs {
        let bar = if show_bar {
            ProgressBar::with_draw_target(Some(loader.len() as u64), ProgressDrawTarget::stdout())
        } else {
            ProgressBar::hidden()
        };
        bar.set_style(
            ProgressStyle::with_template("epoch {prefix:>3} [{bar:30}] {pos}/{len} loss {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.set_prefix(epoch.to_string());
        let mut loss_sum = 0.0f64;
        for (batch, (xb, yb)) in loader.iter().enumerate() {
            let targets = targets_as_indices(&yb);
            let mut step = || -> f32 {
                let loss = loss_fn.forward(&model.forward(&xb), &targets);
                let value = loss.item();
                if value.is_finite() {
                    opt.zero_grad();
                    loss.backward();
                    opt.step();
                }
                value
            };
            let loss = if cli.detect_anomaly {
                tapegrad::autograd::detect_anomaly(|| {
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step))
                })
                .map_err(|payload| DigitsError::Anomaly {
                    epoch,
                    message: panic_message(&payload),
                })?
            } else {
                step()
            };
            if !loss.is_finite() {
                bar.finish_and_clear();
                return Err(DigitsError::NonFiniteLoss {
                    epoch,
                    batch: batch + 1,
                    loss,
                    lr: opt.lr(),
                });
            }
            loss_sum += loss as f64 * xb.shape()[0] as f64;
            bar.set_message(format!("{loss:.4}"));
            bar.inc(1);
        }
        bar.finish_and_clear();
        let train_loss = (loss_sum / train.len() as f64) as f32;
        let (accuracy, _) = evaluate(&model, &test);
        train_losses.push(train_loss);
        test_accuracies.push(accuracy);
        writeln!(
            out,
            "epoch {epoch:>3}: train loss {train_loss:.4}, test accuracy {:.2} %",
            100.0 * accuracy
        )?;
        if let Some(dir) = &cli.checkpoint_dir {
            let state = TrainingState {
                model: &model,
                optimizer: Some(&opt),
                scheduler: None,
                loader: Some(&loader),
            };
            Checkpoint::capture(&state, epoch as u64)
                .with_extra("example", "digits")
                .with_extra("split_seed", cli.split_seed.to_string())
                .with_extra("batch_size", cli.batch_size.to_string())
                .with_extra("train_losses", join(&train_losses))
                .with_extra("test_accuracies", join(&test_accuracies))
                .save(dir.join(CHECKPOINT_FILE))?;
        }
    }
    let train_seconds = started.elapsed().as_secs_f64();
    let (accuracy, confusion) = evaluate(&model, &test);
    let trained = cli.epochs.saturating_sub(start_epoch);
    writeln!(
        out,
        "test accuracy {:.2} % after {} epochs; trained {trained} epochs in {train_seconds:.3} s ({:.1} ms per epoch)",
        100.0 * accuracy,
        cli.epochs,
        1e3 * train_seconds / trained.max(1) as f64
    )?;
    write_confusion(out, &confusion)?;
    if let Some(path) = &cli.save {
        save_safetensors(&model.state_dict(), path)?;
        writeln!(out, "saved the weights to {}", path.display())?;
    }
    if let Some(path) = &cli.plot {
        let losses: Vec<f64> = train_losses.iter().map(|&v| v as f64).collect();
        let x = |i: usize| (i + 1) as f64;
        let series = [
            tapegrad_plot::Series::new(
                "train loss",
                losses.iter().enumerate().map(|(i, &v)| (x(i), v)).collect(),
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
        )?;
        writeln!(out, "wrote the curves to {}", path.display())?;
    }
    Ok(Report {
        train_losses,
        test_accuracies,
        accuracy,
        confusion,
        state: model.state_dict(),
        train_seconds,
    })
}

/// Refuses a checkpoint written with another split or batch size (the data order would differ).
fn check_recipe(ckpt: &Checkpoint, cli: &Cli, path: &Path) -> Result<(), DigitsError> {
    let expect = [
        ("example", "digits".to_string()),
        ("split_seed", cli.split_seed.to_string()),
        ("batch_size", cli.batch_size.to_string()),
    ];
    for (key, want) in expect {
        let found = ckpt.extra(key).unwrap_or("(none)");
        if found != want {
            return Err(DigitsError::ResumeMismatch {
                file: path.to_path_buf(),
                key: key.to_string(),
                found: found.to_string(),
                expected: want,
            });
        }
    }
    Ok(())
}

fn join<V: std::fmt::Display>(xs: &[V]) -> String {
    xs.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The per-epoch list `key` of the checkpoint: `epochs` comma-separated numbers.
fn parse_list<V: std::str::FromStr>(
    ckpt: &Checkpoint,
    key: &str,
    path: &Path,
    epochs: usize,
) -> Result<Vec<V>, DigitsError> {
    let error = |reason: String| {
        DigitsError::Checkpoint(CheckpointError::Metadata {
            path: path.to_path_buf(),
            key: format!("extra.{key}"),
            reason,
        })
    };
    let text = ckpt.extra(key).unwrap_or("");
    let values: Vec<V> = if text.is_empty() {
        vec![]
    } else {
        text.split(',')
            .map(|v| v.parse())
            .collect::<Result<_, _>>()
            .map_err(|_| error("not a comma-separated list of numbers".into()))?
    };
    if values.len() != epochs {
        return Err(error(format!(
            "{} values for a checkpoint after epoch {epochs}, expected one per epoch",
            values.len()
        )));
    }
    Ok(values)
}

/// `name: count, name: count` for an error message.
fn list_counts(tensors: &[(String, usize)]) -> String {
    tensors
        .iter()
        .map(|(n, k)| format!("{n}: {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn panic_message(payload: &Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Prints `confusion[true][predicted]` with row and column labels.
fn write_confusion(out: &mut dyn Write, confusion: &[[usize; CLASSES]; CLASSES]) -> io::Result<()> {
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

fn main() {
    let cli = Cli::parse();
    if cli.detect_anomaly {
        // run() reports anomalies as errors; keep the default report for every other panic
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let anomaly = info
                .payload()
                .downcast_ref::<String>()
                .is_some_and(|m| m.starts_with("anomaly detected"));
            if !anomaly {
                default(info)
            }
        }));
    }
    if let Err(e) = run(&cli, &mut io::stdout().lock()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
