//! examples/digits.rs, run in-process: the split, learning, save/eval, exact resume, NaN stop,
//! anomaly detection and flag/file validation.

use clap::Parser;
use std::path::PathBuf;
use std::sync::Mutex;

#[allow(dead_code)] // `main` is the example binary's entry point, unused here
#[path = "../examples/digits.rs"]
mod digits;

use digits::{run, split_permutation, Cli, DigitsError};

/// Runs seed the process-wide generator; one at a time.
static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn cli(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("digits").chain(args.iter().copied())).unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapegrad-digits-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn output(cli: &Cli) -> (Result<digits::Report, DigitsError>, String) {
    let mut out = Vec::new();
    let r = run(cli, &mut out);
    (r, String::from_utf8(out).unwrap())
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
    let _g = lock();
    let dir = temp_dir("short");
    let plot = dir.join("curves.svg");
    let c = cli(&["--epochs", "3", "--quiet", "--plot", plot.to_str().unwrap()]);
    let (r, text) = output(&c);
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
    assert_eq!(correct as f64 / 360.0, r.accuracy);
}

#[test]
fn the_full_recipe_reaches_about_97_percent() {
    let _g = lock();
    let (r, _) = output(&cli(&["--quiet"]));
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
    let _g = lock();
    let dir = temp_dir("save");
    let file = dir.join("digits.safetensors");
    let f = file.to_str().unwrap();
    let (trained, _) = output(&cli(&["--epochs", "2", "--quiet", "--save", f]));
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
    let (evaluated, text) = output(&cli(&["--eval", f]));
    let evaluated = evaluated.unwrap();
    assert_eq!(evaluated.accuracy, trained.accuracy);
    assert_eq!(evaluated.confusion, trained.confusion);
    assert!(text.contains("test accuracy"), "{text}");
    // a file of another model is refused with the mismatched keys
    let other = dir.join("other.safetensors");
    let small: tapegrad::nn::Linear = tapegrad::nn::Linear::new(64, 10);
    tapegrad::nn::save_safetensors(&tapegrad::nn::Module::state_dict(&small), &other).unwrap();
    let (err, _) = output(&cli(&["--eval", other.to_str().unwrap()]));
    let msg = err.unwrap_err().to_string();
    assert!(
        msg.contains("Missing key(s) in state_dict: \"0.weight\""),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resuming_after_epoch_k_equals_the_uninterrupted_run_bit_for_bit() {
    let _g = lock();
    let dir = temp_dir("resume");
    let d = dir.to_str().unwrap();
    let (full, _) = output(&cli(&["--epochs", "3", "--quiet"]));
    let full = full.unwrap();
    let (part, _) = output(&cli(&["--epochs", "1", "--quiet", "--checkpoint-dir", d]));
    part.unwrap();
    let ckpt = dir.join(digits::CHECKPOINT_FILE);
    let (resumed, text) = output(&cli(&[
        "--epochs",
        "3",
        "--quiet",
        "--resume",
        ckpt.to_str().unwrap(),
    ]));
    let resumed = resumed.unwrap();
    assert!(text.starts_with(&format!("resumed from {} after epoch 1", ckpt.display())));
    assert_eq!(resumed.train_losses, full.train_losses);
    assert_eq!(resumed.test_accuracies, full.test_accuracies);
    for (name, t) in full.state.iter() {
        let a: Vec<u32> = t.to_vec().iter().map(|v| v.to_bits()).collect();
        let b: Vec<u32> = resumed
            .state
            .get(name)
            .unwrap()
            .to_vec()
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(a, b, "{name}");
    }
    // another split cannot resume this checkpoint
    let (err, _) = output(&cli(&[
        "--epochs",
        "3",
        "--split-seed",
        "1",
        "--resume",
        ckpt.to_str().unwrap(),
    ]));
    let msg = err.unwrap_err().to_string();
    assert!(msg.contains("split_seed = 42, but this run has 1"), "{msg}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_diverging_loss_stops_with_a_clear_error() {
    let _g = lock();
    let (r, _) = output(&cli(&["--epochs", "5", "--quiet", "--lr", "1e20"]));
    let err = r.unwrap_err();
    assert!(matches!(err, DigitsError::NonFiniteLoss { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.starts_with("the loss became "), "{msg}");
    assert!(msg.contains("training diverged; lower --lr"), "{msg}");
}

#[test]
fn detect_anomaly_names_the_first_operation_producing_nan_or_inf() {
    let _g = lock();
    let (r, _) = output(&cli(&[
        "--epochs",
        "5",
        "--quiet",
        "--lr",
        "1e20",
        "--detect-anomaly",
    ]));
    let err = r.unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, DigitsError::Anomaly { .. }), "{msg}");
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
        let err =
            Cli::try_parse_from(std::iter::once("digits").chain(args.iter().copied())).unwrap_err();
        assert_eq!(err.exit_code(), 2, "{args:?}");
    }
    let _g = lock();
    let dir = temp_dir("badfiles");
    let csv = dir.join("bad.csv");
    std::fs::write(&csv, "p0,label\n1,2\n").unwrap();
    let (r, _) = output(&cli(&["--data", csv.to_str().unwrap()]));
    let msg = r.unwrap_err().to_string();
    assert!(msg.contains("expected 64 pixel columns"), "{msg}");
    std::fs::write(&csv, "p0,label\n1,12\n").unwrap();
    let (r, _) = output(&cli(&["--data", csv.to_str().unwrap()]));
    let msg = r.unwrap_err().to_string();
    assert!(
        msg.ends_with("bad.csv:2: label \"12\" is not a class index in 0..10"),
        "{msg}"
    );
    let junk = dir.join("junk.safetensors");
    std::fs::write(&junk, b"\xff\xff\xff\xff\xff\xff\xff\xffjunk").unwrap();
    for flag in ["--eval", "--resume"] {
        let (r, _) = output(&cli(&[flag, junk.to_str().unwrap()]));
        let msg = r.unwrap_err().to_string();
        assert!(msg.contains("exceeds the 12-byte file"), "{flag}: {msg}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn eval_refuses_weights_holding_nan_or_inf() {
    let _g = lock();
    let dir = temp_dir("nan-eval");
    let file = dir.join("nan.safetensors");
    use tapegrad::nn::Module;
    let mut sd = digits::build_model().state_dict();
    let bias = sd.get("2.bias").unwrap();
    let mut values = bias.to_vec();
    values[0] = f32::NAN;
    values[5] = f32::INFINITY;
    sd.insert(
        "2.bias",
        tapegrad::prelude::Tensor::from_vec(values, &bias.shape()),
    );
    tapegrad::nn::save_safetensors(&sd, &file).unwrap();
    let (r, text) = output(&cli(&["--eval", file.to_str().unwrap()]));
    let err = r.unwrap_err();
    assert!(
        matches!(&err, DigitsError::NonFiniteWeights { tensors, .. }
            if tensors == &[("2.bias".to_string(), 2)]),
        "{err}"
    );
    let msg = err.to_string();
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
    let _g = lock();
    let dir = temp_dir("past-end");
    let d = dir.to_str().unwrap();
    let (r, _) = output(&cli(&["--epochs", "2", "--quiet", "--checkpoint-dir", d]));
    r.unwrap();
    let ckpt = dir.join(digits::CHECKPOINT_FILE);
    let (r, text) = output(&cli(&[
        "--epochs",
        "1",
        "--quiet",
        "--resume",
        ckpt.to_str().unwrap(),
    ]));
    let err = r.unwrap_err();
    assert!(
        matches!(
            err,
            DigitsError::ResumePastEnd {
                epoch: 2,
                epochs: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("after epoch 2, past --epochs 1; pass --epochs 2 or more"),
        "{err}"
    );
    assert!(!text.contains("trained 0 epochs"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}
