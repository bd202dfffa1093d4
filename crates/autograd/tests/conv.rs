//! Convolution and pooling: the PyTorch golden cases of `tests/fixtures/conv/` (made by
//! `tools/golden/conv.py`, format in `tools/golden/README.md`), gradchecks in f64 on small
//! random shapes, and PyTorch's error messages.
//!
//! Golden cases: inputs prepared into the same views as PyTorch's `prep`, forward values
//! (indices exactly) and the gradient of `Σ <output, cotangent>` for every input, in f32,
//! within |a − b| <= 1e-5 + 1e-4·|b|.

mod common;

use common::panic_message;
use serde_json::Value;
use std::path::PathBuf;
use tapegrad_autograd::{gradcheck, gradgradcheck, manual_seed, BackwardOptions, Tensor};

const ATOL: f64 = 1e-5;
const RTOL: f64 = 1e-4;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/conv")
}

fn shape_of(v: &Value) -> Vec<usize> {
    v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect()
}

fn data_of(v: &Value) -> Vec<f64> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_f64().unwrap())
        .collect()
}

fn tensor(v: &Value) -> Tensor<f32> {
    let data = data_of(v).into_iter().map(|x| x as f32).collect();
    Tensor::from_vec(data, &shape_of(v))
}

fn pair(v: &Value) -> [usize; 2] {
    let a = v.as_array().unwrap();
    [
        a[0].as_u64().unwrap() as usize,
        a[1].as_u64().unwrap() as usize,
    ]
}

fn int(v: &Value) -> usize {
    v.as_u64().unwrap() as usize
}

fn prep(t: &Tensor<f32>, steps: Option<&Value>) -> Tensor<f32> {
    let mut t = t.clone();
    for step in steps.and_then(Value::as_array).into_iter().flatten() {
        let s = step.as_array().unwrap();
        let arg = |i: usize| s[i].as_i64().unwrap() as isize;
        t = match s[0].as_str().unwrap() {
            "transpose" => t.transpose(arg(1), arg(2)),
            "slice" => {
                let dim = arg(1) as usize;
                let mut args = vec![tapegrad_autograd::SliceArg::from(..); t.ndim()];
                args[dim] = tapegrad_autograd::SliceArg::step(arg(2)..arg(3), arg(4) as usize);
                t.i(args)
            }
            other => panic!("unknown prep step {other}"),
        };
    }
    t
}

/// Worst `|a − b| / (ATOL + RTOL·|b|)` (≤ 1 passes) over two equally long lists.
fn worst(what: &str, got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "{what}: element count");
    got.iter()
        .zip(want)
        .map(|(a, b)| (a - b).abs() / (ATOL + RTOL * b.abs()))
        .fold(0.0, f64::max)
}

