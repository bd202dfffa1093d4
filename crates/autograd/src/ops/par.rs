//! Data parallelism for large elementwise ops and full reductions, deterministic whatever the
//! thread count.
//!
//! * A tensor of at least [`PAR_MIN_ELEMENTS`] elements, stored row-major, is cut into
//!   [`PAR_CHUNK`]-element chunks at fixed positions, and rayon runs the chunks on its pool.
//! * Elementwise results do not depend on the cut at all (each element is computed alone).
//! * A full sum adds each chunk left to right, then adds the chunk sums left to right in chunk
//!   order. The cut depends only on the element count, so the same input gives the same bits
//!   with 1 thread or 64 (`tests/parallel.rs` checks 1 and 2 threads); it differs from the
//!   strict left-to-right sum used below the threshold only by rounding (and is usually closer
//!   to the exact sum).
//! * Smaller tensors run the same loops serially: below about 32k elements the cost of waking
//!   the pool exceeds the work. Broadcasting binary ops other than a scalar or an operand
//!   repeated along the other's leading dimensions keep `ndarray`'s serial arithmetic.
//! * With one thread ([`use_pool`] false) the caller runs the same chunks itself, in order.

use crate::element::Element;
use crate::kernels::math;
use crate::kernels::math::add_all;
use crate::threads::use_pool;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use rayon::prelude::*;
use smallvec::SmallVec;
use std::mem::MaybeUninit;

/// Tensors with at least this many elements run in parallel.
pub(crate) const PAR_MIN_ELEMENTS: usize = 32 * 1024;
/// The fixed chunk size of the parallel paths (a multiple of every SIMD width).
pub(crate) const PAR_CHUNK: usize = 8 * 1024;

/// `f(i, chunk)` for every `size`-element chunk `i` of `out`, in parallel when `work` (the
/// elements the caller reads) is at least [`PAR_MIN_ELEMENTS`]. Each chunk is computed alone,
/// so the split never changes the result: the fast paths of the norms, pooling, softmax and the
/// LSTM cell (planes, rows, lanes) go through here.
pub(crate) fn for_each_chunk<A: Send>(
    out: &mut [A],
    size: usize,
    work: usize,
    f: impl Fn(usize, &mut [A]) + Sync + Send,
) {
    if size == 0 {
        return;
    }
    if work >= PAR_MIN_ELEMENTS && use_pool() {
        out.par_chunks_mut(size)
            .enumerate()
            .for_each(|(i, o)| f(i, o));
    } else {
        out.chunks_mut(size).enumerate().for_each(|(i, o)| f(i, o));
    }
}

/// `(0..n).map(f)` collected, in parallel when `work` is at least [`PAR_MIN_ELEMENTS`].
pub(crate) fn map_indices<R: Send>(
    n: usize,
    work: usize,
    f: impl Fn(usize) -> R + Sync + Send,
) -> Vec<R> {
    if work >= PAR_MIN_ELEMENTS && use_pool() {
        (0..n).into_par_iter().map(f).collect()
    } else {
        (0..n).map(f).collect()
    }
}

/// A new vector of `len` elements in chunks of `size`, each filled by `f(chunk index, chunk)`
/// in one task, in parallel when `work` is large ([`for_each_chunk`]). The chunks are handed
/// over uninitialised, with no zeroing pass before `f`: a `memset` per chunk was 5 % of a
/// ResNet block's profile when every elementwise result went through one, and a tenth of
/// cross-entropy's forward and backward (softmax's lanes, layer norm's rows).
///
/// # Safety
/// `f(i, chunk)` must write every element of `chunk` (or panic).
pub(crate) unsafe fn written_chunks<T: Element>(
    len: usize,
    size: usize,
    work: usize,
    f: impl Fn(usize, &mut [MaybeUninit<T>]) + Sync + Send,
) -> Vec<T> {
    let mut out: Vec<T> = crate::buffer_cache::uninit(len);
    if len == 0 {
        return out;
    }
    assert!(size > 0, "written_chunks: {len} elements in chunks of 0");
    for_each_chunk(&mut out.spare_capacity_mut()[..len], size, work, f);
    // SAFETY: `for_each_chunk` handed every element of the first `len` to `f` (`size > 0`),
    // which wrote it (the caller's promise).
    unsafe { out.set_len(len) };
    out
}

