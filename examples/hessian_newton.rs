//! Second derivatives with `create_graph` (the lecture's learning-rate and feature-scaling page:
//! gradient descent from a Taylor expansion, and the remark that Adagrad approximates
//! second-derivative information).
//!
//! ```text
//! cargo run --release --example hessian_newton
//! ```
//!
//! The loss is L2-regularised logistic regression with two parameters on eight points,
//! `L(θ) = mean(softplus(-y_i θ·x_i)) + (λ/2)|θ|²` with labels `y_i = ±1`: smooth, convex and
//! not quadratic, so its Hessian changes from point to point. The example
//!
//! 1. computes the Hessian `H` by differentiating twice: `g = grad(L, θ, create_graph=true)`,
//!    then one row `H[i, :] = grad(g, θ, grad_outputs = e_i)` per parameter;
//! 2. checks it against the analytic Hessian `mean(σ(z)σ(-z) x xᵀ) + λI` (`z = θ·x`) and against
//!    central finite differences of the gradient;
//! 3. compares the gradient step `Δ = -lr g` with the Newton step `Δ = -H⁻¹ g` through the
//!    Taylor expansion `L(θ+Δ) ≈ L + gᵀΔ + ½ ΔᵀHΔ` (gradient descent minimises the first-order
//!    model inside a small circle; Newton minimises the second-order model exactly), then runs
//!    both for a few iterations: Newton converges quadratically, GD linearly;
//! 4. compares Adagrad's per-parameter scaling `1/sqrt(Σ g²)` with the Newton-like `1/H_ii`.
//!
//! It exits with code 1 if autograd's Hessian disagrees with the analytic one.

use clap::Parser;
use std::io::{self, Write};
use std::process::ExitCode;
use tapegrad::optim::{Adagrad, AdagradConfig, Optimizer};
use tapegrad::prelude::*;

/// Hessian by double backward, checked analytically and numerically; Newton versus gradient steps.
#[derive(Parser, Debug)]
struct Cli {
    /// Iterations of Newton's method and of gradient descent to compare.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=1000))]
    iterations: u64,
}

// The problem, its three Hessians and the 2 × 2 algebra are the library's.
use tapegrad_examples::hessian::*;

