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
// The problem (data, loss, exact minimum), the six optimizers and their paths live in the
// library, where the tests check them.
use tapegrad_examples::loss_landscape::{
    loss_at, minimum, paths_with_progress, Path, START, XS, YS,
};

/// Contours of a two-parameter loss with the paths of GD, SGD, momentum, Adagrad, RMSprop, Adam.
#[derive(Parser, Debug)]
struct Cli {
    /// Updates per optimizer.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    steps: u64,
    /// Seed of the sample order of SGD.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also draw the contours and the paths to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    plot: Option<std::path::PathBuf>,
    /// No progress bar (it is shown only when stdout is a terminal anyway).
    #[arg(long)]
    quiet: bool,
}

/// Prints each optimizer's final point, loss and distance from the minimum; plots on request.
fn run(cli: &Cli, out: &mut dyn Write) -> Result<Vec<Path>, Box<dyn std::error::Error>> {
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
    let ps = paths_with_progress(steps, cli.seed, &mut || bar.inc(1));
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
