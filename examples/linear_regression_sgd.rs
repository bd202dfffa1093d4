//! Stochastic gradient descent on y = 2x, one sample per update (the lecture's
//! stochastic-gradient-descent page).
//!
//! ```text
//! cargo run --release --example linear_regression_sgd                          # per-sample
//! cargo run --release --example linear_regression_sgd -- --mode random --seed 3
//! ```
//!
//! `--mode per-sample` (the default) is this lecture (Python floats, i.e. f64); it prints
//! exactly what the original printed:
//!
//! ```python
//! x_data = [1.0, 2.0, 3.0]
//! y_data = [2.0, 4.0, 6.0]
//! w = 1.0
//!
//! def forward(x):
//!     return x * w
//!
//! def loss(x, y):
//!     y_pred = forward(x)
//!     return (y_pred - y) ** 2
//!
//! def gradient(x, y):
//!     return 2 * x * (x * w - y)
//!
//! print('Predict (before training)', 4, forward(4))
//! for epoch in range(100):
//!     for x, y in zip(x_data, y_data):
//!         grad = gradient(x, y)
//!         w = w - 0.01 * grad
//!         print("\tgrad: ", x, y, grad)
//!         l = loss(x, y)
//!     print("progress: ", epoch, "w = ", w, "loss = ", l)
//! print('Predict (after training)', 4, forward(4))
//! ```
//!
//! `--mode random --seed N` is the other lecture's version: each epoch picks ONE random sample
//! (there `t = random.randrange(0, 3)`; here tapegrad's seeded generator, so the sequence of
//! picks differs from Python's, and the final prediction is close to, not equal to, the page's
//! `7.999910864525451`):
//!
//! ```python
//! for epoch in range(100):
//!     t = random.randrange(0, 3)
//!     x = x_data[t]
//!     y = y_data[t]
//!     grad = gradient(x, y)
//!     w = w - 0.01 * grad
//!     print("\tgrad: ", x, y, '%.2f' % grad)
//!     l = loss(x, y)
//!     print("progress:", epoch, "w=%.2f" % w, "loss=%.2f" % l)
//! print('Predict (after training)', 4, forward(4))
//! ```
//!
//! Every update uses one sample's gradient, so the updates form a chain: unlike batch gradient
//! descent (whose per-sample terms can be computed in parallel), SGD cannot be parallelised
//! across the samples of one epoch. Its noise is what lets it leave a saddle point.
//!
//! The tapegrad version computes each quantity on f64 tensors. The gradient is the lecture's
//! hand-derived `2x(xw - y)`; autograd (`loss.backward()`) computes it too, and the program
//! checks they agree.

use clap::{Parser, ValueEnum};
use std::io::{self, Write};
use tapegrad::prelude::*;

use pyfmt::py_float;
use tapegrad_examples::curve::plot_per_epoch;
use tapegrad_examples::pyfmt;

/// Which samples each epoch visits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// Walk the three samples in order, updating after each (the full-precision lecture).
    PerSample,
    /// Pick one random sample per epoch (the `random.randrange(0, 3)` lecture).
    Random,
}

/// Stochastic gradient descent on y = 2x, printing the lecture's lines (the lecture's
/// stochastic-gradient-descent page).
#[derive(Parser, Debug)]
struct Cli {
    /// Which samples each epoch visits.
    #[arg(long, value_enum, default_value_t = Mode::PerSample)]
    mode: Mode,
    /// Seed of tapegrad's generator (`--mode random` only).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also draw the loss printed each epoch against the epoch to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    plot: Option<std::path::PathBuf>,
}

/// The linear model `y_hat = x * w`.
fn forward(x: &Tensor<f64>, w: &Tensor<f64>) -> Tensor<f64> {
    x * w
}

/// One sample's loss `(y_hat - y)^2`.
fn loss(x: &Tensor<f64>, y: &Tensor<f64>, w: &Tensor<f64>) -> Tensor<f64> {
    (forward(x, w) - y).pow(2.0)
}

/// The hand-derived gradient of one sample's loss: `2 * x * (x * w - y)`.
fn gradient(x: &Tensor<f64>, y: &Tensor<f64>, w: &Tensor<f64>) -> Tensor<f64> {
    x * 2.0 * (x * w - y)
}

/// Runs the chosen lecture program, writing its output to `out`.
fn run(cli: &Cli, out: &mut dyn Write) -> io::Result<()> {
    let x_data = [1.0f64, 2.0, 3.0];
    let y_data = [2.0f64, 4.0, 6.0];
    let w = Tensor::scalar(1.0f64).requires_grad_(true);
    let four = Tensor::scalar(4.0f64);
    manual_seed(cli.seed);

    let before = forward(&four, &w).item();
    writeln!(out, "Predict (before training) 4 {}", py_float(before))?;
    let mut losses = Vec::with_capacity(100);
    for epoch in 0..100 {
        match cli.mode {
            Mode::PerSample => {
                let mut l = f64::NAN;
                for (&x, &y) in x_data.iter().zip(&y_data) {
                    let grad = sgd_step(x, y, &w);
                    writeln!(
                        out,
                        "\tgrad:  {} {} {}",
                        py_float(x),
                        py_float(y),
                        py_float(grad)
                    )?;
                    l = loss(&Tensor::scalar(x), &Tensor::scalar(y), &w).item();
                }
                writeln!(
                    out,
                    "progress:  {epoch} w =  {} loss =  {}",
                    py_float(w.item()),
                    py_float(l)
                )?;
                losses.push(l);
            }
            Mode::Random => {
                let t = randrange(x_data.len());
                let (x, y) = (x_data[t], y_data[t]);
                let grad = sgd_step(x, y, &w);
                writeln!(out, "\tgrad:  {} {} {grad:.2}", py_float(x), py_float(y))?;
                let l = loss(&Tensor::scalar(x), &Tensor::scalar(y), &w).item();
                writeln!(out, "progress: {epoch} w={:.2} loss={l:.2}", w.item())?;
                losses.push(l);
            }
        }
    }
    let after = forward(&four, &w).item();
    writeln!(out, "Predict (after training) 4 {}", py_float(after))?;
    plot_per_epoch(cli.plot.as_deref(), "SGD on y = 2x", "loss", &losses)
}

/// One update on the sample `(x, y)`: `grad = gradient(x, y)`, `w = w - 0.01 * grad`.
/// Returns `grad`, after checking that autograd finds the same derivative.
fn sgd_step(x: f64, y: f64, w: &Tensor<f64>) -> f64 {
    let (x, y) = (Tensor::scalar(x), Tensor::scalar(y));
    let grad = gradient(&x, &y, w).item();
    // Autograd: d loss / d w, for the loss at the current w.
    loss(&x, &y, w).backward();
    let autograd = w.grad().expect("w requires grad").item();
    w.zero_grad();
    assert!(
        (grad - autograd).abs() <= 1e-12 * grad.abs(),
        "linear_regression_sgd: hand-derived gradient {grad} and autograd's {autograd} disagree"
    );
    *w.data_mut() -= 0.01 * grad;
    grad
}

/// A uniform random index in `0..n` (Python's `random.randrange(0, n)`), from tapegrad's
/// seeded generator: `floor(uniform(0, n))`.
fn randrange(n: usize) -> usize {
    let u = Tensor::<f64>::uniform(&[1], 0.0, n as f64).item();
    (u.floor() as usize).min(n - 1)
}

fn main() -> io::Result<()> {
    run(&Cli::parse(), &mut io::stdout().lock())
}
