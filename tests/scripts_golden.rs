//! The six ported PyTorch training scripts (examples/polynomial.rs, moons.rs, digits_cnn.rs,
//! names_mlp.rs, char_gpt.rs, names_rnn.rs) replay PyTorch's ten golden runs
//! (tests/fixtures/scripts/, from ../shared/golden/scripts/). Each example runs as a program,
//! the binary cargo built next to this test, with the case's flags plus `--data data/<file>
//! --init <case>.init.safetensors --json`, and its JSON line is checked as the fixtures'
//! README says: losses within `tight_rtol` (relative) over the first `tight_steps` steps and
//! within `loose_rtol` after, the final state dict within `final_atol` where that is not null,
//! accuracies equal, greedy samples equal, the other metrics (evaluation losses, gradient
//! norms) within `loose_rtol`. Each case prints its largest relative loss difference (run
//! with `--nocapture` to read them). Seven more cases in the same format
//! (tests/fixtures/scripts_extra/, written by tools/golden/scripts_extra.py) cover flags the ten
//! do not: GRU and 3-layer RNN cells, `--attention module`, other sizes, seeds and batch sizes.

use serde_json::Value;
use std::process::Command;

mod common;
use common::{example_bin, repo};

fn fixture(dir: &str, case: &str) -> Value {
    let path = repo().join(format!("tests/fixtures/{dir}/{case}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("fixture JSON")
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("a list")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs()
    }
}

/// Checks a series step by step (tight tolerance over the first `tight` values, loose after)
/// and returns its largest relative difference over the tight steps and over the rest.
fn check_series(
    case: &str,
    what: &str,
    ours: &[f64],
    torch: &[f64],
    tight: usize,
    tight_rtol: f64,
    loose_rtol: f64,
) -> (f64, f64) {
    assert_eq!(
        ours.len(),
        torch.len(),
        "{case}: {what}: {} values, PyTorch has {}",
        ours.len(),
        torch.len()
    );
    let mut worst = (0.0f64, 0.0f64);
    for (i, (&a, &b)) in ours.iter().zip(torch).enumerate() {
        let r = rel(a, b);
        let tol = if i < tight { tight_rtol } else { loose_rtol };
        assert!(
            r <= tol,
            "{case}: {what}[{i}] = {a}, PyTorch {b}: relative difference {r:.3e} > {tol:e}"
        );
        if i < tight {
            worst.0 = worst.0.max(r);
        } else {
            worst.1 = worst.1.max(r);
        }
    }
    worst
}

/// Runs one of the ten shared golden cases and checks it.
fn replay(case: &str) -> f64 {
    replay_in("scripts", case)
}

/// Runs the golden case `tests/fixtures/<dir>/<case>.json` and checks it; returns the largest
/// relative loss difference.
fn replay_in(dir: &str, case: &str) -> f64 {
    let fx = fixture(dir, case);
    let script = fx["script"].as_str().expect("script");
    let mut args: Vec<String> = fx["args"]
        .as_array()
        .expect("args")
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    if let Some(data) = fx["data"].as_str() {
        args.extend([
            "--data".into(),
            repo().join("data").join(data).display().to_string(),
        ]);
    }
    // Seeded cases (`"init": null`) start from `--seed` alone, as the PyTorch run did.
    if !fx["init"].is_null() {
        let init = repo().join(format!("tests/fixtures/{dir}/{case}.init.safetensors"));
        args.extend(["--init".into(), init.display().to_string()]);
    }
    args.push("--json".into());
    let out = Command::new(example_bin(script))
        .args(&args)
        .output()
        .expect("run the example");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{case}: {script} {args:?} failed ({}): {stderr}",
        out.status
    );
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 output");
    let line = stdout.lines().last().expect("one JSON line");
    let ours: Value = serde_json::from_str(line).expect("the --json line parses");
    let (torch, tol) = (&fx["result"], &fx["tolerance"]);

    for key in ["script", "variant"] {
        assert_eq!(ours.get(key), torch.get(key), "{case}: {key}");
    }
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&ours), keys(torch), "{case}: the JSON line's keys");
    let tight = tol["tight_steps"].as_u64().unwrap() as usize;
    let (tight_rtol, loose_rtol) = (
        tol["tight_rtol"].as_f64().unwrap(),
        tol["loose_rtol"].as_f64().unwrap(),
    );
    let (tight_worst, loose_worst) = check_series(
        case,
        "losses",
        &f64s(&ours["losses"]),
        &f64s(&torch["losses"]),
        tight,
        tight_rtol,
        loose_rtol,
    );

    let mut report = vec![];
    if let Some(metrics) = torch.get("metrics").and_then(Value::as_object) {
        for (name, theirs) in metrics {
            let mine = &ours["metrics"][name];
            if name.contains("accuracy") {
                assert_eq!(
                    f64s(mine),
                    f64s(theirs),
                    "{case}: metrics.{name} (accuracies are equal)"
                );
                report.push(format!("{name} equal"));
            } else if theirs.is_array() {
                let w = check_series(
                    case,
                    name,
                    &f64s(mine),
                    &f64s(theirs),
                    tight,
                    tight_rtol,
                    loose_rtol,
                );
                report.push(format!("{name} max rel {:.2e}", w.0.max(w.1)));
            } else {
                let (a, b) = (mine.as_f64().expect("a number"), theirs.as_f64().unwrap());
                assert!(
                    rel(a, b) <= loose_rtol,
                    "{case}: metrics.{name} = {a}, PyTorch {b}"
                );
                report.push(format!("{name} rel {:.2e}", rel(a, b)));
            }
        }
    }
    if let Some(samples) = torch.get("samples") {
        assert_eq!(&ours["samples"], samples, "{case}: greedy samples");
        report.push("samples equal".into());
    }
    let (mine, theirs) = (
        ours["final"].as_object().unwrap(),
        torch["final"].as_object().unwrap(),
    );
    assert_eq!(
        mine.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>(),
        "{case}: final state dict keys"
    );
    let mut worst_abs = 0.0f64;
    for (k, v) in theirs {
        let (a, b) = (f64s(&mine[k]), f64s(v));
        assert_eq!(a.len(), b.len(), "{case}: final {k} size");
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            if let Some(atol) = tol["final_atol"].as_f64() {
                assert!(
                    (x - y).abs() <= atol,
                    "{case}: final {k}[{i}] = {x}, PyTorch {y} (atol {atol})"
                );
            }
            worst_abs = worst_abs.max((x - y).abs());
        }
    }
    match tol["final_atol"].as_f64() {
        Some(atol) => report.push(format!("final max abs {worst_abs:.2e} (atol {atol:e})")),
        None => report.push(format!(
            "final max abs {worst_abs:.2e} (not compared: final_atol null)"
        )),
    }
    let worst = tight_worst.max(loose_worst);
    let rest = f64s(&torch["losses"]).len() - tight;
    println!(
        "{case}: largest relative loss difference {worst:.3e} ({tight_worst:.3e} over the \
         {tight} tight steps, {loose_worst:.3e} over the other {rest}); {}",
        report.join(", ")
    );
    worst
}

