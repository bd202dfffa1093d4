//! The lecture's 2-3-2-12-2 sigmoid network trained with a `torch.optim`-identical optimizer
//! (SEEDS item 6), printing the loss of every epoch as the lecture's `print(loss)` does.
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

#[path = "common/lecture_net.rs"]
mod lecture_net;

use clap::builder::RangedU64ValueParser;
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser, ValueEnum};
use lecture_net::{
    losses_json, params_json, rows_tensor, train, write_json_line, MyNet, TrainError, TARGET,
};
use serde_json::json;
use std::io::{self, Write};
use std::path::PathBuf;
use tapegrad::nn::{Module, StateDictError};
use tapegrad::optim::{
    Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax,
    AdamaxConfig, AnnealStrategy, AsgdConfig, ConstantLR, CosineAnnealingLR,
    CosineAnnealingWarmRestarts, CyclicLR, CyclicLRConfig, CyclicMode, ExponentialLR, LRScheduler,
    LinearLR, MultiStepLR, NAdam, NAdamConfig, OneCycleLR, OneCycleLRConfig, OptimError, Optimizer,
    PolynomialLR, RAdam, RAdamConfig, RMSprop, RmsPropConfig, Rprop, RpropConfig, SgdConfig,
    StepLR, ASGD, SGD,
};
use tapegrad::prelude::*;

/// Trains the lecture's 2-3-2-12-2 sigmoid network and prints each epoch's loss.
#[derive(Parser, Debug, Clone)]
#[command(name = "sigmoid_net")]
pub struct Cli {
    /// The optimizer (PyTorch's class of the same name).
    #[arg(long, value_enum, default_value_t = OptimizerKind::Sgd)]
    pub optimizer: OptimizerKind,
    /// Learning rate [default: the lecture's: sgd 0.1, adagrad 0.1, rmsprop 0.01, adam 0.1; adamw 0.1;
    /// PyTorch's for adamax 2e-3, nadam 2e-3, radam 1e-3, adadelta 1, rprop 1e-2, asgd 1e-2].
    #[arg(long, value_parser = non_negative)]
    pub lr: Option<f64>,
    /// Momentum factor (sgd, rmsprop) [default: sgd 0.6, rmsprop 0.8, the lecture's].
    #[arg(long, value_parser = non_negative)]
    pub momentum: Option<f64>,
    /// Dampening of the momentum buffer (sgd) [default: 0].
    #[arg(long, value_parser = non_negative)]
    pub dampening: Option<f64>,
    /// Nesterov momentum (sgd; needs momentum > 0 and dampening 0).
    #[arg(long)]
    pub nesterov: bool,
    /// L2 weight decay (all; AdamW's decoupled decay) [default: 0, adamw 0.01].
    #[arg(long, value_parser = non_negative)]
    pub weight_decay: Option<f64>,
    /// Smoothing constant of the squared-gradient average (rmsprop) [default: 0.99]; power of
    /// the step-size decay (asgd) [default: 0.75].
    #[arg(long, value_parser = non_negative)]
    pub alpha: Option<f64>,
    /// Term added to the denominator (adagrad, rmsprop, adam, adamw, adamax, nadam, radam,
    /// adadelta) [default: adagrad 1e-10, adadelta 1e-6, else 1e-8].
    #[arg(long, value_parser = non_negative)]
    pub eps: Option<f64>,
    /// Centered RMSprop (rmsprop).
    #[arg(long)]
    pub centered: bool,
    /// Adam's moment decay rates, two numbers in [0, 1) (adam, adamw, adamax, nadam, radam)
    /// [default: 0.9,0.999].
    #[arg(long, value_name = "B1,B2", value_parser = parse_betas)]
    pub betas: Option<Betas>,
    /// AMSGrad variant (adam, adamw).
    #[arg(long)]
    pub amsgrad: bool,
    /// Learning-rate decay (adagrad) [default: 0].
    #[arg(long, value_parser = non_negative)]
    pub lr_decay: Option<f64>,
    /// Starting value of the squared-gradient sum (adagrad) [default: 0].
    #[arg(long, value_parser = non_negative)]
    pub initial_accumulator_value: Option<f64>,
    /// NAdam's momentum schedule decay ψ (nadam) [default: 4e-3].
    #[arg(long, value_parser = non_negative)]
    pub momentum_decay: Option<f64>,
    /// Decay the weights directly, as AdamW does (nadam, radam).
    #[arg(long)]
    pub decoupled_weight_decay: bool,
    /// Decay of Adadelta's running averages (adadelta) [default: 0.9].
    #[arg(long, value_parser = non_negative)]
    pub rho: Option<f64>,
    /// Rprop's step-size decrease and increase factors, 0 < A < 1 < B (rprop) [default: 0.5,1.2].
    #[arg(long, value_name = "A,B", value_parser = parse_pair)]
    pub etas: Option<Pair>,
    /// Rprop's minimal and maximal step sizes (rprop) [default: 1e-6,50].
    #[arg(long, value_name = "A,B", value_parser = parse_pair)]
    pub step_sizes: Option<Pair>,
    /// ASGD's decay term (asgd) [default: 1e-4].
    #[arg(long, value_parser = non_negative)]
    pub lambd: Option<f64>,
    /// The step from which ASGD averages the iterates (asgd) [default: 1e6].
    #[arg(long, value_parser = non_negative)]
    pub t0: Option<f64>,
    /// Learning-rate scheduler, stepped once per epoch: `CLASS:key=value,...` with PyTorch's
    /// class and keyword names (case-insensitive; e.g. `OneCycleLR:max_lr=0.5,total_steps=100`),
    /// or `step:STEP_SIZE:GAMMA` (StepLR) / `exp:GAMMA` (ExponentialLR).
    #[arg(long, value_name = "SPEC", value_parser = parse_scheduler)]
    pub scheduler: Option<SchedulerSpec>,
    /// Number of epochs (full-batch steps), at most 10 000 000.
    #[arg(long, default_value_t = 100, value_parser = RangedU64ValueParser::<usize>::new().range(0..=lecture_net::MAX_EPOCHS))]
    pub epochs: usize,
    /// Seed of the generator that draws the initial weights (`manual_seed`).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Replace the lecture's target rows: three rows of two numbers, `a,b;c,d;e,f`.
    #[arg(long, value_name = "a,b;c,d;e,f", value_parser = parse_target)]
    pub target: Option<Target>,
    /// Start from the weights in this safetensors file (PyTorch's names: hide1.0.weight, ...).
    #[arg(long, value_name = "FILE.safetensors")]
    pub init: Option<PathBuf>,
    /// Save the final weights to this safetensors file (PyTorch can load it).
    #[arg(long, value_name = "FILE.safetensors")]
    pub save: Option<PathBuf>,
    /// Also print, as the last line, `{"losses": [...], "params": {...}}` as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also draw the loss against the epoch to FILE (.png or .svg).
    #[arg(long, value_name = "FILE", value_parser = tapegrad_plot::parse_plot_path)]
    pub plot: Option<PathBuf>,
    /// Write the first epoch's graph as Graphviz DOT to FILE (every tensor with its value and
    /// gradient; render with `dot -Tpng FILE -o graph.png`).
    #[arg(long, value_name = "FILE")]
    pub dot: Option<PathBuf>,
}

