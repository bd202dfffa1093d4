//! The `sigmoid_net` and `all_optimizers` examples end to end, run as programs (their flags and
//! the steps that can refuse them are the library's, `tapegrad_examples`, checked in-process):
//! from PyTorch's initial weights (tests/fixtures/net/<case>.init.safetensors)
//! `sigmoid_net --init … --json` must reproduce PyTorch's per-epoch losses (relative 1e-5) and
//! final parameters (absolute 1e-4) for the five golden runs; bad flags are clap errors (exit
//! code 2), bad `--init` files typed errors naming the file.

mod common;

use common::sigmoid_net as try_sigmoid_net;

use clap::error::ErrorKind;
use clap::Parser;
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Mutex;
use tapegrad::nn::{save_safetensors, StateDict, StateDictError};
use tapegrad::prelude::*;
use tapegrad_examples::{AppError, Cli, OptimizerKind};

/// Every run seeds the process-wide generator and then draws the net from it; runs hold this
/// lock so that parallel tests do not interleave their draws.
static RNG: Mutex<()> = Mutex::new(());

fn fixture_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/net")
        .join(rel)
}

fn fixture(case: &str) -> Value {
    let path = fixture_path(&format!("{case}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn init_file(case: &str) -> String {
    fixture_path(&format!("{case}.init.safetensors"))
        .to_str()
        .unwrap()
        .to_string()
}

/// A unique path in the temp dir for this test process.
fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "tapegrad-sigmoid-net-{}-{name}",
        std::process::id()
    ))
}

/// The JSON summary printed as the last line of a `--json` run.
struct Summary {
    losses: Vec<f64>,
    params: Value,
    lines: Vec<String>,
}

fn sigmoid_net_json(args: &[&str]) -> Summary {
    let mut args = args.to_vec();
    args.push("--json");
    let lines = try_sigmoid_net(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    let last: Value = serde_json::from_str(lines.last().unwrap()).unwrap();
    let losses = last["losses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    Summary {
        losses,
        params: last["params"].clone(),
        lines,
    }
}

/// A nested JSON list, flattened row-major.
fn flat(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(flat).collect(),
        x => vec![x.as_f64().unwrap()],
    }
}

const PARAM_NAMES: [&str; 8] = [
    "hide1.0.weight",
    "hide1.0.bias",
    "hide2.0.weight",
    "hide2.0.bias",
    "hide3.0.weight",
    "hide3.0.bias",
    "out.0.weight",
    "out.0.bias",
];

/// Max abs difference over every parameter; the shapes (nesting) must agree.
fn params_max_abs_diff(got: &Value, want: &Value) -> f64 {
    let mut worst = 0.0f64;
    for name in PARAM_NAMES {
        let (g, w) = (&got[name], &want[name]);
        assert_eq!(
            g.as_array().map(Vec::len),
            w.as_array().map(Vec::len),
            "{name}: rows"
        );
        let (g, w) = (flat(g), flat(w));
        assert_eq!(g.len(), w.len(), "{name}: elements");
        for (a, b) in g.iter().zip(&w) {
            worst = worst.max((a - b).abs());
        }
    }
    worst
}

/// The five golden cases and the `sigmoid_net` flags that reproduce them.
const CASES: [(&str, &[&str]); 5] = [
    ("sgd_momentum", &[]), // the default run: SGD lr 0.1 momentum 0.6
    ("adagrad", &["--optimizer", "adagrad"]),
    ("rmsprop_momentum", &["--optimizer", "rmsprop"]),
    ("adam", &["--optimizer", "adam"]),
    ("sgd_plain", &["--optimizer", "sgd", "--momentum", "0"]),
];

