//! The lecture examples (examples/*.rs), run as programs: each example's output is compared
//! with the lecture's printed lines (golden files in tests/fixtures/linreg/) or checked
//! numerically; `numpy_manual_gd`'s iterations, which it does not print in full precision, are
//! checked through the library function its loop calls
//! (`tapegrad_examples::numpy_gd::step`).
//!
//! The examples must be built: plain `cargo test` builds them, `cargo test --test
//! lecture_examples` alone does not (run `cargo build --examples` first).

use serde_json::Value;
use std::io::BufRead;
use std::process::{Command, Stdio};
use tapegrad_examples::numpy_gd;

mod common;
use common::{example_bin, run_example};

/// The stdout lines of the example `name` run with `args`, which must succeed.
fn example_lines(name: &str, args: &[&str]) -> Vec<String> {
    let out = run_example(name, args);
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    lines(out.stdout)
}

/// Asserts that `name args` is a usage error: exit code 2 and clap's `error: ` message.
fn assert_usage_error(name: &str, args: &[&str]) {
    let out = run_example(name, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {stderr}");
    assert!(stderr.starts_with("error: "), "{name} {args:?}: {stderr}");
}

fn golden(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/linreg/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn golden_strings(v: &Value, field: &str) -> Vec<String> {
    v[field]
        .as_array()
        .unwrap_or_else(|| panic!("golden field `{field}` is not a list"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_string())
        .collect()
}

/// A list of numbers of a golden file, parsed from the JSON text with Rust's correctly rounded
/// `str::parse::<f64>` (serde_json's default float parsing can be one ulp off, and these
/// values are compared bit for bit).
fn golden_f64s(name: &str, field: &str) -> Vec<f64> {
    let path = format!(
        "{}/tests/fixtures/linreg/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let key = format!("\"{field}\":[");
    let start = text
        .find(&key)
        .unwrap_or_else(|| panic!("{path}: no list `{field}`"))
        + key.len();
    let end = start + text[start..].find(']').expect("a closing bracket");
    text[start..end]
        .split(',')
        .map(|v| {
            v.trim()
                .parse()
                .unwrap_or_else(|e| panic!("{path} `{field}`: {v}: {e}"))
        })
        .collect()
}

fn lines(bytes: Vec<u8>) -> Vec<String> {
    String::from_utf8(bytes)
        .expect("utf-8 output")
        .lines()
        .map(str::to_string)
        .collect()
}

fn assert_same_lines(got: &[String], want: &[String]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g, w, "line {} differs", i + 1);
    }
    assert_eq!(got.len(), want.len(), "number of lines");
}

// ------------------------------------------------------------------ Python float printing

#[test]
fn py_float_matches_python_repr() {
    use tapegrad_examples::pyfmt::py_float;
    let cases = [
        (4.0, "4.0"),
        (0.1, "0.1"),
        (1e-05, "1e-05"),
        (1.5e-07, "1.5e-07"),
        (0.0001, "0.0001"),
        (1e16, "1e+16"),
        (1.5e16, "1.5e+16"),
        (9999999999999998.0, "9999999999999998.0"),
        (123456789012345678.0, "1.2345678901234568e+17"),
        (-0.0, "-0.0"),
        (0.0, "0.0"),
        (7.999777758621207, "7.999777758621207"),
        (-16.2288, "-16.2288"),
        (5.250973729513143e-26, "5.250973729513143e-26"),
        (1e300, "1e+300"),
        (f64::INFINITY, "inf"),
        (f64::NAN, "nan"),
    ];
    for (v, want) in cases {
        assert_eq!(py_float(v), want, "py_float({v:e})");
    }
}

// ------------------------------------------------------------------ linear_regression_bgd

#[test]
fn bgd_prints_the_lecture_lines() {
    let g = golden("bgd_seed000");
    let got = example_lines("linear_regression_bgd", &[]);
    assert_same_lines(&got, &golden_strings(&g, "printed_lines"));
    assert_eq!(
        got[1],
        "Epoch:  0 w =  1.0933333333333333 loss =  4.666666666666667"
    );
}

// ------------------------------------------------------------------ linear_regression_sgd

#[test]
fn sgd_per_sample_prints_the_lecture_lines() {
    let g = golden("sgd_per_sample");
    let got = example_lines("linear_regression_sgd", &["--mode", "per-sample"]);
    assert_same_lines(&got, &golden_strings(&g, "printed_lines"));
    assert_eq!(got[1], "\tgrad:  1.0 2.0 -2.0");
    // per-sample is the default mode
    assert_eq!(example_lines("linear_regression_sgd", &[]), got);
}

/// Parses `progress: 7 w=1.44 loss=1.24` into (epoch, w).
fn random_progress(line: &str) -> (usize, f64) {
    let rest = line.strip_prefix("progress: ").expect("a progress line");
    let mut it = rest.split(' ');
    let epoch = it.next().unwrap().parse().unwrap();
    let w = it
        .next()
        .unwrap()
        .strip_prefix("w=")
        .unwrap()
        .parse()
        .unwrap();
    (epoch, w)
}

#[test]
fn sgd_random_mode_is_seeded_and_converges() {
    let run = |seed: &str| {
        example_lines(
            "linear_regression_sgd",
            &["--mode", "random", "--seed", seed],
        )
    };
    let a = run("3");
    assert_eq!(a, run("3"), "same seed, same run");
    assert_ne!(a, run("4"), "another seed picks other samples");
    assert_eq!(a.len(), 1 + 2 * 100 + 1);
    assert_eq!(a[0], "Predict (before training) 4 4.0");
    let mut picked = [0usize; 3];
    for epoch in 0..100 {
        // "\tgrad:  3.0 6.0 -18.00": one of the three samples, y = 2x
        let grad: Vec<&str> = a[1 + 2 * epoch]
            .strip_prefix("\tgrad:  ")
            .expect("a grad line")
            .split(' ')
            .collect();
        let (x, y): (f64, f64) = (grad[0].parse().unwrap(), grad[1].parse().unwrap());
        assert_eq!(y, 2.0 * x);
        picked[x as usize - 1] += 1;
        assert_eq!(random_progress(&a[2 + 2 * epoch]).0, epoch);
    }
    assert!(
        picked.iter().all(|&n| n > 15),
        "each sample picked often: {picked:?}"
    );
    let after: f64 = a[201]
        .strip_prefix("Predict (after training) 4 ")
        .unwrap()
        .parse()
        .unwrap();
    assert!((after - 8.0).abs() < 1e-2, "prediction {after}");
}

// ------------------------------------------------------------------ numpy_manual_gd

#[test]
fn numpy_manual_gd_prints_the_pages_12_lines() {
    let g = golden("numpy_f32");
    let got = example_lines("numpy_manual_gd", &[]);
    assert_same_lines(&got, &golden_strings(&g, "expected_lines"));
}

#[test]
fn numpy_manual_gd_steps_match_the_trace_and_autograd() {
    let (want_w, want_loss, want_dw) = (
        golden_f64s("numpy_f32", "w"),
        golden_f64s("numpy_f32", "loss"),
        golden_f64s("numpy_f32", "dw"),
    );
    let x = tapegrad::prelude::Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);
    let y = tapegrad::prelude::Tensor::from_vec(vec![2.0f32, 4.0, 6.0, 8.0], &[4]);
    let mut w = 0.0f64;
    let mut worst_ulps = 0i64;
    for i in 0..20 {
        let s = numpy_gd::step(w, &x, &y, 0.01);
        assert_eq!(s.loss, want_loss[i] as f32, "loss of iteration {i}");
        assert_eq!(s.dw, want_dw[i] as f32, "dw of iteration {i}");
        assert_eq!(s.w_after, want_w[i], "w after iteration {i}");
        let ulps = (s.dw.to_bits() as i64 - s.dw_autograd.to_bits() as i64).abs();
        worst_ulps = worst_ulps.max(ulps);
        assert!(s.gradients_agree(), "iteration {i}: {s:?}");
        w = s.w_after;
    }
    assert!(worst_ulps <= 4, "autograd vs formula: {worst_ulps} ulps");
    // The page's hand-derived first step: dJ/dw = -30, w = 0.3; then -25.5 at w = 0.3.
    let s = numpy_gd::step(0.0, &x, &y, 0.01);
    assert_eq!((s.dw, s.dw_autograd, s.w_after), (-30.0, -30.0, 0.3));
    assert_eq!(s.y_pred, vec![0.0; 4]);
    assert_eq!(numpy_gd::step(0.3, &x, &y, 0.01).dw, -25.5);
}

