//! Deterministic, cache-blocked general matrix multiply (GEMM).
//!
//! `C (m x n, row-major) = A (m x k) * B (k x n)` (or `C += A * B`), where `A`
//! and `B` are arbitrary strided views ([`MatRef`]), so transposed operands
//! (`A^T * B`, `A * B^T`) are handled by the packing routines without the
//! caller copying anything.
//!
//! # Design
//!
//! The algorithm follows BLIS/GotoBLAS:
//!
//! * the `n` dimension is cut into blocks of `NC` columns, `k` into blocks of
//!   `KC` and `m` into blocks of `MC` rows;
//! * for each `(NC, KC)` block, `B` is packed into `NR`-wide micro-panels, and
//!   for each `(MC, KC)` block `A` is packed into `MR`-tall micro-panels (with
//!   zero padding at the edges), into reusable thread-local buffers;
//! * a register-tiled micro-kernel computes an `MR x NR` tile of `C` from one
//!   `A` and one `B` micro-panel.
//!
//! Micro-kernels exist for AVX-512 (`avx512.rs`), AVX2+FMA (`avx2.rs`) and a
//! portable auto-vectorised fallback (`portable.rs`); the best one is chosen
//! at run time with `is_x86_feature_detected!` ([`detected_path`]). The two x86
//! paths generate their kernels from one body (`register_tile.rs`), so both
//! read a row-major or column-major `A` in place when a `B` block has at most 8
//! micro-panels instead of packing it ("direct" and "column-major" kernels,
//! `driver.rs`), and both have the shifted forms of unit-stride convolutions
//! (`shifted.rs`).
//!
//! AVX-512 extras:
//!
//! * packing a row-major `A` or a transposed `B` (a transpose) uses in-register
//!   16 x 16 / 8 x 8 block transposes (`avx512_pack.rs`);
//! * packing a row-major `B` copies its panel rows with 64-byte moves (`avx512_pack.rs`; the
//!   AVX2 kernels' 64-byte rows with 32-byte moves, `avx2.rs`), where code built for any
//!   x86-64 makes 16-byte ones;
//! * outputs at most one vector wide use a one-vector-wide tile;
//! * outputs narrower than one vector (e.g. `n = 10` logits) with a
//!   row-major `A` use dot products vectorised along `k` (`dot.rs`,
//!   `avx512_dot.rs`).
//!
//! # Files
//!
//! * `mod.rs`: public API and path detection; `sealed.rs`: per-type dispatch
//!   and thread-local pack buffers; `kernel.rs`: the kernel descriptor types;
//! * `blocking.rs`: cache sizes (CPUID) and the `KC`/`MC`/`NC` blocking (`b_blocks`: a
//!   right operand's blocks);
//! * `driver.rs`: blocking loops, edge tiles, and the products with a `B` packed beforehand
//!   (`gemm_packed`); `split.rs`: the thread split;
//! * `pack.rs`: operand packing and this thread's pack buffers; `packed.rs`: a right operand
//!   packed once for many products (a recurrent layer's weight at every step); `dot.rs`: the
//!   narrow-output driver;
//!   `shifted.rs`: products reading the rows of `B` (or of `A`) at offsets into one buffer
//!   (unit-stride convolutions);
//! * `register_tile.rs`: the x86 micro-kernel body; `avx512*.rs`, `avx2.rs`, `portable.rs`:
//!   micro-kernels per path;
//! * `tests.rs`: correctness and determinism tests.
//!
//! # Parallelism and determinism
//!
//! Large problems are split over the `m` or `n` dimension (never over `k`)
//! into one part per thread of rayon's current pool, and each part runs the
//! serial blocked algorithm. Every output element is computed as
//! `c = (((c0 + s_0) + s_1) + ...)` where `s_b` is the fused multiply-add
//! chain over the `b`-th `KC` block of `k`, in increasing `k` order (the
//! dot-product path instead reduces all of `k` in one fixed-order kernel
//! call per element). The choice of kernel and the `KC` blocking depend only
//! on the problem shape, the operand layout and the kernel path, never on
//! the thread count or on where a tile lies, so the result is bit-identical
//! for any number of threads. Different kernel paths (AVX-512 / AVX2 /
//! portable) may round differently from each other.
//!
//! The thread count is `rayon::current_num_threads()` at the time of the
//! call (so `ThreadPool::install` is honoured); problems below
//! `100^3` multiply-adds run serially without touching rayon (waking a
//! sleeping rayon worker costs about 7 µs, more than a 64^3 product), as do
//! skinny ones below `4 * 100^3` (`split.rs`), except narrow outputs on the
//! dot-product path from `2^18` when the caller is a pool thread (`dot.rs`).

