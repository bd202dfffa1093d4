//! Anomaly detection (`torch.autograd.detect_anomaly`): when on, the first operation whose
//! forward result or backward gradient contains NaN or Inf panics, naming the operation and its
//! inputs' shapes.

use crate::element::Scalar;
use ndarray::ArrayViewD;
use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns anomaly detection on or off for the whole process.
pub fn set_detect_anomaly(on: bool) {
    ENABLED.store(on, Ordering::Relaxed);
}

/// Is anomaly detection on?
#[inline]
pub fn is_enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Runs `f` with anomaly detection on, restoring the previous setting afterwards.
///
/// ```should_panic
/// use tapegrad_autograd::{detect_anomaly, Tensor};
/// let x = Tensor::from_vec(vec![-1.0f32], &[1]);
/// detect_anomaly(|| x.log()); // panics: "LogBackward0 produced NaN/Inf in forward …"
/// ```
pub fn detect_anomaly<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            set_detect_anomaly(self.0);
        }
    }
    let _r = Restore(ENABLED.swap(true, Ordering::Relaxed));
    f()
}

fn has_non_finite<T: Scalar>(a: &ArrayViewD<T>) -> bool {
    T::DTYPE.is_floating_point() && a.iter().any(|v| !v.as_f64().is_finite())
}

thread_local! {
    /// Set while a backward rule runs: its inner operations are not checked as forward ones,
    /// so a non-finite gradient is reported once, by the rule's node name.
    static IN_BACKWARD_RULE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs a node's backward rule with forward checks suspended (see [`check_backward`]).
pub(crate) fn in_backward_rule<R>(f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            IN_BACKWARD_RULE.with(|c| c.set(self.0));
        }
    }
    let _r = Restore(IN_BACKWARD_RULE.with(|c| c.replace(true)));
    f()
}

/// Panics if an op's forward result `data` holds NaN or Inf (outside a backward rule), naming
/// the op and its inputs' shapes (`input_shapes` is only called then).
pub(crate) fn check_forward<T: Scalar>(
    op: &str,
    data: &ArrayViewD<T>,
    input_shapes: impl FnOnce() -> Vec<Vec<usize>>,
) {
    if has_non_finite(data) && !IN_BACKWARD_RULE.with(|c| c.get()) {
        let shapes = input_shapes();
        panic!(
            "anomaly detected: {op} produced NaN/Inf in forward (input shapes {shapes:?}); \
             check the inputs of this operation (e.g. log of a non-positive value, division by zero)"
        );
    }
}

/// Panics if the gradient a backward rule returned for input `input_index` holds NaN or Inf.
pub(crate) fn check_backward<T: Scalar>(op: &str, input_index: usize, grad: &ArrayViewD<T>) {
    if has_non_finite(grad) {
        panic!(
            "anomaly detected: function '{op}' returned NaN/Inf values in its {input_index}th \
             output gradient (shape {:?}) during backward",
            grad.shape()
        );
    }
}
