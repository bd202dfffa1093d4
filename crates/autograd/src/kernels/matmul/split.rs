//! How a product is split between threads: the size below which it runs
//! serially, the smallest part worth a thread, and the output pointer the
//! parts share (each writes its own rows or columns). Used by `driver.rs`
//! and `dot.rs`.

/// Problems with fewer multiply-adds than this run serially (no rayon).
const PAR_THRESHOLD: usize = 100 * 100 * 100;

/// A product with a dimension below this is skinny: each part of a split repacks most of the
/// operands for little arithmetic, and the other thread is likely asleep between such calls
/// (a recurrent layer's per-step products, 32 rows each).
const SKINNY_DIM: usize = 64;

/// Skinny products with fewer multiply-adds than this run serially too.
const SKINNY_PAR_THRESHOLD: usize = 4 * PAR_THRESHOLD;

/// Does an `m x k` by `k x n` product run on one thread?
pub(super) fn runs_serially(m: usize, n: usize, k: usize) -> bool {
    let work = m.saturating_mul(n).saturating_mul(k);
    work < PAR_THRESHOLD || (m.min(n).min(k) < SKINNY_DIM && work < SKINNY_PAR_THRESHOLD)
}

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

#[cfg(test)]
mod tests {
    use super::runs_serially;

    #[test]
    fn skinny_products_need_four_times_the_work_to_be_split() {
        // 99·100·100 = 990 000 < 100³: serial whatever the shape.
        assert!(runs_serially(99, 100, 100));
        // 128³ = 2 097 152 ≥ 100³ and no dimension below 64: split.
        assert!(!runs_serially(128, 128, 128));
        // An LSTM step, h (32 x 128) · W_hhᵀ (128 x 512): 2 097 152 multiply-adds, but 32 < 64
        // and 2 097 152 < 4·100³ = 4 000 000: serial.
        assert!(runs_serially(32, 512, 128));
        // Its weight gradient, (512 x 32)ᵀ-shaped with k = 32: serial too.
        assert!(runs_serially(512, 128, 32));
        // 32 x 512 x 512 = 8 388 608 ≥ 4 000 000: split even though skinny.
        assert!(!runs_serially(32, 512, 512));
    }
}