pub mod blocking;
mod dot;
mod driver;
pub(crate) mod kernel;
mod pack;
pub(crate) mod packed;
pub(crate) mod shifted;
mod split;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
mod avx512_dot;
#[cfg(target_arch = "x86_64")]
mod avx512_pack;
mod portable;
#[cfg(target_arch = "x86_64")]
mod register_tile;

#[cfg(test)]
mod tests;

pub(crate) use driver::gemm_packed;
use std::sync::OnceLock;

/// Element types the kernels support (implemented for `f32` and `f64` only).
///
/// The trait is sealed: the per-type micro-kernels and pack buffers live in a
/// private supertrait.
pub trait GemmScalar:
    Copy
    + Send
    + Sync
    + Default
    + 'static
    + std::ops::Add<Output = Self>
    + std::ops::Mul<Output = Self>
    + sealed::Sealed
{
}

impl GemmScalar for f32 {}
impl GemmScalar for f64 {}

pub(crate) mod sealed;

/// A read-only strided matrix view.
///
/// Element `(i, j)` is at `data[offset + i*row_stride + j*col_stride]`
/// (strides in elements, any non-negative values; e.g. a transposed view of a
/// row-major `r x c` matrix has `row_stride = 1, col_stride = c`).
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    /// Backing storage.
    pub data: &'a [T],
    /// Index of element `(0, 0)` in `data`.
    pub offset: usize,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Distance (in elements) between consecutive rows.
    pub row_stride: usize,
    /// Distance (in elements) between consecutive columns.
    pub col_stride: usize,
}

impl<'a, T> MatRef<'a, T> {
    /// A contiguous row-major `rows x cols` view of `data` (`data.len()` must
    /// be at least `rows * cols`).
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        MatRef {
            data,
            offset: 0,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transposed view (swaps rows/cols and the strides; no copy).
    pub fn t(self) -> Self {
        MatRef {
            data: self.data,
            offset: self.offset,
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
        }
    }

    /// Panics unless every element of the view lies inside `data`.
    fn check_bounds(&self, name: &str) {
        if self.rows == 0 || self.cols == 0 {
            return;
        }
        let last = (self.rows - 1)
            .checked_mul(self.row_stride)
            .and_then(|r| (self.cols - 1).checked_mul(self.col_stride).map(|c| (r, c)))
            .and_then(|(r, c)| r.checked_add(c))
            .and_then(|rc| rc.checked_add(self.offset));
        match last {
            Some(idx) if idx < self.data.len() => {}
            _ => panic!(
                "gemm: view {name} ({} x {}, offset {}, strides ({}, {})) reaches past its data (len {})",
                self.rows,
                self.cols,
                self.offset,
                self.row_stride,
                self.col_stride,
                self.data.len()
            ),
        }
    }
}

/// Which micro-kernel family to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelPath {
    /// AVX-512F micro-kernels (x86_64 only).
    Avx512,
    /// AVX2 + FMA micro-kernels (x86_64 only).
    Avx2Fma,
    /// Portable, auto-vectorised micro-kernels (always available).
    Portable,
}

/// The best path this CPU supports, detected once and cached.
pub fn detected_path() -> KernelPath {
    static PATH: OnceLock<KernelPath> = OnceLock::new();
    *PATH.get_or_init(|| cached_paths()[0])
}

/// All paths this CPU can run, best first (`Portable` is always included).
pub fn available_paths() -> Vec<KernelPath> {
    cached_paths().to_vec()
}

