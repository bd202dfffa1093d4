//! Training checkpoints that resume exactly: model, optimizer, scheduler, epoch and random
//! generators in one safetensors file.
//!
//! A [`Checkpoint`] holds everything a training loop's future depends on:
//!
//! | what | stored as |
//! | --- | --- |
//! | the model's state dict | tensors `model.<name>` (PyTorch's names after the prefix), metadata `model.order` (the names in order, one per line) |
//! | the optimizer's state ([`OptimizerStateDict::to_named_tensors`]) | tensors `optimizer.<name>`, metadata `optimizer.name` |
//! | the LR scheduler's state | metadata `scheduler.<name>` (exact decimal `f64`) |
//! | the number of finished epochs | metadata `epoch` |
//! | the process-wide generator ([`rng_state`]) | metadata `rng.state`: the 5056 bytes of PyTorch's `torch.get_rng_state()` layout ([`RngState::to_bytes`]) in hex |
//! | the `DataLoader`'s own generator | metadata `loader_rng.state`, as above |
//! | your own strings (recipe, seeds, ...) | metadata `extra.<key>` |
//!
//! plus `format = pt` and `tapegrad.checkpoint = 2`. (Layout 1, written before tapegrad used
//! PyTorch's Mersenne Twister, stored a ChaCha8 position; such files are refused with a
//! [`CheckpointError::NotACheckpoint`] naming the layout, as that generator state no longer
//! exists. Their model weights still load with `Module::load`.) Writes are atomic (a temporary file in the
//! same directory, then a rename), so an interrupted save leaves the previous checkpoint intact.
//! Loading never panics: a missing, truncated, corrupt or foreign file, a wrong dtype or a
//! checkpoint of another model is a [`CheckpointError`] naming the file and the problem; a
//! model mismatch lists the missing, unexpected and mis-shaped keys.
//!
//! ```
//! use tapegrad_autograd::Tensor;
//! use tapegrad_nn::{Linear, Module};
//! use tapegrad_optim::{Adam, AdamConfig, Optimizer};
//! use tapegrad_train::checkpoint::{Checkpoint, TrainingState};
//!
//! let path = std::env::temp_dir().join(format!("tapegrad-ckpt-doc-{}.safetensors", std::process::id()));
//! let lin = Linear::new(2, 1);
//! let mut opt = Adam::new(lin.parameters(), AdamConfig::default()).unwrap();
//! let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]);
//! lin.forward(&x).sum().backward();
//! opt.step();
//! let state = TrainingState { model: &lin, optimizer: Some(&opt), scheduler: None, loader: None };
//! Checkpoint::capture(&state, 1).save(&path).unwrap();
//!
//! // later, in a fresh process: build the same objects, then restore
//! let lin2 = Linear::new(2, 1);
//! let mut opt2 = Adam::new(lin2.parameters(), AdamConfig::default()).unwrap();
//! let ckpt = Checkpoint::<f32>::load(&path).unwrap();
//! let epoch = ckpt.restore(&lin2, Some(&mut opt2), None, None).unwrap();
//! assert_eq!((epoch, lin2.weight.to_vec()), (1, lin.weight.to_vec()));
//! # std::fs::remove_file(&path).unwrap();
//! ```

use safetensors::tensor::SafeTensorError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tapegrad_autograd::{rng_state, set_rng_state, Element, RngState};
use tapegrad_nn::data::ShuffleState;
use tapegrad_nn::safetensors_io::{
    read_metadata, read_safetensors_bytes, read_tensors, safetensors_dtype, write_atomic,
    TensorBytes,
};
use tapegrad_nn::{LoadError, Module, StateDict, StateDictError};
use tapegrad_optim::{LRScheduler, OptimError, Optimizer, OptimizerStateDict, SchedulerStateDict};

/// The metadata key (and value) that marks a file as a tapegrad checkpoint of this layout.
pub const CHECKPOINT_KEY: &str = "tapegrad.checkpoint";
/// The layout version written in [`CHECKPOINT_KEY`].
pub const CHECKPOINT_VERSION: &str = "2";
/// The largest epoch count a checkpoint holds: 2^53 − 1, the limit of the counters stored
/// beside it (the optimizer's steps, the scheduler's epochs), far beyond any real run. A larger
/// `epoch` is refused rather than wrapped or saturated into a meaningless resume point.
pub const MAX_EPOCH: u64 = (1 << 53) - 1;

