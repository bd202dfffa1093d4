//! Round trips with PyTorch through safetensors files (docs/pytorch_roundtrip.md):
//! the initial weights PyTorch saved (`tests/fixtures/net/*.init.safetensors`) load into the
//! equivalent tapegrad model and give PyTorch's first output, and what tapegrad saves is what
//! PyTorch's `safetensors.torch.save_file` writes — the same names, dtypes, shapes and
//! `{"format":"pt"}` metadata, byte for byte.

use serde_json::Value;
use std::path::PathBuf;
use tapegrad::nn::lecture::MyNet;
use tapegrad::nn::{load_safetensors, Module, StateDict};
use tapegrad::prelude::*;

const CASES: [&str; 5] = [
    "adagrad",
    "adam",
    "rmsprop_momentum",
    "sgd_momentum",
    "sgd_plain",
];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/net")
        .join(name)
}

fn golden(case: &str) -> Value {
    let text = std::fs::read_to_string(fixture(&format!("{case}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn flatten(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(xs) => xs.iter().for_each(|x| flatten(x, out)),
        x => out.push(x.as_f64().expect("a number")),
    }
}

fn values(v: &Value) -> Vec<f64> {
    let mut out = vec![];
    flatten(v, &mut out);
    out
}

fn header(bytes: &[u8]) -> Value {
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    serde_json::from_slice(&bytes[8..8 + n]).unwrap()
}

#[test]
fn pytorch_weights_load_and_give_pytorchs_first_output() {
    let mut worst = 0.0f64;
    for case in CASES {
        let g = golden(case);
        let net: MyNet = MyNet::new(2, 2);
        net.load(fixture(&format!("{case}.init.safetensors")))
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        // the loaded values are PyTorch's initial parameters, bit for bit
        for (name, t) in net.state_dict().iter() {
            let want: Vec<f32> = values(&g["init"][name]).iter().map(|&v| v as f32).collect();
            assert_eq!(t.to_vec(), want, "{case}: {name}");
        }
        let input = values(&g["input"]);
        let x = Tensor::from_vec(
            input.iter().map(|&v| v as f32).collect(),
            &[input.len() / 2, 2],
        );
        let y = net.forward(&x).to_vec();
        let want = values(&g["output_first"]);
        assert_eq!(y.len(), want.len());
        for (a, b) in y.iter().zip(&want) {
            let d = (*a as f64 - b).abs();
            assert!(d <= 1e-6 + 1e-5 * b.abs(), "{case}: {a} vs PyTorch {b}");
            worst = worst.max(d);
        }
    }
    println!("worst |tapegrad - PyTorch| on output_first: {worst:e}");
}

#[test]
fn saved_weights_are_the_file_pytorch_writes() {
    let dir = std::env::temp_dir().join(format!("tapegrad-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for case in CASES {
        let original = fixture(&format!("{case}.init.safetensors"));
        let net: MyNet = MyNet::new(2, 2);
        net.load(&original).unwrap();
        let saved = dir.join(format!("{case}.safetensors"));
        net.save(&saved).unwrap();
        let (ours, theirs) = (
            std::fs::read(&saved).unwrap(),
            std::fs::read(&original).unwrap(),
        );
        let h = header(&ours);
        assert_eq!(h["__metadata__"], serde_json::json!({"format": "pt"}));
        let g = golden(case);
        for name in g["model"]["param_order"].as_array().unwrap() {
            let name = name.as_str().unwrap();
            let entry = &h[name];
            assert_eq!(entry["dtype"], "F32", "{case}: {name}");
            let shape: Vec<usize> = entry["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            let t = net.state_dict().get(name).unwrap().clone();
            assert_eq!(shape, t.shape().to_vec(), "{case}: {name}");
        }
        assert_eq!(h.as_object().unwrap().len(), 1 + 8);
        // byte-identical to PyTorch's own file: `safetensors.torch.load_file` reads it as it
        // reads PyTorch's
        assert!(
            ours == theirs,
            "{case}: the saved file differs from PyTorch's"
        );
        // and reading it back gives the same tensors
        let back: StateDict = load_safetensors(&saved).unwrap();
        for (name, t) in net.state_dict().iter() {
            assert_eq!(back.get(name).unwrap().to_vec(), t.to_vec());
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn f64_models_save_float64_and_load_float32_files_converted() {
    let dir = std::env::temp_dir().join(format!("tapegrad-roundtrip64-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // PyTorch's float32 file loads into an f64 model, each value widened exactly (as
    // `load_state_dict` converts through `copy_`).
    let net: MyNet<f64> = MyNet::of_element(2, 2);
    net.load(fixture("adam.init.safetensors")).unwrap();
    let narrow: MyNet<f32> = MyNet::new(2, 2);
    narrow.load(fixture("adam.init.safetensors")).unwrap();
    for ((n64, t64), (n32, t32)) in net.state_dict().iter().zip(narrow.state_dict().iter()) {
        assert_eq!(n64, n32);
        let widened: Vec<f64> = t32.to_vec().iter().map(|&v| v as f64).collect();
        assert_eq!(t64.to_vec(), widened, "{n64}");
    }
    let path = dir.join("f64.safetensors");
    net.save(&path).unwrap();
    let h = header(&std::fs::read(&path).unwrap());
    assert_eq!(h["hide1.0.weight"]["dtype"], "F64");
    assert_eq!(h["out.0.weight"]["shape"], serde_json::json!([2, 12]));
    std::fs::remove_dir_all(&dir).unwrap();
}
