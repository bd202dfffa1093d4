//! Fits y = 2x with one weight and autograd: the smallest complete training loop.
//!
//! ```text
//! cargo run --release --example fit_line
//! cargo run --release --example fit_line -- --epochs 50 --lr 0.02
//! cargo run --release --example fit_line -- --help
//! ```
//!
//! Writing to a closed pipe (`fit_line | head -1`) ends the program quietly with exit code 0;
//! any other output error is reported with exit code 1, bad flags with exit code 2.

use clap::builder::RangedU64ValueParser;
use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;
use tapegrad::prelude::*;
use tapegrad_examples::parse::positive_lr;

/// Fits y = 2x on three points with one weight, printing the loss and the weight each epoch.
#[derive(Parser, Debug)]
#[command(name = "fit_line")]
struct Cli {
    /// Number of gradient-descent steps, at most 10 000 000.
    #[arg(long, default_value_t = 20, value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000_000))]
    epochs: usize,
    /// Learning rate (positive, finite).
    #[arg(long, default_value_t = 0.05, value_parser = |s: &str| positive_lr(s, "0.05", "positive and finite"))]
    lr: f64,
}

/// Trains, writing one line per epoch to `out`, and returns the learned weight. Stops with an
/// error at the first write that fails (e.g. a closed pipe) and when the loss stops being
/// finite (a learning rate too large).
fn run(cli: &Cli, out: &mut dyn Write) -> io::Result<f32> {
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let y = Tensor::from_vec(vec![2.0f32, 4.0, 6.0], &[3]);
    let w = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad_(true);
    for epoch in 0..cli.epochs {
        let loss = (&x * &w - &y).pow(2.0).mean();
        loss.backward();
        no_grad(|| {
            let g = w.grad().expect("w requires grad").to_array();
            *w.data_mut() -= &(g * cli.lr as f32);
        });
        w.zero_grad();
        let value = loss.item();
        writeln!(
            out,
            "epoch {epoch:2}: loss = {value:.6}, w = {:.6}",
            w.item()
        )?;
        if !value.is_finite() {
            return Err(io::Error::other(format!(
                "the loss became {value} at epoch {epoch}: training diverged and was stopped; \
                 try a smaller --lr"
            )));
        }
    }
    Ok(w.item())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tapegrad_examples::exit::exit_code("fit_line", run(&cli, &mut io::stdout().lock()))
}
