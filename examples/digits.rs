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

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::time::Instant;
use tapegrad::checkpoint::{Checkpoint, CheckpointError, TrainingState};
use tapegrad::nn::{save_safetensors, targets_as_indices, CrossEntropyLoss, DataLoader, Module};
use tapegrad::optim::{Adam, AdamConfig, Optimizer};
use tapegrad::prelude::*;
use tapegrad_examples::digits::resume::{check_recipe, join, parse_list};
// The flags, the data split, the model, evaluation and the report are the library's.
use tapegrad_examples::digits::*;

/// Runs the example: trains (or, with `--eval`, only evaluates) and writes the report to `out`.
fn run(cli: &Cli, out: &mut dyn Write) -> Result<Report, DigitsError> {
    let (train, test) = load_split(cli)?;
    manual_seed(cli.seed);
    let model = build_model();
    if let Some(path) = &cli.eval {
        return evaluate_file(&model, path, &test, out);
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
        plot_curves(path, &train_losses, &test_accuracies)?;
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

fn main() -> std::process::ExitCode {
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
    tapegrad_examples::exit::finish(run(&cli, &mut io::stdout().lock()), "error: ", |_| 1)
}
