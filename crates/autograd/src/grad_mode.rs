//! Whether operations are recorded on the tape: `no_grad` scopes, as PyTorch's
//! `torch.no_grad()`.
//!
//! Grad mode is per thread (as in PyTorch). Inside a `no_grad` scope, results of operations
//! never record a graph, even when their inputs require gradients.

use std::cell::Cell;

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Is recording enabled on this thread?
///
/// ```
/// use tapegrad_autograd::{is_grad_enabled, no_grad};
/// assert!(is_grad_enabled());
/// no_grad(|| assert!(!is_grad_enabled()));
/// ```
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(|g| g.get())
}

/// Sets grad mode for this thread, returning the previous value.
pub fn set_grad_enabled(enabled: bool) -> bool {
    GRAD_ENABLED.with(|g| g.replace(enabled))
}

/// A guard that sets grad mode and restores the previous mode when dropped
/// (`with torch.no_grad():` / `torch.enable_grad()`).
///
/// ```
/// use tapegrad_autograd::{GradModeGuard, Tensor};
/// let w = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad_(true);
/// {
///     let _g = GradModeGuard::no_grad();
///     let y = &w * 2.0;
///     assert!(!y.requires_grad());
/// }
/// assert!((&w * 2.0).requires_grad());
/// ```
#[must_use = "the mode is restored as soon as the guard is dropped"]
pub struct GradModeGuard {
    prev: bool,
}

impl GradModeGuard {
    /// Disables recording until the guard is dropped.
    pub fn no_grad() -> Self {
        Self::new(false)
    }
    /// Enables recording until the guard is dropped.
    pub fn enable_grad() -> Self {
        Self::new(true)
    }
    /// Sets recording to `enabled` until the guard is dropped.
    pub fn new(enabled: bool) -> Self {
        GradModeGuard {
            prev: set_grad_enabled(enabled),
        }
    }
}

impl Drop for GradModeGuard {
    fn drop(&mut self) {
        set_grad_enabled(self.prev);
    }
}

/// Runs `f` with recording disabled (`with torch.no_grad(): …`), e.g. for an optimizer's
/// parameter update or for evaluation.
///
/// ```
/// use tapegrad_autograd::{no_grad, Tensor};
/// let w = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad_(true);
/// let y = no_grad(|| &w * 3.0);
/// assert!(!y.requires_grad());
/// ```
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _g = GradModeGuard::no_grad();
    f()
}

/// Runs `f` with recording enabled, even inside a `no_grad` scope.
pub fn enable_grad<R>(f: impl FnOnce() -> R) -> R {
    let _g = GradModeGuard::enable_grad();
    f()
}