/// Runs the op of a case; returns (values, indices if the op has them).
fn run_case(case: &Value, args: &[Tensor<f32>]) -> (Tensor<f32>, Option<Tensor<i64>>) {
    let a = &case["attrs"];
    let op = case["op"].as_str().unwrap();
    let x = &args[0];
    match op {
        "conv2d" => {
            let (stride, dilation, groups) =
                (pair(&a["stride"]), pair(&a["dilation"]), int(&a["groups"]));
            let w = &args[1];
            if a["padding"] == "same" {
                // What nn::Conv2d does for padding "same": the odd part of the total padding
                // goes to the bottom/right, as PyTorch pads.
                let ws = w.shape();
                let total = [dilation[0] * (ws[2] - 1), dilation[1] * (ws[3] - 1)];
                let left = [total[0] / 2, total[1] / 2];
                let extra = [
                    (total[0] - 2 * left[0]) as isize,
                    (total[1] - 2 * left[1]) as isize,
                ];
                let xp = x.pad(&[0, extra[1], 0, extra[0]], 0.0);
                (
                    xp.conv2d(w, args.get(2), stride, left, dilation, groups),
                    None,
                )
            } else {
                let padding = pair(&a["padding"]);
                (
                    x.conv2d(w, args.get(2), stride, padding, dilation, groups),
                    None,
                )
            }
        }
        "conv1d" => (
            x.conv1d(
                &args[1],
                args.get(2),
                int(&a["stride"]),
                int(&a["padding"]),
                int(&a["dilation"]),
                int(&a["groups"]),
            ),
            None,
        ),
        "max_pool2d" => {
            let (v, i) = x.max_pool2d_with_indices(
                pair(&a["kernel_size"]),
                pair(&a["stride"]),
                pair(&a["padding"]),
                pair(&a["dilation"]),
                a["ceil_mode"].as_bool().unwrap(),
            );
            (v, Some(i))
        }
        "max_pool1d" => (
            x.max_pool1d(
                int(&a["kernel_size"]),
                int(&a["stride"]),
                int(&a["padding"]),
                int(&a["dilation"]),
                a["ceil_mode"].as_bool().unwrap(),
            ),
            None,
        ),
        "avg_pool2d" => (
            x.avg_pool2d(
                pair(&a["kernel_size"]),
                pair(&a["stride"]),
                pair(&a["padding"]),
                a["ceil_mode"].as_bool().unwrap(),
                a["count_include_pad"].as_bool().unwrap(),
            ),
            None,
        ),
        "adaptive_avg_pool2d" => (x.adaptive_avg_pool2d(pair(&a["output_size"])), None),
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn golden_cases_match_pytorch() {
    let index: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("index.json")).expect("index.json"),
    )
    .unwrap();
    let cases = index["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 12, "every committed case runs");
    let mut report = Vec::new();
    let mut overall: f64 = 0.0;
    for entry in cases {
        let file = fixtures().join(entry["file"].as_str().unwrap());
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let name = case["name"].as_str().unwrap();
        let leaves: Vec<Tensor<f32>> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| tensor(i).requires_grad_(true))
            .collect();
        let args: Vec<Tensor<f32>> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&leaves)
            .map(|(i, l)| prep(l, i.get("prep")))
            .collect();
        let (out, indices) = run_case(&case, &args);
        let want_out = case.get("output").unwrap_or_else(|| &case["outputs"][0]);
        assert_eq!(
            out.shape().as_slice(),
            shape_of(want_out),
            "{name}: output shape"
        );
        let got: Vec<f64> = out.to_vec().iter().map(|&v| v as f64).collect();
        let mut w = worst(name, &got, &data_of(want_out));
        if let Some(i) = indices {
            let want_i = &case["outputs"][1];
            assert_eq!(
                i.shape().as_slice(),
                shape_of(want_i),
                "{name}: indices shape"
            );
            let want: Vec<i64> = want_i["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap())
                .collect();
            assert_eq!(i.to_vec(), want, "{name}: indices");
        }
        let cot = tensor(&case["cotangent"]);
        out.backward_with(BackwardOptions::new().gradient(cot));
        for (spec, leaf) in case["inputs"].as_array().unwrap().iter().zip(&leaves) {
            let input = spec["name"].as_str().unwrap();
            let want = &case["grads"][input];
            let g = leaf
                .grad()
                .unwrap_or_else(|| panic!("{name}: no gradient for {input}"));
            assert_eq!(
                g.shape().as_slice(),
                shape_of(want),
                "{name}: grad {input} shape"
            );
            let got: Vec<f64> = g.to_vec().iter().map(|&v| v as f64).collect();
            w = w.max(worst(&format!("{name} grad {input}"), &got, &data_of(want)));
        }
        report.push(format!("{name}: {w:.3}"));
        overall = overall.max(w);
    }
    eprintln!("worst |a − b| / (1e-5 + 1e-4·|b|) per case: {report:?}");
    // ≤ 1 means within |a − b| <= 1e-5 + 1e-4·|b| everywhere.
    assert!(
        overall <= 1.0,
        "worst ratio to the tolerance {overall}: {report:?}"
    );
}

#[test]
fn conv2d_records_pytorch_names_and_shapes() {
    let x = Tensor::<f32>::ones(&[2, 3, 8, 8]).requires_grad_(true);
    let w = Tensor::<f32>::ones(&[16, 3, 3, 3]).requires_grad_(true);
    let y = x.conv2d(&w, None, [1, 1], [1, 1], [1, 1], 1);
    assert_eq!(y.shape().as_slice(), &[2, 16, 8, 8]);
    assert_eq!(y.grad_fn_name(), Some("ConvolutionBackward0"));
    let p = x.max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false);
    assert_eq!(p.grad_fn_name(), Some("MaxPool2DWithIndicesBackward0"));
    let a = x.avg_pool2d([2, 2], [2, 2], [0, 0], false, true);
    assert_eq!(a.grad_fn_name(), Some("AvgPool2DBackward0"));
    let a = x.adaptive_avg_pool2d([3, 3]);
    assert_eq!(a.grad_fn_name(), Some("AdaptiveAvgPool2DBackward0"));
    // Unbatched input, as PyTorch accepts.
    let y = x.i(0).conv2d(&w, None, [2, 2], [0, 0], [1, 1], 1);
    assert_eq!(y.shape().as_slice(), &[16, 3, 3]);
}

