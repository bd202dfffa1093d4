//! `sigmoid_net`'s command line: the flags (PyTorch's hyper-parameter names) and the values they
//! take. The parsers behind them, and the values they make, are in [`crate::parse`].

use crate::parse::{
    learning_rate, non_negative, parse_betas, parse_pair, parse_scheduler, parse_target, Betas,
    Pair, SchedulerSpec, Target,
};
use crate::MAX_EPOCHS;
use clap::builder::RangedU64ValueParser;
use clap::{Parser, ValueEnum};
use std::path::PathBuf;
use tapegrad_optim::{
    AdadeltaConfig, AdamaxConfig, AsgdConfig, NAdamConfig, RAdamConfig, RpropConfig,
};

/// Trains the lecture's 2-3-2-12-2 sigmoid network and prints each epoch's loss.
#[derive(Parser, Debug, Clone)]
#[command(name = "sigmoid_net", allow_negative_numbers = true)]
pub struct Cli {
    /// The optimizer (PyTorch's class of the same name).
    #[arg(long, value_enum, default_value_t = OptimizerKind::Sgd)]
    pub optimizer: OptimizerKind,
    /// Learning rate [default: the lecture's: sgd 0.1, adagrad 0.1, rmsprop 0.01, adam 0.1; adamw 0.1;
    /// PyTorch's for adamax 2e-3, nadam 2e-3, radam 1e-3, adadelta 1, rprop 1e-2, asgd 1e-2].
    #[arg(long, value_parser = learning_rate)]
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
    #[arg(long, value_name = "B1,B2", allow_hyphen_values = true, value_parser = parse_betas)]
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
    #[arg(long, value_name = "A,B", allow_hyphen_values = true, value_parser = parse_pair)]
    pub etas: Option<Pair>,
    /// Rprop's minimal and maximal step sizes (rprop) [default: 1e-6,50].
    #[arg(long, value_name = "A,B", allow_hyphen_values = true, value_parser = parse_pair)]
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
    #[arg(long, default_value_t = 100, value_parser = RangedU64ValueParser::<usize>::new().range(0..=MAX_EPOCHS))]
    pub epochs: usize,
    /// Seed of the generator that draws the initial weights (`manual_seed`).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Replace the lecture's target rows: three rows of two numbers, `a,b;c,d;e,f`.
    #[arg(long, value_name = "a,b;c,d;e,f", allow_hyphen_values = true, value_parser = parse_target)]
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
