//! GEMM benchmarks: our kernels (`matmul/...`) next to ndarray's `dot`
//! (`matmul_ndarray_dot/...`) on the same shapes.
//!
//! Throughput is reported as `2*m*n*k` elements, so "elements/s" reads as
//! FLOP/s. The thread count follows `RAYON_NUM_THREADS` (our kernels) and is
//! mirrored into `MATMUL_NUM_THREADS` (ndarray's matrixmultiply backend) so
//! both sides use the same number of threads.

use criterion::{black_box, BenchmarkId, Criterion, Throughput};
use ndarray::Array2;
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::time::Duration;

// Adjust this path when the bench moves into the main crate.
use tapegrad_autograd::kernels::matmul::{gemm, MatRef};

/// How the stored operands are combined.
#[derive(Clone, Copy)]
enum Layout {
    /// `A (m x k) * B (k x n)`, both row-major.
    Nn,
    /// `A^T * B` with `A` stored as `k x m`.
    Tn,
    /// `A * B^T` with `B` stored as `n x k`.
    Nt,
}

/// One benchmark case.
struct Case {
    id: &'static str,
    m: usize,
    k: usize,
    n: usize,
    layout: Layout,
}

fn random_vec<T>(len: usize, rng: &mut StdRng) -> Vec<T>
where
    rand::distributions::Standard: rand::distributions::Distribution<T>,
{
    (0..len).map(|_| rng.gen()).collect()
}

/// Benchmarks one case for element type `T` under both groups.
fn bench_case<T>(c: &mut Criterion, ty: &str, case: &Case)
where
    T: tapegrad_autograd::kernels::matmul::GemmScalar + ndarray::LinalgScalar,
    rand::distributions::Standard: rand::distributions::Distribution<T>,
{
    let (m, k, n) = (case.m, case.k, case.n);
    let mut rng = StdRng::seed_from_u64(42);
    let a_data: Vec<T> = random_vec(m * k, &mut rng);
    let b_data: Vec<T> = random_vec(k * n, &mut rng);
    let (a, b) = match case.layout {
        Layout::Nn => (
            MatRef::row_major(&a_data, m, k),
            MatRef::row_major(&b_data, k, n),
        ),
        Layout::Tn => (
            MatRef::row_major(&a_data, k, m).t(),
            MatRef::row_major(&b_data, k, n),
        ),
        Layout::Nt => (
            MatRef::row_major(&a_data, m, k),
            MatRef::row_major(&b_data, n, k).t(),
        ),
    };
    let flops = 2 * (m * n * k) as u64;
    let samples = if m * n * k >= 1 << 30 { 10 } else { 20 };
    let time = Duration::from_secs(if m * n * k >= 1 << 30 { 5 } else { 2 });

    let mut out = vec![T::default(); m * n];
    let mut g = c.benchmark_group(format!("matmul/{ty}"));
    g.throughput(criterion::Throughput::Elements(flops))
        .sample_size(samples)
        .measurement_time(time)
        .warm_up_time(Duration::from_millis(500));
    g.bench_function(BenchmarkId::from_parameter(case.id), |bch| {
        bch.iter(|| gemm(black_box(a), black_box(b), &mut out, false))
    });
    g.finish();

    let (na, nb) = match case.layout {
        Layout::Nn => (
            Array2::from_shape_vec((m, k), a_data.clone()).unwrap(),
            Array2::from_shape_vec((k, n), b_data.clone()).unwrap(),
        ),
        Layout::Tn => (
            Array2::from_shape_vec((k, m), a_data.clone()).unwrap(),
            Array2::from_shape_vec((k, n), b_data.clone()).unwrap(),
        ),
        Layout::Nt => (
            Array2::from_shape_vec((m, k), a_data.clone()).unwrap(),
            Array2::from_shape_vec((n, k), b_data.clone()).unwrap(),
        ),
    };
    let mut g = c.benchmark_group(format!("matmul_ndarray_dot/{ty}"));
    g.throughput(Throughput::Elements(flops))
        .sample_size(samples)
        .measurement_time(time)
        .warm_up_time(Duration::from_millis(500));
    g.bench_function(BenchmarkId::from_parameter(case.id), |bch| {
        bch.iter(|| match case.layout {
            Layout::Nn => black_box(&na).dot(black_box(&nb)),
            Layout::Tn => black_box(&na).t().dot(black_box(&nb)),
            Layout::Nt => black_box(&na).dot(&black_box(&nb).t()),
        })
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let square = |id, s| Case {
        id,
        m: s,
        k: s,
        n: s,
        layout: Layout::Nn,
    };
    let f32_cases = [
        square("64", 64),
        square("128", 128),
        square("256", 256),
        square("512", 512),
        square("1024", 1024),
        square("2048", 2048),
        Case {
            id: "mlp_fwd_128x784x512",
            m: 128,
            k: 784,
            n: 512,
            layout: Layout::Nn,
        },
        Case {
            id: "mlp_bwd_dw_784x128x512",
            m: 784,
            k: 128,
            n: 512,
            layout: Layout::Tn,
        },
        Case {
            id: "mlp_bwd_dx_128x512x784",
            m: 128,
            k: 512,
            n: 784,
            layout: Layout::Nt,
        },
        Case {
            id: "mlp_out_128x512x10",
            m: 128,
            k: 512,
            n: 10,
            layout: Layout::Nn,
        },
    ];
    for case in &f32_cases {
        bench_case::<f32>(c, "f32", case);
    }
    for case in &f32_cases[..6] {
        bench_case::<f64>(c, "f64", case);
    }
}

fn main() {
    // This thread does its share of each product, as PyTorch's caller does (see `threads.rs`).
    let _ = tapegrad_autograd::init_threads(0);
    // Give ndarray's matrixmultiply backend the same thread count as rayon.
    if std::env::var_os("MATMUL_NUM_THREADS").is_none() {
        let threads = rayon::current_num_threads();
        std::env::set_var("MATMUL_NUM_THREADS", threads.to_string());
    }
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
}
