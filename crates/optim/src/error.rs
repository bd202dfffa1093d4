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
}

/// Formats an `f64` the way Python's `repr` does for ordinary values (`1.0`, `-0.1`, `1e-10`),
/// so error messages read exactly like PyTorch's.
pub(crate) fn py(v: f64) -> String {
    format!("{v:?}")
}
