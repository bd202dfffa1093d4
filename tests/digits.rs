//! examples/digits.rs, run as a program: the learning, save/eval, exact resume, NaN stop,
//! anomaly detection and flag/file validation, read from its output, exit code and files; the
//! split and the model, which the program takes from the library, through
//! `tapegrad_examples::digits`.
//!
//! The example must be built: plain `cargo test` builds it, `cargo test --test digits` alone
//! does not (run `cargo build --example digits` first).

use std::path::PathBuf;
use std::sync::Mutex;
use tapegrad::checkpoint::Checkpoint;
use tapegrad_examples::digits::{self, split_permutation, CHECKPOINT_FILE};

mod common;
use common::run_example;

/// In-process setups seed the process-wide generator; one at a time.
static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapegrad-digits-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a run printed: the per-epoch curves, the final test accuracy (a fraction, to the
/// printed two decimals of its percentage) and the confusion matrix.
#[derive(Debug)]
struct Report {
    train_losses: Vec<f64>,
    test_accuracies: Vec<f64>,
    accuracy: f64,
    confusion: Vec<Vec<usize>>,
}

/// `12.34 %` as the fraction 0.1234.
fn percent(text: &str) -> f64 {
    let v: f64 = text.split_whitespace().next().unwrap().parse().unwrap();
    v / 100.0
}

/// A fraction to the two decimals of its printed percentage.
fn as_printed(fraction: f64) -> f64 {
    percent(&format!("{:.2}", 100.0 * fraction))
}

fn parse_report(text: &str) -> Report {
    let mut r = Report {
        train_losses: vec![],
        test_accuracies: vec![],
        accuracy: f64::NAN,
        confusion: vec![],
    };
    let mut lines = text.lines();
    while let Some(l) = lines.next() {
        if let Some(rest) = l.strip_prefix("epoch ") {
            let (_, rest) = rest.split_once(": train loss ").unwrap();
            let (loss, acc) = rest.split_once(", test accuracy ").unwrap();
            r.train_losses.push(loss.parse().unwrap());
            r.test_accuracies.push(percent(acc));
        } else if let Some((_, acc)) = l
            .split_once("test accuracy ")
            .filter(|_| l.starts_with("test accuracy ") || l.contains(": test accuracy "))
        {
            r.accuracy = percent(acc);
        } else if l.starts_with("confusion matrix") {
            lines.next(); // the column labels
            r.confusion = (0..10)
                .map(|_| {
                    let row = lines.next().unwrap();
                    row.split_whitespace()
                        .skip(1)
                        .map(|n| n.parse().unwrap())
                        .collect()
                })
                .collect();
        }
    }
    r
}

/// Runs `digits ARGS`: the report it printed, or its error message (exit code 1, `error: `
/// stripped); and its stdout.
fn output(args: &[&str]) -> (Result<Report, String>, String) {
    let out = run_example("digits", args);
    let text = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    if out.status.success() {
        return (Ok(parse_report(&text)), text);
    }
    assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
    let msg = stderr
        .trim_end()
        .strip_prefix("error: ")
        .unwrap_or_else(|| panic!("{args:?}: {stderr}"));
    (Err(msg.to_string()), text)
}

/// The weights a run saved with `--save`.
fn weights(file: &std::path::Path) -> tapegrad::nn::StateDict {
    tapegrad::nn::load_safetensors(file).unwrap()
}

#[test]
fn split_is_a_seeded_fisher_yates_permutation() {
    let p = split_permutation(1797, 42);
    let mut sorted = p.clone();
    sorted.sort();
    assert_eq!(sorted, (0..1797).collect::<Vec<_>>());
    assert_eq!(p, split_permutation(1797, 42));
    assert_ne!(p, split_permutation(1797, 43));
    // the documented first steps: i = 4, 3, 2, 1 on 0..5
    let small = split_permutation(5, 42);
    assert_ne!(small, [0, 1, 2, 3, 4]);
    assert_eq!(split_permutation(1, 42), [0]);
    assert!(split_permutation(0, 42).is_empty());
}

#[test]
fn a_short_run_learns_and_reports_every_epoch() {
    let dir = temp_dir("short");
    let plot = dir.join("curves.svg");
    let (r, text) = output(&["--epochs", "3", "--quiet", "--plot", plot.to_str().unwrap()]);
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(svg.contains("<svg") && svg.contains("test accuracy"));
    std::fs::remove_dir_all(&dir).unwrap();
    let r = r.unwrap();
    assert_eq!(r.train_losses.len(), 3);
    assert!(r.train_losses[0] < 2.31 && r.train_losses[2] < r.train_losses[0]);
    // after 3 epochs (69 Adam steps) the MLP is far above chance (10 %)
    assert!(r.accuracy > 0.6, "{}", r.accuracy);
    assert_eq!(r.test_accuracies.last(), Some(&r.accuracy));
    assert!(text.starts_with("digits: 1437 train / 360 test images, 23 batches of 64 per epoch"));
    assert!(text.contains("epoch   3: train loss"));
    assert!(text.contains("confusion matrix (rows: true digit, columns: predicted digit)"));
    let total: usize = r.confusion.iter().flatten().sum();
    assert_eq!(total, 360);
    let correct: usize = (0..10).map(|i| r.confusion[i][i]).sum();
    assert_eq!(as_printed(correct as f64 / 360.0), r.accuracy);
}

#[test]
fn the_full_recipe_reaches_about_97_percent() {
    let (r, _) = output(&["--quiet"]);
    let r = r.unwrap();
    assert_eq!(r.train_losses.len(), 30);
    // With PyTorch's generator, seed 0 gives PyTorch's initial weights and batch orders; that
    // run ends at 96.9 % (349 of 360), where the ChaCha8 stream of earlier versions happened to
    // reach 97 %.
    assert!(r.accuracy >= 0.965, "test accuracy {}", r.accuracy);
    assert!(*r.train_losses.last().unwrap() < 0.1);
}

#[test]
fn save_writes_pytorch_names_and_eval_reads_them_back() {
    let dir = temp_dir("save");
    let file = dir.join("digits.safetensors");
    let f = file.to_str().unwrap();
    let (trained, _) = output(&["--epochs", "2", "--quiet", "--save", f]);
    let trained = trained.unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut names: Vec<(String, Vec<usize>)> = st
        .tensors()
        .into_iter()
        .map(|(n, v)| (n, v.shape().to_vec()))
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ("0.bias".to_string(), vec![128]),
            ("0.weight".to_string(), vec![128, 64]),
            ("2.bias".to_string(), vec![64]),
            ("2.weight".to_string(), vec![64, 128]),
            ("4.bias".to_string(), vec![10]),
            ("4.weight".to_string(), vec![10, 64]),
        ]
    );
    let (evaluated, text) = output(&["--eval", f]);
    let evaluated = evaluated.unwrap();
    assert_eq!(evaluated.accuracy, trained.accuracy);
    assert_eq!(evaluated.confusion, trained.confusion);
    assert!(text.contains("test accuracy"), "{text}");
    // a file of another model is refused with the mismatched keys
    let other = dir.join("other.safetensors");
    let small: tapegrad::nn::Linear = tapegrad::nn::Linear::new(64, 10);
    tapegrad::nn::save_safetensors(&tapegrad::nn::Module::state_dict(&small), &other).unwrap();
    let (err, _) = output(&["--eval", other.to_str().unwrap()]);
    let msg = err.unwrap_err();
    assert!(
        msg.contains("Missing key(s) in state_dict: \"0.weight\""),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resuming_after_epoch_k_equals_the_uninterrupted_run_bit_for_bit() {
    let dir = temp_dir("resume");
    let d = dir.to_str().unwrap();
    // Both complete runs keep their last checkpoint (which carries the curves in full
    // precision) and save their weights.
    let (full_dir, resumed_dir) = (dir.join("full"), dir.join("resumed"));
    let (full_w, resumed_w) = (
        dir.join("full.safetensors"),
        dir.join("resumed.safetensors"),
    );
    let (full, _) = output(&[
        "--epochs",
        "3",
        "--quiet",
        "--checkpoint-dir",
        full_dir.to_str().unwrap(),
        "--save",
        full_w.to_str().unwrap(),
    ]);
    full.unwrap();
    let (part, _) = output(&["--epochs", "1", "--quiet", "--checkpoint-dir", d]);
    part.unwrap();
    let ckpt = dir.join(CHECKPOINT_FILE);
    let (resumed, text) = output(&[
        "--epochs",
        "3",
        "--quiet",
        "--resume",
        ckpt.to_str().unwrap(),
        "--checkpoint-dir",
        resumed_dir.to_str().unwrap(),
        "--save",
        resumed_w.to_str().unwrap(),
    ]);
    resumed.unwrap();
    assert!(text.starts_with(&format!("resumed from {} after epoch 1", ckpt.display())));
    let curves = |dir: &PathBuf| Checkpoint::<f32>::load(dir.join(CHECKPOINT_FILE)).unwrap();
    let (full_ckpt, resumed_ckpt) = (curves(&full_dir), curves(&resumed_dir));
    assert_eq!(
        resumed_ckpt.extra("train_losses").unwrap(),
        full_ckpt.extra("train_losses").unwrap()
    );
    assert_eq!(
        resumed_ckpt.extra("test_accuracies").unwrap(),
        full_ckpt.extra("test_accuracies").unwrap()
    );
    let (full, resumed) = (weights(&full_w), weights(&resumed_w));
    for (name, t) in full.iter() {
        let a: Vec<u32> = t.to_vec().iter().map(|v| v.to_bits()).collect();
        let b: Vec<u32> = resumed
            .get(name)
            .unwrap()
            .to_vec()
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(a, b, "{name}");
    }
    // another split cannot resume this checkpoint
    let (err, _) = output(&[
        "--epochs",
        "3",
        "--split-seed",
        "1",
        "--resume",
        ckpt.to_str().unwrap(),
    ]);
    let msg = err.unwrap_err();
    assert!(msg.contains("split_seed = 42, but this run has 1"), "{msg}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_diverging_loss_stops_with_a_clear_error() {
    let (r, _) = output(&["--epochs", "5", "--quiet", "--lr", "1e20"]);
    let msg = r.unwrap_err();
    // DigitsError::NonFiniteLoss's message
    assert!(msg.starts_with("the loss became "), "{msg}");
    assert!(msg.contains("training diverged; lower --lr"), "{msg}");
}

#[test]
fn detect_anomaly_names_the_first_operation_producing_nan_or_inf() {
    let (r, _) = output(&[
        "--epochs",
        "5",
        "--quiet",
        "--lr",
        "1e20",
        "--detect-anomaly",
    ]);
    let msg = r.unwrap_err();
    // DigitsError::Anomaly's message: "epoch N: anomaly detected: ..."
    assert!(msg.starts_with("epoch "), "{msg}");
    assert!(msg.contains("anomaly detected: "), "{msg}");
    assert!(msg.contains("Backward0"), "{msg}");
    assert!(
        !tapegrad::autograd::anomaly::is_enabled(),
        "the flag is restored"
    );
}

#[test]
fn bad_flags_are_usage_errors_and_bad_files_are_typed_errors() {
    for args in [
        &["--lr", "-1"][..],
        &["--lr", "nan"],
        &["--lr", "x"],
        &["--epochs", "0"],
        &["--batch-size", "0"],
        &["--seed", "-3"],
        &["--no-such-flag"],
        &["--eval", "a", "--save", "b"],
    ] {
        let out = run_example("digits", args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
    }
    let dir = temp_dir("badfiles");
    let csv = dir.join("bad.csv");
    std::fs::write(&csv, "p0,label\n1,2\n").unwrap();
    let (r, _) = output(&["--data", csv.to_str().unwrap()]);
    let msg = r.unwrap_err();
    assert!(msg.contains("expected 64 pixel columns"), "{msg}");
    std::fs::write(&csv, "p0,label\n1,12\n").unwrap();
    let (r, _) = output(&["--data", csv.to_str().unwrap()]);
    let msg = r.unwrap_err();
    assert!(
        msg.ends_with("bad.csv:2: label \"12\" is not a class index in 0..10"),
        "{msg}"
    );
    let junk = dir.join("junk.safetensors");
    std::fs::write(&junk, b"\xff\xff\xff\xff\xff\xff\xff\xffjunk").unwrap();
    for flag in ["--eval", "--resume"] {
        let (r, _) = output(&[flag, junk.to_str().unwrap()]);
        let msg = r.unwrap_err();
        assert!(msg.contains("exceeds the 12-byte file"), "{flag}: {msg}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn eval_refuses_weights_holding_nan_or_inf() {
    let dir = temp_dir("nan-eval");
    let file = dir.join("nan.safetensors");
    use tapegrad::nn::Module;
    let mut sd = {
        let _g = lock(); // build_model draws from the process-wide generator
        digits::build_model().state_dict()
    };
    let bias = sd.get("2.bias").unwrap();
    let mut values = bias.to_vec();
    values[0] = f32::NAN;
    values[5] = f32::INFINITY;
    sd.insert(
        "2.bias",
        tapegrad::prelude::Tensor::from_vec(values, &bias.shape()),
    );
    tapegrad::nn::save_safetensors(&sd, &file).unwrap();
    let (r, text) = output(&["--eval", file.to_str().unwrap()]);
    let msg = r.unwrap_err();
    // DigitsError::NonFiniteWeights, naming the file and each tensor with its count
    assert!(msg.contains("nan.safetensors"), "{msg}");
    assert!(
        msg.contains("NaN or infinite values (2.bias: 2)") && msg.contains("meaningless"),
        "{msg}"
    );
    assert!(
        !text.contains("test accuracy"),
        "no accuracy reported: {text}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resuming_a_checkpoint_past_the_requested_epochs_is_an_error() {
    let dir = temp_dir("past-end");
    let d = dir.to_str().unwrap();
    let (r, _) = output(&["--epochs", "2", "--quiet", "--checkpoint-dir", d]);
    r.unwrap();
    let ckpt = dir.join(CHECKPOINT_FILE);
    let (r, text) = output(&[
        "--epochs",
        "1",
        "--quiet",
        "--resume",
        ckpt.to_str().unwrap(),
    ]);
    let err = r.unwrap_err();
    // DigitsError::ResumePastEnd { epoch: 2, epochs: 1, .. }
    assert!(
        err.contains("after epoch 2, past --epochs 1; pass --epochs 2 or more"),
        "{err}"
    );
    assert!(!text.contains("trained 0 epochs"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}
