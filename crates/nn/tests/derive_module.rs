//! `#[derive(Module)]` and non-persistent buffers: a small CNN-like custom module whose
//! `named_parameters`, `named_buffers` and `state_dict` keys are PyTorch's for the same class.

mod common;
use tapegrad_autograd::{Element, Tensor};
use tapegrad_nn::{
    sequential, Conv2d, Flatten, Linear, MaxPool2d, Module, ModuleList, ReLU, Sequential, StateDict,
};

/// PyTorch:
/// ```python
/// class SmallCnn(nn.Module):
///     def __init__(self):
///         super().__init__()
///         self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
///         self.flatten = nn.Flatten()
///         self.classifier = nn.Linear(4 * 2 * 2, 3)
///         self.temperature = nn.Parameter(torch.ones(1))
///         self.register_buffer("mean", torch.zeros(1))
///         self.register_buffer("pos", torch.arange(16.), persistent=False)
///         self.n_classes = 3
/// ```
#[derive(Module)]
struct SmallCnn {
    features: Sequential,
    flatten: Flatten,
    classifier: Linear,
    #[module(param)]
    temperature: Tensor,
    #[module(buffer)]
    mean: Tensor,
    #[module(buffer, persistent = false)]
    pos: Tensor,
    #[module(skip)]
    n_classes: usize,
}

impl SmallCnn {
    fn new() -> Self {
        SmallCnn {
            features: sequential![
                Conv2d::with_options(1, 4, [3, 3], tapegrad_nn::ConvOptions::default().padding(1)),
                ReLU::new(),
                MaxPool2d::new(2)
            ],
            flatten: Flatten::new(),
            classifier: Linear::new(16, 3),
            temperature: Tensor::ones(&[1]).requires_grad_(true),
            mean: Tensor::zeros(&[1]),
            pos: Tensor::arange(0.0, 16.0, 1.0),
            n_classes: 3,
        }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let x = self.features.forward(&(x - &self.mean));
        let x = self.flatten.forward(&x) + &self.pos * 0.0f32;
        self.classifier.forward(&x) / &self.temperature
    }
}

fn names(v: Vec<(String, Tensor)>) -> Vec<String> {
    v.into_iter().map(|(n, _)| n).collect()
}

#[test]
fn derived_names_are_pytorchs() {
    let net = SmallCnn::new();
    // `[n for n, _ in SmallCnn().named_parameters()]`
    assert_eq!(
        names(net.named_parameters()),
        [
            "temperature",
            "features.0.weight",
            "features.0.bias",
            "classifier.weight",
            "classifier.bias"
        ]
    );
    // `[n for n, _ in SmallCnn().named_buffers()]`
    assert_eq!(names(net.named_buffers()), ["mean", "pos"]);
    // `list(SmallCnn().state_dict())`: no "pos" (persistent=False)
    assert_eq!(
        net.state_dict().keys(),
        [
            "temperature",
            "mean",
            "features.0.weight",
            "features.0.bias",
            "classifier.weight",
            "classifier.bias"
        ]
    );
    let children: Vec<String> = net.named_children().into_iter().map(|(n, _)| n).collect();
    assert_eq!(children, ["features", "flatten", "classifier"]);
    assert_eq!(net.n_classes, 3);
    assert_eq!(
        net.summary(),
        "SmallCnn(\n  (features): Sequential(\n    (0): Conv2d(1, 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n    \
         (1): ReLU()\n    (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n  )\n  \
         (flatten): Flatten(start_dim=1, end_dim=-1)\n  (classifier): Linear(in_features=16, out_features=3, bias=True)\n)"
    );
}

