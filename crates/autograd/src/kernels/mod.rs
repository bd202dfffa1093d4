//! Compute kernels behind the tensor ops.
//!
//! * [`matmul`]: a BLIS/GotoBLAS-style general matrix multiply (GEMM) with cache blocking,
//!   packed operand panels, register-tiled micro-kernels for AVX-512, AVX2+FMA and a portable
//!   fallback (chosen at run time), and rayon parallelism over output tiles. Results are
//!   bit-identical whatever the number of threads.
//! * [`matmul_into`]: the one entry point the `matmul` and `linear` ops use for every 2-D
//!   product: a plain loop for tiny matrices, the GEMM otherwise. Transposed operands (the
//!   backward pass's `Aᵀ·G` and `G·Bᵀ`) are passed as strided views and packed by the GEMM,
//!   never copied first. `small_rows`: the tiny products whose output rows fit one AVX-512
//!   vector (two AVX2 ones), a row at a time, with the plain loop's bits.
//! * `conv`: the sliding-window geometry, im2col/col2im, and a 2-D convolution's forward and
//!   backward as GEMMs over chunks of the batch, in parallel (used by `ops/conv.rs`);
//!   `conv_shifted`: unit-stride convolutions read in place from a padded copy, no im2col;
//!   `winograd`: 3×3 unit-stride convolutions with at least 32 channels each way (forward,
//!   input and weight gradients) by Winograd's F(2×2, 3×3), 16 products with `k = C`;
//!   `im2col_masked`: im2col and col2im of "same" windows (unit strides, as many output
//!   columns as input columns: 3×3 with padding 1) by AVX-512 masked loads.
//! * `max_pool_2x2`: `MaxPool2d(2)` in `f32` on AVX-512, 16 windows a vector by permutes.
//! * `row_sums`: sums over an `f32` row in `f64` (layer norm's statistics) on AVX-512, with
//!   `math::sum_pairs_f64`'s bits.
//! * `softmax_lane`: blocks of `f32` lanes of softmax or log-softmax on AVX-512 (the forward,
//!   and the backward's lane sums), partial sums in registers, with the portable lane's bits.
//! * [`math`]: elementary functions (`exp_f32`) written so that loops over slices vectorise.

pub(crate) mod conv;
pub(crate) mod conv_shifted;
pub(crate) mod im2col_masked;
pub mod math;
pub mod matmul;
pub(crate) mod max_pool_2x2;
pub(crate) mod row_sums;
mod small_rows;
pub(crate) mod softmax_lane;
pub(crate) mod winograd;

use crate::element::Element;
use matmul::gemm_packed;
use matmul::packed::PackedB;
use matmul::MatRef;
use ndarray::{ArrayView2, ArrayViewMut2};
use std::mem::MaybeUninit;

/// Products with at most this many multiply-adds use a plain loop: for the lecture network's
/// 3×2·2×3 matrices, a blocked kernel's setup costs more than the arithmetic.
pub const SMALL_MATMUL_FLOPS: usize = 4096;

/// `c = a · b` for 2-D views (any non-negative strides; `c` row-major for the fast path).
/// Each output element is summed over `k` in a fixed order, so the result does not depend on
/// the thread count.
///
/// ```
/// use ndarray::{arr2, Array2};
/// use tapegrad_autograd::kernels::matmul_into;
/// let a = arr2(&[[1.0f32, 2.0], [3.0, 4.0]]);
/// let mut c = Array2::<f32>::zeros((2, 2));
/// matmul_into(a.view(), a.t(), c.view_mut()); // a · aᵀ
/// assert_eq!(c, arr2(&[[5.0, 11.0], [11.0, 25.0]]));
/// ```
pub fn matmul_into<T: Element>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    assert!(
        b.dim().0 == k && c.dim() == (m, n),
        "matmul_into: shapes {:?} · {:?} -> {:?} do not fit",
        a.dim(),
        b.dim(),
        c.dim()
    );
    if m * n * k <= SMALL_MATMUL_FLOPS {
        small_matmul(a, b, c);
        return;
    }
    match (mat_ref(&a), mat_ref(&b), c.as_slice_mut()) {
        (Some(ar), Some(br), Some(cs)) => matmul::gemm(ar, br, cs, false),
        // Negative strides or a non-contiguous output: never produced by the ops, kept correct.
        _ => ndarray::linalg::general_mat_mul(T::one(), &a, &b, T::zero(), &mut c),
    }
}

