//! Helpers shared by the integration tests of this crate.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// The message `f` panics with (fails the test if it does not panic).
pub fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("should panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}
