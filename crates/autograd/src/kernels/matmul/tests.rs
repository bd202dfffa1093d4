//! Correctness and determinism tests for every available kernel path.

use super::*;
use rand::{rngs::StdRng, Rng, SeedableRng};

/// How an operand is laid out in memory.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Row-major, contiguous.
    RowMajor,
    /// Column-major (a transposed view: `row_stride == 1`).
    ColMajor,
    /// Row-major inside a larger buffer: offset and padded row stride.
    Padded,
    /// Column stride 2 and padded rows (neither stride is 1).
    Strided,
    /// Row stride 0: every row is the same (a broadcast view).
    RowBroadcast,
    /// Column stride 0: every column is the same (a broadcast view).
    ColBroadcast,
}

const LAYOUTS: [Layout; 6] = [
    Layout::RowMajor,
    Layout::ColMajor,
    Layout::Padded,
    Layout::Strided,
    Layout::RowBroadcast,
    Layout::ColBroadcast,
];

/// Test helper conversions.
trait TestScalar: GemmScalar {
    fn from_f64(v: f64) -> Self;
    /// `self * a + b` rounded once (the micro-kernels' fused multiply-add).
    fn mul_add(self, a: Self, b: Self) -> Self;
    fn to_f64(self) -> f64;
    fn bits(self) -> u64;
    const EPS: f64;
}

impl TestScalar for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn mul_add(self, a: Self, b: Self) -> Self {
        f32::mul_add(self, a, b)
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    const EPS: f64 = 1e-6;
}

impl TestScalar for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
    fn mul_add(self, a: Self, b: Self) -> Self {
        f64::mul_add(self, a, b)
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    const EPS: f64 = 1e-14;
}

/// An owned matrix stored with `layout`, plus its logical values.
struct Stored<T> {
    data: Vec<T>,
    offset: usize,
    rows: usize,
    cols: usize,
    rs: usize,
    cs: usize,
}

impl<T: TestScalar> Stored<T> {
    fn random(rows: usize, cols: usize, layout: Layout, rng: &mut StdRng) -> Self {
        let (offset, rs, cs, len) = match layout {
            Layout::RowMajor => (0, cols, 1, rows * cols),
            Layout::ColMajor => (0, 1, rows, rows * cols),
            Layout::Padded => (5, cols + 3, 1, 5 + rows * (cols + 3)),
            Layout::Strided => (3, 2 * cols + 1, 2, 3 + rows * (2 * cols + 1)),
            Layout::RowBroadcast => (1, 0, 1, 1 + cols),
            Layout::ColBroadcast => (2, 1, 0, 2 + rows),
        };
        // Fill everything (including padding) with random values so that a
        // stride bug reads garbage instead of zeros.
        let data = (0..len)
            .map(|_| T::from_f64(rng.gen_range(-1.0..1.0)))
            .collect();
        Stored {
            data,
            offset,
            rows,
            cols,
            rs,
            cs,
        }
    }

    fn view(&self) -> MatRef<'_, T> {
        MatRef {
            data: &self.data,
            offset: self.offset,
            rows: self.rows,
            cols: self.cols,
            row_stride: self.rs,
            col_stride: self.cs,
        }
    }

    fn get(&self, i: usize, j: usize) -> f64 {
        self.data[self.offset + i * self.rs + j * self.cs].to_f64()
    }
}

/// Naive f64 reference; returns the result and the sum of |a||b| per element
/// (for the error bound).
fn reference<T: TestScalar>(
    a: &Stored<T>,
    b: &Stored<T>,
    c0: &[T],
    accumulate: bool,
) -> (Vec<f64>, Vec<f64>) {
    let (m, k, n) = (a.rows, a.cols, b.cols);
    let mut out = vec![0.0; m * n];
    let mut mag = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut s = if accumulate {
                c0[i * n + j].to_f64()
            } else {
                0.0
            };
            let mut g = s.abs();
            for p in 0..k {
                let t = a.get(i, p) * b.get(p, j);
                s += t;
                g += t.abs();
            }
            out[i * n + j] = s;
            mag[i * n + j] = g;
        }
    }
    (out, mag)
}