#[test]
fn polynomial_autograd() {
    replay("polynomial_autograd");
}

#[test]
fn polynomial_nn() {
    replay("polynomial_nn");
}

#[test]
fn polynomial_optim() {
    replay("polynomial_optim");
}

#[test]
fn polynomial_module() {
    replay("polynomial_module");
}

#[test]
fn polynomial_custom_function() {
    replay("polynomial_custom_function");
}

#[test]
fn moons() {
    replay("moons");
}

#[test]
fn digits_cnn() {
    replay("digits_cnn");
}

#[test]
fn names_mlp() {
    replay("names_mlp");
}

#[test]
fn names_rnn() {
    replay("names_rnn");
}

#[test]
fn char_gpt() {
    replay("char_gpt");
}

/// More flags than the shared cases cover (tools/golden/scripts_extra.py).
#[test]
fn extra_names_rnn_gru() {
    replay_in("scripts_extra", "names_rnn_gru");
}

/// More flags than the shared cases cover (tools/golden/scripts_extra.py).
#[test]
fn extra_names_rnn_rnn3() {
    replay_in("scripts_extra", "names_rnn_rnn3");
}

/// More flags than the shared cases cover (tools/golden/scripts_extra.py).
#[test]
fn extra_char_gpt_module() {
    replay_in("scripts_extra", "char_gpt_module");
}

/// More flags than the shared cases cover (tools/golden/scripts_extra.py).
#[test]
fn extra_char_gpt_small() {
    replay_in("scripts_extra", "char_gpt_small");
}

/// More flags than the shared cases cover (tools/golden/scripts_extra.py).
#[test]
fn extra_names_mlp_wide() {
    replay_in("scripts_extra", "names_mlp_wide");
}

/// More flags than the shared cases cover (tools/golden/scripts_extra.py).
#[test]
fn extra_digits_cnn_bs32() {
    replay_in("scripts_extra", "digits_cnn_bs32");
}

/// More flags than the shared cases cover (tools/golden/scripts_extra.py).
#[test]
fn extra_moons_seed5() {
    replay_in("scripts_extra", "moons_seed5");
}

/// `--scheduler onecycle` (PyTorch's OneCycleLR, cycling AdamW's beta1).
#[test]
fn extra_digits_cnn_onecycle() {
    replay_in("scripts_extra", "digits_cnn_onecycle");
}

/// Started from `--seed` alone, in the scripts' random modes (random batches, shuffling,
/// dropout): PyTorch's generator gives the same weights, batches and masks
/// (tools/golden/scripts_seeded.py).
#[test]
fn seeded_polynomial_nn() {
    replay_in("scripts_seeded", "polynomial_nn");
}

/// See [`seeded_polynomial_nn`].
#[test]
fn seeded_polynomial_autograd() {
    replay_in("scripts_seeded", "polynomial_autograd");
}

/// See [`seeded_polynomial_nn`].
#[test]
fn seeded_moons() {
    replay_in("scripts_seeded", "moons");
}

/// See [`seeded_polynomial_nn`]: makemore's random `torch.randint` batches.
#[test]
fn seeded_names_mlp() {
    replay_in("scripts_seeded", "names_mlp");
}

/// See [`seeded_polynomial_nn`]: random windows and dropout between the two LSTM layers.
#[test]
fn seeded_names_rnn() {
    replay_in("scripts_seeded", "names_rnn");
}

/// See [`seeded_polynomial_nn`]: random batches and dropout in the transformer.
#[test]
fn seeded_char_gpt() {
    replay_in("scripts_seeded", "char_gpt");
}

/// See [`seeded_polynomial_nn`]: a shuffling `DataLoader` and dropout.
#[test]
fn seeded_digits_cnn() {
    replay_in("scripts_seeded", "digits_cnn");
}
