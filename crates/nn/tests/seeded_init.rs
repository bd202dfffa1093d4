//! After `manual_seed(s)` the layers, `nn.init` functions, dropout masks, `DataLoader` orders
//! and `random_split` are PyTorch's, bit for bit (`tests/fixtures/rng/{layers,init,dropout,
//! data}.json`, written by `tools/golden/rng.py`), and the lecture network built from the seed
//! alone has the golden initial weights of `tests/fixtures/net/*.json`.

mod common;
use common::*;
use serde_json::Value;
use std::sync::Mutex;
use tapegrad_autograd::{functional::dropout, manual_seed, Element, Tensor};
use tapegrad_nn::data::{random_split, random_split_with};
use tapegrad_nn::init::{self, FanMode, Nonlinearity};
use tapegrad_nn::layers::RnnOptions;
use tapegrad_nn::{
    BatchNorm, Conv1d, Conv2d, ConvTranspose2d, DataLoader, Dropout, Embedding, GroupNorm,
    LayerNorm, Linear, MSELoss, Module, MultiheadAttention, TensorDataset, GRU, LSTM, RNN,
};

/// Every test here draws from the default generator.
static LOCK: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn u64s(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap_or_else(|| x.as_i64().unwrap() as u64))
        .collect()
}

fn bits<T: Element>(t: &Tensor<T>) -> Vec<u64> {
    t.to_vec()
        .iter()
        .map(|x| match T::DTYPE {
            tapegrad_autograd::DType::F32 => (x.as_f64() as f32).to_bits() as u64,
            _ => x.as_f64().to_bits(),
        })
        .collect()
}

fn rand_after() -> Vec<u64> {
    bits(&Tensor::<f32>::rand(&[4]))
}

fn layer(name: &str) -> Box<dyn Module<f32>> {
    let rnn = |num_layers, bias, bidirectional| RnnOptions {
        num_layers,
        bias,
        bidirectional,
        ..RnnOptions::default()
    };
    match name {
        "linear" => Box::new(Linear::new(5, 3)),
        "linear_nobias" => Box::new(Linear::with_bias(20, 7, false)),
        "linear_big" => Box::new(Linear::new(64, 32)),
        "conv1d" => Box::new(Conv1d::new(3, 4, 5)),
        "conv2d" => Box::new(Conv2d::new(3, 4, [3, 2])),
        "conv_transpose2d" => Box::new(ConvTranspose2d::new(3, 2, [3, 3])),
        "embedding" => Box::new(Embedding::new(10, 4)),
        "embedding_small" => Box::new(Embedding::new(3, 5)),
        "layer_norm" => Box::new(LayerNorm::new(&[5])),
        "batch_norm1d" => Box::new(BatchNorm::new_1d(4)),
        "batch_norm2d" => Box::new(BatchNorm::new_2d(3)),
        "group_norm" => Box::new(GroupNorm::new(2, 4)),
        "lstm" => Box::new(LSTM::with_options(5, 7, rnn(2, true, false))),
        "gru" => Box::new(GRU::with_options(4, 6, rnn(1, true, true))),
        "rnn" => Box::new(RNN::new(3, 5)),
        "rnn_relu" => Box::new(RNN::with_relu(3, 5, rnn(2, false, false))),
        "mha" => Box::new(MultiheadAttention::new(8, 2, 0.0, false)),
        "mha_batch_first" => Box::new(MultiheadAttention::new(6, 3, 0.0, true)),
        other => panic!("no layer {other}"),
    }
}

#[test]
fn layers_built_after_manual_seed_have_pytorchs_initial_weights() {
    let _l = lock();
    let fx = json("rng/layers.json");
    let mut n = 0;
    for case in fx["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        manual_seed(case["seed"].as_u64().unwrap());
        let m = layer(name);
        let after = rand_after();
        let sd = m.state_dict();
        for (pname, p) in case["params"].as_object().unwrap() {
            let t = sd
                .get(pname)
                .unwrap_or_else(|| panic!("{name}: no parameter {pname}"));
            assert_eq!(
                bits(t),
                u64s(&p["bits"]),
                "{name} seed {}: {pname}",
                case["seed"]
            );
            n += 1;
        }
        assert_eq!(
            after,
            u64s(&case["rand_after"]),
            "{name}: draws made by the constructor"
        );
    }
    assert!(n > 60, "{n}");
}

