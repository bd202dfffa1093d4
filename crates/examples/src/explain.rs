//! `numpy_manual_gd --explain`: one gradient-descent iteration of the lecture's NumPy page
//! narrated twice, as the tape's backward pass and as the lecture's hand derivation.

use std::io::{self, Write};
use tapegrad::autograd::GraphListing;
use tapegrad::prelude::*;

/// The script's `forward(w, x)` or `loss(y, y_pred)`.
pub type Script = fn(&Tensor<f32>, &Tensor<f32>) -> Tensor<f32>;

/// The numbers of one narrated iteration.
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    /// w before the step.
    pub w: f64,
    /// The per-sample terms `x_i (w x_i - y_i)` of the hand derivation.
    pub terms: Vec<f32>,
    /// Their sum.
    pub sum: f32,
    /// dJ/dw = (1/N) * 2 * sum, by hand.
    pub dw_by_hand: f32,
    /// dJ/dw from the tape's backward pass.
    pub dw_autograd: f32,
    /// w after `w -= lr * dJ/dw`.
    pub w_after: f64,
}

/// A number as the lecture writes it: at most five decimals (hiding f32 rounding noise such
/// as -15.299999), trailing zeros dropped.
pub fn num(v: f64) -> String {
    let s = format!("{v:.5}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

/// Narrates iteration `iteration` (1-based) of `numpy_manual_gd` at `w` to `out`, with the
/// script's `forward(w, x)` and `loss(y, y_pred)`, and returns its numbers.
pub fn explain_step(
    iteration: usize,
    w: f64,
    x: &Tensor<f32>,
    y: &Tensor<f32>,
    learning_rate: f64,
    (forward, loss): (Script, Script),
    out: &mut dyn Write,
) -> io::Result<Explained> {
    writeln!(out, "== iteration {iteration}: w = {} ==", num(w))?;
    let w_t = Tensor::scalar(w as f32)
        .requires_grad_(true)
        .with_label("w");
    let x = x.clone().with_label("x");
    let y = y.clone().with_label("y");
    let y_pred = forward(&w_t, &x).with_label("y_pred");
    let j = loss(&y, &y_pred).with_label("J");
    let tape = GraphListing::of(&j);
    tape.retain_grads();
    writeln!(out, "forward pass, the tape (J = mean((y_pred - y)^2)):")?;
    write!(out, "{tape}")?;
    writeln!(out, "backward, step by step:")?;
    tape.explain_backward(&j, out)?;
    let dw_autograd = w_t.grad().expect("w requires grad").item();

    // The lecture's derivation, with the numbers.
    let (xs, ys) = (x.to_vec(), y.to_vec());
    let wf = w as f32;
    let terms: Vec<f32> = xs
        .iter()
        .zip(&ys)
        .map(|(&x, &y)| x * (wf * x - y))
        .collect();
    let sum: f32 = terms.iter().sum();
    let n = xs.len();
    let dw_by_hand = 2.0 * sum / n as f32;
    writeln!(out, "by hand, as the lecture derives it:")?;
    writeln!(out, "  J = (1/N) * sum_i (w*x_i - y_i)^2, N = {n}")?;
    writeln!(out, "  dJ/dw = (1/N) * 2 * sum_i x_i*(w*x_i - y_i)")?;
    let shown: Vec<String> = xs
        .iter()
        .zip(&ys)
        .zip(&terms)
        .map(|((x, y), t)| {
            format!(
                "{}*({}*{} - {}) = {}",
                num(*x as f64),
                num(w),
                num(*x as f64),
                num(*y as f64),
                num(*t as f64)
            )
        })
        .collect();
    writeln!(
        out,
        "  per-sample terms x_i*(w*x_i - y_i): {}",
        shown.join(", ")
    )?;
    writeln!(out, "  sum = {}", num(sum as f64))?;
    writeln!(
        out,
        "  dJ/dw = (1/{n}) * 2 * ({}) = {}",
        num(sum as f64),
        num(dw_by_hand as f64)
    )?;
    let agree = (dw_by_hand - dw_autograd).abs() <= 1e-5 * dw_by_hand.abs().max(1.0);
    writeln!(
        out,
        "  autograd's dJ/dw = {}: {}",
        num(dw_autograd as f64),
        if agree { "the same" } else { "DIFFERENT" }
    )?;
    let w_after = w - learning_rate * dw_by_hand as f64;
    writeln!(
        out,
        "  update: w = w - lr * dJ/dw = {} - {} * ({}) = {}",
        num(w),
        learning_rate,
        num(dw_by_hand as f64),
        num(w_after)
    )?;
    if dw_by_hand < 0.0 {
        writeln!(
            out,
            "  the gradient is negative: J falls as w grows, so the step increases w"
        )?;
    }
    if iteration == 2 {
        writeln!(
            out,
            "  (the lecture page prints the terms -1.7, -7.4, -16.1, -28.8 and dJ/dw = -27.0 \
             here: an arithmetic slip; the terms are the ones above, and its next value \
             w = 0.555 follows from -25.5)"
        )?;
    }
    Ok(Explained {
        w,
        terms,
        sum,
        dw_by_hand,
        dw_autograd,
        w_after,
    })
}
