//! [`StateDict`] (an ordered name → tensor map, like PyTorch's `OrderedDict`) and loading one
//! into a module with PyTorch's strict-mode checks ([`LoadError`]).

use std::collections::HashMap;
use std::fmt;
use tapegrad_autograd::{Element, Scalar, Tensor};

/// Parameters by name, in insertion order (`module.state_dict()`).
///
/// Lookups and insertions take constant time (a hash index beside the ordered entries), so
/// building or loading a state dict of n tensors takes O(n).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::StateDict;
/// let mut sd = StateDict::new();
/// sd.insert("w", Tensor::<f32>::zeros(&[2]));
/// sd.insert("b", Tensor::<f32>::ones(&[1]));
/// assert_eq!(sd.keys(), ["w", "b"]);
/// assert_eq!(sd.get("b").unwrap().to_vec(), [1.0]);
/// assert!(sd.get("x").is_none());
/// ```
#[derive(Clone)]
pub struct StateDict<T: Scalar = f32> {
    entries: Vec<(String, Tensor<T>)>,
    /// Position of each name in `entries`.
    index: HashMap<String, usize>,
}

impl<T: Scalar> Default for StateDict<T> {
    fn default() -> Self {
        StateDict::new()
    }
}

impl<T: Scalar> StateDict<T> {
    /// An empty state dict.
    pub fn new() -> Self {
        StateDict {
            entries: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Adds `name`, or replaces its tensor in place in the order if present.
    pub fn insert(&mut self, name: impl Into<String>, tensor: Tensor<T>) {
        let name = name.into();
        match self.index.get(&name) {
            Some(&i) => self.entries[i].1 = tensor,
            None => {
                self.index.insert(name.clone(), self.entries.len());
                self.entries.push((name, tensor));
            }
        }
    }

    /// The tensor stored under `name`.
    pub fn get(&self, name: &str) -> Option<&Tensor<T>> {
        self.index.get(name).map(|&i| &self.entries[i].1)
    }

    /// Removes and returns the tensor stored under `name` (the others keep their order).
    pub fn remove(&mut self, name: &str) -> Option<Tensor<T>> {
        let i = self.index.remove(name)?;
        let (_, tensor) = self.entries.remove(i);
        for (n, _) in &self.entries[i..] {
            *self.index.get_mut(n).expect("every entry is indexed") -= 1;
        }
        Some(tensor)
    }

    /// The names, in order.
    pub fn keys(&self) -> Vec<&str> {
        self.entries.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// `(name, tensor)` pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Tensor<T>)> {
        self.entries.iter().map(|(n, t)| (n.as_str(), t))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether `name` is present.
    pub fn contains_key(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    /// The entries holding NaN or ±inf, in order, each with its number of such values. Weights
    /// like these make every result computed from them meaningless: check a loaded file with it
    /// before evaluating.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::StateDict;
    /// let mut sd = StateDict::new();
    /// sd.insert("w", Tensor::<f32>::from_vec(vec![1.0, f32::NAN, f32::INFINITY], &[3]));
    /// sd.insert("b", Tensor::<f32>::zeros(&[1]));
    /// assert_eq!(sd.non_finite(), [("w", 2)]);
    /// ```
    pub fn non_finite(&self) -> Vec<(&str, usize)> {
        self.entries
            .iter()
            .filter_map(|(n, t)| {
                let bad = t
                    .to_vec()
                    .iter()
                    .filter(|v| !v.as_f64().is_finite())
                    .count();
                (bad > 0).then_some((n.as_str(), bad))
            })
            .collect()
    }
}

impl<T: Scalar> FromIterator<(String, Tensor<T>)> for StateDict<T> {
    fn from_iter<I: IntoIterator<Item = (String, Tensor<T>)>>(iter: I) -> Self {
        let mut sd = StateDict::new();
        for (n, t) in iter {
            sd.insert(n, t);
        }
        sd
    }
}

impl<T: Scalar> IntoIterator for StateDict<T> {
    type Item = (String, Tensor<T>);
    type IntoIter = std::vec::IntoIter<(String, Tensor<T>)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<T: Scalar> fmt::Debug for StateDict<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(n, t)| (n, t.shape().to_vec())))
            .finish()
    }
}

/// A parameter whose checkpoint shape differs from the model's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizeMismatch {
    /// The parameter name.
    pub name: String,
    /// Its shape in the state dict being loaded.
    pub checkpoint: Vec<usize>,
    /// Its shape in the model.
    pub model: Vec<usize>,
}