/// Runs the four parts, printing each.
fn run(cli: &Cli, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let t0 = START;
    writeln!(
        out,
        "# L(θ) = mean(softplus(-y θ·x)) + ({LAMBDA}/2)|θ|², 8 points, θ0 = ({}, {})",
        t0[0], t0[1]
    )?;
    let g0 = gradient(t0);
    writeln!(
        out,
        "L(θ0) = {:.10}, g = dL/dθ = [{:.10}, {:.10}]",
        loss_at(t0),
        g0[0],
        g0[1]
    )?;

    // 1-2. The Hessian three ways.
    let ha = hessian_autograd(t0);
    let hx = hessian_analytic(t0);
    let hf = hessian_finite_differences(t0, 1e-5);
    writeln!(out, "\n1. Hessian at θ0")?;
    writeln!(out, "  double backward (create_graph): {}", fmt_mat(&ha))?;
    writeln!(out, "  analytic mean(σσ' x xᵀ) + λI:   {}", fmt_mat(&hx))?;
    writeln!(out, "  finite differences (ε = 1e-5):  {}", fmt_mat(&hf))?;
    let (d_an, d_fd) = (max_diff(&ha, &hx), max_diff(&ha, &hf));
    writeln!(
        out,
        "  max |autograd - analytic| = {d_an:.2e}, max |autograd - finite differences| = {d_fd:.2e}"
    )?;
    if d_an > 1e-10 {
        return Err(format!("autograd's Hessian differs from the analytic one by {d_an:e}").into());
    }

    // 3. One step each, through the Taylor expansion.
    let (a, b, d) = (ha[0][0], ha[0][1], ha[1][1]);
    let lmax = (a + d) / 2.0 + (((a - d) / 2.0).powi(2) + b * b).sqrt();
    let lr = 1.0 / lmax;
    writeln!(
        out,
        "\n2. One step from θ0: L(θ+Δ) ≈ L + gᵀΔ (first order) + ½ΔᵀHΔ (second order)"
    )?;
    writeln!(
        out,
        "{:<28} {:>22} {:>12} {:>13} {:>12}",
        "step", "Δ", "1st-order", "2nd-order", "actual"
    )?;
    let l0 = loss_at(t0);
    let gd_step = [-lr * g0[0], -lr * g0[1]];
    let nt_step = newton_step(&ha, g0);
    for (name, s) in [
        (format!("gradient, lr = 1/λmax = {lr:.4}"), gd_step),
        ("Newton, -H⁻¹g".to_string(), nt_step),
    ] {
        let lin = g0[0] * s[0] + g0[1] * s[1];
        let quad = 0.5
            * (s[0] * (ha[0][0] * s[0] + ha[0][1] * s[1])
                + s[1] * (ha[1][0] * s[0] + ha[1][1] * s[1]));
        let actual = loss_at([t0[0] + s[0], t0[1] + s[1]]);
        writeln!(
            out,
            "{name:<28} {:>22} {:>12.8} {:>13.8} {actual:>12.8}",
            format!("[{:.5}, {:.5}]", s[0], s[1]),
            l0 + lin,
            l0 + lin + quad
        )?;
    }

    // 3b. Several iterations of each.
    let iters = cli.iterations as usize;
    let (mut tn, mut tg) = (t0, t0);
    let (mut newton_losses, mut newton_grad_norms, mut gd_losses) =
        (vec![loss_at(t0)], vec![norm(g0)], vec![loss_at(t0)]);
    writeln!(
        out,
        "\n3. Iterations: Newton θ -= H⁻¹g versus gradient descent θ -= {lr:.4} g"
    )?;
    writeln!(
        out,
        "{:>4} {:>16} {:>12} {:>16} {:>12}",
        "k", "Newton loss", "|g|", "GD loss", "|g|"
    )?;
    writeln!(
        out,
        "{:>4} {:>16.12} {:>12.3e} {:>16.12} {:>12.3e}",
        0,
        newton_losses[0],
        norm(g0),
        gd_losses[0],
        norm(g0)
    )?;
    for k in 1..=iters {
        let gn = gradient(tn);
        let s = newton_step(&hessian_autograd(tn), gn);
        tn = [tn[0] + s[0], tn[1] + s[1]];
        let gg = gradient(tg);
        tg = [tg[0] - lr * gg[0], tg[1] - lr * gg[1]];
        newton_losses.push(loss_at(tn));
        newton_grad_norms.push(norm(gradient(tn)));
        gd_losses.push(loss_at(tg));
        writeln!(
            out,
            "{k:>4} {:>16.12} {:>12.3e} {:>16.12} {:>12.3e}",
            newton_losses[k],
            newton_grad_norms[k],
            gd_losses[k],
            norm(gradient(tg))
        )?;
    }

    writeln!(
        out,
        "  far from the minimum the quadratic model is rough (step 2 above); close to it \
         Newton's |g| is squared at every step, while GD's shrinks by a constant factor"
    )?;

    // 4. Adagrad's per-parameter scaling versus the inverse Hessian diagonal.
    let theta = Tensor::from_vec(t0.to_vec(), &[2]).requires_grad_(true);
    let cfg = AdagradConfig {
        lr: 0.5,
        ..Default::default()
    };
    let eps = cfg.eps;
    let mut opt = Adagrad::new([theta.clone()], cfg).expect("valid Adagrad settings");
    let mut sum_sq = [0.0f64; 2];
    let adagrad_steps = 20;
    for _ in 0..adagrad_steps {
        let l = loss(&theta);
        opt.zero_grad();
        l.backward();
        let g = theta.grad().expect("θ requires grad").to_vec();
        sum_sq[0] += g[0] * g[0];
        sum_sq[1] += g[1] * g[1];
        opt.step();
    }
    let tv = theta.to_vec();
    let h_end = hessian_autograd([tv[0], tv[1]]);
    let scale = [
        0.5 / (sum_sq[0].sqrt() + eps),
        0.5 / (sum_sq[1].sqrt() + eps),
    ];
    let inv_diag = [1.0 / h_end[0][0], 1.0 / h_end[1][1]];
    writeln!(
        out,
        "\n4. Adagrad (lr 0.5) after {adagrad_steps} steps, at θ = [{:.5}, {:.5}]",
        tv[0], tv[1]
    )?;
    writeln!(
        out,
        "  its per-parameter rate lr/sqrt(Σg²): [{:.5}, {:.5}], ratio θ1:θ2 = {:.3}",
        scale[0],
        scale[1],
        scale[0] / scale[1]
    )?;
    writeln!(
        out,
        "  Newton's per-parameter rate 1/H_ii:  [{:.5}, {:.5}], ratio θ1:θ2 = {:.3}",
        inv_diag[0],
        inv_diag[1],
        inv_diag[0] / inv_diag[1]
    )?;
    writeln!(
        out,
        "  both give the parameter with the flatter curvature the larger step: Σg² grows faster \
         where the loss is steeper, a first-derivative estimate of the second derivative"
    )?;

    Ok(())
}

fn main() -> ExitCode {
    tapegrad_examples::exit::exit_code(
        "hessian_newton",
        run(&Cli::parse(), &mut io::stdout().lock()),
    )
}