#[test]
fn golden_runs_match_pytorch_end_to_end() {
    for (case, flags) in CASES {
        let fx = fixture(case);
        let init = init_file(case);
        let mut args = vec!["--init", init.as_str()];
        args.extend_from_slice(flags);
        let run = sigmoid_net_json(&args);

        let want: Vec<f64> = flat(&fx["losses"]);
        assert_eq!(run.losses.len(), want.len(), "{case}: epochs");
        let mut loss_rel = 0.0f64;
        for (epoch, (g, w)) in run.losses.iter().zip(&want).enumerate() {
            let rel = (g - w).abs() / w.abs();
            assert!(
                rel <= 1e-5,
                "{case} epoch {epoch}: loss {g} vs PyTorch {w} (rel {rel:.2e})"
            );
            loss_rel = loss_rel.max(rel);
        }
        let final_abs = params_max_abs_diff(&run.params, &fx["final"]);
        assert!(
            final_abs <= 1e-4,
            "{case}: final params differ from PyTorch's by {final_abs:.2e}"
        );

        // One step: PyTorch's params_after_first_step within 1e-6 + 1e-5·|x|.
        let one = sigmoid_net_json(&[args.as_slice(), &["--epochs", "1"]].concat());
        for name in PARAM_NAMES {
            let (g, w) = (
                flat(&one.params[name]),
                flat(&fx["params_after_first_step"][name]),
            );
            for (a, b) in g.iter().zip(&w) {
                assert!(
                    (a - b).abs() <= 1e-6 + 1e-5 * b.abs(),
                    "{case} {name} after one step: {a} vs PyTorch {b}"
                );
            }
        }
        println!(
            "{case}: max loss rel diff {loss_rel:.2e} (PyTorch's own f32-vs-f64: {:.2e}), \
             final params max abs diff {final_abs:.2e} (f32-vs-f64: {:.2e})",
            fx["f32_vs_f64_max_rel_diff"].as_f64().unwrap(),
            fx["f32_vs_f64_final_param_max_abs_diff"].as_f64().unwrap()
        );
    }
}

#[test]
fn default_learning_rates_and_momenta_are_the_lectures() {
    // The golden runs record the lecture's hyper-parameters; the flags' defaults must be them.
    for (case, kind) in [
        ("sgd_momentum", OptimizerKind::Sgd),
        ("adagrad", OptimizerKind::Adagrad),
        ("rmsprop_momentum", OptimizerKind::Rmsprop),
        ("adam", OptimizerKind::Adam),
    ] {
        let params = &fixture(case)["optimizer"]["params"];
        assert_eq!(params["lr"].as_f64(), Some(kind.default_lr()), "{case}");
    }
    let cli = Cli::try_parse_from(["sigmoid_net"]).unwrap();
    assert_eq!(
        (cli.optimizer, cli.epochs, cli.seed),
        (OptimizerKind::Sgd, 100, 0)
    );
    assert!(cli.lr.is_none() && cli.momentum.is_none() && !cli.json);
}

#[test]
fn each_epoch_prints_the_loss_as_pytorch_prints_it() {
    let init = init_file("sgd_momentum");
    let run = sigmoid_net_json(&["--init", &init, "--epochs", "5"]);
    assert_eq!(run.lines.len(), 5 + 1, "five loss lines, then the JSON");
    for (line, loss) in run.lines.iter().zip(&run.losses) {
        assert_eq!(
            *line,
            format!("tensor({:.4}, grad_fn=<MseLossBackward0>)", *loss as f32)
        );
    }
    // PyTorch's first printed loss for these weights is tensor(2496.6072, ...): within a few
    // f32 ulps.
    assert!(
        run.lines[0].starts_with("tensor(2496.60"),
        "{}",
        run.lines[0]
    );
}

#[test]
fn target_flag_replaces_the_lectures_rows() {
    // First loss = mean((net(input) - target)^2) with PyTorch's initial output.
    let fx = fixture("adam");
    let out = flat(&fx["output_first"]);
    let init = init_file("adam");
    let target = [0.5, -1.0, 2.0, 0.25, 0.0, 3.0];
    let run = sigmoid_net_json(&[
        "--init",
        &init,
        "--epochs",
        "1",
        "--target",
        "0.5,-1;2,0.25;0,3",
    ]);
    let want: f64 = out
        .iter()
        .zip(target)
        .map(|(y, t)| (y - t).powi(2))
        .sum::<f64>()
        / 6.0;
    let rel = (run.losses[0] - want).abs() / want;
    assert!(rel < 1e-6, "loss {} vs {want}", run.losses[0]);
}

