//! Blocking loops, edge handling and rayon parallelism; the products with a `B` packed
//! beforehand ([`gemm_packed`]) run the same loops.

use super::blocking::{b_blocks, blocking};
use super::kernel::{DirectKernel, Kernel};
use super::pack::{aligned, pack_a, pack_b, with_pack_buffers};
use super::packed::PackedB;
use super::split::{runs_serially, OutPtr, MIN_PART_WORK};
use super::{empty_product, GemmScalar, MatRef};
use rayon::prelude::*;

/// Largest `mr * nr` of any micro-kernel (size of the edge-tile scratch).
pub(super) const MAX_TILE: usize = 512;

/// A row-major `A` is read in place (the direct kernels) instead of packed when the `B` block
/// has at most this many micro-panels: each packed `A` panel would be read only this many
/// times, too few to repay the pass that packs it. On Emerald Rapids (`f32`, best of 31
/// alternated runs each) reading `A` in place up to 8 panels made n = 128-256 7-14 % faster on
/// one thread and n = 256-512 8-13 % faster on two (whose parts are half as wide), while
/// 16 panels (n = 512 on one thread, 1024 on two) was 3-7 % slower.
pub(super) const DIRECT_MAX_PANELS: usize = 8;

/// Runs the blocked GEMM on validated, non-empty operands (`k > 0`) into the row-major
/// `m x n` output at `c`.
///
/// # Safety
///
/// `c` must be valid for writes of `m * n` elements and not accessed elsewhere meanwhile; when
/// accumulating they must be initialised. Without `accumulate` they may be uninitialised: every
/// element is written before it is read (the first `k` block overwrites, edge tiles go through
/// a scratch tile); the CPU must support `kern`'s target features.
pub(super) unsafe fn run<T: GemmScalar>(
    kern: Kernel<T>,
    a: MatRef<T>,
    b: MatRef<T>,
    c: *mut T,
    accumulate: bool,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if let Some(dk) = kern.dot.filter(|dk| super::dot::applies(dk, &a, n)) {
        // SAFETY: forwarded from the caller.
        unsafe { super::dot::run(dk, a, b, c, accumulate) };
        return;
    }
    let out = OutPtr(c);
    let work = m.saturating_mul(n).saturating_mul(k);
    let threads = rayon::current_num_threads();
    let tiles_m = m.div_ceil(kern.mr);
    let tiles_n = n.div_ceil(kern.nr);
    // Split the dimension whose split duplicates the cheaper packing
    // (splitting n re-packs A in every part, splitting m re-packs B), as long
    // as it has enough tiles.
    let split_n = if tiles_n >= threads && tiles_m >= threads {
        m <= n
    } else {
        tiles_n >= tiles_m
    };
    let (tiles, tile, dim) = if split_n {
        (tiles_n, kern.nr, n)
    } else {
        (tiles_m, kern.mr, m)
    };
    let parts = threads.min(tiles).min((work / MIN_PART_WORK).max(1));
    if parts <= 1 || runs_serially(m, n, k) {
        // SAFETY: `c` is a row-major m x n buffer with row stride n.
        unsafe { serial(&kern, &a, BSource::Pack(&b), out.get(), n, accumulate) };
        return;
    }
    crate::threads::keep_warm();
    (0..parts).into_par_iter().for_each(|p| {
        let lo = (tiles * p / parts) * tile;
        let hi = ((tiles * (p + 1) / parts) * tile).min(dim);
        if split_n {
            let sub_b = MatRef {
                offset: b.offset + lo * b.col_stride,
                cols: hi - lo,
                ..b
            };
            // SAFETY: columns lo..hi of every row of C belong to this part
            // only; the sub-matrix starts at column `lo` with row stride n.
            unsafe {
                serial(
                    &kern,
                    &a,
                    BSource::Pack(&sub_b),
                    out.get().add(lo),
                    n,
                    accumulate,
                )
            };
        } else {
            let sub_a = MatRef {
                offset: a.offset + lo * a.row_stride,
                rows: hi - lo,
                ..a
            };
            // SAFETY: rows lo..hi of C belong to this part only.
            unsafe {
                serial(
                    &kern,
                    &sub_a,
                    BSource::Pack(&b),
                    out.get().add(lo * n),
                    n,
                    accumulate,
                )
            };
        }
    });
}

