//! `Linear`'s default initialisation: PyTorch's kaiming_uniform(a=√5) weight and uniform bias,
//! both U(−1/√in, 1/√in), weight drawn first, reproducible from `manual_seed`.

use tapegrad_autograd::{manual_seed, Tensor};
use tapegrad_nn::init::{self, FanMode, Nonlinearity};
use tapegrad_nn::{Linear, Module};

// Tests in this file share the process-wide generator, so each one seeds it just before use
// and holds this lock while drawing.
static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn moments(v: &[f32]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n;
    let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
    (mean, var)
}

#[test]
fn weights_and_bias_are_uniform_within_one_over_sqrt_fan_in() {
    let _g = RNG.lock().unwrap();
    manual_seed(1234);
    let lin: Linear = Linear::new(1024, 256);
    let bound = 1.0 / 1024f64.sqrt();
    let w = lin.weight.to_vec();
    assert_eq!(lin.weight.shape().as_slice(), &[256, 1024]);
    assert!(w.iter().all(|&x| (x as f64).abs() <= bound));
    let max = w.iter().fold(0.0f64, |m, &x| m.max((x as f64).abs()));
    assert!(max > 0.999 * bound, "samples reach the bound: max {max}");
    let (mean, var) = moments(&w);
    let n = w.len() as f64;
    // Uniform(−b, b): mean 0 (sd of the sample mean b/√(3n)), variance b²/3 (relative sd of
    // the sample variance √(4/5)/√n ≈ 0.0017 here).
    assert!(mean.abs() < 5.0 * bound / (3.0 * n).sqrt(), "mean {mean}");
    let want = bound * bound / 3.0;
    assert!((var / want - 1.0).abs() < 0.01, "variance {var} vs {want}");

    let b = lin.bias.as_ref().unwrap().to_vec();
    assert_eq!(b.len(), 256);
    assert!(b.iter().all(|&x| (x as f64).abs() <= bound));
    let (bmean, bvar) = moments(&b);
    assert!(
        bmean.abs() < 5.0 * bound / (3.0 * 256f64).sqrt(),
        "bias mean {bmean}"
    );
    assert!(
        (bvar / want - 1.0).abs() < 0.3,
        "bias variance {bvar} vs {want}"
    );
    assert!(lin.weight.requires_grad() && lin.weight.is_leaf());
}

#[test]
fn same_seed_same_layer_and_weight_is_drawn_before_bias() {
    let _g = RNG.lock().unwrap();
    manual_seed(7);
    let a: Linear = Linear::new(5, 4);
    manual_seed(7);
    let b: Linear = Linear::new(5, 4);
    assert_eq!(a.weight.to_vec(), b.weight.to_vec());
    assert_eq!(
        a.bias.as_ref().unwrap().to_vec(),
        b.bias.as_ref().unwrap().to_vec()
    );
    let c: Linear = Linear::new(5, 4);
    assert_ne!(a.weight.to_vec(), c.weight.to_vec(), "the stream moves on");

    // The same draws, done by hand: 20 weights then 4 biases from U(−1/√5, 1/√5).
    manual_seed(7);
    let bound = 1.0 / 5f32.sqrt();
    let w = Tensor::<f32>::uniform(&[4, 5], -bound, bound).to_vec();
    let bias = Tensor::<f32>::uniform(&[4], -bound, bound).to_vec();
    for (x, y) in a.weight.to_vec().iter().zip(&w) {
        assert!((x - y).abs() <= 1e-7, "{x} vs {y}");
    }
    for (x, y) in a.bias.as_ref().unwrap().to_vec().iter().zip(&bias) {
        assert!((x - y).abs() <= 1e-7, "{x} vs {y}");
    }
}

#[test]
fn f64_layers_and_no_bias() {
    let _g = RNG.lock().unwrap();
    manual_seed(1);
    let lin = Linear::<f64>::with_bias(16, 3, false);
    assert!(lin.bias.is_none());
    assert_eq!(lin.parameters().len(), 1);
    assert!(lin.weight.to_vec().iter().all(|x| x.abs() <= 0.25));
    assert_eq!(
        Module::<f64>::extra_repr(&lin),
        "in_features=16, out_features=3, bias=False"
    );
    let y = lin.forward(&Tensor::<f64>::ones(&[2, 16]));
    let w = lin.weight.to_array();
    for j in 0..3 {
        let want: f64 = (0..16).map(|i| w[[j, i]]).sum();
        assert!((y.to_vec()[j] - want).abs() < 1e-12);
    }
}

#[test]
fn init_functions_follow_torch_formulas() {
    let _g = RNG.lock().unwrap();
    manual_seed(99);
    assert_eq!(
        init::calculate_gain(Nonlinearity::LeakyRelu, None),
        (2.0f64 / 1.0001).sqrt()
    );
    assert_eq!(init::calculate_gain(Nonlinearity::Sigmoid, None), 1.0);
    assert_eq!(init::calculate_gain(Nonlinearity::Selu, None), 0.75);

    // kaiming_uniform with relu, fan_out: bound √2·√3/√fan_out.
    let w: Tensor<f64> = Tensor::zeros(&[400, 100]);
    init::kaiming_uniform_(&w, 0.0, FanMode::FanOut, Nonlinearity::Relu);
    let bound = 2f64.sqrt() * 3f64.sqrt() / 400f64.sqrt();
    let v = w.to_vec();
    assert!(v.iter().all(|x| x.abs() <= bound));
    let var = v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
    assert!((var / (bound * bound / 3.0) - 1.0).abs() < 0.02, "{var}");

    // xavier_normal with gain 5/3: std = gain·√(2/(fan_in+fan_out)).
    let w: Tensor<f64> = Tensor::zeros(&[300, 200]);
    init::xavier_normal_(&w, 5.0 / 3.0);
    let v = w.to_vec();
    let var = v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64;
    let want = (5.0f64 / 3.0).powi(2) * 2.0 / 500.0;
    assert!((var / want - 1.0).abs() < 0.02, "{var} vs {want}");

    // normal_ mean and std, constant_.
    let t: Tensor<f64> = Tensor::zeros(&[50000]);
    init::normal_(&t, -1.0, 2.0);
    let v = t.to_vec();
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64;
    assert!(
        (mean + 1.0).abs() < 0.05 && (var / 4.0 - 1.0).abs() < 0.03,
        "{mean} {var}"
    );
    init::constant_(&t, 0.5);
    assert!(t.to_vec().iter().all(|&x| x == 0.5));

    // 4-d weights use the receptive field: [8, 4, 3, 3] has fan_in 36.
    let k: Tensor = Tensor::zeros(&[8, 4, 3, 3]);
    init::kaiming_uniform_(&k, 5f64.sqrt(), FanMode::FanIn, Nonlinearity::LeakyRelu);
    assert!(k.to_vec().iter().all(|x| x.abs() <= 1.0 / 6.0));
}

#[test]
#[should_panic(expected = "fewer than 2 dimensions")]
fn fan_of_a_vector_panics_like_torch() {
    init::xavier_uniform_(&Tensor::<f32>::zeros(&[5]), 1.0);
}