#[test]
fn a_scheduler_changes_the_learning_rate_after_each_step() {
    let init = init_file("sgd_plain");
    let base = ["--init", init.as_str(), "--momentum", "0", "--epochs", "4"];
    let plain = sigmoid_net_json(&base);
    // gamma = 1: the rate never changes, the run is the plain one.
    let exp1 = sigmoid_net_json(&[&base[..], &["--scheduler", "exp:1"]].concat());
    assert_eq!(exp1.losses, plain.losses);
    // The first step uses lr 0.1; StepLR(1, 1e-30) then makes the rate ~0: the weights stop.
    let stop = sigmoid_net_json(&[&base[..], &["--scheduler", "step:1:1e-30"]].concat());
    assert_eq!(stop.losses[..2], plain.losses[..2]);
    assert_ne!(plain.losses[2], plain.losses[1]);
    assert_eq!(stop.losses[2], stop.losses[1]);
    assert_eq!(stop.losses[3], stop.losses[1]);
}

/// Parses `sigmoid_net ARGS`, expecting a clap error.
fn parse_error(args: &[&str]) -> clap::Error {
    match Cli::try_parse_from(std::iter::once("sigmoid_net").chain(args.iter().copied())) {
        Ok(cli) => panic!("{args:?} should be refused, parsed as {cli:?}"),
        Err(e) => e,
    }
}

#[test]
fn unknown_flags_and_bad_values_are_usage_errors_with_exit_code_2() {
    let e = parse_error(&["--learning-rate", "0.1"]);
    assert_eq!((e.kind(), e.exit_code()), (ErrorKind::UnknownArgument, 2));
    for (args, says) in [
        (&["--lr", "abc"][..], "`abc` is not a number"),
        (&["--lr=-0.1"], "must be >= 0"),
        (&["--momentum", "inf"], "not a finite number"),
        (&["--betas", "1.5,0.9"], "beta1 must be in [0, 1), got 1.5"),
        (&["--betas", "0.9,1"], "beta2 must be in [0, 1), got 1"),
        (&["--betas", "0.9"], "expected two numbers"),
        (&["--target", "1,2"], "expected 3 rows"),
        (&["--target", "1,2;0,3;1"], "row 3 (`1`) has 1 values"),
        (&["--target", "1,2;0,x;1,123"], "`x` is not a number"),
        (&["--scheduler", "foo"], "expected `step:STEP_SIZE:GAMMA`"),
        (
            &["--scheduler", "step:0:0.5"],
            "STEP_SIZE must be a positive integer",
        ),
        (&["--scheduler", "exp:-1"], "gamma must be > 0"),
        (&["--epochs", "ten"], "invalid value"),
        // Refused before anything is allocated (it used to abort in Vec::with_capacity).
        (
            &["--epochs", "1000000000000000000"],
            "1000000000000000000 is not in 0..=10000000",
        ),
        (
            &["--epochs", "18446744073709551615"],
            "18446744073709551615 is not in 0..=10000000",
        ),
        // Finite as f64, infinite as f32: checked after the conversion.
        (
            &["--target", "1,2;0,1e39;1,123"],
            "`1e39` overflows float32",
        ),
    ] {
        let e = parse_error(args);
        assert_eq!(e.kind(), ErrorKind::ValueValidation, "{args:?}");
        assert_eq!(e.exit_code(), 2, "{args:?}");
        let msg = e.to_string();
        assert!(msg.contains(says), "{args:?}: {msg}");
    }
    let e = parse_error(&["--optimizer", "sparseadam"]);
    assert_eq!((e.kind(), e.exit_code()), (ErrorKind::InvalidValue, 2));
}

