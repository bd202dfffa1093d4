//! The `Module` trait's provided behaviour: parameter handles, zero_grad, train/eval and the
//! built-in layers' forward passes.

mod common;
use common::MyNet;
use tapegrad_autograd::Tensor;
use tapegrad_nn::{
    parameters, sequential, Flatten, Identity, LeakyReLU, Linear, LogSoftmax, Module, ReLU,
    Sequential, Sigmoid, Softmax, Tanh,
};

#[test]
fn parameters_are_the_layers_own_handles() {
    let net = MyNet::new(2, 2);
    let ps = net.parameters();
    assert_eq!(ps.len(), 8);
    let own = net.hide3[0].named_own_parameters();
    assert_eq!(own[0].0, "weight");
    assert!(ps[4].same(&own[0].1) && ps[5].same(&own[1].1));
    // An in-place update through the handle (what an optimizer does) changes the model.
    let x = Tensor::from_vec(vec![0.5f32, 0.1], &[1, 2]);
    let before = net.forward(&x).to_vec();
    *ps[7].data_mut() += 10.0;
    let after = net.forward(&x).to_vec();
    assert!(after.iter().zip(&before).all(|(a, b)| a > b));
    assert_eq!(
        net.named_parameters()
            .iter()
            .map(|(_, p)| p.numel())
            .sum::<usize>(),
        9 + 8 + 36 + 26
    );
}

#[test]
fn zero_grad_sets_grads_to_none() {
    let net = MyNet::new(2, 2);
    net.forward(&Tensor::ones(&[4, 2])).sum().backward();
    assert!(net.parameters().iter().all(|p| p.grad().is_some()));
    net.zero_grad();
    assert!(net.parameters().iter().all(|p| p.grad().is_none()));
}

#[test]
fn train_and_eval_recurse() {
    let net = MyNet::new(2, 2);
    assert!(net.is_training());
    net.eval();
    assert!(!net.is_training());
    for s in [&net.hide1, &net.hide2, &net.hide3, &net.out] {
        assert!(!s.is_training() && !s[0].is_training() && !s[1].is_training());
    }
    net.hide2.train();
    assert!(net.hide2[1].is_training() && !net.hide1[0].is_training());
    net.train();
    assert!(net.out[0].is_training());
}

struct Shared {
    a: Linear,
    tied: Tensor,
}
impl Module for Shared {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.a.forward(x)
    }
    fn named_own_parameters(&self) -> Vec<(String, Tensor)> {
        parameters![self; tied]
    }
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        tapegrad_nn::children![self; a]
    }
}

#[test]
fn own_parameters_come_first_and_shared_tensors_are_listed_once() {
    let a: Linear = Linear::new(2, 2);
    let tied = a.weight.clone();
    let m = Shared { a, tied };
    let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["tied", "a.bias"]); // PyTorch's remove_duplicate=True
    assert_eq!(m.state_dict().keys(), ["tied", "a.weight", "a.bias"]);
}

#[test]
fn layer_forwards_match_hand_computation() {
    let x = Tensor::from_vec(vec![-2.0f64, -0.5, 0.0, 1.5], &[2, 2]);
    let v = x.to_vec();
    let check = |m: &dyn Module<f64>, f: &dyn Fn(f64) -> f64| {
        for (y, &xi) in m.forward(&x).to_vec().iter().zip(&v) {
            assert!(
                (y - f(xi)).abs() < 1e-12,
                "{}: {y} vs {}",
                m.type_name(),
                f(xi)
            );
        }
    };
    check(&Sigmoid::new(), &|z| 1.0 / (1.0 + (-z).exp()));
    check(&Tanh::new(), &f64::tanh);
    check(&ReLU::new(), &|z| z.max(0.0));
    check(&LeakyReLU::new(0.2), &|z| {
        if z >= 0.0 {
            z
        } else {
            0.2 * z
        }
    });
    check(&Identity::new(), &|z| z);
    let sm = Softmax::new(1).forward(&x).to_vec();
    let e = |a: f64, b: f64| (a.exp() / (a.exp() + b.exp()), b.exp() / (a.exp() + b.exp()));
    let (r0, r1) = (e(-2.0, -0.5), e(0.0, 1.5));
    for (g, w) in sm.iter().zip([r0.0, r0.1, r1.0, r1.1]) {
        assert!((g - w).abs() < 1e-12);
    }
    let lsm = LogSoftmax::new(-1).forward(&x).to_vec();
    for (g, w) in lsm.iter().zip(&sm) {
        assert!((g - w.ln()).abs() < 1e-12);
    }
    let img: Tensor = Tensor::zeros(&[2, 3, 4, 5]);
    assert_eq!(Flatten::new().forward(&img).shape().as_slice(), &[2, 60]);
    assert_eq!(
        Flatten::with_dims(1, 2).forward(&img).shape().as_slice(),
        &[2, 12, 5]
    );
    assert_eq!(
        Flatten::with_dims(-2, -1).forward(&img).shape().as_slice(),
        &[2, 3, 20]
    );
}

