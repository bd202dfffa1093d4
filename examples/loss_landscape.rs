//! The loss landscape of a two-parameter model and the paths six optimizers take across it (the
//! lecture's learning-rate and feature-scaling page: "contours of the loss over (θ1, θ2) with the
//! path of the updates").
//!
//! ```text
//! cargo run --release --example loss_landscape
//! cargo run --release --example loss_landscape -- --plot landscape.png
//! ```
//!
//! The model is a line `y_hat = w x + b` fitted by mean squared error to five points near
//! `y = 2x + 1`. Its loss `J(w, b)` is a bowl whose contours are ellipses stretched along one
//! direction (the Hessian `2 [[mean x², mean x], [mean x, 1]]` has eigenvalues 6.8 and 1.2). All
//! six optimizers start from the same point and update one tensor `θ = [w, b]`:
//!
//! - GD: `SGD(lr)` on the full batch, straight down the steepest slope;
//! - SGD: the same with one random sample per update, a noisy path;
//! - momentum: `SGD(lr, momentum)`, which overshoots and curves back;
//! - Adagrad, RMSprop, Adam: per-coordinate step sizes, so their first steps go diagonally
//!   (both coordinates move by about the learning rate, whatever the slope).
//!
//! The default output lists each optimizer's final point, loss and distance to the minimum
//! (which the normal equations give exactly); `--plot FILE` draws the contours and the paths.

use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;
use tapegrad::optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, Optimizer, RMSprop, RmsPropConfig, SgdConfig, SGD,
};
use tapegrad::prelude::*;

/// Contours of a two-parameter loss with the paths of GD, SGD, momentum, Adagrad, RMSprop, Adam.
#[derive(Parser, Debug)]
pub struct Cli {
    /// Updates per optimizer.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub steps: u64,
    /// Seed of the sample order of SGD.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also draw the contours and the paths to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    pub plot: Option<std::path::PathBuf>,
    /// No progress bar (it is shown only when stdout is a terminal anyway).
    #[arg(long)]
    pub quiet: bool,
}

/// The inputs.
pub const XS: [f64; 5] = [-1.0, 0.0, 1.0, 2.0, 3.0];
/// The targets: `2x + 1` plus a little fixed noise.
pub const YS: [f64; 5] = [-0.7, 0.8, 3.1, 4.6, 7.2];
/// Where every optimizer starts.
pub const START: [f64; 2] = [-1.5, -2.0];

/// `J(w, b) = mean((w x + b - y)^2)` in plain f64 (for the contour grid and checks).
pub fn loss_at(w: f64, b: f64) -> f64 {
    XS.iter()
        .zip(YS)
        .map(|(&x, y)| (w * x + b - y).powi(2))
        .sum::<f64>()
        / XS.len() as f64
}

/// The exact minimiser of `J`, from the normal equations
/// `[Σx² Σx; Σx n] [w; b] = [Σxy; Σy]`.
pub fn minimum() -> [f64; 2] {
    let n = XS.len() as f64;
    let sx: f64 = XS.iter().sum();
    let sxx: f64 = XS.iter().map(|x| x * x).sum();
    let sy: f64 = YS.iter().sum();
    let sxy: f64 = XS.iter().zip(YS).map(|(x, y)| x * y).sum();
    let det = sxx * n - sx * sx;
    [(sxy * n - sx * sy) / det, (sxx * sy - sx * sxy) / det]
}

/// The loss as a tensor expression of `θ = [w, b]` over the samples `idx`.
fn loss(theta: &Tensor<f64>, idx: &[usize]) -> Tensor<f64> {
    let rows: Vec<f64> = idx.iter().flat_map(|&i| [XS[i], 1.0]).collect();
    let a = Tensor::from_vec(rows, &[idx.len(), 2]);
    let y = Tensor::from_vec(idx.iter().map(|&i| YS[i]).collect(), &[idx.len()]);
    (a.matmul(theta) - y).pow(2.0).mean()
}

/// One optimizer's path.
#[derive(Clone, Debug, PartialEq)]
pub struct Path {
    /// The optimizer's name and settings.
    pub name: String,
    /// θ before each update and after the last.
    pub points: Vec<[f64; 2]>,
}

impl Path {
    /// The last point.
    pub fn end(&self) -> [f64; 2] {
        *self.points.last().expect("a path has its start point")
    }
}