/// Runs one case on `path` and checks it against the reference.
#[allow(clippy::too_many_arguments)]
fn check<T: TestScalar>(
    path: KernelPath,
    m: usize,
    k: usize,
    n: usize,
    la: Layout,
    lb: Layout,
    accumulate: bool,
    rng: &mut StdRng,
) {
    let a = Stored::<T>::random(m, k, la, rng);
    let b = Stored::<T>::random(k, n, lb, rng);
    let c0: Vec<T> = (0..m * n)
        .map(|_| T::from_f64(rng.gen_range(-1.0..1.0)))
        .collect();
    let mut c = c0.clone();
    gemm_with_path(path, a.view(), b.view(), &mut c, accumulate);
    let (want, mag) = reference(&a, &b, &c0, accumulate);
    let tol = T::EPS * (k as f64 + 2.0) * 4.0;
    for idx in 0..m * n {
        let err = (c[idx].to_f64() - want[idx]).abs();
        assert!(
            err <= tol * mag[idx].max(1e-30),
            "{path:?} {}: m={m} k={k} n={n} A={la:?} B={lb:?} acc={accumulate}: \
             C[{}, {}] = {} but reference is {} (err {err:e}, bound {:e})",
            std::any::type_name::<T>(),
            idx / n,
            idx % n,
            c[idx].to_f64(),
            want[idx],
            tol * mag[idx]
        );
    }
}

/// Shapes covering degenerate sizes, odd sizes and every block boundary.
const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (1, 37, 1),
    (1, 20, 45),
    (45, 20, 1),
    (2, 3, 4),
    (14, 32, 32),
    (15, 33, 33),
    (13, 31, 31),
    (17, 33, 65),
    (127, 129, 3),
    (3, 129, 127),
    (29, 257, 17),
    (6, 513, 16),
    (170, 40, 70),
    (169, 300, 39),
    (40, 10, 2049),
    (100, 784, 10),
    (32, 16, 16),
    (33, 40, 12),
    (16, 5, 8),
];

fn check_all_shapes<T: TestScalar>() {
    let mut rng = StdRng::seed_from_u64(7);
    for path in available_paths() {
        for &(m, k, n) in SHAPES {
            for (li, &la) in LAYOUTS.iter().enumerate() {
                let lb = LAYOUTS[(li + m + n) % LAYOUTS.len()];
                let accumulate = (m + k + li) % 2 == 0;
                check::<T>(path, m, k, n, la, lb, accumulate, &mut rng);
            }
        }
    }
}

#[test]
fn all_paths_all_shapes_f32() {
    check_all_shapes::<f32>();
}

#[test]
fn all_paths_all_shapes_f64() {
    check_all_shapes::<f64>();
}

/// The dot-product path (outputs narrower than a vector) at every width it takes, with row
/// counts that end inside each row group (8, 4, 2 or 1 rows at once) and `k` with and without a
/// partial last vector, for every layout of `B` (row-major `B` goes through the block
/// transposes, column-major through copies, the rest through the strided gather).
fn check_dot_widths<T: TestScalar>(max_n: usize) {
    let mut rng = StdRng::seed_from_u64(17);
    for path in available_paths() {
        for n in 1..=max_n {
            for (s, &(m, k)) in [(1, 16), (9, 37), (23, 64), (130, 515)].iter().enumerate() {
                for (li, &lb) in LAYOUTS.iter().enumerate() {
                    let accumulate = (n + s + li) % 2 == 0;
                    check::<T>(path, m, k, n, Layout::RowMajor, lb, accumulate, &mut rng);
                }
            }
        }
    }
}

#[test]
fn dot_path_every_narrow_width_f32() {
    check_dot_widths::<f32>(15);
}

#[test]
fn dot_path_every_narrow_width_f64() {
    check_dot_widths::<f64>(7);
}

fn check_all_layout_pairs<T: TestScalar>() {
    let mut rng = StdRng::seed_from_u64(11);
    for path in available_paths() {
        for la in LAYOUTS {
            for lb in LAYOUTS {
                for accumulate in [false, true] {
                    check::<T>(path, 37, 70, 53, la, lb, accumulate, &mut rng);
                }
            }
        }
    }
}

#[test]
fn all_layout_pairs_f32() {
    check_all_layout_pairs::<f32>();
}