#[test]
fn numpy_manual_gd_verbose_adds_the_check_without_changing_the_lines() {
    let g = golden("numpy_f32");
    let got = example_lines("numpy_manual_gd", &["--verbose"]);
    let (checks, page): (Vec<String>, Vec<String>) =
        got.into_iter().partition(|l| l.starts_with("  dJ/dw"));
    assert_eq!(checks.len(), 20);
    assert_eq!(
        checks[0],
        "  dJ/dw at w = 0: formula -30.00000000, autograd -30.00000000"
    );
    assert_same_lines(&page, &golden_strings(&g, "expected_lines"));
}

// ------------------------------------------------------------------ ema

/// The table rows of the ema output: (t, y_t, S_t, corrected).
fn ema_rows(out: &[String]) -> Vec<(usize, f64, f64, f64)> {
    out.iter()
        .filter(|l| !l.starts_with('#') && !l.trim_start().starts_with('t'))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 4, "row `{l}`");
            (
                f[0].parse().unwrap(),
                f[1].parse().unwrap(),
                f[2].parse().unwrap(),
                f[3].parse().unwrap(),
            )
        })
        .collect()
}

fn run_ema(args: &[&str]) -> Vec<String> {
    example_lines("ema", args)
}

#[test]
fn ema_follows_both_recurrences() {
    for (args, beta) in [(&[][..], 0.9), (&["--beta", "0.5", "--seed", "1"][..], 0.5)] {
        let out = run_ema(args);
        assert!(out[0].contains(&format!("beta = {beta}")), "{}", out[0]);
        assert!(out.iter().any(|l| l.contains("not the numbers NumPy")));
        let rows = ema_rows(&out);
        assert_eq!(rows.len(), 30);
        let (mut s, mut v) = (0.0f64, 0.0f64);
        for (i, &(t, y, s_t, corrected)) in rows.iter().enumerate() {
            assert_eq!(t, i);
            assert!(y.fract() == 0.0 && (5.0..40.0).contains(&y), "y_{t} = {y}");
            s = if i == 0 {
                y
            } else {
                beta * s + (1.0 - beta) * y
            };
            v = beta * v + (1.0 - beta) * y;
            let c = v / (1.0 - f64::powi(beta, i as i32 + 1));
            assert!(
                (s_t - s).abs() <= 5e-7,
                "S_{t}: printed {s_t}, recomputed {s}"
            );
            assert!(
                (corrected - c).abs() <= 5e-7,
                "corrected {t}: {corrected} vs {c}"
            );
        }
        // Both start at y_0: the lecture by definition, the other by its bias correction.
        assert_eq!((rows[0].2, rows[0].3), (rows[0].1, rows[0].1));
        // The raw list in the header is the table's y column.
        let ys: Vec<String> = rows.iter().map(|r| r.1.to_string()).collect();
        assert!(out.contains(&format!("# y = [{}]", ys.join(" "))));
    }
}

