//! The checkpoint-numbers decoder shared by the `checkpoint_numbers` fuzz target and its bounded
//! proptest twin in `tests/hardening.rs`: a *valid* checkpoint (a small MLP, Adam after two
//! steps, a `CosineAnnealingLR`, a shuffling `DataLoader`, epoch 3) whose numeric fields the
//! bytes overwrite, so the fuzzer spends its time past the format checks, on the numbers.
//!
//! Fields fuzzed (up to [`MAX_EDITS`] per input): the metadata `epoch`, `rng.state`
//! (the generator's bytes in hex) and every `scheduler.*` value (`last_epoch`, `_step_count`, `base_lrs.<g>`,
//! `_last_lr.<g>`), as text: the exact decimal of a chosen number (integers beyond 2⁶⁴, NaN,
//! inf, 1e300, 2.7, −1, −0.0, 2⁵³ + 1, subnormals ...) or raw bytes; and in the tensors, Adam's
//! `step` per parameter, the `param_groups.0.params` indices (3e9, 1e10, 1e30, NaN, negative,
//! repeated ...), the group's hyperparameters, and the parameter index in a `state.<i>.*` name.
//!
//! **The contract checked.** `Checkpoint::from_bytes` then `restore` into fresh objects returns
//! `Ok` or a typed error, never panics (a panic, abort, timeout or out-of-memory is a finding).
//! When the restore succeeds, the numbers must mean something: the epoch is at most
//! `MAX_EPOCH`, every learning rate is finite, and — unless a hyperparameter (`lr`, `betas`,
//! `eps`, `weight_decay`, `base_lrs`, `_last_lr`) was edited to a huge but finite value, or a
//! state buffer to one beyond 1e30, which PyTorch accepts too — one more scheduler step and
//! Adam step leave every weight finite. An
//! `Ok` that breaks one of these is a silently wrong result: a finding.

use safetensors::tensor::{Dtype, TensorView};
use safetensors::SafeTensors;
use std::collections::HashMap;
use std::sync::OnceLock;
use tapegrad::checkpoint::{Checkpoint, TrainingState, MAX_EPOCH};
use tapegrad::nn::{DataLoader, Linear, Module, ReLU, Sequential, TensorDataset};
use tapegrad::optim::{Adam, AdamConfig, CosineAnnealingLR, Optimizer};
use tapegrad::prelude::*;

/// Edits per input.
pub const MAX_EDITS: usize = 4;

/// A finding: what went wrong.
#[derive(Debug)]
pub struct Finding(pub String);

struct Baseline {
    /// `(name, shape, f32 values)` of every tensor, in file order.
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
    meta: HashMap<String, String>,
}

fn model() -> Sequential {
    Sequential::new()
        .add(Linear::new(3, 4))
        .add(ReLU::new())
        .add(Linear::new(4, 2))
}

fn objects() -> (Sequential, Adam, Tensor, Tensor) {
    manual_seed(7);
    let net = model();
    let opt = Adam::new(net.parameters(), AdamConfig::default()).unwrap();
    let x = Tensor::randn(&[6, 3]);
    let y = Tensor::randn(&[6, 2]);
    (net, opt, x, y)
}

fn train_step(net: &Sequential, opt: &mut Adam, x: &Tensor, y: &Tensor) {
    opt.zero_grad();
    F::mse_loss(&net.forward(x), y, F::Reduction::Mean).backward();
    opt.step();
}

