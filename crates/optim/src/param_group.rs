//! [`ParamGroup`]: a list of parameters sharing one set of hyper-parameters, as an entry of
//! PyTorch's `optimizer.param_groups`, and [`Hyperparameters`], what every optimizer's config
//! offers the machinery: its values by PyTorch name.
//!
//! This file knows no optimizer: a group is generic over its config type, so a group of an
//! [`Adam`](crate::Adam) holds an [`AdamConfig`](crate::AdamConfig) and nothing else.

use crate::error::OptimError;
use tapegrad_autograd::{Element, Tensor};

/// One hyper-parameter of a config, borrowed by [`Hyperparameters::fields`].
#[derive(Debug)]
pub enum Hyper<'a> {
    /// A number (`lr`, `eps`, `beta1`, ...).
    Float(&'a mut f64),
    /// A flag (`maximize`, `amsgrad`, ...), saved as 0.0 / 1.0.
    Bool(&'a mut bool),
    /// A flag the optimizer fixes (AdamW's `decoupled_weight_decay = True`): saved like a
    /// [`Hyper::Bool`], and a saved value must equal it.
    Fixed(bool),
}

/// The hyper-parameters of one optimizer, listed once by PyTorch name; saving, loading, reading
/// and setting one by name (as a scheduler does with `lr`, `momentum` or `beta1`) all go through
/// that one list.
///
/// ```
/// use tapegrad_optim::{AdamConfig, Hyperparameters};
/// let mut c = AdamConfig::default();
/// assert_eq!(c.get("beta1"), Some(0.9));
/// c.set("beta1", 0.85).unwrap();
/// assert_eq!(c.betas.0, 0.85);
/// assert_eq!(c.to_pairs()[0], ("lr", 1e-3)); // `lr` comes first
/// ```
pub trait Hyperparameters: Copy + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// PyTorch's constructor checks, with its messages.
    fn validate(&self) -> Result<(), OptimError>;

    /// Every hyper-parameter by PyTorch name, `lr` first (`betas` as `beta1`, `beta2`, `etas` as
    /// `eta1`, `eta2`, ...).
    fn fields(&mut self) -> Vec<(&'static str, Hyper<'_>)>;

    /// The value named `name` (booleans as 0.0 / 1.0), if the config has it.
    fn get(&self, name: &str) -> Option<f64> {
        let mut c = *self;
        let found = c.fields().into_iter().find(|(n, _)| *n == name);
        found.map(|(_, h)| value_of(&h))
    }

    /// Sets the number named `name` (`param_group[name] = value`, as a scheduler writes `lr`,
    /// `momentum` or `beta1`). Like PyTorch, this does not re-check the value; unknown names
    /// and flags are errors, and then nothing changes.
    fn set(&mut self, name: &str, value: f64) -> Result<(), OptimError> {
        match self.fields().into_iter().find(|(n, _)| *n == name) {
            Some((_, Hyper::Float(v))) => {
                *v = value;
                Ok(())
            }
            Some(_) => Err(OptimError::InvalidHyperparameter(format!(
                "'{name}' is a flag; set it in the config"
            ))),
            None => Err(OptimError::InvalidHyperparameter(format!(
                "this optimizer has no hyper-parameter '{name}'"
            ))),
        }
    }

    /// The learning rate (`group["lr"]`).
    fn lr(&self) -> f64 {
        self.get("lr").expect("every optimizer config has an lr")
    }

    /// The hyper-parameters as `(PyTorch name, value)` pairs; booleans are 0.0 / 1.0.
    fn to_pairs(&self) -> Vec<(&'static str, f64)> {
        let mut c = *self;
        c.fields()
            .into_iter()
            .map(|(n, h)| (n, value_of(&h)))
            .collect()
    }

    /// A copy with values read by name from `pairs` (each of [`Hyperparameters::to_pairs`]'s
    /// names exactly once, no other), checked (booleans 0 or 1, numbers finite) and validated.
    fn with_pairs(&self, pairs: &[(String, f64)]) -> Result<Self, OptimError> {
        let mut c = *self;
        let mut fields = c.fields();
        let names: Vec<&'static str> = fields.iter().map(|(n, _)| *n).collect();
        let mut values = Vec::with_capacity(names.len());
        for n in &names {
            let v = pairs
                .iter()
                .find(|(k, _)| k == n)
                .map(|(_, v)| *v)
                .ok_or_else(|| OptimError::StateDict(format!("parameter group misses '{n}'")))?;
            values.push(v);
        }
        if let Some((k, _)) = pairs.iter().find(|(k, _)| !names.contains(&k.as_str())) {
            return Err(OptimError::StateDict(format!(
                "unexpected hyper-parameter '{k}' in a parameter group (expected {names:?})"
            )));
        }
        for ((name, h), &v) in fields.iter_mut().zip(&values) {
            let invalid = |expected: &str| OptimError::InvalidValue {
                key: name.to_string(),
                value: v,
                expected: expected.into(),
            };
            // A saved value is checked before use: flags are stored as 0 / 1, and no
            // hyper-parameter is meaningful as NaN or ±inf.
            match h {
                Hyper::Float(x) if v.is_finite() => **x = v,
                Hyper::Float(_) => return Err(invalid("is not a finite number")),
                Hyper::Bool(b) if v == 0.0 || v == 1.0 => **b = v == 1.0,
                Hyper::Fixed(b) if v == *b as u8 as f64 => {}
                Hyper::Bool(_) => return Err(invalid("is not a boolean (0 or 1)")),
                Hyper::Fixed(b) => {
                    return Err(invalid(&format!(
                        "is not {} (this optimizer fixes it)",
                        *b as u8
                    )))
                }
            }
        }
        drop(fields);
        c.validate()?;
        Ok(c)
    }
}