#[test]
fn all_layout_pairs_f64() {
    check_all_layout_pairs::<f64>();
}

#[test]
fn large_blocks_cross_every_boundary() {
    // Larger than one MC, NC and KC block of every path, with ragged edges,
    // and large enough to take the parallel route.
    let mut rng = StdRng::seed_from_u64(3);
    for path in available_paths() {
        check::<f32>(
            path,
            301,
            270,
            2100,
            Layout::ColMajor,
            Layout::RowMajor,
            true,
            &mut rng,
        );
        check::<f64>(
            path,
            401,
            300,
            1100,
            Layout::RowMajor,
            Layout::ColMajor,
            false,
            &mut rng,
        );
        // Narrow outputs large enough to run in parallel.
        for n in [1, 5, 8, 9, 15, 16] {
            check::<f32>(
                path,
                1203,
                700,
                n,
                Layout::RowMajor,
                Layout::RowMajor,
                n % 2 == 0,
                &mut rng,
            );
            check::<f64>(
                path,
                1203,
                700,
                n,
                Layout::Padded,
                Layout::ColMajor,
                n % 2 == 1,
                &mut rng,
            );
        }
    }
}

#[test]
fn empty_dimensions() {
    for path in available_paths() {
        // k = 0: zeros, or untouched when accumulating.
        let a: Vec<f32> = vec![];
        let mut c = vec![3.0f32; 6];
        let av = MatRef::row_major(&a, 2, 0);
        let bv = MatRef::row_major(&a, 0, 3);
        gemm_with_path(path, av, bv, &mut c, true);
        assert_eq!(c, vec![3.0; 6]);
        gemm_with_path(path, av, bv, &mut c, false);
        assert_eq!(c, vec![0.0; 6]);
        // m = 0 and n = 0.
        let x = vec![1.0f64; 12];
        let mut empty: Vec<f64> = vec![];
        gemm_with_path(
            path,
            MatRef::row_major(&x, 0, 4),
            MatRef::row_major(&x, 4, 3),
            &mut empty,
            false,
        );
        gemm_with_path(
            path,
            MatRef::row_major(&x, 3, 4),
            MatRef::row_major(&x, 4, 0),
            &mut empty,
            true,
        );
    }
}

#[test]
#[should_panic(expected = "inner dimensions differ")]
fn dimension_mismatch_panics() {
    let x = vec![0.0f32; 12];
    let mut c = vec![0.0f32; 9];
    gemm(
        MatRef::row_major(&x, 3, 4),
        MatRef::row_major(&x, 3, 3),
        &mut c,
        false,
    );
}

#[test]
#[should_panic(expected = "C has length")]
fn output_length_mismatch_panics() {
    let x = vec![0.0f32; 12];
    let mut c = vec![0.0f32; 8];
    gemm(
        MatRef::row_major(&x, 3, 4),
        MatRef::row_major(&x, 4, 3),
        &mut c,
        false,
    );
}

#[test]
#[should_panic(expected = "reaches past its data")]
fn out_of_bounds_view_panics() {
    let x = vec![0.0f32; 12];
    let mut c = vec![0.0f32; 9];
    let a = MatRef {
        offset: 1,
        ..MatRef::row_major(&x, 3, 4)
    };
    gemm(a, MatRef::row_major(&x, 4, 3), &mut c, false);
}

#[test]
fn detected_path_is_available() {
    let paths = available_paths();
    assert!(paths.contains(&detected_path()));
    assert!(paths.contains(&KernelPath::Portable));
}

/// Runs `gemm_with_path` inside a rayon pool with `threads` threads.
fn run_in_pool<T: TestScalar>(
    threads: usize,
    path: KernelPath,
    a: MatRef<T>,
    b: MatRef<T>,
    c0: &[T],
) -> Vec<u64> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let mut c = c0.to_vec();
    pool.install(|| gemm_with_path(path, a, b, &mut c, true));
    c.iter().map(|v| v.bits()).collect()
}

