//! Batch gradient descent on y = 2x (the lecture's batch-gradient-descent page), printing exactly
//! what the lecture printed.
//!
//! ```text
//! cargo run --release --example linear_regression_bgd
//! ```
//!
//! The original (Python floats, i.e. f64), from the lecture page:
//!
//! ```python
//! x_data = [1.0, 2.0, 3.0]
//! y_data = [2.0, 4.0, 6.0]
//! w = 1.0
//!
//! def forward(x):
//!     return x * w
//!
//! def cost(xs, ys):
//!     cost = 0
//!     for x, y in zip(xs, ys):
//!         y_pred = forward(x)
//!         cost += (y_pred - y) ** 2
//!     return cost / len(xs)
//!
//! def gradient(xs, ys):
//!     grad = 0
//!     for x, y in zip(xs, ys):
//!         grad += 2 * x * (x * w - y)
//!     return grad / len(xs)
//!
//! print('Predict (before training)', 4, forward(4))
//! for epoch in range(100):
//!     cost_val = cost(x_data, y_data)
//!     grad_val = gradient(x_data, y_data)
//!     w -= 0.01 * grad_val
//!     print('Epoch: ', epoch, 'w = ', w, 'loss = ', cost_val)
//! print('Predict (after training)', 4, forward(4))
//! ```
//!
//! The tapegrad version below keeps the same three functions, on f64 tensors. `Tensor::mean`
//! adds the elements left to right and divides by their count, exactly the lecture's loop, so
//! every printed digit is the same. The lecture derives the gradient by hand; here autograd
//! (`cost_val.backward()`) computes it too, and the program checks the two agree each epoch.

use clap::Parser;
use std::io::{self, Write};
use tapegrad::prelude::*;

use pyfmt::py_float;
use tapegrad_examples::curve::plot_per_epoch;
use tapegrad_examples::pyfmt;

/// Batch gradient descent on y = 2x, printing the lecture's lines (the lecture's
/// batch-gradient-descent page).
#[derive(Parser, Debug)]
struct Cli {
    /// Also draw the cost against the epoch to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    plot: Option<std::path::PathBuf>,
}

/// The linear model `y_hat = x * w`.
fn forward(x: &Tensor<f64>, w: &Tensor<f64>) -> Tensor<f64> {
    x * w
}

/// The cost: the mean of `(y_hat - y)^2` over the data set (summed in sample order).
fn cost(xs: &Tensor<f64>, ys: &Tensor<f64>, w: &Tensor<f64>) -> Tensor<f64> {
    (forward(xs, w) - ys).pow(2.0).mean()
}

/// The hand-derived gradient of the cost: the mean of `2 * x * (x * w - y)`.
fn gradient(xs: &Tensor<f64>, ys: &Tensor<f64>, w: &Tensor<f64>) -> Tensor<f64> {
    (xs * 2.0 * (forward(xs, w) - ys)).mean()
}

/// Runs the lecture's program, writing its output to `out`.
fn run(cli: &Cli, out: &mut dyn Write) -> io::Result<()> {
    let x_data = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
    let y_data = Tensor::from_vec(vec![2.0f64, 4.0, 6.0], &[3]);
    let w = Tensor::scalar(1.0f64).requires_grad_(true);
    let four = Tensor::scalar(4.0f64);

    let before = forward(&four, &w).item();
    writeln!(out, "Predict (before training) 4 {}", py_float(before))?;
    let mut costs = Vec::with_capacity(100);
    for epoch in 0..100 {
        let cost_val = cost(&x_data, &y_data, &w);
        let grad_val = gradient(&x_data, &y_data, &w).item();
        // Autograd's answer for the same derivative, checked against the hand-derived one.
        cost_val.backward();
        let autograd = w.grad().expect("w requires grad").item();
        assert_agrees(grad_val, autograd, epoch);
        w.zero_grad();
        // w -= 0.01 * grad_val (a direct write: the update is not part of the graph)
        *w.data_mut() -= 0.01 * grad_val;
        writeln!(
            out,
            "Epoch:  {epoch} w =  {} loss =  {}",
            py_float(w.item()),
            py_float(cost_val.item())
        )?;
        costs.push(cost_val.item());
    }
    let after = forward(&four, &w).item();
    writeln!(out, "Predict (after training) 4 {}", py_float(after))?;
    plot_per_epoch(cli.plot.as_deref(), "Batch GD on y = 2x", "cost", &costs)
}

/// Panics if autograd's gradient differs from the hand-derived one by more than f64 rounding
/// (they differ only in the order of a few roundings).
fn assert_agrees(by_hand: f64, autograd: f64, epoch: usize) {
    let tol = 1e-12 * by_hand.abs().max(1e-12);
    assert!(
        (by_hand - autograd).abs() <= tol,
        "linear_regression_bgd epoch {epoch}: hand-derived gradient {by_hand} and autograd's \
         {autograd} disagree beyond f64 rounding; the autograd ops used here have a bug"
    );
}

fn main() -> io::Result<()> {
    run(&Cli::parse(), &mut io::stdout().lock())
}
