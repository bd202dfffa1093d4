//! Gradient descent on f = w * x with hand-computed gradients, as the NumPy lecture wrote it (the
//! lecture's NumPy gradient-descent page), checked against autograd; prints exactly the page's 12
//! lines.
//!
//! ```text
//! cargo run --release --example numpy_manual_gd
//! cargo run --release --example numpy_manual_gd -- --verbose   # also show the gradient check
//! cargo run --release --example numpy_manual_gd -- --explain   # narrate the first two steps
//! cargo run --release --example numpy_manual_gd -- --plot loss.png
//! ```
//!
//! The original, from the lecture page:
//!
//! ```python
//! import numpy as np
//! # Compute every step manually
//! # Linear regression
//! # f = w * x
//! # here : f = 2 * x
//! X = np.array([1, 2, 3, 4], dtype=np.float32)
//! Y = np.array([2, 4, 6, 8], dtype=np.float32)
//! w = 0.0
//!
//! # model output
//! def forward(x):
//!     return w * x
//!
//! # loss = MSE
//! def loss(y, y_pred):
//!     return ((y_pred - y)**2).mean()
//!
//! # J = MSE = 1/N * (w*x - y)**2
//! # dJ/dw = 1/N * 2x(w*x - y)
//! def gradient(x, y, y_pred):
//!     return np.mean(2*x*(y_pred - y))
//!
//! print(f'Prediction before training: f(5) = {forward(5):.3f}')
//!
//! # Training
//! learning_rate = 0.01
//! n_iters = 20
//! for epoch in range(n_iters):
//!     # predict = forward pass
//!     y_pred = forward(X)
//!     # loss
//!     l = loss(Y, y_pred)
//!     # calculate gradients
//!     dw = gradient(X, Y, y_pred)
//!     # update weights
//!     w -= learning_rate * dw
//!     if epoch % 2 == 0:
//!         print(f'epoch {epoch+1}: w = {w:.3f}, loss = {l:.8f}')
//!
//! print(f'Prediction after training: f(5) = {forward(5):.3f}')
//! ```
//!
//! Precision, as NumPy 1.x ran it (and as needed to print the page's digits): X, Y, `y_pred`,
//! `l` and `dw` are float32 (`w * X` first rounds w to f32), the means are left-to-right f32
//! sums divided by 4 (which is what `Tensor::mean` does), but `w` itself stays a Python float
//! (f64): `w -= 0.01 * dw` happens in f64. So each iteration (`step`) builds its f32 tensors
//! from `w as f32` while `w` is an `f64`.
//!
//! Each iteration computes dJ/dw twice: by the lecture's formula `mean(2x(wx - y))` and by
//! autograd (`l.backward()` on an f32 tensor `w`). The program stops with an error (exit code
//! 1) if they differ by more than f32 rounding; `--verbose` prints both every iteration.

use clap::Parser;
use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;
use tapegrad::prelude::*;
use tapegrad_examples::explain::explain_step;
// The page's `forward`, `loss` and `gradient`, and one iteration of its loop (`step`: forward,
// loss, the gradient by the formula and by autograd, the update), live in the library, where
// the tests check every iteration against the lecture's trace.
use tapegrad_examples::numpy_gd::{forward, step, SCRIPT};

/// Hand-computed gradient descent in f32 (the NumPy lecture), checked against autograd.
#[derive(Parser, Debug)]
struct Cli {
    /// After each iteration, also print the formula's and autograd's dJ/dw.
    #[arg(long)]
    verbose: bool,
    /// Before the first two printed lines, narrate the iteration: the tape's backward trace
    /// and the lecture's hand derivation of dJ/dw with every number.
    #[arg(long)]
    explain: bool,
    /// Also draw the loss against the iteration to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    plot: Option<std::path::PathBuf>,
}

/// Why a run stopped early.
#[derive(Debug)]
enum RunError {
    /// Writing the output failed.
    Io(io::Error),
    /// Drawing the `--plot` file failed.
    Plot(tapegrad_plot::PlotError),
    /// The formula's and autograd's gradients differ by more than f32 rounding.
    GradientMismatch {
        /// The iteration (1-based, as printed).
        epoch: usize,
        /// The formula's dJ/dw.
        formula: f32,
        /// Autograd's dJ/dw.
        autograd: f32,
    },
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Io(e) => write!(f, "cannot write the output: {e}"),
            RunError::Plot(e) => write!(f, "{e}"),
            RunError::GradientMismatch {
                epoch,
                formula,
                autograd,
            } => write!(
                f,
                "epoch {epoch}: dJ/dw by formula = {formula:e}, by autograd = {autograd:e}; \
                 they differ by more than f32 rounding"
            ),
        }
    }
}

impl std::error::Error for RunError {}

impl From<tapegrad_plot::PlotError> for RunError {
    fn from(e: tapegrad_plot::PlotError) -> Self {
        RunError::Plot(e)
    }
}

impl From<io::Error> for RunError {
    fn from(e: io::Error) -> Self {
        RunError::Io(e)
    }
}

/// Runs the lecture's program, writing its output to `out`.
fn run(cli: &Cli, out: &mut dyn Write) -> Result<(), RunError> {
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);
    let y = Tensor::from_vec(vec![2.0f32, 4.0, 6.0, 8.0], &[4]);
    let mut w = 0.0f64;
    // f(5) with w a Python float: an f64 product.
    let f5 = |w: f64| forward(&Tensor::scalar(w), &Tensor::scalar(5.0f64)).item();

    writeln!(out, "Prediction before training: f(5) = {:.3}", f5(w))?;

    // Training
    let learning_rate = 0.01;
    let n_iters = 20;
    let mut losses = Vec::with_capacity(n_iters);
    for epoch in 0..n_iters {
        if cli.explain && epoch < 2 {
            explain_step(epoch + 1, w, &x, &y, learning_rate, SCRIPT, out)?;
        }
        let s = step(w, &x, &y, learning_rate);
        losses.push(s.loss as f64);
        if cli.verbose {
            writeln!(
                out,
                "  dJ/dw at w = {}: formula {:.8}, autograd {:.8}",
                s.w_before, s.dw, s.dw_autograd
            )?;
        }
        if !s.gradients_agree() {
            return Err(RunError::GradientMismatch {
                epoch: epoch + 1,
                formula: s.dw,
                autograd: s.dw_autograd,
            });
        }
        w = s.w_after;
        if epoch % 2 == 0 {
            writeln!(out, "epoch {}: w = {w:.3}, loss = {:.8}", epoch + 1, s.loss)?;
        }
    }

    writeln!(out, "Prediction after training: f(5) = {:.3}", f5(w))?;
    if let Some(path) = &cli.plot {
        let series = [tapegrad_plot::Series::new(
            "loss",
            losses
                .iter()
                .enumerate()
                .map(|(i, &l)| ((i + 1) as f64, l))
                .collect(),
        )];
        tapegrad_plot::line_chart(path, "Manual GD on f = w x", "iteration", "loss", &series)
            .map_err(RunError::Plot)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    tapegrad_examples::exit::exit_code(
        "numpy_manual_gd",
        run(&Cli::parse(), &mut io::stdout().lock()),
    )
}