#[test]
fn init_functions_match_pytorch() {
    let _l = lock();
    let fx = json("rng/init.json");
    for (i, case) in fx["cases"].as_array().unwrap().iter().enumerate() {
        let f = case["fn"].as_str().unwrap();
        let shape: Vec<usize> = u64s(&case["shape"]).iter().map(|&d| d as usize).collect();
        manual_seed(case["seed"].as_u64().unwrap());
        let want = u64s(&case["bits"]);
        // The arguments of tools/golden/rng.py's init_cases(), in its order.
        macro_rules! go {
            ($t:ty) => {{
                let t = Tensor::<$t>::zeros(&shape);
                match i {
                    0 | 1 => init::uniform_(&t, -0.3, 0.7),
                    2..=4 => init::normal_(&t, 0.2, 1.5),
                    5 => init::xavier_uniform_(&t, 1.3),
                    6 => init::xavier_normal_(&t, 1.0),
                    7 => init::kaiming_uniform_(&t, 0.0, FanMode::FanIn, Nonlinearity::Relu),
                    8 => init::kaiming_uniform_(&t, 0.1, FanMode::FanOut, Nonlinearity::LeakyRelu),
                    9 => init::kaiming_normal_(&t, 0.0, FanMode::FanIn, Nonlinearity::Relu),
                    10 => init::kaiming_normal_(&t, 0.2, FanMode::FanOut, Nonlinearity::LeakyRelu),
                    11 => init::trunc_normal_(&t, 0.0, 0.02, -0.04, 0.04),
                    12 => init::trunc_normal_(&t, 1.0, 2.0, -1.0, 2.5),
                    13 => init::trunc_normal_(&t, 0.0, 1.0, 2.0, 3.0),
                    14 => init::orthogonal_(&t, 1.0),
                    15 => init::orthogonal_(&t, 2.0),
                    16 => init::orthogonal_(&t, 1.0),
                    _ => unreachable!(),
                }
                let after = bits(&Tensor::<f32>::rand(&[2]));
                assert_eq!(after, u64s(&case["rand_after"]), "{i} {f}: draws");
                let got = bits(&t);
                if f == "orthogonal_" {
                    // Same draws; PyTorch's QR (LAPACK, in T) differs from ours (Householder
                    // in f64) in the last bits.
                    let want: Vec<f64> = want
                        .iter()
                        .map(|&b| {
                            if case["dtype"] == "f32" {
                                f32::from_bits(b as u32) as f64
                            } else {
                                f64::from_bits(b)
                            }
                        })
                        .collect();
                    let tol = if case["dtype"] == "f32" { 1e-5 } else { 1e-12 };
                    for (g, w) in t.to_vec().iter().zip(&want) {
                        let g = *g as f64;
                        assert!(
                            (g - w).abs() <= tol * (1.0 + w.abs()),
                            "{i} {f}: {g} vs {w}"
                        );
                    }
                } else {
                    assert_eq!(got, want, "{i} {f}");
                }
            }};
        }
        if case["dtype"] == "f32" {
            go!(f32)
        } else {
            go!(f64)
        }
    }
}

#[test]
fn dropout_masks_match_pytorch() {
    let _l = lock();
    let fx = json("rng/dropout.json");
    for case in fx["cases"].as_array().unwrap() {
        let kind = case["kind"].as_str().unwrap();
        let shape: Vec<usize> = u64s(&case["shape"]).iter().map(|&d| d as usize).collect();
        let p = case["p"].as_f64().unwrap();
        macro_rules! go {
            ($t:ty, $from:expr) => {{
                let x = Tensor::<$t>::from_vec(
                    u64s(&case["x"]).into_iter().map($from).collect(),
                    &shape,
                );
                manual_seed(case["seed"].as_u64().unwrap());
                let y = match kind {
                    "dropout" => dropout(&x, p, true),
                    "module" => Dropout::new(p).forward(&x),
                    _ => tapegrad_nn::functional::dropout2d(&x, p, true),
                };
                assert_eq!(bits(&y), u64s(&case["y"]), "{kind} {shape:?} p={p}");
                assert_eq!(bits(&Tensor::<f32>::rand(&[2])), u64s(&case["rand_after"]));
            }};
        }
        if case["dtype"] == "f32" {
            go!(f32, |b: u64| f32::from_bits(b as u32))
        } else {
            go!(f64, f64::from_bits)
        }
    }
}

