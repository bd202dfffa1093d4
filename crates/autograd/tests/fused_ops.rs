//! The fused ops the layers use (`linear` = PyTorch's addmm, `mse_loss`) against finite
//! differences, first and second order, and against the unfused composition.

use tapegrad_autograd::functional::{mse_loss, Reduction};
use tapegrad_autograd::{gradcheck, gradgradcheck, Tensor};

fn t(v: &[f64], shape: &[usize]) -> Tensor<f64> {
    Tensor::from_vec(v.to_vec(), shape)
}

#[test]
fn linear_matches_matmul_plus_bias_and_finite_differences() {
    let x = t(&[0.5, 0.1, 0.05, 0.18, 0.05, 0.31], &[3, 2]);
    let w = t(&[0.3, -0.2, 0.7, 0.1, -0.5, 0.25], &[3, 2]);
    let b = t(&[0.01, -0.02, 0.03], &[3]);
    let fused = x.linear(&w, Some(&b)).to_vec();
    let composed = (x.matmul(&w.t()) + &b).to_vec();
    for (f, c) in fused.iter().zip(&composed) {
        assert!((f - c).abs() < 1e-15);
    }
    let f = |v: &[Tensor<f64>]| v[0].linear(&v[1], Some(&v[2])).sigmoid();
    assert!(gradcheck(f, &[x.clone(), w.clone(), b.clone()], 1e-6, 1e-7, 1e-5).is_ok());
    assert!(gradgradcheck(f, &[x.clone(), w.clone(), b], 1e-6, 1e-6, 1e-4).is_ok());
    let no_bias = |v: &[Tensor<f64>]| v[0].linear(&v[1], None);
    assert!(gradcheck(no_bias, &[x, w], 1e-6, 1e-7, 1e-5).is_ok());
}

#[test]
fn linear_accepts_leading_batch_dimensions() {
    let x = t(
        &(0..12).map(|i| i as f64 * 0.1).collect::<Vec<_>>(),
        &[2, 3, 2],
    );
    let w = t(&[0.3, -0.2, 0.7, 0.1], &[2, 2]);
    let b = t(&[1.0, -1.0], &[2]);
    let y = x.linear(&w, Some(&b));
    assert_eq!(y.shape().as_slice(), &[2, 3, 2]);
    // row 5 of the flattened input is [1.0, 1.1]: [0.3 - 0.22 + 1, 0.7 + 0.11 - 1]
    let v = y.to_vec();
    assert!((v[10] - 1.08).abs() < 1e-12 && (v[11] + 0.19).abs() < 1e-12);
    let f = |v: &[Tensor<f64>]| v[0].linear(&v[1], Some(&v[2]));
    assert!(gradcheck(f, &[x, w, b], 1e-6, 1e-7, 1e-5).is_ok());
}

#[test]
#[should_panic(expected = "linear: mat1 and mat2 shapes cannot be multiplied")]
fn linear_with_wrong_in_features_names_the_shapes() {
    let x = Tensor::<f32>::zeros(&[3, 4]);
    let w = Tensor::<f32>::zeros(&[2, 3]);
    let _ = x.linear(&w, None);
}

#[test]
fn fused_mse_has_hand_derived_values_and_gradients() {
    let a = t(&[1.0, 3.0, -2.0], &[3]).requires_grad_(true);
    let b = t(&[0.0, 1.0, 1.0], &[3]).requires_grad_(true);
    let l = mse_loss(&a, &b, Reduction::Mean);
    assert_eq!(l.grad_fn_name(), Some("MseLossBackward0"));
    assert!((l.item() - 14.0 / 3.0).abs() < 1e-15); // (1 + 4 + 9) / 3
    l.backward();
    let ga = a.grad().unwrap().to_vec(); // 2(a-b)/3
    let gb = b.grad().unwrap().to_vec();
    for (i, d) in [1.0, 2.0, -3.0].iter().enumerate() {
        assert!((ga[i] - 2.0 * d / 3.0).abs() < 1e-15);
        assert!((gb[i] + 2.0 * d / 3.0).abs() < 1e-15);
    }
    for r in [Reduction::Mean, Reduction::Sum, Reduction::None] {
        let f = move |v: &[Tensor<f64>]| mse_loss(&v[0], &v[1], r);
        let ins = [
            t(&[0.2, -0.4, 1.5, 0.7], &[2, 2]),
            t(&[0.1, 0.3, -0.6, 0.9], &[2, 2]),
        ];
        assert!(gradcheck(f, &ins, 1e-6, 1e-7, 1e-5).is_ok(), "{r:?}");
        assert!(gradgradcheck(f, &ins, 1e-6, 1e-6, 1e-4).is_ok(), "{r:?}");
    }
}