#[test]
fn a_negative_number_is_a_value_not_an_unknown_flag() {
    // `--lr -1` is the optimizer's refusal (PyTorch's words), not clap's "unexpected argument".
    let out = common::run_example("sigmoid_net", &["--lr", "-1"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("Invalid learning rate: -1"), "{stderr}");
    assert!(!stderr.contains("unexpected argument"), "{stderr}");
    // Every flag that takes a number reads a negative one as its value.
    for (args, says) in [
        (&["--lr", "-0.5"][..], "Invalid learning rate: -0.5"),
        (&["--momentum", "-1"], "must be >= 0, got -1"),
        (&["--etas", "-1,2"], "must be >= 0, got -1"),
        (&["--epochs", "-3"], "invalid value '-3'"),
        (&["--target", "-1,2;0,3;1,1e39"], "`1e39` overflows float32"),
    ] {
        let e = parse_error(args);
        assert_eq!(e.kind(), ErrorKind::ValueValidation, "{args:?}: {e}");
        assert!(e.to_string().contains(says), "{args:?}: {e}");
    }
    let cli = Cli::try_parse_from(["sigmoid_net", "--target", "-1,2;0,3;1,123"]).unwrap();
    assert!(cli.target.is_some());
}

#[test]
fn invalid_optimizer_settings_are_usage_errors_not_panics() {
    for (args, says) in [
        (
            &["--nesterov", "--momentum", "0"][..],
            "Nesterov momentum requires",
        ),
        (
            &["--alpha", "0.9"],
            "--alpha is not an option of --optimizer sgd",
        ),
        (
            &["--optimizer", "adam", "--momentum", "0.9"],
            "applies to: sgd, rmsprop",
        ),
        (&["--optimizer", "sgd", "--betas", "0.9,0.99"], "--betas"),
    ] {
        match try_sigmoid_net(args) {
            Err(e @ AppError::Usage(_)) => {
                assert_eq!(e.exit_code(), 2);
                assert!(e.to_string().contains(says), "{args:?}: {e}");
            }
            other => panic!(
                "{args:?}: expected a usage error, got {:?}",
                other.map(|_| ())
            ),
        }
    }
}

/// Runs with `--init path`, expecting an `--init` error; returns its message.
fn init_error(path: &str) -> (StateDictError, String) {
    match try_sigmoid_net(&["--init", path, "--epochs", "1"]) {
        Err(e @ AppError::Init { .. }) => {
            assert_eq!(e.exit_code(), 1);
            let msg = e.to_string();
            assert!(msg.contains(path), "the message names the file: {msg}");
            match e {
                AppError::Init { source, .. } => (*source, msg),
                _ => unreachable!(),
            }
        }
        other => panic!(
            "--init {path}: expected an Init error, got {:?}",
            other.map(|_| ())
        ),
    }
}

#[test]
fn a_missing_or_bad_init_file_is_a_typed_error_naming_the_file() {
    let missing = temp_path("missing.safetensors");
    let (e, _) = init_error(missing.to_str().unwrap());
    assert!(
        matches!(e, StateDictError::Io { ref source, .. } if source.kind() == std::io::ErrorKind::NotFound),
        "{e:?}"
    );

    let bytes = std::fs::read(init_file("adam")).unwrap();
    let truncated = temp_path("truncated.safetensors");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let (e, msg) = init_error(truncated.to_str().unwrap());
    assert!(
        matches!(
            e,
            StateDictError::HeaderTooLarge { .. } | StateDictError::Format { .. }
        ),
        "{e:?}"
    );
    assert!(msg.contains("corrupt safetensors file"), "{msg}");
    std::fs::remove_file(&truncated).unwrap();

    // A valid safetensors file of another model: the state dict does not fit `mynet`.
    let other = temp_path("other.safetensors");
    let mut sd = StateDict::new();
    sd.insert("fc.weight", Tensor::<f32>::zeros(&[2, 2]));
    save_safetensors(&sd, &other).unwrap();
    let (e, msg) = init_error(other.to_str().unwrap());
    assert!(matches!(e, StateDictError::Load(_)), "{e:?}");
    assert!(
        msg.contains("hide1.0.weight") && msg.contains("fc.weight"),
        "missing and unexpected keys are listed: {msg}"
    );
    std::fs::remove_file(&other).unwrap();
}

#[test]
fn save_then_init_continues_from_the_saved_weights() {
    let saved = temp_path("saved.safetensors");
    let saved_s = saved.to_str().unwrap();
    let trained = sigmoid_net_json(&["--seed", "7", "--epochs", "3", "--save", saved_s]);
    // Loading the file gives exactly the trained parameters...
    let loaded = sigmoid_net_json(&["--init", saved_s, "--epochs", "0"]);
    assert!(loaded.losses.is_empty());
    assert_eq!(params_max_abs_diff(&loaded.params, &trained.params), 0.0);
    // ...so the first loss from it is the fourth loss of the same run continued.
    let longer = sigmoid_net_json(&["--seed", "7", "--epochs", "4"]);
    let resumed = sigmoid_net_json(&["--init", saved_s, "--epochs", "1"]);
    assert_eq!(longer.losses[..3], trained.losses[..]);
    assert_eq!(resumed.losses[0], longer.losses[3]);
    std::fs::remove_file(&saved).unwrap();
}

/// `all_optimizers` as these tests reach it: its flags are the library's, its runs the
/// program's (the columns of its `--json` line); a failed run's error is its setup's (`--init`).
mod all_optimizers {
    use super::common::run_example;
    use serde_json::Value;
    pub use tapegrad_examples::all_optimizers::Cli;
    pub use tapegrad_examples::AppError;

    /// One optimizer's run: its column name and every epoch's loss.
    #[derive(Debug)]
    pub struct Run {
        pub name: &'static str,
        pub losses: Vec<f32>,
    }

    /// Runs the program with `cli`'s flags; `out` receives its standard output.
    pub fn run(cli: &Cli, out: &mut Vec<u8>) -> Result<Vec<Run>, AppError> {
        let mut args = vec![
            "--epochs".to_string(),
            cli.epochs.to_string(),
            "--seed".into(),
            cli.seed.to_string(),
        ];
        if let Some(init) = &cli.init {
            args.extend(["--init".into(), init.display().to_string()]);
        }
        if cli.json {
            args.push("--json".into());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = run_example("all_optimizers", &args);
        out.extend_from_slice(&output.stdout);
        if !output.status.success() {
            let stderr = String::from_utf8(output.stderr).unwrap();
            let err = tapegrad_examples::lecture::initial_net(cli.seed, cli.init.as_deref())
                .err()
                .unwrap_or_else(|| panic!("{args:?}: {stderr}"));
            assert_eq!(output.status.code(), Some(err.exit_code()), "{stderr}");
            assert_eq!(stderr, format!("error: {err}\n"));
            return Err(err);
        }
        let text = String::from_utf8(output.stdout).unwrap();
        let json: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
        let runs = json
            .as_object()
            .expect("the --json line: one entry per optimizer");
        Ok(runs
            .iter()
            .map(|(name, run)| Run {
                name: Box::leak(name.clone().into_boxed_str()),
                losses: run["losses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_f64().unwrap() as f32)
                    .collect(),
            })
            .collect())
    }
}

#[test]
fn all_optimizers_columns_are_four_sigmoid_net_runs() {
    let init = init_file("rmsprop_momentum");
    for source in [vec!["--init", init.as_str()], vec!["--seed", "3"]] {
        let mut args = vec!["all_optimizers", "--epochs", "20", "--json"];
        args.extend(&source);
        let cli = all_optimizers::Cli::try_parse_from(&args).unwrap();
        let mut out = Vec::new();
        let runs = {
            let _g = RNG.lock().unwrap_or_else(|p| p.into_inner());
            all_optimizers::run(&cli, &mut out).unwrap()
        };
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 1 + 20 + 1, "header, 20 rows, JSON");
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["epoch", "sgd", "adagrad", "rmsprop", "adam"]
        );
        let json: Value = serde_json::from_str(lines[21]).unwrap();
        let names: Vec<&str> = runs.iter().map(|r| r.name).collect();
        assert_eq!(names, ["sgd", "adagrad", "rmsprop", "adam"]);
        for (col, run) in runs.iter().enumerate() {
            let mut single = vec!["--optimizer", run.name, "--epochs", "20"];
            single.extend(&source);
            let alone = sigmoid_net_json(&single);
            let column: Vec<f64> = run.losses.iter().map(|&l| l as f64).collect();
            assert_eq!(column, alone.losses, "{}", run.name);
            assert_eq!(
                flat(&json[run.name]["losses"]),
                alone.losses,
                "{}",
                run.name
            );
            assert_eq!(json[run.name]["params"], alone.params, "{}", run.name);
            // The table shows the same numbers, row by row.
            for (epoch, line) in lines[1..21].iter().enumerate() {
                let cells: Vec<&str> = line.split_whitespace().collect();
                assert_eq!(cells[0], (epoch + 1).to_string());
                assert_eq!(cells[col + 1], format!("{:.4}", run.losses[epoch]));
            }
        }
        // From the same weights every optimizer starts at the same loss, then they part.
        assert!(runs.iter().all(|r| r.losses[0] == runs[0].losses[0]));
        assert!(runs
            .iter()
            .all(|r| r.losses[19] != runs[0].losses[19] || r.name == "sgd"));
    }
}

#[test]
fn all_optimizers_bad_init_names_the_file() {
    let missing = temp_path("missing-all.safetensors");
    let cli = all_optimizers::Cli::try_parse_from([
        "all_optimizers",
        "--init",
        missing.to_str().unwrap(),
    ])
    .unwrap();
    let err = all_optimizers::run(&cli, &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains(missing.to_str().unwrap()), "{err}");
    assert!(matches!(err, all_optimizers::AppError::Init { .. }));
}

#[test]
fn a_diverging_run_stops_with_a_clear_message_and_exit_code_1() {
    // Adam with lr 1e38 sends the weights to ±inf after one step: the second loss is NaN.
    let err = try_sigmoid_net(&["--optimizer", "adam", "--lr", "1e38", "--epochs", "20"])
        .expect_err("a NaN loss must stop training");
    assert!(matches!(err, AppError::Diverged(_)), "{err:?}");
    assert_eq!(err.exit_code(), 1);
    let message = err.to_string();
    assert!(
        message.contains("the loss became NaN at epoch 2"),
        "{message}"
    );
    assert!(message.contains("smaller --lr"), "{message}");
}

#[test]
fn all_optimizers_refuses_an_epoch_count_it_could_not_hold() {
    for epochs in ["10000001", "1000000000000000000", "18446744073709551615"] {
        let e = all_optimizers::Cli::try_parse_from(["all_optimizers", "--epochs", epochs])
            .unwrap_err();
        assert_eq!((e.kind(), e.exit_code()), (ErrorKind::ValueValidation, 2));
        assert!(e.to_string().contains("is not in 0..=10000000"), "{e}");
    }
}

#[cfg(unix)]
#[test]
fn save_through_a_symlink_writes_the_links_target() {
    let dir = temp_path("symlink-dir");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("weights")).unwrap();
    let target = dir.join("weights/net.safetensors");
    std::fs::write(&target, b"previous weights").unwrap();
    let link = dir.join("latest.safetensors");
    std::os::unix::fs::symlink("weights/net.safetensors", &link).unwrap();
    let trained = sigmoid_net_json(&[
        "--seed",
        "7",
        "--epochs",
        "2",
        "--save",
        link.to_str().unwrap(),
    ]);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink(),
        "--save replaced the link with a regular file"
    );
    let loaded = sigmoid_net_json(&["--init", target.to_str().unwrap(), "--epochs", "0"]);
    assert_eq!(params_max_abs_diff(&loaded.params, &trained.params), 0.0);
    std::fs::remove_dir_all(&dir).unwrap();
}
