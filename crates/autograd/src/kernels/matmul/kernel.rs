//! The kernel descriptors: what a micro-kernel family provides (its register tile, the
//! micro-kernel, and optional direct, dot-product and transpose variants). The
//! per-instruction-set files (`avx512*.rs`, `avx2.rs`, `portable.rs`) each define constants of
//! these types; `sealed.rs` picks one per element type and path, and `blocking.rs` sizes the
//! cache blocks around its tile.

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

/// A micro-kernel together with its register tile (the cache blocking around it comes
/// from `blocking.rs`).
#[derive(Clone, Copy)]
pub struct Kernel<T> {
    /// Rows of the register tile.
    pub mr: usize,
    /// Columns of the register tile.
    pub nr: usize,
    /// The micro-kernel.
    pub func: MicroKernel<T>,
    /// Optional SIMD block transpose used when packing needs a transpose.
    pub transpose: Option<TransposeBlock<T>>,
    /// Optional SIMD copy of a row-major `B`'s full panels (see [`CopyPanels`]).
    pub copy_panels: Option<CopyPanels<T>>,
    /// Optional variant of `func` reading a row-major `A` in place.
    pub direct: Option<DirectKernel<T>>,
    /// Optional variant of `func` reading a column-major `A` in place (a [`DirectKernel`]
    /// whose `lda` is the distance between two `k` steps: `A` element `(i, p)` at
    /// `a[p*lda + i]`); the packed kernel with another step, so the same bits.
    pub col_major: Option<DirectKernel<T>>,
    /// Shifted-`B` form of `func` (see [`ShiftedKernel`]), if the path has one.
    pub shifted: Option<ShiftedKernel<T>>,
    /// Shifted-`A` form of `func` (see [`ShiftedAKernel`]), if the path has one.
    pub shifted_a: Option<ShiftedAKernel<T>>,
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
    /// `rows x cols` block (`1 <= cols <= max_n`, any `rows >= 1`)
    /// `s[r][j] = sum_p a[r*lda + p] * bt[j*k + p]` and stores
    /// `c[r*ldc + j] = s` (`overwrite`) or `c + s`.
    ///
    /// # Safety
    ///
    /// `a + r*lda` readable for `k` elements for `r < rows` (`rows >= 1`),
    /// `bt` readable for `cols*k` elements, the `rows x cols` block of `c`
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
    /// `pack_bt(b, ldb, k, n, bt)` packs `B^T` from a row-major `B` (`k` rows of `n` elements,
    /// row stride `ldb`): `bt[j*k + p] = b[p*ldb + j]` for `j < n <= max_n`.
    ///
    /// # Safety
    ///
    /// `b + p*ldb` readable for `n` elements for `p < k`, `bt` writable for `n*k` elements,
    /// and the CPU must support the function's target features.
    pub pack_bt: unsafe fn(b: *const T, ldb: usize, k: usize, n: usize, bt: *mut T),
}

/// Like [`MicroKernel`], but reading row `p` of `B` from `b[offs[p] ..
/// offs[p] + NR]`: the rows are windows of one buffer at arbitrary offsets
/// (a unit-stride convolution's input read in place, `shifted.rs`). Unlike
/// [`MicroKernel`], `overwrite == false` resumes each element's chain from the
/// value in `C` (the accumulators start from `C`, not from zero), so a product
/// cut into `k` blocks gives the bits of one chain.
///
/// # Safety
///
/// As [`MicroKernel`], with `offs` valid for `kc` reads and `b + offs[p]`
/// valid for `NR` reads for every `p < kc`.
pub type ShiftedKernel<T> = unsafe fn(
    kc: usize,
    a: *const T,
    b: *const T,
    offs: *const usize,
    c: *mut T,
    ldc: usize,
    overwrite: bool,
);

/// Like [`MicroKernel`], but reading `A` element `(i, p)` from `a[offs[i] + p]`:
/// each row of the tile is a window of one buffer at its own offset (a
/// convolution's weight gradient, `shifted.rs`). As [`ShiftedKernel`],
/// `overwrite == false` resumes each element's chain from the value in `C`.
///
/// # Safety
///
/// As [`MicroKernel`], with `offs` valid for `MR` reads and `a + offs[i]`
/// valid for `kc` reads for every `i < MR`.
pub type ShiftedAKernel<T> = unsafe fn(
    kc: usize,
    a: *const T,
    offs: *const usize,
    b: *const T,
    c: *mut T,
    ldc: usize,
    overwrite: bool,
);

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

/// A SIMD copy of a row-major `B`'s full panels whose rows are `row_bytes` long.
#[derive(Clone, Copy)]
pub struct CopyPanels<T> {
    /// The panel row it moves, in bytes (`nr · size_of::<T>()`); `pack.rs` uses it for
    /// panels of exactly that width only.
    pub row_bytes: usize,
    /// The copy (see [`CopyPanelsFn`]).
    pub func: CopyPanelsFn<T>,
}

/// `func(src, row_stride, kc, panels, dst)` packs the first `panels` full panels of `kc` rows
/// (`nr = row_bytes / size_of::<T>()` elements each, [`CopyPanels::row_bytes`]): row `p` of
/// panel `q`, `src + p*row_stride + q*nr`, goes to `dst + q*nr*kc + p*nr`.
///
/// # Safety
///
/// Those `kc` rows of `panels * nr` elements readable, `panels * nr * kc` elements writable
/// at `dst`, and the CPU must support the function's target features.
pub type CopyPanelsFn<T> =
    unsafe fn(src: *const T, row_stride: usize, kc: usize, panels: usize, dst: *mut T);

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
