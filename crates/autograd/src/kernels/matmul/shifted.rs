//! Products whose right operand's rows are windows of one buffer, each at its own offset:
//!
//! ```text
//! C[i, j] = Σ_p A[i, p] · b[offs[p] + j]
//! ```
//!
//! A unit-stride convolution is one such product per sample (`kernels/conv_shifted.rs`): the
//! im2col row of channel `c` and tap `(i, j)` is the padded input read from `c·plane +
//! i·Wp + j`, so `B` is read in place, never materialised nor packed. Its weight gradient is
//! the transposed case, the rows of `A` at offsets ([`gemm_shifted_a`]).
//!
//! `A` is packed once into `MR`-row panels (zero rows past its end) and reused for every
//! sample. `k` is cut into the GEMM's `KC` blocks, and each block runs over all the tiles, so
//! that one block's windows stay in L1 while the panels pass over them (on Emerald Rapids a
//! ResNet-sized convolution, `k` = 576 in two blocks of 288, ran 6-10 % faster than with one
//! call over all of `k`). A later block resumes each element's chain from `C`: every element
//! is one fused multiply-add chain in `p` order, so the result does not depend on the blocks
//! nor on how a caller splits its work between threads.

use super::blocking::b_blocks;
use super::driver::{run_tile, MAX_TILE};
use super::kernel::{Kernel, ShiftedKernel};
use super::pack::{aligned, pack_a, pack_b, with_pack_buffers};
use super::{detected_path, empty_product, GemmScalar, MatRef};
use std::mem::MaybeUninit;

/// The tile width of this CPU's shifted products (`ShiftedA::nr`), `None` where its kernel
/// path has none (portable).
pub(crate) fn shifted_width<T: GemmScalar>() -> Option<usize> {
    let kern = T::kernel(detected_path(), usize::MAX);
    kern.shifted.map(|_| kern.nr)
}

/// The `KC` block height of [`gemm_shifted_a`] over `k` with `n` columns of `B`, `None`
/// where this CPU's kernel path has no shifted-`A` micro-kernel.
pub(crate) fn shifted_a_kc<T: GemmScalar>(k: usize, n: usize) -> Option<usize> {
    let kern = T::kernel(detected_path(), usize::MAX);
    kern.shifted_a.map(|_| b_blocks(&kern, k, n).0)
}

/// A left operand packed for [`ShiftedA::multiply`].
pub(crate) struct ShiftedA<T> {
    kern: Kernel<T>,
    func: ShiftedKernel<T>,
    panels: Vec<T>,
    rows: usize,
    k: usize,
}

impl<T: GemmScalar> ShiftedA<T> {
    /// Packs `a` (`m x k`, any strides) for this CPU's kernel path; `None` when the path has
    /// no shifted micro-kernel (portable), or `a` is empty.
    pub(crate) fn pack(a: MatRef<T>) -> Option<Self> {
        let kern = T::kernel(detected_path(), usize::MAX);
        let func = kern.shifted?;
        if a.rows == 0 || a.cols == 0 {
            return None;
        }
        a.check_bounds("A");
        let padded = a.rows.div_ceil(kern.mr) * kern.mr;
        let mut panels = vec![T::default(); padded * a.cols];
        pack_a(&a, 0, 0, a.rows, a.cols, &kern, &mut panels);
        Some(ShiftedA {
            kern,
            func,
            panels,
            rows: a.rows,
            k: a.cols,
        })
    }

    /// Rows of `A` (`m`).
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Rows of `C` that [`ShiftedA::multiply`] writes: `m` rounded up to the tile height.
    pub(crate) fn padded_rows(&self) -> usize {
        self.rows.div_ceil(self.kern.mr) * self.kern.mr
    }

    /// The tile width: `C`'s column count must be a multiple of it.
    pub(crate) fn nr(&self) -> usize {
        self.kern.nr
    }

    /// `C[i, cj + t] = Σ_p A[i, p] · b[offs[p] + j + t]` for every tile `(j, cj)` of
    /// `tiles`, `t <` [`nr`](Self::nr) and `i <` [`padded_rows`](Self::padded_rows) (rows
    /// past `m` come out zero), into row-major `c` with row stride `ldc`. Every element of
    /// the tiles is written before it is read, so `c` may be uninitialised; the tiles must not
    /// overlap in `c`.
    ///
    /// # Panics
    ///
    /// If `offs.len() != k`, or a window or a tile of `C` reaches past its buffer.
    pub(crate) fn multiply(
        &self,
        b: &[T],
        offs: &[usize],
        tiles: &[(usize, usize)],
        c: &mut [MaybeUninit<T>],
        ldc: usize,
    ) {
        let (mr, nr, k) = (self.kern.mr, self.kern.nr, self.k);
        let last_row = (self.padded_rows() - 1) * ldc;
        let reach = offs.iter().max().map_or(0, |&o| o + nr);
        for &(j, cj) in tiles {
            assert!(
                offs.len() == k && reach + j <= b.len() && last_row + cj + nr <= c.len(),
                "shifted product: {} offsets for k = {k}; tile ({j}, {cj}) of width {nr} reaches \
                 past b ({} elements) or C ({} elements, row stride {ldc})",
                offs.len(),
                b.len(),
                c.len()
            );
        }
        // `k` in the GEMM's blocks (a function of `k` and the cache sizes alone): one block's
        // windows stay in L1 while the `A` panels pass over them, and each later block resumes
        // the chains from `C`, so the bits are those of one chain over all of `k`.
        let (kc, _) = b_blocks(&self.kern, k, nr);
        for p0 in (0..k).step_by(kc) {
            let kcb = kc.min(k - p0);
            for &(j, cj) in tiles {
                for (q, panel) in self.panels.chunks_exact(mr * k).enumerate() {
                    // SAFETY: the panel holds k·mr elements, from p0·mr on kcb·mr of them;
                    // offs holds k offsets, from p0 on kcb; every window b[offs[p] + j ..][..nr]
                    // lies inside b and the mr x nr tile at row q·mr, column cj inside c (both
                    // checked above); the first block only writes C, the others read what it
                    // wrote; the kernel was chosen for this CPU.
                    unsafe {
                        (self.func)(
                            kcb,
                            panel.as_ptr().add(p0 * mr),
                            b.as_ptr().add(j),
                            offs.as_ptr().add(p0),
                            c.as_mut_ptr().add(q * mr * ldc + cj).cast(),
                            ldc,
                            p0 == 0,
                        )
                    };
                }
            }
        }
    }
}

