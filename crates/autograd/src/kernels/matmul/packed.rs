//! A right operand packed once for many products `Aᵢ · B` with the same `B` (a recurrent
//! layer's `W_hh`, read at every step of a sequence), instead of once per product.
//!
//! [`PackedB`] holds every `(KC, NC)` block of `B` exactly as `driver.rs` packs it on the
//! spot, and `gemm_packed` (in `driver.rs`) runs the same serial loops reading those blocks: the
//! kernel, the blocking and so the bits are those of [`super::gemm`] on the same operands.

use super::blocking::b_blocks;
use super::kernel::Kernel;
use super::pack::{aligned, pack_b};
use super::{cached_paths, detected_path, GemmScalar, KernelPath, MatRef};

/// `B` (`k x n`, any strides) packed for `gemm_packed`.
pub(crate) struct PackedB<'a, T: 'static> {
    b: MatRef<'a, T>,
    kern: Kernel<T>,
    /// The blocks, `B`'s `NC` column blocks in order, each cut into its `KC` row blocks.
    buf: Vec<T>,
    /// Where each block starts in `buf` (the first one 64-byte aligned), and where the last
    /// one ends.
    starts: Vec<usize>,
    /// `KC` and `NC`, as `driver.rs` computes them for this shape.
    kc: usize,
    nc: usize,
}

/// The blocks outlive the packing in the [buffer cache](crate::buffer_cache).
impl<T: 'static> Drop for PackedB<'_, T> {
    fn drop(&mut self) {
        crate::buffer_cache::recycle(std::mem::take(&mut self.buf));
    }
}

impl<'a, T: GemmScalar> PackedB<'a, T> {
    /// Packs `b` for the micro-kernels of [`detected_path`].
    pub(crate) fn new(b: MatRef<'a, T>) -> Self {
        Self::with_path(detected_path(), b)
    }

    /// [`PackedB::new`] on the micro-kernel family `path`.
    pub(crate) fn with_path(path: KernelPath, b: MatRef<'a, T>) -> Self {
        assert!(
            cached_paths().contains(&path),
            "gemm: kernel path {path:?} is not supported by this CPU"
        );
        b.check_bounds("B");
        let (k, n) = (b.rows, b.cols);
        let kern = T::kernel(path, n);
        let (kc, nc) = b_blocks(&kern, k, n);
        // Every `NC` column block holds all `k` rows, its width rounded up to whole panels.
        let len = n.div_ceil(kern.nr) * kern.nr * k;
        let mut buf = crate::buffer_cache::uninit(len + 64 / size_of::<T>());
        let first = aligned(&mut buf, len).as_ptr() as usize;
        let offset = (first - buf.as_ptr() as usize) / size_of::<T>();
        let mut starts = vec![offset];
        for jc in (0..n).step_by(nc) {
            for pc in (0..k).step_by(kc) {
                let (cols, rows) = (nc.min(n - jc), kc.min(k - pc));
                let at = *starts.last().expect("a start");
                let end = at + cols.div_ceil(kern.nr) * kern.nr * rows;
                pack_b(&b, pc, jc, rows, cols, &kern, &mut buf[at..end]);
                starts.push(end);
            }
        }
        debug_assert_eq!(starts.last(), Some(&(offset + len)));
        PackedB {
            b,
            kern,
            buf,
            starts,
            kc,
            nc,
        }
    }

    /// `B` itself, as it was given.
    pub(super) fn matrix(&self) -> MatRef<'a, T> {
        self.b
    }

    /// The micro-kernel the blocks were packed for.
    pub(super) fn kernel(&self) -> &Kernel<T> {
        &self.kern
    }

    /// `B`'s columns.
    pub(super) fn cols(&self) -> usize {
        self.b.cols
    }

    /// The packed block at column `jc` and row `pc` (multiples of `NC` and `KC`).
    pub(super) fn block(&self, jc: usize, pc: usize) -> &[T] {
        let per_col_block = self.b.rows.div_ceil(self.kc);
        let i = (jc / self.nc) * per_col_block + pc / self.kc;
        &self.buf[self.starts[i]..self.starts[i + 1]]
    }
}
