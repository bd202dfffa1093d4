//! The teaching examples (examples/*.rs): the programs are run and their output checked (the
//! explain trace's lines, backprop by hand against autograd and PyTorch, Newton's iterations,
//! the plots they draw); the values they compute but do not print in full precision (the
//! explain step's numbers, the Hessians, the learning-rate regimes, the loss landscape's paths,
//! feature scaling's descents) are checked through the library functions the programs call
//! (`tapegrad_examples::{explain, numpy_gd, hessian, learning_rates, loss_landscape,
//! feature_scaling}`).
//!
//! The examples must be built: plain `cargo test` builds them, `cargo test --test teaching`
//! alone does not (run `cargo build --examples` first).

use serde_json::Value;
use std::path::PathBuf;
use std::sync::Mutex;
use tapegrad_examples::explain::explain_step;
use tapegrad_examples::{feature_scaling as scaling, hessian, learning_rates as lrs};
use tapegrad_examples::{loss_landscape as landscape, numpy_gd};

mod common;
use common::run_example;

/// Tests that seed tapegrad's process-wide generator take this lock.
static RNG_LOCK: Mutex<()> = Mutex::new(());

fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    RNG_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("utf-8 output")
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapegrad_teaching_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn assert_png(path: &PathBuf) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{path:?} is not a PNG");
    assert!(
        bytes.len() > 10_000,
        "{path:?} is only {} bytes",
        bytes.len()
    );
}

/// The stdout of the example `name` run with `args`, which must succeed.
fn example_text(name: &str, args: &[&str]) -> String {
    let out = run_example(name, args);
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    text(out.stdout)
}

/// The standard error of `name args`, which must fail with exit code `code`.
fn example_error(name: &str, args: &[&str], code: i32) -> (String, String) {
    let out = run_example(name, args);
    let stderr = text(out.stderr);
    assert_eq!(out.status.code(), Some(code), "{name} {args:?}: {stderr}");
    (stderr, text(out.stdout))
}

// ------------------------------------------------------------------ numpy_manual_gd --explain

fn numpy_data() -> (
    tapegrad::prelude::Tensor<f32>,
    tapegrad::prelude::Tensor<f32>,
) {
    use tapegrad::prelude::Tensor;
    (
        Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]),
        Tensor::from_vec(vec![2.0f32, 4.0, 6.0, 8.0], &[4]),
    )
}

#[test]
fn explain_first_step_is_minus_30() {
    let (x, y) = numpy_data();
    let mut out = Vec::new();
    let e = explain_step(1, 0.0, &x, &y, 0.01, numpy_gd::SCRIPT, &mut out).unwrap();
    // x_i (0 x_i - y_i) = -x_i y_i = -2, -8, -18, -32; sum -60; (1/4) * 2 * -60 = -30.
    assert_eq!(e.terms, vec![-2.0, -8.0, -18.0, -32.0]);
    assert_eq!(e.sum, -60.0);
    assert_eq!(e.dw_by_hand, -30.0);
    assert_eq!(e.dw_autograd, -30.0);
    assert!((e.w_after - 0.3).abs() < 1e-15, "{}", e.w_after);
    let s = text(out);
    assert!(s.contains("dJ/dw = (1/4) * 2 * (-60) = -30"), "{s}");
    // The tape's own trace: mean passes 1/4 down, pow 2(wx - y)/4, mul x times that.
    assert!(
        s.contains("passed on: dL/d#5 += [0.25, 0.25, 0.25, 0.25]"),
        "{s}"
    );
    assert!(s.contains("passed on: dL/d#4 += [-1, -2, -3, -4]"), "{s}");
    assert!(s.contains("passed on: dL/d#0 (w) += -30"), "{s}");
    assert!(s.contains("local rule: d(a*b)/da = b"), "{s}");
    assert!(s.contains("0 - 0.01 * (-30) = 0.3"), "{s}");
}