/// The right operand of many products `aᵢ · b` (a recurrent layer's weight, read at every
/// step), packed for the GEMM once instead of at every product.
pub(crate) struct PackedRhs<'a, T: 'static> {
    view: ArrayView2<'a, T>,
    /// Do the products take [`matmul_into`]'s plain loop (the whole product is tiny)?
    tiny: bool,
    /// `b` packed, unless tiny or with a negative stride.
    packed: Option<PackedB<'a, T>>,
}

impl<'a, T: Element> PackedRhs<'a, T> {
    /// `b`, for products whose left operands are cut from one of `m` rows. Whether they take
    /// the plain loop or the GEMM is decided here, for the whole product: the bits of a row
    /// do not depend on how the rows are cut.
    pub(crate) fn new(b: ArrayView2<'a, T>, m: usize) -> Self {
        let (k, n) = b.dim();
        let tiny = m * n * k <= SMALL_MATMUL_FLOPS;
        let packed = mat_ref(&b).filter(|_| !tiny).map(PackedB::new);
        PackedRhs {
            view: b,
            tiny,
            packed,
        }
    }
}

/// `c = a · b` as [`matmul_into`] computes it for the whole product `b` was packed for (the
/// same bits), `a` any cut of its rows.
pub(crate) fn matmul_packed_into<T: Element>(
    a: ArrayView2<'_, T>,
    b: &PackedRhs<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
) {
    let ((m, k), n) = (a.dim(), b.view.ncols());
    assert!(
        b.view.nrows() == k && c.dim() == (m, n),
        "matmul_packed_into: shapes {:?} · {:?} -> {:?} do not fit",
        a.dim(),
        b.view.dim(),
        c.dim()
    );
    if b.tiny {
        return small_matmul(a, b.view, c);
    }
    match (&b.packed, mat_ref(&a), c.as_slice_mut()) {
        (Some(pb), Some(ar), Some(cs)) => gemm_packed(ar, pb, cs, false),
        // Negative strides or a non-contiguous output: never produced by the ops, kept correct.
        _ => ndarray::linalg::general_mat_mul(T::one(), &a, &b.view, T::zero(), &mut c),
    }
}

/// The GEMM's view of an ndarray view: the slice its elements span and its strides.
fn mat_ref<'a, T>(v: &ArrayView2<'a, T>) -> Option<MatRef<'a, T>> {
    let (rows, cols) = v.dim();
    let (rs, cs) = (v.strides()[0], v.strides()[1]);
    if rs < 0 || cs < 0 {
        return None;
    }
    let (rs, cs) = (rs as usize, cs as usize);
    let span = if rows == 0 || cols == 0 {
        0
    } else {
        (rows - 1) * rs + (cols - 1) * cs + 1
    };
    // SAFETY: with non-negative strides every element (i, j) of the view lies at
    // ptr + i*rs + j*cs < ptr + span, inside the allocation the view borrows for 'a.
    let data = unsafe { std::slice::from_raw_parts(v.as_ptr(), span) };
    Some(MatRef {
        data,
        offset: 0,
        rows,
        cols,
        row_stride: rs,
        col_stride: cs,
    })
}

/// `c = a · b` into a new row-major `Vec`: the output of the `linear` and `matmul` ops and
/// their backward, written once, never zeroed first (see [`matmul_uninit`]).
pub(crate) fn matmul_vec<T: Element>(a: ArrayView2<'_, T>, b: ArrayView2<'_, T>) -> Vec<T> {
    let len = a.dim().0 * b.dim().1;
    let mut c = crate::buffer_cache::uninit(len);
    matmul_uninit(a, b, &mut c.spare_capacity_mut()[..len]);
    // SAFETY: `matmul_uninit` initialised all `len` elements.
    unsafe { c.set_len(len) };
    c
}

/// A matrix read from a slice: `(values, row stride, column stride)`, strides in elements
/// (a row-major `r × c` matrix is `(v, c, 1)`; its transpose `(v, 1, c)`).
pub(crate) type Strided<'a, T> = (&'a [T], usize, usize);