#[test]
fn conv_errors_are_pytorchs() {
    let x = Tensor::<f32>::zeros(&[64, 3, 8, 8]);
    let w = Tensor::<f32>::zeros(&[16, 1, 3, 3]);
    let msg = panic_message(|| {
        x.conv2d(&w, None, [1, 1], [1, 1], [1, 1], 1);
    });
    assert_eq!(
        msg,
        "Given groups=1, weight of size [16, 1, 3, 3], expected input[64, 3, 8, 8] to have 1 \
         channels, but got 3 channels instead"
    );
    let msg = panic_message(|| {
        x.conv2d(
            &Tensor::zeros(&[5, 1, 3, 3]),
            None,
            [1, 1],
            [1, 1],
            [1, 1],
            3,
        );
    });
    assert!(
        msg.contains("expected weight to be divisible by 3 at dimension 0"),
        "{msg}"
    );
    let msg = panic_message(|| {
        let b = Tensor::<f32>::zeros(&[8]);
        x.conv2d(
            &Tensor::zeros(&[16, 3, 3, 3]),
            Some(&b),
            [1, 1],
            [1, 1],
            [1, 1],
            1,
        );
    });
    assert!(
        msg.contains("expected bias to be 1-dimensional with 16 elements"),
        "{msg}"
    );
    let msg = panic_message(|| {
        x.conv2d(
            &Tensor::zeros(&[16, 3, 9, 9]),
            None,
            [1, 1],
            [0, 0],
            [1, 1],
            1,
        );
    });
    assert!(
        msg.contains("Kernel size can't be greater than actual input size"),
        "{msg}"
    );
    let msg = panic_message(|| {
        Tensor::<f32>::zeros(&[3, 8]).conv2d(&w, None, [1, 1], [1, 1], [1, 1], 1);
    });
    assert!(
        msg.starts_with("Expected 3D (unbatched) or 4D (batched) input to conv2d"),
        "{msg}"
    );
    let msg = panic_message(|| {
        x.max_pool2d([2, 2], [2, 2], [2, 2], [1, 1], false);
    });
    assert!(
        msg.contains("pad should be at most half of effective kernel size"),
        "{msg}"
    );
    let msg = panic_message(|| {
        Tensor::<f32>::zeros(&[1, 3, 2, 2]).max_pool2d([3, 3], [1, 1], [0, 0], [1, 1], false);
    });
    assert!(msg.contains("Output size is too small"), "{msg}");
}

fn randn(shape: &[usize]) -> Tensor<f64> {
    Tensor::<f64>::randn(shape)
}

#[test]
fn gradcheck_conv2d_and_conv1d() {
    manual_seed(3);
    let x = randn(&[2, 4, 5, 6]);
    let w = randn(&[6, 2, 2, 3]);
    let b = randn(&[6]);
    let f = |t: &[Tensor<f64>]| t[0].conv2d(&t[1], Some(&t[2]), [2, 1], [1, 2], [2, 1], 2);
    gradcheck(f, &[x.clone(), w.clone(), b.clone()], 1e-6, 1e-6, 1e-4).unwrap();
    // Second derivatives: the backward is made of differentiable ops (im2col, col2im, matmul).
    gradgradcheck(f, &[x, w, b], 1e-6, 1e-5, 1e-3).unwrap();
    let x = randn(&[2, 3, 7]);
    let w = randn(&[2, 3, 3]);
    gradcheck(
        |t| t[0].conv1d(&t[1], None, 2, 1, 2, 1),
        &[x, w],
        1e-6,
        1e-6,
        1e-4,
    )
    .unwrap();
    let x = randn(&[1, 2, 4, 5]);
    gradcheck(
        |t| {
            t[0].im2col([2, 2], [1, 2], [1, 0], [1, 1]).col2im(
                [4, 5],
                [2, 2],
                [1, 2],
                [1, 0],
                [1, 1],
            )
        },
        &[x],
        1e-6,
        1e-6,
        1e-4,
    )
    .unwrap();
    // "Same" windows, whose im2col and col2im move one contiguous run per tap.
    for (dilation, padding) in [(1, 1), (2, 2)] {
        let x = randn(&[2, 3, 5, 4]);
        let w = randn(&[4, 3, 3, 3]);
        let f =
            |t: &[Tensor<f64>]| t[0].conv2d(&t[1], None, [1, 1], [padding; 2], [dilation; 2], 1);
        gradcheck(f, &[x, w], 1e-6, 1e-6, 1e-4).unwrap();
    }
}

