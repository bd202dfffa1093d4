//! What the six ported PyTorch training scripts (`polynomial`, `moons`, `digits_cnn`,
//! `names_mlp`, `char_gpt`, `names_rnn`; the originals are in `../shared/scripts/`) share:
//! the `--init` / `--save-init` / `--json` flags, loading and saving PyTorch state dicts, the
//! `--json` line, reading data files, and one error type whose exit code is 2 for a usage
//! error (as clap's) and 1 for anything else. A closed stdout (`| head`) ends a run quietly
//! ([`crate::exit`]).

pub use crate::pyfmt;

pub mod attention;
pub mod data;
pub use data::{batch, data_file, read_csv, read_text, vocabulary};

use serde_json::{json, Map, Value};
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tapegrad::nn::safetensors_io::{write_atomic, TensorBytes};
use tapegrad::nn::{load_safetensors, Module, StateDict, StateDictError};
use tapegrad::prelude::*;

/// The flags every script has after its own: `--init FILE`, `--save-init FILE`, `--json`.
#[derive(clap::Args, Debug, Clone)]
pub struct InitArgs {
    /// Start from this PyTorch state dict (safetensors; PyTorch's names, buffers included),
    /// loaded strictly.
    #[arg(long, value_name = "FILE")]
    pub init: Option<PathBuf>,
    /// Write the starting state dict to FILE (safetensors, as PyTorch's `save_file` writes it).
    #[arg(long, value_name = "FILE")]
    pub save_init: Option<PathBuf>,
    /// Print one JSON line (`script`, `losses`, `metrics`, `samples`, `final`) instead of the
    /// progress lines.
    #[arg(long)]
    pub json: bool,
}

impl InitArgs {
    /// `if args.init: model.load_state_dict(load_file(args.init))` then `if args.save_init:
    /// save_file(model.state_dict(), args.save_init)`.
    pub fn apply(&self, model: &dyn Module) -> Result<(), ScriptError> {
        if let Some(path) = &self.init {
            let sd: StateDict = load_safetensors(path)?;
            model.load_state_dict(&sd).map_err(StateDictError::from)?;
        }
        if let Some(path) = &self.save_init {
            save_state_dict(&model.state_dict(), path)?;
        }
        Ok(())
    }
}

/// Whether a state-dict entry is a BatchNorm step counter, int64 in PyTorch's files.
fn is_counter(name: &str) -> bool {
    name.ends_with("num_batches_tracked")
}

/// Writes `sd` as PyTorch's `save_file` would (counters as int64), atomically.
pub fn save_state_dict(sd: &StateDict, path: &Path) -> Result<(), ScriptError> {
    let tensors: Vec<(String, TensorBytes)> = sd
        .iter()
        .map(|(n, t)| {
            let bytes = if is_counter(n) {
                TensorBytes::of(&t.long())
            } else {
                TensorBytes::of(t)
            };
            (n.to_string(), bytes)
        })
        .collect();
    let bytes = safetensors::serialize(tensors.iter().map(|(n, b)| (n.as_str(), b)), &None)
        .map_err(|e| ScriptError::Io(io::Error::other(format!("{}: {e}", path.display()))))?;
    write_atomic(path, &bytes)
        .map_err(|e| ScriptError::Io(io::Error::new(e.kind(), format!("{}: {e}", path.display()))))
}

/// `{k: v.reshape(-1).tolist() for k, v in state_dict.items()}` (counters as integers).
pub fn final_json(sd: &StateDict) -> Value {
    let map: Map<String, Value> = sd
        .iter()
        .map(|(n, t)| {
            let v = t.to_vec();
            let value = if is_counter(n) {
                json!(v.iter().map(|&x| x as i64).collect::<Vec<_>>())
            } else {
                json!(v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>())
            };
            (n.to_string(), value)
        })
        .collect();
    Value::Object(map)
}

/// f32 values as JSON numbers (widened to f64 exactly, as `loss.item()` is).
pub fn floats(values: &[f32]) -> Value {
    json!(values.iter().map(|&v| f64::from(v)).collect::<Vec<_>>())
}

