//! `numpy_manual_gd`'s script: the NumPy lecture's `forward`, `loss` and hand-derived
//! `gradient` on f32 tensors, and one iteration of its loop ([`step`]), which the program's
//! loop calls and the tests check against the lecture's trace.

use crate::explain::Script;
use tapegrad::prelude::*;

/// The model output `f = w * x`.
pub fn forward<T: Element>(w: &Tensor<T>, x: &Tensor<T>) -> Tensor<T> {
    w * x
}

/// The loss: MSE, `((y_pred - y)**2).mean()`.
pub fn loss(y: &Tensor<f32>, y_pred: &Tensor<f32>) -> Tensor<f32> {
    (y_pred - y).pow(2.0).mean()
}

/// The hand-derived gradient: `dJ/dw = mean(2x(y_pred - y))`.
pub fn gradient(x: &Tensor<f32>, y: &Tensor<f32>, y_pred: &Tensor<f32>) -> Tensor<f32> {
    (x * 2.0 * (y_pred - y)).mean()
}

/// The script's `forward` and `loss`, as `--explain` narrates them
/// ([`crate::explain::explain_step`]).
pub const SCRIPT: (Script, Script) = (forward::<f32>, loss);

/// Everything one gradient-descent iteration computes (for printing or explaining a step).
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// w before the update (a Python float, f64).
    pub w_before: f64,
    /// The forward pass `f32(w) * X`.
    pub y_pred: Vec<f32>,
    /// The loss at `w_before`.
    pub loss: f32,
    /// dJ/dw by the lecture's formula `mean(2x(y_pred - y))`.
    pub dw: f32,
    /// dJ/dw by autograd (`loss.backward()`).
    pub dw_autograd: f32,
    /// w after `w -= learning_rate * dw` (in f64).
    pub w_after: f64,
}

impl Step {
    /// Whether the two gradients agree to f32 rounding (a few units in the last place).
    pub fn gradients_agree(&self) -> bool {
        let tol = 4.0 * f32::EPSILON * self.dw.abs().max(f32::MIN_POSITIVE);
        (self.dw - self.dw_autograd).abs() <= tol
    }
}

/// One iteration: forward pass, loss, gradient (by formula and by autograd), update.
pub fn step(w: f64, x: &Tensor<f32>, y: &Tensor<f32>, learning_rate: f64) -> Step {
    // The tensor the loss is differentiated with respect to: w rounded to f32, as NumPy does.
    let w_t = Tensor::scalar(w as f32).requires_grad_(true);
    let y_pred = forward(&w_t, x);
    let l = loss(y, &y_pred);
    let dw = gradient(x, y, &y_pred.detach()).item();
    l.backward();
    let dw_autograd = w_t.grad().expect("w requires grad").item();
    Step {
        w_before: w,
        y_pred: y_pred.to_vec(),
        loss: l.item(),
        dw,
        dw_autograd,
        // w -= learning_rate * dw, with w a Python float
        w_after: w - learning_rate * dw as f64,
    }
}
