//! Mini-batch gradient descent on y = 2x + noise (the lecture's mini-batch page): a `DataLoader`
//! hands out shuffled batches, and one SGD step is taken per batch.
//!
//! ```text
//! cargo run --release --example minibatch_gd                      # batches of 32
//! cargo run --release --example minibatch_gd -- --batch-size 1    # stochastic gradient descent
//! cargo run --release --example minibatch_gd -- --batch-size 256  # batch gradient descent
//! ```
//!
//! The lectures describe mini-batch gradient descent without code: average the gradient over a
//! small random batch (32, 64, 128 or 256 samples are typical) instead of over the whole data
//! set (batch gradient descent: one stable but expensive step per epoch) or over one sample
//! (stochastic gradient descent: many cheap, noisy steps). In PyTorch it reads:
//!
//! ```python
//! loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
//! w = torch.zeros(1, requires_grad=True)
//! b = torch.zeros(1, requires_grad=True)
//! optimizer = torch.optim.SGD([w, b], lr=0.1)
//! for epoch in range(20):
//!     for xb, yb in loader:
//!         loss = F.mse_loss(xb * w + b, yb)
//!         optimizer.zero_grad()
//!         loss.backward()
//!         optimizer.step()
//!     print(epoch, loss)
//! ```
//!
//! The batch size is the only knob that moves between the three methods:
//! - `--batch-size 1` is stochastic gradient descent: one update per sample, 256 per epoch;
//! - `--batch-size 256` (the data size, or more) is batch gradient descent: one update per epoch;
//! - anything between is mini-batch gradient descent.
//!
//! With the same number of epochs, smaller batches take more (noisier) steps: batch size 1
//! reaches w ≈ 2 within the first epochs, while full-batch descent after 20 steps is still on
//! its way (w ≈ 1.5).

use clap::builder::RangedU64ValueParser;
use clap::Parser;
use std::io::{self, Write};
use tapegrad::autograd::functional::{mse_loss, Reduction};
use tapegrad::nn::{DataLoader, TensorDataset};
use tapegrad::optim::{Optimizer, SgdConfig, SGD};
use tapegrad::prelude::*;
use tapegrad_examples::curve::write_line_chart;
use tapegrad_examples::parse::positive_lr;

/// The number of synthetic data points.
const N_SAMPLES: usize = 256;

/// The most epochs `--epochs` accepts (checked before anything is allocated, so that
/// `--epochs 1000000000000000000` is a usage error, not an allocation failure).
const MAX_EPOCHS: u64 = 10_000_000;

/// Mini-batch gradient descent on y = 2x + noise with a shuffling DataLoader (the lecture's
/// mini-batch page).
#[derive(Parser, Debug)]
struct Cli {
    /// Samples per batch: 1 is SGD, 256 (the data size) is batch gradient descent.
    #[arg(long, default_value_t = 32, value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    batch_size: usize,
    /// Number of passes over the data, at most 10 000 000.
    #[arg(long, default_value_t = 20, value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_EPOCHS))]
    epochs: usize,
    /// Learning rate of the SGD step (positive).
    #[arg(long, default_value_t = 0.1, value_parser = |s: &str| positive_lr(s, "0.1", "positive"))]
    lr: f64,
    /// Seed for the data and for the DataLoader's shuffling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also draw the loss against the epoch to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    plot: Option<std::path::PathBuf>,
}

/// The model `y_hat = x * w + b`.
fn forward(x: &Tensor, w: &Tensor, b: &Tensor) -> Tensor {
    x * w + b
}

/// Trains the model, printing the loss of every epoch and the learned w and b to `out`.
fn run(cli: &Cli, out: &mut dyn Write) -> io::Result<()> {
    // 256 points of y = 2x + noise, x uniform in [-1, 1), noise ~ N(0, 0.1^2).
    manual_seed(cli.seed);
    let x: Tensor = Tensor::uniform(&[N_SAMPLES, 1], -1.0, 1.0);
    let noise: Tensor = Tensor::randn(&[N_SAMPLES, 1]) * 0.1;
    let y = &x * 2.0 + noise;
    let dataset = TensorDataset::new(x, y);
    let loader = DataLoader::new(&dataset, cli.batch_size).shuffle(cli.seed);

    let w: Tensor = Tensor::zeros(&[1]).requires_grad_(true);
    let b: Tensor = Tensor::zeros(&[1]).requires_grad_(true);
    let config = SgdConfig {
        lr: cli.lr,
        ..Default::default()
    };
    let mut optimizer =
        SGD::new([w.clone(), b.clone()], config).expect("a positive lr is a valid SGD config");

    writeln!(
        out,
        "# {N_SAMPLES} points of y = 2x + noise; batch size {}: {} update{} per epoch ({})",
        cli.batch_size,
        loader.len(),
        if loader.len() == 1 { "" } else { "s" },
        method_name(cli.batch_size)
    )?;
    // Grown as the epochs run, not reserved up front (see MAX_EPOCHS).
    let mut epoch_losses = Vec::new();
    for epoch in 0..cli.epochs {
        let mut loss_sum = 0.0f32;
        for (xb, yb) in &loader {
            let loss = mse_loss(&forward(&xb, &w, &b), &yb, Reduction::Mean);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            loss_sum += loss.item() * xb.shape()[0] as f32;
        }
        let epoch_loss = loss_sum / N_SAMPLES as f32;
        writeln!(out, "epoch {:>3}: loss = {epoch_loss:.6}", epoch + 1)?;
        if !epoch_loss.is_finite() {
            return Err(io::Error::other(format!(
                "the loss became {epoch_loss} at epoch {}: training diverged and was stopped; \
                 try a smaller --lr",
                epoch + 1
            )));
        }
        epoch_losses.push(epoch_loss);
    }
    let (w, b) = (w.item(), b.item());
    writeln!(out, "learned w = {w:.4}, b = {b:.4} (true: w = 2, b = 0)")?;
    if let Some(path) = &cli.plot {
        let losses: Vec<f64> = epoch_losses.iter().map(|&l| l as f64).collect();
        let series = [tapegrad_plot::Series::new(
            format!("batch size {}", cli.batch_size),
            losses
                .iter()
                .enumerate()
                .map(|(i, &l)| ((i + 1) as f64, l))
                .collect(),
        )];
        let title = format!("Mini-batch GD ({})", method_name(cli.batch_size));
        write_line_chart(path, &title, "epoch", "mean loss", &series)?;
    }
    Ok(())
}

/// The textbook name of gradient descent with this batch size.
fn method_name(batch_size: usize) -> &'static str {
    match batch_size {
        1 => "stochastic gradient descent",
        n if n >= N_SAMPLES => "batch gradient descent",
        _ => "mini-batch gradient descent",
    }
}

fn main() -> std::process::ExitCode {
    let result = run(&Cli::parse(), &mut io::stdout().lock());
    tapegrad_examples::exit::finish(result, "error: ", |_| 1)
}