/// Where [`serial`] gets each packed `(KC, NC)` block of `B`: packed on the spot into this
/// thread's buffer, or read from a [`PackedB`] made once for many products.
#[derive(Clone, Copy)]
pub(super) enum BSource<'p, 'a, T: 'static> {
    Pack(&'p MatRef<'a, T>),
    Packed(&'p PackedB<'a, T>),
}

/// Serial blocked GEMM of `a * b` into the `a.rows x b.cols` sub-matrix of C
/// at `c` with row stride `ldc`: the GotoBLAS loop nest (`jc` over NC, `pc`
/// over KC, `ic` over MC), packing into this thread's pack buffers (fresh ones
/// for a re-entrant call on this thread).
///
/// # Safety
///
/// `c` must be valid for reads and writes of `a.rows` rows of `b.cols`
/// elements with row stride `ldc`, and not accessed concurrently elsewhere;
/// the CPU must support `kern`'s target features; the views must be in
/// bounds.
pub(super) unsafe fn serial<T: GemmScalar>(
    kern: &Kernel<T>,
    a: &MatRef<T>,
    b: BSource<'_, '_, T>,
    c: *mut T,
    ldc: usize,
    accumulate: bool,
) {
    with_pack_buffers(|abuf: &mut Vec<T>, bbuf: &mut Vec<T>| {
        let n = match b {
            BSource::Pack(b) => b.cols,
            BSource::Packed(p) => p.cols(),
        };
        let (m, k) = (a.rows, a.cols);
        let (mr, nr) = (kern.mr, kern.nr);
        let (kc, nc_max) = b_blocks(kern, k, n);
        let mc_max = blocking::<T>(mr, nr).mc.min(m.div_ceil(mr) * mr);
        let apack = aligned(abuf, mc_max * kc);
        let packing = matches!(b, BSource::Pack(_));
        let bpack = aligned(bbuf, if packing { nc_max * kc } else { 0 });
        for jc in (0..n).step_by(nc_max) {
            let nc = nc_max.min(n - jc);
            for pc in (0..k).step_by(kc) {
                let kcb = kc.min(k - pc);
                let bp: &[T] = match b {
                    BSource::Pack(b) => {
                        let bp = &mut bpack[..nc.div_ceil(nr) * nr * kcb];
                        pack_b(b, pc, jc, kcb, nc, kern, bp);
                        bp
                    }
                    BSource::Packed(p) => p.block(jc, pc),
                };
                let overwrite = !accumulate && pc == 0;
                // With few B micro-panels, every A micro-panel is used only a few times, so a
                // row-major A is read in place instead of being packed.
                let few_panels = nc.div_ceil(nr) <= DIRECT_MAX_PANELS;
                let direct = match (kern.direct, kern.col_major) {
                    (Some(dk), _) if few_panels && a.col_stride == 1 => Some((dk, a.row_stride)),
                    (_, Some(ck)) if few_panels && a.row_stride == 1 => Some((ck, a.col_stride)),
                    _ => None,
                };
                for ic in (0..m).step_by(mc_max) {
                    let mc = mc_max.min(m - ic);
                    // SAFETY: the (ic, jc) sub-block of C lies inside the region
                    // the caller guarantees.
                    let ptr = unsafe { c.add(ic * ldc + jc) };
                    let cb = CBlock {
                        ptr,
                        ldc,
                        rows: mc,
                        cols: nc,
                        overwrite,
                    };
                    if let Some((dk, lda)) = direct {
                        // SAFETY: as above.
                        unsafe { direct_kernel(kern, dk, lda, a, ic, pc, kcb, apack, bp, cb) };
                        continue;
                    }
                    let ap = &mut apack[..mc.div_ceil(mr) * mr * kcb];
                    pack_a(a, ic, pc, mc, kcb, kern, ap);
                    // SAFETY: as above.
                    unsafe { macro_kernel(kern, kcb, ap, bp, cb) };
                }
            }
        }
    })
}