#[test]
fn gradcheck_pools() {
    manual_seed(4);
    // Distinct values a few eps apart would make max pooling's finite differences jump; randn
    // keeps them well separated.
    let x = randn(&[2, 2, 5, 6]);
    gradcheck(
        |t| t[0].max_pool2d([3, 2], [2, 2], [1, 1], [1, 2], true),
        std::slice::from_ref(&x),
        1e-6,
        1e-6,
        1e-4,
    )
    .unwrap();
    gradcheck(
        |t| t[0].max_pool1d(3, 2, 1, 1, true),
        &[randn(&[2, 3, 7])],
        1e-6,
        1e-6,
        1e-4,
    )
    .unwrap();
    for include in [true, false] {
        let f = move |t: &[Tensor<f64>]| t[0].avg_pool2d([3, 2], [2, 2], [1, 1], true, include);
        gradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-6, 1e-4).unwrap();
        gradgradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-5, 1e-3).unwrap();
    }
    let f = |t: &[Tensor<f64>]| t[0].adaptive_avg_pool2d([3, 4]);
    gradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-6, 1e-4).unwrap();
    gradgradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-5, 1e-3).unwrap();
}

#[test]
fn max_pool_gradient_goes_to_the_first_max() {
    let x = Tensor::from_vec(vec![2.0f32, 2.0, 1.0, 2.0], &[1, 1, 2, 2]).requires_grad_(true);
    let (v, i) = x.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false);
    assert_eq!(i.to_vec(), [0]);
    v.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), [1.0, 0.0, 0.0, 0.0]);
}

