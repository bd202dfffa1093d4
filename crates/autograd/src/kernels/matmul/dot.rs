//! Driver for the dot-product path used for very narrow outputs.
//!
//! `B` is packed once as `B^T` (`n` rows of `k`), then every row of `C` is a
//! set of `n` dot products of a row of a row-major `A` with the rows of `B^T`
//! (the kernel takes a few rows at a time, `avx512_dot.rs`). Each output
//! element is computed entirely by one kernel call over the whole of `k`, in
//! an order that does not depend on the rows around it, so splitting the rows
//! over threads cannot change any result.

use super::kernel::DotKernel;
use super::split::{runs_serially, OutPtr};
use super::{GemmScalar, MatRef};
use rayon::prelude::*;

/// Products from this many multiply-adds split their rows between threads when the caller is
/// one of the pool's threads (it runs the first part itself while another takes the second:
/// usually the same rows on the same thread at every call); below it, and from a thread
/// outside the pool (two threads were slower than one there, docs/performance.md), they run
/// on the calling thread as any skinny product does (`split.rs`).
const SPLIT_FROM: usize = 1 << 18;

/// Whether the dot path applies to this problem.
pub(super) fn applies<T>(dk: &DotKernel<T>, a: &MatRef<T>, n: usize) -> bool {
    n <= dk.max_n && a.cols >= dk.min_k && a.col_stride == 1
}

/// Computes `C (= or +=) A * B` with the dot kernel into the row-major `m x n` output at `c`
/// (requires [`applies`]; operands validated, non-empty).
///
/// # Safety
///
/// As `driver::run`: `c` valid for writes of `m * n` elements (initialised when
/// accumulating; each is written once, never read, otherwise).
pub(super) unsafe fn run<T: GemmScalar>(
    dk: DotKernel<T>,
    a: MatRef<T>,
    b: MatRef<T>,
    c: *mut T,
    accumulate: bool,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let mut bt = vec![T::default(); n * k];
    pack_bt(&dk, &b, &mut bt);
    let out = OutPtr(c);
    // Parts of whole groups of 8 rows (the kernel's largest row group).
    let tiles = m.div_ceil(8);
    let parts = rayon::current_num_threads().min(tiles);
    let split = !runs_serially(m, n, k)
        || (m.saturating_mul(n).saturating_mul(k) >= SPLIT_FROM
            && rayon::current_thread_index().is_some());
    if parts <= 1 || !split {
        // SAFETY: rows 0..m of the m x n output.
        unsafe { rows(&dk, &a, &bt, n, out.get(), 0, m, accumulate) };
        return;
    }
    crate::threads::keep_warm();
    (0..parts).into_par_iter().for_each(|part| {
        let lo = (tiles * part / parts) * 8;
        let hi = ((tiles * (part + 1) / parts) * 8).min(m);
        // SAFETY: rows lo..hi of C belong to this part only.
        unsafe { rows(&dk, &a, &bt, n, out.get(), lo, hi, accumulate) };
    });
}

/// Computes output rows `lo..hi`.
///
/// # Safety
///
/// `c` must be the row-major `m x n` output, rows `lo..hi` not accessed
/// concurrently; `a` validated with unit column stride; `bt` the padded
/// `B^T`; the CPU must support the kernel.
#[allow(clippy::too_many_arguments)]
unsafe fn rows<T: GemmScalar>(
    dk: &DotKernel<T>,
    a: &MatRef<T>,
    bt: &[T],
    n: usize,
    c: *mut T,
    lo: usize,
    hi: usize,
    accumulate: bool,
) {
    // SAFETY: row lo < m of a validated view with unit column stride; B^T holds n rows of
    // k; rows lo..hi of C belong to this call.
    unsafe {
        (dk.func)(
            a.cols,
            a.data.as_ptr().add(a.offset + lo * a.row_stride),
            a.row_stride,
            hi - lo,
            bt.as_ptr(),
            c.add(lo * n),
            n,
            n,
            !accumulate,
        )
    };
}

/// Packs `B^T` (`n` rows of `k`) into `bt` (`len == n * k`).
fn pack_bt<T: Copy>(dk: &DotKernel<T>, b: &MatRef<T>, bt: &mut [T]) {
    let (k, n) = (b.rows, b.cols);
    debug_assert_eq!(bt.len(), n * k);
    if b.row_stride == 1 {
        // Columns of B are contiguous: plain copies.
        for (j, dst) in bt.chunks_exact_mut(k).enumerate() {
            let start = b.offset + j * b.col_stride;
            dst.copy_from_slice(&b.data[start..start + k]);
        }
        return;
    }
    if b.col_stride == 1 {
        // Rows of B are contiguous: the kernel's block transposes.
        // SAFETY: the view is validated (rows of n elements at stride row_stride inside
        // `data`); `bt` holds n * k elements; the dot kernel's CPU features were checked.
        unsafe {
            (dk.pack_bt)(
                b.data.as_ptr().add(b.offset),
                b.row_stride,
                k,
                n,
                bt.as_mut_ptr(),
            )
        };
        return;
    }
    // One strided pass over B per column (B is small: n is below one vector).
    for (j, dst) in bt.chunks_exact_mut(k).enumerate() {
        let start = b.offset + j * b.col_stride;
        if b.row_stride == 0 {
            dst.fill(b.data[start]);
            continue;
        }
        let col = b.data[start..].iter().step_by(b.row_stride);
        for (d, &v) in dst.iter_mut().zip(col) {
            *d = v;
        }
    }
}
