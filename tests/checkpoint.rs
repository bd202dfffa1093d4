//! `tapegrad::checkpoint`: exact resume (bit-identical final weights), a faithful file round
//! trip, incompatible models and optimizers, atomic writes, foreign files.

use std::path::PathBuf;
use std::sync::Mutex;
use tapegrad::checkpoint::{Checkpoint, CheckpointError, TrainingState};
use tapegrad::nn::{
    save_safetensors, targets_as_indices, CrossEntropyLoss, DataLoader, Linear, Module, ReLU,
    Sequential, TensorDataset,
};
use tapegrad::optim::{Adam, AdamConfig, Optimizer, SgdConfig, StepLR, SGD};
use tapegrad::prelude::*;

/// The process-wide generator is shared by all tests of this binary.
static RNG_LOCK: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    RNG_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapegrad-ckpt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn model(hidden: usize) -> Sequential {
    Sequential::new()
        .add(Linear::new(4, hidden))
        .add(ReLU::new())
        .add(Linear::new(hidden, 3))
}

/// 40 samples of 4 features, 3 classes, drawn from the process generator with seed 1.
fn data() -> TensorDataset {
    manual_seed(1);
    let x: Tensor = Tensor::randn(&[40, 4]);
    let y: Vec<f32> = (0..40).map(|i| (i % 3) as f32).collect();
    TensorDataset::new(x, Tensor::from_vec(y, &[40]))
}

/// Trains `epochs` epochs (Adam + StepLR + shuffled loader + input noise from the process
/// generator, so every piece of state matters), optionally stopping after `stop_after` with a
/// checkpoint, or starting from `resume`. Returns the final weights.
fn train(
    ds: &TensorDataset,
    epochs: u64,
    stop_after: Option<(u64, &PathBuf)>,
    resume: Option<&PathBuf>,
) -> Vec<(String, Vec<f32>)> {
    manual_seed(7);
    let net = model(8);
    let mut opt = Adam::new(net.parameters(), AdamConfig::default()).unwrap();
    let mut sched = StepLR::new(&mut opt, 2, 0.5).unwrap();
    let mut loader = DataLoader::new(ds, 16).shuffle(3);
    let mut start = 0;
    if let Some(path) = resume {
        let ckpt = Checkpoint::<f32>::load(path).unwrap();
        start = ckpt
            .restore(&net, Some(&mut opt), Some(&mut sched), Some(&mut loader))
            .unwrap();
    }
    let loss_fn = CrossEntropyLoss::new();
    for epoch in start..epochs {
        for (xb, yb) in &loader {
            let noisy = &xb + Tensor::randn(&xb.shape()) * 0.1;
            let loss = loss_fn.forward(&net.forward(&noisy), &targets_as_indices(&yb));
            opt.zero_grad();
            loss.backward();
            opt.step();
        }
        sched.step(&mut opt);
        if let Some((k, path)) = stop_after {
            if epoch + 1 == k {
                let state = TrainingState {
                    model: &net,
                    optimizer: Some(&opt),
                    scheduler: Some(&sched),
                    loader: Some(&loader),
                };
                Checkpoint::capture(&state, k).save(path).unwrap();
                // the interrupted run ends here, and its objects are dropped
                return vec![];
            }
        }
    }
    net.state_dict()
        .iter()
        .map(|(n, t)| (n.to_string(), t.to_vec()))
        .collect()
}