#[test]
fn max_pool_matches_the_window_definition() {
    // Against each window read tap by tap, as PyTorch's kernel reads it: taps in row-major
    // window order, those in the padding skipped; a tap wins if larger than the best so far
    // or NaN, so the first of equal maxima wins and the last NaN wins; a window of -inf
    // values points at its first tap. Values of few levels (many ties), NaNs and -infs, with
    // padding, dilation, ceil_mode (the last window partly outside) and non-square sizes.
    // `MaxPool2d(2)`'s windows take a path of their own where all are inside the input: odd
    // sizes (the last row and column unread), rows of more than 16 outputs, `ceil_mode` on
    // even sizes, and a batch large enough to be split between threads; in `f32` on AVX-512,
    // planes tiled by rows of 1, 2, 4 or 8 windows take another (here with 16 windows split
    // across planes, the last vector part full, and groups of planes, the last one partial,
    // split between threads).
    let levels = [0.0f32, 1.0, 2.0, f32::NAN, f32::NEG_INFINITY, 1.0, 0.0];
    for (shape, k, st, pad, dil, ceil) in [
        ([2usize, 3, 7, 9], [2, 2], [2, 2], [0, 0], [1, 1], false),
        ([1, 2, 6, 40], [2, 2], [2, 2], [0, 0], [1, 1], false),
        ([3, 5, 4, 4], [2, 2], [2, 2], [0, 0], [1, 1], true),
        ([5, 3, 2, 2], [2, 2], [2, 2], [0, 0], [1, 1], false),
        ([3, 2, 2, 16], [2, 2], [2, 2], [0, 0], [1, 1], false),
        ([2, 3, 16, 16], [2, 2], [2, 2], [0, 0], [1, 1], false),
        ([1, 3, 8, 8], [2, 2], [2, 2], [0, 0], [1, 1], false),
        ([3, 11, 6, 12], [2, 2], [2, 2], [0, 0], [1, 1], false),
        ([32, 16, 8, 8], [2, 2], [2, 2], [0, 0], [1, 1], false),
        ([4, 16, 32, 32], [2, 2], [2, 2], [0, 0], [1, 1], false),
        ([1, 2, 7, 9], [2, 2], [2, 2], [0, 0], [1, 1], true),
        ([1, 2, 7, 9], [3, 3], [2, 2], [1, 1], [1, 1], true),
        ([1, 2, 8, 6], [3, 2], [1, 2], [1, 1], [2, 1], false),
        ([2, 1, 5, 11], [2, 3], [3, 2], [0, 1], [1, 2], true),
    ] {
        let n: usize = shape.iter().product();
        let xv: Vec<f32> = (0..n)
            .map(|i| levels[i * 5 % 7 * (i % 3 + 1) % 7])
            .collect();
        let x = Tensor::from_vec(xv.clone(), &shape);
        let (v, idx) = x.max_pool2d_with_indices(k, st, pad, dil, ceil);
        let oshape = v.shape();
        let (oh, ow, h, w) = (oshape[2], oshape[3], shape[2], shape[3]);
        let (got_v, got_i) = (v.to_vec(), idx.to_vec());
        for plane in 0..shape[0] * shape[1] {
            let xs = &xv[plane * h * w..(plane + 1) * h * w];
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut best: Option<(f32, usize)> = None;
                    for ky in 0..k[0] {
                        for kx in 0..k[1] {
                            let iy = (oy * st[0] + ky * dil[0]) as isize - pad[0] as isize;
                            let ix = (ox * st[1] + kx * dil[1]) as isize - pad[1] as isize;
                            if iy < 0 || ix < 0 || iy >= h as isize || ix >= w as isize {
                                continue;
                            }
                            let at = iy as usize * w + ix as usize;
                            let wins = match best {
                                None => true,
                                Some((b, _)) => xs[at] > b || xs[at].is_nan(),
                            };
                            if wins {
                                best = Some((xs[at], at));
                            }
                        }
                    }
                    let (bv, bi) = best.expect("every window has a tap");
                    let o = (plane * oh + oy) * ow + ox;
                    let case = format!("{shape:?} k {k:?} at plane {plane} ({oy}, {ox})");
                    assert_eq!(got_i[o], bi as i64, "{case}");
                    assert_eq!(got_v[o].to_bits(), bv.to_bits(), "{case}");
                }
            }
        }
        // In f64 (no vector path: the scalar loops), the same values and indices.
        let x64 = Tensor::from_vec(xv.iter().map(|&v| v as f64).collect(), &shape);
        let (v64, idx64) = x64.max_pool2d_with_indices(k, st, pad, dil, ceil);
        assert_eq!(idx64.to_vec(), got_i, "{shape:?} k {k:?} in f64");
        for (a, b) in v64.to_vec().iter().zip(&got_v) {
            assert!(
                *a == *b as f64 || (a.is_nan() && b.is_nan()),
                "{shape:?} in f64"
            );
        }
    }
}

#[test]
fn conv2d_matches_direct_sum() {
    // Strided and dilated; then "same" windows (unit stride, as many output columns as input
    // columns), which im2col copies as one run per tap: 3×3 with padding 1, dilated 3×3 with
    // padding 2, and a 5×5 kernel larger than its 2×3 image (some taps read only padding).
    direct_sum_case((2, 4, 6, 5, 6, 2), (3, 2, 2, 1, 1, 2, 1, 2));
    direct_sum_case((2, 3, 5, 4, 4, 1), (3, 3, 1, 1, 1, 1, 1, 1));
    direct_sum_case((1, 2, 6, 7, 3, 1), (3, 3, 1, 1, 2, 2, 2, 2));
    direct_sum_case((2, 2, 2, 3, 2, 2), (5, 5, 1, 1, 2, 2, 1, 1));
    // Unit stride on rows wide enough to be computed as shifted products (kernels/
    // conv_shifted.rs): 3×3 "same" on 16 columns; a dilated 3×5 without row padding on 70;
    // 9 output channels (a partial tile of 8).
    direct_sum_case((2, 3, 6, 16, 9, 1), (3, 3, 1, 1, 1, 1, 1, 1));
    direct_sum_case((1, 2, 7, 70, 3, 1), (3, 5, 1, 1, 0, 2, 1, 2));
    // Rows of 32 (two f64 tiles) and 16 output channels (two tiles): the tiles are written
    // straight into the output.
    direct_sum_case((2, 8, 4, 32, 16, 1), (3, 3, 1, 1, 1, 1, 1, 1));
    // 8×8 images, too narrow for the padded grid: "same" windows of 16 products or more a
    // column take column copies (kernels/conv_shifted.rs, Layout::Columns): 3×3 on 3
    // channels into 5 (a partial tile of 8); dilated 3×3 with padding 2; 3×5 with padding
    // (0, 2) on 9 columns (45 outputs a channel: not whole tiles, so through the grid).
    direct_sum_case((3, 3, 8, 8, 5, 1), (3, 3, 1, 1, 1, 1, 1, 1));
    direct_sum_case((2, 2, 8, 8, 16, 1), (3, 3, 1, 1, 2, 2, 2, 2));
    direct_sum_case((2, 2, 7, 9, 3, 1), (3, 5, 1, 1, 0, 2, 1, 1));
    // One input channel (9 products a column): im2col, whose 64 columns a sample are whole
    // tiles, read in place by the product with the packed weight, 16 and 24 output channels
    // (tiles of 8 rows, 6 on AVX2): the product is written straight into the output, sample
    // by sample, in chunks of 8, 8 and 4 samples; then two groups of 8 channels.
    direct_sum_case((20, 1, 8, 8, 16, 1), (3, 3, 1, 1, 1, 1, 1, 1));
    direct_sum_case((20, 1, 8, 8, 24, 1), (3, 3, 1, 1, 1, 1, 1, 1));
    direct_sum_case((5, 2, 8, 8, 16, 2), (3, 3, 1, 1, 1, 1, 1, 1));
}