fn check_determinism<T: TestScalar>() {
    let mut rng = StdRng::seed_from_u64(99);
    for path in available_paths() {
        for &(m, k, n, la, lb) in &[
            (300, 700, 260, Layout::RowMajor, Layout::RowMajor),
            (97, 555, 513, Layout::ColMajor, Layout::Padded),
            (513, 300, 33, Layout::RowMajor, Layout::ColMajor),
            // Narrow outputs (dot-product / one-vector paths), parallel.
            (1500, 400, 9, Layout::RowMajor, Layout::RowMajor),
            (1501, 350, 5, Layout::Padded, Layout::ColMajor),
            (1200, 300, 16, Layout::RowMajor, Layout::Strided),
            // Split only because the caller is a pool thread (dot path, 2^18 to 4 * 10^6).
            (130, 515, 10, Layout::RowMajor, Layout::RowMajor),
            (77, 4000, 3, Layout::Padded, Layout::RowMajor),
        ] {
            let a = Stored::<T>::random(m, k, la, &mut rng);
            let b = Stored::<T>::random(k, n, lb, &mut rng);
            let c0: Vec<T> = (0..m * n)
                .map(|_| T::from_f64(rng.gen_range(-1.0..1.0)))
                .collect();
            let one = run_in_pool(1, path, a.view(), b.view(), &c0);
            for threads in [2, 3, 4] {
                let many = run_in_pool(threads, path, a.view(), b.view(), &c0);
                assert!(
                    one == many,
                    "{path:?}: {m}x{k}x{n} differs between 1 and {threads} threads"
                );
            }
        }
    }
}

#[test]
fn deterministic_across_thread_counts_f32() {
    check_determinism::<f32>();
}

#[test]
fn deterministic_across_thread_counts_f64() {
    check_determinism::<f64>();
}

/// A product through a `PackedB` must give exactly `gemm`'s bits: the same kernel, blocking
/// and summation order, on every path, layout and shape (crossing `KC` and `NC` blocks).
fn check_packed_matches_gemm<T: TestScalar>() {
    use super::driver::gemm_packed;
    use super::packed::PackedB;
    let mut rng = StdRng::seed_from_u64(13);
    let shapes = SHAPES
        .iter()
        .copied()
        .chain([(13, 1100, 300), (3, 600, 8300)]);
    for path in available_paths() {
        for (s, (m, k, n)) in shapes.clone().enumerate() {
            for (li, &lb) in LAYOUTS.iter().enumerate() {
                let la = LAYOUTS[(li + s) % 4];
                let accumulate = (s + li) % 2 == 0;
                let a = Stored::<T>::random(m, k, la, &mut rng);
                let b = Stored::<T>::random(k, n, lb, &mut rng);
                let c0: Vec<T> = (0..m * n)
                    .map(|_| T::from_f64(rng.gen_range(-1.0..1.0)))
                    .collect();
                let (mut want, mut got) = (c0.clone(), c0);
                gemm_with_path(path, a.view(), b.view(), &mut want, accumulate);
                let packed = PackedB::with_path(path, b.view());
                gemm_packed(a.view(), &packed, &mut got, accumulate);
                let same = want.iter().zip(&got).all(|(w, g)| w.bits() == g.bits());
                assert!(
                    same,
                    "{path:?} {}: m={m} k={k} n={n} A={la:?} B={lb:?} acc={accumulate}: \
                     packed B gives other bits than gemm",
                    std::any::type_name::<T>()
                );
            }
        }
    }
}

#[test]
fn packed_b_gives_the_bits_of_gemm_f32() {
    check_packed_matches_gemm::<f32>();
}

#[test]
fn packed_b_gives_the_bits_of_gemm_f64() {
    check_packed_matches_gemm::<f64>();
}