fn baseline() -> &'static Baseline {
    static B: OnceLock<Baseline> = OnceLock::new();
    B.get_or_init(|| {
        let (net, mut opt, x, y) = objects();
        let mut sched = CosineAnnealingLR::new(&mut opt, 10, 0.0).unwrap();
        for _ in 0..2 {
            train_step(&net, &mut opt, &x, &y);
            sched.step(&mut opt);
        }
        let ds = TensorDataset::new(x.clone(), y.clone());
        let loader = DataLoader::new(&ds, 2).shuffle(5);
        let state = TrainingState {
            model: &net,
            optimizer: Some(&opt),
            scheduler: Some(&sched),
            loader: Some(&loader),
        };
        let path = std::env::temp_dir().join(format!(
            "tapegrad-checkpoint-numbers-{}.safetensors",
            std::process::id()
        ));
        Checkpoint::capture(&state, 3).save(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
        let meta = header.metadata().clone().unwrap_or_default();
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let mut tensors: Vec<(String, Vec<usize>, Vec<f32>)> = st
            .tensors()
            .into_iter()
            .map(|(name, view)| {
                let values = view
                    .data()
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
                    .collect();
                (name, view.shape().to_vec(), values)
            })
            .collect();
        tensors.sort_by(|a, b| a.0.cmp(&b.0));
        Baseline { tensors, meta }
    })
}

use super::input::Input;

/// The draws this decoder adds to [`Input`]'s bytes.
trait Draw {
    /// A number worth trying, or eight raw bytes as an `f64`.
    fn number(&mut self) -> f64;
    /// Metadata text: a number's decimal form, an integer beyond u64, or raw bytes.
    fn text(&mut self) -> String;
}

impl Draw for Input<'_> {
    fn number(&mut self) -> f64 {
        const TABLE: &[f64] = &[
            0.0,
            1.0,
            -1.0,
            2.7,
            0.5,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e300,
            1e30,
            3e9,
            1e10,
            9007199254740992.0, // 2^53
            9007199254740993.0, // 2^53 + 1 (rounds to 2^53 as f64)
            18446744073709551616.0,
            -9223372036854775808.0,
            4.9e-324,
            3.4028234663852886e38,
            1e39,
            12.0,
            100.0,
        ];
        let k = self.below(TABLE.len() + 1);
        if k < TABLE.len() {
            TABLE[k]
        } else {
            let mut b = [0u8; 8];
            for x in &mut b {
                *x = self.u8();
            }
            f64::from_le_bytes(b)
        }
    }
    fn text(&mut self) -> String {
        match self.below(6) {
            0 => {
                let n = self.below(16);
                (0..n).map(|_| (self.u8() % 96 + 32) as char).collect()
            }
            1 => [
                "18446744073709551615",
                "18446744073709551616",
                "-5",
                " 3",
                "0x10",
                "",
                "1e3",
            ][self.below(7)]
            .to_string(),
            2 => {
                let v = self.number();
                format!("{v}")
            }
            _ => {
                let v = self.number();
                format!("{v:?}")
            }
        }
    }
}

fn is_hyper(name: &str) -> bool {
    [
        "lr",
        "betas",
        "eps",
        "weight_decay",
        "base_lrs",
        "_last_lr",
        "initial_lr",
    ]
    .iter()
    .any(|h| name.contains(h))
}

