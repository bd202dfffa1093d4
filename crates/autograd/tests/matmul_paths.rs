//! The ops reach the blocked GEMM (above `SMALL_MATMUL_FLOPS`) through `matmul_into`, with
//! transposed operands in backward: check forward and backward of `matmul` and `linear` at
//! sizes on both sides of the threshold against a naive f64 reference, for every kernel path.

use ndarray::{Array2, ArrayView2};
use tapegrad_autograd::kernels::matmul::{available_paths, gemm_with_path, MatRef};
use tapegrad_autograd::kernels::{matmul_into, SMALL_MATMUL_FLOPS};
use tapegrad_autograd::{manual_seed, Tensor};

fn naive(a: ArrayView2<'_, f32>, b: ArrayView2<'_, f32>) -> Array2<f64> {
    let (m, k) = a.dim();
    let n = b.dim().1;
    Array2::from_shape_fn((m, n), |(i, j)| {
        (0..k).map(|p| a[(i, p)] as f64 * b[(p, j)] as f64).sum()
    })
}

fn assert_close(got: ArrayView2<'_, f32>, want: &Array2<f64>, k: usize, what: &str) {
    assert_eq!(got.dim(), want.dim(), "{what}");
    for (g, w) in got.iter().zip(want.iter()) {
        let tol = 1e-5 * (k as f64).max(1.0) * (1.0 + w.abs());
        assert!((*g as f64 - w).abs() <= tol, "{what}: {g} vs {w}");
    }
}

/// The plain loop of tiny products has a fully unrolled sum for k = 1…4 and a loop beyond:
/// each must give, bit for bit, the sum from zero with p ascending (the order every path of
/// the GEMM sums in), for plain and transposed operands and a transposed output.
#[test]
fn tiny_products_sum_in_order_for_every_k() {
    manual_seed(5);
    for k in 1..=6 {
        for &(m, n) in &[(1, 1), (3, 2), (2, 5)] {
            let a: Tensor = Tensor::randn(&[m, k]);
            let bt: Tensor = Tensor::randn(&[n, k]); // B stored transposed, as Wᵀ in linear
            let (ad, btd) = (a.to_array(), bt.to_array());
            let a2: ArrayView2<f32> = ad.view().into_dimensionality().unwrap();
            let b2 = btd.view().into_dimensionality::<ndarray::Ix2>().unwrap();
            let b2 = b2.t();
            let want = Array2::from_shape_fn((m, n), |(i, j)| {
                (0..k).fold(0.0f32, |acc, p| acc + a2[(i, p)] * b2[(p, j)])
            });
            let mut c = Array2::<f32>::zeros((m, n));
            matmul_into(a2, b2, c.view_mut());
            assert_eq!(c, want, "{m}x{k}x{n}");
            let mut ct = Array2::<f32>::zeros((n, m));
            matmul_into(a2, b2, ct.view_mut().reversed_axes());
            assert_eq!(ct.t(), want, "{m}x{k}x{n} into a transposed output");
        }
    }
}

#[test]
fn matmul_into_matches_naive_for_plain_and_transposed_views() {
    manual_seed(3);
    for &(m, k, n) in &[
        (3, 2, 3),
        (16, 16, 16),
        (17, 33, 65),
        (64, 1, 64),
        (1, 300, 40),
        (129, 70, 10),
    ] {
        let a: Tensor = Tensor::randn(&[m, k]);
        let b: Tensor = Tensor::randn(&[k, n]);
        let at: Tensor = a.t(); // stored [k, m]: pass its transpose view
        let bt: Tensor = b.t();
        let (ad, bd, atd, btd) = (a.to_array(), b.to_array(), at.to_array(), bt.to_array());
        let a2 = ad.view().into_dimensionality().unwrap();
        let b2 = bd.view().into_dimensionality().unwrap();
        let at2: ArrayView2<f32> = atd.view().into_dimensionality().unwrap();
        let bt2: ArrayView2<f32> = btd.view().into_dimensionality().unwrap();
        let want = naive(a2, b2);
        for (name, x, y) in [
            ("A·B", a2, b2),
            ("(Aᵀ)ᵀ·B", at2.t(), b2),
            ("A·(Bᵀ)ᵀ", a2, bt2.t()),
            ("both", at2.t(), bt2.t()),
        ] {
            let mut c = Array2::<f32>::zeros((m, n));
            matmul_into(x, y, c.view_mut());
            assert_close(c.view(), &want, k, &format!("{name} {m}x{k}x{n}"));
        }
    }
}