/// Everything wrong with a state dict for a module, reported at once (PyTorch's
/// `Error(s) in loading state_dict for ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The module's type name.
    pub module: String,
    /// Model parameters absent from the state dict (empty in non-strict mode).
    pub missing_keys: Vec<String>,
    /// State-dict entries the model has no parameter for (empty in non-strict mode).
    pub unexpected_keys: Vec<String>,
    /// Parameters whose shapes differ.
    pub size_mismatches: Vec<SizeMismatch>,
}

fn quoted(keys: &[String]) -> String {
    keys.iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for LoadError {
    /// Worded as PyTorch's `RuntimeError` (shapes written as lists).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error(s) in loading state_dict for {}:", self.module)?;
        if !self.missing_keys.is_empty() {
            write!(
                f,
                "\n\tMissing key(s) in state_dict: {}. ",
                quoted(&self.missing_keys)
            )?;
        }
        if !self.unexpected_keys.is_empty() {
            write!(
                f,
                "\n\tUnexpected key(s) in state_dict: {}. ",
                quoted(&self.unexpected_keys)
            )?;
        }
        for m in &self.size_mismatches {
            write!(
                f,
                "\n\tsize mismatch for {}: copying a param with shape {:?} from checkpoint, \
                 the shape in current model is {:?}.",
                m.name, m.checkpoint, m.model
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// The keys a non-strict load skipped (`_IncompatibleKeys`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IncompatibleKeys {
    /// Model parameters the state dict did not contain (left unchanged).
    pub missing_keys: Vec<String>,
    /// State-dict entries the model has no parameter for (ignored).
    pub unexpected_keys: Vec<String>,
}

/// PyTorch's `load_state_dict` check of `state_dict` against a module's state tensors
/// (`params`: [`Module::state_tensors`](crate::Module::state_tensors), duplicates kept, so
/// both names of a tied weight are expected), without copying anything: mis-shaped keys are
/// always an error, missing and unexpected keys only when `strict`. The one check behind
/// [`Module::load_state_dict`](crate::Module::load_state_dict), its non-strict form and
/// [`Module::check_state_dict`](crate::Module::check_state_dict).
pub fn check_state_dict<T: Element>(
    module: &str,
    params: &[(String, Tensor<T>)],
    state_dict: &StateDict<T>,
    strict: bool,
) -> Result<IncompatibleKeys, LoadError> {
    let model: HashMap<&str, &Tensor<T>> = params.iter().map(|(n, t)| (n.as_str(), t)).collect();
    let missing: Vec<String> = params
        .iter()
        .filter(|(n, _)| !state_dict.contains_key(n))
        .map(|(n, _)| n.clone())
        .collect();
    let unexpected: Vec<String> = state_dict
        .keys()
        .into_iter()
        .filter(|k| !model.contains_key(k))
        .map(str::to_string)
        .collect();
    let size_mismatches: Vec<SizeMismatch> = state_dict
        .iter()
        .filter_map(|(name, src)| {
            let dst = model.get(name)?;
            (src.shape() != dst.shape()).then(|| SizeMismatch {
                name: name.to_string(),
                checkpoint: src.shape().to_vec(),
                model: dst.shape().to_vec(),
            })
        })
        .collect();
    let failed =
        !size_mismatches.is_empty() || (strict && !(missing.is_empty() && unexpected.is_empty()));
    if failed {
        return Err(LoadError {
            module: module.to_string(),
            missing_keys: if strict { missing } else { vec![] },
            unexpected_keys: if strict { unexpected } else { vec![] },
            size_mismatches,
        });
    }
    Ok(IncompatibleKeys {
        missing_keys: missing,
        unexpected_keys: unexpected,
    })
}

/// [`check_state_dict`], then copies the values in place.
pub(crate) fn load_into<T: Element>(
    module: &str,
    params: Vec<(String, Tensor<T>)>,
    state_dict: &StateDict<T>,
    strict: bool,
) -> Result<IncompatibleKeys, LoadError> {
    let keys = check_state_dict(module, &params, state_dict, strict)?;
    let model: HashMap<&str, &Tensor<T>> = params.iter().map(|(n, t)| (n.as_str(), t)).collect();
    for (name, src) in state_dict.iter() {
        let Some(dst) = model.get(name) else { continue };
        if src.same(dst) {
            continue;
        }
        let values = src.to_array();
        dst.data_mut().assign(&values);
    }
    Ok(keys)
}
