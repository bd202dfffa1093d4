//! Portable micro-kernels (plain Rust, auto-vectorised by the compiler).
//!
//! A fixed-size accumulator array with constant loop bounds lets LLVM keep
//! the tile in vector registers for the baseline target (e.g. SSE2 on
//! x86_64, NEON on aarch64). Multiply and add are separate operations here
//! (no FMA), which is still deterministic.

use super::kernel::Kernel;

/// Generic `MR x NR` micro-kernel (see `kernel::MicroKernel`).
///
/// # Safety
///
/// See `kernel::MicroKernel` (no target-feature requirement).
unsafe fn kernel<T, const MR: usize, const NR: usize>(
    kc: usize,
    a: *const T,
    b: *const T,
    c: *mut T,
    ldc: usize,
    overwrite: bool,
) where
    T: Copy + Default + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
{
    // SAFETY: the caller guarantees kc*MR readable elements at `a` and
    // kc*NR at `b`.
    let (a, b) = unsafe {
        (
            std::slice::from_raw_parts(a, kc * MR),
            std::slice::from_raw_parts(b, kc * NR),
        )
    };
    let mut acc = [[T::default(); NR]; MR];
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        for (row, &ai) in acc.iter_mut().zip(ap) {
            for (x, &bj) in row.iter_mut().zip(bp) {
                *x = *x + ai * bj;
            }
        }
    }
    for (i, row) in acc.iter().enumerate() {
        // SAFETY: the caller guarantees the MR x NR tile at `c` (row stride
        // ldc) is valid and not aliased.
        let cr = unsafe { std::slice::from_raw_parts_mut(c.add(i * ldc), NR) };
        if overwrite {
            cr.copy_from_slice(row);
        } else {
            for (d, &v) in cr.iter_mut().zip(row) {
                *d = *d + v;
            }
        }
    }
}

/// Portable `f32` kernel (4 x 16) and blocking.
pub(super) const KERNEL_F32: Kernel<f32> = Kernel {
    mr: 4,
    nr: 16,
    func: kernel::<f32, 4, 16>,
    transpose: None,
    copy_panels: None,
    direct: None,
    col_major: None,
    shifted: None,
    shifted_a: None,
    dot: None,
};

/// Portable `f64` kernel (4 x 8) and blocking.
pub(super) const KERNEL_F64: Kernel<f64> = Kernel {
    mr: 4,
    nr: 8,
    func: kernel::<f64, 4, 8>,
    transpose: None,
    copy_panels: None,
    direct: None,
    col_major: None,
    shifted: None,
    shifted_a: None,
    dot: None,
};