/// [`written_chunks`] for two outputs at once: `f(i, a, b)` gets chunk `i` of each (`size`
/// elements of both), as an op writing its values and their indices in one pass does.
///
/// # Safety
/// `f(i, a, b)` must write every element of `a` and of `b` (or panic).
pub(crate) unsafe fn written_chunk_pairs<A: Send + 'static, B: Send + 'static>(
    len: usize,
    size: usize,
    work: usize,
    f: impl Fn(usize, &mut [MaybeUninit<A>], &mut [MaybeUninit<B>]) + Sync + Send,
) -> (Vec<A>, Vec<B>) {
    let (mut a, mut b): (Vec<A>, Vec<B>) = (
        crate::buffer_cache::uninit(len),
        crate::buffer_cache::uninit(len),
    );
    if len == 0 {
        return (a, b);
    }
    assert!(
        size > 0,
        "written_chunk_pairs: {len} elements in chunks of 0"
    );
    let (sa, sb) = (
        &mut a.spare_capacity_mut()[..len],
        &mut b.spare_capacity_mut()[..len],
    );
    if work >= PAR_MIN_ELEMENTS && use_pool() {
        sa.par_chunks_mut(size)
            .zip(sb.par_chunks_mut(size))
            .enumerate()
            .for_each(|(i, (ca, cb))| f(i, ca, cb));
    } else {
        for (i, (ca, cb)) in sa.chunks_mut(size).zip(sb.chunks_mut(size)).enumerate() {
            f(i, ca, cb);
        }
    }
    // SAFETY: every element of the first `len` of both was handed to `f` (`size > 0`), which
    // wrote it (the caller's promise).
    unsafe {
        a.set_len(len);
        b.set_len(len);
    }
    (a, b)
}

/// The row-major values of `a` as one slice, if `a` is large enough for the parallel path.
fn large_slice<'a, T>(a: &'a ArrayViewD<'_, T>) -> Option<&'a [T]> {
    if a.len() < PAR_MIN_ELEMENTS {
        return None;
    }
    a.as_slice()
}

/// `f` of every element of `a`, as a new row-major array, in vectorised loops
/// (`kernels::math::map`), in parallel when it is large. Any other layout is gathered into
/// row-major order first: `f` then always runs compiled with this CPU's vectors and FMA (where
/// `math::exp_f32_fused`'s multiply–adds are instructions, not calls to libm's `fmaf`), and a
/// strided input is not left to a scalar loop.
pub(crate) fn map<T: Element>(a: &ArrayViewD<'_, T>, f: impl Fn(T) -> T + Sync) -> ArrayD<T> {
    let gathered: Vec<T>;
    let src = match a.as_slice() {
        Some(src) => src,
        None => {
            gathered = a.iter().copied().collect();
            &gathered
        }
    };
    ArrayD::from_shape_vec(IxDyn(a.shape()), map_values(src, f)).expect("same element count")
}

/// `a[i] = f(a[i])` in place for row-major values, vectorised for this CPU, in parallel when
/// large.
pub(crate) fn map_in_place<T: Element>(a: &mut [T], f: impl Fn(T) -> T + Sync) {
    let n = a.len();
    for_each_chunk(a, PAR_CHUNK, n, |_, o| {
        math::simd(
            #[inline(always)]
            || o.iter_mut().for_each(|x| *x = f(*x)),
        )
    });
}

/// [`map`] of row-major values, as row-major values.
pub(crate) fn map_values<T: Element>(src: &[T], f: impl Fn(T) -> T + Sync) -> Vec<T> {
    // SAFETY: `map_uninit` writes every element of its chunk.
    unsafe {
        written_chunks(src.len(), PAR_CHUNK, src.len(), |i, o| {
            math::map_uninit(&src[i * PAR_CHUNK..][..o.len()], o, &f)
        })
    }
}

/// `f(a, b)` elementwise with broadcasting: for row-major operands of one shape, one of a
/// single element, or one whose shape is the other's trailing dimensions, in vectorised loops
/// (`kernels::math::zip_map`, [`map`]), in parallel when they are large; else through
/// `ndarray`'s broadcasting arithmetic (`serial`).
pub(crate) fn zip_map<T: Element>(
    a: &ArrayViewD<'_, T>,
    b: &ArrayViewD<'_, T>,
    f: impl Fn(T, T) -> T + Sync,
    serial: impl FnOnce(&ArrayViewD<'_, T>, &ArrayViewD<'_, T>) -> ArrayD<T>,
) -> ArrayD<T> {
    // One operand a single value expanded to the other's shape (the gradient of a `sum` or a
    // `mean` meeting the other operand in a backward rule): a scalar.
    if a.shape() == b.shape() {
        if let (Some(_), Some(s)) = (a.as_slice(), repeated(b)) {
            return map(a, |v| f(v, s));
        }
        if let (Some(s), Some(_)) = (repeated(a), b.as_slice()) {
            return map(b, |v| f(s, v));
        }
    }
    let (Some(x), Some(y)) = (a.as_slice(), b.as_slice()) else {
        return serial(a, b);
    };
    // One operand a single element (a scalar, `x * 0.5`) that does not add dimensions.
    if y.len() == 1 && b.ndim() <= a.ndim() {
        let s = y[0];
        return map(a, |v| f(v, s));
    }
    if x.len() == 1 && a.ndim() <= b.ndim() {
        let s = x[0];
        return map(b, |v| f(s, v));
    }
    if a.shape() != b.shape() {
        // One operand's shape the other's trailing dimensions (a bias added to every row, a
        // position embedding to every sequence of a batch): that operand is read again for
        // each of the other's leading indices, a vector loop each time.
        let (sa, sb) = (a.shape(), b.shape());
        if sb.len() <= sa.len() && sa.ends_with(trailing(sb)) {
            return repeated_rows::<T, false>(x, y, sa, f);
        }
        if sa.len() <= sb.len() && sb.ends_with(trailing(sa)) {
            return repeated_rows::<T, true>(y, x, sb, f);
        }
        return serial(a, b);
    }
    ArrayD::from_shape_vec(IxDyn(a.shape()), zip_values(x, y, f)).expect("same element count")
}

