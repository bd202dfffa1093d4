//! The exponentially weighted (moving) average of a noisy series (the lecture's
//! exponentially-weighted-average section), with the bias-corrected variant beside it.
//!
//! ```text
//! cargo run --release --example ema
//! cargo run --release --example ema -- --beta 0.5 --seed 1
//! ```
//!
//! The original (NumPy + matplotlib), from the lecture page:
//!
//! ```python
//! def test02(beta=0.9):
//!     np.random.seed(666)
//!     y = np.random.randint(5, 40, 30)
//!     print(y)
//!     x = np.arange(30)
//!     y_e = []
//!     for i in range(30):
//!         if i == 0:
//!             y_e.append(y[0])
//!         else:
//!             st = beta * y_e[-1] + (1 - beta) * y[i]
//!             y_e.append(st)
//!     plt.plot(x, np.array(y_e), color='b')
//!     plt.scatter(x, y, color='r')
//!     plt.show()
//! ```
//!
//! `S_t = beta * S_{t-1} + (1 - beta) * y_t` averages roughly the last `1 / (1 - beta)` values
//! (10 for beta = 0.9). It is the idea behind momentum (an average of gradients), RMSprop and
//! Adam (averages of squared gradients), and behind smoothing a noisy loss curve.
//!
//! Starting from `S_0 = y_0`, as the lecture does, avoids the start-up bias; optimizers start
//! from `v_0 = 0` instead, which makes the first values far too small (v_1 = 0.1 * y_1), and
//! divide by `1 - beta^t` to correct it (Adam's bias correction). The table shows both.
//!
//! The 30 integers come from tapegrad's seeded generator (`--seed`, default 666 to echo the
//! lecture's `np.random.seed(666)`); they are NOT the numbers NumPy's generator gives. The
//! table is printed instead of plotted: t, y_t, S_t, and the bias-corrected average.

use clap::Parser;
use std::io::{self, Write};
use tapegrad::prelude::*;

/// Exponentially weighted average of 30 random integers in [5, 40) (the lecture's
/// exponentially-weighted-average section).
#[derive(Parser, Debug)]
struct Cli {
    /// The averaging weight beta, in [0, 1): S_t = beta * S_{t-1} + (1 - beta) * y_t.
    #[arg(long, default_value_t = 0.9, value_parser = parse_beta)]
    beta: f64,
    /// Seed of tapegrad's generator (666 echoes the lecture's np.random.seed(666)).
    #[arg(long, default_value_t = 666)]
    seed: u64,
    /// Also draw the raw points, the average and the bias-corrected average to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    plot: Option<std::path::PathBuf>,
}

/// Accepts a beta in [0, 1) (beta = 1 would never move from the first value).
fn parse_beta(s: &str) -> Result<f64, String> {
    let beta: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number; pass e.g. --beta 0.9"))?;
    if (0.0..1.0).contains(&beta) {
        Ok(beta)
    } else {
        Err(format!("beta must be in [0, 1), got {beta}"))
    }
}

/// `np.random.randint(low, high, n)`: n integers uniform in `[low, high)`, from tapegrad's
/// seeded generator (floor of uniform samples in `[low, high)`).
fn randint(low: i64, high: i64, n: usize) -> Tensor<f64> {
    let u = Tensor::<f64>::uniform(&[n], low as f64, high as f64);
    let ints = u
        .to_vec()
        .into_iter()
        .map(|v| v.floor().min((high - 1) as f64));
    Tensor::from_vec(ints.collect(), &[n])
}

/// Runs the example, writing its table to `out`.
fn run(cli: &Cli, out: &mut dyn Write) -> io::Result<()> {
    let beta = cli.beta;
    manual_seed(cli.seed);
    let y = randint(5, 40, 30);
    let values = y.to_vec();

    writeln!(
        out,
        "# Exponentially weighted average, beta = {beta}, of 30 random integers in [5, 40)"
    )?;
    writeln!(
        out,
        "# from tapegrad's generator, seed {} (not the numbers NumPy's np.random.seed gives)",
        cli.seed
    )?;
    let list: Vec<String> = values.iter().map(|v| format!("{v}")).collect();
    writeln!(out, "# y = [{}]", list.join(" "))?;
    writeln!(
        out,
        "# S_t: the lecture's average, S_0 = y_0, S_t = beta*S_(t-1) + (1-beta)*y_t"
    )?;
    writeln!(
        out,
        "# corrected: v = 0 before y_0, then v = beta*v + (1-beta)*y_t, shown as v / (1 - beta^(t+1))"
    )?;
    writeln!(
        out,
        "{:>3} {:>5} {:>12} {:>12}",
        "t", "y_t", "S_t", "corrected"
    )?;

    let mut s = Tensor::scalar(0.0f64); // the lecture's y_e[-1]
    let mut v = Tensor::scalar(0.0f64); // the optimizers' running average, v_0 = 0
    let (mut smoothed, mut unbiased) = (Vec::new(), Vec::new());
    for (i, &y_i) in values.iter().enumerate() {
        let y_t = Tensor::scalar(y_i);
        s = if i == 0 {
            y_t.clone()
        } else {
            &s * beta + &y_t * (1.0 - beta)
        };
        v = &v * beta + &y_t * (1.0 - beta);
        let corrected = &v / (1.0 - beta.powi(i as i32 + 1));
        writeln!(
            out,
            "{i:>3} {y_i:>5} {:>12.6} {:>12.6}",
            s.item(),
            corrected.item()
        )?;
        smoothed.push((i as f64, s.item()));
        unbiased.push((i as f64, corrected.item()));
    }
    if let Some(path) = &cli.plot {
        use tapegrad_plot::Series;
        let raw = Series::from_ys("y_t", &values);
        let lines = [
            Series::new(format!("S_t (beta = {beta})"), smoothed),
            Series::new("bias-corrected", unbiased),
        ];
        let title = format!("Exponentially weighted average, beta = {beta}");
        tapegrad_plot::points_and_lines(path, &title, "t", "value", &[raw], &lines)
            .map_err(|e| io::Error::other(e.to_string()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn main() -> io::Result<()> {
    run(&Cli::parse(), &mut io::stdout().lock())
}