/// Why a checkpoint could not be saved, read or restored. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The file could not be opened, read, written or renamed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is shorter than the 8-byte header length of every safetensors file.
    #[error("{}: not a checkpoint: {len} bytes, shorter than the 8-byte safetensors header length", path.display())]
    TooShort {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: u64,
    },
    /// The header length in the file exceeds the file (truncated or not safetensors).
    #[error("{}: corrupt checkpoint: header length {header_len} exceeds the {file_len}-byte file (truncated or not a safetensors file)", path.display())]
    HeaderTooLarge {
        /// The file.
        path: PathBuf,
        /// The declared header length.
        header_len: u64,
        /// The file's length.
        file_len: u64,
    },
    /// The safetensors library rejected the file (bad JSON, not UTF-8, bad offsets, ...).
    #[error("{}: corrupt checkpoint: {source:?}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// The safetensors error.
        source: SafeTensorError,
    },
    /// A valid safetensors file that is not a tapegrad checkpoint (no or another
    /// [`CHECKPOINT_KEY`]), e.g. a bare model state dict.
    #[error("{}: not a tapegrad checkpoint ({reason}); a model's weights load with Module::load instead", path.display())]
    NotACheckpoint {
        /// The file.
        path: PathBuf,
        /// What is missing or different.
        reason: String,
    },
    /// A metadata entry is missing or does not parse.
    #[error("{}: checkpoint metadata \"{key}\": {reason}", path.display())]
    Metadata {
        /// The file.
        path: PathBuf,
        /// The metadata key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A tensor has another dtype than the model's elements.
    #[error("{}: tensor \"{tensor}\" has dtype {found}, expected {expected}", path.display())]
    WrongDtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
        /// The dtype in the file.
        found: String,
        /// The dtype needed.
        expected: String,
    },
    /// A tensor name outside the `model.` / `optimizer.` sections.
    #[error("{}: unexpected tensor \"{tensor}\" (checkpoint tensors start with \"model.\" or \"optimizer.\")", path.display())]
    UnexpectedTensor {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        tensor: String,
    },
    /// The checkpoint's model does not fit the model being restored (PyTorch's
    /// `Error(s) in loading state_dict`: missing, unexpected and mis-shaped keys).
    #[error("{}: the checkpoint does not fit this model: {source}", path.display())]
    IncompatibleModel {
        /// The file.
        path: PathBuf,
        /// The keys that do not match.
        source: LoadError,
    },
    /// The optimizer state does not fit the optimizer (or is missing / unexpected).
    #[error("{}: optimizer: {reason}", path.display())]
    Optimizer {
        /// The file.
        path: PathBuf,
        /// What does not fit.
        reason: String,
    },
    /// The scheduler state does not fit the scheduler (or is missing / unexpected).
    #[error("{}: scheduler: {reason}", path.display())]
    Scheduler {
        /// The file.
        path: PathBuf,
        /// What does not fit.
        reason: String,
    },
    /// The data loader's shuffling state is missing, or present for a loader that does not
    /// shuffle.
    #[error("{}: data loader: {reason}", path.display())]
    Loader {
        /// The file.
        path: PathBuf,
        /// What does not fit.
        reason: String,
    },
}

impl CheckpointError {
    /// The checkpoint's name for an error of nn's safetensors reader.
    fn from_read(e: StateDictError) -> Self {
        match e {
            StateDictError::Format { path, source } => CheckpointError::Format { path, source },
            StateDictError::WrongDtype {
                path,
                tensor,
                found,
                expected,
            } => CheckpointError::WrongDtype {
                path,
                tensor,
                found,
                expected,
            },
            StateDictError::Io { path, source } => CheckpointError::Io { path, source },
            StateDictError::TooShort { path, len } => CheckpointError::TooShort { path, len },
            StateDictError::HeaderTooLarge {
                path,
                header_len,
                file_len,
            } => CheckpointError::HeaderTooLarge {
                path,
                header_len,
                file_len,
            },
            other => CheckpointError::Io {
                path: PathBuf::new(),
                source: std::io::Error::other(other.to_string()),
            },
        }
    }
}

/// The live objects of a training run, borrowed for [`Checkpoint::capture`].
pub struct TrainingState<'a, T: Element = f32> {
    /// The model.
    pub model: &'a dyn Module<T>,
    /// The optimizer, if any.
    pub optimizer: Option<&'a dyn Optimizer<T>>,
    /// The learning-rate scheduler, if any.
    pub scheduler: Option<&'a dyn LRScheduler<T>>,
    /// The (shuffling) data loader, if any.
    pub loader: Option<&'a dyn ShuffleState>,
}

