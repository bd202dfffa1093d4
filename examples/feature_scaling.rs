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
use tapegrad::optim::{Optimizer, SgdConfig, SGD};
use tapegrad::prelude::*;

/// Gradient descent with unscaled versus standardised inputs: narrow valley versus round bowl.
#[derive(Parser, Debug)]
pub struct Cli {
    /// Seed of the synthetic data.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Give up after this many steps.
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_steps: u64,
    /// Also draw both landscapes with the GD paths, side by side, to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    pub plot: Option<std::path::PathBuf>,
}

/// Number of samples.
pub const N: usize = 40;

/// A two-feature least-squares problem: rows of `x` (centred) and `y` (centred).
#[derive(Clone, Debug)]
pub struct Problem {
    /// Features, `N` rows of two.
    pub x: Vec<[f64; 2]>,
    /// Targets.
    pub y: Vec<f64>,
}

impl Problem {
    /// `J(w) = mean((x w - y)^2)` in plain f64.
    pub fn loss(&self, w1: f64, w2: f64) -> f64 {
        self.x
            .iter()
            .zip(&self.y)
            .map(|(r, y)| (w1 * r[0] + w2 * r[1] - y).powi(2))
            .sum::<f64>()
            / self.y.len() as f64
    }

    /// The Hessian `(2/n) XᵀX` as `[a, b, c]` for `[[a, b], [b, c]]`.
    pub fn hessian(&self) -> [f64; 3] {
        let n = self.y.len() as f64;
        let s = |i: usize, j: usize| self.x.iter().map(|r| r[i] * r[j]).sum::<f64>() * 2.0 / n;
        [s(0, 0), s(0, 1), s(1, 1)]
    }

    /// The Hessian's eigenvalues (smallest, largest).
    pub fn eigenvalues(&self) -> (f64, f64) {
        let [a, b, c] = self.hessian();
        let mid = (a + c) / 2.0;
        let r = (((a - c) / 2.0).powi(2) + b * b).sqrt();
        (mid - r, mid + r)
    }

    /// The exact minimiser (normal equations).
    pub fn minimum(&self) -> [f64; 2] {
        let [a, b, c] = self.hessian();
        let n = self.y.len() as f64;
        let g0 = self
            .x
            .iter()
            .zip(&self.y)
            .map(|(r, y)| r[0] * y)
            .sum::<f64>()
            * 2.0
            / n;
        let g1 = self
            .x
            .iter()
            .zip(&self.y)
            .map(|(r, y)| r[1] * y)
            .sum::<f64>()
            * 2.0
            / n;
        let det = a * c - b * b;
        [(c * g0 - b * g1) / det, (a * g1 - b * g0) / det]
    }

    /// Each feature divided by its standard deviation (the data are already centred).
    pub fn standardised(&self) -> Problem {
        let n = self.y.len() as f64;
        let sd = |i: usize| (self.x.iter().map(|r| r[i] * r[i]).sum::<f64>() / n).sqrt();
        let (s0, s1) = (sd(0), sd(1));
        Problem {
            x: self.x.iter().map(|r| [r[0] / s0, r[1] / s1]).collect(),
            y: self.y.clone(),
        }
    }
}

/// Centres a column.
fn centred(v: Vec<f64>) -> Vec<f64> {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    v.into_iter().map(|a| a - m).collect()
}

/// The synthetic data set (seeded).
pub fn data(seed: u64) -> Problem {
    manual_seed(seed);
    let x1 = centred(Tensor::<f64>::randn(&[N]).to_vec());
    let x2 = centred((Tensor::<f64>::randn(&[N]) * 10.0).to_vec());
    let noise = Tensor::<f64>::randn(&[N]).to_vec();
    let y = centred(
        (0..N)
            .map(|i| 3.0 * x1[i] + 0.5 * x2[i] + 0.3 * noise[i])
            .collect(),
    );
    Problem {
        x: (0..N).map(|i| [x1[i], x2[i]]).collect(),
        y,
    }
}

/// A gradient-descent run.
#[derive(Clone, Debug, PartialEq)]
pub struct Descent {
    /// The learning rate used (1/λ_max).
    pub lr: f64,
    /// The iterates, from `w = (0, 0)`.
    pub path: Vec<[f64; 2]>,
    /// Steps until the loss gap fell below 1e-6 of the starting gap (`None`: not within the
    /// step limit).
    pub steps_to_converge: Option<usize>,
}

/// GD with `tapegrad::optim::SGD` on the full batch, from (0, 0), with `lr = 1/λ_max`.
pub fn descend(p: &Problem, max_steps: usize) -> Descent {
    let (_, lmax) = p.eigenvalues();
    let lr = 1.0 / lmax;
    let x = Tensor::from_vec(p.x.iter().flatten().copied().collect(), &[p.y.len(), 2]);
    let y = Tensor::from_vec(p.y.clone(), &[p.y.len()]);
    let w = Tensor::<f64>::zeros(&[2]).requires_grad_(true);
    let mut opt = SGD::new(
        [w.clone()],
        SgdConfig {
            lr,
            ..Default::default()
        },
    )
    .expect("a positive learning rate is a valid SGD config");
    let [m0, m1] = p.minimum();
    let best = p.loss(m0, m1);
    let gap0 = p.loss(0.0, 0.0) - best;
    let mut path = vec![[0.0, 0.0]];
    let mut steps_to_converge = None;
    for step in 1..=max_steps {
        let l = (x.matmul(&w) - &y).pow(2.0).mean();
        opt.zero_grad();
        l.backward();
        opt.step();
        let v = w.to_vec();
        path.push([v[0], v[1]]);
        if p.loss(v[0], v[1]) - best <= 1e-6 * gap0 {
            steps_to_converge = Some(step);
            break;
        }
    }
    Descent {
        lr,
        path,
        steps_to_converge,
    }
}

/// Runs GD on both versions of the problem and prints the comparison.
pub fn run(
    cli: &Cli,
    out: &mut dyn Write,
) -> Result<(Descent, Descent), Box<dyn std::error::Error>> {
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