#[test]
fn fused_gelu_has_hand_derived_values_and_matches_finite_differences() {
    // gelu(1) = Φ(1) = 0.8413447460685429; gelu'(1) = Φ(1) + φ(1) = 0.8413447460685429 +
    // 0.24197072451914337 = 1.0833154705876864; gelu(-2) = -2·Φ(-2) = -0.04550026389635842.
    let x = t(&[1.0, -2.0], &[2]).requires_grad_(true);
    let y = x.gelu(false);
    assert_eq!(y.grad_fn_name(), Some("GeluBackward0"));
    let v = y.to_vec();
    assert!((v[0] - 0.841_344_746_068_542_9).abs() < 1e-15);
    assert!((v[1] + 0.045_500_263_896_358_42).abs() < 1e-15);
    y.sum().backward();
    // gelu'(-2) = Φ(-2) - 2φ(-2) = 0.022750131948179195 - 2·0.05399096651318806
    let g = x.grad().unwrap().to_vec();
    assert!((g[0] - 1.083_315_470_587_686_4).abs() < 1e-15);
    assert!((g[1] - (0.022_750_131_948_179_195 - 2.0 * 0.053_990_966_513_188_06)).abs() < 1e-15);
    let x = t(&[-3.0, -0.7, 0.0, 0.4, 2.5], &[5]);
    let f = |v: &[Tensor<f64>]| v[0].gelu(false);
    assert!(gradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-7, 1e-5).is_ok());
    assert!(gradgradcheck(f, &[x], 1e-6, 1e-6, 1e-4).is_ok());
}

#[test]
fn f32_gelu_keeps_its_relative_accuracy_in_the_tails() {
    // The f32 kernel's Φ is a Chebyshev fit with fractional error < 1.2e-7 (Numerical
    // Recipes §6.2); against the f64 value (libm erf) GELU and its slope stay within a few ulp
    // relative, down to x = -6 where gelu(x) ≈ -6e-9 (PyTorch's own f32 kernel returns 0).
    let xs: Vec<f64> = (-60..=60).map(|i| i as f64 / 10.0).collect();
    let x64 = Tensor::from_vec(xs.clone(), &[xs.len()]).requires_grad_(true);
    let x32 =
        Tensor::from_vec(xs.iter().map(|&v| v as f32).collect(), &[xs.len()]).requires_grad_(true);
    let (y64, y32) = (x64.gelu(false), x32.gelu(false));
    y64.sum().backward();
    y32.sum().backward();
    let pairs = [
        (y64.to_vec(), y32.to_vec()),
        (x64.grad().unwrap().to_vec(), x32.grad().unwrap().to_vec()),
    ];
    for (exact, fast) in pairs {
        for ((e, f), x) in exact.iter().zip(&fast).zip(&xs) {
            let err = (*f as f64 - e).abs();
            assert!(
                err <= 4e-6 * e.abs() + 5e-7,
                "x = {x}: f32 {f} against f64 {e}"
            );
        }
    }
}

