//! [`OptimizerStateDict`]: an optimizer's `state_dict()`, and its conversion to and from named
//! tensors (for a safetensors checkpoint).

use crate::error::{saved_integer, OptimError, MAX_SAVED_COUNT};
use std::collections::HashMap;
use tapegrad_autograd::{DType, Element, Tensor};

/// The saved state of one parameter (`optimizer.state_dict()["state"][index]`).
#[derive(Clone, Debug)]
pub struct SavedParamState<T: Element = f32> {
    /// The parameter's position in the optimizer, counting across groups in order (PyTorch's
    /// integer key).
    pub index: usize,
    /// Its buffers by PyTorch name (`"step"` as a 0-d tensor, `"exp_avg"`, `"momentum_buffer"`,
    /// ...), copies independent of the optimizer.
    pub values: Vec<(String, Tensor<T>)>,
}

/// The saved hyper-parameters of one group (`optimizer.state_dict()["param_groups"][g]`).
#[derive(Clone, Debug, PartialEq)]
pub struct SavedParamGroup {
    /// The global indices of the group's parameters.
    pub params: Vec<usize>,
    /// `(name, value)` pairs, booleans as 0.0 / 1.0 (see
    /// [`GroupOptions::to_pairs`](crate::GroupOptions::to_pairs)).
    pub hyper: Vec<(String, f64)>,
}

/// `optimizer.state_dict()`: every per-parameter buffer and step count, and every group's
/// hyper-parameters, enough to resume training bit for bit.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Adam, AdamConfig, Optimizer, OptimizerStateDict};
/// let w: Tensor = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad_(true);
/// let mut opt = Adam::new(vec![w.clone()], AdamConfig::default()).unwrap();
/// (&w * &w).sum().backward();
/// opt.step();
/// let named = opt.state_dict().to_named_tensors();
/// assert!(named.iter().any(|(n, _)| n == "state.0.exp_avg"));
/// let back = OptimizerStateDict::from_named_tensors(&named).unwrap();
/// let mut fresh = Adam::new(vec![w.clone()], AdamConfig::default()).unwrap();
/// fresh.load_state_dict(&back).unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct OptimizerStateDict<T: Element = f32> {
    /// The optimizer's [`name`](crate::Optimizer::name) (`"Adam"`); empty when rebuilt from named
    /// tensors, which then skips the name check on load.
    pub optimizer: String,
    /// Per-parameter state, in index order; parameters never stepped have no entry.
    pub state: Vec<SavedParamState<T>>,
    /// Per-group hyper-parameters.
    pub param_groups: Vec<SavedParamGroup>,
}

/// How many `T` values hold one `f64` exactly: their sum, taken in `f64` in order, is the value.
fn parts<T: Element>() -> usize {
    match T::DTYPE {
        DType::F32 => 3,
        _ => 1,
    }
}

/// Splits `v` into `parts::<T>()` values whose `f64` sum is exactly `v` (24 + 24 + 24 bits cover
/// f64's 53 for f32).
fn encode<T: Element>(v: f64, out: &mut Vec<T>) {
    let mut rest = v;
    for k in 0..parts::<T>() {
        let p = T::from_f64(rest);
        out.push(p);
        rest = if rest.is_finite() {
            rest - p.as_f64()
        } else if k == 0 {
            0.0
        } else {
            rest
        };
    }
}

fn decode<T: Element>(xs: &[T]) -> f64 {
    xs.iter().fold(0.0, |acc, x| acc + x.as_f64())
}

