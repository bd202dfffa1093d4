//! Compute kernels behind the tensor ops. [`matmul_into`] is the one entry point the `matmul`
//! and `linear` ops use for every 2-D product.

use crate::element::Element;
use ndarray::{ArrayView2, ArrayViewMut2};

/// Products with at most this many multiply-adds use a plain loop: for the lecture network's
/// 3×2·2×3 matrices, a blocked kernel's setup costs more than the arithmetic.
pub const SMALL_MATMUL_FLOPS: usize = 4096;

/// `c = a · b` for 2-D views (any strides). Each output element is summed over `k` in order,
/// so the result does not depend on the thread count.
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
    } else {
        ndarray::linalg::general_mat_mul(T::one(), &a, &b, T::zero(), &mut c);
    }
}

fn small_matmul<T: Element>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    // Strided reads through raw slices: no per-element bounds checks or index arithmetic
    // beyond one multiply-add.
    let (ars, acs) = (a.strides()[0], a.strides()[1]);
    let (brs, bcs) = (b.strides()[0], b.strides()[1]);
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    for i in 0..m {
        for j in 0..n {
            let mut acc = T::zero();
            for p in 0..k {
                // SAFETY: i < m, p < k, j < n index inside both views, whose strides (in
                // elements, possibly transposed) come from ndarray.
                unsafe {
                    let x = *pa.offset(i as isize * ars + p as isize * acs);
                    let y = *pb.offset(p as isize * brs + j as isize * bcs);
                    acc += x * y;
                }
            }
            c[(i, j)] = acc;
        }
    }
}
