//! `native_batch_norm` (training-mode batch normalisation as one op) and `layer_norm`: values
//! against the definition, first and second derivatives against finite differences, and the
//! parallel passes on one and two threads.

mod common;

use tapegrad_autograd::functional::{layer_norm, native_batch_norm, native_batch_norm_eval};
use tapegrad_autograd::{gradcheck, gradgradcheck, manual_seed, Tensor};

#[test]
fn normalises_each_channel_with_the_biased_variance() {
    // Channel 0 holds 1, 2, 3, 6 (two samples × two positions): mean 3, biased variance
    // (4 + 1 + 0 + 9) / 4 = 3.5; channel 1 holds 0, 0, 4, 4: mean 2, variance 4.
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 0.0, 0.0, 3.0, 6.0, 4.0, 4.0], &[2, 2, 2]);
    let w = Tensor::from_vec(vec![2.0f64, 1.0], &[2]);
    let b = Tensor::from_vec(vec![0.5f64, -1.0], &[2]);
    let eps = 0.5;
    let (y, mean, var) = native_batch_norm(&x, Some(&w), Some(&b), eps);
    assert_eq!(mean.to_vec(), [3.0, 2.0]);
    assert_eq!(var.to_vec(), [3.5, 4.0]);
    let (s0, s1) = (2.0 / 4.0f64.sqrt(), 1.0 / 4.5f64.sqrt());
    let want = [
        (1.0 - 3.0) * s0 + 0.5,
        (2.0 - 3.0) * s0 + 0.5,
        (0.0 - 2.0) * s1 - 1.0,
        (0.0 - 2.0) * s1 - 1.0,
        (3.0 - 3.0) * s0 + 0.5,
        (6.0 - 3.0) * s0 + 0.5,
        (4.0 - 2.0) * s1 - 1.0,
        (4.0 - 2.0) * s1 - 1.0,
    ];
    for (g, w) in y.to_vec().iter().zip(want) {
        assert!((g - w).abs() < 1e-14, "{g} vs {w}");
    }
}

#[test]
fn gradcheck_with_and_without_affine() {
    manual_seed(3);
    let x = Tensor::<f64>::randn(&[3, 2, 4]);
    let w = Tensor::<f64>::randn(&[2]);
    let b = Tensor::<f64>::randn(&[2]);
    let f = |t: &[Tensor<f64>]| native_batch_norm(&t[0], Some(&t[1]), Some(&t[2]), 1e-3).0;
    gradcheck(f, &[x.clone(), w.clone(), b.clone()], 1e-6, 1e-6, 1e-4).unwrap();
    gradgradcheck(f, &[x.clone(), w, b], 1e-6, 1e-5, 1e-3).unwrap();
    let plain = |t: &[Tensor<f64>]| native_batch_norm(&t[0], None, None, 1e-3).0;
    gradcheck(plain, std::slice::from_ref(&x), 1e-6, 1e-6, 1e-4).unwrap();
    gradgradcheck(plain, &[x], 1e-6, 1e-5, 1e-3).unwrap();
}

/// `(y, dx, dw, db)` of `Σ y·c` for a tensor large enough for the parallel passes.
fn large(threads: usize) -> [Vec<f32>; 4] {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(|| {
            // Inputs from a formula: the global generator is shared with concurrent tests.
            let x = common::wave(&[8, 16, 32, 32], 1)
                .float()
                .requires_grad_(true);
            let w = common::wave(&[16], 2).float().requires_grad_(true);
            let b = common::wave(&[16], 3).float().requires_grad_(true);
            let c = common::wave(&[8, 16, 32, 32], 4).float();
            let (y, _, _) = native_batch_norm(&x, Some(&w), Some(&b), 1e-5);
            (&y * &c).sum().backward();
            let g = |t: &Tensor<f32>| t.grad().expect("grad").to_vec();
            [y.to_vec(), g(&x), g(&w), g(&b)]
        })
}

#[test]
fn parallel_passes_are_bit_identical_on_one_and_two_threads() {
    assert_eq!(large(1), large(2));
}

#[test]
fn layer_norm_gradcheck_over_one_and_two_dims() {
    manual_seed(4);
    let x = Tensor::<f64>::randn(&[3, 2, 4]);
    let w = Tensor::<f64>::randn(&[2, 4]);
    let b = Tensor::<f64>::randn(&[2, 4]);
    let f = |t: &[Tensor<f64>]| layer_norm(&t[0], &[2, 4], Some(&t[1]), Some(&t[2]), 1e-3);
    gradcheck(f, &[x.clone(), w.clone(), b.clone()], 1e-6, 1e-6, 1e-4).unwrap();
    gradgradcheck(f, &[x.clone(), w, b], 1e-6, 1e-5, 1e-3).unwrap();
    let plain = |t: &[Tensor<f64>]| layer_norm(&t[0], &[4], None, None, 1e-3);
    gradcheck(plain, std::slice::from_ref(&x), 1e-6, 1e-6, 1e-4).unwrap();
    gradgradcheck(plain, &[x], 1e-6, 1e-5, 1e-3).unwrap();
}