/// A shifted product with `k` in three of the GEMM's `KC` blocks (`k` = 2·KC + KC/3 + 5 for
/// this CPU's `KC`: 901 in blocks of 301, 301 and 299 on Intel's 48 KiB L1) against one fused
/// multiply-add chain per element in `p` order: the later blocks resume the chains from `C`, so the bits
/// are equal. 13 rows (a partial panel: rows past 13 come out zero), three tiles written in
/// an order other than their columns', windows at scattered offsets, `C` first filled with
/// NaN (every element is written before it is read).
fn check_shifted_blocks_give_one_chain<T: TestScalar>() {
    let Some(nr) = shifted::shifted_width::<T>() else {
        return; // this CPU's kernel path has no shifted products
    };
    let kern = T::kernel(detected_path(), usize::MAX);
    let base = blocking::blocking::<T>(kern.mr, kern.nr).kc;
    let (m, k) = (13, 2 * base + base / 3 + 5);
    let mut rng = StdRng::seed_from_u64(11);
    let a = Stored::<T>::random(m, k, Layout::RowMajor, &mut rng);
    let packed = shifted::ShiftedA::pack(a.view()).expect("a shifted kernel");
    let (kc, _) = blocking::b_blocks(&kern, k, nr);
    assert!(
        kc < k / 2,
        "k = {k} must span at least three blocks of {kc}"
    );
    let offs: Vec<usize> = (0..k).map(|p| (p * 37) % 1001 + p % 3).collect();
    let b: Vec<T> = (0..1100 + 3 * nr)
        .map(|_| T::from_f64(rng.gen_range(-1.0..1.0)))
        .collect();
    let tiles = [(5, nr), (0, 2 * nr), (2 * nr + 1, 0)];
    let (rows, ldc) = (packed.padded_rows(), 3 * nr);
    let mut c = vec![std::mem::MaybeUninit::new(T::from_f64(f64::NAN)); rows * ldc];
    packed.multiply(&b, &offs, &tiles, &mut c, ldc);
    for &(j, cj) in &tiles {
        for i in 0..rows {
            for t in 0..nr {
                let mut want = T::from_f64(0.0);
                if i < m {
                    for (p, &o) in offs.iter().enumerate() {
                        want = T::from_f64(a.get(i, p)).mul_add(b[o + j + t], want);
                    }
                }
                // SAFETY: multiply wrote every element of its tiles.
                let got = unsafe { c[i * ldc + cj + t].assume_init() };
                assert_eq!(got.bits(), want.bits(), "C[{i}, {}]", cj + t);
            }
        }
    }
}

#[test]
fn shifted_product_in_k_blocks_gives_the_bits_of_one_chain_f32() {
    check_shifted_blocks_give_one_chain::<f32>();
}

#[test]
fn shifted_product_in_k_blocks_gives_the_bits_of_one_chain_f64() {
    check_shifted_blocks_give_one_chain::<f64>();
}

/// `A` read in place (a `B` block of at most `DIRECT_MAX_PANELS` micro-panels) and `A` packed
/// (one panel more) give each element as one fused multiply-add chain in `p` order (`k` = 100
/// is one `KC` block): the first `DIRECT_MAX_PANELS` panels of the wide product, the narrow
/// product and the scalar chain agree bit for bit, for a row-major `A` (the direct kernels)
/// and a column-major one (the column-major kernels: `Gᵀ` in a weight gradient). 37 rows: four
/// full row tiles and a partial one (the packed tail of the in-place form). The portable path
/// has no in-place kernels.
fn check_direct_a_gives_the_bits_of_packed_a<T: TestScalar>() {
    let mut rng = StdRng::seed_from_u64(5);
    for (path, layout) in available_paths()
        .into_iter()
        .flat_map(|p| [(p, Layout::RowMajor), (p, Layout::ColMajor)])
    {
        let kern = T::kernel(path, usize::MAX);
        let in_place = match layout {
            Layout::RowMajor => kern.direct.is_some(),
            _ => kern.col_major.is_some(),
        };
        if !in_place {
            continue; // this path always packs `A`
        }
        let nr = kern.nr;
        let (m, k, narrow) = (37, 100, driver::DIRECT_MAX_PANELS * nr);
        let wide = narrow + nr + 5;
        let a = Stored::<T>::random(m, k, layout, &mut rng);
        let b = Stored::<T>::random(k, wide, Layout::RowMajor, &mut rng);
        let mut c_wide = vec![T::from_f64(f64::NAN); m * wide];
        gemm_with_path(path, a.view(), b.view(), &mut c_wide, false);
        let b_narrow = MatRef {
            cols: narrow,
            ..b.view()
        };
        let mut c_narrow = vec![T::from_f64(f64::NAN); m * narrow];
        gemm_with_path(path, a.view(), b_narrow, &mut c_narrow, false);
        for i in 0..m {
            for j in 0..narrow {
                let mut want = T::from_f64(0.0);
                for p in 0..k {
                    want = T::from_f64(a.get(i, p)).mul_add(T::from_f64(b.get(p, j)), want);
                }
                let (w, n) = (c_wide[i * wide + j], c_narrow[i * narrow + j]);
                assert_eq!(
                    w.bits(),
                    want.bits(),
                    "{path:?} {layout:?} packed C[{i}, {j}]"
                );
                assert_eq!(
                    n.bits(),
                    want.bits(),
                    "{path:?} {layout:?} in place C[{i}, {j}]"
                );
            }
        }
    }
}

