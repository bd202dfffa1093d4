//! The lecture's four optimizers on its 2-3-2-12-2 sigmoid network (SEEDS item 6), from the
//! same initial weights, with their losses side by side.
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

#[path = "common/lecture_net.rs"]
mod lecture_net;

use clap::builder::RangedU64ValueParser;
use clap::Parser;
use lecture_net::{
    losses_json, params_json, rows_tensor, train, write_json_line, MyNet, TrainError, TARGET,
};
use serde_json::{Map, Value};
use std::io::{self, Write};
use std::path::PathBuf;
use tapegrad::nn::{Module, StateDictError};
use tapegrad::optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, Optimizer, RMSprop, RmsPropConfig, SgdConfig, SGD,
};
use tapegrad::prelude::*;

/// Trains the lecture's sigmoid network with SGD, Adagrad, RMSprop and Adam from the same
/// initial weights and prints their losses side by side.
#[derive(Parser, Debug, Clone)]
#[command(name = "all_optimizers")]
pub struct Cli {
    /// Number of epochs (full-batch steps) per optimizer, at most 10 000 000.
    #[arg(long, default_value_t = 100, value_parser = RangedU64ValueParser::<usize>::new().range(0..=lecture_net::MAX_EPOCHS))]
    pub epochs: usize,
    /// Seed of the generator that draws the shared initial weights (`manual_seed`).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Start every run from the weights in this safetensors file instead.
    #[arg(long, value_name = "FILE.safetensors")]
    pub init: Option<PathBuf>,
    /// Also print, as the last line, every run's losses and final parameters as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also draw the four loss curves against the epoch to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    pub plot: Option<PathBuf>,
}

/// Builds an optimizer over the given parameters.
pub type MakeOptimizer = fn(Vec<Tensor>) -> Box<dyn Optimizer>;

/// The lecture's four optimizers, in its order: (column name, constructor).
pub const LECTURE_OPTIMIZERS: [(&str, MakeOptimizer); 4] = [
    ("sgd", sgd),
    ("adagrad", adagrad),
    ("rmsprop", rmsprop),
    ("adam", adam),
];

/// `SGD(lr=0.1, momentum=0.6)`.
fn sgd(params: Vec<Tensor>) -> Box<dyn Optimizer> {
    let config = SgdConfig {
        lr: 0.1,
        momentum: 0.6,
        ..Default::default()
    };
    Box::new(SGD::new(params, config).expect("the lecture's SGD settings are valid"))
}

/// `Adagrad(lr=0.1)`.
fn adagrad(params: Vec<Tensor>) -> Box<dyn Optimizer> {
    let config = AdagradConfig {
        lr: 0.1,
        ..Default::default()
    };
    Box::new(Adagrad::new(params, config).expect("the lecture's Adagrad settings are valid"))
}

/// `RMSprop(lr=0.01, momentum=0.8)`.
fn rmsprop(params: Vec<Tensor>) -> Box<dyn Optimizer> {
    let config = RmsPropConfig {
        lr: 0.01,
        momentum: 0.8,
        ..Default::default()
    };
    Box::new(RMSprop::new(params, config).expect("the lecture's RMSprop settings are valid"))
}

/// `Adam(lr=0.1)`.
fn adam(params: Vec<Tensor>) -> Box<dyn Optimizer> {
    let config = AdamConfig {
        lr: 0.1,
        ..Default::default()
    };
    Box::new(Adam::new(params, config).expect("the lecture's Adam settings are valid"))
}

/// One optimizer's run.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// The column name (`sgd`, `adagrad`, `rmsprop`, `adam`).
    pub name: &'static str,
    /// Every epoch's loss, computed before that epoch's step.
    pub losses: Vec<f32>,
    /// The final parameters as `{"hide1.0.weight": [[…]], …}`.
    pub params: Value,
}

/// `--init FILE` could not be loaded (the message names the file), or writing failed.
#[derive(Debug)]
pub enum AppError {
    /// `--init FILE` could not be loaded.
    Init {
        /// The file.
        path: PathBuf,
        /// Why (boxed: the error is large).
        source: Box<StateDictError>,
    },
    /// Writing the output failed.
    Io(io::Error),
    /// The loss became NaN or infinite and training stopped.
    Diverged(String),
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Every StateDictError but `Load` already starts with the file's name.
            AppError::Init { path, source } => match **source {
                StateDictError::Load(_) => write!(f, "--init {}: {source}", path.display()),
                _ => write!(f, "--init {source}"),
            },
            AppError::Io(e) => write!(f, "writing the output: {e}"),
            AppError::Diverged(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AppError::Init { source, .. } => Some(&**source),
            AppError::Io(e) => Some(e),
            AppError::Diverged(_) => None,
        }
    }
}

impl From<TrainError> for AppError {
    fn from(e: TrainError) -> Self {
        match e {
            TrainError::Io(e) => AppError::Io(e),
            diverged => AppError::Diverged(diverged.to_string()),
        }
    }
}

impl From<io::Error> for AppError {
    fn from(e: io::Error) -> Self {
        AppError::Io(e)
    }
}

/// A fresh net with the shared initial weights: drawn from `--seed`, or read from `--init`.
fn initial_net(cli: &Cli) -> Result<MyNet, AppError> {
    manual_seed(cli.seed);
    let net = MyNet::new(2, 2);
    if let Some(path) = &cli.init {
        net.load(path).map_err(|source| AppError::Init {
            path: path.clone(),
            source: Box::new(source),
        })?;
    }
    Ok(net)
}

/// Trains one net per lecture optimizer from the same weights, prints the table (and the JSON
/// if asked) and returns the runs.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<Vec<Run>, AppError> {
    let target = rows_tensor(&TARGET);
    let mut runs = Vec::with_capacity(LECTURE_OPTIMIZERS.len());
    for (name, make) in LECTURE_OPTIMIZERS {
        let net = initial_net(cli)?;
        let mut optimizer = make(net.parameters());
        let losses = train(
            &net,
            optimizer.as_mut(),
            None,
            &target,
            cli.epochs,
            &mut |_| Ok(()),
        )?;
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
        let series: Vec<tapegrad_plot::Series> = runs
            .iter()
            .map(|r| {
                tapegrad_plot::Series::new(
                    r.name,
                    r.losses
                        .iter()
                        .enumerate()
                        .map(|(i, &l)| ((i + 1) as f64, f64::from(l)))
                        .collect(),
                )
            })
            .collect();
        tapegrad_plot::line_chart(
            path,
            "2-3-2-12-2 sigmoid net: four optimizers",
            "epoch",
            "MSE loss",
            &series,
        )
        .map_err(|e| AppError::Io(io::Error::other(format!("--plot: {e}"))))?;
    }
    Ok(runs)
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli, &mut io::stdout().lock()) {
        if matches!(&e, AppError::Io(io) if io.kind() == io::ErrorKind::BrokenPipe) {
            return; // `all_optimizers | head`: the reader left.
        }
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