/// Runs `call(c, ldc)` (a micro-kernel invocation) for the `rows x cols`
/// valid part of an `mr x nr` tile at `ct`: in place for a full tile, else
/// through a scratch tile, so that the arithmetic (and hence the bits) are
/// the same for edge tiles.
///
/// # Safety
///
/// The `rows x cols` tile at `ct` (row stride `ldc`) must be valid, and
/// `call` must be safe to run on any valid full `mr x nr` tile.
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn run_tile<T: GemmScalar>(
    mr: usize,
    nr: usize,
    rows: usize,
    cols: usize,
    ct: *mut T,
    ldc: usize,
    overwrite: bool,
    call: impl FnOnce(*mut T, usize),
) {
    if rows == mr && cols == nr {
        call(ct, ldc);
        return;
    }
    debug_assert!(mr * nr <= MAX_TILE);
    let mut tmp = [T::default(); MAX_TILE];
    if !overwrite {
        for i in 0..rows {
            for j in 0..cols {
                // SAFETY: (i, j) is inside the valid part of the tile.
                tmp[i * nr + j] = unsafe { *ct.add(i * ldc + j) };
            }
        }
    }
    call(tmp.as_mut_ptr(), nr);
    for i in 0..rows {
        for j in 0..cols {
            // SAFETY: (i, j) is inside the valid part of the tile.
            unsafe { *ct.add(i * ldc + j) = tmp[i * nr + j] };
        }
    }
}

/// The `rows x cols` block of C that one macro kernel call writes: its first element, its row
/// stride, and whether it is overwritten (the first `k` block without accumulation) or added to.
#[derive(Clone, Copy)]
struct CBlock<T> {
    ptr: *mut T,
    ldc: usize,
    rows: usize,
    cols: usize,
    overwrite: bool,
}

/// Like [`macro_kernel`], reading the full row tiles of a row-major A (`dk` a direct kernel,
/// `lda` the row stride) or of a column-major one (`dk` a column-major kernel, `lda` the
/// column stride) in place; only the last, partial row tile is packed, once, into `scratch`.
/// The direct and packed kernels run the same multiply-adds in the same order, so the bits do
/// not depend on which one runs.
///
/// # Safety
///
/// As [`macro_kernel`]; `a.col_stride == 1` (row-major, `lda == a.row_stride`) or
/// `a.row_stride == 1` (column-major, `lda == a.col_stride`), and `a` in bounds.
#[allow(clippy::too_many_arguments)]
unsafe fn direct_kernel<T: GemmScalar>(
    kern: &Kernel<T>,
    dk: DirectKernel<T>,
    lda: usize,
    a: &MatRef<T>,
    ic: usize,
    pc: usize,
    kc: usize,
    scratch: &mut [T],
    bp: &[T],
    cb: CBlock<T>,
) {
    let (mr, nr) = (kern.mr, kern.nr);
    debug_assert!(
        (a.col_stride == 1 && lda == a.row_stride) || (a.row_stride == 1 && lda == a.col_stride)
    );
    let full = cb.rows / mr * mr;
    let tail = &mut scratch[..mr * kc];
    if full < cb.rows {
        pack_a(a, ic + full, pc, cb.rows - full, kc, kern, tail);
    }
    for (jq, bpanel) in bp.chunks_exact(nr * kc).enumerate() {
        let j0 = jq * nr;
        let cols = nr.min(cb.cols - j0);
        for i0 in (0..cb.rows).step_by(mr) {
            let rows = mr.min(cb.rows - i0);
            // SAFETY: (i0, j0) is inside the block.
            let ct = unsafe { cb.ptr.add(i0 * cb.ldc + j0) };
            if rows == mr {
                // SAFETY: rows ic+i0 .. ic+i0+mr and columns pc .. pc+kc of A
                // exist (validated view, one of its strides 1).
                let ap = unsafe {
                    a.data
                        .as_ptr()
                        .add(a.offset + (ic + i0) * a.row_stride + pc * a.col_stride)
                };
                // SAFETY: full A rows as above, B panel of kc*nr elements; the
                // kernel path was validated by the caller.
                unsafe {
                    run_tile(mr, nr, rows, cols, ct, cb.ldc, cb.overwrite, |cp, ld| {
                        dk(kc, ap, lda, bpanel.as_ptr(), cp, ld, cb.overwrite)
                    })
                };
            } else {
                // SAFETY: packed panel of kc*mr, B panel of kc*nr elements.
                unsafe {
                    run_tile(mr, nr, rows, cols, ct, cb.ldc, cb.overwrite, |cp, ld| {
                        (kern.func)(kc, tail.as_ptr(), bpanel.as_ptr(), cp, ld, cb.overwrite)
                    })
                };
            }
        }
    }
}