#[test]
fn gelu_keeps_phi_for_its_backward_whatever_the_layout_and_however_often_it_runs() {
    // The recorded forward keeps Φ(x) of its (row-major) input for the backward. Read through
    // a transpose, the gradient must land on the elements the view names: gelu(xᵀ) with an
    // upstream gradient g gives x.grad = (g ⊙ gelu'(xᵀ))ᵀ, the bits of the same op on a
    // contiguous copy of xᵀ, and within the f32 fit's accuracy of the f64 slope
    // Φ(x) + x·φ(x). Run twice over a retained graph, Φ is still there: the sum doubles
    // exactly (a + a is exact).
    let n = (40, 30);
    let xs: Vec<f32> = (0..n.0 * n.1).map(|i| i as f32 / 100.0 - 6.0).collect();
    let gs: Vec<f32> = (0..n.0 * n.1)
        .map(|i| ((i * 7) % 13) as f32 / 4.0 - 1.5)
        .collect();
    let x = Tensor::from_vec(xs.clone(), &[n.0, n.1]).requires_grad_(true);
    let g = Tensor::from_vec(gs.clone(), &[n.1, n.0]);
    let y = x.t().gelu(false);
    let backward = || {
        y.backward_with(
            tapegrad_autograd::BackwardOptions::new()
                .gradient(g.clone())
                .retain_graph(true),
        )
    };
    backward();
    let once = x.grad().unwrap().to_vec();
    let xc = Tensor::from_vec(x.t().to_vec(), &[n.1, n.0]).requires_grad_(true);
    let yc = xc.gelu(false);
    yc.backward_with(tapegrad_autograd::BackwardOptions::new().gradient(g.clone()));
    let contiguous = xc.grad().unwrap().t().to_vec();
    let bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&once), bits(&contiguous), "strided against contiguous");
    for (i, (&got, &xv)) in once.iter().zip(&xs).enumerate() {
        let (r, c) = (i / n.1, i % n.1);
        let gv = gs[c * n.0 + r] as f64; // g[c, r], the element of gᵀ at [r, c]
        let v = xv as f64;
        let phi = (-v * v / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let want = gv * (0.5 * (1.0 + erf_f64(v / std::f64::consts::SQRT_2)) + v * phi);
        assert!(
            (got as f64 - want).abs() <= 4e-6 * want.abs() + 5e-7 * gv.abs(),
            "x = {v}, g = {gv}: {got} against {want}"
        );
    }
    backward();
    let twice: Vec<f32> = once.iter().map(|v| v + v).collect();
    assert_eq!(
        bits(&x.grad().unwrap().to_vec()),
        bits(&twice),
        "second backward"
    );
}