/// Everything needed to continue a training run exactly where it stopped (see the module
/// documentation for the file layout).
#[derive(Clone, Debug)]
pub struct Checkpoint<T: Element = f32> {
    /// The model's parameters.
    pub model: StateDict<T>,
    /// The optimizer's state.
    pub optimizer: Option<OptimizerStateDict<T>>,
    /// The LR scheduler's state.
    pub scheduler: Option<SchedulerStateDict>,
    /// Epochs finished when the checkpoint was taken.
    pub epoch: u64,
    /// The process-wide random generator.
    pub rng: RngState,
    /// The data loader's shuffling generator.
    pub loader_rng: Option<RngState>,
    /// Free-form strings (e.g. the recipe), stored as metadata `extra.<key>`, sorted by key.
    pub extra: Vec<(String, String)>,
    /// The file this checkpoint was loaded from (named in restore errors); empty otherwise.
    pub source: PathBuf,
}

impl<T: Element> Checkpoint<T> {
    /// Takes a snapshot of `state` after `epoch` finished epochs, including the process-wide
    /// generator's current position.
    pub fn capture(state: &TrainingState<'_, T>, epoch: u64) -> Self {
        Checkpoint {
            model: state.model.state_dict(),
            optimizer: state.optimizer.map(|o| o.state_dict()),
            scheduler: state.scheduler.map(|s| s.state_dict()),
            epoch,
            rng: rng_state(),
            loader_rng: state.loader.and_then(|l| l.shuffle_state()),
            extra: Vec::new(),
            source: PathBuf::new(),
        }
    }

    /// Adds (or replaces) a free-form string, builder style.
    pub fn with_extra(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        self.extra.retain(|(k, _)| *k != key);
        self.extra.push((key, value.into()));
        self.extra.sort();
        self
    }