fn value_of(h: &Hyper<'_>) -> f64 {
    match h {
        Hyper::Float(v) => **v,
        Hyper::Bool(b) => **b as u8 as f64,
        Hyper::Fixed(b) => *b as u8 as f64,
    }
}

/// One parameter group: the tensors it updates and their hyper-parameters
/// (`{"params": [...], "lr": ..., ...}` in PyTorch).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Optimizer, SgdConfig, SGD};
/// let w: Tensor = Tensor::ones(&[2]).requires_grad_(true);
/// let mut opt = SGD::new(vec![w], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
/// opt.param_groups_mut()[0].set_lr(0.05);
/// assert_eq!(opt.param_groups()[0].lr(), 0.05);
/// assert_eq!(opt.param_groups()[0].options.lr, 0.05); // the group holds an SgdConfig
/// ```
#[derive(Clone)]
pub struct ParamGroup<T: Element, C: Hyperparameters> {
    /// The parameters (shared handles: updates are visible to the model).
    pub params: Vec<Tensor<T>>,
    /// Their hyper-parameters.
    pub options: C,
    /// The learning rate the first LR scheduler attached to this optimizer found
    /// (`group["initial_lr"]`); later schedulers take their base rates from it, as in PyTorch.
    pub initial_lr: Option<f64>,
}

impl<T: Element, C: Hyperparameters> ParamGroup<T, C> {
    /// A group of `params` with `options`.
    pub fn new(params: Vec<Tensor<T>>, options: C) -> Self {
        ParamGroup {
            params,
            options,
            initial_lr: None,
        }
    }

    /// The group's learning rate.
    pub fn lr(&self) -> f64 {
        self.options.lr()
    }

    /// Sets the group's learning rate.
    pub fn set_lr(&mut self, lr: f64) {
        // Not re-checked: PyTorch's schedulers write whatever they compute.
        self.options
            .set("lr", lr)
            .expect("every optimizer config has an lr");
    }

    /// The group's weight decay (0 for an optimizer without one).
    pub fn weight_decay(&self) -> f64 {
        self.options.get("weight_decay").unwrap_or(0.0)
    }
}

impl<T: Element, C: Hyperparameters> std::fmt::Debug for ParamGroup<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shapes: Vec<Vec<usize>> = self.params.iter().map(|p| p.shape().to_vec()).collect();
        f.debug_struct("ParamGroup")
            .field("params", &shapes)
            .field("options", &self.options)
            .finish()
    }
}
