//! `Conv1d`, `Conv2d` and the pooling layers: PyTorch's parameter names, shapes, init bounds,
//! summaries, constructor errors, and the PyTorch golden case of `padding="same"` with an even
//! kernel (`tests/fixtures/conv/conv2d_same_even.json`) run through the layer.

use serde_json::Value;
use std::path::PathBuf;
use tapegrad_autograd::{manual_seed, BackwardOptions, Tensor};
use tapegrad_nn::{
    AdaptiveAvgPool2d, AvgPool2d, Conv1d, Conv2d, ConvOptions, ConvPadding, MaxPool1d, MaxPool2d,
    Module, Sequential,
};

mod common;
use common::f32s as flat;

// The tests share the process-wide generator: each seeds it under this lock.
static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn panic_message(f: impl FnOnce()) -> String {
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("should panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn conv2d_parameters_follow_pytorch() {
    let _g = RNG.lock().unwrap();
    manual_seed(7);
    let conv: Conv2d =
        Conv2d::with_options(8, 32, [3, 5], ConvOptions::default().groups(2).stride(2));
    let names: Vec<String> = conv
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["weight", "bias"]);
    assert_eq!(conv.weight.shape().as_slice(), &[32, 4, 3, 5]);
    assert_eq!(conv.bias.as_ref().unwrap().shape().as_slice(), &[32]);
    // fan_in = in/groups · kH · kW = 60; kaiming_uniform(a=√5) gives U(−1/√60, 1/√60).
    let bound = 1.0 / 60f64.sqrt();
    let w = conv.weight.to_vec();
    let max = w.iter().fold(0.0f64, |m, &x| m.max((x as f64).abs()));
    assert!(
        max <= bound && max > 0.95 * bound,
        "max |w| {max}, bound {bound}"
    );
    let b = conv.bias.as_ref().unwrap().to_vec();
    let maxb = b.iter().fold(0.0f64, |m, &x| m.max((x as f64).abs()));
    assert!(maxb <= bound && maxb > 0.5 * bound, "max |b| {maxb}");
    assert!(conv.weight.requires_grad() && conv.bias.as_ref().unwrap().requires_grad());
    assert_eq!(
        conv.summary(),
        "Conv2d(8, 32, kernel_size=(3, 5), stride=(2, 2), groups=2)"
    );

    let c1: Conv1d = Conv1d::with_options(4, 6, 3, ConvOptions::default().bias(false).padding(1));
    let names: Vec<String> = c1.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["weight"]);
    assert_eq!(c1.weight.shape().as_slice(), &[6, 4, 3]);
    let bound = 1.0 / 12f64.sqrt();
    assert!(c1
        .weight
        .to_vec()
        .iter()
        .all(|&x| (x as f64).abs() <= bound));
    assert_eq!(
        c1.summary(),
        "Conv1d(4, 6, kernel_size=(3,), stride=(1,), padding=(1,), bias=False)"
    );
}