/// `shape` without its leading dimensions of size 1.
fn trailing(shape: &[usize]) -> &[usize] {
    &shape[shape.iter().take_while(|&&d| d == 1).count()..]
}

/// [`zip_map`] where one operand repeats along the other's leading dimensions: `f(l, s)` (or
/// `f(s, l)` when `SWAP`, the short operand being the first) for each element `l` of `long`
/// (of shape `shape`) and the element `s` of `short` at its position in the row. Rows are
/// taken several at a time, so that a short row does not pay a dispatch of its own; in
/// parallel when large.
fn repeated_rows<T: Element, const SWAP: bool>(
    long: &[T],
    short: &[T],
    shape: &[usize],
    f: impl Fn(T, T) -> T + Sync,
) -> ArrayD<T> {
    let n = short.len();
    let values = if let Some(rows_a_chunk) = PAR_CHUNK.checked_div(n) {
        let size = rows_a_chunk.max(1) * n;
        // SAFETY: each chunk is whole rows (`size` and `long.len()` are multiples of `n`), and
        // the loop writes every element of each.
        unsafe {
            written_chunks(long.len(), size, long.len(), |i, o| {
                let rows = &long[i * size..][..o.len()];
                math::simd(
                    #[inline(always)]
                    || {
                        for (row, out) in rows.chunks_exact(n).zip(o.chunks_exact_mut(n)) {
                            for ((o, &l), &s) in out.iter_mut().zip(row).zip(short) {
                                o.write(if SWAP { f(s, l) } else { f(l, s) });
                            }
                        }
                    },
                )
            })
        }
    } else {
        Vec::new() // an empty row: `long` is empty too
    };
    ArrayD::from_shape_vec(IxDyn(shape), values).expect("same element count")
}

/// The one value `a` holds at every index, if it is a single element expanded (every stride
/// 0) to at least one element.
fn repeated<T: Copy>(a: &ArrayViewD<'_, T>) -> Option<T> {
    if a.strides().iter().all(|&s| s == 0) {
        a.first().copied()
    } else {
        None
    }
}

/// `f(a[i], b[i])` for row-major values of one length, as row-major values ([`zip_map`]'s
/// loop, in parallel when large).
pub(crate) fn zip_values<T: Element>(a: &[T], b: &[T], f: impl Fn(T, T) -> T + Sync) -> Vec<T> {
    assert_eq!(
        a.len(),
        b.len(),
        "zip_values: operands of different lengths"
    );
    // SAFETY: `zip_map_uninit` writes every element of its chunk.
    unsafe {
        written_chunks(a.len(), PAR_CHUNK, a.len(), |i, o| {
            let at = i * PAR_CHUNK;
            math::zip_map_uninit(&a[at..at + o.len()], &b[at..at + o.len()], o, &f)
        })
    }
}

/// `a[i] = f(a[i], b[i])` in place for row-major values of one length, vectorised for this
/// CPU, in parallel when large.
pub(crate) fn zip_in_place<T: Element>(a: &mut [T], b: &[T], f: impl Fn(T, T) -> T + Sync) {
    assert_eq!(
        a.len(),
        b.len(),
        "zip_in_place: operands of different lengths"
    );
    let n = a.len();
    for_each_chunk(a, PAR_CHUNK, n, |i, o| {
        let b = &b[i * PAR_CHUNK..][..o.len()];
        math::simd(
            #[inline(always)]
            || o.iter_mut().zip(b).for_each(|(x, &y)| *x = f(*x, y)),
        )
    });
}

/// The sum of all elements: for a large row-major `a`, chunk sums in parallel (each in sixteen
/// lanes, [`math::add_lanes`]) combined in chunk order; the left-to-right sum otherwise.
pub(crate) fn sum<T: Element>(a: &ArrayViewD<'_, T>) -> T {
    // Every sum starts from +0.0, as PyTorch's accumulator (`add_all`).
    let Some(src) = large_slice(a) else {
        return add_all(a.iter().copied());
    };
    // Each chunk of `PAR_CHUNK` is summed alone (its bits do not depend on the threads), four
    // side by side where four whole ones follow (`add_lanes4`).
    let quads = |c: &[T]| -> SmallVec<[T; 4]> {
        match c.len() == 4 * PAR_CHUNK {
            true => {
                let (a, b) = c.split_at(2 * PAR_CHUNK);
                let ((a0, a1), (b0, b1)) = (a.split_at(PAR_CHUNK), b.split_at(PAR_CHUNK));
                math::add_lanes4([a0, a1, b0, b1]).into_iter().collect()
            }
            false => c.chunks(PAR_CHUNK).map(math::add_lanes).collect(),
        }
    };
    let partial: Vec<T> = if use_pool() {
        src.par_chunks(4 * PAR_CHUNK).flat_map_iter(quads).collect()
    } else {
        src.chunks(4 * PAR_CHUNK).flat_map(quads).collect()
    };
    add_all(partial.into_iter())
}
