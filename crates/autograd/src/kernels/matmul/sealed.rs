//! Per-type, per-path dispatch: the sealed supertrait of
//! [`GemmScalar`](super::GemmScalar), the kernel descriptors, and the
//! thread-local pack buffers.

use super::KernelPath;
use std::cell::RefCell;

/// Signature of a micro-kernel.
///
/// Computes the `MR x NR` tile `acc = sum_p a[p*MR + i] * b[p*NR + j]`
/// over `p in 0..kc` and then stores `c = acc` (`overwrite`) or
/// `c = c + acc` into `c[i*ldc + j]`.
///
/// # Safety
///
/// `a` must be valid for `kc*MR` reads, `b` for `kc*NR` reads, `c` must be
/// valid for reads and writes of the full `MR x NR` tile with row stride
/// `ldc`, and the CPU must support the kernel's target features.
pub type MicroKernel<T> =
    unsafe fn(kc: usize, a: *const T, b: *const T, c: *mut T, ldc: usize, overwrite: bool);

/// A micro-kernel together with its register tile and cache blocking.
#[derive(Clone, Copy)]
pub struct Kernel<T> {
    /// Rows of the register tile.
    pub mr: usize,
    /// Columns of the register tile.
    pub nr: usize,
    /// Depth of a packed block (`k` blocking).
    pub kc: usize,
    /// Rows of a packed `A` block (multiple of `mr`).
    pub mc: usize,
    /// Columns of a packed `B` block (multiple of `nr`).
    pub nc: usize,
    /// The micro-kernel.
    pub func: MicroKernel<T>,
    /// Optional SIMD block transpose used when packing needs a transpose.
    pub transpose: Option<TransposeBlock<T>>,
    /// Optional variant of `func` reading a row-major `A` in place.
    pub direct: Option<DirectKernel<T>>,
    /// Optional dot-product kernel for very narrow outputs.
    pub dot: Option<DotKernel<T>>,
}

/// A dot-product kernel for very narrow outputs (see `dot.rs`).
#[derive(Clone, Copy)]
pub struct DotKernel<T> {
    /// Largest `n` the dot path is used for.
    pub max_n: usize,
    /// Smallest `k` the dot path is used for.
    pub min_k: usize,
    /// `func(k, a, lda, rows, bt, c, ldc, cols, overwrite)` computes the
    /// `rows x cols` block (`rows, cols <= 4`)
    /// `s[r][j] = sum_p a[r*lda + p] * bt[j*k + p]` and stores
    /// `c[r*ldc + j] = s` (`overwrite`) or `c + s`.
    ///
    /// # Safety
    ///
    /// `a + r*lda` readable for `k` elements for `r < rows` (`rows >= 1`),
    /// `bt` readable for `4*k` elements, the `rows x cols` block of `c`
    /// valid, and the CPU must support the kernel's target features.
    pub func: unsafe fn(
        k: usize,
        a: *const T,
        lda: usize,
        rows: usize,
        bt: *const T,
        c: *mut T,
        ldc: usize,
        cols: usize,
        overwrite: bool,
    ),
}

/// Like [`MicroKernel`], but reading `A` element `(i, p)` from
/// `a[i*lda + p]` instead of a packed panel.
///
/// # Safety
///
/// As [`MicroKernel`], with `a + i*lda` valid for `kc` reads for every
/// tile row `i < MR`.
pub type DirectKernel<T> = unsafe fn(
    kc: usize,
    a: *const T,
    lda: usize,
    b: *const T,
    c: *mut T,
    ldc: usize,
    overwrite: bool,
);

/// A SIMD square block transpose.
#[derive(Clone, Copy)]
pub struct TransposeBlock<T> {
    /// Block size `S`.
    pub size: usize,
    /// `func(src, stride, lanes, dst, ld, width)` sets
    /// `dst[p*ld + l] = src[l*stride + p]` for `p < S`, `l < lanes`,
    /// and to zero for `lanes <= l < width` (`lanes <= width <= S`).
    ///
    /// # Safety
    ///
    /// `S` elements readable at `src + l*stride` for `l < lanes`, `width`
    /// elements writable at `dst + p*ld` for `p < S`, and the CPU must
    /// support the function's target features.
    pub func:
        unsafe fn(src: *const T, stride: usize, lanes: usize, dst: *mut T, ld: usize, width: usize),
    /// Optional `pair(src, stride, lanes, lo, hi)`: like `func` with
    /// `width = S` and `ld = S/2`, but lanes `0..S/2` are written to
    /// `lo + p*S/2` and lanes `S/2..S` to `hi + p*S/2` (two adjacent
    /// micro-panels of `S/2` rows packed at once).
    ///
    /// # Safety
    ///
    /// As `func`, with `S/2` elements writable at `lo + p*S/2` and
    /// `hi + p*S/2` for `p < S`.
    pub pair: Option<PairTranspose<T>>,
}

/// Signature of [`TransposeBlock::pair`].
pub type PairTranspose<T> =
    unsafe fn(src: *const T, stride: usize, lanes: usize, lo: *mut T, hi: *mut T);

/// Thread-local pack buffers for one element type.
pub type PackBuffers<T> = RefCell<(Vec<T>, Vec<T>)>;

/// Per-type implementation details of [`super::GemmScalar`].
pub trait Sealed: Sized + 'static {
    /// The micro-kernel and blocking for `path` and an output `n`
    /// columns wide.
    fn kernel(path: KernelPath, n: usize) -> Kernel<Self>;
    /// Runs `f` with this thread's reusable pack buffers.
    fn with_buffers<R>(f: impl FnOnce(&PackBuffers<Self>) -> R) -> R;
}

thread_local! {
    static BUF_F32: PackBuffers<f32> = const { RefCell::new((Vec::new(), Vec::new())) };
    static BUF_F64: PackBuffers<f64> = const { RefCell::new((Vec::new(), Vec::new())) };
}

impl Sealed for f32 {
    fn kernel(path: KernelPath, n: usize) -> Kernel<f32> {
        match path {
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx512 if n <= 16 => super::avx512::KERNEL_F32_NARROW,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx512 => super::avx512::KERNEL_F32,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx2Fma => super::avx2::KERNEL_F32,
            #[cfg(not(target_arch = "x86_64"))]
            KernelPath::Avx512 | KernelPath::Avx2Fma => {
                unreachable!("x86 kernel path requested on a non-x86_64 target")
            }
            KernelPath::Portable => super::portable::KERNEL_F32,
        }
    }
    fn with_buffers<R>(f: impl FnOnce(&PackBuffers<f32>) -> R) -> R {
        BUF_F32.with(f)
    }
}

impl Sealed for f64 {
    fn kernel(path: KernelPath, n: usize) -> Kernel<f64> {
        match path {
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx512 if n <= 8 => super::avx512::KERNEL_F64_NARROW,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx512 => super::avx512::KERNEL_F64,
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx2Fma => super::avx2::KERNEL_F64,
            #[cfg(not(target_arch = "x86_64"))]
            KernelPath::Avx512 | KernelPath::Avx2Fma => {
                unreachable!("x86 kernel path requested on a non-x86_64 target")
            }
            KernelPath::Portable => super::portable::KERNEL_F64,
        }
    }
    fn with_buffers<R>(f: impl FnOnce(&PackBuffers<f64>) -> R) -> R {
        BUF_F64.with(f)
    }
}