/// The optimizers `--optimizer` accepts.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptimizerKind {
    /// `torch.optim.SGD`.
    Sgd,
    /// `torch.optim.Adagrad`.
    Adagrad,
    /// `torch.optim.RMSprop`.
    Rmsprop,
    /// `torch.optim.Adam`.
    Adam,
    /// `torch.optim.AdamW`.
    Adamw,
    /// `torch.optim.Adamax`.
    Adamax,
    /// `torch.optim.NAdam`.
    Nadam,
    /// `torch.optim.RAdam`.
    Radam,
    /// `torch.optim.Adadelta`.
    Adadelta,
    /// `torch.optim.Rprop`.
    Rprop,
    /// `torch.optim.ASGD`.
    Asgd,
}

impl OptimizerKind {
    /// The `--optimizer` spelling.
    pub fn flag(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adagrad => "adagrad",
            OptimizerKind::Rmsprop => "rmsprop",
            OptimizerKind::Adam => "adam",
            OptimizerKind::Adamw => "adamw",
            OptimizerKind::Adamax => "adamax",
            OptimizerKind::Nadam => "nadam",
            OptimizerKind::Radam => "radam",
            OptimizerKind::Adadelta => "adadelta",
            OptimizerKind::Rprop => "rprop",
            OptimizerKind::Asgd => "asgd",
        }
    }

    /// The learning rate used when `--lr` is not given (the lecture's).
    pub fn default_lr(self) -> f64 {
        match self {
            OptimizerKind::Rmsprop => 0.01,
            OptimizerKind::Sgd
            | OptimizerKind::Adagrad
            | OptimizerKind::Adam
            | OptimizerKind::Adamw => 0.1,
            OptimizerKind::Adamax => AdamaxConfig::default().lr,
            OptimizerKind::Nadam => NAdamConfig::default().lr,
            OptimizerKind::Radam => RAdamConfig::default().lr,
            OptimizerKind::Adadelta => AdadeltaConfig::default().lr,
            OptimizerKind::Rprop => RpropConfig::default().lr,
            OptimizerKind::Asgd => AsgdConfig::default().lr,
        }
    }
}

/// `--betas B1,B2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Betas(pub f64, pub f64);

/// `--etas A,B`, `--step-sizes A,B`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair(pub f64, pub f64);