#[test]
fn resumed_run_is_bit_identical_to_uninterrupted_run() {
    let _g = lock();
    let dir = temp_dir("resume");
    let ds = data();
    let full = train(&ds, 5, None, None);
    for k in [1, 2, 4] {
        let path = dir.join(format!("after{k}.safetensors"));
        train(&ds, 5, Some((k, &path)), None);
        // scramble the process generator: restore must put it back
        manual_seed(12345);
        let resumed = train(&ds, 5, None, Some(&path));
        assert_eq!(resumed.len(), 4);
        for ((n, a), (m, b)) in full.iter().zip(&resumed) {
            assert_eq!(n, m);
            let same = a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits());
            assert!(same, "interrupted after epoch {k}: {n} differs");
        }
    }
    // without the process generator's state the run differs (the noise draws), so the test
    // above does exercise it
    let path = dir.join("after2.safetensors");
    let mut ckpt = Checkpoint::<f32>::load(&path).unwrap();
    manual_seed(999);
    ckpt.rng = tapegrad::autograd::rng_state();
    let other = dir.join("norng.safetensors");
    ckpt.save(&other).unwrap();
    let diverged = train(&ds, 5, None, Some(&other));
    assert_ne!(diverged, full);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn file_round_trip_keeps_every_field_exactly() {
    let _g = lock();
    let dir = temp_dir("fields");
    let ds = data();
    manual_seed(3);
    let net = model(5);
    let mut opt = SGD::new(
        net.parameters(),
        SgdConfig {
            lr: 0.1,
            momentum: 0.9,
            nesterov: true,
            ..Default::default()
        },
    )
    .unwrap();
    let mut sched = StepLR::new(&mut opt, 1, 0.1).unwrap();
    let loader = DataLoader::new(&ds, 7).shuffle(11);
    let _ = loader.iter();
    let (xb, yb) = loader.iter().next().unwrap();
    CrossEntropyLoss::new()
        .forward(&net.forward(&xb), &targets_as_indices(&yb))
        .backward();
    opt.step();
    sched.step(&mut opt);
    let state = TrainingState {
        model: &net,
        optimizer: Some(&opt),
        scheduler: Some(&sched),
        loader: Some(&loader),
    };
    let ckpt = Checkpoint::capture(&state, 17)
        .with_extra("recipe", "test, with commas = and \"quotes\"")
        .with_extra("seed", "3");
    let path = dir.join("c.safetensors");
    ckpt.save(&path).unwrap();
    let back = Checkpoint::<f32>::load(&path).unwrap();
    assert_eq!(back.epoch, 17);
    assert_eq!(back.rng, ckpt.rng);
    assert_eq!(back.loader_rng, loader.shuffle_state());
    assert!(back.loader_rng.is_some());
    assert_eq!(back.extra, ckpt.extra);
    assert_eq!(
        back.extra("recipe"),
        Some("test, with commas = and \"quotes\"")
    );
    assert_eq!(back.source, path);
    assert_eq!(back.model.keys(), ckpt.model.keys());
    for (name, t) in ckpt.model.iter() {
        assert_eq!(back.model.get(name).unwrap().to_vec(), t.to_vec(), "{name}");
    }
    // the learning rate 0.1 * 0.1 = 0.010000000000000002 and 0.9 survive exactly in f32 tensors
    let (o, b) = (ckpt.optimizer.unwrap(), back.optimizer.unwrap());
    assert_eq!(b.optimizer, "SGD");
    assert_eq!(b.param_groups.len(), 1);
    assert_eq!(b.param_groups[0].params, o.param_groups[0].params);
    let sorted = |mut h: Vec<(String, f64)>| {
        h.sort_by(|a, b| a.0.cmp(&b.0));
        h
    };
    assert_eq!(
        sorted(b.param_groups[0].hyper.clone()),
        sorted(o.param_groups[0].hyper.clone())
    );
    assert!(b.param_groups[0]
        .hyper
        .iter()
        .any(|(n, v)| n == "lr" && *v == 0.1f64 * 0.1));
    assert_eq!(b.state.len(), o.state.len());
    for (x, y) in o.state.iter().zip(&b.state) {
        assert_eq!(x.index, y.index);
        for ((n1, t1), (n2, t2)) in x.values.iter().zip(&y.values) {
            assert_eq!((n1, t1.to_vec()), (n2, t2.to_vec()));
        }
    }
    let mut s = sched.state_dict().values;
    s.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(back.scheduler.unwrap().values, s);
    // and it is a safetensors file with PyTorch's metadata convention
    let bytes = std::fs::read(&path).unwrap();
    let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let m = meta.metadata().as_ref().unwrap();
    assert_eq!(m.get("format").map(String::as_str), Some("pt"));
    assert_eq!(m.get("tapegrad.checkpoint").map(String::as_str), Some("2"));
    assert_eq!(
        m["rng.state"].len(),
        2 * 5056,
        "PyTorch's generator state, hex"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn adam_checkpoint(dir: &std::path::Path, hidden: usize) -> PathBuf {
    let net = model(hidden);
    let opt = Adam::new(net.parameters(), AdamConfig::default()).unwrap();
    let state = TrainingState {
        model: &net,
        optimizer: Some(&opt),
        scheduler: None,
        loader: None,
    };
    let path = dir.join(format!("h{hidden}.safetensors"));
    Checkpoint::capture(&state, 1).save(&path).unwrap();
    path
}

#[test]
fn incompatible_model_names_the_mismatched_keys_and_changes_nothing() {
    let _g = lock();
    let dir = temp_dir("incompatible");
    let path = adam_checkpoint(&dir, 8);
    let ckpt = Checkpoint::<f32>::load(&path).unwrap();

    // other widths: size mismatches
    let net = model(6);
    let before = net.state_dict();
    let err = ckpt.restore(&net, None, None, None).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, CheckpointError::IncompatibleModel { .. }),
        "{msg}"
    );
    assert!(
        msg.starts_with(&format!(
            "{}: the checkpoint does not fit this model",
            path.display()
        )),
        "{msg}"
    );
    for key in ["0.weight", "0.bias", "2.weight"] {
        assert!(msg.contains(&format!("size mismatch for {key}")), "{msg}");
    }
    assert!(!msg.contains("size mismatch for 2.bias"), "{msg}");
    assert!(msg.contains("copying a param with shape [8, 4] from checkpoint, the shape in current model is [6, 4]"), "{msg}");
    for (n, t) in before.iter() {
        assert_eq!(net.state_dict().get(n).unwrap().to_vec(), t.to_vec());
    }

    // another architecture: missing and unexpected keys
    let deeper = Sequential::new()
        .add(Linear::new(4, 8))
        .add(ReLU::new())
        .add(Linear::new(8, 3))
        .add(ReLU::new())
        .add(Linear::new(3, 3));
    let msg = ckpt
        .restore(&deeper, None, None, None)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("Missing key(s) in state_dict: \"4.weight\", \"4.bias\""),
        "{msg}"
    );

    let shallow = Sequential::new().add(Linear::new(4, 8));
    let msg = ckpt
        .restore(&shallow, None, None, None)
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("Unexpected key(s) in state_dict: \"2.weight\", \"2.bias\""),
        "{msg}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn wrong_optimizer_or_missing_parts_are_errors_and_roll_back() {
    let _g = lock();
    let dir = temp_dir("optimizer");
    let path = adam_checkpoint(&dir, 8);
    let ckpt = Checkpoint::<f32>::load(&path).unwrap();
    let net = model(8);
    let before = net.state_dict();
    let mut sgd = SGD::new(
        net.parameters(),
        SgdConfig {
            lr: 0.25,
            ..Default::default()
        },
    )
    .unwrap();
    let err = ckpt.restore(&net, Some(&mut sgd), None, None).unwrap_err();
    assert!(matches!(err, CheckpointError::Optimizer { .. }), "{err}");
    assert!(err.to_string().contains("Adam"), "{err}");
    assert_eq!(sgd.lr(), 0.25); // not Adam's 1e-3
    for (n, t) in before.iter() {
        assert_eq!(
            net.state_dict().get(n).unwrap().to_vec(),
            t.to_vec(),
            "{n} changed"
        );
    }
    // the checkpoint has no scheduler and no loader state
    let mut adam = Adam::new(net.parameters(), AdamConfig::default()).unwrap();
    let mut sched = StepLR::new(&mut adam, 1, 0.5).unwrap();
    let err = ckpt
        .restore(&net, Some(&mut adam), Some(&mut sched), None)
        .unwrap_err();
    assert!(
        err.to_string()
            .ends_with("scheduler: the checkpoint has no scheduler state"),
        "{err}"
    );
    let ds = data();
    let mut loader = DataLoader::new(&ds, 4).shuffle(0);
    let err = ckpt
        .restore(&net, None, None, Some(&mut loader))
        .unwrap_err();
    assert!(matches!(err, CheckpointError::Loader { .. }), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn writes_are_atomic_and_foreign_files_are_refused() {
    let _g = lock();
    let dir = temp_dir("atomic");
    let path = adam_checkpoint(&dir, 8);
    // overwrite in place: only the checkpoint remains, no temporary file
    let again = adam_checkpoint(&dir, 8);
    assert_eq!(path, again);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["h8.safetensors"]);
    // an unwritable destination is an Io error naming it, and leaves nothing behind
    let bad = dir.join("no-such-dir").join("c.safetensors");
    let ckpt = Checkpoint::<f32>::load(&path).unwrap();
    let err = ckpt.save(&bad).unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }));
    assert!(err.to_string().contains("no-such-dir"), "{err}");
    // a bare state dict is a safetensors file but not a checkpoint
    let weights = dir.join("weights.safetensors");
    save_safetensors(&model(8).state_dict(), &weights).unwrap();
    let err = Checkpoint::<f32>::load(&weights).unwrap_err();
    assert!(
        matches!(err, CheckpointError::NotACheckpoint { .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("no \"tapegrad.checkpoint\" metadata"),
        "{err}"
    );
    // an f32 checkpoint read as f64
    let err = Checkpoint::<f64>::load(&path).unwrap_err();
    assert!(
        err.to_string().contains("has dtype F32, expected F64"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `bytes` (a safetensors file) with the metadata entry `key` set to `value`.
fn with_metadata(bytes: &[u8], key: &str, value: &str) -> Vec<u8> {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let mut header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    header["__metadata__"][key] = serde_json::Value::String(value.to_string());
    let mut json = serde_json::to_vec(&header).unwrap();
    while !json.len().is_multiple_of(8) {
        json.push(b' ');
    }
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(&json);
    out.extend_from_slice(&bytes[8 + n..]);
    out
}

#[test]
fn an_epoch_beyond_2_pow_53_is_refused_naming_the_key() {
    let _g = lock();
    let dir = temp_dir("epoch");
    let path = adam_checkpoint(&dir, 8);
    let bytes = std::fs::read(&path).unwrap();
    for bad in ["18446744073709551615", "9007199254740992"] {
        let err = Checkpoint::<f32>::from_bytes(&with_metadata(&bytes, "epoch", bad), "c.st")
            .unwrap_err();
        assert!(
            matches!(&err, CheckpointError::Metadata { key, .. } if key == "epoch"),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!(
                "c.st: checkpoint metadata \"epoch\": {bad} is not a number of finished epochs \
                 (at most 2^53-1 = 9007199254740991); the file is corrupt or was edited"
            )
        );
    }
    for bad in ["-1", "1e3", "NaN", "2.5"] {
        let err = Checkpoint::<f32>::from_bytes(&with_metadata(&bytes, "epoch", bad), "c.st")
            .unwrap_err();
        assert!(
            matches!(&err, CheckpointError::Metadata { key, .. } if key == "epoch"),
            "{bad}: {err}"
        );
    }
    let ok =
        Checkpoint::<f32>::from_bytes(&with_metadata(&bytes, "epoch", "9007199254740991"), "c.st")
            .unwrap();
    assert_eq!(ok.epoch, (1 << 53) - 1);
    // Saving such an epoch is refused too, so no unreadable checkpoint is written.
    let mut ckpt = Checkpoint::<f32>::load(&path).unwrap();
    ckpt.epoch = u64::MAX;
    let err = ckpt.save(dir.join("max.safetensors")).unwrap_err();
    assert!(
        matches!(&err, CheckpointError::Metadata { key, .. } if key == "epoch"),
        "{err}"
    );
    assert!(!dir.join("max.safetensors").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A checkpoint after one Adam step and one StepLR step, in memory.
fn stepped_checkpoint() -> Checkpoint {
    manual_seed(5);
    let net = model(8);
    let mut opt = Adam::new(net.parameters(), AdamConfig::default()).unwrap();
    let mut sched = StepLR::new(&mut opt, 2, 0.5).unwrap();
    net.forward(&Tensor::ones(&[2, 4])).sum().backward();
    opt.step();
    sched.step(&mut opt);
    let state = TrainingState {
        model: &net,
        optimizer: Some(&opt),
        scheduler: Some(&sched),
        loader: None,
    };
    Checkpoint::capture(&state, 1)
}

/// Saves `ckpt`, loads it back and restores it into fresh objects; returns the error (of the
/// load or of the restore) and checks that a failed restore changed nothing.
fn load_and_restore(ckpt: &Checkpoint, dir: &std::path::Path) -> CheckpointError {
    let path = dir.join("edited.safetensors");
    ckpt.save(&path).unwrap();
    let loaded = match Checkpoint::<f32>::load(&path) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let net = model(8);
    let before = net.state_dict();
    let mut opt = Adam::new(net.parameters(), AdamConfig::default()).unwrap();
    let mut sched = StepLR::new(&mut opt, 2, 0.5).unwrap();
    let err = loaded
        .restore(&net, Some(&mut opt), Some(&mut sched), None)
        .expect_err("an out-of-range value must be refused");
    assert_eq!(sched.last_epoch(), 0, "the scheduler is unchanged");
    assert_eq!(opt.lr(), 1e-3, "the optimizer is unchanged");
    assert!(
        opt.state_dict().state.is_empty(),
        "the optimizer has no state"
    );
    for (n, t) in before.iter() {
        assert_eq!(net.state_dict().get(n).unwrap().to_vec(), t.to_vec(), "{n}");
    }
    err
}

#[test]
fn optimizer_numbers_from_a_checkpoint_are_checked_and_named() {
    let _g = lock();
    let dir = temp_dir("optimizer-numbers");
    // A parameter index far beyond the 4 parameters: refused before any allocation (it used to
    // resize a Vec to the index: 72 GB for 3e9).
    for bad in [3e9, 1e10] {
        let mut ckpt = stepped_checkpoint();
        ckpt.optimizer.as_mut().unwrap().param_groups[0].params[1] = bad as usize;
        let err = load_and_restore(&ckpt, &dir);
        assert!(matches!(err, CheckpointError::Optimizer { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains(&format!(
                "'param_groups.0.params' = {bad:?} is not the index of one of the optimizer's 4 \
                 parameters (0..4)"
            )),
            "{msg}"
        );
    }
    // 1e30 is not even an exact whole number: refused when the file is read.
    let mut ckpt = stepped_checkpoint();
    ckpt.optimizer.as_mut().unwrap().param_groups[0].params[1] = usize::MAX;
    let path = dir.join("huge-index.safetensors");
    ckpt.save(&path).unwrap();
    let err = Checkpoint::<f32>::load(&path).unwrap_err();
    assert!(matches!(err, CheckpointError::Optimizer { .. }), "{err}");
    assert!(
        err.to_string().contains(
            "'param_groups.0.params' = 1.8446744073709552e19 is not a whole number in 0..=2^53-1"
        ),
        "{err}"
    );
    // Adam's step: a whole number below 2^53 (2^53 is exact in f32 and still refused).
    for bad in [
        9007199254740992.0,
        1e20,
        -1.0,
        2.5,
        f32::NAN as f64,
        f64::INFINITY,
    ] {
        let mut ckpt = stepped_checkpoint();
        let entry = &mut ckpt.optimizer.as_mut().unwrap().state[0];
        let step = entry.values.iter_mut().find(|(n, _)| n == "step").unwrap();
        step.1 = Tensor::scalar(bad as f32);
        let err = load_and_restore(&ckpt, &dir);
        assert!(
            matches!(err, CheckpointError::Optimizer { .. }),
            "{bad}: {err}"
        );
        assert!(
            err.to_string().contains(&format!(
                "'state.0.step' = {:?} is not a whole number in 0..=2^53-1",
                bad as f32 as f64
            )),
            "{bad}: {err}"
        );
    }
    // A boolean hyper-parameter must be 0 or 1, a rate finite.
    for (key, bad) in [("amsgrad", 2.7), ("lr", f64::NAN), ("eps", f64::INFINITY)] {
        let mut ckpt = stepped_checkpoint();
        let group = &mut ckpt.optimizer.as_mut().unwrap().param_groups[0];
        group.hyper.iter_mut().find(|(n, _)| n == key).unwrap().1 = bad;
        let err = load_and_restore(&ckpt, &dir);
        assert!(
            err.to_string()
                .contains(&format!("'param_groups.0.{key}' = {bad:?} is not a")),
            "{key}: {err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn scheduler_numbers_from_a_checkpoint_are_checked_and_named() {
    let _g = lock();
    let dir = temp_dir("scheduler-numbers");
    for (key, bad, says) in [
        (
            "last_epoch",
            f64::NAN,
            "is not a whole number in -1..=2^53-1",
        ),
        ("last_epoch", f64::INFINITY, "is not a whole number"),
        ("last_epoch", 1e300, "is not a whole number"),
        ("last_epoch", 2.7, "is not a whole number"),
        ("_step_count", -1.0, "is not a whole number in 0..=2^53-1"),
        ("base_lrs.0", f64::NAN, "is not a finite number >= 0"),
        ("_last_lr.0", f64::INFINITY, "is not a finite number >= 0"),
    ] {
        let mut ckpt = stepped_checkpoint();
        let values = &mut ckpt.scheduler.as_mut().unwrap().values;
        values.iter_mut().find(|(n, _)| n == key).unwrap().1 = bad;
        let err = load_and_restore(&ckpt, &dir);
        assert!(
            matches!(err, CheckpointError::Scheduler { .. }),
            "{key}: {err}"
        );
        assert!(
            err.to_string()
                .contains(&format!("'{key}' = {bad:?} {says}")),
            "{key} = {bad}: {err}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A language-model head tied to its embedding (`wte.weight = lm_head.weight`), as char_gpt's:
/// its state dict holds the one tensor under both names.
#[derive(Module)]
#[module(no_forward)]
struct TiedHead {
    wte: tapegrad::nn::Embedding,
    lm_head: Linear,
}

impl TiedHead {
    fn new() -> Self {
        let lm_head = Linear::with_bias(4, 6, false);
        let mut wte = tapegrad::nn::Embedding::new(6, 4);
        wte.weight = lm_head.weight.clone();
        TiedHead { wte, lm_head }
    }
}

#[test]
fn a_model_with_tied_weights_round_trips_through_a_checkpoint() {
    let _g = lock();
    let dir = temp_dir("tied");
    let path = dir.join("tied.safetensors");
    manual_seed(3);
    let net = TiedHead::new();
    let mut opt = Adam::new(net.parameters(), AdamConfig::default()).unwrap();
    let x = Tensor::from_vec(vec![1.0f32, -2.0, 0.5, 3.0], &[1, 4]);
    net.lm_head.forward(&x).pow(2.0).sum().backward();
    opt.step();
    let names: Vec<String> = net
        .state_dict()
        .keys()
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(
        names,
        ["wte.weight", "lm_head.weight"],
        "both names of the tied weight"
    );
    let state = TrainingState {
        model: &net,
        optimizer: Some(&opt),
        scheduler: None,
        loader: None,
    };
    Checkpoint::capture(&state, 1).save(&path).unwrap();

    manual_seed(4);
    let fresh = TiedHead::new();
    let mut opt2 = Adam::new(fresh.parameters(), AdamConfig::default()).unwrap();
    let ckpt = Checkpoint::<f32>::load(&path).unwrap();
    let epoch = ckpt
        .restore(&fresh, Some(&mut opt2), None, None)
        .expect("a tied weight's two names are the model's, not unexpected keys");
    assert_eq!(epoch, 1);
    assert_eq!(fresh.lm_head.weight.to_vec(), net.lm_head.weight.to_vec());
    assert!(fresh.wte.weight.same(&fresh.lm_head.weight), "still tied");
    std::fs::remove_dir_all(&dir).unwrap();
}
