//! The lecture's 2-3-2-12-2 sigmoid network trained with a `torch.optim`-identical optimizer
//! (SEEDS item 6), printing the loss of every epoch as the lecture's `print(loss)` does.
//!
//! ```text
//! cargo run --release --example sigmoid_net                                  # SGD lr 0.1 momentum 0.6
//! cargo run --release --example sigmoid_net -- --optimizer adam              # Adam lr 0.1
//! cargo run --release --example sigmoid_net -- --optimizer rmsprop --centered --scheduler step:30:0.5
//! cargo run --release --example sigmoid_net -- --init tests/fixtures/net/adam.init.safetensors \
//!     --optimizer adam --json                                                # PyTorch's weights
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
//! (`--momentum 0` gives plain SGD). Every other option defaults to PyTorch's value. An option
//! that the chosen optimizer does not have (e.g. `--alpha` with SGD) is a usage error, as an
//! unexpected keyword argument is in PyTorch.
//!
//! The initial weights come from `--seed` (tapegrad's generator is a ChaCha stream, not
//! PyTorch's Mersenne Twister, so `--seed 0` gives other weights than `torch.manual_seed(0)`);
//! `--init FILE.safetensors` starts from saved weights instead, e.g. the PyTorch run's
//! `tests/fixtures/net/<case>.init.safetensors`, and then reproduces PyTorch's losses.
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
    Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, ExponentialLR, LRScheduler,
    OptimError, Optimizer, RMSprop, RmsPropConfig, SgdConfig, StepLR, SGD,
};
use tapegrad::prelude::*;

/// Trains the lecture's 2-3-2-12-2 sigmoid network and prints each epoch's loss.
#[derive(Parser, Debug, Clone)]
#[command(name = "sigmoid_net")]
pub struct Cli {
    /// The optimizer (PyTorch's class of the same name).
    #[arg(long, value_enum, default_value_t = OptimizerKind::Sgd)]
    pub optimizer: OptimizerKind,
    /// Learning rate [default: the lecture's: sgd 0.1, adagrad 0.1, rmsprop 0.01, adam 0.1; adamw 0.1].
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
    /// Smoothing constant of the squared-gradient average (rmsprop) [default: 0.99].
    #[arg(long, value_parser = non_negative)]
    pub alpha: Option<f64>,
    /// Term added to the denominator (adagrad, rmsprop, adam, adamw) [default: adagrad 1e-10, else 1e-8].
    #[arg(long, value_parser = non_negative)]
    pub eps: Option<f64>,
    /// Centered RMSprop (rmsprop).
    #[arg(long)]
    pub centered: bool,
    /// Adam's moment decay rates, two numbers in [0, 1) (adam, adamw) [default: 0.9,0.999].
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
    /// Learning-rate scheduler, stepped once per epoch: `step:STEP_SIZE:GAMMA` (StepLR) or
    /// `exp:GAMMA` (ExponentialLR).
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
        }
    }

    /// The learning rate used when `--lr` is not given (the lecture's).
    pub fn default_lr(self) -> f64 {
        match self {
            OptimizerKind::Rmsprop => 0.01,
            _ => 0.1,
        }
    }
}

/// `--betas B1,B2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Betas(pub f64, pub f64);

/// `--target a,b;c,d;e,f`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Target(pub [[f32; 2]; 3]);

/// `--scheduler`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SchedulerSpec {
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

/// `step:STEP_SIZE:GAMMA` or `exp:GAMMA`, with a positive integer step size and a positive gamma.
fn parse_scheduler(s: &str) -> Result<SchedulerSpec, String> {
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
            "expected `step:STEP_SIZE:GAMMA` (e.g. step:30:0.5) or `exp:GAMMA` (e.g. exp:0.99), got `{s}`"
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
    let given: [(&str, bool, &[OptimizerKind]); 10] = [
        ("--momentum", cli.momentum.is_some(), &[Sgd, Rmsprop]),
        ("--dampening", cli.dampening.is_some(), &[Sgd]),
        ("--nesterov", cli.nesterov, &[Sgd]),
        ("--alpha", cli.alpha.is_some(), &[Rmsprop]),
        ("--eps", cli.eps.is_some(), &[Adagrad, Rmsprop, Adam, Adamw]),
        ("--centered", cli.centered, &[Rmsprop]),
        ("--betas", cli.betas.is_some(), &[Adam, Adamw]),
        ("--amsgrad", cli.amsgrad, &[Adam, Adamw]),
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
    })
}

/// The scheduler `--scheduler` describes, attached to `optimizer`.
pub fn build_scheduler(
    spec: SchedulerSpec,
    optimizer: &mut dyn Optimizer,
) -> Result<Box<dyn LRScheduler>, AppError> {
    Ok(match spec {
        SchedulerSpec::Step { step_size, gamma } => {
            Box::new(StepLR::new(optimizer, step_size, gamma)?)
        }
        SchedulerSpec::Exp { gamma } => Box::new(ExponentialLR::new(optimizer, gamma)?),
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
    let mut scheduler = match cli.scheduler {
        Some(spec) => Some(build_scheduler(spec, optimizer.as_mut())?),
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
