//! What the six ported PyTorch training scripts (`polynomial`, `moons`, `digits_cnn`,
//! `names_mlp`, `char_gpt`, `names_rnn`; the originals are in `../shared/scripts/`) share:
//! the `--init` / `--save-init` / `--json` flags, loading and saving PyTorch state dicts, the
//! `--json` line, reading data files, and one error type whose exit code is 2 for a usage
//! error (as clap's) and 1 for anything else. A closed stdout (`| head`) ends a run quietly
//! ([`crate::exit`]).

pub use crate::pyfmt;

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

/// The sorted distinct characters of `text` (`sorted(set(text))`): the vocabulary, a
/// character's index its token.
pub fn vocabulary(text: &str) -> Vec<char> {
    let mut chars: Vec<char> = text.chars().collect();
    chars.sort_unstable();
    chars.dedup();
    chars
}

/// The batch of `char_gpt.py` and `names_rnn.py`: `b` windows of `t` tokens of `d` and the
/// same windows shifted by one (the targets), starting at `((step·b + j)·97) % (len(d) − t)`
/// (`sequential`) or at `torch.randint(len(d) − t, (b,))`. `d` must be longer than `t`.
pub fn batch(
    d: &[i64],
    b: usize,
    t: usize,
    step: usize,
    sequential: bool,
) -> (Tensor<i64>, Tensor<i64>) {
    let ix: Vec<usize> = if sequential {
        (0..b)
            .map(|j| ((step * b + j) * 97) % (d.len() - t))
            .collect()
    } else {
        let ix = Tensor::randint(0, (d.len() - t) as i64, &[b]).to_vec();
        ix.iter().map(|&i| i as usize).collect()
    };
    let rows = |off: usize| {
        ix.iter()
            .flat_map(|&i| d[i + off..i + off + t].to_vec())
            .collect()
    };
    (
        Tensor::from_vec(rows(0), &[b, t]),
        Tensor::from_vec(rows(1), &[b, t]),
    )
}

/// A data file's text (`open(path).read()`), the error naming the file.
pub fn read_text(path: &Path) -> Result<String, ScriptError> {
    std::fs::read_to_string(path).map_err(|e| ScriptError::Data(format!("{}: {e}", path.display())))
}

/// A numeric CSV file with a header line: the values of the `columns` (by header name; all
/// columns if `columns` is empty) of every row, as f32 (`float(r[...])`). Missing columns, short rows and non-numbers are errors
/// naming the file and line.
pub fn read_csv(path: &Path, columns: &[&str]) -> Result<Vec<Vec<f32>>, ScriptError> {
    let text = read_text(path)?;
    let bad = |line: usize, msg: String| {
        ScriptError::Data(format!("{}: line {line}: {msg}", path.display()))
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header: Vec<&str> = match lines.next() {
        Some((_, h)) => h.split(',').map(str::trim).collect(),
        None => {
            return Err(ScriptError::Data(format!(
                "{}: empty file, expected a CSV header",
                path.display()
            )))
        }
    };
    let all: Vec<&str> = if columns.is_empty() {
        header.clone()
    } else {
        columns.to_vec()
    };
    let index = all
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h == c)
                .ok_or_else(|| bad(1, format!("no column {c:?} in the header")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let rows = lines
        .map(|(i, line)| {
            let fields: Vec<&str> = line.split(',').map(str::trim).collect();
            if fields.len() != header.len() {
                return Err(bad(
                    i + 1,
                    format!("{} fields, the header has {}", fields.len(), header.len()),
                ));
            }
            let parse = |&j: &usize| {
                fields[j]
                    .parse::<f32>()
                    .map_err(|_| bad(i + 1, format!("{:?} is not a number", fields[j])))
            };
            index.iter().map(parse).collect()
        })
        .collect::<Result<Vec<Vec<f32>>, _>>()?;
    if rows.is_empty() {
        return Err(ScriptError::Data(format!(
            "{}: no data rows",
            path.display()
        )));
    }
    Ok(rows)
}

/// The repo's copy of a data file (`data/<name>`, two folders above this crate's), the default
/// of `--data`.
pub fn data_file(name: &str) -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = crate_dir.ancestors().nth(2).unwrap_or(crate_dir);
    repo.join("data").join(name)
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
pub fn main_with(run: impl FnOnce() -> Result<(), ScriptError>) -> ExitCode {
    crate::exit::finish(run(), "error: ", |e| match e {
        ScriptError::Usage(_) => 2,
        _ => 1,
    })
}
