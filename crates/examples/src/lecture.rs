//! The data of the lecture's sigmoid-net page and the JSON form of a run: what `sigmoid_net`
//! and `all_optimizers` share besides the network ([`MyNet`], the library's).

use crate::AppError;
use serde_json::{json, Map, Value};
use std::io::{self, Write};
use std::path::Path;
use tapegrad_autograd::{manual_seed, Tensor};
use tapegrad_nn::lecture::MyNet;
use tapegrad_nn::Module;

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

/// `mynet(2, 2)` with its initial weights drawn from `seed` (`torch.manual_seed(seed)`), or
/// read from the safetensors file `init` (`--init`; PyTorch's names, `hide1.0.weight`, …).
pub fn initial_net(seed: u64, init: Option<&Path>) -> Result<MyNet, AppError> {
    manual_seed(seed);
    let net = MyNet::new(2, 2);
    if let Some(path) = init {
        net.load(path).map_err(|source| AppError::Init {
            path: path.to_path_buf(),
            source: Box::new(source),
        })?;
    }
    Ok(net)
}

/// The value of `epoch`'s loss (epochs count from 1), or [`AppError::Diverged`] if it is NaN or
/// infinite.
pub fn finite_loss(epoch: usize, loss: &Tensor) -> Result<f32, AppError> {
    let value = loss.item();
    if value.is_finite() {
        Ok(value)
    } else {
        Err(AppError::diverged(epoch, value))
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

/// Draws the loss curves `(name, losses)` against the epoch to `path` (`--plot`).
pub fn plot_losses(path: &Path, title: &str, runs: &[(String, &[f32])]) -> Result<(), AppError> {
    let series: Vec<tapegrad_plot::Series> = runs
        .iter()
        .map(|(name, losses)| {
            let points = losses.iter().enumerate();
            tapegrad_plot::Series::new(
                name.clone(),
                points
                    .map(|(i, &l)| ((i + 1) as f64, f64::from(l)))
                    .collect(),
            )
        })
        .collect();
    tapegrad_plot::line_chart(path, title, "epoch", "MSE loss", &series)
        .map_err(|e| AppError::Io(io::Error::other(format!("--plot: {e}"))))
}