#[test]
fn ema_is_seeded() {
    assert_eq!(run_ema(&[]), run_ema(&["--seed", "666"]));
    assert_ne!(run_ema(&[]), run_ema(&["--seed", "667"]));
}

#[test]
fn ema_rejects_a_beta_outside_0_1() {
    for bad in ["1", "1.5", "-0.1", "abc", "NaN"] {
        assert_usage_error("ema", &["--beta", bad]);
    }
    // The bounds' inside: the run averages with exactly that beta.
    assert!(run_ema(&["--beta", "0"])[0].contains("beta = 0, "));
    assert!(run_ema(&["--beta", "0.99"])[0].contains("beta = 0.99, "));
}

// ------------------------------------------------------------------ minibatch_gd

/// What a `minibatch_gd` run printed it learned.
#[derive(Clone, Debug, PartialEq)]
struct Fit {
    /// Per epoch: the mean loss over that epoch's samples.
    epoch_losses: Vec<f64>,
    /// The learned slope.
    w: f64,
    /// The learned intercept.
    b: f64,
}

fn run_minibatch(args: &[&str]) -> (Vec<String>, Fit) {
    let out = example_lines("minibatch_gd", args);
    let epoch_losses = out[1..out.len() - 1]
        .iter()
        .map(|l| {
            let (_, loss) = l.split_once(": loss = ").expect("an epoch line");
            loss.parse().unwrap()
        })
        .collect();
    let last = out.last().expect("the learned line");
    let rest = last.strip_prefix("learned w = ").expect("the learned line");
    let (w, rest) = rest.split_once(", b = ").unwrap();
    let (b, _) = rest.split_once(' ').unwrap();
    let fit = Fit {
        epoch_losses,
        w: w.parse().unwrap(),
        b: b.parse().unwrap(),
    };
    (out, fit)
}