/// `--target a,b;c,d;e,f`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Target(pub [[f32; 2]; 3]);

/// `--scheduler`.
#[derive(Clone, Debug, PartialEq)]
pub enum SchedulerSpec {
    /// `CLASS:key=value,...`: PyTorch's class (canonical spelling) and keyword arguments
    /// (canonical names), checked against the class's keywords.
    Class {
        /// PyTorch's class name (`"OneCycleLR"`).
        class: &'static str,
        /// The keyword arguments given.
        kwargs: Vec<(&'static str, KwValue)>,
    },
    /// `StepLR(step_size, gamma)`.
    Step {
        /// Epochs between decays.
        step_size: usize,
        /// Factor applied every `step_size` epochs.
        gamma: f64,
    },
    /// `ExponentialLR(gamma)`.
    Exp {
        /// Factor applied every epoch.
        gamma: f64,
    },
}

/// A finite number.
fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("`{s}` is not a finite number"))
    }
}

/// A finite number >= 0 (learning rates, momentum, decays, eps).
fn non_negative(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    if v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("must be >= 0, got {v}"))
    }
}

/// `A,B`: two finite numbers >= 0.
fn parse_pair(s: &str) -> Result<Pair, String> {
    let parts: Vec<&str> = s.split(',').collect();
    let [a, b] = parts.as_slice() else {
        return Err(format!(
            "expected two numbers `A,B` (e.g. 0.5,1.2), got `{s}`"
        ));
    };
    Ok(Pair(non_negative(a)?, non_negative(b)?))
}

/// `B1,B2`, each in [0, 1).
fn parse_betas(s: &str) -> Result<Betas, String> {
    let parts: Vec<&str> = s.split(',').collect();
    let [b1, b2] = parts.as_slice() else {
        return Err(format!(
            "expected two numbers `B1,B2` (e.g. 0.9,0.999), got `{s}`"
        ));
    };
    let (b1, b2) = (finite(b1)?, finite(b2)?);
    for (i, b) in [(1, b1), (2, b2)] {
        if !(0.0..1.0).contains(&b) {
            return Err(format!("beta{i} must be in [0, 1), got {b}"));
        }
    }
    Ok(Betas(b1, b2))
}

/// `a,b;c,d;e,f`: three rows of two finite numbers.
fn parse_target(s: &str) -> Result<Target, String> {
    let rows: Vec<&str> = s.split(';').collect();
    if rows.len() != 3 {
        return Err(format!(
            "expected 3 rows separated by `;` (e.g. \"1,2;0,3;1,123\"), got {} in `{s}`",
            rows.len()
        ));
    }
    let mut t = [[0.0f32; 2]; 3];
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<&str> = row.split(',').collect();
        if cells.len() != 2 {
            return Err(format!(
                "row {} (`{row}`) has {} values, expected 2 separated by `,`",
                i + 1,
                cells.len()
            ));
        }
        for (j, c) in cells.iter().enumerate() {
            // Checked after the conversion: 1e39 is a finite f64 but an infinite f32.
            let v = finite(c)? as f32;
            if !v.is_finite() {
                return Err(format!(
                    "`{}` overflows float32 (its finite values lie within ±{:e})",
                    c.trim(),
                    f32::MAX
                ));
            }
            t[i][j] = v;
        }
    }
    Ok(Target(t))
}

/// A keyword argument's value in `--scheduler CLASS:key=value,...`.
#[derive(Clone, Debug, PartialEq)]
pub enum KwValue {
    /// A number.
    Num(f64),
    /// `true` / `false`.
    Bool(bool),
    /// A word (`mode=triangular2`, `anneal_strategy=linear`).
    Word(String),
    /// `[a,b,...]` (`milestones`).
    List(Vec<f64>),
}

/// What a keyword takes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Num,
    Int,
    Bool,
    Word(&'static [&'static str]),
    IntList,
}

