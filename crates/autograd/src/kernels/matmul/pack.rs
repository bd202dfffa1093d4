//! Packing of strided operand blocks into contiguous micro-panels, written into this thread's
//! reusable pack buffers ([`with_pack_buffers`]) at 64-byte aligned offsets ([`aligned`]).
//!
//! Packed `A` (an `mc x kc` block) is a sequence of `ceil(mc / mr)`
//! micro-panels; panel `q` stores element `(q*mr + i, p)` at
//! `q*mr*kc + p*mr + i`. Packed `B` (a `kc x nc` block) is a sequence of
//! `ceil(nc / nr)` micro-panels; panel `q` stores element `(p, q*nr + j)` at
//! `q*nr*kc + p*nr + j`. Rows / columns past the block edge are zero-filled,
//! so the micro-kernels always work on full tiles.
//!
//! Bounds are checked with ordinary slice indexing; the views were validated
//! up front so these checks never fail, and packing is a small fraction of
//! the total work.

use super::kernel::{CopyPanels, Kernel, PairTranspose, TransposeBlock};
use super::{GemmScalar, MatRef};

/// `f(a_buffer, b_buffer)` with this thread's reusable pack buffers, or fresh ones for a
/// re-entrant call on this thread (a product inside another's parallel part).
pub(super) fn with_pack_buffers<T: GemmScalar, R>(
    f: impl FnOnce(&mut Vec<T>, &mut Vec<T>) -> R,
) -> R {
    T::with_buffers(|cell| {
        let mut fresh = (Vec::new(), Vec::new());
        let mut held = cell.try_borrow_mut();
        let (abuf, bbuf) = match held.as_deref_mut() {
            Ok(bufs) => bufs,
            Err(_) => &mut fresh,
        };
        f(abuf, bbuf)
    })
}

/// Returns a 64-byte aligned, `len`-element slice of `buf`, growing it if
/// needed.
pub(super) fn aligned<T: Copy + Default>(buf: &mut Vec<T>, len: usize) -> &mut [T] {
    let extra = 64 / std::mem::size_of::<T>();
    if buf.len() < len + extra {
        buf.resize(len + extra, T::default());
    }
    let off = buf.as_ptr().align_offset(64).min(extra);
    &mut buf[off..off + len]
}

/// Packs the block `A[row0 .. row0+mc, col0 .. col0+kc]` into `out`
/// (`kern.mr`-row micro-panels, see the module docs).
pub(super) fn pack_a<T: Copy + Default>(
    a: &MatRef<T>,
    row0: usize,
    col0: usize,
    mc: usize,
    kc: usize,
    kern: &Kernel<T>,
    out: &mut [T],
) {
    let (mr, tr) = (kern.mr, kern.transpose);
    if a.col_stride == 1 {
        if let Some((tr, pair)) = tr.and_then(|t| t.pair.map(|p| (t, p))) {
            if tr.size == 2 * mr {
                // Rows are contiguous: transpose two micro-panels at a time.
                for (q2, panels) in out.chunks_mut(2 * mr * kc).enumerate() {
                    let r0 = row0 + q2 * 2 * mr;
                    let rows = (2 * mr).min(row0 + mc - r0);
                    let start = a.offset + r0 * a.row_stride + col0;
                    if panels.len() == 2 * mr * kc {
                        let (lo, hi) = panels.split_at_mut(mr * kc);
                        interleave_pair(a.data, start, a.row_stride, rows, kc, mr, pair, lo, hi);
                    } else {
                        interleave(a.data, start, a.row_stride, rows, kc, mr, Some(tr), panels);
                    }
                }
                return;
            }
        }
    }
    for (q, panel) in out.chunks_exact_mut(mr * kc).enumerate() {
        let r0 = row0 + q * mr;
        let rows = mr.min(row0 + mc - r0);
        if a.col_stride == 1 {
            // Rows are contiguous: a blocked transpose.
            let start = a.offset + r0 * a.row_stride + col0;
            interleave(a.data, start, a.row_stride, rows, kc, mr, tr, panel);
        } else {
            // General strides (including column-major / transposed views,
            // where the inner loop over i reads contiguously).
            gather_strided(a.data, panel, mr, rows, a.row_stride, |p| {
                a.offset + (col0 + p) * a.col_stride + r0 * a.row_stride
            });
        }
    }
}