#[test]
fn derived_module_trains_saves_and_loads() {
    let net = SmallCnn::new();
    let x: Tensor = Tensor::randn(&[2, 1, 4, 4]);
    assert_eq!(net.forward(&x).shape().as_slice(), &[2, 3]);
    // As a `dyn Module` (through the generated Module::forward) it gives the same result.
    let as_dyn: &dyn Module = &net;
    assert_eq!(as_dyn.forward(&x).to_vec(), net.forward(&x).to_vec());
    net.forward(&x).sum().backward();
    assert!(net.parameters().iter().all(|p| p.grad().is_some()));
    net.zero_grad();

    // The state dict round-trips; the non-persistent buffer is neither expected nor accepted.
    let other = SmallCnn::new();
    other.pos.fill_(5.0);
    other.load_state_dict(&net.state_dict()).unwrap();
    assert_eq!(
        other.classifier.weight.to_vec(),
        net.classifier.weight.to_vec()
    );
    assert_eq!(other.pos.to_vec(), vec![5.0; 16]);
    let mut with_pos = net.state_dict();
    with_pos.insert("pos", Tensor::zeros(&[16]));
    let err = other.load_state_dict(&with_pos).unwrap_err();
    assert_eq!(err.unexpected_keys, ["pos"]);
    let mut missing_mean: StateDict = net.state_dict();
    missing_mean.remove("mean");
    assert_eq!(
        other
            .load_state_dict(&missing_mean)
            .unwrap_err()
            .missing_keys,
        ["mean"]
    );

    // eval()/train() reach the children.
    net.eval();
    assert!(!net.features[0].is_training() && !net.classifier.is_training());
    net.train();
    assert!(net.features[2].is_training());
}

/// Option, Vec and ModuleList fields, a tuple struct, an `Option<Tensor>` parameter and a
/// `Vec<Tensor>` (ParameterList) parameter; generic element type.
#[derive(Module)]
struct Blocks<T: Element> {
    blocks: ModuleList<Linear<T>, T>,
    extra: Vec<Linear<T>>,
    maybe: Option<Linear<T>>,
    absent: Option<Linear<T>>,
    #[module(param)]
    bias: Option<Tensor<T>>,
    #[module(param)]
    gains: Vec<Tensor<T>>,
}

impl<T: Element> Blocks<T> {
    fn forward(&self, x: &Tensor<T>) -> Tensor<T> {
        self.blocks.iter().fold(x.clone(), |x, b| b.forward(&x))
    }
}

#[derive(Module)]
#[module(name = "Pair")]
struct Pair(Linear, #[module(skip)] f32, ReLU);

impl Pair {
    fn forward(&self, x: &Tensor) -> Tensor {
        self.2.forward(&self.0.forward(x)) * self.1
    }
}

#[test]
fn containers_options_and_tuple_structs() {
    let b: Blocks<f64> = Blocks {
        blocks: (0..2).map(|_| Linear::new(2, 2)).collect(),
        extra: vec![Linear::with_bias(2, 1, false)],
        maybe: Some(Linear::with_bias(1, 1, false)),
        absent: None,
        bias: Some(Tensor::zeros(&[2]).requires_grad_(true)),
        gains: vec![Tensor::ones(&[1]), Tensor::ones(&[2])],
    };
    assert_eq!(
        b.state_dict().keys(),
        [
            "bias",
            "gains.0",
            "gains.1",
            "blocks.0.weight",
            "blocks.0.bias",
            "blocks.1.weight",
            "blocks.1.bias",
            "extra.0.weight",
            "maybe.weight"
        ]
    );
    assert_eq!(
        b.forward(&Tensor::ones(&[1, 2])).shape().as_slice(),
        &[1, 2]
    );
    let p = Pair(Linear::new(2, 3), 2.0, ReLU::new());
    assert_eq!(p.state_dict().keys(), ["0.weight", "0.bias"]);
    assert_eq!(p.type_name(), "Pair");
    assert!(p.summary().contains("(2): ReLU()"));
    let s: Sequential = sequential![Pair(Linear::new(2, 3), 1.0, ReLU::new())];
    assert_eq!(
        s.forward(&Tensor::ones(&[4, 2])).shape().as_slice(),
        &[4, 3]
    );
}

#[test]
fn the_lecture_net_is_derived() {
    // tests/common's MyNet uses #[derive(Module)]: same names as the hand-written version.
    let net = common::MyNet::new(2, 2);
    assert_eq!(
        names(net.named_parameters()),
        [
            "hide1.0.weight",
            "hide1.0.bias",
            "hide2.0.weight",
            "hide2.0.bias",
            "hide3.0.weight",
            "hide3.0.bias",
            "out.0.weight",
            "out.0.bias"
        ]
    );
}