    /// The free-form string stored under `key`.
    pub fn extra(&self, key: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Writes the checkpoint to `path` atomically (temporary file in the same directory, then
    /// rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), CheckpointError> {
        let path = path.as_ref();
        if self.epoch > MAX_EPOCH {
            return Err(CheckpointError::Metadata {
                path: path.to_path_buf(),
                key: "epoch".into(),
                reason: epoch_out_of_range(self.epoch),
            });
        }
        let mut tensors: Vec<(String, TensorBytes)> = Vec::new();
        for (name, t) in self.model.iter() {
            tensors.push((format!("model.{name}"), TensorBytes::of(t)));
        }
        let mut meta: HashMap<String, String> = HashMap::new();
        meta.insert("format".into(), "pt".into());
        meta.insert(CHECKPOINT_KEY.into(), CHECKPOINT_VERSION.into());
        meta.insert("dtype".into(), format!("{:?}", safetensors_dtype(T::DTYPE)));
        meta.insert("epoch".into(), self.epoch.to_string());
        meta.insert("model.order".into(), self.model.keys().join("\n"));
        if let Some(opt) = &self.optimizer {
            meta.insert("optimizer.name".into(), opt.optimizer.clone());
            for (name, t) in opt.to_named_tensors() {
                tensors.push((format!("optimizer.{name}"), TensorBytes::of(&t)));
            }
        }
        if let Some(s) = &self.scheduler {
            meta.insert("scheduler".into(), "1".into());
            for (k, v) in &s.values {
                meta.insert(format!("scheduler.{k}"), format!("{v:?}"));
            }
        }
        put_rng(&mut meta, "rng", &self.rng);
        if let Some(r) = &self.loader_rng {
            put_rng(&mut meta, "loader_rng", r);
        }
        for (k, v) in &self.extra {
            meta.insert(format!("extra.{k}"), v.clone());
        }
        let bytes =
            safetensors::serialize(tensors.iter().map(|(n, b)| (n.as_str(), b)), &Some(meta))
                .map_err(|source| CheckpointError::Format {
                    path: path.to_path_buf(),
                    source,
                })?;
        write_atomic(path, &bytes).map_err(|source| CheckpointError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads a checkpoint written by [`Checkpoint::save`]. Checks the header length against the
    /// file size before reading the rest, so a corrupt length cannot make it allocate more than
    /// the file's size; every tensor must have dtype `T`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, CheckpointError> {
        let path = path.as_ref();
        let buffer = read_safetensors_bytes(path).map_err(CheckpointError::from_read)?;
        Self::from_bytes(&buffer, path)
    }

    /// [`Checkpoint::load`] from bytes in memory; `path` only names the source in errors.
    pub fn from_bytes(buffer: &[u8], path: impl AsRef<Path>) -> Result<Self, CheckpointError> {
        let path = path.as_ref();
        let p = || path.to_path_buf();
        let map = read_metadata(buffer, path).map_err(CheckpointError::from_read)?;
        let meta = Meta { path, map };
        match meta.map.get(CHECKPOINT_KEY).map(String::as_str) {
            Some(CHECKPOINT_VERSION) => {}
            Some(v) => {
                let why = if v == "1" {
                    " (layout 1 holds the ChaCha8 generator state of tapegrad before it used \
                     PyTorch's Mersenne Twister, which cannot be restored)"
                } else {
                    ""
                };
                return Err(CheckpointError::NotACheckpoint {
                    path: p(),
                    reason: format!(
                        "layout version {v:?}{why}, this build reads {CHECKPOINT_VERSION:?}"
                    ),
                });
            }
            None => {
                return Err(CheckpointError::NotACheckpoint {
                    path: p(),
                    reason: format!("no \"{CHECKPOINT_KEY}\" metadata"),
                })
            }
        }
        let tensors = read_tensors::<T>(buffer, path, true).map_err(CheckpointError::from_read)?;
        let mut model = StateDict::new();
        let mut opt_tensors = Vec::new();
        for (name, tensor) in tensors {
            if let Some(n) = name.strip_prefix("model.") {
                model.insert(n, tensor);
            } else if let Some(n) = name.strip_prefix("optimizer.") {
                opt_tensors.push((n.to_string(), tensor));
            } else {
                return Err(CheckpointError::UnexpectedTensor {
                    path: p(),
                    tensor: name,
                });
            }
        }
        if let Some(order) = meta.map.get("model.order") {
            // the file stores tensors sorted by name; put the model's own order back
            let names: Vec<&str> = order.split('\n').filter(|n| !n.is_empty()).collect();
            if names.len() == model.len() && names.iter().all(|n| model.contains_key(n)) {
                let mut ordered = StateDict::new();
                for n in names {
                    ordered.insert(n, model.get(n).expect("checked above").clone());
                }
                if ordered.len() == model.len() {
                    model = ordered;
                }
            }
        }
        let optimizer = match meta.map.get("optimizer.name") {
            Some(name) => {
                let mut state =
                    OptimizerStateDict::from_named_tensors(&opt_tensors).map_err(|e| {
                        CheckpointError::Optimizer {
                            path: p(),
                            reason: e.to_string(),
                        }
                    })?;
                state.optimizer = name.clone();
                Some(state)
            }
            None if opt_tensors.is_empty() => None,
            None => {
                return Err(meta.error(
                    "optimizer.name",
                    "missing, but optimizer tensors are present",
                ))
            }
        };
        let scheduler = if meta.map.contains_key("scheduler") {
            let mut values: Vec<(String, f64)> = Vec::new();
            for (k, v) in &meta.map {
                if let Some(name) = k.strip_prefix("scheduler.") {
                    values.push((name.to_string(), meta.parse_f64(k, v)?));
                }
            }
            values.sort_by(|a, b| a.0.cmp(&b.0));
            Some(SchedulerStateDict { values })
        } else {
            None
        };
        let mut extra: Vec<(String, String)> = meta
            .map
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("extra.").map(|k| (k.to_string(), v.clone())))
            .collect();
        extra.sort();
        Ok(Checkpoint {
            model,
            optimizer,
            scheduler,
            epoch: meta.epoch()?,
            rng: meta.rng("rng")?,
            loader_rng: if meta.map.contains_key("loader_rng.state") {
                Some(meta.rng("loader_rng")?)
            } else {
                None
            },
            extra,
            source: p(),
        })
    }

    /// Puts the saved state back into freshly built objects of the same shape and returns the
    /// number of finished epochs (continue training at that epoch). Also restores the
    /// process-wide generator. On error the model, optimizer, scheduler, loader and generator
    /// are left as they were (the model is checked first, and an optimizer or scheduler that
    /// refuses its state is rolled back); a model mismatch names every mismatched key.
    pub fn restore(
        &self,
        model: &dyn Module<T>,
        optimizer: Option<&mut dyn Optimizer<T>>,
        scheduler: Option<&mut dyn LRScheduler<T>>,
        loader: Option<&mut dyn ShuffleState>,
    ) -> Result<u64, CheckpointError> {
        let p = || self.source.clone();
        // Check the model without changing it: nn's strict check, nothing copied.
        model
            .check_state_dict(&self.model)
            .map_err(|source| CheckpointError::IncompatibleModel { path: p(), source })?;
        match (&loader, &self.loader_rng) {
            (Some(l), None) if l.shuffle_state().is_some() => {
                return Err(CheckpointError::Loader {
                    path: p(),
                    reason: "the checkpoint has no shuffling state, but this loader shuffles"
                        .into(),
                })
            }
            (Some(l), Some(_)) if l.shuffle_state().is_none() => {
                return Err(CheckpointError::Loader {
                    path: p(),
                    reason:
                        "the checkpoint has a shuffling state, but this loader does not shuffle"
                            .into(),
                })
            }
            _ => {}
        }
        let opt_err = |e: OptimError| CheckpointError::Optimizer {
            path: p(),
            reason: e.to_string(),
        };
        let old_opt = match (&optimizer, &self.optimizer) {
            (Some(o), Some(_)) => Some(o.state_dict()),
            (Some(_), None) => {
                return Err(CheckpointError::Optimizer {
                    path: p(),
                    reason: "the checkpoint has no optimizer state".into(),
                })
            }
            _ => None,
        };
        if scheduler.is_some() && self.scheduler.is_none() {
            return Err(CheckpointError::Scheduler {
                path: p(),
                reason: "the checkpoint has no scheduler state".into(),
            });
        }
        let mut optimizer = optimizer;
        if let (Some(o), Some(s)) = (optimizer.as_deref_mut(), &self.optimizer) {
            if let Err(e) = o.load_state_dict(s) {
                if let Some(old) = &old_opt {
                    let _ = o.load_state_dict(old);
                }
                return Err(opt_err(e));
            }
        }
        if let (Some(sch), Some(s)) = (scheduler, &self.scheduler) {
            let old = sch.state_dict();
            if let Err(e) = sch.load_state_dict(s) {
                let _ = sch.load_state_dict(&old);
                if let (Some(o), Some(old)) = (optimizer, &old_opt) {
                    let _ = o.load_state_dict(old);
                }
                return Err(CheckpointError::Scheduler {
                    path: p(),
                    reason: e.to_string(),
                });
            }
        }
        model
            .load_state_dict(&self.model)
            .map_err(|source| CheckpointError::IncompatibleModel { path: p(), source })?;
        if let (Some(l), Some(r)) = (loader, &self.loader_rng) {
            l.set_shuffle_state(r.clone());
        }
        set_rng_state(self.rng.clone());
        Ok(self.epoch)
    }
}

/// The checkpoint's string metadata, with typed parsing errors.
struct Meta<'a> {
    path: &'a Path,
    map: HashMap<String, String>,
}

