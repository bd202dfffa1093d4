//! The lecture's four optimizers on its 2-3-2-12-2 sigmoid network (the lecture's sigmoid-net
//! page), from the same initial weights, with their losses side by side.
//!
//! ```text
//! cargo run --release --example all_optimizers
//! cargo run --release --example all_optimizers -- --init tests/fixtures/net/sgd_momentum.init.safetensors
//! cargo run --release --example all_optimizers -- --epochs 20 --json
//! ```
//!
//! The lecture runs its `mynet` training loop four times, changing only the optimizer line:
//!
//! ```python
//! optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.6)
//! optimizer = torch.optim.Adagrad(net.parameters(), lr=0.1)
//! optimizer = torch.optim.RMSprop(net.parameters(), lr=0.01, momentum=0.8)
//! optimizer = torch.optim.Adam(net.parameters(), lr=0.1)
//! ```
//!
//! Here each run starts from the same weights (drawn once from `--seed`, or read from
//! `--init`), so the columns differ only by the optimizer. Each column equals the losses
//! `sigmoid_net --optimizer <name>` prints with the same seed or `--init` file. The target 123
//! cannot be reached by a sigmoid output, so every loss plateaus near 2500 (the example as
//! written); how fast each optimizer gets there is the comparison.
//!
//! `--json` prints, as the last line, `{"sgd": {"losses": [...], "params": {...}}, "adagrad":
//! ..., "rmsprop": ..., "adam": ...}` with every epoch's loss and the final parameters.

use clap::Parser;
use serde_json::{Map, Value};
use std::io::{self, Write};
use std::process::ExitCode;
use tapegrad::nn::{MSELoss, Module};
use tapegrad_examples::all_optimizers::Cli;
use tapegrad_examples::lecture::{
    finite_loss, initial_net, losses_json, params_json, plot_losses, rows_tensor, write_json_line,
};
use tapegrad_examples::optimizer::lecture_optimizer;
use tapegrad_examples::OptimizerKind;
use tapegrad_examples::{AppError, INPUT, TARGET};

/// The lecture's four optimizers, in its order, with its settings (the four lines above; the
/// defaults of `sigmoid_net --optimizer KIND`, [`lecture_optimizer`]).
const LECTURE_OPTIMIZERS: [OptimizerKind; 4] = [
    OptimizerKind::Sgd,
    OptimizerKind::Adagrad,
    OptimizerKind::Rmsprop,
    OptimizerKind::Adam,
];

/// One optimizer's run.
#[derive(Clone, Debug, PartialEq)]
struct Run {
    /// The column name (`sgd`, `adagrad`, `rmsprop`, `adam`).
    name: &'static str,
    /// Every epoch's loss, computed before that epoch's step.
    losses: Vec<f32>,
    /// The final parameters as `{"hide1.0.weight": [[…]], …}`.
    params: Value,
}

/// Trains one net per lecture optimizer from the same weights, prints the table (and the JSON
/// if asked) and returns the runs.
fn run(cli: &Cli, out: &mut dyn Write) -> Result<Vec<Run>, AppError> {
    let (input, target) = (rows_tensor(&INPUT), rows_tensor(&TARGET));
    let loss_func = MSELoss::new();
    let mut runs = Vec::with_capacity(LECTURE_OPTIMIZERS.len());
    for kind in LECTURE_OPTIMIZERS {
        let name = kind.flag();
        let net = initial_net(cli.seed, cli.init.as_deref())?;
        let mut optimizer = lecture_optimizer(kind, net.parameters());
        let mut losses = Vec::new();
        for epoch in 1..=cli.epochs {
            let loss = loss_func.forward(&net.forward(&input), &target);
            optimizer.zero_grad();
            loss.backward();
            optimizer.step();
            losses.push(finite_loss(epoch, &loss)?);
        }
        runs.push(Run {
            name,
            losses,
            params: params_json(&net),
        });
    }

    write!(out, "{:>5}", "epoch")?;
    for r in &runs {
        write!(out, " {:>12}", r.name)?;
    }
    writeln!(out)?;
    for epoch in 0..cli.epochs {
        write!(out, "{:>5}", epoch + 1)?;
        for r in &runs {
            write!(out, " {:>12.4}", r.losses[epoch])?;
        }
        writeln!(out)?;
    }

    if cli.json {
        let map: Map<String, Value> = runs
            .iter()
            .map(|r| {
                let mut one = Map::new();
                one.insert("losses".into(), losses_json(&r.losses));
                one.insert("params".into(), r.params.clone());
                (r.name.to_string(), Value::Object(one))
            })
            .collect();
        write_json_line(out, &Value::Object(map))?;
    }
    if let Some(path) = &cli.plot {
        let curves: Vec<(String, &[f32])> = runs
            .iter()
            .map(|r| (r.name.to_string(), r.losses.as_slice()))
            .collect();
        plot_losses(path, "2-3-2-12-2 sigmoid net: four optimizers", &curves)?;
    }
    Ok(runs)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    AppError::finish::<Cli>(run(&cli, &mut io::stdout().lock()).map(drop))
}