/// erf by its Maclaurin series where it converges fast, else 1 - erfc's continued fraction
/// (both to about 1e-15), to check the f32 fit against an independent value.
fn erf_f64(x: f64) -> f64 {
    let a = x.abs();
    let e = if a < 3.0 {
        let (mut term, mut sum, mut k) = (a, a, 0.0);
        while term.abs() > 1e-17 * sum.abs() {
            k += 1.0;
            term *= -a * a / k;
            sum += term / (2.0 * k + 1.0);
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    } else {
        // erfc(a) = exp(-a²)/√π · 1/(a + 1/2/(a + 1/(a + 3/2/(a + 2/(a + …)))))
        let mut f = a;
        for k in (1..60).rev() {
            f = a + (k as f64 / 2.0) / f;
        }
        1.0 - (-a * a).exp() / (std::f64::consts::PI.sqrt() * f)
    };
    e.copysign(x)
}

/// The backward of an elementwise op writes its result into the incoming gradient when the
/// walk holds that gradient's only handle; a gradient someone else can still see (a retained
/// `.grad`, the explain mode's observer, a second consumer) must keep its values.
/// x = 0: y = sigmoid(x) = 1/2, z = sigmoid(y) = 0.6224593312018546, loss = z.
/// dloss/dz = 1, dloss/dy = z(1 - z) = 0.2350037122015945,
/// dloss/dx = dloss/dy · y(1 - y) = 0.2350037122015945 / 4 = 0.05875092805039862.
#[test]
fn elementwise_backward_in_place_keeps_gradients_others_hold() {
    let (dz, dy, dx) = (1.0, 0.2350037122015945, 0.05875092805039862);
    let close = |a: f64, b: f64| (a - b).abs() < 1e-15;

    // Plain walk: the in-place path is taken for z's and y's gradients.
    let x = t(&[0.0], &[1]).requires_grad_(true);
    x.sigmoid().sigmoid().sum().backward();
    assert!(close(x.grad().unwrap().item(), dx));

    // Retained gradients keep their own values.
    let x = t(&[0.0], &[1]).requires_grad_(true);
    let y = x.sigmoid();
    let z = y.sigmoid();
    y.retain_grad();
    z.retain_grad();
    z.sum().backward();
    assert!(close(z.grad().unwrap().item(), dz));
    assert!(close(y.grad().unwrap().item(), dy));
    assert!(close(x.grad().unwrap().item(), dx));

    // The observer sees each step's incoming gradient as it arrived.
    let x = t(&[0.0], &[1]).requires_grad_(true);
    let mut arrived = Vec::new();
    let mut obs = |s: &tapegrad_autograd::BackwardStep<'_, f64>| {
        arrived.push((s.op, s.grad.item()));
    };
    x.sigmoid()
        .sigmoid()
        .sum()
        .backward_with(tapegrad_autograd::BackwardOptions::new().observer(&mut obs));
    let sig: Vec<f64> = arrived
        .iter()
        .filter(|(op, _)| *op == "SigmoidBackward0")
        .map(|&(_, g)| g)
        .collect();
    assert_eq!(sig.len(), 2);
    assert!(close(sig[0], dz) && close(sig[1], dy), "{sig:?}");
    assert!(close(x.grad().unwrap().item(), dx));

    // One gradient read by two consumers (y used twice): each sees the same values.
    // loss = sigmoid(y) + sigmoid(y): dloss/dy = 2 z(1 - z), dloss/dx = 2 dx.
    let x = t(&[0.0], &[1]).requires_grad_(true);
    let y = x.sigmoid();
    let s = y.sigmoid();
    (&s + &s).sum().backward();
    assert!(close(x.grad().unwrap().item(), 2.0 * dx));

    // One gradient handed to two inputs (`add` passes it on to both): the first input's
    // backward must not write into the second's. x1 = x2 = 0, loss = Σ (sigmoid(x1) +
    // sigmoid(x2))·3: both sigmoids receive 3, so dloss/dx1 = dloss/dx2 = 3/4.
    let x1 = t(&[0.0], &[1]).requires_grad_(true);
    let x2 = t(&[0.0], &[1]).requires_grad_(true);
    ((&x1.sigmoid() + &x2.sigmoid()) * 3.0).sum().backward();
    assert!(close(x1.grad().unwrap().item(), 0.75));
    assert!(close(x2.grad().unwrap().item(), 0.75));
}

#[test]
fn linear_bias_gradient_is_the_column_sums_of_the_incoming_gradient() {
    // loss = Σ (x Wᵀ + b) ⊙ C has dL/db_j = Σ_i C[i, j]. C holds small integers, so every sum
    // is exact in either order; the shapes take both ways of summing (tiny G, at most 16 × 16,
    // column by column; larger, row by row).
    for &(rows, out_f) in &[(3, 2), (16, 16), (20, 3), (3, 20), (40, 33)] {
        let in_f = 2;
        let x = Tensor::<f32>::from_vec(vec![0.5; rows * in_f], &[rows, in_f]);
        let w = Tensor::<f32>::from_vec(vec![0.25; out_f * in_f], &[out_f, in_f]);
        let b = Tensor::<f32>::zeros(&[out_f]).requires_grad_(true);
        let c: Vec<f32> = (0..rows * out_f)
            .map(|k| ((k * 7) % 11) as f32 - 5.0)
            .collect();
        let loss = (&x.linear(&w, Some(&b)) * &Tensor::from_vec(c.clone(), &[rows, out_f])).sum();
        loss.backward();
        let expected: Vec<f32> = (0..out_f)
            .map(|j| (0..rows).map(|i| c[i * out_f + j]).sum())
            .collect();
        assert_eq!(
            b.grad().unwrap().to_vec(),
            expected,
            "rows {rows}, out {out_f}"
        );
    }
}