#[test]
fn explain_second_step_is_minus_25_5_not_the_pages_minus_27() {
    let (x, y) = numpy_data();
    let w1 = 0.0 - 0.01 * -30.0f64;
    let mut out = Vec::new();
    let e = explain_step(2, w1, &x, &y, 0.01, numpy_gd::SCRIPT, &mut out).unwrap();
    // At w = 0.3: x_i (0.3 x_i - y_i) = -1.7, -6.8, -15.3, -27.2 (the page's -7.4, -16.1,
    // -28.8 are wrong), sum -51, dJ/dw = -25.5 (not -27.0), w = 0.3 + 0.255 = 0.555.
    let want = [-1.7f32, -6.8, -15.3, -27.2];
    for (t, w) in e.terms.iter().zip(want) {
        assert!((t - w).abs() < 1e-5, "term {t} vs {w}");
    }
    assert!((e.sum + 51.0).abs() < 1e-5, "{}", e.sum);
    assert!((e.dw_by_hand + 25.5).abs() < 1e-5, "{}", e.dw_by_hand);
    assert!((e.dw_autograd - e.dw_by_hand).abs() < 1e-5);
    assert!((e.w_after - 0.555).abs() < 1e-6, "{}", e.w_after);
    let s = text(out);
    assert!(
        s.contains("= -1.7, 2*(0.3*2 - 4) = -6.8, 3*(0.3*3 - 6) = -15.3, 4*(0.3*4 - 8) = -27.2"),
        "{s}"
    );
    assert!(s.contains("(1/4) * 2 * (-51) = -25.5"), "{s}");
    assert!(s.contains("0.3 - 0.01 * (-25.5) = 0.555"), "{s}");
    assert!(s.contains("-27.0") && s.contains("slip"), "{s}");
}

#[test]
fn explain_keeps_the_pages_12_lines() {
    let run = |args: &[&str]| example_text("numpy_manual_gd", args);
    let plain = run(&[]);
    assert_eq!(plain.lines().count(), 12);
    let explained = run(&["--explain"]);
    // The page's lines, in order, are exactly the explained output's lines that the default
    // run prints.
    let kept: Vec<&str> = explained
        .lines()
        .filter(|l| l.starts_with("epoch ") || l.starts_with("Prediction "))
        .collect();
    assert_eq!(kept, plain.lines().collect::<Vec<_>>());
    assert_eq!(explained.matches("== iteration").count(), 2);
}

// ------------------------------------------------------------------ backprop_by_hand

fn golden_net() -> Value {
    let path = format!(
        "{}/tests/fixtures/net/sgd_momentum.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn flatten(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| flatten(x, out)),
        Value::Number(n) => out.push(n.as_f64().unwrap()),
        other => panic!("unexpected {other}"),
    }
}

/// What `backprop_by_hand` printed: the loss, the gradients by the formulas (by PyTorch's
/// names, each row-major) and the largest difference from autograd's.
struct Outcome {
    loss: f64,
    by_hand: Vec<(String, Vec<f64>)>,
    max_abs_diff: f64,
}

/// Reads the numbers of a printed matrix row `    [ 0.1  -2.0e-5]` or vector `...: [0.1 0.2]`.
fn cells(line: &str) -> Vec<f64> {
    let inner = &line[line.rfind('[').unwrap() + 1..line.rfind(']').unwrap()];
    inner
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect()
}

/// Runs `backprop_by_hand ARGS` (which must succeed) and reads its output.
fn backprop(args: &[&str]) -> (Outcome, String) {
    const NAMES: [&str; 4] = ["hide1", "hide2", "hide3", "out"];
    let s = example_text("backprop_by_hand", args);
    let lines: Vec<&str> = s.lines().collect();
    let after = |prefix: &str| -> f64 {
        let l = lines.iter().find(|l| l.starts_with(prefix)).unwrap();
        let v = l[prefix.len()..].split_whitespace().next().unwrap();
        v.parse().unwrap()
    };
    let mut by_hand = Vec::new();
    for (l, name) in NAMES.iter().enumerate() {
        let w_label = format!("  dL/dW{} = ", l + 1);
        let i = lines.iter().position(|x| x.starts_with(&w_label)).unwrap();
        let rows: usize = lines[i]
            .split('[')
            .nth(1)
            .unwrap()
            .split('x')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let w: Vec<f64> = lines[i + 1..=i + rows]
            .iter()
            .flat_map(|r| cells(r))
            .collect();
        let b_label = format!("  dL/db{} = ", l + 1);
        let b = cells(lines.iter().find(|x| x.starts_with(&b_label)).unwrap());
        by_hand.push((format!("{name}.0.weight"), w));
        by_hand.push((format!("{name}.0.bias"), b));
    }
    let outcome = Outcome {
        loss: after("loss L = mean((a4 - t)²) over 6 entries = "),
        by_hand,
        max_abs_diff: after("max abs difference (loss and all gradients): "),
    };
    (outcome, s)
}

