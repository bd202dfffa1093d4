//! `learning_rates`' experiment: plain gradient descent on the lecture's y = 2x with four
//! learning rates (too small, about right, too large, far too large), recording the loss and
//! the weight after every update.

use tapegrad::optim::Optimizer;
use tapegrad::prelude::*;

/// The four learning rates and what each demonstrates.
pub const REGIMES: [(&str, f64); 4] = [
    ("too small", 0.005),
    ("about right", 0.05),
    ("too large", 0.21),
    ("far too large", 0.25),
];

/// One learning rate's run.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The regime's name.
    pub name: &'static str,
    /// The learning rate.
    pub lr: f64,
    /// `losses[k]`: the loss after k updates (k = 0 is the start).
    pub losses: Vec<f64>,
    /// `ws[k]`: w after k updates.
    pub ws: Vec<f64>,
}

/// The lecture's data as f64 tensors.
fn data() -> (Tensor<f64>, Tensor<f64>) {
    (
        Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]),
        Tensor::from_vec(vec![2.0, 4.0, 6.0], &[3]),
    )
}

/// `mean((x w - y)^2)`.
fn loss(x: &Tensor<f64>, y: &Tensor<f64>, w: &Tensor<f64>) -> Tensor<f64> {
    (x * w - y).pow(2.0).mean()
}

/// Trains `w` from 1 with `SGD(lr)` for `updates` steps, recording the loss and w after each.
pub fn train(name: &'static str, lr: f64, updates: usize) -> Trace {
    let (x, y) = data();
    let w = Tensor::scalar(1.0f64).requires_grad_(true);
    let mut opt = crate::optimizer::plain_sgd(&w, lr);
    let mut losses = Vec::with_capacity(updates + 1);
    let mut ws = Vec::with_capacity(updates + 1);
    for _ in 0..updates {
        let l = loss(&x, &y, &w);
        losses.push(l.item());
        ws.push(w.item());
        opt.zero_grad();
        l.backward();
        opt.step();
    }
    losses.push(no_grad(|| loss(&x, &y, &w).item()));
    ws.push(w.item());
    Trace {
        name,
        lr,
        losses,
        ws,
    }
}
