//! The register-tile micro-kernel, written once and generated per instruction set
//! (`avx512.rs`: 8 x 32 / 8 x 16 zmm tiles; `avx2.rs`: 6 x 16 / 6 x 8 ymm tiles).
//!
//! A tile is `ROWS` rows of `NV` vectors; each `k` step loads one row of `B` (`NV` vectors),
//! broadcasts each of the `ROWS` values of `A`'s column and does `ROWS * NV` fused
//! multiply-adds into the accumulators, so every element of `C` is one multiply-add chain in
//! `p` order whatever the form:
//!
//! * packed `A` (`kernel::MicroKernel`): `A` element `(i, p)` at `a[p*ROWS + i]`;
//! * direct `A` (`kernel::DirectKernel`): a row-major `A` read in place, `a[i*lda + p]`, used
//!   when an `A` panel would be used too few times to repay packing it;
//! * column-major `A` (`Kernel::col_major`): the same for a column-major `A` (a transposed
//!   view, `Gᵀ` in a weight gradient `Gᵀ·X`), `a[p*lda + i]`: the packed layout with `lda`
//!   for `MR`;
//! * shifted `B` (`kernel::ShiftedKernel`): row `p` of `B` at `b[offs[p]]`, a unit-stride
//!   convolution's input read in place (`shifted.rs`);
//! * shifted `A` (`kernel::ShiftedAKernel`): row `i` of `A` at `a[offs[i]]`, a convolution's
//!   weight gradient.

/// How many `k` steps ahead a packed-`A` kernel prefetches its panel (16 steps: 8 cache lines
/// of an 8-row `f32` panel, 16 of an `f64` one). On Sapphire Rapids (one program timing 15-60
/// products per size, with and without, alternated three times) `f64` ran 5-10 % faster on one
/// thread and 5-7 % on two at n = 128-2048 (n = 1024, 1 thread: 86.6-87.4 against
/// 92.9-93.2 GFLOP/s); `f32` within 1 %. A prefetch never faults, so running past the panel's
/// end is harmless (`wrapping_add`: the address is never dereferenced).
pub(super) const A_AHEAD: usize = 16;

/// How many `k` steps before the end a kernel asks for its `C` tile in L1 (`T0`), having asked
/// for it in L2 (`T1`) at the start: the tile's loads and stores after the loop then hit L1.
/// Before this they showed as about a tenth of the kernel's samples at n = 1024 (`perf`). On
/// Zen 4 (one program per build, alternated five to seven times, medians), against no late
/// prefetch: `f32` one thread n = 2048 102.2 -> 104.7 GFLOP/s, 1024 104.5 -> 106.3, 512 equal;
/// two threads n = 2048 203.6 -> 207.4, 512-1024 within the spread; `f64` one thread n = 1024
/// 50.6 -> 53.5, 2048 50.2 -> 52.3, 512 equal. 24 steps ahead measured as 64.
pub(super) const C_AHEAD: usize = 64;

/// Asks for the first and last cache lines of each of the `rows` rows (`cols` elements, row
/// stride `ldc`) of the `C` tile at `c`, with prefetch hint `HINT`. A prefetch never faults,
/// so the addresses are only computed (`wrapping_add`), never dereferenced.
#[inline(always)]
pub(super) fn prefetch_tile<T, const HINT: i32>(c: *const T, ldc: usize, rows: usize, cols: usize) {
    for i in 0..rows {
        let row = c.wrapping_add(i * ldc);
        // SAFETY: prefetching is safe for any address; SSE is part of x86_64.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<HINT>(row as *const i8);
            std::arch::x86_64::_mm_prefetch::<HINT>(row.wrapping_add(cols - 1) as *const i8);
        }
    }
}