/// Checks conv2d of `(n, c, h, w, o, groups)` with window `(kh, kw, sh, sw, ph, pw, dh, dw)`
/// and a bias against the definition of a cross-correlation, summed directly.
fn direct_sum_case(
    (n, c, h, w, o, g): (usize, usize, usize, usize, usize, usize),
    (kh, kw, sh, sw, ph, pw, dh, dw): (usize, usize, usize, usize, usize, usize, usize, usize),
) {
    manual_seed(5);
    let x = randn(&[n, c, h, w]);
    let wt = randn(&[o, c / g, kh, kw]);
    let bias = randn(&[o]);
    let y = x.conv2d(&wt, Some(&bias), [sh, sw], [ph, pw], [dh, dw], g);
    let (xs, ws, ys, bs) = (x.to_vec(), wt.to_vec(), y.to_vec(), bias.to_vec());
    let shape = y.shape();
    let (oh, ow) = (shape[2], shape[3]);
    assert_eq!(
        (oh, ow),
        (
            (h + 2 * ph - dh * (kh - 1) - 1) / sh + 1,
            (w + 2 * pw - dw * (kw - 1) - 1) / sw + 1
        )
    );
    let (cg, og) = (c / g, o / g);
    for b in 0..n {
        for oc in 0..o {
            let grp = oc / og;
            for i in 0..oh {
                for j in 0..ow {
                    let mut acc = bs[oc];
                    for ci in 0..cg {
                        for a in 0..kh {
                            for e in 0..kw {
                                let y0 = (i * sh + a * dh) as isize - ph as isize;
                                let x0 = (j * sw + e * dw) as isize - pw as isize;
                                if y0 < 0 || x0 < 0 || y0 >= h as isize || x0 >= w as isize {
                                    continue;
                                }
                                let cin = grp * cg + ci;
                                acc += xs[((b * c + cin) * h + y0 as usize) * w + x0 as usize]
                                    * ws[((oc * cg + ci) * kh + a) * kw + e];
                            }
                        }
                    }
                    let got = ys[((b * o + oc) * oh + i) * ow + j];
                    assert!(
                        (got - acc).abs() < 1e-12 * (1.0 + acc.abs()),
                        "{got} vs {acc}"
                    );
                }
            }
        }
    }
}

