//! Issue 13's long-run workload, measured by `benches/train_step.rs` (one step) and
//! `examples/denormal_cliff.rs` (thousands of steps): a 784-512-512-10 ReLU MLP trained with
//! Adam (lr 1e-3) and cross-entropy on one batch of 128 uniform inputs with the labels
//! `(i·7) mod 10`. PyTorch's script of the same workload is `shared/bench/mlp_long.py`.

use tapegrad::nn::{CrossEntropyLoss, Linear, Module, ReLU, Sequential};
use tapegrad::optim::{Adam, AdamConfig, Optimizer};
use tapegrad::prelude::*;

/// The model, its optimizer and the batch it trains on.
pub struct MlpWorkload {
    /// `Linear(784, 512), ReLU, Linear(512, 512), ReLU, Linear(512, 10)`.
    pub net: Sequential,
    /// `torch.optim.Adam(net.parameters())` with PyTorch's defaults.
    pub opt: Adam,
    /// The batch: 128 rows of 784 uniform values in [0, 1).
    pub x: Tensor,
    /// The batch's labels, `(i·7) mod 10`.
    pub labels: Vec<usize>,
    /// `nn.CrossEntropyLoss()`.
    pub loss_fn: CrossEntropyLoss,
}

impl MlpWorkload {
    /// `torch.manual_seed(0)`, then the net, the optimizer and the batch, drawn in that order.
    pub fn new() -> Self {
        manual_seed(0);
        let net = Sequential::new()
            .add(Linear::new(784, 512))
            .add(ReLU::new())
            .add(Linear::new(512, 512))
            .add(ReLU::new())
            .add(Linear::new(512, 10));
        let opt = Adam::new(net.parameters(), AdamConfig::default())
            .expect("PyTorch's defaults are a valid Adam config");
        let x: Tensor = Tensor::rand(&[128, 784]);
        let labels: Vec<usize> = (0..128).map(|i| (i * 7) % 10).collect();
        MlpWorkload {
            net,
            opt,
            x,
            labels,
            loss_fn: CrossEntropyLoss::new(),
        }
    }

    /// One training step: forward, loss, `zero_grad`, backward, optimizer step. Returns the
    /// loss (of the parameters before the step).
    pub fn step(&mut self) -> Tensor {
        let loss = self
            .loss_fn
            .forward(&self.net.forward(&self.x), &self.labels);
        self.opt.zero_grad();
        loss.backward();
        self.opt.step();
        loss
    }
}

impl Default for MlpWorkload {
    fn default() -> Self {
        Self::new()
    }
}
