//! Feature scaling (the lecture's learning-rate and feature-scaling page): the same linear
//! regression with unscaled and with standardised inputs. Unscaled, one feature is ten times larger
//! than the other, so the loss is a narrow valley and gradient descent needs a small learning rate
//! and many steps; standardised (each input to mean 0, standard deviation 1), the contours are
//! nearly round and a few steps suffice.
//!
//! ```text
//! cargo run --release --example feature_scaling
//! cargo run --release --example feature_scaling -- --plot scaling.png   # two panels side by side
//! ```
//!
//! Data: 40 samples, `x1 ~ N(0, 1)`, `x2 ~ N(0, 10²)` (seeded), `y = 3 x1 + 0.5 x2 + noise`,
//! everything centred so the model `y_hat = w1 x1 + w2 x2` needs no bias (two parameters, so the
//! landscape can be drawn). The loss `J(w) = mean((X w - y)^2)` has Hessian `H = (2/n) XᵀX`; GD
//! with learning rate `lr` multiplies the error along each eigenvector by `1 - lr λ`, so the
//! largest stable rate is `2/λ_max` and the slowest direction shrinks by `1 - lr λ_min` per step.
//! Both runs use `lr = 1/λ_max` and count the steps until the loss is within 1e-6 of its
//! minimum (relative to the starting gap): about `ln(1e6) / (λ_min/λ_max)` steps, so the
//! condition number `λ_max/λ_min` decides.

use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;
// The data, the problem's algebra (loss, Hessian, eigenvalues, minimum, standardising) and
// the gradient-descent run live in the library, where the tests check them.
use tapegrad_examples::feature_scaling::{data, descend, Descent, N};

/// Gradient descent with unscaled versus standardised inputs: narrow valley versus round bowl.
#[derive(Parser, Debug)]
struct Cli {
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Give up after this many steps.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    max_steps: u64,
    /// Also draw both landscapes with the GD paths, side by side, to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    plot: Option<std::path::PathBuf>,
}

/// Runs GD on both versions of the problem and prints the comparison.
fn run(cli: &Cli, out: &mut dyn Write) -> Result<(Descent, Descent), Box<dyn std::error::Error>> {
    let raw = data(cli.seed);
    let scaled = raw.standardised();
    let mut results = Vec::new();
    writeln!(
        out,
        "# y = 3 x1 + 0.5 x2 + noise, x1 ~ N(0, 1), x2 ~ N(0, 10^2), {N} samples (seed {})",
        cli.seed
    )?;
    writeln!(
        out,
        "{:<13} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12}",
        "inputs", "λ_min", "λ_max", "condition", "lr=1/λmax", "w*", "GD steps"
    )?;
    for (name, p) in [("unscaled", &raw), ("standardised", &scaled)] {
        let (lmin, lmax) = p.eigenvalues();
        let d = descend(p, cli.max_steps as usize);
        let m = p.minimum();
        writeln!(
            out,
            "{name:<13} {lmin:>10.4} {lmax:>10.4} {:>10.1} {:>10.5} {:>10} {:>12}",
            lmax / lmin,
            d.lr,
            format!("({:.2}, {:.2})", m[0], m[1]),
            d.steps_to_converge
                .map(|s| s.to_string())
                .unwrap_or_else(|| format!("> {}", cli.max_steps))
        )?;
        results.push(d);
    }
    let scaled_d = results.pop().expect("two runs");
    let raw_d = results.pop().expect("two runs");

    if let Some(path) = &cli.plot {
        use tapegrad_plot::{contour_panels, ContourOptions, ContourPanel, Series};
        let to_series = |d: &Descent| {
            let pts: Vec<(f64, f64)> = d.path.iter().map(|&[a, b]| (a, b)).collect();
            vec![Series::new(
                format!(
                    "GD, lr {:.4}: {} steps",
                    d.lr,
                    d.steps_to_converge
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "> max".into())
                ),
                pts,
            )]
        };
        let f_raw = |a: f64, b: f64| raw.loss(a, b);
        let f_scaled = |a: f64, b: f64| scaled.loss(a, b);
        let (mr, ms) = (raw.minimum(), scaled.minimum());
        // Equal scales on both axes of each panel, so round contours look round.
        let square =
            |c: [f64; 2], half: f64| ((c[0] - half, c[0] + half), (c[1] - half, c[1] + half));
        let (rx, ry) = square(
            [mr[0] / 2.0, mr[1] / 2.0],
            mr[0].abs().max(mr[1].abs()) * 0.9 + 0.5,
        );
        let (sx, sy) = square(
            [ms[0] / 2.0, ms[1] / 2.0],
            ms[0].abs().max(ms[1].abs()) * 0.9 + 0.5,
        );
        let panels = [
            ContourPanel {
                title: "unscaled inputs: a narrow valley".into(),
                f: &f_raw,
                x_range: rx,
                y_range: ry,
                paths: to_series(&raw_d),
            },
            ContourPanel {
                title: "standardised inputs: round contours".into(),
                f: &f_scaled,
                x_range: sx,
                y_range: sy,
                paths: to_series(&scaled_d),
            },
        ];
        let opts = ContourOptions::new()
            .labels("w1", "w2")
            .levels(14)
            .size(1400, 680)
            .legend(tapegrad_plot::Legend::LowerRight);
        contour_panels(path, &panels, &opts)?;
        eprintln!("wrote {}", path.display());
    }
    Ok((raw_d, scaled_d))
}

fn main() -> ExitCode {
    tapegrad_examples::exit::exit_code(
        "feature_scaling",
        run(&Cli::parse(), &mut io::stdout().lock()),
    )
}