#[test]
fn layer_norm_of_a_hand_row() {
    // Row [1, 2, 6]: mean 3, biased variance (4 + 1 + 9) / 3 = 14/3; weight [1, 2, 3], bias 1.
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 6.0], &[1, 3]);
    let w = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], &[3]);
    let b = Tensor::from_vec(vec![1.0f64; 3], &[3]);
    let y = layer_norm(&x, &[3], Some(&w), Some(&b), 0.0).to_vec();
    let s = (14.0f64 / 3.0).sqrt();
    // x̂ = [-2, -1, 3] / s, times the weight, plus 1.
    let want = [-2.0 / s + 1.0, -2.0 / s + 1.0, 9.0 / s + 1.0];
    for (g, w) in y.iter().zip(want) {
        assert!((g - w).abs() < 1e-14, "{g} vs {w}");
    }
}

#[test]
fn layer_norm_is_bit_identical_on_one_and_two_threads() {
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool")
            .install(|| {
                let x = common::wave(&[300, 256], 5).float().requires_grad_(true);
                let w = common::wave(&[256], 6).float().requires_grad_(true);
                let b = common::wave(&[256], 7).float().requires_grad_(true);
                let c = common::wave(&[300, 256], 8).float();
                let y = layer_norm(&x, &[256], Some(&w), Some(&b), 1e-5);
                (&y * &c).sum().backward();
                let g = |t: &Tensor<f32>| t.grad().expect("grad").to_vec();
                [y.to_vec(), g(&x), g(&w), g(&b)]
            })
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn a_large_mean_does_not_cancel_digits_away() {
    // f32 values 1000 + u, |u| < 1, normalised in f64 keep f32's precision; computed in f32
    // as x·scale − μ·scale, or as x − μ with μ rounded to f32 (ulp(1000) = 6e-5), they would
    // be off by up to about 1e-4.
    // (x64 is x32 widened, so that only the f32 arithmetic differs.)
    let x32 = common::wave(&[64, 2, 8], 9).add_scalar(1000.0).float();
    let x64 = x32.double();
    let (y64, _, _) = native_batch_norm(&x64, None, None, 1e-5);
    let (y32, _, _) = native_batch_norm(&x32, None, None, 1e-5);
    let l32 = layer_norm(&x32, &[8], None, None, 1e-5).double().to_vec();
    let l64 = layer_norm(&x64, &[8], None, None, 1e-5).to_vec();
    for (a, b) in y32
        .double()
        .to_vec()
        .iter()
        .zip(y64.to_vec())
        .chain(l32.iter().zip(l64))
    {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn batch_norm_blocks_many_to_a_chunk_keep_their_channels() {
    // Small blocks go to the elementwise passes many at a time (at least 1 024 elements a
    // chunk): [100, 3, 3] (blocks of 3, the channel counted across chunk boundaries that fall
    // mid-sample); a [N, C] input goes row by row, its channels zipped with their parameters
    // (whole rows a chunk: 147 rows of [300, 7], 52 of [70, 20]), and its channel sums go in
    // groups of ⌈C/8⌉ channels (one of [300, 7], three of [70, 20], the last group two).
    // Against an f64 reference of the definition, forward y = (x − μ)/√(σ² + eps)·w + b, and
    // backward with Σ y·r as the loss (r fixed): dx = w/√(σ² + eps) · (g − mean(g) −
    // x̂·mean(g·x̂)), dw = Σ g·x̂ and db = Σ g per channel, g = r.
    for shape in [vec![300usize, 7], vec![100, 3, 3], vec![70, 20]] {
        let (n, c) = (shape[0], shape[1]);
        let s: usize = shape[2..].iter().product();
        let len = n * c * s;
        let xv: Vec<f32> = (0..len)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 16.0)
            .collect();
        let rv: Vec<f32> = (0..len)
            .map(|i| ((i * 13 % 29) as f32 - 14.0) / 8.0)
            .collect();
        let wv: Vec<f32> = (0..c).map(|k| 0.5 + k as f32 * 0.25).collect();
        let bv: Vec<f32> = (0..c).map(|k| k as f32 - 1.0).collect();
        let x = Tensor::from_vec(xv.clone(), &shape).requires_grad_(true);
        let (w, b) = (
            Tensor::from_vec(wv.clone(), &[c]).requires_grad_(true),
            Tensor::from_vec(bv.clone(), &[c]).requires_grad_(true),
        );
        let (y, _, _) = native_batch_norm(&x, Some(&w), Some(&b), 1e-5);
        (&y * &Tensor::from_vec(rv.clone(), &shape))
            .sum()
            .backward();
        let ch = |i: usize| i / s % c;
        let m = (n * s) as f64;
        let mut mean = vec![0.0f64; c];
        for (i, &v) in xv.iter().enumerate() {
            mean[ch(i)] += v as f64 / m;
        }
        let mut var = vec![0.0f64; c];
        for (i, &v) in xv.iter().enumerate() {
            var[ch(i)] += (v as f64 - mean[ch(i)]).powi(2) / m;
        }
        let invstd: Vec<f64> = var.iter().map(|v| 1.0 / (v + 1e-5).sqrt()).collect();
        let xhat = |i: usize| (xv[i] as f64 - mean[ch(i)]) * invstd[ch(i)];
        let (mut mg, mut mgx) = (vec![0.0f64; c], vec![0.0f64; c]);
        for (i, &r) in rv.iter().enumerate() {
            mg[ch(i)] += r as f64 / m;
            mgx[ch(i)] += r as f64 * xhat(i) / m;
        }
        let (yv, dx) = (y.to_vec(), x.grad().unwrap().to_vec());
        for i in 0..len {
            let k = ch(i);
            let want_y = xhat(i) * wv[k] as f64 + bv[k] as f64;
            assert!(
                (yv[i] as f64 - want_y).abs() < 2e-6 * (1.0 + want_y.abs()),
                "{shape:?} y[{i}]"
            );
            let want_dx = wv[k] as f64 * invstd[k] * (rv[i] as f64 - mg[k] - xhat(i) * mgx[k]);
            assert!(
                (dx[i] as f64 - want_dx).abs() < 1e-5 * (1.0 + want_dx.abs()),
                "{shape:?} dx[{i}]"
            );
        }
        let (dw, db) = (w.grad().unwrap().to_vec(), b.grad().unwrap().to_vec());
        for k in 0..c {
            let (want_dw, want_db) = (mgx[k] * m, mg[k] * m);
            assert!(
                (dw[k] as f64 - want_dw).abs() < 1e-4 * (1.0 + want_dw.abs()),
                "{shape:?} dw[{k}]"
            );
            assert!(
                (db[k] as f64 - want_db).abs() < 1e-4 * (1.0 + want_db.abs()),
                "{shape:?} db[{k}]"
            );
        }
    }
}

/// `tests/fixtures/nn_v2/batch_norm_eval.json` (`tools/golden/batch_norm_eval.py`): PyTorch's
/// `F.batch_norm(x, mean, var, weight, bias, training=False, eps)` and the gradients of
/// Σ y·cot, for [N, C] rows, images, with and without weight and bias, in f32 and f64.
fn eval_cases() -> Vec<serde_json::Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/nn_v2/batch_norm_eval.json"
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("json");
    doc["cases"].as_array().expect("cases").clone()
}

fn golden<T: tapegrad_autograd::Element>(v: &serde_json::Value) -> Option<Tensor<T>> {
    if v.is_null() {
        return None;
    }
    let list = |v: &serde_json::Value| v.as_array().expect("list").clone();
    let shape: Vec<usize> = list(&v["shape"])
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = list(&v["data"])
        .iter()
        .map(|d| T::from_f64(d.as_f64().unwrap()))
        .collect();
    Some(Tensor::from_vec(data, &shape))
}

fn eval_case<T: tapegrad_autograd::Element>(case: &serde_json::Value) {
    let name = case["name"].as_str().unwrap();
    let get = |k: &str| golden::<T>(&case[k]);
    let x = get("x").unwrap().requires_grad_(true);
    let (mean, var) = (get("mean").unwrap(), get("var").unwrap());
    let weight = get("weight").map(|w| w.requires_grad_(true));
    let bias = get("bias").map(|b| b.requires_grad_(true));
    let eps = case["eps"].as_f64().unwrap();
    let y = native_batch_norm_eval(&x, weight.as_ref(), bias.as_ref(), &mean, &var, eps);
    // The forward is PyTorch's arithmetic (α = w/√(var + eps) in T, β = fma(−mean, α, b),
    // y = fma(x, α, β)): its values bit for bit.
    assert_eq!(y.to_vec(), get("y").unwrap().to_vec(), "{name}: y");
    (&y * &get("cot").unwrap()).sum().backward();
    let close = |what: &str, got: Vec<T>, want: Vec<T>| {
        assert_eq!(got.len(), want.len());
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            let (g, w) = (g.as_f64(), w.as_f64());
            assert!(
                (g - w).abs() <= 1e-5 * (1.0 + w.abs()),
                "{name}: {what}[{i}] {g} vs {w}"
            );
        }
    };
    close(
        "dx",
        x.grad().unwrap().to_vec(),
        get("dx").unwrap().to_vec(),
    );
    for (what, t) in [("dweight", &weight), ("dbias", &bias)] {
        match (t, get(what)) {
            (Some(t), Some(want)) => close(what, t.grad().unwrap().to_vec(), want.to_vec()),
            (None, None) => {}
            _ => panic!("{name}: {what} given on one side only"),
        }
    }
}