#[test]
fn matmul_and_linear_gradients_through_the_gemm_match_the_naive_formulas() {
    manual_seed(4);
    let (m, k, n) = (40, 50, 30);
    assert!(
        m * k * n > SMALL_MATMUL_FLOPS,
        "must exercise the blocked kernel"
    );
    let a: Tensor = Tensor::randn(&[m, k]).requires_grad_(true);
    let w: Tensor = Tensor::randn(&[n, k]).requires_grad_(true);
    let g: Tensor = Tensor::randn(&[m, n]);
    let y = a.matmul(&w.t());
    let y2 = a.linear(&w, None);
    let (ad, wd, gd) = (a.to_array(), w.to_array(), g.to_array());
    let (a2, w2, g2): (ArrayView2<f32>, ArrayView2<f32>, ArrayView2<f32>) = (
        ad.view().into_dimensionality().unwrap(),
        wd.view().into_dimensionality().unwrap(),
        gd.view().into_dimensionality().unwrap(),
    );
    let fwd = naive(a2, w2.t());
    let ya = y.to_array();
    assert_close(
        ya.view().into_dimensionality().unwrap(),
        &fwd,
        k,
        "matmul forward",
    );
    let y2a = y2.to_array();
    assert_close(
        y2a.view().into_dimensionality().unwrap(),
        &fwd,
        k,
        "linear forward",
    );
    for out in [y, y2] {
        a.set_grad(None);
        w.set_grad(None);
        out.backward_with(tapegrad_autograd::BackwardOptions::new().gradient(g.clone()));
        let ga = a.grad().unwrap().to_array();
        let gw = w.grad().unwrap().to_array();
        assert_close(
            ga.view().into_dimensionality().unwrap(),
            &naive(g2, w2),
            n,
            "dA = G·W",
        );
        assert_close(
            gw.view().into_dimensionality().unwrap(),
            &naive(g2.t(), a2),
            m,
            "dW = Gᵀ·A",
        );
    }
}

#[test]
fn every_available_kernel_path_agrees_on_a_transposed_product() {
    manual_seed(5);
    let (m, k, n) = (37, 41, 43);
    let a: Tensor = Tensor::randn(&[k, m]); // used transposed
    let b: Tensor = Tensor::randn(&[k, n]);
    let (ad, bd) = (a.to_vec(), b.to_vec());
    let want = {
        let a2 = Array2::from_shape_vec((k, m), ad.clone()).unwrap();
        let b2 = Array2::from_shape_vec((k, n), bd.clone()).unwrap();
        naive(a2.t(), b2.view())
    };
    for path in available_paths() {
        let at = MatRef {
            data: &ad,
            offset: 0,
            rows: m,
            cols: k,
            row_stride: 1,
            col_stride: m,
        };
        let bv = MatRef::row_major(&bd, k, n);
        let mut c = vec![0.0f32; m * n];
        gemm_with_path(path, at, bv, &mut c, false);
        let c = Array2::from_shape_vec((m, n), c).unwrap();
        assert_close(c.view(), &want, k, &format!("{path:?}"));
    }
}

#[test]
fn linear_of_a_strided_input_gives_the_bits_of_its_contiguous_copy() {
    // A recurrent layer's outputs permuted to batch-first reach `linear` as a strided view; it
    // is read row-major first and takes the contiguous path. x = arange(60)/8 as [4, 3, 5],
    // permuted to [3, 4, 5]; W[o, i] = (o + 1)·(i − 2)/4, b = [0.5, −1]: every product and
    // sum is exact in f32 (multiples of 1/32 below 2^10), so y[r, o] = Σ_i x[r, i]·W[o, i] +
    // b[o] is known exactly, and so are the gradients of Σ y: dx[r, i] = Σ_o W[o, i],
    // dW[o, i] = Σ_r x[r, i], db = the row count (12).
    let base = Tensor::<f32>::arange(0.0, 60.0, 1.0) / 8.0;
    let x = base.reshape(&[4, 3, 5]).requires_grad_(true);
    let w_values: Vec<f32> = (0..10)
        .map(|f| ((f / 5 + 1) as f32) * ((f % 5) as f32 - 2.0) / 4.0)
        .collect();
    let w = Tensor::from_vec(w_values.clone(), &[2, 5]).requires_grad_(true);
    let b = Tensor::from_vec(vec![0.5f32, -1.0], &[2]).requires_grad_(true);
    let xp = x.permute(&[1, 0, 2]);
    assert!(!xp.is_contiguous());
    let y = xp.linear(&w, Some(&b));
    let rows = xp.to_vec();
    let want: Vec<f32> = (0..12 * 2)
        .map(|f| {
            let (r, o) = (f / 2, f % 2);
            let dot: f32 = (0..5).map(|i| rows[r * 5 + i] * w_values[o * 5 + i]).sum();
            dot + [0.5, -1.0][o]
        })
        .collect();
    assert_eq!(y.to_vec(), want);
    let copy = Tensor::from_vec(rows.clone(), &[3, 4, 5]);
    let bits = |v: Vec<f32>| v.into_iter().map(f32::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(y.to_vec()), bits(copy.linear(&w, Some(&b)).to_vec()));
    y.sum().backward();
    let col_w: Vec<f32> = (0..5).map(|i| w_values[i] + w_values[5 + i]).collect();
    let dx: Vec<f32> = (0..60).map(|f| col_w[f % 5]).collect();
    assert_eq!(x.grad().unwrap().to_vec(), dx);
    let col_x: Vec<f32> = (0..5)
        .map(|i| (0..12).map(|r| rows[r * 5 + i]).sum())
        .collect();
    let dw: Vec<f32> = (0..10).map(|f| col_x[f % 5]).collect();
    assert_eq!(w.grad().unwrap().to_vec(), dw);
    assert_eq!(b.grad().unwrap().to_vec(), vec![12.0, 12.0]);
}