/// `(y, dx, dw, db)` of `Σ y·c` for a conv2d whose batch spans several parallel chunks of the
/// kernel (5 samples of 10×20 = 200 output positions: chunks of 3 and 2), with groups, stride,
/// padding and dilation; `create_graph` selects the backward written with recorded ops.
fn chunked_conv(create_graph: bool) -> [Vec<f64>; 4] {
    // Inputs from a formula, not the global generator (which tests running at the same time
    // share), so that the two runs compared see the same values.
    let x = common::wave(&[5, 4, 12, 40], 1).requires_grad_(true);
    let w = common::wave(&[6, 2, 3, 3], 2).requires_grad_(true);
    let b = common::wave(&[6], 3).requires_grad_(true);
    let y = x.conv2d(&w, Some(&b), [1, 2], [0, 1], [1, 1], 2);
    assert_eq!(y.shape().as_slice(), &[5, 6, 10, 20]);
    let c = common::wave(&[5, 6, 10, 20], 4);
    (&y * &c)
        .sum()
        .backward_with(BackwardOptions::new().create_graph(create_graph));
    let g = |t: &Tensor<f64>| t.grad().expect("grad").to_vec();
    [y.to_vec(), g(&x), g(&w), g(&b)]
}

/// As [`chunked_conv`] for unit-stride windows on rows wide enough for shifted products:
/// `(window, padding, dilation)` on `[3, c, 5, width]` samples with `o` output channels.
fn shifted_conv(
    create_graph: bool,
    (k, p, d): ([usize; 2], [usize; 2], [usize; 2]),
    [c, width, o]: [usize; 3],
) -> [Vec<f64>; 4] {
    let shapes = ([3, c, 5, width], [o, c, k[0], k[1]]);
    unit_stride_conv(create_graph, shapes, p, d)
}

/// `(y, dx, dw, db)` of `Σ y·c` for a unit-stride conv2d of `x` `[N, C, H, W]` with `w`
/// `[O, C, kH, kW]` and a bias, inputs from a formula; `create_graph` selects the recorded
/// backward.
fn unit_stride_conv(
    create_graph: bool,
    (xs, ws): ([usize; 4], [usize; 4]),
    p: [usize; 2],
    d: [usize; 2],
) -> [Vec<f64>; 4] {
    let x = common::wave(&xs, 1).requires_grad_(true);
    let w = common::wave(&ws, 2).requires_grad_(true);
    let b = common::wave(&[ws[0]], 3).requires_grad_(true);
    let y = x.conv2d(&w, Some(&b), [1, 1], p, d, 1);
    let c = common::wave(&y.shape(), 4);
    (&y * &c)
        .sum()
        .backward_with(BackwardOptions::new().create_graph(create_graph));
    let g = |t: &Tensor<f64>| t.grad().expect("grad").to_vec();
    [y.to_vec(), g(&x), g(&w), g(&b)]
}

#[test]
fn shifted_conv_matches_recorded_backward() {
    // Forward and gradients as shifted products (kernels/conv_shifted.rs: the input gradient
    // convolves G with the flipped, transposed weight; the weight gradient multiplies the
    // sample's windows by Gᵀ) against the recorded formulas (im2col, col2im): on the padded
    // grid, 36 columns of 2 channels into 9: "same" 3×3; 3×3 without padding (the gradient's
    // padding is 2); dilated 3×3 with padding 1 of 4; 2×3 with padding larger than the window
    // (the input gradient falls back to col2im). Then tiles written straight into the output:
    // rows of 32 (two f64 tiles of 16) and 8 and 16 channels (whole tiles of 8), "same" 3×3.
    // Then rows too narrow for the grid, on column copies (Layout::Columns): "same" 3×3 on 8
    // columns (40 outputs a channel, through the grid), "same" 5×5 on 16 (80 outputs, 16
    // channels: whole tiles, written straight into the output) and dilated "same" 3×3 on 8.
    let grid = [2, 36, 9];
    for (window, sizes) in [
        (([3, 3], [1, 1], [1, 1]), grid),
        (([3, 3], [0, 0], [1, 1]), grid),
        (([3, 3], [1, 1], [2, 2]), grid),
        (([2, 3], [2, 1], [1, 1]), grid),
        (([3, 3], [1, 1], [1, 1]), [8, 32, 16]),
        (([3, 3], [1, 1], [1, 1]), [2, 8, 9]),
        (([5, 5], [2, 2], [1, 1]), [3, 16, 16]),
        (([3, 3], [2, 2], [2, 2]), [2, 8, 5]),
    ] {
        let fast = shifted_conv(false, window, sizes);
        let recorded = shifted_conv(true, window, sizes);
        for (what, (a, b)) in ["y", "dx", "dw", "db"]
            .iter()
            .zip(fast.iter().zip(&recorded))
        {
            assert_eq!(a.len(), b.len(), "{what} {window:?} {sizes:?}");
            for (q, (u, v)) in a.iter().zip(b).enumerate() {
                assert!(
                    (u - v).abs() <= 1e-10 * (1.0 + v.abs()),
                    "{what}[{q}] {window:?} {sizes:?}: {u} vs {v}"
                );
            }
        }
    }
}

