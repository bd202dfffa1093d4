//! The third batch of layers against PyTorch (`tests/fixtures/layers3/`, written by
//! `tools/golden/layers3.py`): each case loads PyTorch's state dict (its init, names checked)
//! into the layer, compares the summary with PyTorch's repr, the forward values and the
//! gradients of `sum(y * cot)` for the input and every parameter within
//! |a - b| <= 1e-6 + 1e-5·|b|; plus the layers' panics and train/eval behaviour.

use serde_json::Value;
use tapegrad_autograd::{manual_seed, no_grad, Tensor};
use tapegrad_nn::{
    AdaptiveMaxPool2d, ConvOptions, ConvTranspose2d, Dropout2d, Embedding, GroupNorm, IntOrPair,
    Module, RMSNorm,
};

mod common;
use common::{f32s, i64s};

fn case(name: &str) -> Value {
    common::golden_case("layers3", name)
}

// The tests that draw from the process-wide generator seed it under this lock.
static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// The largest |a - b| / (1e-6 + 1e-5·|b|) (<= 1 passes).
fn close(what: &str, got: &Tensor<f32>, want: &Value) -> f64 {
    let want = f32s(want);
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    let mut worst = 0.0f64;
    for (i, (g, w)) in got.to_vec().iter().zip(want.to_vec()).enumerate() {
        let (g, w) = (*g as f64, w as f64);
        let r = (g - w).abs() / (1e-6 + 1e-5 * w.abs());
        assert!(r <= 1.0, "{what}[{i}]: {g} but PyTorch gives {w}");
        worst = worst.max(r);
    }
    worst
}

/// Loads the case's state dict into `m` (the names must be PyTorch's), checks the summary,
/// runs `forward`, backpropagates `sum(y * cot)` and compares everything; returns the output.
fn check(name: &str, m: &dyn Module, forward: impl Fn(&Tensor) -> Tensor) -> Tensor {
    let c = case(name);
    assert_eq!(
        m.summary(),
        c["module"].as_str().unwrap(),
        "{name}: summary"
    );
    let state = c["state"].as_object().unwrap();
    let params = m.named_parameters();
    let mut names: Vec<&String> = params.iter().map(|(n, _)| n).collect();
    names.sort();
    let mut want: Vec<&String> = state.keys().collect();
    want.sort();
    assert_eq!(names, want, "{name}: parameter names");
    no_grad(|| {
        for (n, p) in &params {
            p.copy_(&f32s(&state[n]));
        }
    });
    let x = f32s(&c["inputs"]["x"]).requires_grad_(true);
    let y = forward(&x);
    let mut worst = close(&format!("{name}: y"), &y, &c["outputs"]["y"]);
    (&y * &f32s(&c["inputs"]["cot"])).sum().backward();
    worst = worst.max(close(
        &format!("{name}: x.grad"),
        &x.grad().unwrap(),
        &c["grads"]["x"],
    ));
    for (n, p) in &params {
        worst = worst.max(close(
            &format!("{name}: {n}.grad"),
            &p.grad().unwrap(),
            &c["grads"][n],
        ));
    }
    eprintln!("{name}: worst error {worst:.3} of the tolerance");
    y
}

