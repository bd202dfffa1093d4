//! The module tree: `named_modules`/`modules`, `apply`, module-level `requires_grad_`,
//! indexing a `Sequential`/`ModuleList` by concrete type, and tied weights (one tensor held by
//! two modules), each checked against what PyTorch gives for the same model.

use tapegrad_autograd::{no_grad, Tensor};
use tapegrad_nn::{
    init, sequential, Embedding, Linear, Module, ModuleList, ReLU, Sequential, StateDict, Tanh,
};

#[derive(Module)]
struct Net {
    encoder: Sequential,
    blocks: ModuleList<Linear>,
    head: Linear,
}

impl Net {
    fn new() -> Self {
        Net {
            encoder: sequential![
                Linear::new(4, 8),
                ReLU::new(),
                sequential![Linear::new(8, 8), Tanh::new()]
            ],
            blocks: (0..2).map(|_| Linear::new(8, 8)).collect(),
            head: Linear::new(8, 2),
        }
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        let x = self
            .blocks
            .iter()
            .fold(self.encoder.forward(x), |x, b| b.forward(&x));
        self.head.forward(&x)
    }
}

#[test]
fn named_modules_are_pytorchs() {
    let net = Net::new();
    // `[n for n, _ in net.named_modules()]`
    let names: Vec<String> = net.named_modules().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "",
            "encoder",
            "encoder.0",
            "encoder.1",
            "encoder.2",
            "encoder.2.0",
            "encoder.2.1",
            "blocks",
            "blocks.0",
            "blocks.1",
            "head"
        ]
    );
    let types: Vec<String> = net.modules().iter().map(|m| m.type_name()).collect();
    assert_eq!(
        types,
        [
            "Net",
            "Sequential",
            "Linear",
            "ReLU",
            "Sequential",
            "Linear",
            "Tanh",
            "ModuleList",
            "Linear",
            "Linear",
            "Linear"
        ]
    );
    // The concrete layers are reachable from the tree.
    let linears = net
        .modules()
        .into_iter()
        .filter_map(|m| m.downcast_ref::<Linear>())
        .count();
    assert_eq!(linears, 5);
    assert!(net.modules()[2]
        .downcast_ref::<Linear>()
        .unwrap()
        .weight
        .same(&net.encoder.get::<Linear>(0).unwrap().weight));
}

#[test]
fn apply_visits_children_first_and_can_initialise() {
    let net = Net::new();
    let mut order = vec![];
    net.apply(&mut |m| {
        order.push(m.type_name());
        if let Some(lin) = m.downcast_ref::<Linear>() {
            init::constant_(&lin.weight, 0.5);
            if let Some(b) = &lin.bias {
                init::zeros_(b);
            }
        }
    });
    // PyTorch's apply: `for m in children(): m.apply(fn)`, then `fn(self)`.
    assert_eq!(
        order,
        [
            "Linear",
            "ReLU",
            "Linear",
            "Tanh",
            "Sequential",
            "Sequential",
            "Linear",
            "Linear",
            "ModuleList",
            "Linear",
            "Net"
        ]
    );
    for (name, p) in net.named_parameters() {
        let want = if name.ends_with("bias") { 0.0 } else { 0.5 };
        assert!(p.to_vec().iter().all(|&v| v == want), "{name}");
    }
}

#[test]
fn requires_grad_freezes_and_unfreezes() {
    let net = Net::new();
    net.encoder.requires_grad_(false);
    assert!(net.encoder.parameters().iter().all(|p| !p.requires_grad()));
    assert!(net.head.weight.requires_grad());
    net.forward(&Tensor::ones(&[3, 4])).sum().backward();
    for (name, p) in net.named_parameters() {
        assert_eq!(p.grad().is_some(), !name.starts_with("encoder"), "{name}");
    }
    net.requires_grad_(true);
    assert!(net.parameters().iter().all(|p| p.requires_grad()));
    net.requires_grad_(false);
    assert!(net.parameters().iter().all(|p| !p.requires_grad()));
}

