//! nn v2 layers and utilities against PyTorch's numbers (`tests/fixtures/nn_v2/`, written by
//! `tools/golden/nn_v2.py`): LayerNorm, Embedding with padding_idx, GELU (both forms) and
//! clip_grad_norm_ (p = 1, 2, inf), forward values and gradients within
//! |a - b| <= 1e-6 + 1e-5·|b|; plus ModuleList naming, Dropout's train/eval behaviour and
//! summaries as PyTorch prints them.

use serde_json::Value;
use std::path::PathBuf;
use tapegrad_autograd::{manual_seed, no_grad, Tensor};
use tapegrad_nn::utils::clip_grad_norm_;
use tapegrad_nn::{
    BatchNorm1d, BatchNorm2d, Dropout, Embedding, LayerNorm, Linear, Module, ModuleList,
    MultiheadAttention, RnnOptions, GELU, GRU, LSTM, RNN,
};

mod common;
use common::{f32s, i64s};

fn case(name: &str) -> Value {
    common::golden_case("nn_v2", name)
}

fn close(what: &str, got: &Tensor<f32>, want: &Value) {
    let want = f32s(want);
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (i, (g, w)) in got.to_vec().iter().zip(want.to_vec()).enumerate() {
        let (g, w) = (*g as f64, w as f64);
        assert!(
            (g - w).abs() <= 1e-6 + 1e-5 * w.abs(),
            "{what}[{i}]: {g} but PyTorch gives {w}"
        );
    }
}

#[test]
fn layer_norm_matches_pytorch() {
    let c = case("layer_norm");
    let ln: LayerNorm = LayerNorm::new(&[3, 4]);
    no_grad(|| {
        ln.weight
            .as_ref()
            .unwrap()
            .copy_(&f32s(&c["inputs"]["weight"]));
        ln.bias.as_ref().unwrap().copy_(&f32s(&c["inputs"]["bias"]));
    });
    let x = f32s(&c["inputs"]["x"]).requires_grad_(true);
    let y = ln.forward(&x);
    close("y", &y, &c["outputs"]["y"]);
    (&y * &f32s(&c["inputs"]["cot"])).sum().backward();
    close("grad x", &x.grad().unwrap(), &c["grads"]["x"]);
    close(
        "grad weight",
        &ln.weight.as_ref().unwrap().grad().unwrap(),
        &c["grads"]["weight"],
    );
    close(
        "grad bias",
        &ln.bias.as_ref().unwrap().grad().unwrap(),
        &c["grads"]["bias"],
    );
    let names: Vec<String> = ln.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["weight", "bias"]);
    assert_eq!(
        ln.summary(),
        "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True)"
    );
}

#[test]
fn embedding_with_padding_idx_matches_pytorch() {
    let c = case("embedding_padding");
    let emb: Embedding = Embedding::with_padding_idx(5, 3, Some(0));
    // PyTorch zeroes the padding row at init.
    assert_eq!(emb.weight.i(0).to_vec(), vec![0.0; 3]);
    no_grad(|| {
        emb.weight.copy_(&f32s(&c["inputs"]["weight"]));
    });
    let y = emb.lookup(&i64s(&c["inputs"]["index"]));
    close("y", &y, &c["outputs"]["y"]);
    (&y * &f32s(&c["inputs"]["cot"])).sum().backward();
    // Row 0 (padding) gets no gradient; row 2 sums its two uses.
    close(
        "grad weight",
        &emb.weight.grad().unwrap(),
        &c["grads"]["weight"],
    );
    assert_eq!(emb.summary(), "Embedding(5, 3, padding_idx=0)");
}

#[test]
fn gelu_matches_pytorch_both_forms() {
    let c = case("gelu");
    for (tag, m) in [("none", GELU::new()), ("tanh", GELU::tanh())] {
        let x = f32s(&c["inputs"]["x"]).requires_grad_(true);
        let y = m.forward(&x);
        close(tag, &y, &c["outputs"][tag]);
        y.sum().backward();
        close(tag, &x.grad().unwrap(), &c["grads"][tag]);
    }
}

#[test]
fn clip_grad_norm_matches_pytorch() {
    for (tag, p) in [("2", 2.0), ("inf", f64::INFINITY), ("1", 1.0)] {
        let c = case(&format!("clip_grad_norm_{tag}"));
        let ps = [
            Tensor::<f32>::zeros(&[3, 2]).requires_grad_(true),
            Tensor::zeros(&[4]).requires_grad_(true),
        ];
        ps[0].set_grad(Some(f32s(&c["inputs"]["g0"])));
        ps[1].set_grad(Some(f32s(&c["inputs"]["g1"])));
        let total = clip_grad_norm_(&ps, 1.5, p, false);
        close(&format!("total {tag}"), &total, &c["outputs"]["total"]);
        close(
            &format!("g0 {tag}"),
            &ps[0].grad().unwrap(),
            &c["grads"]["g0"],
        );
        close(
            &format!("g1 {tag}"),
            &ps[1].grad().unwrap(),
            &c["grads"]["g1"],
        );
    }
}

