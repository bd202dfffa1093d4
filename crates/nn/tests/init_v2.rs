//! `nn::init::orthogonal_` and `nn::init::trunc_normal_` (issue 12): orthogonality for tall,
//! wide, square and conv-shaped weights, times gain²; truncated-normal bounds and moments
//! against the closed forms; reproducibility from `manual_seed`.

use tapegrad_autograd::{manual_seed, Tensor};
use tapegrad_nn::init::{orthogonal_, trunc_normal_};

// The tests share the process-wide generator: each seeds it and holds this lock while drawing.
static RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    RNG.lock().unwrap_or_else(|e| e.into_inner())
}

/// Asserts that the `k × k` row-major `g` is `gain²·I` within `tol`.
fn assert_scaled_identity(g: &[f64], k: usize, gain: f64, tol: f64) {
    assert_eq!(g.len(), k * k);
    for i in 0..k {
        for j in 0..k {
            let want = if i == j { gain * gain } else { 0.0 };
            let got = g[i * k + j];
            assert!(
                (got - want).abs() < tol,
                "entry ({i}, {j}) = {got}, want {want}"
            );
        }
    }
}

#[test]
fn orthogonal_tall_wide_square_f64() {
    let _g = lock();
    manual_seed(3);
    for (rows, cols, gain) in [
        (7, 4, 1.0),
        (40, 3, 1.5),
        (3, 8, 2.0),
        (4, 50, 0.5),
        (6, 6, 1.0),
    ] {
        let w: Tensor<f64> = Tensor::zeros(&[rows, cols]);
        orthogonal_(&w, gain);
        if rows >= cols {
            // Orthonormal columns: WᵀW = gain²·I.
            assert_scaled_identity(&w.t().matmul(&w).to_vec(), cols, gain, 1e-12);
        }
        if rows <= cols {
            // Orthonormal rows: WWᵀ = gain²·I.
            assert_scaled_identity(&w.matmul(&w.t()).to_vec(), rows, gain, 1e-12);
        }
    }
}

#[test]
fn orthogonal_f32_and_conv_shaped_weights() {
    let _g = lock();
    manual_seed(5);
    let w: Tensor = Tensor::zeros(&[64, 32]);
    orthogonal_(&w, 2f64.sqrt());
    let wtw: Vec<f64> = w
        .t()
        .matmul(&w)
        .to_vec()
        .into_iter()
        .map(f64::from)
        .collect();
    assert_scaled_identity(&wtw, 32, 2f64.sqrt(), 1e-5);

    // A conv weight [out, in, kH, kW] is orthogonal as the [out, in·kH·kW] matrix.
    let conv: Tensor<f64> = Tensor::zeros(&[8, 2, 3, 3]);
    orthogonal_(&conv, 1.0);
    assert_eq!(conv.shape().as_slice(), &[8, 2, 3, 3]);
    let flat = conv.reshape(&[8, 18]);
    assert_scaled_identity(&flat.matmul(&flat.t()).to_vec(), 8, 1.0, 1e-12);

    // Tall after flattening: [30, 2, 2] is 30 × 4.
    let t: Tensor<f64> = Tensor::zeros(&[30, 2, 2]);
    orthogonal_(&t, 3.0);
    let flat = t.reshape(&[30, 4]);
    assert_scaled_identity(&flat.t().matmul(&flat).to_vec(), 4, 3.0, 1e-11);
}

#[test]
fn orthogonal_is_reproducible_and_keeps_grad_flag() {
    let _g = lock();
    let draw = |seed| {
        manual_seed(seed);
        let w: Tensor = Tensor::zeros(&[5, 9]).requires_grad_(true);
        orthogonal_(&w, 1.0);
        assert!(w.requires_grad());
        w.to_vec()
    };
    assert_eq!(draw(11), draw(11));
    assert_ne!(draw(11), draw(12));
}

#[test]
fn orthogonal_empty_is_a_no_op() {
    let w: Tensor = Tensor::zeros(&[0, 4]);
    orthogonal_(&w, 1.0);
    assert_eq!(w.numel(), 0);
}

#[test]
#[should_panic(expected = "Only tensors with 2 or more dimensions are supported")]
fn orthogonal_rejects_vectors() {
    orthogonal_(&Tensor::<f32>::zeros(&[4]), 1.0);
}

fn phi(x: f64) -> f64 {
    (-x * x / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

fn cdf(x: f64) -> f64 {
    (1.0 + libm::erf(x / std::f64::consts::SQRT_2)) / 2.0
}

/// Mean and variance of N(mean, std²) truncated to [a, b].
fn truncated_moments(mean: f64, std: f64, a: f64, b: f64) -> (f64, f64) {
    let (al, be) = ((a - mean) / std, (b - mean) / std);
    let z = cdf(be) - cdf(al);
    let m = mean + std * (phi(al) - phi(be)) / z;
    let v =
        std * std * (1.0 + (al * phi(al) - be * phi(be)) / z - ((phi(al) - phi(be)) / z).powi(2));
    (m, v)
}

fn moments(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var)
}

#[test]
fn trunc_normal_bounds_and_moments() {
    let _g = lock();
    manual_seed(21);
    for (mean, std, a, b) in [
        (0.0, 1.0, -2.0, 2.0),    // torch's defaults
        (0.0, 0.02, -0.04, 0.04), // ViT / timm
        (1.0, 2.0, 0.0, 5.0),     // asymmetric
        (0.0, 1.0, 0.5, 3.0),     // interval off the mean
    ] {
        let t: Tensor<f64> = Tensor::zeros(&[200_000]);
        trunc_normal_(&t, mean, std, a, b);
        let v = t.to_vec();
        assert!(v.iter().all(|x| (a..=b).contains(x)), "bounds [{a}, {b}]");
        let (lo, hi) = v
            .iter()
            .fold((f64::MAX, f64::MIN), |(l, h), &x| (l.min(x), h.max(x)));
        // The samples fill the interval.
        assert!(
            lo < a + 0.02 * (b - a) && hi > b - 0.02 * (b - a),
            "{lo} {hi}"
        );
        let (m, var) = moments(&v);
        let (want_m, want_var) = truncated_moments(mean, std, a, b);
        let sd = want_var.sqrt();
        assert!((m - want_m).abs() < 0.01 * sd, "mean {m} vs {want_m}");
        assert!(
            (var / want_var - 1.0).abs() < 0.02,
            "var {var} vs {want_var}"
        );
    }
}

#[test]
fn trunc_normal_f32_and_reproducible() {
    let _g = lock();
    let draw = |seed| {
        manual_seed(seed);
        let t: Tensor = Tensor::zeros(&[3, 4, 5]);
        trunc_normal_(&t, 0.5, 1.0, -1.0, 1.5);
        t.to_vec()
    };
    let v = draw(4);
    assert!(v.iter().all(|x| (-1.0..=1.5).contains(x)));
    assert_eq!(v, draw(4));
    assert_ne!(v, draw(5));
}
