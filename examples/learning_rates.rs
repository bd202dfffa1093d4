//! Choosing the learning rate (the lecture's learning-rate and feature-scaling page, its figure):
//! the same model trained with a learning rate that is too small, about right, too large (it
//! oscillates) and far too large (it diverges); the loss against the number of updates, as a table
//! and as a log-scale plot.
//!
//! ```text
//! cargo run --release --example learning_rates
//! cargo run --release --example learning_rates -- --plot learning_rates.png
//! ```
//!
//! The model is the lecture's `y_hat = x * w` on `x = [1, 2, 3]`, `y = [2, 4, 6]`, from `w = 1`
//! (the lecture's batch-gradient-descent page), trained with `tapegrad::optim::SGD`. Its loss is a
//! parabola, `J(w) = mean((x w - y)^2) = (14/3) (w - 2)^2`, with curvature `J'' = 2 mean(x^2) =
//! 28/3`. One gradient step multiplies the error `w - 2` by `1 - lr * 28/3`, so:
//!
//! - `lr < 3/28 ≈ 0.107`: the error keeps its sign and shrinks (slowly when lr is small);
//! - `3/28 < lr < 3/14 ≈ 0.214`: the error changes sign every step: w jumps across the minimum
//!   and back, and the loss falls only slowly when the factor is close to -1;
//! - `lr > 3/14`: |factor| > 1, every step overshoots further, and the loss grows geometrically.

use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;
// The four regimes and the run of each (`train`: w from 1, plain SGD on the lecture's data,
// the loss and w after every update) live in the library, where the tests check them.
use tapegrad_examples::learning_rates::{train, Trace, REGIMES};

/// Loss against update count for four learning rates (too small, right, too large, far too large).
#[derive(Parser, Debug)]
struct Cli {
    /// The number of gradient-descent updates for each learning rate.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    updates: u64,
    /// Also draw the losses (log scale) against the update count to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    plot: Option<std::path::PathBuf>,
}

/// A loss for the table: fixed-point while readable, scientific when tiny or huge.
fn fmt_loss(v: f64) -> String {
    if v.is_finite() && (1e-4..1e6).contains(&v.abs()) {
        format!("{v:.6}")
    } else {
        format!("{v:.3e}")
    }
}

/// Runs the four regimes, printing a table of the loss at selected update counts.
fn run(cli: &Cli, out: &mut dyn Write) -> Result<Vec<Trace>, Box<dyn std::error::Error>> {
    let updates = cli.updates as usize;
    let traces: Vec<Trace> = REGIMES
        .iter()
        .map(|&(name, lr)| train(name, lr, updates))
        .collect();

    writeln!(
        out,
        "# y_hat = x*w on x = [1, 2, 3], y = [2, 4, 6], w0 = 1; loss = (14/3)(w - 2)^2"
    )?;
    writeln!(
        out,
        "# each update multiplies (w - 2) by 1 - lr*28/3: it oscillates for lr > 0.107 and diverges for lr > 0.214"
    )?;
    let mut header = format!("{:>7}", "update");
    for t in &traces {
        header.push_str(&format!(
            " {:>16}",
            format!("lr={} ({})", t.lr, short(t.name))
        ));
    }
    writeln!(out, "{header}")?;
    let mut shown: Vec<usize> = [0, 1, 2, 3, 5, 10, 20, 30, 40, 60, 100, 200, 500, 1000]
        .into_iter()
        .filter(|&k| k <= updates)
        .collect();
    if shown.last() != Some(&updates) {
        shown.push(updates);
    }
    for k in shown {
        let mut row = format!("{k:>7}");
        for t in &traces {
            row.push_str(&format!(" {:>16}", fmt_loss(t.losses[k])));
        }
        writeln!(out, "{row}")?;
    }
    for t in &traces {
        let factor = 1.0 - t.lr * 28.0 / 3.0;
        writeln!(
            out,
            "{:>13} (lr = {}): error factor per update {factor:+.4}, final w = {}",
            t.name,
            t.lr,
            fmt_loss(*t.ws.last().expect("at least one w"))
        )?;
    }

    if let Some(path) = &cli.plot {
        let series: Vec<tapegrad_plot::Series> = traces
            .iter()
            .map(|t| {
                tapegrad_plot::Series::from_ys(format!("lr = {} ({})", t.lr, t.name), &t.losses)
            })
            .collect();
        let opts = tapegrad_plot::ChartOptions::new()
            .log_y(true)
            .y_range(1e-8, 1e4);
        tapegrad_plot::line_chart_with(
            path,
            "Loss against updates for four learning rates",
            "number of updates",
            "loss (log scale)",
            &series,
            &opts,
        )?;
        eprintln!("wrote {}", path.display());
    }
    Ok(traces)
}

/// A short column title for a regime.
fn short(name: &str) -> &'static str {
    match name {
        "too small" => "small",
        "about right" => "right",
        "too large" => "large",
        _ => "huge",
    }
}

fn main() -> ExitCode {
    tapegrad_examples::exit::exit_code(
        "learning_rates",
        run(&Cli::parse(), &mut io::stdout().lock()),
    )
}
