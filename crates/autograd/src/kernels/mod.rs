//! Compute kernels behind the tensor ops. [`matmul_into`] is the one entry point the `matmul` op
//! uses for every 2-D product.

use crate::element::Element;
use ndarray::{ArrayView2, ArrayViewMut2};

/// `c = a · b` for 2-D views (any strides).
pub fn matmul_into<T: Element>(
    a: ArrayView2<'_, T>,
    b: ArrayView2<'_, T>,
    mut c: ArrayViewMut2<'_, T>,
) {
    ndarray::linalg::general_mat_mul(T::one(), &a, &b, T::zero(), &mut c);
}