#[test]
fn indexing_gives_the_concrete_layer() {
    let net = Net::new();
    let first: &Linear = net.encoder.get::<Linear>(0).unwrap();
    assert_eq!((first.in_features, first.out_features), (4, 8));
    assert!(net.encoder.get::<ReLU>(0).is_none());
    let inner: &Sequential = net.encoder.get::<Sequential>(2).unwrap();
    assert!(inner.get::<Tanh>(1).is_some());
    assert!(net.encoder.get::<Linear>(9).is_none());
    assert_eq!(net.blocks.get::<Linear>(1).unwrap().out_features, 8);
    assert!(net.blocks[1]
        .weight
        .same(&net.blocks.get::<Linear>(1).unwrap().weight));
}

/// PyTorch:
/// ```python
/// class TinyLm(nn.Module):
///     def __init__(self, vocab, dim):
///         super().__init__()
///         self.wte = nn.Embedding(vocab, dim)
///         self.lm_head = nn.Linear(dim, vocab, bias=False)
///         self.lm_head.weight = self.wte.weight  # tied
/// ```
/// `list(dict(m.named_parameters()))` is `['wte.weight']`; `list(m.state_dict())` is
/// `['wte.weight', 'lm_head.weight']`.
#[derive(Module)]
#[module(no_forward)]
struct TinyLm {
    wte: Embedding,
    lm_head: Linear,
}

impl TinyLm {
    fn new(vocab: usize, dim: usize) -> Self {
        let wte = Embedding::new(vocab, dim);
        let mut lm_head = Linear::with_bias(dim, vocab, false);
        lm_head.weight = wte.weight.clone(); // the same tensor, not a copy
        TinyLm { wte, lm_head }
    }
    fn forward(&self, ids: &Tensor<i64>) -> Tensor {
        self.lm_head.forward(&self.wte.lookup(ids))
    }
}

#[test]
fn tied_weights_are_one_parameter_with_two_names() {
    let m = TinyLm::new(7, 3);
    let names: Vec<String> = m.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["wte.weight"]);
    assert_eq!(m.parameters().len(), 1);
    assert_eq!(m.state_dict().keys(), ["wte.weight", "lm_head.weight"]);

    // Both uses add into the one gradient.
    let ids = Tensor::from_vec(vec![1i64, 4, 1], &[3]);
    m.forward(&ids).sum().backward();
    let g = m.wte.weight.grad().unwrap();
    assert!(m.lm_head.weight.grad().unwrap().to_vec() == g.to_vec());
    // An optimizer step through parameters() changes both modules' weight.
    let p = &m.parameters()[0];
    no_grad(|| {
        p.sub_(&g.mul_scalar(0.1));
    });
    assert_eq!(m.lm_head.weight.to_vec(), m.wte.weight.to_vec());

    // Loading a state dict (PyTorch's has both keys) sets both, strictly, without complaint.
    let other = TinyLm::new(7, 3);
    other.load_state_dict(&m.state_dict()).unwrap();
    assert_eq!(other.wte.weight.to_vec(), m.wte.weight.to_vec());
    assert!(other.lm_head.weight.same(&other.wte.weight));
    let mut sd: StateDict = StateDict::new();
    let w = Tensor::<f32>::ones(&[7, 3]);
    sd.insert("wte.weight", w.clone());
    sd.insert("lm_head.weight", w);
    other.load_state_dict(&sd).unwrap();
    assert_eq!(other.lm_head.weight.to_vec(), vec![1.0; 21]);
    assert_eq!(other.wte.weight.to_vec(), vec![1.0; 21]);

    // Freezing the head freezes the shared tensor, as in PyTorch.
    other.lm_head.requires_grad_(false);
    assert!(!other.wte.weight.requires_grad());
}
