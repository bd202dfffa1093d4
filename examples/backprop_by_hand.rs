//! Backpropagation by hand: the lecture's 2-3-2-12-2 sigmoid network (the lecture's sigmoid-net
//! page) forward and backward for one step, every intermediate printed, computed once with the
//! explicit matrix formulas of backprop (plain `ndarray`, no autograd) and once by
//! `loss.backward()`, and shown to agree.
//!
//! ```text
//! cargo run --release --example backprop_by_hand                  # PyTorch's initial weights
//! cargo run --release --example backprop_by_hand -- --seed 0      # tapegrad's own init
//! ```
//!
//! With `x = a0` (3 samples × 2 features), each layer `l = 1..4` computes, as `nn.Linear` +
//! `nn.Sigmoid` do,
//!
//! ```text
//! z_l = a_(l-1) W_lᵀ + b_l        a_l = σ(z_l)
//! L   = mean((a_4 - t)²)           (MSELoss over all 3 × 2 entries)
//! ```
//!
//! and backward, from `dL/da_4 = 2 (a_4 - t) / 6`, for `l = 4, 3, 2, 1`:
//!
//! ```text
//! δ_l       = dL/dz_l = dL/da_l ⊙ a_l ⊙ (1 - a_l)     (σ' = σ (1 - σ))
//! dL/dW_l   = δ_lᵀ a_(l-1)                            (out × in, like W_l)
//! dL/db_l   = Σ over samples of δ_l
//! dL/da_(l-1) = δ_l W_l                               (passed to the layer below)
//! ```
//!
//! The default weights are PyTorch's (`tests/fixtures/net/sgd_momentum.init.safetensors`), so
//! the printed gradients are the ones PyTorch's first `loss.backward()` produced. Everything is
//! computed in f64. Exit code 1 if the formulas and autograd differ by more than 1e-6.

use clap::Parser;
use ndarray::{Array1, Array2, Axis};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tapegrad::autograd::functional::{mse_loss, Reduction};
use tapegrad::nn::{load_safetensors, Linear, Module};
use tapegrad::prelude::*;
use tapegrad_examples::show::{nan_max, rows, show, show_vec};

/// One forward and backward step of the lecture network, by the formulas and by autograd.
#[derive(Parser, Debug)]
struct Cli {
    /// Initial weights (a safetensors file with PyTorch's names hide1.0.weight, ..., out.0.bias).
    #[arg(long, value_name = "FILE", conflicts_with = "seed")]
    init: Option<PathBuf>,
    /// Draw the initial weights from tapegrad's generator with this seed instead.
    #[arg(long)]
    seed: Option<u64>,
}

/// The PyTorch weights the default run starts from.
fn default_init() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/net/sgd_momentum.init.safetensors"
    ))
}

/// The four layers' PyTorch names and sizes.
const LAYERS: [(&str, usize, usize); 4] = [
    ("hide1", 2, 3),
    ("hide2", 3, 2),
    ("hide3", 2, 12),
    ("out", 12, 2),
];

/// The lecture's input.
const INPUT: [[f64; 2]; 3] = [[0.5, 0.1], [0.05, 0.180], [0.05, 0.310]];
/// The lecture's target.
const TARGET: [[f64; 2]; 3] = [[1.0, 2.0], [0.0, 3.0], [1.0, 123.0]];

/// One layer's parameters.
#[derive(Clone, Debug)]
struct Layer {
    /// `W`, out × in.
    w: Array2<f64>,
    /// `b`, out.
    b: Array1<f64>,
}

/// Gradients by name (`hide1.0.weight`, ...), each flattened row-major.
type Grads = Vec<(String, Vec<f64>)>;