/// Prints the `--json` line: `fields` (`script`, `variant`, `losses`, `metrics`, `samples`, in
/// the Python script's order) followed by `"final"`, the state dict after training.
pub fn print_json(fields: Value, final_state: &StateDict) -> io::Result<()> {
    let mut m = match fields {
        Value::Object(m) => m,
        other => Map::from_iter([("value".to_string(), other)]),
    };
    m.insert("final".into(), final_json(final_state));
    writeln!(io::stdout().lock(), "{}", Value::Object(m))
}

/// `--batches random|sequential`: random rows/offsets from the seeded generator, or the
/// scripts' fixed sequence that another framework can match number for number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Batches {
    /// `torch.randint` rows or offsets.
    Random,
    /// The script's deterministic sequence.
    Sequential,
}

/// A clap value parser for counts that must be at least 1.
pub fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// A clap value parser for probabilities in [0, 1) (dropout) or [0, 1] (label smoothing).
pub fn probability(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        Ok(p) => Err(format!("{p} is not in [0, 1]")),
        Err(e) => Err(e.to_string()),
    }
}

/// Why a script stopped.
#[derive(Debug)]
pub enum ScriptError {
    /// Flags that parse but do not fit together (exit code 2, as clap's usage errors).
    Usage(String),
    /// A missing or malformed data file.
    Data(String),
    /// An `--init` file that cannot be read or does not fit the model.
    Init(StateDictError),
    /// The optimizer or scheduler refused its settings.
    Optim(OptimError),
    /// Writing the output or `--save-init` failed.
    Io(io::Error),
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScriptError::Usage(m) | ScriptError::Data(m) => f.write_str(m),
            ScriptError::Init(e) => write!(f, "--init: {e}"),
            ScriptError::Optim(e) => write!(f, "{e}"),
            ScriptError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl From<StateDictError> for ScriptError {
    fn from(e: StateDictError) -> Self {
        ScriptError::Init(e)
    }
}
impl From<OptimError> for ScriptError {
    fn from(e: OptimError) -> Self {
        ScriptError::Optim(e)
    }
}
impl From<io::Error> for ScriptError {
    fn from(e: io::Error) -> Self {
        ScriptError::Io(e)
    }
}

impl std::error::Error for ScriptError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ScriptError::Usage(_) | ScriptError::Data(_) => None,
            ScriptError::Init(e) => Some(e),
            ScriptError::Optim(e) => Some(e),
            ScriptError::Io(e) => Some(e),
        }
    }
}

/// Runs a script's `run` and turns its result into the exit code: 0, 1, or 2 for
/// [`ScriptError::Usage`]; a closed stdout is a quiet success. Errors print as `error: …`.
/// First the script's thread joins the pool of threads that run parallel ops
/// ([`tapegrad::autograd::init_threads`], `RAYON_NUM_THREADS` of them, as PyTorch's
/// intra-op pool includes its caller).
pub fn main_with(run: impl FnOnce() -> Result<(), ScriptError>) -> ExitCode {
    // Fails only if a parallel op ran before, which cannot happen first thing in `main`; the
    // pool would then work as it is.
    let _ = tapegrad::autograd::init_threads(0);
    crate::exit::finish(run(), "error: ", |e| match e {
        ScriptError::Usage(_) => 2,
        _ => 1,
    })
}

/// The learning-rate factor of `LambdaLR` for a linear warm-up over `warmup` steps, then a
/// cosine decay to a tenth at `steps` (char_gpt's schedule).
pub fn warmup_cosine(
    warmup: usize,
    steps: usize,
) -> impl Fn(i64) -> f64 + Clone + Send + Sync + 'static {
    let (warmup, steps) = (warmup as f64, steps as f64);
    move |step: i64| {
        let step = step as f64;
        if step < warmup {
            return (step + 1.0) / warmup;
        }
        let progress = (step - warmup) / 1f64.max(steps - warmup);
        0.1 + 0.9 * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}
