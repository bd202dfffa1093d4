//! The lecture's 2-3-2-12-2 sigmoid network (SEEDS item 6), shared by the `sigmoid_net` and
//! `all_optimizers` examples: the `mynet` module, its data, the training loop and the JSON form
//! of its parameters. Every item here is used by both examples.

use serde_json::{json, Map, Value};
use std::io::{self, Write};
use tapegrad::nn::{children, Linear, MSELoss, Module, Sequential, Sigmoid};
use tapegrad::optim::{LRScheduler, Optimizer};
use tapegrad::prelude::*;

/// The lecture's `mynet`: four `Sequential(Linear, Sigmoid)` blocks, 2-3-2-12-2, with PyTorch's
/// parameter names `hide1.0.weight`, `hide1.0.bias`, …, `out.0.bias`.
pub struct MyNet {
    /// `Sequential(Linear(input_size, 3), Sigmoid())`.
    pub hide1: Sequential,
    /// `Sequential(Linear(3, 2), Sigmoid())`.
    pub hide2: Sequential,
    /// `Sequential(Linear(2, 12), Sigmoid())`.
    pub hide3: Sequential,
    /// `Sequential(Linear(12, output_size), Sigmoid())`.
    pub out: Sequential,
}

impl MyNet {
    /// `mynet(input_size, output_size)`: draws the initial weights from the process-wide
    /// generator (`manual_seed`) as PyTorch's default `Linear` initialisation does.
    pub fn new(input_size: usize, output_size: usize) -> Self {
        let block = |i, o| Sequential::new().add(Linear::new(i, o)).add(Sigmoid::new());
        MyNet {
            hide1: block(input_size, 3),
            hide2: block(3, 2),
            hide3: block(2, 12),
            out: block(12, output_size),
        }
    }
}

impl Module for MyNet {
    fn forward(&self, x: &Tensor) -> Tensor {
        let x = self.hide1.forward(x);
        let x = self.hide2.forward(&x);
        let x = self.hide3.forward(&x);
        self.out.forward(&x)
    }

    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        children![self; hide1, hide2, hide3, out]
    }

    fn type_name(&self) -> String {
        "mynet".into()
    }
}

/// The most epochs `--epochs` accepts: ten million full-batch steps (minutes of training, 40 MB
/// of recorded losses). The flag is checked against it, so a value such as
/// 1000000000000000000 is a usage error instead of an allocation failure.
pub const MAX_EPOCHS: u64 = 10_000_000;

/// The lecture's `input`: three samples of two features.
pub const INPUT: [[f32; 2]; 3] = [[0.5, 0.1], [0.05, 0.180], [0.05, 0.310]];

/// The lecture's `target`. The 123 cannot be reached by a sigmoid output, so the loss plateaus
/// near 2500: that is the example as written.
pub const TARGET: [[f32; 2]; 3] = [[1.0, 2.0], [0.0, 3.0], [1.0, 123.0]];

/// Three rows of two values as a `[3, 2]` tensor.
pub fn rows_tensor(rows: &[[f32; 2]; 3]) -> Tensor {
    Tensor::from_vec(rows.iter().flatten().copied().collect(), &[3, 2])
}

/// The lecture's loop, `epochs` times: `y_pred = net(input); loss = loss_func(y_pred, target);
/// optimizer.zero_grad(); loss.backward(); optimizer.step()` (then `scheduler.step()` if there
/// is one). `on_epoch` sees each epoch's loss, computed before that epoch's step (the lecture
/// prints it); the losses are returned.
pub fn train(
    net: &MyNet,
    optimizer: &mut dyn Optimizer,
    mut scheduler: Option<&mut dyn LRScheduler>,
    target: &Tensor,
    epochs: usize,
    on_epoch: &mut dyn FnMut(&Tensor) -> io::Result<()>,
) -> Result<Vec<f32>, TrainError> {
    let input = rows_tensor(&INPUT);
    let loss_func = MSELoss::new();
    // Grown as the epochs run: reserving `epochs` up front would abort the process on an
    // epoch count too large to hold.
    let mut losses = Vec::new();
    for epoch in 1..=epochs {
        let y_pred = net.forward(&input);
        let loss = loss_func.forward(&y_pred, target);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        if let Some(s) = scheduler.as_deref_mut() {
            s.step(optimizer);
        }
        on_epoch(&loss)?;
        let value = loss.item();
        if !value.is_finite() {
            return Err(TrainError::Diverged { epoch, loss: value });
        }
        losses.push(value);
    }
    Ok(losses)
}

/// Why [`train`] stopped early.
#[derive(Debug)]
pub enum TrainError {
    /// Writing an epoch's line failed.
    Io(io::Error),
    /// The loss became NaN or infinite: the run diverged (usually a learning rate too large).
    Diverged {
        /// The epoch (from 1) whose loss was not finite.
        epoch: usize,
        /// That loss.
        loss: f32,
    },
}

impl From<io::Error> for TrainError {
    fn from(e: io::Error) -> Self {
        TrainError::Io(e)
    }
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::Io(e) => write!(f, "writing the output: {e}"),
            TrainError::Diverged { epoch, loss } => write!(
                f,
                "the loss became {loss} at epoch {epoch}: training diverged and was stopped; \
                 try a smaller --lr"
            ),
        }
    }
}

/// A tensor as nested JSON lists (a weight `[out, in]` as rows, a bias as a list), each f32
/// widened to f64 so that parsing it back and casting to f32 is exact.
pub fn tensor_json(t: &Tensor) -> Value {
    let values: Vec<f64> = t.to_vec().into_iter().map(f64::from).collect();
    match t.shape().as_slice() {
        [_, cols] => Value::Array(values.chunks(*cols).map(|r| json!(r)).collect()),
        _ => json!(values),
    }
}

/// `{"hide1.0.weight": [[…]], …, "out.0.bias": […]}` in `named_parameters` order.
pub fn params_json(net: &MyNet) -> Value {
    let map: Map<String, Value> = net
        .named_parameters()
        .into_iter()
        .map(|(name, p)| (name, tensor_json(&p)))
        .collect();
    Value::Object(map)
}

/// The losses as JSON numbers (each f32 widened to f64, exact).
pub fn losses_json(losses: &[f32]) -> Value {
    json!(losses.iter().map(|&l| f64::from(l)).collect::<Vec<f64>>())
}

/// Writes one line of JSON (the last line of a `--json` run).
pub fn write_json_line(out: &mut dyn Write, value: &Value) -> io::Result<()> {
    writeln!(out, "{value}")
}