fn panic_message(f: impl FnOnce()) -> String {
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("should panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn group_norm_matches_pytorch() {
    // Draws from the global generator, which `dropout2d_zeroes_whole_channels` seeds twice.
    let _g = RNG.lock().unwrap_or_else(|e| e.into_inner());
    let gn: GroupNorm = GroupNorm::new(2, 6);
    check("group_norm", &gn, |x| gn.forward(x));
    let gn: GroupNorm = GroupNorm::with_options(3, 6, 1e-3, false);
    assert!(gn.named_parameters().is_empty());
    check("group_norm_no_affine", &gn, |x| gn.forward(x));
    let gn: GroupNorm = GroupNorm::new(1, 3).bias(false);
    check("group_norm_no_bias", &gn, |x| gn.forward(x));
    let gn: GroupNorm = GroupNorm::new(4, 4);
    check("group_norm_instance", &gn, |x| gn.forward(x));
    // The same in eval mode (no running statistics).
    let x = Tensor::<f32>::randn(&[2, 4, 3]);
    let train = gn.forward(&x).to_vec();
    gn.eval();
    assert_eq!(gn.forward(&x).to_vec(), train);
}

#[test]
fn rms_norm_matches_pytorch() {
    let n: RMSNorm = RMSNorm::new(&[3, 4]);
    check("rms_norm", &n, |x| n.forward(x));
    let n: RMSNorm = RMSNorm::with_options(&[5], Some(1e-2), true);
    check("rms_norm_eps", &n, |x| n.forward(x));
    let n: RMSNorm = RMSNorm::with_options(&[4], None, false);
    check("rms_norm_no_affine", &n, |x| n.forward(x));
}

#[test]
fn norms_panic_as_pytorch() {
    let msg = panic_message(|| {
        let _: GroupNorm = GroupNorm::new(4, 6);
    });
    assert!(
        msg.contains("num_channels must be divisible by num_groups"),
        "{msg}"
    );
    let gn: GroupNorm = GroupNorm::new(2, 6);
    let msg = panic_message(|| {
        gn.forward(&Tensor::zeros(&[2, 4, 3]));
    });
    assert!(
        msg.contains("GroupNorm") && msg.contains("[2, 4, 3]") && msg.contains("6"),
        "{msg}"
    );
    let msg = panic_message(|| {
        tapegrad_nn::functional::group_norm(&Tensor::<f32>::zeros(&[2, 5, 3]), 2, None, None, 1e-5);
    });
    assert!(
        msg.contains(
            "Expected number of channels in input to be divisible by num_groups, but got input \
             of shape [2, 5, 3] and num_groups=2"
        ),
        "{msg}"
    );
    let n: RMSNorm = RMSNorm::new(&[3, 4]);
    let msg = panic_message(|| {
        n.forward(&Tensor::zeros(&[2, 4, 3]));
    });
    assert!(
        msg.contains("normalized_shape=[3, 4]")
            && msg.contains("[*, 3, 4]")
            && msg.contains("[2, 4, 3]"),
        "{msg}"
    );
}

#[test]
fn dropout2d_zeroes_whole_channels() {
    let _g = RNG.lock().unwrap_or_else(|e| e.into_inner());
    let d = Dropout2d::new(0.3);
    let x = (Tensor::<f32>::rand(&[40, 50, 3, 2]) + 1.0).requires_grad_(true);
    manual_seed(5);
    let y = d.forward(&x);
    // Seeded: the same mask again.
    manual_seed(5);
    assert_eq!(d.forward(&x).to_vec(), y.to_vec());
    let (xv, yv) = (x.to_vec(), y.to_vec());
    let mut dropped = 0;
    for (xc, yc) in xv.chunks(6).zip(yv.chunks(6)) {
        if yc.iter().all(|&v| v == 0.0) {
            dropped += 1;
        } else {
            for (a, b) in xc.iter().zip(yc) {
                assert!((b - a / 0.7).abs() <= 1e-6 * b.abs(), "{b} != {a} / 0.7");
            }
        }
    }
    // 2000 channels, p = 0.3: 600 ± 20.5 (1σ); allow 5σ.
    assert!((500..700).contains(&dropped), "{dropped} channels dropped");
    // Backward: the same mask and scale.
    y.sum().backward();
    let g = x.grad().unwrap().to_vec();
    for (gc, yc) in g.chunks(6).zip(yv.chunks(6)) {
        let want = if yc[0] == 0.0 { 0.0 } else { 1.0 / 0.7 };
        assert!(gc.iter().all(|&v| (v - want).abs() < 1e-6));
    }
    // [N, C, L] inputs are channel-wise too; eval is the identity.
    let x3 = Tensor::<f32>::ones(&[4, 6, 5]);
    let y3 = d.forward(&x3).to_vec();
    assert!(y3.chunks(5).all(|c| c.iter().all(|&v| v == c[0])));
    Module::<f32>::eval(&d);
    assert_eq!(d.forward(&x).to_vec(), xv);
    Module::<f32>::train(&d);
    assert_eq!(
        Module::<f32>::forward(&Dropout2d::new(1.0), &x3).to_vec(),
        vec![0.0; 120]
    );
    let msg = panic_message(|| {
        let _ = Dropout2d::new(1.5);
    });
    assert!(msg.contains("dropout probability has to be between 0 and 1, but got 1.5"));
    let msg = panic_message(|| {
        d.forward(&Tensor::<f32>::ones(&[4, 6]));
    });
    assert!(msg.contains("[4, 6]"), "{msg}");
}

#[test]
fn conv_transpose2d_matches_pytorch() {
    let _g = RNG.lock().unwrap_or_else(|e| e.into_inner());
    let m: ConvTranspose2d = ConvTranspose2d::new(3, 2, [3, 3]);
    let y = check("conv_transpose2d_default", &m, |x| m.forward(x));
    assert_eq!(y.shape().as_slice(), &[2, 2, 6, 7]);
    let m: ConvTranspose2d = ConvTranspose2d::with_options(
        4,
        6,
        [3, 2],
        ConvOptions::default()
            .strides([2, 3])
            .padding([1, 0])
            .groups(2)
            .dilations([1, 2]),
    )
    .with_output_padding([1, 2]);
    check("conv_transpose2d_all", &m, |x| m.forward(x));
    let m: ConvTranspose2d =
        ConvTranspose2d::with_options(2, 3, [2, 2], ConvOptions::default().stride(2).bias(false));
    check("conv_transpose2d_nobias", &m, |x| m.forward(x));
    let m: ConvTranspose2d =
        ConvTranspose2d::with_options(3, 4, [3, 3], ConvOptions::default().padding(2).dilation(2));
    check("conv_transpose2d_dilated", &m, |x| m.forward(x));
    // Unbatched input.
    let x = Tensor::<f32>::randn(&[3, 5, 4]);
    assert_eq!(
        m.forward(&x).to_vec(),
        m.forward(&x.unsqueeze(0)).squeeze(0).to_vec()
    );
}

#[test]
fn conv_transpose2d_init_and_errors_follow_pytorch() {
    let _g = RNG.lock().unwrap_or_else(|e| e.into_inner());
    manual_seed(3);
    let m: ConvTranspose2d =
        ConvTranspose2d::with_options(8, 6, [3, 5], ConvOptions::default().groups(2));
    assert_eq!(m.weight.shape().as_slice(), &[8, 3, 3, 5]);
    // fan_in = weight.size(1)·kH·kW = 45 (PyTorch's rule on the transposed layout).
    let bound = 1.0 / 45f64.sqrt();
    let max = m
        .weight
        .to_vec()
        .iter()
        .fold(0.0f64, |a, &v| a.max((v as f64).abs()));
    assert!(max <= bound && max > 0.95 * bound, "{max} vs {bound}");
    let b = m.bias.as_ref().unwrap().to_vec();
    assert!(b.iter().all(|&v| (v as f64).abs() <= bound));
    let msg = panic_message(|| {
        m.forward(&Tensor::zeros(&[2, 5, 3, 4]));
    });
    assert_eq!(
        msg,
        "Given transposed=1, weight of size [8, 3, 3, 5], expected input[2, 5, 3, 4] to have 8 \
         channels, but got 5 channels instead"
    );
    let msg = panic_message(|| {
        let _: ConvTranspose2d = ConvTranspose2d::new(3, 2, [3, 3]).with_output_padding([1, 0]);
    });
    assert!(
        msg.contains("output padding must be smaller than either stride or dilation"),
        "{msg}"
    );
    let msg = panic_message(|| {
        let _: ConvTranspose2d =
            ConvTranspose2d::with_options(3, 4, [3, 3], ConvOptions::default().groups(2));
    });
    assert!(
        msg.contains("in_channels must be divisible by groups"),
        "{msg}"
    );
}

#[test]
fn adaptive_max_pool2d_matches_pytorch() {
    // Draws from the global generator, which `dropout2d_zeroes_whole_channels` seeds twice.
    let _g = RNG.lock().unwrap_or_else(|e| e.into_inner());
    for (name, size) in [
        ("adaptive_max_pool2d", IntOrPair::Two([3, 2])),
        ("adaptive_max_pool2d_up", IntOrPair::One(4)),
    ] {
        let pool = AdaptiveMaxPool2d::new(size);
        let c = case(name);
        let (_, idx) = pool.forward_with_indices(&f32s(&c["inputs"]["x"]));
        assert_eq!(
            idx.to_vec(),
            i64s(&c["outputs"]["indices"]).to_vec(),
            "{name}: indices"
        );
        assert_eq!(idx.shape(), i64s(&c["outputs"]["indices"]).shape());
        check(name, &pool, |x| pool.forward(x));
    }
    // Unbatched [C, H, W], and PyTorch's messages.
    let pool = AdaptiveMaxPool2d::new(2);
    let x = Tensor::<f32>::randn(&[3, 5, 5]);
    assert_eq!(
        Module::<f32>::forward(&pool, &x).to_vec(),
        Module::<f32>::forward(&pool, &x.unsqueeze(0)).to_vec()
    );
    let msg = panic_message(|| {
        Module::<f32>::forward(&pool, &Tensor::zeros(&[5, 5]));
    });
    assert!(
        msg.contains("Expected 3D or 4D tensor, but got: [5, 5]"),
        "{msg}"
    );
}

#[test]
fn embedding_max_norm_and_from_pretrained_match_pytorch() {
    let c = case("embedding_max_norm");
    let w0 = f32s(&c["state"]["weight"]);
    let emb = Embedding::from_pretrained(w0.copy(), false).max_norm(1.0, 2.0);
    assert_eq!(Module::<f32>::summary(&emb), c["module"].as_str().unwrap());
    let idx = i64s(&c["inputs"]["index"]);
    let y = emb.lookup(&idx);
    close("y", &y, &c["outputs"]["y"]);
    close("weight after", &emb.weight, &c["outputs"]["weight_after"]);
    (&y * &f32s(&c["inputs"]["cot"])).sum().backward();
    close(
        "weight.grad",
        &emb.weight.grad().unwrap(),
        &c["grads"]["weight"],
    );
    // Rows not looked up keep their values (row 3 and 5 here).
    for r in [3, 5] {
        assert_eq!(emb.weight.i(r).to_vec(), w0.i(r).to_vec());
    }
    // from_pretrained: frozen by default as PyTorch's freeze=True, values shared.
    let frozen: Embedding = Embedding::from_pretrained(w0.clone(), true);
    assert!(!frozen.weight.requires_grad());
    assert!(Module::<f32>::parameters(&frozen)
        .iter()
        .all(|p| !p.requires_grad()));
    assert_eq!(frozen.lookup(&idx).to_vec()[..3], w0.i(1).to_vec()[..]);
    let msg = panic_message(|| {
        let _ = Embedding::from_pretrained(Tensor::<f32>::zeros(&[3]), true);
    });
    assert!(
        msg.contains("Embeddings parameter is expected to be 2-dimensional"),
        "{msg}"
    );
}

#[test]
fn composed_ops_pass_gradcheck_and_gradgradcheck_in_f64() {
    use tapegrad_autograd::{gradcheck, gradgradcheck};
    use tapegrad_nn::functional::{conv_transpose2d, group_norm, rms_norm};
    let _g = RNG.lock().unwrap_or_else(|e| e.into_inner());
    manual_seed(21);
    let x = Tensor::<f64>::randn(&[1, 4, 3, 2]).requires_grad_(true);
    let w = Tensor::<f64>::randn(&[4, 1, 2, 3]).requires_grad_(true);
    let b = Tensor::<f64>::randn(&[2]).requires_grad_(true);
    let ct = |t: &[Tensor<f64>]| {
        conv_transpose2d(&t[0], &t[1], Some(&t[2]), [2, 1], [1, 1], [1, 0], 2, [1, 2])
    };
    gradcheck(ct, &[x.clone(), w.clone(), b.clone()], 1e-6, 1e-7, 1e-5).unwrap();
    gradgradcheck(ct, &[x, w, b], 1e-6, 1e-6, 1e-4).unwrap();
    let x = Tensor::<f64>::randn(&[2, 4, 3]).requires_grad_(true);
    let gw = Tensor::<f64>::randn(&[4]).requires_grad_(true);
    let gb = Tensor::<f64>::randn(&[4]).requires_grad_(true);
    let gn = |t: &[Tensor<f64>]| group_norm(&t[0], 2, Some(&t[1]), Some(&t[2]), 1e-5);
    gradcheck(gn, &[x.clone(), gw.clone(), gb], 1e-6, 1e-7, 1e-5).unwrap();
    let rn = |t: &[Tensor<f64>]| rms_norm(&t[0], &[3], None, None);
    gradcheck(rn, &[x], 1e-6, 1e-7, 1e-5).unwrap();
}
