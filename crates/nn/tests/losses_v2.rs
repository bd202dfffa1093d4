//! The loss modules against PyTorch (`tests/fixtures/losses/`, written by
//! `tools/golden/losses.py`): every loss × every reduction × every option, forward value and
//! the gradients of `Σ loss·cot` for every input PyTorch differentiates, in f32 within
//! |a - b| <= 1e-6 + 1e-5·|b| (f64 cases within 1e-12 + 1e-9·|b|).

use serde_json::Value;
use std::path::PathBuf;
use tapegrad_autograd::{Element, Tensor};
use tapegrad_nn::{
    BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, HuberLoss, KLDivLoss,
    KLDivReduction, MarginRankingLoss, NLLLoss, Reduction, SmoothL1Loss,
};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/losses")
}

fn shape(v: &Value) -> Vec<usize> {
    v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

fn float<T: Element>(v: &Value) -> Tensor<T> {
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| T::from_f64(d.as_f64().unwrap()))
        .collect();
    Tensor::from_vec(data, &shape(v))
}

fn ints(v: &Value) -> Option<Tensor<i64>> {
    let data: Option<Vec<i64>> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::as_i64)
        .collect();
    data.map(|d| Tensor::from_vec(d, &shape(v)))
}

fn reduction(case: &Value) -> Reduction {
    match case["options"]["reduction"].as_str().unwrap() {
        "batchmean" => panic!("batchmean is KLDivLoss's only"),
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        "none" => Reduction::None,
        r => panic!("unknown reduction {r}"),
    }
}

fn check<T: Element>(case: &str, what: &str, got: &Tensor<T>, want: &Value) {
    assert_eq!(
        got.shape().as_slice(),
        shape(want).as_slice(),
        "{case}: {what} shape"
    );
    let (abs, rel) = if T::DTYPE.is_floating_point() && std::mem::size_of::<T>() == 8 {
        (1e-12, 1e-9)
    } else {
        (1e-6, 1e-5)
    };
    for (i, (g, w)) in got
        .to_vec()
        .iter()
        .zip(want["data"].as_array().unwrap())
        .enumerate()
    {
        let (g, w) = (g.as_f64(), w.as_f64().unwrap());
        assert!(
            (g - w).abs() <= abs + rel * w.abs(),
            "{case}: {what}[{i}] = {g} but PyTorch gives {w}"
        );
    }
}

/// The case's loss on its inputs (`Some`) or `None` for a loss not covered here.
fn eval<T: Element>(
    case: &Value,
    x: &std::collections::HashMap<String, Tensor<T>>,
) -> Option<Tensor<T>> {
    let o = &case["options"];
    let inputs = &case["inputs"];
    let red = || reduction(case);
    let red_kl = || match o["reduction"].as_str().unwrap() {
        "batchmean" => KLDivReduction::BatchMean,
        _ => reduction(case).into(),
    };
    let weight = || inputs.get("weight").map(float::<T>);
    Some(match case["loss"].as_str().unwrap() {
        "CrossEntropyLoss" => {
            let mut f = CrossEntropyLoss::with_reduction(red())
                .ignore_index(o["ignore_index"].as_i64().unwrap_or(-100))
                .label_smoothing(o["label_smoothing"].as_f64().unwrap_or(0.0));
            if let Some(w) = weight() {
                f = f.weight(&w);
            }
            match ints(&inputs["target"]) {
                Some(t) => f.forward(&x["input"], &t),
                None => f.forward(&x["input"], &x["target"]),
            }
        }
        "NLLLoss" => {
            let mut f = NLLLoss::with_reduction(red())
                .ignore_index(o["ignore_index"].as_i64().unwrap_or(-100));
            if let Some(w) = weight() {
                f = f.weight(&w);
            }
            f.forward(&x["input"], ints(&inputs["target"]).unwrap())
        }
        "BCELoss" => {
            let mut f = BCELoss::with_reduction(red());
            if let Some(w) = weight() {
                f = f.weight(&w);
            }
            f.forward(&x["input"], &x["target"])
        }
        "BCEWithLogitsLoss" => {
            let mut f = BCEWithLogitsLoss::with_reduction(red());
            if let Some(w) = weight() {
                f = f.weight(&w);
            }
            if let Some(pw) = inputs.get("pos_weight").map(float::<T>) {
                f = f.pos_weight(&pw);
            }
            f.forward(&x["input"], &x["target"])
        }
        "HuberLoss" => HuberLoss::with_reduction(red())
            .delta(o["delta"].as_f64().unwrap())
            .forward(&x["input"], &x["target"]),
        "SmoothL1Loss" => SmoothL1Loss::with_reduction(red())
            .beta(o["beta"].as_f64().unwrap())
            .forward(&x["input"], &x["target"]),
        "KLDivLoss" => KLDivLoss::with_reduction(red_kl())
            .log_target(o["log_target"].as_bool().unwrap())
            .forward(&x["input"], &x["target"]),
        "MarginRankingLoss" => MarginRankingLoss::with_reduction(red())
            .margin(o["margin"].as_f64().unwrap())
            .forward(&x["input1"], &x["input2"], &x["target"]),
        "CosineEmbeddingLoss" => CosineEmbeddingLoss::with_reduction(red())
            .margin(o["margin"].as_f64().unwrap())
            .forward(&x["input1"], &x["input2"], &x["target"]),
        _ => return None,
    })
}

/// Runs one case in element type `T`; false if its loss is not covered.
fn run<T: Element>(case: &Value) -> bool {
    let name = case["name"].as_str().unwrap();
    let grads = case["grads"].as_object().unwrap();
    let mut x = std::collections::HashMap::new();
    for (k, v) in case["inputs"].as_object().unwrap() {
        if ints(v).is_some() {
            continue; // class indices, read by `eval`
        }
        x.insert(
            k.clone(),
            float::<T>(v).requires_grad_(grads.contains_key(k)),
        );
    }
    let Some(out) = eval(case, &x) else {
        return false;
    };
    check(name, "loss", &out, &case["output"]);
    (&out * &x["cot"]).sum().backward();
    for (k, want) in grads {
        let g = x[k]
            .grad()
            .unwrap_or_else(|| panic!("{name}: no gradient for {k}"));
        check(name, &format!("grad[{k}]"), &g, want);
    }
    true
}

#[test]
fn every_loss_case_matches_pytorch() {
    let mut files: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 100, "the golden loss cases are missing");
    let mut ran = 0;
    for path in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let done = match case["dtype"].as_str().unwrap() {
            "f32" => run::<f32>(&case),
            "f64" => run::<f64>(&case),
            d => panic!("unknown dtype {d}"),
        };
        let loss = case["loss"].as_str().unwrap();
        assert!(done, "{}: {loss} is not run", case["name"]);
        ran += done as usize;
    }
    println!("{ran} of {} cases ran", files.len());
    assert_eq!(ran, files.len());
}
