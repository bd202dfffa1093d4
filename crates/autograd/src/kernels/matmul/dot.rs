//! Driver for the dot-product path used for very narrow outputs.
//!
//! `B` is packed once as `B^T` (`n` rows of `k`, padded with zero rows to a
//! multiple of 4), then every 4 x 4 block of `C` is a set of dot products of
//! rows of a row-major `A` with rows of `B^T`. Each output element is
//! computed entirely by one kernel call over the whole of `k`, so splitting
//! the rows over threads cannot change any result.

use super::kernel::DotKernel;
use super::split::{runs_serially, OutPtr};
use super::{GemmScalar, MatRef};
use rayon::prelude::*;

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
    let padded = n.div_ceil(4) * 4;
    let mut bt = vec![T::default(); padded * k];
    pack_bt(&b, &mut bt[..n * k]);
    let out = OutPtr(c);
    let tiles = m.div_ceil(4);
    let parts = rayon::current_num_threads().min(tiles);
    if parts <= 1 || runs_serially(m, n, k) {
        // SAFETY: rows 0..m of the m x n output.
        unsafe { rows(&dk, &a, &bt, n, out.get(), 0, m, accumulate) };
        return;
    }
    crate::threads::keep_warm();
    (0..parts).into_par_iter().for_each(|part| {
        let lo = (tiles * part / parts) * 4;
        let hi = ((tiles * (part + 1) / parts) * 4).min(m);
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
    let k = a.cols;
    for i0 in (lo..hi).step_by(4) {
        let nrows = 4.min(hi - i0);
        // SAFETY: row i0 < m of a validated view with unit column stride.
        let ap = unsafe { a.data.as_ptr().add(a.offset + i0 * a.row_stride) };
        for j0 in (0..n).step_by(4) {
            let ncols = 4.min(n - j0);
            // SAFETY: A rows i0..i0+nrows hold k elements each; B^T rows
            // j0..j0+4 exist (padded); C block (i0, j0) of nrows x ncols is
            // inside this part's rows.
            unsafe {
                (dk.func)(
                    k,
                    ap,
                    a.row_stride,
                    nrows,
                    bt.as_ptr().add(j0 * k),
                    c.add(i0 * n + j0),
                    n,
                    ncols,
                    !accumulate,
                )
            };
        }
    }
}

/// Packs `B^T` (`n` rows of `k`) into `bt` (`len == n * k`).
fn pack_bt<T: Copy>(b: &MatRef<T>, bt: &mut [T]) {
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