/// Generates a `ROWS x (NV * LANES)` micro-kernel for one element type and instruction set
/// (`$feature`, the intrinsics named after it), in a
/// packed-`A` form (`$name`, a `kernel::MicroKernel`), a direct-`A` form
/// (`$direct`, a `kernel::DirectKernel` reading row-major `A` in place), a column-major-`A`
/// form (`$col_major`, the packed form reading a column-major `A` in place) and,
/// when named, a shifted-`B` form (`$shifted`, a `kernel::ShiftedKernel`) and a
/// shifted-`A` form (`$shifted_a`, a `kernel::ShiftedAKernel`).
macro_rules! register_tile {
    ($feature:literal, $body:ident, $name:ident, $direct:ident, $col_major:ident, $t:ty,
     $mr:expr, $lanes:expr, $nv:expr,
     $zero:ident, $set1:ident, $load:ident, $store:ident, $fmadd:ident, $add:ident
     $(, shifted: $shifted:ident, $shifted_a:ident)?) => {
        /// Shared body: `A` element `(i, p)` is `a[p*MR + i]` (packed), `a[p*lda + i]`
        /// (`COLS`: a column-major `A` read in place, the packed layout with its own
        /// step), `a[i*lda + p]` (`DIRECT`) or `a[offs[i] + p]` (`DIRECT` and
        /// `SHIFTED`); row `p` of `B` starts at `b[p*NR]` (packed) or
        /// `b[offs[p]]` (`SHIFTED` alone).
        ///
        /// # Safety
        ///
        /// See `kernel::MicroKernel` / `kernel::DirectKernel`; requires
        /// the instruction set it was generated for.
        #[target_feature(enable = $feature)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $body<const DIRECT: bool, const SHIFTED: bool, const COLS: bool>(
            kc: usize,
            a: *const $t,
            lda: usize,
            b: *const $t,
            offs: *const usize,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            const ROWS: usize = $mr;
            const NV: usize = $nv;
            const NR: usize = NV * $lanes;
            // A shifted call (`B` or `A`) that does not overwrite continues each element's chain
            // from the value in `C` (the caller cut `k` into blocks), so a blocked product gives
            // the one-chain product's bits.
            let resume = SHIFTED && !overwrite;
            let mut acc = [[$zero(); NV]; ROWS];
            if resume {
                for (i, row) in acc.iter_mut().enumerate() {
                    for (v, x) in row.iter_mut().enumerate() {
                        // SAFETY: the ROWS x NR tile at c (row stride ldc) is valid.
                        *x = unsafe { $load(c.add(i * ldc + v * $lanes)) };
                    }
                }
            }
            // SAFETY: with DIRECT and SHIFTED, offs holds ROWS offsets.
            let arow: [usize; ROWS] = std::array::from_fn(|i| {
                if DIRECT && SHIFTED {
                    unsafe { *offs.add(i) }
                } else {
                    i * lda
                }
            });
            // The C tile is fetched into L2 only (T1): it is needed after the k loop, and with C
            // in memory (n >= 1024) sixteen L1 prefetches at once held the load buffers the
            // A and B streams need. On Sapphire Rapids, alternated four to six times, best of
            // each: f32 n = 1024-2048 1-3 % faster than T0 on one thread.
            prefetch_tile::<_, _MM_HINT_T1>(c, ldc, ROWS, NR);
            // The last C_AHEAD steps run after the tile is asked for in L1.
            let split = kc.saturating_sub(C_AHEAD);
            for half in 0..2 {
                let (lo, hi) = if half == 0 {
                    (0, split)
                } else {
                    prefetch_tile::<_, _MM_HINT_T0>(c, ldc, ROWS, NR);
                    (split, kc)
                };
                for p in lo..hi {
                    // SAFETY: b holds kc*NR elements (or NR from each of the kc
                    // offsets); a holds kc*ROWS elements (packed) or ROWS rows of
                    // kc elements with stride lda.
                    unsafe {
                        let bp = if SHIFTED && !DIRECT {
                            b.add(*offs.add(p))
                        } else {
                            b.add(p * NR)
                        };
                        // The distance between two k steps of a packed (or column-major) A.
                        let step = if COLS { lda } else { ROWS };
                        if !DIRECT {
                            // The packed A panel streams from L2: ask for it A_AHEAD
                            // steps early.
                            let ahead = a.wrapping_add((p + A_AHEAD) * step);
                            _mm_prefetch::<_MM_HINT_T0>(ahead as *const i8);
                        }
                        let mut bv = [$zero(); NV];
                        for (v, x) in bv.iter_mut().enumerate() {
                            *x = $load(bp.add(v * $lanes));
                        }
                        for (i, row) in acc.iter_mut().enumerate() {
                            let ai = if DIRECT {
                                $set1(*a.add(arow[i] + p))
                            } else {
                                $set1(*a.add(p * step + i))
                            };
                            for (x, &bx) in row.iter_mut().zip(&bv) {
                                *x = $fmadd(ai, bx, *x);
                            }
                        }
                    }
                }
            }
            for (i, row) in acc.iter().enumerate() {
                for (v, &x) in row.iter().enumerate() {
                    // SAFETY: the ROWS x NR tile at c (row stride ldc) is valid.
                    unsafe {
                        let cp = c.add(i * ldc + v * $lanes);
                        if overwrite || resume {
                            $store(cp, x);
                        } else {
                            $store(cp, $add($load(cp), x));
                        }
                    }
                }
            }
        }

        /// Packed-`A` micro-kernel (see `kernel::MicroKernel`).
        ///
        /// # Safety
        ///
        /// See `kernel::MicroKernel`; requires the instruction set it was generated for.
        #[target_feature(enable = $feature)]
        unsafe fn $name(
            kc: usize,
            a: *const $t,
            b: *const $t,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            // SAFETY: forwarded from the caller.
            unsafe { $body::<false, false, false>(kc, a, 0, b, std::ptr::null(), c, ldc, overwrite) }
        }

        /// Direct-`A` micro-kernel (see `kernel::DirectKernel`).
        ///
        /// # Safety
        ///
        /// See `kernel::DirectKernel`; requires the instruction set it was generated for.
        #[target_feature(enable = $feature)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $direct(
            kc: usize,
            a: *const $t,
            lda: usize,
            b: *const $t,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            // SAFETY: forwarded from the caller.
            unsafe { $body::<true, false, false>(kc, a, lda, b, std::ptr::null(), c, ldc, overwrite) }
        }

        /// Column-major-`A` micro-kernel (see `kernel::Kernel::col_major`): the packed
        /// kernel reading `A` element `(i, p)` at `a[p*lda + i]`, so the same bits.
        ///
        /// # Safety
        ///
        /// See `kernel::DirectKernel`, with `a + p*lda` readable for `MR` elements for every
        /// `p < kc`; requires the instruction set it was generated for.
        #[target_feature(enable = $feature)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $col_major(
            kc: usize,
            a: *const $t,
            lda: usize,
            b: *const $t,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            // SAFETY: forwarded from the caller.
            unsafe { $body::<false, false, true>(kc, a, lda, b, std::ptr::null(), c, ldc, overwrite) }
        }

        $(
        /// Shifted-`B` micro-kernel (see `kernel::ShiftedKernel`).
        ///
        /// # Safety
        ///
        /// See `kernel::ShiftedKernel`; requires the instruction set it was generated for.
        #[target_feature(enable = $feature)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $shifted(
            kc: usize,
            a: *const $t,
            b: *const $t,
            offs: *const usize,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            // SAFETY: forwarded from the caller.
            unsafe { $body::<false, true, false>(kc, a, 0, b, offs, c, ldc, overwrite) }
        }

        /// Shifted-`A` micro-kernel (see `kernel::ShiftedAKernel`).
        ///
        /// # Safety
        ///
        /// See `kernel::ShiftedAKernel`; requires the instruction set it was generated for.
        #[target_feature(enable = $feature)]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $shifted_a(
            kc: usize,
            a: *const $t,
            offs: *const usize,
            b: *const $t,
            c: *mut $t,
            ldc: usize,
            overwrite: bool,
        ) {
            // SAFETY: forwarded from the caller.
            unsafe { $body::<true, true, false>(kc, a, 0, b, offs, c, ldc, overwrite) }
        }
        )?
    };
}

/// The generated functions name the intrinsics, `_mm_prefetch`, [`prefetch_tile`], [`A_AHEAD`]
/// and [`C_AHEAD`] unqualified: the invoking file imports `std::arch::x86_64::*` and the other
/// three.
pub(super) use register_tile;
