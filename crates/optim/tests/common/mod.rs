//! Shared helpers for the golden-net tests: reading tests/fixtures/net/*.json and building the
//! 2-3-2-12-2 sigmoid net from plain tensors.
#![allow(dead_code)]

use serde_json::Value;
use tapegrad_autograd::functional::{mse_loss, Reduction};
use tapegrad_autograd::Tensor;

/// The parsed fixture.
pub fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/net/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A nested JSON list of numbers flattened (row-major), with its shape.
pub fn flat(v: &Value) -> (Vec<f32>, Vec<usize>) {
    match v {
        Value::Array(items) if items.first().is_some_and(|x| x.is_array()) => {
            let mut out = Vec::new();
            let mut inner = Vec::new();
            for it in items {
                let (d, s) = flat(it);
                inner = s;
                out.extend(d);
            }
            let mut shape = vec![items.len()];
            shape.extend(inner);
            (out, shape)
        }
        Value::Array(items) => (
            items.iter().map(|x| x.as_f64().unwrap() as f32).collect(),
            vec![items.len()],
        ),
        _ => panic!("expected a list, got {v}"),
    }
}

pub fn tensor(v: &Value) -> Tensor {
    let (d, s) = flat(v);
    Tensor::from_vec(d, &s)
}

/// The fixture's parameters in `param_order`, as leaves requiring grad.
pub fn params_from(fx: &Value, field: &str) -> Vec<(String, Tensor)> {
    fx["model"]["param_order"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let n = n.as_str().unwrap().to_string();
            let t = tensor(&fx[field][&n]).requires_grad_(true);
            (n, t)
        })
        .collect()
}

/// Forward of the sigmoid MLP: per layer sigmoid(x · Wᵀ + b).
pub fn forward(params: &[(String, Tensor)], x: &Tensor) -> Tensor {
    let mut h = x.clone();
    for pair in params.chunks(2) {
        let (w, b) = (&pair[0].1, &pair[1].1);
        h = (h.matmul(&w.t()) + b).sigmoid();
    }
    h
}

pub fn loss(params: &[(String, Tensor)], fx: &Value) -> Tensor {
    let x = tensor(&fx["input"]);
    let y = tensor(&fx["target"]);
    mse_loss(&forward(params, &x), &y, Reduction::Mean)
}

/// Distance in units in the last place between two f32 values.
pub fn ulps(a: f32, b: f32) -> u32 {
    let key = |x: f32| {
        let i = x.to_bits() as i32;
        if i < 0 {
            i32::MIN - i
        } else {
            i
        }
    };
    (key(a) as i64 - key(b) as i64).unsigned_abs() as u32
}