/// `c = a · b` for an `m × k` and a `k × n` matrix read from slices, into a new row-major
/// `Vec`: [`matmul_vec`] without `ndarray` views for the tiny products (`linear` and its
/// backward), whose shape builder was a store-forwarding stall per view, a fifth of the
/// lecture step's linear backward.
pub(crate) fn matmul_strided<T: Element>(
    (m, k, n): (usize, usize, usize),
    a: Strided<'_, T>,
    b: Strided<'_, T>,
) -> Vec<T> {
    if m * n * k > SMALL_MATMUL_FLOPS {
        fn view<T>((v, rs, cs): Strided<'_, T>, r: usize, c: usize) -> ArrayView2<'_, T> {
            ArrayView2::from_shape(ndarray::ShapeBuilder::strides((r, c), (rs, cs)), v)
                .expect("operand inside its slice")
        }
        return matmul_vec(view(a, m, k), view(b, k, n));
    }
    // The last element each operand reads lies inside its slice.
    let inside = |(v, rs, cs): Strided<'_, T>, r: usize, c: usize| {
        r == 0 || c == 0 || (r - 1) * rs + (c - 1) * cs < v.len()
    };
    assert!(
        inside(a, m, k) && inside(b, k, n),
        "matmul_strided: operands of {m}x{k} and {k}x{n} outside their slices"
    );
    let mut c = crate::buffer_cache::uninit(m * n);
    let ptrs = |(v, rs, cs): Strided<'_, T>| (v.as_ptr(), rs as isize, cs as isize);
    // SAFETY: every element read lies inside its slice (checked above); `c` has room for the
    // m·n elements written at i·n + j, all of them before `set_len`.
    unsafe {
        small_matmul_ptrs((m, n, k), ptrs(a), ptrs(b), (c.as_mut_ptr(), n as isize, 1));
        c.set_len(m * n);
    }
    c
}

/// `c = a · b` into the row-major `m x n` block `c`, which need not be initialised: all of it
/// is after the call. Tiny products take the plain loop, others the GEMM, both writing each
/// element before reading it, so a fresh output is not zeroed first (glibc's `calloc` of a
/// tiny one was slow, and a serial `memset` of a large one was 3 % of the MLP step on two
/// threads).
pub(crate) fn matmul_uninit<T: Element>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    c: &mut [MaybeUninit<T>],
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    assert!(
        b.dim().0 == k && c.len() == m * n,
        "matmul_uninit: shapes {:?} · {:?} do not fit an output of {} elements",
        a.dim(),
        b.dim(),
        c.len()
    );
    if m * n * k <= SMALL_MATMUL_FLOPS {
        // SAFETY: `c` holds the m·n elements written at i·n + j.
        unsafe { small_matmul_raw(a, b, c.as_mut_ptr().cast(), n as isize, 1) };
        return;
    }
    if let (Some(ar), Some(br)) = (mat_ref(&a), mat_ref(&b)) {
        matmul::gemm_uninit(ar, br, c);
        return;
    }
    // Negative strides (never produced by the ops): zeroed, then ndarray's product.
    c.fill(MaybeUninit::new(T::zero()));
    // SAFETY: every element was just initialised.
    let c = unsafe { &mut *(c as *mut [MaybeUninit<T>] as *mut [T]) };
    let cv = ArrayViewMut2::from_shape((m, n), c).expect("row-major c");
    matmul_into(a, b, cv);
}

fn small_matmul<T: Element>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
) {
    let (rsc, csc) = (c.strides()[0], c.strides()[1]);
    // SAFETY: every (i, j) of the view lies at i·rsc + j·csc from its first element.
    unsafe { small_matmul_raw(a, b, c.as_mut_ptr(), rsc, csc) }
}

/// The plain loop of tiny products: `c[i·rsc + j·csc] = Σ_p a[i, p]·b[p, j]`, `p` ascending
/// (the order every path of the GEMM sums in).
///
/// # Safety
/// `c` must be valid for writes at `i·rsc + j·csc` for every `i < m`, `j < n`.
unsafe fn small_matmul_raw<T: Element>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    c: *mut T,
    rsc: isize,
    csc: isize,
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    let a = (a.as_ptr(), a.strides()[0], a.strides()[1]);
    let b = (b.as_ptr(), b.strides()[0], b.strides()[1]);
    // SAFETY: passed on from the caller.
    unsafe { small_matmul_ptrs((m, n, k), a, b, (c, rsc, csc)) }
}