/// Runs the micro-kernel over all `mr x nr` tiles of the block `cb`.
///
/// # Safety
///
/// `cb` must be valid for its `rows x cols` block with row stride `ldc`;
/// the CPU must support `kern`'s target features.
unsafe fn macro_kernel<T: GemmScalar>(
    kern: &Kernel<T>,
    kc: usize,
    ap: &[T],
    bp: &[T],
    cb: CBlock<T>,
) {
    let (mr, nr) = (kern.mr, kern.nr);
    for (jq, bpanel) in bp.chunks_exact(nr * kc).enumerate() {
        let j0 = jq * nr;
        let cols = nr.min(cb.cols - j0);
        for (iq, apanel) in ap.chunks_exact(mr * kc).enumerate() {
            let i0 = iq * mr;
            let rows = mr.min(cb.rows - i0);
            // SAFETY: (i0, j0) is inside the block.
            let ct = unsafe { cb.ptr.add(i0 * cb.ldc + j0) };
            // SAFETY: the panels hold kc*mr / kc*nr elements; the tile is
            // inside the block; the kernel path was validated by the caller.
            unsafe {
                run_tile(mr, nr, rows, cols, ct, cb.ldc, cb.overwrite, |cp, ld| {
                    (kern.func)(kc, apanel.as_ptr(), bpanel.as_ptr(), cp, ld, cb.overwrite)
                })
            };
        }
    }
}

/// `C = A · B` (`accumulate == false`) or `C += A · B`, as [`super::gemm`] computes it (the
/// same bits), with `B` packed beforehand. Runs on the calling thread: the products it serves
/// are a step's, which the caller already runs side by side.
///
/// # Panics
///
/// If `a.cols` is not `B`'s rows, `c.len() != a.rows * B.cols`, or `a` reaches past its data.
pub(crate) fn gemm_packed<T: GemmScalar>(
    a: MatRef<T>,
    b: &PackedB<T>,
    c: &mut [T],
    accumulate: bool,
) {
    let (m, k, n) = (a.rows, a.cols, b.cols());
    assert!(
        k == b.matrix().rows && c.len() == m * n,
        "gemm_packed: A is {m} x {k}, B is {} x {n}, C has length {}",
        b.matrix().rows,
        c.len()
    );
    a.check_bounds("A");
    if empty_product(m, k, n, c, accumulate) {
        return;
    }
    if let Some(dk) = b.kernel().dot.filter(|dk| super::dot::applies(dk, &a, n)) {
        // SAFETY: `c` holds the m x n output (checked above).
        unsafe { super::dot::run(dk, a, b.matrix(), c.as_mut_ptr(), accumulate) };
        return;
    }
    // SAFETY: `c` is a row-major m x n buffer with row stride n; both views are in bounds
    // (checked above and in `PackedB::with_path`), whose kernel path this CPU runs.
    unsafe {
        serial(
            b.kernel(),
            &a,
            BSource::Packed(b),
            c.as_mut_ptr(),
            n,
            accumulate,
        )
    };
}