#[test]
fn minibatch_learns_w_2_and_b_0() {
    let (out, fit) = run_minibatch(&[]);
    assert!((fit.w - 2.0).abs() < 0.1, "w = {}", fit.w);
    assert!(fit.b.abs() < 0.05, "b = {}", fit.b);
    assert_eq!(out.len(), 1 + 20 + 1);
    assert!(
        out[0].contains("batch size 32: 8 updates per epoch"),
        "{}",
        out[0]
    );
    assert_eq!(
        out[1],
        format!("epoch   1: loss = {:.6}", fit.epoch_losses[0])
    );
    assert_eq!(
        out[21],
        format!(
            "learned w = {:.4}, b = {:.4} (true: w = 2, b = 0)",
            fit.w, fit.b
        )
    );
    // The noise has variance 0.01: the final loss ends near it.
    let last = *fit.epoch_losses.last().unwrap();
    assert!((0.005..0.02).contains(&last), "final loss {last}");
}

#[test]
fn minibatch_batch_size_1_is_sgd_and_full_batch_is_bgd() {
    let (sgd_out, sgd) = run_minibatch(&["--batch-size", "1"]);
    let (bgd_out, bgd) = run_minibatch(&["--batch-size", "256"]);
    assert!(sgd_out[0].contains("256 updates per epoch (stochastic gradient descent)"));
    assert!(bgd_out[0].contains("1 update per epoch (batch gradient descent)"));
    // Full-batch descent with a small enough lr decreases the loss every epoch ...
    for (i, pair) in bgd.epoch_losses.windows(2).enumerate() {
        assert!(pair[1] < pair[0], "batch GD loss rose at epoch {}", i + 2);
    }
    // ... but 20 steps leave it far from w = 2, while 20 * 256 SGD steps get there.
    assert!((bgd.w - 2.0).abs() > 0.3, "batch GD w = {}", bgd.w);
    assert!((sgd.w - 2.0).abs() < 0.1, "SGD w = {}", sgd.w);
    assert!(sgd.epoch_losses[0] < bgd.epoch_losses[0]);
    // A batch size above the data size is batch gradient descent too.
    let (big_out, big) = run_minibatch(&["--batch-size", "1000"]);
    assert_eq!(big, bgd);
    assert_eq!(big_out[1..], bgd_out[1..]);
}

// ------------------------------------------------------------------ command-line errors

#[test]
fn bad_flags_are_usage_errors_with_exit_code_2() {
    for args in [
        &["--batch-size", "0"][..],
        &["--batch-size", "-3"],
        &["--epochs", "0"],
        &["--epochs", "10000001"],
        &["--epochs", "1000000000000000000"],
        &["--epochs", "18446744073709551615"],
        &["--lr", "0"],
        &["--lr", "x"],
        &["--bogus"],
    ] {
        assert_usage_error("minibatch_gd", args);
    }
    assert_usage_error("linear_regression_bgd", &["--bogus"]);
    assert_usage_error("linear_regression_sgd", &["--mode", "sometimes"]);
    assert_usage_error("linear_regression_sgd", &["--seed", "-1"]);
    assert_usage_error("numpy_manual_gd", &["--explain-this"]);
    assert_usage_error("ema", &["--seed"]);
}