/// [`small_matmul_raw`] on operands given as (pointer, row stride, column stride), in
/// elements.
///
/// # Safety
/// Every `a[i, p]`, `b[p, j]` (`i < m`, `p < k`, `j < n`) lies inside its operand, and `c` is
/// valid for writes at `i·rsc + j·csc`.
#[inline]
unsafe fn small_matmul_ptrs<T: Element>(
    (m, n, k): (usize, usize, usize),
    a: (*const T, isize, isize),
    b: (*const T, isize, isize),
    c: (*mut T, isize, isize),
) {
    // Output rows of one vector, with `B`'s rows contiguous: a vector a row (`small_rows.rs`).
    if b.2 == 1 && c.2 == 1 {
        // SAFETY: passed on from the caller.
        if unsafe { small_rows::small_rows((m, n, k), a, (b.0, b.1), (c.0, c.1)) } {
            return;
        }
    }
    // The inner sum fully unrolled for the short ones (a small batch's `Gᵀ·x`, a layer of
    // two or three inputs), where a loop's setup would cost more than its multiply-adds.
    // SAFETY: passed on from the caller.
    unsafe {
        match k {
            1 => small_loop::<T, 1>(m, n, k, a, b, c),
            2 => small_loop::<T, 2>(m, n, k, a, b, c),
            3 => small_loop::<T, 3>(m, n, k, a, b, c),
            4 => small_loop::<T, 4>(m, n, k, a, b, c),
            _ => small_loop::<T, 0>(m, n, k, a, b, c),
        }
    }
}

/// [`small_matmul_raw`]'s loops, the inner sum of `K` terms when `K > 0`, else of `k`.
/// Operands are (pointer, row stride, column stride), in elements.
///
/// # Safety
/// As [`small_matmul_raw`]: every element indexed lies inside its operand.
#[inline(always)]
unsafe fn small_loop<T: Element, const K: usize>(
    m: usize,
    n: usize,
    k: usize,
    (pa, ars, acs): (*const T, isize, isize),
    (pb, brs, bcs): (*const T, isize, isize),
    (pc, rsc, csc): (*mut T, isize, isize),
) {
    let k = if K > 0 { K } else { k };
    for i in 0..m {
        // SAFETY (all offsets): i < m, p < k, j < n index inside both views, whose strides
        // (in elements, possibly transposed) come from ndarray; the caller vouches for `c`.
        let (ai, ci) = unsafe { (pa.offset(i as isize * ars), pc.offset(i as isize * rsc)) };
        for j in 0..n {
            let bj = unsafe { pb.offset(j as isize * bcs) };
            let mut acc = T::zero();
            for p in 0..k as isize {
                unsafe { acc += *ai.offset(p * acs) * *bj.offset(p * brs) };
            }
            unsafe { *ci.offset(j as isize * csc) = acc };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::matmul_uninit;
    use ndarray::ArrayView2;
    use std::mem::MaybeUninit;

    #[test]
    fn a_fresh_product_writes_every_element_before_reading_it() {
        // The output starts as NaN, standing for memory never written: an element read before
        // it is written (or never written) would come out NaN. Integer values keep every sum
        // exact, so the kernels' order cannot matter. Shapes: the plain loop (3 x 2 x 3), edge
        // tiles, the dot path (n = 10), several k blocks (k = 3000), and with B transposed.
        for &(m, k, n) in &[
            (3, 2, 3),
            (64, 48, 40),
            (33, 100, 70),
            (128, 512, 10),
            (9, 3000, 17),
        ] {
            let a: Vec<f32> = (0..m * k).map(|i| ((i * 7) % 13) as f32 - 6.0).collect();
            let b: Vec<f32> = (0..k * n).map(|i| ((i * 5) % 11) as f32 - 5.0).collect();
            let av = ArrayView2::from_shape((m, k), &a).unwrap();
            let bv = ArrayView2::from_shape((k, n), &b).unwrap();
            let bt = ArrayView2::from_shape((n, k), &b).unwrap(); // read transposed: strided B
            for transposed in [false, true] {
                let mut c = vec![MaybeUninit::new(f32::NAN); m * n];
                matmul_uninit(av, if transposed { bt.t() } else { bv }, &mut c);
                for i in 0..m {
                    for j in 0..n {
                        let bpj = |p: usize| {
                            if transposed {
                                b[j * k + p]
                            } else {
                                b[p * n + j]
                            }
                        };
                        let want: f32 = (0..k).map(|p| a[i * k + p] * bpj(p)).sum();
                        // SAFETY: every element was initialised (to NaN) before the call.
                        let got = unsafe { c[i * n + j].assume_init() };
                        assert_eq!(got, want, "{m}x{k}x{n} ({transposed}): element ({i}, {j})");
                    }
                }
            }
        }
    }
}