/// Packs the block `B[row0 .. row0+kc, col0 .. col0+nc]` into `out`
/// (`kern.nr`-column micro-panels, see the module docs).
pub(super) fn pack_b<T: Copy + Default>(
    b: &MatRef<T>,
    row0: usize,
    col0: usize,
    kc: usize,
    nc: usize,
    kern: &Kernel<T>,
    out: &mut [T],
) {
    let (nr, tr) = (kern.nr, kern.transpose);
    if b.col_stride == 1 {
        // Rows are contiguous: a fixed-size move per panel row for the kernels' widths.
        match nr * std::mem::size_of::<T>() {
            128 => copy_panels::<T, 128>(b, [row0, col0, kc, nc, nr], kern.copy_panels, out),
            64 => copy_panels::<T, 64>(b, [row0, col0, kc, nc, nr], kern.copy_panels, out),
            _ => copy_panels::<T, 0>(b, [row0, col0, kc, nc, nr], None, out),
        }
        return;
    }
    for (q, panel) in out.chunks_exact_mut(nr * kc).enumerate() {
        let c0 = col0 + q * nr;
        let cols = nr.min(col0 + nc - c0);
        if b.row_stride == 1 {
            // Columns are contiguous (transposed view): a blocked transpose.
            let start = b.offset + c0 * b.col_stride + row0;
            interleave(b.data, start, b.col_stride, cols, kc, nr, tr, panel);
        } else {
            gather_strided(b.data, panel, nr, cols, b.col_stride, |p| {
                b.offset + (row0 + p) * b.row_stride + c0 * b.col_stride
            });
        }
    }
}

/// [`pack_b`] of a row-major `B` whose panel rows are `BYTES` long (`nr` elements; `BYTES = 0`:
/// another length, copied with [`copy_run`]): each full panel row is one fixed-size move, a
/// few source rows at a time across all the panels (reads along rows, one stream per row,
/// which the hardware prefetches, instead of down a column of pages), and only a last, partial
/// panel is copied with run-time lengths ([`copy_run`], then zeros). The general loop's slicing
/// and run-time lengths made packing `B` 8 % of a 128 x 784 x 512 product on one thread
/// (Zen 4, `perf`); with this form the product took 971 instead of 1 014 us (one program per
/// build, alternated three times, medians; two threads 502 -> 481 us). With `simd` (the kernel
/// path's [`Kernel::copy_panels`]) the full panels are copied by it in the same order with
/// the path's widest moves, which code compiled for any x86-64 cannot use.
fn copy_panels<T: Copy + Default, const BYTES: usize>(
    b: &MatRef<T>,
    [row0, col0, kc, nc, nr]: [usize; 5],
    simd: Option<CopyPanels<T>>,
    out: &mut [T],
) {
    debug_assert!(BYTES == 0 || nr * std::mem::size_of::<T>() == BYTES);
    let full = nc / nr;
    assert!(out.len() == nc.div_ceil(nr) * nr * kc);
    if kc == 0 {
        return;
    }
    // Every read below is inside row row0 + kc - 1's first col0 + nc elements or before.
    let start = b.offset + row0 * b.row_stride + col0;
    assert!(start + (kc - 1) * b.row_stride + nc <= b.data.len());
    let (src, dst) = (b.data.as_ptr(), out.as_mut_ptr());
    if let Some(copy) = simd.filter(|c| BYTES > 0 && c.row_bytes == BYTES) {
        // SAFETY: the full panels' rows, of the copy's width, are in bounds (asserted above)
        // and inside `out`; the caller validated the kernel path whose copy this is.
        unsafe { (copy.func)(src.add(start), b.row_stride, kc, full, dst) };
    } else {
        // SAFETY: source row p's columns q*nr .. q*nr + nr lie before col0 + nc (asserted in
        // bounds); panel q's row p is inside `out` (length asserted). With BYTES > 0 the count
        // is a constant once `T` is known, so the copy is inline moves.
        let src = src.wrapping_add(start);
        panel_rows(src, b.row_stride, kc, full, nr, dst, |s, d| unsafe {
            if BYTES == 0 {
                copy_run(
                    std::slice::from_raw_parts_mut(d, nr),
                    std::slice::from_raw_parts(s, nr),
                );
            } else {
                std::ptr::copy_nonoverlapping(s, d, BYTES / std::mem::size_of::<T>());
            }
        });
    }
    if full * nr < nc {
        let cols = nc - full * nr;
        for (p, row) in out[full * nr * kc..].chunks_exact_mut(nr).enumerate() {
            let s = start + p * b.row_stride + full * nr;
            copy_run(&mut row[..cols], &b.data[s..s + cols]);
            row[cols..].fill(T::default());
        }
    }
}

