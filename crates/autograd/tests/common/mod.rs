//! Helpers shared by the integration tests of this crate.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// The message `f` panics with (fails the test if it does not panic).
#[allow(dead_code)]
pub fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("should panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// A deterministic f64 tensor of `shape` with values spread over (-1, 1), from a hash of each
/// index and `salt`: for tests that compare two runs and so must not draw from the global
/// generator while other tests (running at the same time) reseed it.
#[allow(dead_code)]
pub fn wave(shape: &[usize], salt: u64) -> tapegrad_autograd::Tensor<f64> {
    let n: usize = shape.iter().product();
    let values = (0..n as u64)
        .map(|i| {
            let h = (i ^ (salt << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            ((h >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
        .collect();
    tapegrad_autograd::Tensor::from_vec(values, shape)
}