/// `C = A · B` (`resume == false`), or each element of `C` continued by its chain of `A · B`
/// (`resume`), where row `i` of `A` is the window `a[offs[i] .. offs[i] + k]` of one buffer
/// and `B` is any `k x n` view; `C` is row-major `m x n` with `m = offs.len()`. `k` is cut
/// into the GEMM's `KC` blocks (a function of `k` alone) and each block's `B` packed once.
/// Without `resume`, each block's chain is added to the blocks before it, the GEMM's sums;
/// with it, each element is one fused multiply-add chain from `C`'s value over all of `k`,
/// whatever the blocks, so a product whose `k` is cut between calls (the samples of a
/// convolution's weight gradient, `conv_shifted.rs`) gives the bits of one call. Returns
/// `false`, touching nothing, when this CPU's kernel path has no shifted-`A` micro-kernel.
///
/// # Panics
///
/// If `c.len() != m·n`, or a window or `B` reaches past its buffer.
pub(crate) fn gemm_shifted_a<T: GemmScalar>(
    a: &[T],
    offs: &[usize],
    b: MatRef<T>,
    c: &mut [T],
    resume: bool,
) -> bool {
    let kern = T::kernel(detected_path(), usize::MAX);
    let Some(func) = kern.shifted_a else {
        return false;
    };
    let (m, k, n) = (offs.len(), b.rows, b.cols);
    let reach = offs.iter().max().map_or(0, |&o| o + k);
    assert!(
        c.len() == m * n && reach <= a.len(),
        "shifted product: C has {} elements for {m} x {n}, or windows reach {reach} of {}",
        c.len(),
        a.len()
    );
    b.check_bounds("B");
    if empty_product(m, k, n, c, resume) {
        return true;
    }
    let (mr, nr) = (kern.mr, kern.nr);
    assert!(
        mr <= MAX_MR && mr * nr <= MAX_TILE,
        "shifted product: tile {mr} x {nr} above {MAX_MR} rows or {MAX_TILE} elements"
    );
    let (kc, _) = b_blocks(&kern, k, n);
    with_pack_buffers(|_, bbuf: &mut Vec<T>| {
        let bpack = aligned(bbuf, n.div_ceil(nr) * nr * kc);
        for pc in (0..k).step_by(kc) {
            let kcb = kc.min(k - pc);
            let bp = &mut bpack[..n.div_ceil(nr) * nr * kcb];
            pack_b(&b, pc, 0, kcb, n, &kern, bp);
            let overwrite = !resume && pc == 0;
            for (jq, panel) in bp.chunks_exact(nr * kcb).enumerate() {
                let (j0, cols) = (jq * nr, nr.min(n - jq * nr));
                for i0 in (0..m).step_by(mr) {
                    let rows = mr.min(m - i0);
                    // Rows past the end repeat the last window (read, never stored).
                    let mut rows_at = [0; MAX_MR];
                    for (i, r) in rows_at[..mr].iter_mut().enumerate() {
                        *r = offs[(i0 + i).min(m - 1)] + pc;
                    }
                    // SAFETY (both calls): each window a[rows_at[i]..][..kcb] lies inside a
                    // (checked reach); the panel holds kcb·nr elements; the kernel was chosen
                    // for this CPU; the rows x cols tile at (i0, j0) lies inside c, and `tmp`
                    // holds the mr x nr tile.
                    let tile = |cp: *mut T, ld: usize, overwrite: bool| unsafe {
                        func(
                            kcb,
                            a.as_ptr(),
                            rows_at.as_ptr(),
                            panel.as_ptr(),
                            cp,
                            ld,
                            overwrite,
                        )
                    };
                    if resume || overwrite {
                        let cp = c[i0 * n + j0..].as_mut_ptr();
                        // SAFETY: as above.
                        unsafe {
                            run_tile(mr, nr, rows, cols, cp, n, overwrite, |cp, ld| {
                                tile(cp, ld, overwrite)
                            })
                        };
                        continue;
                    }
                    // A later block of `C = A · B`: its own chain, added to `C`.
                    let mut tmp = [MaybeUninit::<T>::uninit(); MAX_TILE];
                    tile(tmp.as_mut_ptr().cast(), nr, true);
                    for i in 0..rows {
                        let row = &mut c[(i0 + i) * n + j0..][..cols];
                        for (d, t) in row.iter_mut().zip(&tmp[i * nr..]) {
                            // SAFETY: the kernel wrote every element of the mr x nr tile.
                            *d = *d + unsafe { t.assume_init() };
                        }
                    }
                }
            }
        }
    });
    true
}

/// Largest tile height of a shifted-`A` kernel.
const MAX_MR: usize = 16;
