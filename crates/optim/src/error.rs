//! [`OptimError`]: why an optimizer or scheduler refused a hyper-parameter or a saved state.

use thiserror::Error;

/// An invalid hyper-parameter (PyTorch's `ValueError` at construction) or a saved state that does
/// not fit the optimizer it is loaded into.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum OptimError {
    /// A hyper-parameter outside its valid range, with PyTorch's message
    /// (e.g. `"Invalid learning rate: -0.1"`).
    #[error("{0}")]
    InvalidHyperparameter(String),
    /// The parameter list is empty or repeats a tensor.
    #[error("{0}")]
    InvalidParams(String),
    /// A state dict that does not match this optimizer (group count, group sizes, buffer shapes,
    /// missing or unknown entries).
    #[error("load_state_dict: {0}")]
    StateDict(String),
    /// A number in a saved optimizer or scheduler state that is not finite, not a whole number
    /// where a count or an index is expected, or out of range, named by its key (e.g.
    /// `state.0.step`, `param_groups.0.params`, `last_epoch`).
    #[error("load_state_dict: '{key}' = {} {expected}; the saved state is corrupt or was edited", py(*value))]
    InvalidValue {
        /// The entry's key in the state dict.
        key: String,
        /// The value found.
        value: f64,
        /// What the value must be (e.g. `is not a whole number in 0..2^53`).
        expected: String,
    },
}

impl OptimError {
    /// The same error with `prefix` in front of an [`OptimError::InvalidValue`]'s key (to name
    /// the full path of a value checked inside a group or a parameter's state).
    pub(crate) fn within(self, prefix: &str) -> Self {
        match self {
            OptimError::InvalidValue {
                key,
                value,
                expected,
            } => OptimError::InvalidValue {
                key: format!("{prefix}{key}"),
                value,
                expected,
            },
            other => other,
        }
    }
}

/// The largest count a saved state may hold: 2^53 − 1, the last integer up to which every whole
/// number is exact in `f64` (the type states and checkpoints store numbers in).
pub(crate) const MAX_SAVED_COUNT: i64 = (1 << 53) - 1;

/// `value` as a whole number in `min..=max`, or an [`OptimError::InvalidValue`] naming `key`.
pub(crate) fn saved_integer(key: &str, value: f64, min: i64, max: i64) -> Result<i64, OptimError> {
    // `max as f64` is exact for `max <= MAX_SAVED_COUNT`; the cast back is then exact too.
    if value.is_finite() && value.fract() == 0.0 && value >= min as f64 && value <= max as f64 {
        Ok(value as i64)
    } else {
        let bound = |v: i64| match v {
            MAX_SAVED_COUNT => "2^53-1".to_string(),
            v => v.to_string(),
        };
        Err(OptimError::InvalidValue {
            key: key.to_string(),
            value,
            expected: format!("is not a whole number in {}..={}", bound(min), bound(max)),
        })
    }
}

/// `value` if it is finite and `>= 0` (a learning rate), else an [`OptimError::InvalidValue`]
/// naming `key`.
pub(crate) fn saved_rate(key: &str, value: f64) -> Result<f64, OptimError> {
    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(OptimError::InvalidValue {
            key: key.to_string(),
            value,
            expected: "is not a finite number >= 0".to_string(),
        })
    }
}

/// Formats an `f64` the way Python's `repr` does for ordinary values (`1.0`, `-0.1`, `1e-10`),
/// so error messages read exactly like PyTorch's.
pub(crate) fn py(v: f64) -> String {
    format!("{v:?}")
}

/// PyTorch's check of `betas` (Adam, AdamW, Adamax, NAdam, RAdam): each in `[0, 1)`, NaN
/// refused, with its message.
pub(crate) fn check_betas(betas: (f64, f64)) -> Result<(), OptimError> {
    for (i, b) in [betas.0, betas.1].into_iter().enumerate() {
        if !(0.0..1.0).contains(&b) {
            return Err(OptimError::InvalidHyperparameter(format!(
                "Invalid beta parameter at index {i}: {}",
                py(b)
            )));
        }
    }
    Ok(())
}

/// PyTorch's constructor checks shared by Adam, AdamW, Adamax, NAdam and RAdam, in their order
/// and with their messages: `lr`, `eps`, `betas`, `weight_decay`.
pub(crate) fn check_adam_family(
    lr: f64,
    eps: f64,
    betas: (f64, f64),
    weight_decay: f64,
) -> Result<(), OptimError> {
    at_least_zero("Invalid learning rate", lr)?;
    at_least_zero("Invalid epsilon value", eps)?;
    check_betas(betas)?;
    at_least_zero("Invalid weight_decay value", weight_decay)
}

/// PyTorch's `if not 0.0 <= value: raise ValueError(f"{what}: {value}")` (so NaN is refused
/// too), e.g. `at_least_zero("Invalid learning rate", lr)`.
pub(crate) fn at_least_zero(what: &str, value: f64) -> Result<(), OptimError> {
    if 0.0 <= value {
        Ok(())
    } else {
        Err(OptimError::InvalidHyperparameter(format!(
            "{what}: {}",
            py(value)
        )))
    }
}
