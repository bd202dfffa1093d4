//! The lecture's 2-3-2-12-2 sigmoid network trained with a `torch.optim`-identical optimizer
//! (the lecture's sigmoid-net page), printing the loss of every epoch as the lecture's
//! `print(loss)` does. `run` below is the lecture's `train()` line for line; the flags, their
//! parsers and the optimizer they describe are in `crates/examples` (`tapegrad_examples`).
//!
//! ```text
//! cargo run --release --example sigmoid_net                                  # SGD lr 0.1 momentum 0.6
//! cargo run --release --example sigmoid_net -- --optimizer adam              # Adam lr 0.1
//! cargo run --release --example sigmoid_net -- --optimizer rmsprop --centered --scheduler step:30:0.5
//! cargo run --release --example sigmoid_net -- --init tests/fixtures/net/adam.init.safetensors \
//!     --optimizer adam --json                                                # PyTorch's weights
//! cargo run --release --example sigmoid_net -- --optimizer nadam --lr 0.05 --momentum-decay 0.01
//! cargo run --release --example sigmoid_net -- --optimizer adamw \
//!     --scheduler OneCycleLR:max_lr=0.5,total_steps=100                      # PyTorch's classes
//! cargo run --release --example sigmoid_net -- --scheduler CosineAnnealingWarmRestarts:T_0=10,T_mult=2
//! ```
//!
//! The original, from the lecture page (run four times, with the four optimizers below):
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
//!
//! def train():
//!     input = torch.tensor([[0.5, 0.1], [0.05, 0.180], [0.05, 0.310]])
//!     target = torch.tensor([[1, 2], [0, 3], [1, 123]], dtype=torch.float32)
//!     net = mynet(2, 2)
//!     loss_func = torch.nn.MSELoss()
//!     optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.6)
//!     # optimizer = torch.optim.Adagrad(net.parameters(), lr=0.1)
//!     # optimizer = torch.optim.RMSprop(net.parameters(), lr=0.01, momentum=0.8)
//!     # optimizer = torch.optim.Adam(net.parameters(), lr=0.1)
//!     for epoch in range(100):
//!         y_pred = net(input)
//!         loss = loss_func(y_pred, target)
//!         optimizer.zero_grad()
//!         loss.backward()
//!         optimizer.step()
//!         print(loss)
//! ```
//!
//! Defaults: when `--lr` is not given, each optimizer uses the lecture's rate (SGD 0.1, Adagrad
//! 0.1, RMSprop 0.01, Adam 0.1); AdamW, which the lecture does not run, uses Adam's 0.1 so the
//! two compare directly. `--momentum` defaults to the lecture's 0.6 for SGD and 0.8 for RMSprop
//! (`--momentum 0` gives plain SGD). Adamax, NAdam, RAdam, Adadelta, Rprop and ASGD use PyTorch's
//! default rates. Every other option defaults to PyTorch's value. An option
//! that the chosen optimizer does not have (e.g. `--alpha` with SGD) is a usage error, as an
//! unexpected keyword argument is in PyTorch.
//!
//! The initial weights come from `--seed` (tapegrad's generator is PyTorch's Mersenne Twister
//! with PyTorch's recipes, so `--seed 0` gives the weights of `torch.manual_seed(0)`);
//! `--init FILE.safetensors` starts from saved weights instead, e.g. the PyTorch run's
//! `tests/fixtures/net/<case>.init.safetensors`, and then reproduces PyTorch's losses.
//!
//! `--scheduler` takes PyTorch's class and keyword names, case-insensitive, stepped once per
//! epoch: `StepLR:step_size=10,gamma=0.5`, `MultiStepLR:milestones=[30,60],gamma=0.1`,
//! `ExponentialLR:gamma=0.95`, `CosineAnnealingLR:T_max=100`, `LinearLR`, `ConstantLR`,
//! `PolynomialLR`, `CosineAnnealingWarmRestarts:T_0=10,T_mult=2`,
//! `OneCycleLR:max_lr=0.5,total_steps=100` (`total_steps` at least `--epochs`),
//! `CyclicLR:base_lr=0.05,max_lr=0.5,mode=triangular2`; numbers, `true`/`false`, words
//! (`mode`, `anneal_strategy`) and `[a,b,...]` lists. The short forms `step:STEP_SIZE:GAMMA` and
//! `exp:GAMMA` still work.
//!
//! `--json` prints, as the last line, `{"losses": [...], "params": {"hide1.0.weight": [[...]],
//! ...}}`: every epoch's loss (computed before that epoch's step) and the final parameters.

