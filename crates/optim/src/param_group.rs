//! [`ParamGroup`]: a list of parameters sharing one set of hyper-parameters, as an entry of
//! PyTorch's `optimizer.param_groups`.

use crate::adagrad::AdagradConfig;
use crate::adam::AdamConfig;
use crate::error::OptimError;
use crate::rmsprop::RmsPropConfig;
use crate::sgd::SgdConfig;
use tapegrad_autograd::{Element, Tensor};

/// The hyper-parameters of one parameter group: one variant per optimizer family (AdamW uses
/// [`AdamConfig`] with `decoupled_weight_decay: true`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GroupOptions {
    /// `torch.optim.SGD`'s options.
    Sgd(SgdConfig),
    /// `torch.optim.Adagrad`'s options.
    Adagrad(AdagradConfig),
    /// `torch.optim.RMSprop`'s options.
    RmsProp(RmsPropConfig),
    /// `torch.optim.Adam` / `AdamW`'s options.
    Adam(AdamConfig),
}

impl GroupOptions {
    /// The learning rate (`group["lr"]`).
    pub fn lr(&self) -> f64 {
        match self {
            GroupOptions::Sgd(c) => c.lr,
            GroupOptions::Adagrad(c) => c.lr,
            GroupOptions::RmsProp(c) => c.lr,
            GroupOptions::Adam(c) => c.lr,
        }
    }

    /// Sets the learning rate (`group["lr"] = lr`), as a scheduler does.
    pub fn set_lr(&mut self, lr: f64) {
        match self {
            GroupOptions::Sgd(c) => c.lr = lr,
            GroupOptions::Adagrad(c) => c.lr = lr,
            GroupOptions::RmsProp(c) => c.lr = lr,
            GroupOptions::Adam(c) => c.lr = lr,
        }
    }

    /// The weight decay (`group["weight_decay"]`).
    pub fn weight_decay(&self) -> f64 {
        match self {
            GroupOptions::Sgd(c) => c.weight_decay,
            GroupOptions::Adagrad(c) => c.weight_decay,
            GroupOptions::RmsProp(c) => c.weight_decay,
            GroupOptions::Adam(c) => c.weight_decay,
        }
    }

    /// Checks every hyper-parameter, with PyTorch's messages.
    pub fn validate(&self) -> Result<(), OptimError> {
        match self {
            GroupOptions::Sgd(c) => c.validate(),
            GroupOptions::Adagrad(c) => c.validate(),
            GroupOptions::RmsProp(c) => c.validate(),
            GroupOptions::Adam(c) => c.validate(),
        }
    }

    /// The hyper-parameters as `(PyTorch name, value)` pairs; booleans are 0.0 / 1.0 and
    /// `betas` are `beta1`, `beta2`.
    pub fn to_pairs(&self) -> Vec<(&'static str, f64)> {
        match self {
            GroupOptions::Sgd(c) => c.to_pairs(),
            GroupOptions::Adagrad(c) => c.to_pairs(),
            GroupOptions::RmsProp(c) => c.to_pairs(),
            GroupOptions::Adam(c) => c.to_pairs(),
        }
    }

    /// The same variant with values read from `pairs` (every name of [`GroupOptions::to_pairs`]
    /// must be present, no other), validated.
    pub fn with_pairs(&self, pairs: &[(String, f64)]) -> Result<GroupOptions, OptimError> {
        let names: Vec<&'static str> = self.to_pairs().iter().map(|(n, _)| *n).collect();
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
        // A saved value is checked before use: booleans are stored as 0 / 1, and no
        // hyper-parameter of these optimizers is meaningful as NaN or ±inf.
        for (n, &v) in names.iter().zip(&values) {
            let expected = if BOOLEANS.contains(n) {
                (v != 0.0 && v != 1.0).then_some("is not a boolean (0 or 1)")
            } else {
                (!v.is_finite()).then_some("is not a finite number")
            };
            if let Some(expected) = expected {
                return Err(OptimError::InvalidValue {
                    key: n.to_string(),
                    value: v,
                    expected: expected.into(),
                });
            }
        }
        let out = match self {
            GroupOptions::Sgd(_) => GroupOptions::Sgd(SgdConfig::from_values(&values)),
            GroupOptions::Adagrad(_) => GroupOptions::Adagrad(AdagradConfig::from_values(&values)),
            GroupOptions::RmsProp(_) => GroupOptions::RmsProp(RmsPropConfig::from_values(&values)),
            GroupOptions::Adam(_) => GroupOptions::Adam(AdamConfig::from_values(&values)),
        };
        out.validate()?;
        Ok(out)
    }
}

/// The hyper-parameters of [`GroupOptions::to_pairs`] that are booleans.
const BOOLEANS: [&str; 5] = [
    "amsgrad",
    "maximize",
    "decoupled_weight_decay",
    "nesterov",
    "centered",
];

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
/// ```
#[derive(Clone)]
pub struct ParamGroup<T: Element = f32> {
    /// The parameters (shared handles: updates are visible to the model).
    pub params: Vec<Tensor<T>>,
    /// Their hyper-parameters.
    pub options: GroupOptions,
    /// The learning rate the first LR scheduler attached to this optimizer found
    /// (`group["initial_lr"]`); later schedulers take their base rates from it, as in PyTorch.
    pub initial_lr: Option<f64>,
}

impl<T: Element> ParamGroup<T> {
    /// A group of `params` with `options`.
    pub fn new(params: Vec<Tensor<T>>, options: GroupOptions) -> Self {
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
        self.options.set_lr(lr)
    }

    /// The group's weight decay.
    pub fn weight_decay(&self) -> f64 {
        self.options.weight_decay()
    }
}

impl<T: Element> std::fmt::Debug for ParamGroup<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let shapes: Vec<Vec<usize>> = self.params.iter().map(|p| p.shape().to_vec()).collect();
        f.debug_struct("ParamGroup")
            .field("params", &shapes)
            .field("options", &self.options)
            .finish()
    }
}