#[test]
fn sequential_builder_macro_and_indexing() {
    let s: Sequential = sequential![Linear::new(3, 4), ReLU::new(), Linear::new(4, 1)];
    assert_eq!(s.len(), 3);
    assert!(s.get_module(3).is_none());
    assert!(s.get::<Linear>(3).is_none());
    assert_eq!(s.get::<Linear>(2).unwrap().in_features, 4);
    assert_eq!(
        s.iter().map(|m| m.type_name()).collect::<Vec<_>>(),
        ["Linear", "ReLU", "Linear"]
    );
    let x = Tensor::from_vec(vec![1.0f32, -1.0, 2.0], &[1, 3]);
    let manual = s[2].forward(&s[1].forward(&s[0].forward(&x)));
    assert_eq!(s.forward(&x).to_vec(), manual.to_vec());
    let empty: Sequential = Sequential::new();
    assert!(empty.forward(&x).same(&x));
    // Linear keeps leading dimensions: [2, 5, 3] -> [2, 5, 1]
    assert_eq!(
        s.forward(&Tensor::zeros(&[2, 5, 3])).shape().as_slice(),
        &[2, 5, 1]
    );
}

#[test]
#[should_panic(expected = "in_features=3")]
fn linear_with_wrong_input_width_panics_with_a_message() {
    let lin: Linear = Linear::new(3, 2);
    lin.forward(&Tensor::zeros(&[4, 2]));
}

#[test]
#[should_panic(expected = "index 5 is out of range for a Sequential of 2 modules")]
fn sequential_index_out_of_range_panics_with_a_message() {
    let s: Sequential = sequential![Linear::new(1, 1), Tanh::new()];
    let _ = s[5].type_name();
}

#[test]
fn modules_are_send_and_sync() {
    fn check<M: Send + Sync>(_: &M) {}
    let net = MyNet::new(2, 2);
    check(&net);
    let handle = std::thread::spawn(move || net.forward(&Tensor::ones(&[1, 2])).numel());
    assert_eq!(handle.join().unwrap(), 2);
}

#[test]
fn linear_over_zero_in_features_returns_the_bias_as_pytorch() {
    // nn.Linear(0, 2) initialises nothing in the [2, 0] weight and a zero bias (fan_in 0 gives
    // the bound 0); on a [4, 0] input it returns the bias broadcast to [4, 2], and the weight's
    // gradient is an empty [2, 0].
    let lin = Linear::<f32>::new(0, 2);
    assert_eq!(lin.weight.shape().as_slice(), &[2, 0]);
    let bias = lin.bias.as_ref().unwrap();
    assert_eq!(bias.to_vec(), vec![0.0, 0.0]);
    tapegrad_autograd::no_grad(|| {
        bias.data_mut()
            .assign(&ndarray::arr1(&[0.5f32, -1.5]).into_dyn());
    });
    let y = lin.forward(&Tensor::zeros(&[4, 0]));
    assert_eq!(y.shape().as_slice(), &[4, 2]);
    assert_eq!(y.to_vec(), [0.5, -1.5].repeat(4));
    y.sum().backward();
    assert_eq!(lin.weight.grad().unwrap().shape().as_slice(), &[2, 0]);
    assert_eq!(bias.grad().unwrap().to_vec(), vec![4.0, 4.0]);
    // the functional form (matmul then add) agrees
    let w = Tensor::<f32>::zeros(&[2, 0]).requires_grad_(true);
    let f = tapegrad_nn::functional::linear(&Tensor::zeros(&[4, 0]), &w, Some(bias));
    assert_eq!(f.to_vec(), [0.5, -1.5].repeat(4));
    f.sum().backward();
    assert_eq!(w.grad().unwrap().shape().as_slice(), &[2, 0]);
}