/// Reads the initial weights (f32 in the file, used as f64).
fn load_layers(cli: &Cli) -> Result<Vec<Layer>, Box<dyn std::error::Error>> {
    let mut layers = Vec::new();
    match cli.seed {
        Some(seed) => {
            manual_seed(seed);
            for (_, i, o) in LAYERS {
                let lin: Linear = Linear::new(i, o);
                let p = lin.named_parameters();
                let get = |n: &str| {
                    p.iter()
                        .find(|(k, _)| k == n)
                        .map(|(_, t)| t.cast::<f64>().to_vec())
                        .expect("Linear has weight and bias")
                };
                layers.push(Layer {
                    w: Array2::from_shape_vec((o, i), get("weight"))?,
                    b: Array1::from_vec(get("bias")),
                });
            }
        }
        None => {
            let path = cli.init.clone().unwrap_or_else(default_init);
            let sd = load_safetensors::<f32>(&path)?;
            for (name, i, o) in LAYERS {
                let get = |suffix: &str, shape: &[usize]| -> Result<Vec<f64>, String> {
                    let key = format!("{name}.0.{suffix}");
                    let t = sd
                        .get(&key)
                        .ok_or_else(|| format!("{}: no tensor `{key}`", path.display()))?;
                    if t.shape().as_slice() != shape {
                        return Err(format!(
                            "{}: `{key}` has shape {:?}, expected {shape:?}",
                            path.display(),
                            t.shape().as_slice()
                        ));
                    }
                    let values = t.cast::<f64>().to_vec();
                    let bad = values.iter().filter(|v| !v.is_finite()).count();
                    if bad > 0 {
                        return Err(format!(
                            "{}: `{key}` holds {bad} NaN or infinite value{}: every result \
                             would be NaN, and NaN cannot be checked against NaN; pass finite \
                             weights",
                            path.display(),
                            if bad == 1 { "" } else { "s" }
                        ));
                    }
                    Ok(values)
                };
                layers.push(Layer {
                    w: Array2::from_shape_vec((o, i), get("weight", &[o, i])?)?,
                    b: Array1::from_vec(get("bias", &[o])?),
                });
            }
        }
    }
    Ok(layers)
}

/// Forward and backward by the explicit formulas, printing every intermediate.
fn by_formulas(layers: &[Layer], out: &mut dyn Write) -> io::Result<(f64, Grads)> {
    let x = rows(&INPUT);
    let t = rows(&TARGET);
    writeln!(out, "forward: z_l = a_(l-1) W_lᵀ + b_l, a_l = σ(z_l)")?;
    show(out, "a0 = input", &x)?;
    let mut acts = vec![x];
    for (l, layer) in layers.iter().enumerate() {
        let name = LAYERS[l].0;
        let z = acts[l].dot(&layer.w.t()) + &layer.b;
        let a = z.mapv(|v| 1.0 / (1.0 + (-v).exp()));
        writeln!(out, "layer {} ({name}):", l + 1)?;
        show(out, &format!("z{}", l + 1), &z)?;
        show(out, &format!("a{} = σ(z{})", l + 1, l + 1), &a)?;
        acts.push(a);
    }
    let a4 = &acts[4];
    let diff = a4 - &t;
    let n = diff.len() as f64;
    let loss = diff.mapv(|v| v * v).sum() / n;
    writeln!(
        out,
        "loss L = mean((a4 - t)²) over {n} entries = {loss:.10}"
    )?;

    writeln!(
        out,
        "\nbackward: δ_l = dL/da_l ⊙ a_l(1 - a_l), dL/dW_l = δ_lᵀ a_(l-1), dL/db_l = Σ δ_l, dL/da_(l-1) = δ_l W_l"
    )?;
    let mut d_a = diff.mapv(|v| 2.0 * v / n);
    show(out, "dL/da4 = 2 (a4 - t) / 6", &d_a)?;
    let mut grads: Grads = Vec::new();
    for l in (0..4).rev() {
        let name = LAYERS[l].0;
        let a = &acts[l + 1];
        let delta = &d_a * &a.mapv(|v| v * (1.0 - v));
        let d_w = delta.t().dot(&acts[l]);
        let d_b = delta.sum_axis(Axis(0));
        writeln!(out, "layer {} ({name}):", l + 1)?;
        show(out, &format!("δ{} = dL/dz{}", l + 1, l + 1), &delta)?;
        show(out, &format!("dL/dW{} = δ{}ᵀ a{}", l + 1, l + 1, l), &d_w)?;
        show_vec(out, &format!("dL/db{} = Σ δ{}", l + 1, l + 1), &d_b)?;
        d_a = delta.dot(&layers[l].w);
        if l > 0 {
            show(out, &format!("dL/da{} = δ{} W{}", l, l + 1, l + 1), &d_a)?;
        }
        grads.push((format!("{name}.0.weight"), d_w.iter().copied().collect()));
        grads.push((format!("{name}.0.bias"), d_b.to_vec()));
    }
    grads.reverse(); // hide1 first, weight before bias
    for pair in grads.chunks_mut(2) {
        pair.swap(0, 1);
    }
    Ok((loss, grads))
}