#[test]
fn eval_mode_is_pytorchs_arithmetic_bit_for_bit() {
    let cases = eval_cases();
    assert_eq!(cases.len(), 6);
    for case in &cases {
        match case["dtype"].as_str().unwrap() {
            "f32" => eval_case::<f32>(case),
            _ => eval_case::<f64>(case),
        }
    }
}

#[test]
fn eval_mode_gradcheck_and_constant_statistics() {
    manual_seed(5);
    let x = Tensor::<f64>::randn(&[4, 3, 2]);
    let (w, b) = (Tensor::<f64>::randn(&[3]), Tensor::<f64>::randn(&[3]));
    let mean = Tensor::<f64>::randn(&[3]);
    let var = Tensor::from_vec(vec![0.5, 1.5, 2.0], &[3]);
    let f = |t: &[Tensor<f64>]| {
        native_batch_norm_eval(&t[0], Some(&t[1]), Some(&t[2]), &mean, &var, 1e-3)
    };
    gradcheck(f, &[x.clone(), w.clone(), b.clone()], 1e-6, 1e-6, 1e-4).unwrap();
    // dx = g·w/√(var + eps) depends on w: the second derivatives are not all zero.
    gradgradcheck(f, &[x.clone(), w, b], 1e-6, 1e-5, 1e-3).unwrap();
    let rows = |t: &[Tensor<f64>]| native_batch_norm_eval(&t[0], None, None, &mean, &var, 0.0);
    gradcheck(rows, &[Tensor::<f64>::randn(&[5, 3])], 1e-6, 1e-6, 1e-4).unwrap();
    // Statistics that require a gradient are refused, as PyTorch refuses them.
    let tracked = mean.clone().requires_grad_(true);
    let msg = common::panic_message(|| {
        native_batch_norm_eval(&x, None, None, &tracked, &var, 1e-5);
    });
    assert!(
        msg.contains("not differentiable with respect to argument 'running_mean'"),
        "{msg}"
    );
}