#[test]
fn backprop_by_hand_agrees_with_autograd_and_pytorch() {
    let (o, s) = backprop(&[]);
    assert!(
        o.max_abs_diff < 1e-12,
        "formulas vs autograd: {}",
        o.max_abs_diff
    );

    let g = golden_net();
    // The loss of the initial parameters, PyTorch's losses[0].
    let l0 = g["losses"][0].as_f64().unwrap();
    assert!(
        (o.loss - l0).abs() <= 1e-6 + 1e-5 * l0.abs(),
        "{} vs {l0}",
        o.loss
    );
    let mut checked = 0;
    for (name, grad) in &o.by_hand {
        let mut want = Vec::new();
        flatten(&g["grads_first"][name.as_str()], &mut want);
        assert_eq!(grad.len(), want.len(), "{name}");
        for (a, b) in grad.iter().zip(&want) {
            assert!(
                (a - b).abs() <= 1e-6 + 1e-5 * b.abs(),
                "{name}: by hand {a} vs PyTorch {b}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * 3 + 3 + 3 * 2 + 2 + 2 * 12 + 12 + 12 * 2 + 2);

    // Every intermediate is printed.
    for needle in [
        "z1 [3x3]",
        "a4 = σ(z4) [3x2]",
        "δ4 = dL/dz4",
        "dL/dW1 = δ1ᵀ a0",
        "dL/db3",
    ] {
        assert!(s.contains(needle), "missing {needle}");
    }
}

#[test]
fn backprop_by_hand_with_a_seeded_init_agrees_too() {
    let (o, _) = backprop(&["--seed", "3"]);
    assert!(o.max_abs_diff < 1e-12, "{}", o.max_abs_diff);
    example_error("backprop_by_hand", &["--seed", "1", "--init", "x"], 2);
}

#[test]
fn backprop_by_hand_reports_a_missing_file() {
    let (err, _) = example_error(
        "backprop_by_hand",
        &["--init", "/nonexistent/w.safetensors"],
        1,
    );
    assert!(err.contains("/nonexistent/w.safetensors"), "{err}");
}

#[test]
fn backprop_by_hand_refuses_weights_holding_nan_or_inf() {
    // It used to print the NaN results and say that they "agree" (f64::max drops a NaN).
    let init = common::repo().join("tests/fixtures/net/sgd_momentum.init.safetensors");
    let mut sd: tapegrad::nn::StateDict = tapegrad::nn::load_safetensors(&init).unwrap();
    let w = sd.get("hide2.0.weight").unwrap();
    let mut values = w.to_vec();
    values[1] = f32::NAN;
    sd.insert(
        "hide2.0.weight",
        tapegrad::prelude::Tensor::from_vec(values, &w.shape()),
    );
    let path = tmp("nan_init.safetensors");
    tapegrad::nn::save_safetensors(&sd, &path).unwrap();
    let (err, out) = example_error("backprop_by_hand", &["--init", path.to_str().unwrap()], 1);
    assert!(
        err.contains("nan_init.safetensors: `hide2.0.weight` holds 1 NaN or infinite value"),
        "{err}"
    );
    assert!(out.is_empty(), "nothing is computed or printed");
    std::fs::remove_file(&path).unwrap();
}

// ------------------------------------------------------------------ hessian_newton

#[test]
fn hessian_by_double_backward_matches_analytic_and_finite_differences() {
    // What `hessian_newton` computes at its start θ0 (part 1 of its output).
    let t0 = hessian::START;
    let h_autograd = hessian::hessian_autograd(t0);
    let h_analytic = hessian::hessian_analytic(t0);
    let h_finite = hessian::hessian_finite_differences(t0, 1e-5);
    assert!(hessian::max_diff(&h_autograd, &h_analytic) < 1e-12);
    assert!(hessian::max_diff(&h_autograd, &h_finite) < 1e-7);
    // Symmetric, positive definite (convex loss + λI).
    assert_eq!(h_autograd[0][1], h_autograd[1][0]);
    assert!(h_autograd[0][0] > hessian::LAMBDA && h_autograd[1][1] > hessian::LAMBDA);
    // At another point too.
    let t = [-0.7, 0.4];
    let d = hessian::max_diff(&hessian::hessian_autograd(t), &hessian::hessian_analytic(t));
    assert!(d < 1e-12, "{d}");
}

/// What `hessian_newton` printed of its iterations and of Adagrad's scaling.
struct NewtonReport {
    newton_losses: Vec<f64>,
    newton_grad_norms: Vec<f64>,
    gd_losses: Vec<f64>,
    adagrad_scale: [f64; 2],
    inverse_diag: [f64; 2],
}

/// Reads part 3's table (`k`, Newton loss, |g|, GD loss, |g|) and part 4's two rates.
fn newton_report(s: &str) -> NewtonReport {
    let table = s.split("\n3. Iterations").nth(1).expect("part 3");
    let rows: Vec<Vec<f64>> = table
        .lines()
        .skip(2)
        .map(|l| {
            l.split_whitespace()
                .map(str::parse)
                .collect::<Result<Vec<f64>, _>>()
        })
        .take_while(|r| r.as_ref().is_ok_and(|r| r.len() == 5))
        .map(Result::unwrap)
        .collect();
    let pair = |prefix: &str| -> [f64; 2] {
        let l = s.lines().find(|l| l.starts_with(prefix)).expect(prefix);
        let inner = &l[prefix.len()..];
        let inner = &inner[inner.find('[').unwrap() + 1..inner.find(']').unwrap()];
        let (a, b) = inner.split_once(", ").unwrap();
        [a.parse().unwrap(), b.parse().unwrap()]
    };
    NewtonReport {
        newton_losses: rows.iter().map(|r| r[1]).collect(),
        newton_grad_norms: rows.iter().map(|r| r[2]).collect(),
        gd_losses: rows.iter().map(|r| r[3]).collect(),
        adagrad_scale: pair("  its per-parameter rate lr/sqrt(Σg²):"),
        inverse_diag: pair("  Newton's per-parameter rate 1/H_ii:"),
    }
}

#[test]
fn newton_converges_quadratically_and_gradient_descent_linearly() {
    let r = newton_report(&example_text("hessian_newton", &["--iterations", "8"]));
    let g = &r.newton_grad_norms;
    // Once close (|g| < 0.1), each Newton step at least squares the error (up to a constant).
    let k = g.iter().position(|&v| v < 0.1).expect("Newton gets close");
    assert!(g[k + 1] < 10.0 * g[k] * g[k], "{g:?}");
    assert!(g[k + 2] < 1e-8, "{g:?}");
    // GD, after the same number of iterations, is still well above Newton's loss.
    let best = *r.newton_losses.last().unwrap();
    assert!(r.gd_losses[8] - best > 1e-8, "{:?}", r.gd_losses);
    assert!(r.gd_losses[8] < r.gd_losses[0]);
    // Adagrad's scaling orders the parameters the way 1/H_ii does.
    assert_eq!(
        r.adagrad_scale[0] > r.adagrad_scale[1],
        r.inverse_diag[0] > r.inverse_diag[1]
    );
}

// ------------------------------------------------------------------ learning_rates

#[test]
fn learning_rate_regimes() {
    // What `learning_rates --updates 40` computes (and prints in part).
    let t: Vec<lrs::Trace> = lrs::REGIMES
        .iter()
        .map(|&(name, lr)| lrs::train(name, lr, 40))
        .collect();
    let by = |name: &str| t.iter().find(|r| r.name == name).unwrap();
    let (small, right, large, huge) = (
        by("too small"),
        by("about right"),
        by("too large"),
        by("far too large"),
    );
    // Small: decreases at every step, but slowly (still > 1% of the start after 40 updates).
    assert!(small.losses.windows(2).all(|w| w[1] < w[0]));
    assert!(small.losses[40] > 0.01 * small.losses[0]);
    assert!(
        small.ws.iter().all(|&w| w < 2.0),
        "approaches from one side"
    );
    // About right: converges.
    assert!(right.losses[40] < 1e-15, "{}", right.losses[40]);
    assert!((right.ws[40] - 2.0).abs() < 1e-8);
    // Too large: w - 2 changes sign at every update (oscillates), the loss still falls.
    for k in 0..40 {
        let (a, b) = (large.ws[k] - 2.0, large.ws[k + 1] - 2.0);
        assert!(a * b < 0.0, "no sign change at update {k}: {a} then {b}");
    }
    assert!(large.losses[40] < large.losses[0]);
    // Far too large: diverges, growing at every step.
    assert!(huge.losses.windows(2).all(|w| w[1] > w[0]));
    assert!(huge.losses[40] > 1e6 * huge.losses[0]);
    // Exactly the factor 1 - lr * 28/3 per update on w - 2.
    for r in &t {
        let f = 1.0 - r.lr * 28.0 / 3.0;
        assert!(
            ((r.ws[1] - 2.0) - f * (r.ws[0] - 2.0)).abs() < 1e-12,
            "{}",
            r.name
        );
    }
}

// ------------------------------------------------------------------ loss_landscape

#[test]
fn loss_landscape_paths_end_near_the_minimum() {
    let _g = rng_lock();
    // What `loss_landscape` computes with its defaults (100 steps, seed 0) and prints in part.
    let paths = landscape::paths(100, 0);
    let m = landscape::minimum();
    // The normal equations' answer is a stationary point of the loss.
    let h = 1e-6;
    let dw = (landscape::loss_at(m[0] + h, m[1]) - landscape::loss_at(m[0] - h, m[1])) / (2.0 * h);
    let db = (landscape::loss_at(m[0], m[1] + h) - landscape::loss_at(m[0], m[1] - h)) / (2.0 * h);
    assert!(dw.abs() < 1e-6 && db.abs() < 1e-6);
    assert_eq!(paths.len(), 6);
    for p in &paths {
        assert_eq!(p.points.len(), 101, "{}", p.name);
        assert_eq!(p.points[0], landscape::START);
        let [w, b] = p.end();
        let dist = ((w - m[0]).powi(2) + (b - m[1]).powi(2)).sqrt();
        let tol = if p.name.starts_with("SGD") { 0.3 } else { 0.1 };
        assert!(dist < tol, "{} ends {dist} from the minimum", p.name);
    }
    // Full-batch GD and momentum converge tightly.
    for p in paths
        .iter()
        .filter(|p| p.name.starts_with("GD") || p.name.starts_with("momentum"))
    {
        let [w, b] = p.end();
        assert!(
            (w - m[0]).abs() < 1e-3 && (b - m[1]).abs() < 1e-3,
            "{}",
            p.name
        );
    }
    // Adagrad's first step moves both coordinates by its lr (g / sqrt(g²)).
    let ada = paths
        .iter()
        .find(|p| p.name.starts_with("Adagrad"))
        .unwrap();
    let step = [
        ada.points[1][0] - ada.points[0][0],
        ada.points[1][1] - ada.points[0][1],
    ];
    assert!(
        (step[0].abs() - 1.0).abs() < 1e-6 && (step[1].abs() - 1.0).abs() < 1e-6,
        "{step:?}"
    );
}

// ------------------------------------------------------------------ feature_scaling

#[test]
fn standardising_makes_the_bowl_round_and_gd_fast() {
    let _g = rng_lock();
    // What `feature_scaling` computes with its defaults (seed 0, at most 20 000 steps).
    let p = scaling::data(0);
    let (raw, scaled) = (
        scaling::descend(&p, 20_000),
        scaling::descend(&p.standardised(), 20_000),
    );
    let (lmin, lmax) = p.eigenvalues();
    let (smin, smax) = p.standardised().eigenvalues();
    assert!(lmax / lmin > 50.0, "unscaled condition {}", lmax / lmin);
    assert!(smax / smin < 2.0, "standardised condition {}", smax / smin);
    let (r, s) = (
        raw.steps_to_converge.unwrap(),
        scaled.steps_to_converge.unwrap(),
    );
    assert!(
        s <= 10 && r >= 50 * s,
        "unscaled {r} steps, standardised {s}"
    );
    // Both reach the least-squares solution.
    let m = p.minimum();
    let last = raw.path.last().unwrap();
    assert!(
        (last[0] - m[0]).abs() < 1e-2 && (last[1] - m[1]).abs() < 1e-3,
        "{last:?} vs {m:?}"
    );
}

// ------------------------------------------------------------------ plots

#[test]
fn plots_are_written() {
    let lr_png = tmp("learning_rates.png");
    example_text("learning_rates", &["--plot", lr_png.to_str().unwrap()]);
    assert_png(&lr_png);

    let land_png = tmp("landscape.png");
    example_text("loss_landscape", &["--plot", land_png.to_str().unwrap()]);
    assert_png(&land_png);

    let fs_png = tmp("scaling.png");
    example_text("feature_scaling", &["--plot", fs_png.to_str().unwrap()]);
    assert_png(&fs_png);

    let ema_svg = tmp("ema.svg");
    example_text("ema", &["--plot", ema_svg.to_str().unwrap()]);
    let svg = std::fs::read_to_string(&ema_svg).unwrap();
    assert!(svg.contains("<svg") && svg.contains("bias-corrected"));
    assert_eq!(
        svg.matches("<circle").count(),
        30 + 1,
        "30 points and a legend marker"
    );

    let np_png = tmp("numpy.png");
    example_text("numpy_manual_gd", &["--plot", np_png.to_str().unwrap()]);
    assert_png(&np_png);
}

#[test]
fn sigmoid_net_dot_is_the_first_epochs_graph_and_changes_nothing() {
    let _g = rng_lock();
    let dot = tmp("graph.dot");
    let png = tmp("sigmoid.png");
    let run = |extra: &[&str]| {
        let mut args = vec!["--epochs", "3"];
        args.extend_from_slice(extra);
        let lines = common::sigmoid_net(&args).unwrap();
        lines.iter().map(|l| format!("{l}\n")).collect::<String>()
    };
    let plain = run(&[]);
    let with = run(&[
        "--dot",
        dot.to_str().unwrap(),
        "--plot",
        png.to_str().unwrap(),
    ]);
    assert_eq!(plain, with, "--dot and --plot must not change the training");
    assert_png(&png);
    let g = std::fs::read_to_string(&dot).unwrap();
    assert!(g.starts_with("digraph tape {") && g.trim_end().ends_with('}'));
    let count = |needle: &str| g.matches(needle).count();
    // 4 × (Linear = addmm, Sigmoid) and one MSE loss.
    assert_eq!(count("label=\"AddmmBackward0\""), 4);
    assert_eq!(count("label=\"SigmoidBackward0\""), 4);
    assert_eq!(count("label=\"MseLossBackward0\""), 1);
    // Tensors: input, target, 8 parameters, 4 addmm outputs, 4 sigmoid outputs, the loss.
    assert_eq!(count("shape=record"), 2 + 8 + 4 + 4 + 1);
    // Every op node has an edge out to its result; addmm has three inputs.
    assert_eq!(count("-> t"), 9);
    assert_eq!(count(" -> op"), 4 * 3 + 4 + 2);
    for name in ["hide1.0.weight", "out.0.bias", "(input)", "(loss)"] {
        assert!(g.contains(name), "{name} missing");
    }
    // After backward every parameter node shows its gradient.
    let out_w = g.lines().find(|l| l.contains("(out.0.weight)")).unwrap();
    assert!(!out_w.contains("grad - }"), "{out_w}");
}

#[test]
fn a_plot_path_with_a_bad_extension_is_a_usage_error() {
    for args in [["--plot", "a.jpg"], ["--plot", "noext"]] {
        for name in ["learning_rates", "loss_landscape", "numpy_manual_gd"] {
            let (err, _) = example_error(name, &args, 2);
            assert!(err.starts_with("error: "), "{name} {args:?}: {err}");
        }
    }
}