/// The order in which a row-major `B`'s full panels are packed: `row(s, d)` for row `p` of
/// panel `q` (`s = src + p*row_stride + q*nr`, `d = dst + q*nr*kc + p*nr`), eight source rows
/// at a time across all `panels` (`copy_panels`, and the SIMD copies of [`CopyPanels`], which
/// inline it into their target features).
#[inline(always)]
pub(super) fn panel_rows<T>(
    src: *const T,
    row_stride: usize,
    kc: usize,
    panels: usize,
    nr: usize,
    dst: *mut T,
    mut row: impl FnMut(*const T, *mut T),
) {
    const ROWS: usize = 8;
    for p0 in (0..kc).step_by(ROWS) {
        for q in 0..panels {
            for p in p0..(p0 + ROWS).min(kc) {
                let s = src.wrapping_add(p * row_stride + q * nr);
                row(s, dst.wrapping_add((q * kc + p) * nr));
            }
        }
    }
}

/// `dst.copy_from_slice(src)` in fixed 8-element pieces, which compile to inline vector moves
/// where a copy of a run-time length calls `memmove` (a call per 32-element panel row was 3-5 %
/// of a packed product).
#[inline(always)]
fn copy_run<T: Copy>(dst: &mut [T], src: &[T]) {
    let mut d = dst.chunks_exact_mut(8);
    let mut s = src.chunks_exact(8);
    for (d, s) in (&mut d).zip(&mut s) {
        d.copy_from_slice(s);
    }
    if !s.remainder().is_empty() {
        d.into_remainder().copy_from_slice(s.remainder());
    }
}

/// The general-stride packing of either operand: for every `k` step `p` (one `width`-wide row
/// of `panel`), lane `l < lanes` is `data[base(p) + l*step]` and the lanes past `lanes` are
/// zero.
#[inline]
fn gather_strided<T: Copy + Default>(
    data: &[T],
    panel: &mut [T],
    width: usize,
    lanes: usize,
    step: usize,
    base: impl Fn(usize) -> usize,
) {
    for (p, dst) in panel.chunks_exact_mut(width).enumerate() {
        let base = base(p);
        if step == 1 {
            // Contiguous lanes (a transposed operand's micro-panel): one copy, in runs of
            // eight (a `copy_from_slice` of `lanes` elements was a `memcpy` call per `k` step).
            let (head, tail) = dst.split_at_mut(lanes);
            copy_run(head, &data[base..base + lanes]);
            tail.fill(T::default());
            continue;
        }
        for (l, d) in dst.iter_mut().enumerate() {
            *d = if l < lanes {
                data[base + l * step]
            } else {
                T::default()
            };
        }
    }
}