use clap::Parser;
use serde_json::json;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;
use tapegrad::nn::lecture::MyNet;
use tapegrad::nn::{safetensors_io::write_atomic, MSELoss, Module};
use tapegrad::prelude::*;
use tapegrad_examples::lecture::{
    finite_loss, initial_net, losses_json, params_json, plot_losses, rows_tensor, write_json_line,
};
use tapegrad_examples::{build_optimizer, build_scheduler, AppError, Cli, Target, INPUT, TARGET};

fn main() -> ExitCode {
    let cli = Cli::parse();
    AppError::finish::<Cli>(run(&cli, &mut io::stdout().lock()))
}

/// The lecture's `train()`: builds the net (from `--seed`, or `--init`), trains it, prints each
/// epoch's loss as `print(loss)` does (`tensor(2531.3042, grad_fn=<MseLossBackward0>)`), then
/// draws, saves and prints the JSON summary if asked.
fn run(cli: &Cli, out: &mut dyn Write) -> Result<(), AppError> {
    let input = rows_tensor(&INPUT);
    let target = rows_tensor(&cli.target.map_or(TARGET, |Target(t)| t));
    let net = initial_net(cli.seed, cli.init.as_deref())?; // mynet(2, 2)
    let loss_func = MSELoss::new();
    let mut optimizer = build_optimizer(cli, net.parameters())?; // SGD(lr=0.1, momentum=0.6)
    let mut scheduler = match &cli.scheduler {
        Some(spec) => Some(build_scheduler(spec, optimizer.as_mut(), cli.epochs)?),
        None => None,
    };
    if let Some(path) = &cli.dot {
        write_first_graph(&net, &target, path)?;
    }
    // Grown as the epochs run: reserving `epochs` up front would abort the process on an epoch
    // count too large to hold.
    let mut losses = Vec::new();
    for epoch in 1..=cli.epochs {
        let y_pred = net.forward(&input);
        let loss = loss_func.forward(&y_pred, &target);
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        if let Some(s) = scheduler.as_mut() {
            s.step(optimizer.as_mut());
        }
        writeln!(out, "{loss}")?; // print(loss)
        losses.push(finite_loss(epoch, &loss)?);
    }
    report(cli, &net, &losses, out)
}

/// `--plot`, `--save` and `--json`, in that order.
fn report(cli: &Cli, net: &MyNet, losses: &[f32], out: &mut dyn Write) -> Result<(), AppError> {
    if let Some(path) = &cli.plot {
        let name = format!("{:?}", cli.optimizer).to_lowercase();
        plot_losses(path, "2-3-2-12-2 sigmoid net", &[(name, losses)])?;
    }
    if let Some(path) = &cli.save {
        net.save(path).map_err(|source| AppError::Save {
            path: path.clone(),
            source: Box::new(source),
        })?;
    }
    if cli.json {
        let summary = json!({ "losses": losses_json(losses), "params": params_json(net) });
        write_json_line(out, &summary)?;
    }
    Ok(())
}

/// `--dot`: the first epoch's graph (the same forward pass the loop starts with), backward run
/// once so every node shows its gradient, then the parameters' gradients cleared again so that
/// training starts exactly as without `--dot`. The file is written atomically.
fn write_first_graph(net: &MyNet, target: &Tensor, path: &Path) -> Result<(), AppError> {
    for (name, p) in net.named_parameters() {
        let _ = p.with_label(&name);
    }
    let input = rows_tensor(&INPUT).with_label("input");
    let loss = MSELoss::new()
        .forward(&net.forward(&input), target)
        .with_label("loss");
    let tape = tapegrad::autograd::GraphListing::of(&loss);
    tape.retain_grads();
    loss.backward();
    let dot = tape.to_dot();
    for p in net.parameters() {
        p.set_grad(None);
    }
    write_atomic(path, dot.as_bytes())
        .map_err(|e| AppError::Io(io::Error::other(format!("--dot {}: {e}", path.display()))))
}