/// A broadcast gradient (of a mean: one value at every element) is read as one row for every
/// row; a full gradient of that same value takes the row-major path: the same bits for the
/// input, the weight and the bias, in `f32` and across the parallel threshold (300 × 64).
#[test]
fn layer_norm_backward_of_a_mean_matches_a_full_gradient_bit_for_bit() {
    manual_seed(3);
    let x = Tensor::<f32>::randn(&[300, 64]);
    let (w, b) = (Tensor::<f32>::randn(&[64]), Tensor::<f32>::randn(&[64]));
    let grads = |full: bool| {
        let leaves = [&x, &w, &b].map(|t| t.detach().requires_grad_(true));
        let y = layer_norm(&leaves[0], &[64], Some(&leaves[1]), Some(&leaves[2]), 1e-5);
        if full {
            // The value the mean's backward passes down, 1/19 200 as it computes it.
            let ones = Tensor::full(&[300, 64], 1.0f32).requires_grad_(true);
            ones.mean().backward();
            let g = Tensor::full(&[300, 64], ones.grad().expect("a gradient").to_vec()[0]);
            y.backward_with(tapegrad_autograd::BackwardOptions::new().gradient(g));
        } else {
            y.mean().backward();
        }
        leaves.map(|t| {
            let g = t.grad().expect("a gradient").to_vec();
            g.into_iter().map(f32::to_bits).collect::<Vec<_>>()
        })
    };
    let (broadcast, full) = (grads(false), grads(true));
    assert!(broadcast[0].iter().filter(|&&v| v != 0).count() > 19_000);
    assert_eq!(broadcast, full);
}