#[test]
fn im2col_products_reading_rows_in_place_match_recorded_backward() {
    // Stride 2 takes im2col; 8×8 outputs make a sample's 64 columns whole tiles, so the
    // input gradient reads the rows of G in place (against the packed Wᵀ) and the weight
    // gradient the rows of the im2col matrix (against Gᵀ). 5 output channels (a partial
    // tile) and 16 (two tiles); 3×3 with padding 1 on 16×16 and without on 17×17.
    for (o, pad) in [(5, 1), (16, 1), (5, 0)] {
        let run = |create_graph: bool| {
            let side = 17 - 2 * pad;
            let x = common::wave(&[4, 3, side, side], 1).requires_grad_(true);
            let w = common::wave(&[o, 3, 3, 3], 2).requires_grad_(true);
            let b = common::wave(&[o], 3).requires_grad_(true);
            let y = x.conv2d(&w, Some(&b), [2, 2], [pad, pad], [1, 1], 1);
            assert_eq!(&y.shape()[2..], &[8, 8]);
            let c = common::wave(&y.shape(), 4);
            (&y * &c)
                .sum()
                .backward_with(BackwardOptions::new().create_graph(create_graph));
            let g = |t: &Tensor<f64>| t.grad().expect("grad").to_vec();
            [g(&x), g(&w), g(&b)]
        };
        let (fast, recorded) = (run(false), run(true));
        for (what, (a, b)) in ["dx", "dw", "db"].iter().zip(fast.iter().zip(&recorded)) {
            assert_eq!(a.len(), b.len());
            for (q, (u, v)) in a.iter().zip(b).enumerate() {
                assert!(
                    (u - v).abs() <= 1e-10 * (1.0 + v.abs()),
                    "{what}[{q}] o = {o}, padding {pad}: {u} vs {v}"
                );
            }
        }
    }
}

#[test]
fn column_copies_match_recorded_backward() {
    // "Same" 3×3 on 8×8 images (kernels/conv_shifted.rs, Layout::Columns): the forward, the
    // weight gradient and the input gradient (G convolved with the flipped, transposed weight)
    // on column copies. 3 input channels into 16 output channels (two tiles) and 5 (a partial
    // one): the input gradient's 3 rows go through the grid; 16 into 8 (LeNet's second layer
    // halved): its 16 rows are whole tiles, written straight into dx.
    for (c, o) in [(3, 16), (3, 5), (16, 8)] {
        let shapes = ([20, c, 8, 8], [o, c, 3, 3]);
        let run = |create_graph: bool| unit_stride_conv(create_graph, shapes, [1, 1], [1, 1]);
        let (fast, recorded) = (run(false), run(true));
        for (what, (a, b)) in ["y", "dx", "dw", "db"]
            .iter()
            .zip(fast.iter().zip(&recorded))
        {
            assert_eq!(a.len(), b.len());
            for (q, (u, v)) in a.iter().zip(b).enumerate() {
                assert!(
                    (u - v).abs() <= 1e-10 * (1.0 + v.abs()),
                    "{what}[{q}] c = {c}, o = {o}: {u} vs {v}"
                );
            }
        }
    }
}

#[test]
fn conv2d_slice_backward_matches_recorded_backward_across_chunks() {
    // The fast backward (kernels::conv, chunked GEMMs) against the same formulas written with
    // tensor ops (used under create_graph): equal up to summation order.
    let fast = chunked_conv(false);
    let recorded = chunked_conv(true);
    for (what, (a, b)) in ["y", "dx", "dw", "db"]
        .iter()
        .zip(fast.iter().zip(&recorded))
    {
        assert_eq!(a.len(), b.len());
        for (p, q) in a.iter().zip(b) {
            assert!(
                (p - q).abs() <= 1e-10 * (1.0 + q.abs()),
                "{what}: {p} vs {q}"
            );
        }
    }
}

#[test]
fn conv2d_is_bit_identical_on_one_and_two_threads() {
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool")
            .install(|| chunked_conv(false))
    };
    assert_eq!(run(1), run(2));
}