/// Runs one input: edits the baseline checkpoint, loads and restores it, checks the result.
pub fn run(data: &[u8]) -> Result<(), Finding> {
    let base = baseline();
    let mut tensors = base.tensors.clone();
    let mut meta = base.meta.clone();
    let mut hyper_edited = false;
    let mut inp = Input::new(data);
    let mut meta_keys: Vec<&String> = base
        .meta
        .keys()
        .filter(|k| k.as_str() == "epoch" || k.starts_with("scheduler.") || k.starts_with("rng."))
        .collect();
    meta_keys.sort();
    let opt_tensors: Vec<usize> = (0..tensors.len())
        .filter(|&i| tensors[i].0.starts_with("optimizer."))
        .collect();
    for _ in 0..MAX_EDITS {
        if inp.done() {
            break;
        }
        match inp.below(3) {
            0 => {
                let key = meta_keys[inp.below(meta_keys.len())].clone();
                let text = inp.text();
                if is_hyper(&key) && text.parse::<f64>().is_ok_and(|v| v.abs() > 1e3) {
                    hyper_edited = true;
                }
                meta.insert(key, text);
            }
            1 => {
                let i = opt_tensors[inp.below(opt_tensors.len())];
                let v = inp.number();
                let (name, _, values) = &mut tensors[i];
                if values.is_empty() {
                    continue;
                }
                let k = inp.below(values.len());
                values[k] = v as f32;
                // A huge hyperparameter, or a state buffer near f32's limit (Adam's `exp_avg`
                // at 3.4e38 overflows in the bias correction), is garbage in that PyTorch
                // accepts too: the weights may then overflow.
                if (is_hyper(name) && (v as f32).abs() > 1e3) || (v as f32).abs() > 1e30 {
                    hyper_edited = true;
                }
            }
            _ => {
                // Move one parameter's state to another index.
                let i = opt_tensors[inp.below(opt_tensors.len())];
                let name = tensors[i].0.clone();
                if let Some(rest) = name.strip_prefix("optimizer.state.") {
                    let field = rest.split_once('.').map(|x| x.1).unwrap_or("");
                    let idx = ["4", "3000000000", "18446744073709551616", "-1", "0"][inp.below(5)];
                    let renamed = format!("optimizer.state.{idx}.{field}");
                    // safetensors 0.4 panics serializing two tensors of one name: skip those.
                    if tensors.iter().all(|t| t.0 != renamed) {
                        tensors[i].0 = renamed;
                    }
                }
            }
        }
    }
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = tensors
        .iter()
        .map(|(n, s, v)| {
            (
                n.clone(),
                v.iter().flat_map(|x| x.to_le_bytes()).collect(),
                s.clone(),
            )
        })
        .collect();
    let views: Vec<(String, TensorView)> = bytes
        .iter()
        .map(|(n, b, s)| {
            (
                n.clone(),
                TensorView::new(Dtype::F32, s.clone(), b).unwrap(),
            )
        })
        .collect();
    // Two edits may give two tensors one name: safetensors refuses nothing here, the reader may.
    let Ok(file) = safetensors::serialize(views, &Some(meta)) else {
        return Ok(());
    };
    let caught = std::panic::catch_unwind(|| check(&file, hyper_edited));
    match caught {
        Ok(r) => r,
        Err(p) => {
            let m = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(Finding(format!("panic while loading or restoring: {m}")))
        }
    }
}

fn check(file: &[u8], hyper_edited: bool) -> Result<(), Finding> {
    let Ok(ckpt) = Checkpoint::<f32>::from_bytes(file, "fuzz.safetensors") else {
        return Ok(());
    };
    let (net, mut opt, x, y) = objects();
    let mut sched = CosineAnnealingLR::new(&mut opt, 10, 0.0).unwrap();
    let ds = TensorDataset::new(x.clone(), y.clone());
    let mut loader = DataLoader::new(&ds, 2).shuffle(0);
    let Ok(epoch) = ckpt.restore(&net, Some(&mut opt), Some(&mut sched), Some(&mut loader)) else {
        return Ok(());
    };
    if epoch > MAX_EPOCH {
        return Err(Finding(format!("restored epoch {epoch} > MAX_EPOCH")));
    }
    let lrs =
        |opt: &Adam| -> Vec<f64> { opt.param_groups().iter().map(|g| g.options.lr()).collect() };
    if let Some(lr) = lrs(&opt).into_iter().find(|lr| !lr.is_finite()) {
        return Err(Finding(format!("restored a non-finite learning rate {lr}")));
    }
    sched.step(&mut opt);
    if let Some(lr) = lrs(&opt).into_iter().find(|lr| !lr.is_finite()) {
        return Err(Finding(format!(
            "a scheduler step after the restore gave a non-finite learning rate {lr}"
        )));
    }
    train_step(&net, &mut opt, &x, &y);
    let _ = loader.iter().count();
    if !hyper_edited {
        for p in net.parameters() {
            if p.to_vec().iter().any(|v| !v.is_finite()) {
                return Err(Finding(
                    "one Adam step after the restore made a weight non-finite".into(),
                ));
            }
        }
    }
    Ok(())
}
