//! The lecture network: `mynet` from the lecture's sigmoid-net page, a 2-3-2-12-2 MLP whose
//! layers are `Sequential(Linear, Sigmoid)` attributes. The one definition that the examples
//! (`sigmoid_net`, `all_optimizers`) and the tests share.
//!
//! ```python
//! class mynet(torch.nn.Module):
//!     def __init__(self, input_size, output_size):
//!         super(mynet, self).__init__()
//!         self.hide1 = torch.nn.Sequential(torch.nn.Linear(input_size, 3), torch.nn.Sigmoid())
//!         self.hide2 = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.Sigmoid())
//!         self.hide3 = torch.nn.Sequential(torch.nn.Linear(2, 12), torch.nn.Sigmoid())
//!         self.out = torch.nn.Sequential(torch.nn.Linear(12, output_size), torch.nn.Sigmoid())
//!
//!     def forward(self, input):
//!         x = self.hide1(input)
//!         x = self.hide2(x)
//!         x = self.hide3(x)
//!         pred = self.out(x)
//!         return pred
//! ```

use crate::{Linear, Module, Sequential, Sigmoid};
use tapegrad_autograd::{Element, Tensor};

/// The lecture's `mynet`: four `Sequential(Linear, Sigmoid)` blocks, 2-3-2-12-2, with PyTorch's
/// parameter names `hide1.0.weight`, `hide1.0.bias`, …, `out.0.bias`. `#[derive(Module)]`
/// registers the fields as submodules, as PyTorch's `__setattr__` does.
#[derive(Module)]
pub struct MyNet<T: Element = f32> {
    /// `Sequential(Linear(input_size, 3), Sigmoid())`.
    pub hide1: Sequential<T>,
    /// `Sequential(Linear(3, 2), Sigmoid())`.
    pub hide2: Sequential<T>,
    /// `Sequential(Linear(2, 12), Sigmoid())`.
    pub hide3: Sequential<T>,
    /// `Sequential(Linear(12, output_size), Sigmoid())`.
    pub out: Sequential<T>,
}

impl MyNet {
    /// `mynet(input_size, output_size)`: draws the initial weights from the process-wide
    /// generator (`manual_seed`) as PyTorch's default `Linear` initialisation does.
    pub fn new(input_size: usize, output_size: usize) -> Self {
        Self::of_element(input_size, output_size)
    }
}

impl<T: Element> MyNet<T> {
    /// [`MyNet::new`] in another element type (`MyNet::<f64>::of_element(2, 2)`).
    pub fn of_element(input_size: usize, output_size: usize) -> Self {
        let block = |i, o| Sequential::new().add(Linear::new(i, o)).add(Sigmoid::new());
        MyNet {
            hide1: block(input_size, 3),
            hide2: block(3, 2),
            hide3: block(2, 12),
            out: block(12, output_size),
        }
    }

    /// `hide1`, `hide2`, `hide3`, then `out`.
    pub fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let x = self.hide1.forward(input);
        let x = self.hide2.forward(&x);
        let x = self.hide3.forward(&x);
        self.out.forward(&x)
    }
}