#[test]
fn minibatch_stops_with_a_clear_error_when_the_loss_diverges() {
    let out = run_example("minibatch_gd", &["--lr", "1e20"]);
    assert_eq!(out.status.code(), Some(1), "lr 1e20 diverges");
    let message = String::from_utf8(out.stderr).unwrap();
    assert!(
        message.contains("the loss became") && message.contains("diverged"),
        "{message}"
    );
    // It stops at the first non-finite epoch loss instead of printing all 20 epochs.
    assert!(
        lines(out.stdout).len() < 1 + 20,
        "training went on after the loss stopped being finite"
    );
}

// ------------------------------------------------------------------ fit_line

/// `fit_line ARGS`: the learned w (the last line's) or the error message, and the stdout lines.
fn run_fit_line(args: &[&str]) -> (Result<f32, String>, Vec<String>) {
    let out = run_example("fit_line", args);
    let stdout = lines(out.stdout);
    if !out.status.success() {
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        return (Err(String::from_utf8(out.stderr).unwrap()), stdout);
    }
    let last = stdout.last().expect("at least one epoch");
    let (_, w) = last.split_once(", w = ").expect("an epoch line");
    (Ok(w.parse().unwrap()), stdout)
}

#[test]
fn fit_line_honours_its_flags_and_help() {
    let (w, out) = run_fit_line(&[]);
    assert_eq!(out.len(), 20);
    assert!(out[0].starts_with("epoch  0: loss = "), "{}", out[0]);
    assert!((w.unwrap() - 2.0).abs() < 1e-3);
    let (w, out) = run_fit_line(&["--epochs", "3", "--lr", "0.01"]);
    assert_eq!(out.len(), 3);
    // w = 1, loss = mean((x - 2x)^2) = 14/3, gradient -28/3: one step of 0.01 gives 1.0933...
    assert_eq!(out[0], "epoch  0: loss = 4.666667, w = 1.093333");
    assert!(w.unwrap() < 1.5, "a smaller lr moves less");
    // --help and --version-less usage: help text, not a training run.
    let help = run_example("fit_line", &["--help"]);
    assert!(help.status.success(), "--help exits 0");
    let text = String::from_utf8(help.stdout).unwrap();
    assert!(text.contains("Usage: fit_line"), "{text}");
    assert!(!text.contains("epoch  0:"), "{text}");
    assert!(text.contains("--epochs") && text.contains("--lr"), "{text}");
    for args in [
        &["--bogus"][..],
        &["--epochs", "0"],
        &["--epochs", "1000000000000000000"],
        &["--epochs", "18446744073709551615"],
        &["--lr", "nan"],
        &["--lr", "-1"],
    ] {
        assert_usage_error("fit_line", args);
    }
    // A diverging run stops with an error instead of printing NaN lines.
    let (w, out) = run_fit_line(&["--lr", "1e30"]);
    let e = w.unwrap_err();
    assert!(e.contains("diverged"), "{e}");
    assert!(out.len() < 20);
}

#[test]
fn fit_line_stops_at_a_closed_pipe_without_panicking() {
    // `fit_line --epochs 10000000 | head -1`: the reader takes one line and goes away.
    let mut child = Command::new(example_bin("fit_line"))
        .args(["--epochs", "10000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start fit_line");
    let mut first = String::new();
    let mut reader = std::io::BufReader::new(child.stdout.take().expect("piped stdout"));
    reader.read_line(&mut first).unwrap();
    drop(reader);
    let out = child.wait_with_output().unwrap();
    assert!(first.starts_with("epoch  0: loss = "), "{first}");
    // The write that fails is a closed pipe: a quiet success, no panic, no message.
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{:?}: {stderr}", out.status);
    assert!(
        stderr.is_empty(),
        "it stops at the first failed write: {stderr}"
    );
}
