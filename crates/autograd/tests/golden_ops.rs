//! Every op case PyTorch recorded in `tests/fixtures/ops/` (copied from the golden set):
//! forward value and the gradient of `sum(output * cotangent)` for every input, in f32,
//! within |a - b| <= 1e-6 + 1e-5·|b|.

use serde_json::Value;
use std::path::PathBuf;
use tapegrad_autograd::functional::{cross_entropy, mse_loss, Reduction};
use tapegrad_autograd::{BackwardOptions, Tensor};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/ops")
}

fn flat(v: &Value) -> (Vec<usize>, Vec<f64>) {
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

fn tensor(v: &Value) -> Tensor<f32> {
    let (shape, data) = flat(v);
    Tensor::from_vec(data.into_iter().map(|x| x as f32).collect(), &shape)
}

fn assert_close(case: &str, what: &str, got: &Tensor<f32>, want: &Value) {
    let (shape, data) = flat(want);
    assert_eq!(
        got.shape().as_slice(),
        shape.as_slice(),
        "{case}: {what} shape"
    );
    for (i, (g, w)) in got.to_vec().iter().zip(&data).enumerate() {
        let (g, w) = (*g as f64, *w);
        assert!(
            (g - w).abs() <= 1e-6 + 1e-5 * w.abs(),
            "{case}: {what}[{i}] = {g} but PyTorch gives {w}"
        );
    }
}

fn eval(case: &Value, x: &[Tensor<f32>]) -> Tensor<f32> {
    let name = case["name"].as_str().unwrap();
    let attrs = &case["attrs"];
    let other = attrs["other"].as_f64().map(|o| o as f32);
    let dim = attrs["dim"].as_i64().map(|d| d as isize);
    let keepdim = attrs["keepdim"].as_bool().unwrap_or(false);
    let op = case["op"].as_str().unwrap();
    match op {
        "add" => other.map_or_else(|| &x[0] + &x[1], |c| &x[0] + c),
        "sub" => other.map_or_else(|| &x[0] - &x[1], |c| &x[0] - c),
        "mul" => other.map_or_else(|| &x[0] * &x[1], |c| &x[0] * c),
        "div" => other.map_or_else(|| &x[0] / &x[1], |c| &x[0] / c),
        "matmul" => x[0].matmul(&x[1]),
        "neg" => -&x[0],
        "exp" => x[0].exp(),
        "log" => x[0].log(),
        "sqrt" => x[0].sqrt(),
        "pow" => x[0].pow(attrs["exponent"].as_f64().unwrap()),
        "sigmoid" => x[0].sigmoid(),
        "tanh" => x[0].tanh(),
        "relu" => x[0].relu(),
        "sum" => dim.map_or_else(|| x[0].sum(), |d| x[0].sum_dim(d, keepdim)),
        "mean" => dim.map_or_else(|| x[0].mean(), |d| x[0].mean_dim(d, keepdim)),
        "transpose" => x[0].transpose(
            attrs["dim0"].as_i64().unwrap() as isize,
            attrs["dim1"].as_i64().unwrap() as isize,
        ),
        "reshape" => {
            let s: Vec<isize> = attrs["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_i64().unwrap() as isize)
                .collect();
            x[0].reshape(&s)
        }
        "softmax" => x[0].softmax(dim.unwrap()),
        "log_softmax" => x[0].log_softmax(dim.unwrap()),
        "mse_loss" => mse_loss(&x[0], &x[1], Reduction::Mean),
        "cross_entropy" => {
            let t: Vec<usize> = case["inputs"][1]["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            cross_entropy(&x[0], &t, Reduction::Mean)
        }
        other => panic!("{name}: unknown op {other}"),
    }
}

#[test]
fn every_golden_op_case_matches_pytorch() {
    let mut files: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut checked = 0;
    for path in files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let name = case["name"].as_str().unwrap().to_string();
        let inputs: Vec<Tensor<f32>> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let t = tensor(i);
                if i["requires_grad"].as_bool().unwrap() && i["dtype"] == "f32" {
                    t.requires_grad_(true)
                } else {
                    t
                }
            })
            .collect();
        let out = eval(&case, &inputs);
        assert_close(&name, "output", &out, &case["output"]);
        out.backward_with(BackwardOptions::new().gradient(tensor(&case["cotangent"])));
        let names: Vec<&str> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        for (gname, want) in case["grads"].as_object().unwrap() {
            let i = names.iter().position(|n| n == gname).unwrap();
            let g = inputs[i]
                .grad()
                .unwrap_or_else(|| panic!("{name}: no grad for {gname}"));
            assert_close(&name, &format!("grad[{gname}]"), &g, want);
        }
        checked += 1;
    }
    assert_eq!(checked, 41, "all 41 golden op cases");
}
