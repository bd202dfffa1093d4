//! Warnings, as PyTorch's `warnings.warn(..., UserWarning)` / `TORCH_WARN_ONCE`: each kind is
//! printed on standard error the first time its condition arises in the process, and never
//! again. Every occurrence is counted, printed or not, so tests (and programs) can observe them
//! with [`warning_count`] and [`warnings_printed`].

use std::sync::atomic::{AtomicU64, Ordering};

/// The kinds of warning the library emits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// `backward_with(create_graph(true))` stored a differentiable gradient in a leaf's `.grad`:
    /// the gradient's graph refers back to the leaf, a reference cycle that lives until the
    /// `.grad` is cleared (`set_grad(None)`).
    BackwardCreateGraphCycle,
}

const KINDS: usize = 1;

impl Warning {
    fn index(self) -> usize {
        match self {
            Warning::BackwardCreateGraphCycle => 0,
        }
    }

    /// The text printed (PyTorch's, word for word).
    pub fn message(self) -> &'static str {
        match self {
            Warning::BackwardCreateGraphCycle => {
                "Using backward() with create_graph=True will create a reference cycle between \
                 the parameter and its gradient which can cause a memory leak. We recommend \
                 using autograd.grad when creating the graph to avoid this. If you have to use \
                 this function, make sure to reset the .grad fields of your parameters to None \
                 after use to break the cycle and avoid the leak."
            }
        }
    }
}

static OCCURRED: [AtomicU64; KINDS] = [const { AtomicU64::new(0) }; KINDS];
static PRINTED: [AtomicU64; KINDS] = [const { AtomicU64::new(0) }; KINDS];

/// Records one occurrence of `w`, printing `UserWarning: <message>` on standard error if it is
/// the first in the process.
pub(crate) fn warn_once(w: Warning) {
    let i = w.index();
    if OCCURRED[i].fetch_add(1, Ordering::Relaxed) == 0 {
        PRINTED[i].fetch_add(1, Ordering::Relaxed);
        eprintln!("UserWarning: {}", w.message());
    }
}

/// How many times the condition of `w` arose in this process (printed or not).
pub fn warning_count(w: Warning) -> u64 {
    OCCURRED[w.index()].load(Ordering::Relaxed)
}

/// How many times `w` was printed in this process: 0 or 1.
pub fn warnings_printed(w: Warning) -> u64 {
    PRINTED[w.index()].load(Ordering::Relaxed)
}