/// A keyword: PyTorch's name, what it takes, whether it is required.
type Keyword = (&'static str, Kind, bool);

/// The classes `--scheduler CLASS:...` builds, with their keywords (PyTorch's names) and which
/// are required.
const SCHEDULERS: &[(&str, &[Keyword])] = &[
    (
        "StepLR",
        &[("step_size", Kind::Int, true), ("gamma", Kind::Num, false)],
    ),
    (
        "MultiStepLR",
        &[
            ("milestones", Kind::IntList, true),
            ("gamma", Kind::Num, false),
        ],
    ),
    ("ExponentialLR", &[("gamma", Kind::Num, true)]),
    (
        "CosineAnnealingLR",
        &[("T_max", Kind::Int, true), ("eta_min", Kind::Num, false)],
    ),
    (
        "LinearLR",
        &[
            ("start_factor", Kind::Num, false),
            ("end_factor", Kind::Num, false),
            ("total_iters", Kind::Int, false),
        ],
    ),
    (
        "ConstantLR",
        &[
            ("factor", Kind::Num, false),
            ("total_iters", Kind::Int, false),
        ],
    ),
    (
        "PolynomialLR",
        &[
            ("total_iters", Kind::Int, false),
            ("power", Kind::Num, false),
        ],
    ),
    (
        "CosineAnnealingWarmRestarts",
        &[
            ("T_0", Kind::Int, true),
            ("T_mult", Kind::Int, false),
            ("eta_min", Kind::Num, false),
        ],
    ),
    (
        "OneCycleLR",
        &[
            ("max_lr", Kind::Num, true),
            ("total_steps", Kind::Int, false),
            ("epochs", Kind::Int, false),
            ("steps_per_epoch", Kind::Int, false),
            ("pct_start", Kind::Num, false),
            ("anneal_strategy", Kind::Word(&["cos", "linear"]), false),
            ("cycle_momentum", Kind::Bool, false),
            ("base_momentum", Kind::Num, false),
            ("max_momentum", Kind::Num, false),
            ("div_factor", Kind::Num, false),
            ("final_div_factor", Kind::Num, false),
            ("three_phase", Kind::Bool, false),
        ],
    ),
    (
        "CyclicLR",
        &[
            ("base_lr", Kind::Num, true),
            ("max_lr", Kind::Num, true),
            ("step_size_up", Kind::Int, false),
            ("step_size_down", Kind::Int, false),
            (
                "mode",
                Kind::Word(&["triangular", "triangular2", "exp_range"]),
                false,
            ),
            ("gamma", Kind::Num, false),
            ("cycle_momentum", Kind::Bool, false),
            ("base_momentum", Kind::Num, false),
            ("max_momentum", Kind::Num, false),
        ],
    ),
];

/// Splits `a=1,b=[2,3],c=x` at the commas outside brackets.
fn split_kwargs(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// `CLASS:key=value,...` (class and keys case-insensitive), checked against PyTorch's keywords.
fn parse_class_spec(
    class: &'static str,
    keys: &[Keyword],
    rest: &str,
) -> Result<SchedulerSpec, String> {
    let mut kwargs: Vec<(&'static str, KwValue)> = Vec::new();
    for part in split_kwargs(rest) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("{class}: expected `key=value`, got `{part}`"))?;
        let (k, v) = (k.trim(), v.trim());
        let &(name, kind, _) = keys
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(k))
            .ok_or_else(|| {
                let names: Vec<&str> = keys.iter().map(|(n, _, _)| *n).collect();
                format!(
                    "{class} got an unexpected keyword argument '{k}' (its keywords: {})",
                    names.join(", ")
                )
            })?;
        if kwargs.iter().any(|(n, _)| *n == name) {
            return Err(format!("{class}: keyword argument '{name}' repeated"));
        }
        let value = match kind {
            Kind::Num => KwValue::Num(finite(v)?),
            Kind::Int => {
                let n: u64 = v.parse().map_err(|_| {
                    format!("{class}: {name} must be a non-negative integer, got `{v}`")
                })?;
                KwValue::Num(n as f64)
            }
            Kind::Bool => match v.to_ascii_lowercase().as_str() {
                "true" => KwValue::Bool(true),
                "false" => KwValue::Bool(false),
                _ => return Err(format!("{class}: {name} must be true or false, got `{v}`")),
            },
            Kind::Word(words) => {
                let w = v.to_ascii_lowercase();
                if !words.contains(&w.as_str()) {
                    return Err(format!(
                        "{class}: {name} must be one of {}, got `{v}`",
                        words.join(", ")
                    ));
                }
                KwValue::Word(w)
            }
            Kind::IntList => {
                let inner = v
                    .strip_prefix('[')
                    .and_then(|v| v.strip_suffix(']'))
                    .ok_or_else(|| {
                        format!("{class}: {name} must be a list `[a,b,...]`, got `{v}`")
                    })?;
                let items = inner
                    .split(',')
                    .filter(|x| !x.trim().is_empty())
                    .map(|x| {
                        x.trim()
                            .parse::<u64>()
                            .map(|n| n as f64)
                            .map_err(|_| format!("{class}: {name} holds `{x}`, not an integer"))
                    })
                    .collect::<Result<Vec<f64>, String>>()?;
                KwValue::List(items)
            }
        };
        kwargs.push((name, value));
    }
    for &(name, _, required) in keys {
        if required && !kwargs.iter().any(|(n, _)| *n == name) {
            return Err(format!("{class} missing required argument '{name}'"));
        }
    }
    Ok(SchedulerSpec::Class { class, kwargs })
}