#[test]
fn a_read_in_place_gives_the_bits_of_a_packed_a_f32() {
    check_direct_a_gives_the_bits_of_packed_a::<f32>();
}

#[test]
fn a_read_in_place_gives_the_bits_of_a_packed_a_f64() {
    check_direct_a_gives_the_bits_of_packed_a::<f64>();
}

/// `gemm_shifted_a` (rows of `A` at offsets into one buffer): with `resume`, each element's
/// chain continues from `C`, so `k` cut between three calls (each of them over one to two of
/// the GEMM's `KC` blocks) gives one fused multiply-add chain in `p` order; without it, each
/// block's chain starts from zero and is added to the blocks before it (the GEMM's sums). `k`
/// = 2·KC + KC/3 + 5, 13 rows and 37 columns (partial tiles both ways), windows overlapping at
/// scattered offsets.
fn check_shifted_a_chains<T: TestScalar>() {
    let kern = T::kernel(detected_path(), usize::MAX);
    if kern.shifted_a.is_none() {
        return; // this CPU's kernel path has no shifted products
    }
    let base = blocking::blocking::<T>(kern.mr, kern.nr).kc;
    let (m, n, k) = (13, 37, 2 * base + base / 3 + 5);
    let mut rng = StdRng::seed_from_u64(12);
    let mut draw = |len: usize| -> Vec<T> {
        (0..len)
            .map(|_| T::from_f64(rng.gen_range(-1.0..1.0)))
            .collect()
    };
    let (a, b) = (draw(97 + k), draw(k * n));
    let offs: Vec<usize> = (0..m).map(|i| (i * 53) % 97).collect();
    let chain = |i: usize, j: usize, ps: std::ops::Range<usize>, acc: T| {
        ps.fold(acc, |acc, p| a[offs[i] + p].mul_add(b[p * n + j], acc))
    };
    let bits = |c: &[T]| c.iter().map(|v| v.bits()).collect::<Vec<_>>();

    let (k1, k2) = (base / 2 + 3, base / 2 + 3 + base + 7);
    let mut c = vec![T::from_f64(f64::NAN); m * n];
    for (p0, p1) in [(0, k1), (k1, k2), (k2, k)] {
        let bp = MatRef::row_major(&b[p0 * n..p1 * n], p1 - p0, n);
        assert!(shifted::gemm_shifted_a(&a[p0..], &offs, bp, &mut c, p0 > 0));
    }
    let want: Vec<T> = (0..m * n)
        .map(|e| chain(e / n, e % n, 0..k, T::from_f64(0.0)))
        .collect();
    assert_eq!(bits(&c), bits(&want), "resumed across calls");

    let (kc, _) = blocking::b_blocks(&kern, k, n);
    assert!(kc < k / 2, "k = {k} must span three blocks of {kc}");
    let mut c = vec![T::from_f64(f64::NAN); m * n];
    assert!(shifted::gemm_shifted_a(
        &a,
        &offs,
        MatRef::row_major(&b, k, n),
        &mut c,
        false
    ));
    let want: Vec<T> = (0..m * n)
        .map(|e| {
            let block = |p0: usize| chain(e / n, e % n, p0..k.min(p0 + kc), T::from_f64(0.0));
            (kc..k)
                .step_by(kc)
                .fold(block(0), |sum, p0| sum + block(p0))
        })
        .collect();
    assert_eq!(bits(&c), bits(&want), "blocks added");
}

#[test]
fn shifted_a_product_resumes_chains_or_adds_blocks_f32() {
    check_shifted_a_chains::<f32>();
}

#[test]
fn shifted_a_product_resumes_chains_or_adds_blocks_f64() {
    check_shifted_a_chains::<f64>();
}