#[test]
fn multihead_attention_dropout_matches_pytorch() {
    let _l = lock();
    let fx = json("rng/dropout.json");
    for case in fx["mha"].as_array().unwrap() {
        let seed = case["seed"].as_u64().unwrap();
        let bf = case["batch_first"].as_bool().unwrap();
        manual_seed(seed);
        let m = MultiheadAttention::<f32>::new(8, 2, 0.3, bf);
        let x = Tensor::<f32>::randn(if bf { &[2, 5, 8] } else { &[5, 2, 8] });
        let causal = Tensor::<f32>::ones(&[5, 5]).triu(1).eq(1.0);
        manual_seed(seed + 1);
        let (y, _) = m.forward_attention(&x, &x, &x, Some(&causal), None, false);
        let after = bits(&Tensor::<f32>::rand(&[2]));
        assert_eq!(
            after,
            u64s(&case["rand_after"]),
            "mha batch_first={bf}: draws"
        );
        let want: Vec<f32> = u64s(&case["y"])
            .iter()
            .map(|&b| f32::from_bits(b as u32))
            .collect();
        for (g, w) in y.to_vec().iter().zip(&want) {
            assert!(
                (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                "mha batch_first={bf}: {g} vs {w}"
            );
        }
    }
}

#[test]
fn data_loader_orders_and_random_split_match_pytorch() {
    let _l = lock();
    let fx = json("rng/data.json");
    for case in fx["loaders"].as_array().unwrap() {
        let n = case["n"].as_u64().unwrap() as usize;
        let bs = case["batch_size"].as_u64().unwrap() as usize;
        let mode = case["mode"].as_str().unwrap();
        let x = Tensor::<i64>::arange(0, n as i64, 1);
        let ds = TensorDataset::from_tensors(x);
        manual_seed(case["seed"].as_u64().unwrap());
        let dl = DataLoader::new(&ds, bs).drop_last(case["drop_last"].as_bool().unwrap());
        let dl = match mode {
            "global" => dl.shuffled(),
            "generator" => dl.shuffle(case["generator_seed"].as_u64().unwrap()),
            _ => dl,
        };
        for (e, want) in case["epochs"].as_array().unwrap().iter().enumerate() {
            let got: Vec<u64> = dl
                .iter()
                .flat_map(|b| b.to_vec())
                .map(|v| v as u64)
                .collect();
            assert_eq!(got, u64s(want), "{mode} n={n} bs={bs} epoch {e}");
            let _ = Tensor::<f32>::rand(&[1]);
        }
        assert_eq!(
            bits(&Tensor::<f32>::rand(&[2])),
            u64s(&case["rand_after"]),
            "{mode}"
        );
    }
    for case in fx["random_split"].as_array().unwrap() {
        let lengths: Vec<usize> = u64s(&case["lengths"]).iter().map(|&d| d as usize).collect();
        let total: usize = lengths.iter().sum();
        let ds = TensorDataset::from_tensors(Tensor::<i64>::arange(0, total as i64, 1));
        let seed = case["seed"].as_u64().unwrap();
        manual_seed(seed);
        let parts = if case["mode"] == "generator" {
            random_split(&ds, &lengths, seed)
        } else {
            random_split_with(&ds, &lengths, &tapegrad_autograd::default_generator())
        };
        for (p, want) in parts.iter().zip(case["indices"].as_array().unwrap()) {
            let got: Vec<u64> = p.indices.iter().map(|&i| i as u64).collect();
            assert_eq!(got, u64s(want), "random_split {lengths:?}");
        }
    }
}

#[test]
fn lecture_net_from_the_seed_alone_has_the_golden_initial_weights() {
    let _l = lock();
    for case in CASES {
        let g = json(&format!("net/{case}.json"));
        manual_seed(g["torch_seed"].as_u64().unwrap());
        let net = MyNet::new(2, 2);
        for (name, p) in net.named_parameters() {
            let (shape, want) = nested(&g["init"][&name]);
            assert_eq!(p.shape().as_slice(), shape.as_slice(), "{case}: {name}");
            let want: Vec<u32> = want.iter().map(|&x| (x as f32).to_bits()).collect();
            let got: Vec<u32> = p.to_vec().iter().map(|x| x.to_bits()).collect();
            assert_eq!(got, want, "{case}: {name} initial bits from the seed");
        }
        let out = net.forward(&tensor_f32(&g["input"]));
        let loss = MSELoss::new().forward(&out, &tensor_f32(&g["target"]));
        let l0 = g["losses"][0].as_f64().unwrap();
        assert_close(&format!("{case}: losses[0]"), &loss, &[], &[l0]);
    }
}
