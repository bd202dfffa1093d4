//! Shared test helpers: the lecture network (the library's, re-exported) and golden-fixture
//! readers.
#![allow(dead_code)]

use serde_json::Value;
use std::path::PathBuf;
use tapegrad_autograd::{Element, Tensor};

#[allow(unused_imports)] // not every test file uses the net
pub use tapegrad_nn::lecture::MyNet;

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

/// A golden case of `tests/fixtures/<folder>/<name>.json`.
pub fn golden_case(folder: &str, name: &str) -> Value {
    json(&format!("{folder}/{name}.json"))
}

/// The `"shape"` of a flat fixture tensor `{"shape", "data"}`.
pub fn shape_of(v: &Value) -> Vec<usize> {
    v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

/// A flat fixture tensor of floats in the element type `T` (each value parsed as f64, then
/// converted: exact for f32 values widened to f64).
pub fn floats<T: Element>(v: &Value) -> Tensor<T> {
    let data: Vec<T> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| T::from_f64(d.as_f64().unwrap()))
        .collect();
    Tensor::from_vec(data, &shape_of(v))
}

/// A flat fixture tensor of f32 values.
pub fn f32s(v: &Value) -> Tensor<f32> {
    floats(v)
}

/// A flat fixture tensor of integers (class indices, `padding_idx`'s inputs).
pub fn i64s(v: &Value) -> Tensor<i64> {
    let data: Vec<i64> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_i64().unwrap())
        .collect();
    Tensor::from_vec(data, &shape_of(v))
}