#[test]
fn module_list_names_children_and_gives_them_back() {
    struct Net {
        blocks: ModuleList<Linear>,
        head: Linear,
    }
    impl Module for Net {
        fn forward(&self, x: &Tensor) -> Tensor {
            let mut x = x.clone();
            for b in &self.blocks {
                x = b.forward(&x).relu();
            }
            self.head.forward(&x)
        }
        fn named_children(&self) -> Vec<(String, &dyn Module)> {
            tapegrad_nn::children![self; blocks, head]
        }
    }
    let net = Net {
        blocks: (0..2).map(|_| Linear::new(3, 3)).collect(),
        head: Linear::new(3, 1),
    };
    let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "blocks.0.weight",
            "blocks.0.bias",
            "blocks.1.weight",
            "blocks.1.bias",
            "head.weight",
            "head.bias"
        ]
    );
    assert!(net.blocks[1].weight.same(&net.named_parameters()[2].1));
    assert_eq!(
        net.forward(&Tensor::ones(&[2, 3])).shape().as_slice(),
        &[2, 1]
    );
}

#[test]
fn dropout_zeroes_and_scales_in_training_and_is_the_identity_in_eval() {
    manual_seed(7);
    let d = Dropout::new(0.2);
    let x = Tensor::<f64>::ones(&[10_000]).requires_grad_(true);
    let y = d.forward(&x);
    let v = y.to_vec();
    // Kept values are 1/(1-p) = 1.25; about 80 % are kept (binomial sd 40 around 8000).
    assert!(v.iter().all(|&e| e == 0.0 || e == 1.25));
    let kept = v.iter().filter(|&&e| e != 0.0).count();
    assert!((7800..8200).contains(&kept), "{kept}");
    // The gradient uses the same mask.
    y.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), v);
    Module::<f64>::eval(&d);
    assert_eq!(d.forward(&x).to_vec(), x.to_vec());
}

/// Runs a recurrent layer on (input, h0, c0): (output, h_n, c_n).
type RunRecurrent<'a> =
    dyn Fn(&Tensor, &Tensor, Option<&Tensor>) -> (Tensor, Tensor, Option<Tensor>) + 'a;

/// Loads a recurrent case's weights into `m` by PyTorch's names, runs `run`, and compares the
/// outputs, final states and every gradient with PyTorch's.
fn check_recurrent(name: &str, m: &dyn Module, run: &RunRecurrent) {
    let c = case(name);
    let inputs = &c["inputs"];
    let params = m.named_parameters();
    assert_eq!(
        params.len(),
        c["grads"].as_object().unwrap().len() - if inputs.get("c0").is_some() { 3 } else { 2 },
        "{name}: parameter count"
    );
    no_grad(|| {
        for (n, p) in &params {
            p.copy_(&f32s(&inputs[n.as_str()]));
        }
    });
    let x = f32s(&inputs["x"]).requires_grad_(true);
    let h0 = f32s(&inputs["h0"]).requires_grad_(true);
    let c0 = inputs.get("c0").map(|c| f32s(c).requires_grad_(true));
    let (out, h, cn) = run(&x, &h0, c0.as_ref());
    close(&format!("{name} out"), &out, &c["outputs"]["out"]);
    close(&format!("{name} h"), &h, &c["outputs"]["h"]);
    let mut total = (&out * &f32s(&inputs["cot"])).sum() + (&h * &f32s(&inputs["cot_h"])).sum();
    if let Some(cn) = &cn {
        close(&format!("{name} c"), cn, &c["outputs"]["c"]);
        total += (cn * &f32s(&inputs["cot_c"])).sum();
    }
    total.backward();
    close(
        &format!("{name} grad x"),
        &x.grad().unwrap(),
        &c["grads"]["x"],
    );
    close(
        &format!("{name} grad h0"),
        &h0.grad().unwrap(),
        &c["grads"]["h0"],
    );
    if let Some(c0) = &c0 {
        close(
            &format!("{name} grad c0"),
            &c0.grad().unwrap(),
            &c["grads"]["c0"],
        );
    }
    for (n, p) in &params {
        close(
            &format!("{name} grad {n}"),
            &p.grad().unwrap(),
            &c["grads"][n.as_str()],
        );
    }
}

#[test]
fn lstm_gru_and_rnn_match_pytorch() {
    let lstm: LSTM = LSTM::with_options(
        3,
        4,
        RnnOptions {
            num_layers: 2,
            bidirectional: true,
            batch_first: true,
            ..Default::default()
        },
    );
    assert_eq!(
        lstm.summary(),
        "LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)"
    );
    check_recurrent("lstm_2layer_bidir", &lstm, &|x, h0, c0| {
        let (o, (h, c)) = lstm.forward_with_state(x, Some((h0, c0.unwrap())));
        (o, h, Some(c))
    });
    let gru: GRU = GRU::new(3, 4);
    check_recurrent("gru_1layer", &gru, &|x, h0, _| {
        let (o, h) = gru.forward_with_state(x, Some(h0));
        (o, h, None)
    });
    let rnn: RNN = RNN::with_relu(
        2,
        3,
        RnnOptions {
            num_layers: 2,
            ..Default::default()
        },
    );
    assert_eq!(rnn.summary(), "RNN(2, 3, nonlinearity=relu, num_layers=2)");
    check_recurrent("rnn_relu_2layer", &rnn, &|x, h0, _| {
        let (o, h) = rnn.forward_with_state(x, Some(h0));
        (o, h, None)
    });
}