/// `CLASS:key=value,...`, or `step:STEP_SIZE:GAMMA` / `exp:GAMMA` with a positive integer step
/// size and a positive gamma.
fn parse_scheduler(s: &str) -> Result<SchedulerSpec, String> {
    let (head, rest) = s.split_once(':').unwrap_or((s, ""));
    if let Some((class, keys)) = SCHEDULERS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(head.trim()))
    {
        return parse_class_spec(class, keys, rest);
    }
    parse_short_scheduler(s)
}

/// `step:STEP_SIZE:GAMMA` or `exp:GAMMA`, with a positive integer step size and a positive gamma.
fn parse_short_scheduler(s: &str) -> Result<SchedulerSpec, String> {
    let gamma = |g: &str| -> Result<f64, String> {
        let v = finite(g)?;
        if v > 0.0 {
            Ok(v)
        } else {
            Err(format!("gamma must be > 0, got {v}"))
        }
    };
    match s.split(':').collect::<Vec<_>>().as_slice() {
        ["step", n, g] => {
            let step_size: usize = n
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("STEP_SIZE must be a positive integer, got `{n}`"))?;
            Ok(SchedulerSpec::Step {
                step_size,
                gamma: gamma(g)?,
            })
        }
        ["exp", g] => Ok(SchedulerSpec::Exp { gamma: gamma(g)? }),
        _ => Err(format!(
            "expected `step:STEP_SIZE:GAMMA` (e.g. step:30:0.5), `exp:GAMMA` (e.g. exp:0.99) or \
             `CLASS:key=value,...` with a class of {} (e.g. OneCycleLR:max_lr=0.5,total_steps=100), \
             got `{s}`",
            SCHEDULERS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Why a run failed.
#[derive(Debug)]
pub enum AppError {
    /// The options do not make a valid optimizer or scheduler (exit code 2, like a clap error).
    Usage(String),
    /// `--init FILE` could not be loaded.
    Init {
        /// The file.
        path: PathBuf,
        /// Why (boxed: the error is large).
        source: Box<StateDictError>,
    },
    /// `--save FILE` could not be written.
    Save {
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

impl AppError {
    /// The process exit code: 2 for a usage error (as clap's), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            AppError::Usage(_) => 2,
            _ => 1,
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every StateDictError but `Load` already starts with the file's name.
        let with_path = |f: &mut std::fmt::Formatter<'_>,
                         flag: &str,
                         path: &PathBuf,
                         e: &StateDictError| match e {
            StateDictError::Load(_) => write!(f, "{flag} {}: {e}", path.display()),
            _ => write!(f, "{flag} {e}"),
        };
        match self {
            AppError::Usage(m) => f.write_str(m),
            AppError::Init { path, source } => with_path(f, "--init", path, source),
            AppError::Save { path, source } => with_path(f, "--save", path, source),
            AppError::Io(e) => write!(f, "writing the output: {e}"),
            AppError::Diverged(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for AppError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AppError::Usage(_) => None,
            AppError::Init { source, .. } | AppError::Save { source, .. } => Some(&**source),
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

impl From<OptimError> for AppError {
    fn from(e: OptimError) -> Self {
        AppError::Usage(e.to_string())
    }
}

/// Refuses options the chosen optimizer does not have (PyTorch: an unexpected keyword argument).
fn check_applicable(cli: &Cli) -> Result<(), AppError> {
    use OptimizerKind::*;
    let given: [(&str, bool, &[OptimizerKind]); 18] = [
        ("--momentum", cli.momentum.is_some(), &[Sgd, Rmsprop]),
        ("--dampening", cli.dampening.is_some(), &[Sgd]),
        ("--nesterov", cli.nesterov, &[Sgd]),
        ("--alpha", cli.alpha.is_some(), &[Rmsprop, Asgd]),
        (
            "--eps",
            cli.eps.is_some(),
            &[
                Adagrad, Rmsprop, Adam, Adamw, Adamax, Nadam, Radam, Adadelta,
            ],
        ),
        ("--centered", cli.centered, &[Rmsprop]),
        (
            "--betas",
            cli.betas.is_some(),
            &[Adam, Adamw, Adamax, Nadam, Radam],
        ),
        ("--amsgrad", cli.amsgrad, &[Adam, Adamw]),
        (
            "--weight-decay",
            cli.weight_decay.is_some(),
            &[
                Sgd, Adagrad, Rmsprop, Adam, Adamw, Adamax, Nadam, Radam, Adadelta, Asgd,
            ],
        ),
        ("--momentum-decay", cli.momentum_decay.is_some(), &[Nadam]),
        (
            "--decoupled-weight-decay",
            cli.decoupled_weight_decay,
            &[Nadam, Radam],
        ),
        ("--rho", cli.rho.is_some(), &[Adadelta]),
        ("--etas", cli.etas.is_some(), &[Rprop]),
        ("--step-sizes", cli.step_sizes.is_some(), &[Rprop]),
        ("--lambd", cli.lambd.is_some(), &[Asgd]),
        ("--t0", cli.t0.is_some(), &[Asgd]),
        ("--lr-decay", cli.lr_decay.is_some(), &[Adagrad]),
        (
            "--initial-accumulator-value",
            cli.initial_accumulator_value.is_some(),
            &[Adagrad],
        ),
    ];
    for (flag, is_given, valid) in given {
        if is_given && !valid.contains(&cli.optimizer) {
            let names: Vec<&str> = valid.iter().map(|k| k.flag()).collect();
            return Err(AppError::Usage(format!(
                "{flag} is not an option of --optimizer {} (it applies to: {})",
                cli.optimizer.flag(),
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// The optimizer the options describe, over `params` (PyTorch's validation errors become usage
/// errors).
pub fn build_optimizer(cli: &Cli, params: Vec<Tensor>) -> Result<Box<dyn Optimizer>, AppError> {
    check_applicable(cli)?;
    let lr = cli.lr.unwrap_or(cli.optimizer.default_lr());
    let betas = cli.betas.map(|Betas(b1, b2)| (b1, b2));
    Ok(match cli.optimizer {
        OptimizerKind::Sgd => {
            let d = SgdConfig::default();
            Box::new(SGD::new(
                params,
                SgdConfig {
                    lr,
                    momentum: cli.momentum.unwrap_or(0.6),
                    dampening: cli.dampening.unwrap_or(d.dampening),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    nesterov: cli.nesterov,
                    maximize: false,
                },
            )?)
        }
        OptimizerKind::Adagrad => {
            let d = AdagradConfig::default();
            Box::new(Adagrad::new(
                params,
                AdagradConfig {
                    lr,
                    lr_decay: cli.lr_decay.unwrap_or(d.lr_decay),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    initial_accumulator_value: cli
                        .initial_accumulator_value
                        .unwrap_or(d.initial_accumulator_value),
                    eps: cli.eps.unwrap_or(d.eps),
                    maximize: false,
                },
            )?)
        }
        OptimizerKind::Rmsprop => {
            let d = RmsPropConfig::default();
            Box::new(RMSprop::new(
                params,
                RmsPropConfig {
                    lr,
                    alpha: cli.alpha.unwrap_or(d.alpha),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    momentum: cli.momentum.unwrap_or(0.8),
                    centered: cli.centered,
                    maximize: false,
                },
            )?)
        }
        OptimizerKind::Adam => {
            let d = AdamConfig::default();
            Box::new(Adam::new(
                params,
                AdamConfig {
                    lr,
                    betas: betas.unwrap_or(d.betas),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    amsgrad: cli.amsgrad,
                    ..d
                },
            )?)
        }
        OptimizerKind::Adamw => {
            let d = AdamWConfig::default();
            Box::new(AdamW::new(
                params,
                AdamWConfig {
                    lr,
                    betas: betas.unwrap_or(d.betas),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    amsgrad: cli.amsgrad,
                    maximize: false,
                },
            )?)
        }
        OptimizerKind::Adamax => {
            let d = AdamaxConfig::default();
            Box::new(Adamax::new(
                params,
                AdamaxConfig {
                    lr,
                    betas: betas.unwrap_or(d.betas),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    ..d
                },
            )?)
        }
        OptimizerKind::Nadam => {
            let d = NAdamConfig::default();
            Box::new(NAdam::new(
                params,
                NAdamConfig {
                    lr,
                    betas: betas.unwrap_or(d.betas),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    momentum_decay: cli.momentum_decay.unwrap_or(d.momentum_decay),
                    decoupled_weight_decay: cli.decoupled_weight_decay,
                    ..d
                },
            )?)
        }
        OptimizerKind::Radam => {
            let d = RAdamConfig::default();
            Box::new(RAdam::new(
                params,
                RAdamConfig {
                    lr,
                    betas: betas.unwrap_or(d.betas),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    decoupled_weight_decay: cli.decoupled_weight_decay,
                    ..d
                },
            )?)
        }
        OptimizerKind::Adadelta => {
            let d = AdadeltaConfig::default();
            Box::new(Adadelta::new(
                params,
                AdadeltaConfig {
                    lr,
                    rho: cli.rho.unwrap_or(d.rho),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    ..d
                },
            )?)
        }
        OptimizerKind::Rprop => {
            let d = RpropConfig::default();
            Box::new(Rprop::new(
                params,
                RpropConfig {
                    lr,
                    etas: cli.etas.map_or(d.etas, |Pair(a, b)| (a, b)),
                    step_sizes: cli.step_sizes.map_or(d.step_sizes, |Pair(a, b)| (a, b)),
                    ..d
                },
            )?)
        }
        OptimizerKind::Asgd => {
            let d = AsgdConfig::default();
            Box::new(ASGD::new(
                params,
                AsgdConfig {
                    lr,
                    lambd: cli.lambd.unwrap_or(d.lambd),
                    alpha: cli.alpha.unwrap_or(d.alpha),
                    t0: cli.t0.unwrap_or(d.t0),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    ..d
                },
            )?)
        }
    })
}

/// The scheduler `--scheduler` describes, attached to `optimizer`.
pub fn build_scheduler(
    spec: &SchedulerSpec,
    optimizer: &mut dyn Optimizer,
    epochs: usize,
) -> Result<Box<dyn LRScheduler>, AppError> {
    Ok(match *spec {
        SchedulerSpec::Class { class, ref kwargs } => {
            build_class_scheduler(class, kwargs, optimizer, epochs)?
        }
        SchedulerSpec::Step { step_size, gamma } => {
            Box::new(StepLR::new(optimizer, step_size, gamma)?)
        }
        SchedulerSpec::Exp { gamma } => Box::new(ExponentialLR::new(optimizer, gamma)?),
    })
}

/// `CLASS:key=value,...` built with PyTorch's defaults for the keywords not given.
fn build_class_scheduler(
    class: &str,
    kwargs: &[(&'static str, KwValue)],
    opt: &mut dyn Optimizer,
    epochs: usize,
) -> Result<Box<dyn LRScheduler>, AppError> {
    let get = |k: &str| kwargs.iter().find(|(n, _)| *n == k).map(|(_, v)| v);
    let num = |k: &str, default: f64| match get(k) {
        Some(KwValue::Num(v)) => *v,
        _ => default,
    };
    let int = |k: &str, default: usize| match get(k) {
        Some(KwValue::Num(v)) => *v as usize,
        _ => default,
    };
    let opt_int = |k: &str| match get(k) {
        Some(KwValue::Num(v)) => Some(*v as usize),
        _ => None,
    };
    let flag = |k: &str, default: bool| match get(k) {
        Some(KwValue::Bool(b)) => *b,
        _ => default,
    };
    let word = |k: &str| match get(k) {
        Some(KwValue::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    Ok(match class {
        "StepLR" => Box::new(StepLR::new(opt, int("step_size", 0), num("gamma", 0.1))?),
        "MultiStepLR" => {
            let milestones: Vec<usize> = match get("milestones") {
                Some(KwValue::List(v)) => v.iter().map(|m| *m as usize).collect(),
                _ => Vec::new(),
            };
            Box::new(MultiStepLR::new(opt, &milestones, num("gamma", 0.1))?)
        }
        "ExponentialLR" => Box::new(ExponentialLR::new(opt, num("gamma", 0.0))?),
        "CosineAnnealingLR" => Box::new(CosineAnnealingLR::new(
            opt,
            int("T_max", 0),
            num("eta_min", 0.0),
        )?),
        "LinearLR" => Box::new(LinearLR::new(
            opt,
            num("start_factor", 1.0 / 3.0),
            num("end_factor", 1.0),
            int("total_iters", 5),
        )?),
        "ConstantLR" => Box::new(ConstantLR::new(
            opt,
            num("factor", 1.0 / 3.0),
            int("total_iters", 5) as u64,
        )?),
        "PolynomialLR" => Box::new(PolynomialLR::new(
            opt,
            int("total_iters", 5) as u64,
            num("power", 1.0),
        )?),
        "CosineAnnealingWarmRestarts" => Box::new(CosineAnnealingWarmRestarts::new(
            opt,
            int("T_0", 0) as u64,
            int("T_mult", 1) as u64,
            num("eta_min", 0.0),
        )?),
        "OneCycleLR" => {
            let d = OneCycleLRConfig::default();
            let c = OneCycleLRConfig {
                max_lr: num("max_lr", 0.0),
                total_steps: opt_int("total_steps"),
                epochs: opt_int("epochs"),
                steps_per_epoch: opt_int("steps_per_epoch"),
                pct_start: num("pct_start", d.pct_start),
                anneal_strategy: match word("anneal_strategy") {
                    Some("linear") => AnnealStrategy::Linear,
                    _ => AnnealStrategy::Cos,
                },
                cycle_momentum: flag("cycle_momentum", d.cycle_momentum),
                base_momentum: num("base_momentum", d.base_momentum),
                max_momentum: num("max_momentum", d.max_momentum),
                div_factor: num("div_factor", d.div_factor),
                final_div_factor: num("final_div_factor", d.final_div_factor),
                three_phase: flag("three_phase", d.three_phase),
                ..d
            };
            let total = c.total_steps.or(c
                .epochs
                .zip(c.steps_per_epoch)
                .map(|(e, s)| e.saturating_mul(s)));
            if total.is_some_and(|t| t < epochs) {
                return Err(AppError::Usage(format!(
                    "OneCycleLR covers {} steps but --epochs is {epochs} (the scheduler steps \
                     once per epoch; PyTorch raises past total_steps): give total_steps={epochs}",
                    total.unwrap_or(0)
                )));
            }
            Box::new(OneCycleLR::with_config(opt, c)?)
        }
        "CyclicLR" => {
            let d = CyclicLRConfig::default();
            let c = CyclicLRConfig {
                base_lr: num("base_lr", 0.0),
                max_lr: num("max_lr", 0.0),
                step_size_up: int("step_size_up", d.step_size_up as usize) as u64,
                step_size_down: opt_int("step_size_down").map(|v| v as u64),
                mode: match word("mode") {
                    Some("triangular2") => CyclicMode::Triangular2,
                    Some("exp_range") => CyclicMode::ExpRange {
                        gamma: num("gamma", 1.0),
                    },
                    _ => CyclicMode::Triangular,
                },
                cycle_momentum: flag("cycle_momentum", d.cycle_momentum),
                base_momentum: num("base_momentum", d.base_momentum),
                max_momentum: num("max_momentum", d.max_momentum),
            };
            Box::new(CyclicLR::new(opt, c)?)
        }
        other => unreachable!("--scheduler accepted an unknown class {other}"),
    })
}

/// Builds the net (from `--seed`, or `--init`), trains it, prints each epoch's loss as
/// `print(loss)` does (`tensor(2531.3042, grad_fn=<MseLossBackward0>)`), saves it if asked and
/// prints the JSON summary last if asked.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<(), AppError> {
    manual_seed(cli.seed);
    let net = MyNet::new(2, 2);
    if let Some(path) = &cli.init {
        net.load(path).map_err(|source| AppError::Init {
            path: path.clone(),
            source: Box::new(source),
        })?;
    }
    let target = rows_tensor(&cli.target.map_or(TARGET, |Target(t)| t));
    let mut optimizer = build_optimizer(cli, net.parameters())?;
    let mut scheduler = match &cli.scheduler {
        Some(spec) => Some(build_scheduler(spec, optimizer.as_mut(), cli.epochs)?),
        None => None,
    };
    if let Some(path) = &cli.dot {
        write_first_graph(&net, &target, path)?;
    }
    let losses = train(
        &net,
        optimizer.as_mut(),
        scheduler.as_deref_mut().map(|s| s as &mut dyn LRScheduler),
        &target,
        cli.epochs,
        &mut |loss| writeln!(out, "{loss}"),
    )?;
    if let Some(path) = &cli.plot {
        let ys: Vec<f64> = losses.iter().map(|&l| f64::from(l)).collect();
        let series = [tapegrad_plot::Series::new(
            format!("{:?}", cli.optimizer).to_lowercase(),
            ys.iter()
                .enumerate()
                .map(|(i, &l)| ((i + 1) as f64, l))
                .collect(),
        )];
        tapegrad_plot::line_chart(path, "2-3-2-12-2 sigmoid net", "epoch", "MSE loss", &series)
            .map_err(|e| AppError::Io(io::Error::other(format!("--plot: {e}"))))?;
    }
    if let Some(path) = &cli.save {
        net.save(path).map_err(|source| AppError::Save {
            path: path.clone(),
            source: Box::new(source),
        })?;
    }
    if cli.json {
        let summary = json!({ "losses": losses_json(&losses), "params": params_json(&net) });
        write_json_line(out, &summary)?;
    }
    Ok(())
}

/// `--dot`: the first epoch's graph (the same forward pass `train` starts with), backward run
/// once so every node shows its gradient, then the parameters' gradients cleared again so that
/// training starts exactly as without `--dot`. The file is written atomically.
fn write_first_graph(net: &MyNet, target: &Tensor, path: &std::path::Path) -> Result<(), AppError> {
    for (name, p) in net.named_parameters() {
        let _ = p.with_label(&name);
    }
    let input = rows_tensor(&lecture_net::INPUT).with_label("input");
    let loss = tapegrad::nn::MSELoss::new()
        .forward(&net.forward(&input), target)
        .with_label("loss");
    let tape = tapegrad::autograd::Tape::of(&loss);
    tape.retain_grads();
    loss.backward();
    let dot = tape.to_dot();
    for p in net.parameters() {
        p.set_grad(None);
    }
    tapegrad::nn::safetensors_io::write_atomic(path, dot.as_bytes())
        .map_err(|e| AppError::Io(io::Error::other(format!("--dot {}: {e}", path.display()))))
}

fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(&cli, &mut io::stdout().lock()) {
        match &e {
            AppError::Usage(msg) => Cli::command().error(ErrorKind::ValueValidation, msg).exit(),
            // `sigmoid_net | head`: the reader left; nothing more to say.
            AppError::Io(io) if io.kind() == io::ErrorKind::BrokenPipe => return,
            _ => {}
        }
        eprintln!("error: {e}");
        std::process::exit(e.exit_code());
    }
}
