//! Shared test helpers: the lecture network (SEEDS item 6) and golden-fixture readers.
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;
use tapegrad_autograd::Tensor;
use tapegrad_nn::{Linear, Module, Sequential, Sigmoid};

/// The lecture's `mynet`: four `Sequential(Linear, Sigmoid)` blocks, 2-3-2-12-2. Its
/// children are registered by `#[derive(Module)]` from the fields.
#[derive(Module)]
pub struct MyNet {
    pub hide1: Sequential,
    pub hide2: Sequential,
    pub hide3: Sequential,
    pub out: Sequential,
}

impl MyNet {
    pub fn new(input: usize, output: usize) -> Self {
        let block = |i, o| Sequential::new().add(Linear::new(i, o)).add(Sigmoid::new());
        MyNet {
            hide1: block(input, 3),
            hide2: block(3, 2),
            hide3: block(2, 12),
            out: block(12, output),
        }
    }
}

impl MyNet {
    pub fn forward(&self, x: &Tensor) -> Tensor {
        self.out.forward(
            &self
                .hide3
                .forward(&self.hide2.forward(&self.hide1.forward(x))),
        )
    }
}

pub const CASES: [&str; 5] = [
    "sgd_momentum",
    "adagrad",
    "rmsprop_momentum",
    "adam",
    "sgd_plain",
];

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/"
    ))
    .join(rel)
}

pub fn json(rel: &str) -> Value {
    let text = std::fs::read_to_string(fixture(rel)).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A nested JSON list (scalar, vector or matrix) as `(shape, values)`.
pub fn nested(v: &Value) -> (Vec<usize>, Vec<f64>) {
    match v {
        Value::Array(items) => {
            if items.first().is_some_and(Value::is_array) {
                let rows: Vec<_> = items.iter().map(nested).collect();
                let mut shape = vec![rows.len()];
                shape.extend(rows[0].0.iter());
                (shape, rows.into_iter().flat_map(|r| r.1).collect())
            } else {
                (
                    vec![items.len()],
                    items.iter().map(|x| x.as_f64().unwrap()).collect(),
                )
            }
        }
        x => (vec![], vec![x.as_f64().unwrap()]),
    }
}

pub fn tensor_f32(v: &Value) -> Tensor {
    let (shape, data) = nested(v);
    Tensor::from_vec(data.into_iter().map(|x| x as f32).collect(), &shape)
}

/// A flat op-fixture tensor `{"shape", "data"}`.
pub fn flat(v: &Value) -> (Vec<usize>, Vec<f64>) {
    let shape = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect();
    (shape, data)
}

/// |a − b| ≤ 1e-6 + 1e-5·|b| elementwise; returns the worst ratio |a − b| / (1e-6 + 1e-5·|b|)
/// (≤ 1 passes).
pub fn assert_close(what: &str, got: &Tensor, shape: &[usize], want: &[f64]) -> f64 {
    assert_eq!(got.shape().as_slice(), shape, "{what}: shape");
    let mut worst = 0.0f64;
    for (i, (g, w)) in got.to_vec().iter().zip(want).enumerate() {
        let d = (*g as f64 - w).abs();
        worst = worst.max(d / (1e-6 + 1e-5 * w.abs()));
        assert!(
            d <= 1e-6 + 1e-5 * w.abs(),
            "{what}[{i}] = {g} but PyTorch gives {w}"
        );
    }
    worst
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tapegrad-nn-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