impl Meta<'_> {
    fn error(&self, key: &str, reason: impl Into<String>) -> CheckpointError {
        CheckpointError::Metadata {
            path: self.path.to_path_buf(),
            key: key.to_string(),
            reason: reason.into(),
        }
    }

    fn get(&self, key: &str) -> Result<&str, CheckpointError> {
        self.map
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| self.error(key, "missing"))
    }

    fn parse<V: std::str::FromStr>(&self, key: &str) -> Result<V, CheckpointError> {
        let v = self.get(key)?;
        v.parse().map_err(|_| {
            self.error(
                key,
                format!("{:?} is not a {}", short(v), std::any::type_name::<V>()),
            )
        })
    }

    /// The number of finished epochs, at most [`MAX_EPOCH`].
    fn epoch(&self) -> Result<u64, CheckpointError> {
        let epoch: u64 = self.parse("epoch")?;
        if epoch > MAX_EPOCH {
            return Err(self.error("epoch", epoch_out_of_range(epoch)));
        }
        Ok(epoch)
    }

    fn parse_f64(&self, key: &str, v: &str) -> Result<f64, CheckpointError> {
        v.parse()
            .map_err(|_| self.error(key, format!("{:?} is not a number", short(v))))
    }

    fn rng(&self, prefix: &str) -> Result<RngState, CheckpointError> {
        let key = format!("{prefix}.state");
        let hex = self.get(&key)?;
        let want = 2 * tapegrad_autograd::rng::STATE_BYTES;
        if hex.len() != want || !hex.is_ascii() {
            return Err(self.error(&key, format!("expected {want} hexadecimal digits")));
        }
        let bytes = (0..hex.len() / 2)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16))
            .collect::<Result<Vec<u8>, _>>()
            .map_err(|_| self.error(&key, format!("expected {want} hexadecimal digits")))?;
        RngState::from_bytes(&bytes).map_err(|e| self.error(&key, e.to_string()))
    }
}

fn put_rng(meta: &mut HashMap<String, String>, prefix: &str, r: &RngState) {
    let hex: String = r.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    meta.insert(format!("{prefix}.state"), hex);
}

fn epoch_out_of_range(epoch: u64) -> String {
    format!(
        "{epoch} is not a number of finished epochs (at most 2^53-1 = {MAX_EPOCH}); the file is \
         corrupt or was edited"
    )
}

fn short(s: &str) -> String {
    s.chars().take(40).collect()
}