/// The six optimizers, each built on its own `θ`.
fn optimizers(theta: &Tensor<f64>) -> Vec<(String, bool, Box<dyn Optimizer<f64>>)> {
    let p = || [theta.clone()];
    let sgd = |lr, momentum| {
        SGD::new(
            p(),
            SgdConfig {
                lr,
                momentum,
                ..Default::default()
            },
        )
        .expect("valid SGD settings")
    };
    vec![
        ("GD (lr 0.1)".into(), false, Box::new(sgd(0.1, 0.0))),
        (
            "SGD (lr 0.05, 1 sample)".into(),
            true,
            Box::new(sgd(0.05, 0.0)),
        ),
        (
            "momentum (lr 0.05, 0.8)".into(),
            false,
            Box::new(sgd(0.05, 0.8)),
        ),
        (
            "Adagrad (lr 1.0)".into(),
            false,
            Box::new(
                Adagrad::new(
                    p(),
                    AdagradConfig {
                        lr: 1.0,
                        ..Default::default()
                    },
                )
                .expect("valid Adagrad settings"),
            ),
        ),
        (
            "RMSprop (lr 0.05)".into(),
            false,
            Box::new(
                RMSprop::new(
                    p(),
                    RmsPropConfig {
                        lr: 0.05,
                        ..Default::default()
                    },
                )
                .expect("valid RMSprop settings"),
            ),
        ),
        (
            "Adam (lr 0.15)".into(),
            false,
            Box::new(
                Adam::new(
                    p(),
                    AdamConfig {
                        lr: 0.15,
                        ..Default::default()
                    },
                )
                .expect("valid Adam settings"),
            ),
        ),
    ]
}

/// Runs all six optimizers for `steps` updates from [`START`].
pub fn paths(steps: usize, seed: u64) -> Vec<Path> {
    paths_with_progress(steps, seed, &ProgressBar::hidden())
}

/// [`paths`], advancing `bar` by one per update (6 × `steps` in all).
pub fn paths_with_progress(steps: usize, seed: u64, bar: &ProgressBar) -> Vec<Path> {
    manual_seed(seed);
    let all: Vec<usize> = (0..XS.len()).collect();
    let mut out = Vec::new();
    for k in 0..6 {
        let theta = Tensor::from_vec(START.to_vec(), &[2]).requires_grad_(true);
        let (name, stochastic, mut opt) = optimizers(&theta).swap_remove(k);
        let mut points = Vec::with_capacity(steps + 1);
        for _ in 0..steps {
            let v = theta.to_vec();
            points.push([v[0], v[1]]);
            let idx = if stochastic {
                let u = Tensor::<f64>::uniform(&[1], 0.0, XS.len() as f64).item();
                vec![(u.floor() as usize).min(XS.len() - 1)]
            } else {
                all.clone()
            };
            let l = loss(&theta, &idx);
            opt.zero_grad();
            l.backward();
            opt.step();
            bar.inc(1);
        }
        let v = theta.to_vec();
        points.push([v[0], v[1]]);
        out.push(Path { name, points });
    }
    out
}

/// Prints each optimizer's final point, loss and distance from the minimum; plots on request.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<Vec<Path>, Box<dyn std::error::Error>> {
    let steps = cli.steps as usize;
    let min = minimum();
    let bar = if !cli.quiet && io::stdout().is_terminal() {
        ProgressBar::with_draw_target(Some(6 * steps as u64), ProgressDrawTarget::stdout())
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] {pos}/{len} updates, {eta} left")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let ps = paths_with_progress(steps, cli.seed, &bar);
    bar.finish_and_clear();
    writeln!(
        out,
        "# y_hat = w*x + b, MSE on x = {XS:?}, y = {YS:?}; start (w, b) = ({}, {})",
        START[0], START[1]
    )?;
    writeln!(
        out,
        "# minimum (normal equations): w = {:.6}, b = {:.6}, loss = {:.6}",
        min[0],
        min[1],
        loss_at(min[0], min[1])
    )?;
    writeln!(
        out,
        "{:<26} {:>10} {:>10} {:>12} {:>12}",
        format!("after {steps} updates"),
        "w",
        "b",
        "loss",
        "distance"
    )?;
    for p in &ps {
        let [w, b] = p.end();
        let d = ((w - min[0]).powi(2) + (b - min[1]).powi(2)).sqrt();
        writeln!(
            out,
            "{:<26} {w:>10.6} {b:>10.6} {:>12.6} {d:>12.2e}",
            p.name,
            loss_at(w, b)
        )?;
    }
    if let Some(path) = &cli.plot {
        let series: Vec<tapegrad_plot::Series> = ps
            .iter()
            .map(|p| {
                tapegrad_plot::Series::new(
                    p.name.clone(),
                    p.points.iter().map(|&[w, b]| (w, b)).collect(),
                )
            })
            .collect();
        let opts = tapegrad_plot::ContourOptions::new()
            .labels("w", "b")
            .levels(16)
            .size(900, 720)
            .legend(tapegrad_plot::Legend::LowerRight);
        tapegrad_plot::contour_with_paths_with(
            path,
            &format!("Loss landscape of y = w x + b: {steps} updates from (-1.5, -2)"),
            loss_at,
            (-2.0, 4.5),
            (-2.5, 3.5),
            &series,
            &opts,
        )?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ps)
}

fn main() -> ExitCode {
    tapegrad_examples::exit::exit_code(
        "loss_landscape",
        run(&Cli::parse(), &mut io::stdout().lock()),
    )
}
