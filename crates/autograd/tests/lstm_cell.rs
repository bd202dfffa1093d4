//! `lstm_cell` (the fused pointwise LSTM step): values and gradients against the same cell
//! written with separate ops, and first and second derivatives against finite differences.

mod common;

use tapegrad_autograd::functional::lstm_cell;
use tapegrad_autograd::{gradcheck, gradgradcheck, Tensor};

/// The cell from separate ops (sigmoid, tanh, mul, add), as the layer computed it before.
fn composed(a: &Tensor<f64>, c: &Tensor<f64>) -> (Tensor<f64>, Tensor<f64>) {
    let h = c.shape()[1];
    let part = |k: usize| a.narrow(-1, (k * h) as isize, h);
    let (i, f, g, o) = (
        part(0).sigmoid(),
        part(1).sigmoid(),
        part(2).tanh(),
        part(3).sigmoid(),
    );
    let c2 = f.mul(c).add(&i.mul(&g));
    (o.mul(&c2.tanh()), c2)
}

#[test]
fn matches_the_cell_written_with_separate_ops() {
    let a = common::wave(&[3, 20], 1).mul_scalar(3.0);
    let c = common::wave(&[3, 5], 2);
    let (wh, wc) = (common::wave(&[3, 5], 3), common::wave(&[3, 5], 4));
    let run = |fused: bool| {
        let (a, c) = (
            a.detach().requires_grad_(true),
            c.detach().requires_grad_(true),
        );
        let (h2, c2) = if fused {
            lstm_cell(&a, &c)
        } else {
            composed(&a, &c)
        };
        (&(&h2 * &wh).sum() + &(&c2 * &wc).sum()).backward();
        let grad = |t: &Tensor<f64>| t.grad().expect("grad").to_vec();
        [h2.to_vec(), c2.to_vec(), grad(&a), grad(&c)]
    };
    for (x, y) in run(true).iter().zip(run(false).iter()) {
        for (p, q) in x.iter().zip(y) {
            assert!((p - q).abs() <= 1e-14 * (1.0 + q.abs()), "{p} vs {q}");
        }
    }
}

#[test]
fn gradcheck_both_outputs() {
    let a = common::wave(&[2, 12], 5).mul_scalar(2.0);
    let c = common::wave(&[2, 3], 6);
    // h' and c' both reach the loss, weighted differently.
    let f = |t: &[Tensor<f64>]| {
        let (h, c) = lstm_cell(&t[0], &t[1]);
        &h + &c.mul_scalar(0.7)
    };
    gradcheck(f, &[a.clone(), c.clone()], 1e-6, 1e-7, 1e-5).unwrap();
    gradgradcheck(f, &[a, c], 1e-6, 1e-6, 1e-4).unwrap();
}