/// The same network as tensors, `loss.backward()`, and the parameters' `.grad`.
fn by_autograd(layers: &[Layer]) -> (f64, Grads) {
    let tensor = |a: &Array2<f64>| Tensor::from_array(a.clone().into_dyn());
    let params: Vec<(Tensor<f64>, Tensor<f64>)> = layers
        .iter()
        .map(|l| {
            (
                tensor(&l.w).requires_grad_(true),
                Tensor::from_vec(l.b.to_vec(), &[l.b.len()]).requires_grad_(true),
            )
        })
        .collect();
    let mut a = tensor(&rows(&INPUT));
    for (w, b) in &params {
        a = (a.matmul(&w.t()) + b).sigmoid();
    }
    let loss = mse_loss(&a, &tensor(&rows(&TARGET)), Reduction::Mean);
    loss.backward();
    let mut grads = Vec::new();
    for ((name, _, _), (w, b)) in LAYERS.iter().zip(&params) {
        grads.push((
            format!("{name}.0.weight"),
            w.grad().expect("W requires grad").to_vec(),
        ));
        grads.push((
            format!("{name}.0.bias"),
            b.grad().expect("b requires grad").to_vec(),
        ));
    }
    (loss.item(), grads)
}

/// Runs both and prints the comparison.
fn run(cli: &Cli, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let layers = load_layers(cli)?;
    match cli.seed {
        Some(s) => writeln!(out, "# the 2-3-2-12-2 sigmoid net, weights from seed {s}")?,
        None => writeln!(
            out,
            "# the 2-3-2-12-2 sigmoid net, weights from {}",
            cli.init.clone().unwrap_or_else(default_init).display()
        )?,
    }
    let (loss, by_hand) = by_formulas(&layers, out)?;
    let (loss_ag, autograd) = by_autograd(&layers);
    writeln!(out, "\nautograd (loss.backward()): loss = {loss_ag:.10}")?;
    let mut max_abs_diff = (loss - loss_ag).abs();
    for ((name, h), (_, g)) in by_hand.iter().zip(&autograd) {
        let d = h
            .iter()
            .zip(g)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, nan_max);
        max_abs_diff = nan_max(max_abs_diff, d);
        writeln!(out, "  {name:<15} max |formulas - autograd| = {d:.3e}")?;
    }
    // NaN compares false: a NaN difference is a mismatch, never agreement.
    let agree = max_abs_diff <= 1e-6;
    writeln!(
        out,
        "max abs difference (loss and all gradients): {max_abs_diff:.3e} ({})",
        if agree { "they agree" } else { "MISMATCH" }
    )?;
    if !agree {
        return Err(
            format!("the formulas and autograd differ by {max_abs_diff:e} (> 1e-6)").into(),
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    tapegrad_examples::exit::exit_code(
        "backprop_by_hand",
        run(&Cli::parse(), &mut io::stdout().lock()),
    )
}