#[test]
fn batch_norm_matches_pytorch_in_training_and_eval_and_loads_its_state_dict() {
    for (name, bn) in [
        ("batch_norm1d", BatchNorm1d::<f32>::new_1d(3)),
        (
            "batch_norm2d",
            BatchNorm2d::<f32>::new_2d(3).with_eps_momentum(1e-5, 0.2),
        ),
    ] {
        let c = case(name);
        let (i, o, g) = (&c["inputs"], &c["outputs"], &c["grads"]);
        no_grad(|| {
            bn.weight.as_ref().unwrap().copy_(&f32s(&i["weight"]));
            bn.bias.as_ref().unwrap().copy_(&f32s(&i["bias"]));
        });
        for step in 0..2 {
            let x = f32s(&i[format!("x{step}").as_str()]).requires_grad_(true);
            bn.zero_grad();
            let y = bn.forward(&x);
            close(
                &format!("{name} y{step}"),
                &y,
                &o[format!("y{step}").as_str()],
            );
            (&y * &f32s(&i[format!("cot{step}").as_str()]))
                .sum()
                .backward();
            close(
                &format!("{name} grad x{step}"),
                &x.grad().unwrap(),
                &g[format!("x{step}").as_str()],
            );
            let (w, b) = (bn.weight.as_ref().unwrap(), bn.bias.as_ref().unwrap());
            close(
                &format!("{name} grad weight{step}"),
                &w.grad().unwrap(),
                &g[format!("weight{step}").as_str()],
            );
            close(
                &format!("{name} grad bias{step}"),
                &b.grad().unwrap(),
                &g[format!("bias{step}").as_str()],
            );
            close(
                &format!("{name} running_mean{step}"),
                &bn.running_mean,
                &o[format!("running_mean{step}").as_str()],
            );
            close(
                &format!("{name} running_var{step}"),
                &bn.running_var,
                &o[format!("running_var{step}").as_str()],
            );
        }
        bn.eval();
        close(
            &format!("{name} y_eval"),
            &bn.forward(&f32s(&i["x_eval"])),
            &o["y_eval"],
        );
        assert_eq!(bn.num_batches_tracked.item(), 2.0);
    }
    // PyTorch's own BatchNorm2d state dict (num_batches_tracked is int64 there) loads strictly.
    let bn: BatchNorm2d = BatchNorm2d::new_2d(3);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/nn_v2/bn2d.safetensors");
    bn.load(&path).unwrap();
    let c = case("batch_norm2d");
    close(
        "loaded running_var",
        &bn.running_var,
        &c["outputs"]["running_var1"],
    );
    assert_eq!(bn.num_batches_tracked.item(), 2.0);
    assert_eq!(
        bn.summary(),
        "BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)"
    );
}

#[test]
fn multihead_attention_matches_pytorch() {
    for name in ["mha_self_causal", "mha_cross"] {
        let c = case(name);
        let (i, o, g) = (&c["inputs"], &c["outputs"], &c["grads"]);
        let mha: MultiheadAttention = MultiheadAttention::new(8, 2, 0.0, name == "mha_self_causal");
        let params = mha.named_parameters();
        no_grad(|| {
            for (n, p) in &params {
                p.copy_(&f32s(&i[n.as_str()]));
            }
        });
        let q = f32s(&i["q"]).requires_grad_(true);
        let (k, v) = match name {
            "mha_cross" => (
                f32s(&i["k"]).requires_grad_(true),
                f32s(&i["v"]).requires_grad_(true),
            ),
            _ => (q.clone(), q.clone()),
        };
        let (am, kpm) = match name {
            "mha_self_causal" => (
                Some(i64s(&i["attn_mask"]).bool()),
                Some(i64s(&i["key_padding_mask"]).bool()),
            ),
            _ => (None, None),
        };
        let (y, w) = mha.forward_attention(&q, &k, &v, am.as_ref(), kpm.as_ref(), true);
        let w = w.unwrap();
        close(&format!("{name} y"), &y, &o["y"]);
        close(&format!("{name} w"), &w, &o["w"]);
        ((&y * &f32s(&i["cot"])).sum() + (&w * &f32s(&i["cot_w"])).sum()).backward();
        close(&format!("{name} grad q"), &q.grad().unwrap(), &g["q"]);
        if name == "mha_cross" {
            close(&format!("{name} grad k"), &k.grad().unwrap(), &g["k"]);
            close(&format!("{name} grad v"), &v.grad().unwrap(), &g["v"]);
        }
        for (n, p) in &params {
            close(
                &format!("{name} grad {n}"),
                &p.grad().unwrap(),
                &g[n.as_str()],
            );
        }
    }
}