/// Interleaves `lanes` contiguous source runs of length `len` into `out`:
/// `out[p*width + l] = src[start + l*stride + p]` for `l < lanes`, and zero
/// for `lanes <= l < width`. This is a transpose, done in small blocks so
/// that both the reads and the writes stay within a few cache lines. With the
/// block transpose, a panel wider than one block (a transposed `B`'s 32-wide
/// `f32` panel, two 16 x 16 blocks) is done one block of lanes at a time along
/// all of `len`, so 16 source runs are read at once instead of 32. On Zen 4
/// (one timing program per build, alternated; one thread) the
/// 128 x 512 x 784 product with `B` transposed took 976-1 002 us instead of
/// 1 001-1 030 and 128 x 784 x 512 964-984 instead of 972-1 002; on two
/// threads within the spread (-2 % to +1 %).
///
/// # Panics
///
/// If a source run reaches past `src` or `out.len() != len * width` (checked
/// once up front).
#[allow(clippy::too_many_arguments)]
fn interleave<T: Copy + Default>(
    src: &[T],
    start: usize,
    stride: usize,
    lanes: usize,
    len: usize,
    width: usize,
    tr: Option<TransposeBlock<T>>,
    out: &mut [T],
) {
    const BLOCK: usize = 8;
    assert!(lanes <= width && out.len() == len * width);
    if lanes == 0 {
        out.fill(T::default());
        return;
    }
    // Bounds check for every read below: the last run ends in range.
    assert!(start + (lanes - 1) * stride + len <= src.len());
    let src = src.as_ptr();
    let dst = out.as_mut_ptr();
    // Where the element-by-element tail starts: after the full blocks, if any.
    let mut p0 = 0;
    if let Some(tr) = tr {
        let size = tr.size;
        for g in (0..width).step_by(size) {
            let glanes = lanes.saturating_sub(g).min(size);
            let gwidth = (width - g).min(size);
            for p in (0..len / size * size).step_by(size) {
                // SAFETY: runs g..g+glanes are < lanes and p+size <= len, so
                // all reads are in bounds (asserted above); rows p..p+size
                // of `out` hold `width` elements each, and g + gwidth <= width.
                // The kernel path (and hence the transpose's target features)
                // was checked by the caller.
                unsafe {
                    (tr.func)(
                        src.add(start + g * stride + p),
                        stride,
                        glanes,
                        dst.add(p * width + g),
                        width,
                        gwidth,
                    )
                };
            }
        }
        p0 = len / size * size;
    }
    while p0 < len {
        let pe = (p0 + BLOCK).min(len);
        for l in 0..lanes {
            // SAFETY: l < lanes and p < len, so the read index is at most
            // start + (lanes-1)*stride + len - 1 < src.len() (asserted); the
            // write index p*width + l < len*width = out.len().
            unsafe {
                let s = src.add(start + l * stride);
                for p in p0..pe {
                    *dst.add(p * width + l) = *s.add(p);
                }
            }
        }
        for p in p0..pe {
            for l in lanes..width {
                // SAFETY: p*width + l < len*width = out.len().
                unsafe { *dst.add(p * width + l) = T::default() };
            }
        }
        p0 = pe;
    }
}

