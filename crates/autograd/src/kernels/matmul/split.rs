//! How a product is split between threads: the size below which it runs
//! serially, the smallest part worth a thread, and the output pointer the
//! parts share (each writes its own rows or columns). Used by `driver.rs`
//! and `dot.rs`.

/// Problems with fewer multiply-adds than this run serially (no rayon).
pub(super) const PAR_THRESHOLD: usize = 100 * 100 * 100;

/// Minimum multiply-adds per parallel part; fewer parts are used otherwise.
pub(super) const MIN_PART_WORK: usize = 32 * 32 * 32;

/// Raw pointer to the output, shareable across the rayon tasks (each task
/// writes a disjoint set of rows or columns).
#[derive(Clone, Copy)]
pub(super) struct OutPtr<T>(pub(super) *mut T);

// SAFETY: the pointer is only used to write disjoint regions of one `&mut`
// slice that outlives the parallel section.
unsafe impl<T: Send> Send for OutPtr<T> {}
// SAFETY: as above; tasks never access the same element.
unsafe impl<T: Send> Sync for OutPtr<T> {}

impl<T> OutPtr<T> {
    /// The pointer (a method, so closures capture the whole `Send` wrapper).
    pub(super) fn get(self) -> *mut T {
        self.0
    }
}