impl<T: Element> OptimizerStateDict<T> {
    /// Flattens the state into named tensors, PyTorch's state-dict paths joined by dots:
    /// `state.<i>.<buffer>` (buffers and the 0-d `step`), `param_groups.<g>.params` (the indices)
    /// and `param_groups.<g>.<hyper>` for each hyper-parameter. Hyper-parameters are `f64`; to
    /// stay exact for `T = f32` each is stored as a 1-d tensor of 3 values whose `f64` sum is the
    /// value (1 value for `T = f64`).
    pub fn to_named_tensors(&self) -> Vec<(String, Tensor<T>)> {
        let mut out = Vec::new();
        for e in &self.state {
            for (name, t) in &e.values {
                out.push((format!("state.{}.{}", e.index, name), t.clone_tensor()));
            }
        }
        for (g, group) in self.param_groups.iter().enumerate() {
            let idx: Vec<T> = group
                .params
                .iter()
                .map(|&i| T::from_f64(i as f64))
                .collect();
            let n = idx.len();
            out.push((
                format!("param_groups.{g}.params"),
                Tensor::from_vec(idx, &[n]),
            ));
            for (name, v) in &group.hyper {
                let mut xs = Vec::new();
                encode(*v, &mut xs);
                let n = xs.len();
                out.push((
                    format!("param_groups.{g}.{name}"),
                    Tensor::from_vec(xs, &[n]),
                ));
            }
        }
        out
    }

    /// Rebuilds the state from [`OptimizerStateDict::to_named_tensors`]'s output (in any order).
    /// Unknown names or malformed entries are a [`OptimError::StateDict`].
    pub fn from_named_tensors(tensors: &[(String, Tensor<T>)]) -> Result<Self, OptimError> {
        let bad = |name: &str, why: &str| OptimError::StateDict(format!("entry '{name}': {why}"));
        let mut state: Vec<SavedParamState<T>> = Vec::new();
        let mut groups: Vec<(usize, SavedParamGroup)> = Vec::new();
        // Index -> position in `state` / `groups`, so that n entries take O(n).
        let mut state_at: HashMap<usize, usize> = HashMap::new();
        let mut group_at: HashMap<usize, usize> = HashMap::new();
        for (name, t) in tensors {
            let mut it = name.splitn(3, '.');
            let (kind, num, field) = match (it.next(), it.next(), it.next()) {
                (Some(k), Some(n), Some(f)) => (k, n, f),
                _ => return Err(bad(name, "expected '<state|param_groups>.<n>.<name>'")),
            };
            let num: usize = num
                .parse()
                .map_err(|_| bad(name, "index is not a number"))?;
            match kind {
                "state" => {
                    let pos = *state_at.entry(num).or_insert_with(|| {
                        state.push(SavedParamState {
                            index: num,
                            values: Vec::new(),
                        });
                        state.len() - 1
                    });
                    state[pos]
                        .values
                        .push((field.to_string(), t.clone_tensor()));
                }
                "param_groups" => {
                    let pos = *group_at.entry(num).or_insert_with(|| {
                        groups.push((
                            num,
                            SavedParamGroup {
                                params: Vec::new(),
                                hyper: Vec::new(),
                            },
                        ));
                        groups.len() - 1
                    });
                    let values = t.to_vec();
                    if field == "params" {
                        // Only the form is checked here (whole numbers, exact in f64); the range
                        // is checked against the optimizer's parameters on load.
                        groups[pos].1.params = values
                            .iter()
                            .map(|v| {
                                saved_integer(name, v.as_f64(), 0, MAX_SAVED_COUNT)
                                    .map(|i| i as usize)
                            })
                            .collect::<Result<_, _>>()?;
                    } else {
                        if values.len() != parts::<T>() {
                            return Err(bad(
                                name,
                                &format!(
                                    "a hyper-parameter holds {} values, expected {}",
                                    values.len(),
                                    parts::<T>()
                                ),
                            ));
                        }
                        groups[pos]
                            .1
                            .hyper
                            .push((field.to_string(), decode(&values)));
                    }
                }
                _ => return Err(bad(name, "expected 'state' or 'param_groups'")),
            }
        }
        state.sort_by_key(|e| e.index);
        groups.sort_by_key(|(g, _)| *g);
        for (k, (g, _)) in groups.iter().enumerate() {
            if *g != k {
                return Err(OptimError::StateDict(format!(
                    "param_groups are not numbered 0..{} (missing group {k})",
                    groups.len()
                )));
            }
        }
        Ok(OptimizerStateDict {
            optimizer: String::new(),
            state,
            param_groups: groups.into_iter().map(|(_, g)| g).collect(),
        })
    }
}