/// Like [`interleave`] with `width = 2 * half`, but writing lanes `0..half`
/// to `lo` and `half..2*half` to `hi` (each `len * half` long, row stride
/// `half`), using the pair transpose (block size `2 * half`) for full blocks.
///
/// # Panics
///
/// If a source run reaches past `src` or the outputs have the wrong length.
#[allow(clippy::too_many_arguments)]
fn interleave_pair<T: Copy + Default>(
    src: &[T],
    start: usize,
    stride: usize,
    lanes: usize,
    len: usize,
    half: usize,
    pair: PairTranspose<T>,
    lo: &mut [T],
    hi: &mut [T],
) {
    let size = 2 * half;
    assert!(lanes >= 1 && lanes <= size && lo.len() == len * half && hi.len() == len * half);
    assert!(start + (lanes - 1) * stride + len <= src.len());
    let mut p0 = 0;
    while p0 + size <= len {
        // SAFETY: runs l < lanes are read at p0 .. p0+size <= len (asserted
        // in bounds); rows p0 .. p0+size of lo / hi hold `half` elements
        // each; the kernel path was validated by the caller.
        unsafe {
            pair(
                src.as_ptr().add(start + p0),
                stride,
                lanes,
                lo.as_mut_ptr().add(p0 * half),
                hi.as_mut_ptr().add(p0 * half),
            )
        };
        p0 += size;
    }
    for p in p0..len {
        for l in 0..size {
            let v = if l < lanes {
                src[start + l * stride + p]
            } else {
                T::default()
            };
            if l < half {
                lo[p * half + l] = v;
            } else {
                hi[p * half + l - half] = v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packs rows 1..4 x columns 2..30 of a 5 x 32 row-major `f32` matrix holding `100 * r + c`
    /// with panels `nr` wide, and checks every element against the layout of the module docs:
    /// `(p, q*nr + j)` at `q*nr*kc + p*nr + j`, zero past the block's last column.
    fn check_row_major_b(nr: usize) {
        let kern = Kernel {
            nr,
            ..super::super::portable::KERNEL_F32
        };
        check_packed_b::<f32>(&kern, [5, 32], [1, 2, 3, 28]);
    }

    /// Packs rows `row0 .. row0 + kc` x columns `col0 .. col0 + nc` of a `rows x cols`
    /// row-major matrix holding `1000 * r + c` with `kern`, and checks every element against
    /// the layout of the module docs: `(p, q*nr + j)` at `q*nr*kc + p*nr + j`, zero past the
    /// block's last column.
    fn check_packed_b<T: Copy + Default + PartialEq + std::fmt::Debug + From<u16>>(
        kern: &Kernel<T>,
        [rows, cols]: [usize; 2],
        [row0, col0, kc, nc]: [usize; 4],
    ) {
        let value = |r: usize, c: usize| T::from((1000 * r + c) as u16);
        let data: Vec<T> = (0..rows * cols)
            .map(|i| value(i / cols, i % cols))
            .collect();
        let b = MatRef::row_major(&data, rows, cols);
        let nr = kern.nr;
        let mut out = vec![value(60, 999); nc.div_ceil(nr) * nr * kc];
        pack_b(&b, row0, col0, kc, nc, kern, &mut out);
        for q in 0..nc.div_ceil(nr) {
            for p in 0..kc {
                for j in 0..nr {
                    let col = q * nr + j;
                    let want = if col < nc {
                        value(row0 + p, col0 + col)
                    } else {
                        T::default()
                    };
                    assert_eq!(
                        out[q * nr * kc + p * nr + j],
                        want,
                        "nr {nr}, p {p}, col {col}"
                    );
                }
            }
        }
    }

    /// `base` with `nr`-wide panels whose rows `func` copies.
    #[cfg(target_arch = "x86_64")]
    fn with<T>(
        base: Kernel<T>,
        nr: usize,
        func: super::super::kernel::CopyPanelsFn<T>,
    ) -> Kernel<T> {
        let row_bytes = nr * std::mem::size_of::<T>();
        Kernel {
            nr,
            copy_panels: Some(CopyPanels { row_bytes, func }),
            ..base
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_simd_panel_copies_pack_what_the_moves_pack() {
        use super::super::portable::{KERNEL_F32, KERNEL_F64};
        use super::super::{avx2::copy_panels_64, avx512_pack::copy_panels_128};
        // Three full panels and a partial one (nc = 3·nr + 5), over kc = 11 rows (a block of
        // eight rows and a partial one), from an offset block; 128-byte rows (AVX-512F) and
        // 64-byte ones (AVX).
        if std::arch::is_x86_feature_detected!("avx512f") {
            check_packed_b::<f32>(
                &with(KERNEL_F32, 32, copy_panels_128::<f32>),
                [16, 120],
                [2, 3, 11, 101],
            );
            check_packed_b::<f64>(
                &with(KERNEL_F64, 16, copy_panels_128::<f64>),
                [16, 60],
                [2, 3, 11, 53],
            );
        } else {
            eprintln!("no AVX-512F on this CPU: the 128-byte panel copy is not run");
        }
        if std::arch::is_x86_feature_detected!("avx") {
            check_packed_b::<f32>(
                &with(KERNEL_F32, 16, copy_panels_64::<f32>),
                [16, 60],
                [2, 3, 11, 53],
            );
            check_packed_b::<f64>(
                &with(KERNEL_F64, 8, copy_panels_64::<f64>),
                [16, 40],
                [2, 3, 11, 29],
            );
        } else {
            eprintln!("no AVX on this CPU: the 64-byte panel copy is not run");
        }
    }

    #[test]
    fn a_row_major_b_is_packed_into_its_panels_with_fixed_size_moves() {
        // 16 f32 = 64 bytes, 32 f32 = 128 bytes: the fixed-size forms, each with a partial
        // last panel (28 = 16 + 12, 28 < 32).
        check_row_major_b(16);
        check_row_major_b(32);
    }

    #[test]
    fn a_row_major_b_of_another_panel_width_is_packed_with_run_time_copies() {
        // 12 f32 = 48 bytes: the run-time length form (28 = 2 * 12 + 4).
        check_row_major_b(12);
    }
}