#[test]
fn a_small_cnn_trains_end_to_end() {
    let _g = RNG.lock().unwrap();
    manual_seed(11);
    let net: Sequential = Sequential::new()
        .add(Conv2d::with_options(
            1,
            4,
            [3, 3],
            ConvOptions::default().padding(1),
        ))
        .add(tapegrad_nn::ReLU::new())
        .add(MaxPool2d::new(2))
        .add(Conv2d::with_options(
            4,
            4,
            [3, 3],
            ConvOptions::default().padding(ConvPadding::Same),
        ))
        .add(AdaptiveAvgPool2d::new(1))
        .add(tapegrad_nn::Flatten::new());
    let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "3.weight", "3.bias"]);
    let x = Tensor::<f32>::randn(&[2, 1, 8, 8]);
    let y = net.forward(&x);
    assert_eq!(y.shape().as_slice(), &[2, 4]);
    y.sum().backward();
    for (name, p) in net.named_parameters() {
        let g = p.grad().unwrap_or_else(|| panic!("{name} has no gradient"));
        assert_eq!(g.shape(), p.shape(), "{name}");
    }
    assert!(net.summary().contains(
        "(2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    ));
}

#[test]
fn pooling_layers_print_and_shape_like_pytorch() {
    let _g = RNG.lock().unwrap();
    let x = Tensor::<f32>::randn(&[2, 3, 9, 10]);
    let p = MaxPool2d::new([3, 2]).stride(2).padding(1).ceil_mode(true);
    assert_eq!(p.forward(&x).shape().as_slice(), &[2, 3, 5, 6]);
    let (v, i) = p.forward_with_indices(&x);
    assert_eq!(v.shape(), i.shape());
    assert_eq!(
        <MaxPool2d as Module>::summary(&p),
        "MaxPool2d(kernel_size=(3, 2), stride=2, padding=1, dilation=1, ceil_mode=True)"
    );
    let a = AvgPool2d::new(3)
        .stride(2)
        .padding(1)
        .count_include_pad(false);
    assert_eq!(a.forward(&x).shape().as_slice(), &[2, 3, 5, 5]);
    assert_eq!(
        <AvgPool2d as Module>::summary(&a),
        "AvgPool2d(kernel_size=3, stride=2, padding=1)"
    );
    let x1 = Tensor::<f32>::randn(&[2, 3, 11]);
    assert_eq!(
        MaxPool1d::new(3)
            .stride(2)
            .padding(1)
            .forward(&x1)
            .shape()
            .as_slice(),
        &[2, 3, 6]
    );
    assert_eq!(
        AdaptiveAvgPool2d::new([4, 3])
            .forward(&x)
            .shape()
            .as_slice(),
        &[2, 3, 4, 3]
    );
}

#[test]
fn constructor_errors_are_pytorchs() {
    let msg = panic_message(|| {
        let _ = Conv2d::<f32>::with_options(3, 4, [3, 3], ConvOptions::default().groups(2));
    });
    assert!(
        msg.contains("in_channels must be divisible by groups"),
        "{msg}"
    );
    let msg = panic_message(|| {
        let _ = Conv2d::<f32>::with_options(
            2,
            4,
            [3, 3],
            ConvOptions::default().stride(2).padding(ConvPadding::Same),
        );
    });
    assert!(
        msg.contains("padding='same' is not supported for strided convolutions"),
        "{msg}"
    );
    // The forward error names the weight and the input, as PyTorch's.
    let conv: Conv2d = Conv2d::with_options(1, 16, [3, 3], ConvOptions::default().padding(1));
    let msg = panic_message(|| {
        conv.forward(&Tensor::zeros(&[64, 3, 8, 8]));
    });
    assert_eq!(
        msg,
        "Given groups=1, weight of size [16, 1, 3, 3], expected input[64, 3, 8, 8] to have 1 \
         channels, but got 3 channels instead"
    );
}

fn close(what: &str, got: &Tensor<f32>, want: &Value) {
    let want = flat(want);
    assert_eq!(got.shape(), want.shape(), "{what}: shape");
    for (a, b) in got.to_vec().iter().zip(want.to_vec()) {
        assert!((a - b).abs() <= 1e-5 + 1e-4 * b.abs(), "{what}: {a} vs {b}");
    }
}

#[test]
fn padding_same_with_an_even_kernel_matches_pytorch() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/conv/conv2d_same_even.json");
    let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let inputs = case["inputs"].as_array().unwrap();
    let x = flat(&inputs[0]).requires_grad_(true);
    let conv: Conv2d = Conv2d::with_options(
        2,
        3,
        [4, 3],
        ConvOptions::default()
            .padding(ConvPadding::Same)
            .dilations([1, 2]),
    );
    tapegrad_autograd::no_grad(|| {
        conv.weight.data_mut().assign(&*flat(&inputs[1]).data());
        conv.bias
            .as_ref()
            .unwrap()
            .data_mut()
            .assign(&*flat(&inputs[2]).data());
    });
    let y = conv.forward(&x);
    close("output", &y, &case["output"]);
    y.backward_with(BackwardOptions::new().gradient(flat(&case["cotangent"])));
    close("grad x", &x.grad().unwrap(), &case["grads"]["x"]);
    close(
        "grad weight",
        &conv.weight.grad().unwrap(),
        &case["grads"]["weight"],
    );
    close(
        "grad bias",
        &conv.bias.as_ref().unwrap().grad().unwrap(),
        &case["grads"]["bias"],
    );
}