/// The detected paths, computed once.
fn cached_paths() -> &'static [KernelPath] {
    static PATHS: OnceLock<Vec<KernelPath>> = OnceLock::new();
    PATHS.get_or_init(detect_paths)
}

/// Queries the CPU for the supported paths, best first.
fn detect_paths() -> Vec<KernelPath> {
    let mut paths = Vec::with_capacity(3);
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            paths.push(KernelPath::Avx512);
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            paths.push(KernelPath::Avx2Fma);
        }
    }
    paths.push(KernelPath::Portable);
    paths
}

/// Finishes a product with an empty dimension (`C` zeroed when `k = 0`, unless accumulating);
/// `false` when there is arithmetic to do.
fn empty_product<T: GemmScalar>(
    m: usize,
    k: usize,
    n: usize,
    c: &mut [T],
    accumulate: bool,
) -> bool {
    if m == 0 || n == 0 {
        return true;
    }
    if k == 0 && !accumulate {
        c.fill(T::default());
    }
    k == 0
}

/// `C = A * B` (`accumulate == false`) or `C += A * B` (`accumulate == true`).
///
/// `a` is `m x k`, `b` is `k x n` (any strides), `c` is row-major,
/// contiguous, of length `m * n`. Uses [`detected_path`]. With `k == 0`, `C`
/// is zeroed (or left untouched when accumulating).
///
/// # Panics
///
/// If `a.cols != b.rows`, `c.len() != a.rows * b.cols`, or a view reaches past
/// its data.
pub fn gemm<T: GemmScalar>(a: MatRef<T>, b: MatRef<T>, c: &mut [T], accumulate: bool) {
    gemm_with_path(detected_path(), a, b, c, accumulate);
}

/// Like [`gemm`], but forcing the micro-kernel family `path`.
///
/// # Panics
///
/// As [`gemm`], and if this CPU cannot run `path`.
pub fn gemm_with_path<T: GemmScalar>(
    path: KernelPath,
    a: MatRef<T>,
    b: MatRef<T>,
    c: &mut [T],
    accumulate: bool,
) {
    check_operands(&a, &b, c.len());
    assert!(
        cached_paths().contains(&path),
        "gemm: kernel path {path:?} is not supported by this CPU"
    );
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if empty_product(m, k, n, c, accumulate) {
        return;
    }
    // SAFETY: `c` is the m x n output (checked above), initialised; the CPU runs `path`.
    unsafe { driver::run(T::kernel(path, n), a, b, c.as_mut_ptr(), accumulate) };
}

/// Panics unless `A * B` fits an output of `c_len` elements and both views lie inside their
/// data.
fn check_operands<T>(a: &MatRef<T>, b: &MatRef<T>, c_len: usize) {
    assert!(
        a.cols == b.rows,
        "gemm: inner dimensions differ: A is {} x {}, B is {} x {}",
        a.rows,
        a.cols,
        b.rows,
        b.cols
    );
    let (m, n) = (a.rows, b.cols);
    assert!(
        c_len == m * n,
        "gemm: C has length {c_len} but A * B is {m} x {n} (= {})",
        m * n
    );
    a.check_bounds("A");
    b.check_bounds("B");
}

/// `C = A * B` into `c`, which need not be initialised: after the call all `m * n` elements
/// are (a fresh result is not zeroed first only to be overwritten). As [`gemm`] otherwise.
pub(crate) fn gemm_uninit<T: GemmScalar>(
    a: MatRef<T>,
    b: MatRef<T>,
    c: &mut [std::mem::MaybeUninit<T>],
) {
    check_operands(&a, &b, c.len());
    let (m, k, n) = (a.rows, a.cols, b.cols);
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.fill(std::mem::MaybeUninit::new(T::default()));
        return;
    }
    let path = detected_path();
    // SAFETY: `c` holds m x n elements (checked above); without accumulation `run` writes each
    // before reading it; the CPU runs the detected path.
    unsafe { driver::run(T::kernel(path, n), a, b, c.as_mut_ptr().cast(), false) };
}
