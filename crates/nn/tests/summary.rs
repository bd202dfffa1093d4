//! `summary()` prints exactly what PyTorch's `print(net)` prints.

mod common;
use common::MyNet;
use tapegrad_nn::{Flatten, LeakyReLU, Linear, LogSoftmax, Module, ReLU, Sequential, Softmax};

#[test]
fn mynet_prints_like_pytorch() {
    let net = MyNet::new(2, 2);
    let want = "\
MyNet(
  (hide1): Sequential(
    (0): Linear(in_features=2, out_features=3, bias=True)
    (1): Sigmoid()
  )
  (hide2): Sequential(
    (0): Linear(in_features=3, out_features=2, bias=True)
    (1): Sigmoid()
  )
  (hide3): Sequential(
    (0): Linear(in_features=2, out_features=12, bias=True)
    (1): Sigmoid()
  )
  (out): Sequential(
    (0): Linear(in_features=12, out_features=2, bias=True)
    (1): Sigmoid()
  )
)";
    assert_eq!(net.summary(), want);
    let as_dyn: &dyn Module = &net;
    assert_eq!(format!("{as_dyn}"), want);
}

#[test]
fn other_layers_print_like_pytorch() {
    let net: Sequential = Sequential::new()
        .add(Flatten::new())
        .add(Linear::with_bias(784, 10, false))
        .add(LeakyReLU::default())
        .add(Sequential::new().add(ReLU::new()))
        .add(Sequential::new())
        .add(Softmax::new(1))
        .add(LogSoftmax::new(-1));
    assert_eq!(
        net.summary(),
        "\
Sequential(
  (0): Flatten(start_dim=1, end_dim=-1)
  (1): Linear(in_features=784, out_features=10, bias=False)
  (2): LeakyReLU(negative_slope=0.01)
  (3): Sequential(
    (0): ReLU()
  )
  (4): Sequential()
  (5): Softmax(dim=1)
  (6): LogSoftmax(dim=-1)
)"
    );
}

/// A module whose extra_repr has several lines and also children, as in PyTorch's `__repr__`.
struct Multi {
    fc: Linear,
}
impl Module for Multi {
    fn forward(&self, x: &tapegrad_autograd::Tensor) -> tapegrad_autograd::Tensor {
        self.fc.forward(x)
    }
    fn named_children(&self) -> Vec<(String, &dyn Module)> {
        tapegrad_nn::children![self; fc]
    }
    fn extra_repr(&self) -> String {
        "alpha=1\nbeta=2".into()
    }
    fn type_name(&self) -> String {
        "mynet".into()
    }
}

#[test]
fn extra_repr_lines_come_before_children_and_type_name_overrides() {
    let m = Multi {
        fc: Linear::new(1, 1),
    };
    assert_eq!(
        m.summary(),
        "mynet(\n  alpha=1\n  beta=2\n  (fc): Linear(in_features=1, out_features=1, bias=True)\n)"
    );
}
