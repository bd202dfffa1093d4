//! `hessian_newton`'s problem (a regularised logistic loss on eight points) and its Hessian
//! three ways: by double backward (autograd), analytically, and by finite differences of the
//! gradient; with the 2 × 2 algebra of Newton's step.

use tapegrad::prelude::*;

/// The inputs (two features on different scales).
pub const XS: [[f64; 2]; 8] = [
    [1.0, 2.0],
    [2.0, -1.0],
    [-1.0, 3.0],
    [-2.0, -2.0],
    [0.5, 4.0],
    [1.5, -3.0],
    [-0.5, 1.0],
    [3.0, 0.5],
];
/// The labels, ±1 (not separable by a line through the origin).
pub const YS: [f64; 8] = [1.0, 1.0, -1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
/// The L2 weight λ.
pub const LAMBDA: f64 = 0.3;
/// The starting point.
pub const START: [f64; 2] = [1.0, -0.5];

/// A 2 × 2 matrix, row-major.
pub type Mat2 = [[f64; 2]; 2];

/// `L(θ)` as a differentiable tensor expression.
pub fn loss(theta: &Tensor<f64>) -> Tensor<f64> {
    let x = Tensor::from_vec(XS.iter().flatten().copied().collect(), &[XS.len(), 2]);
    let y = Tensor::from_vec(YS.to_vec(), &[YS.len()]);
    let margin = y * x.matmul(theta);
    // softplus(-m) = -log(sigmoid(m))
    let data_term = margin.sigmoid().log().neg().mean();
    data_term + theta.pow(2.0).sum() * (LAMBDA / 2.0)
}

/// `L(θ)` in plain f64.
pub fn loss_at(t: [f64; 2]) -> f64 {
    no_grad(|| loss(&Tensor::from_vec(t.to_vec(), &[2])).item())
}

/// The gradient by one backward pass.
pub fn gradient(t: [f64; 2]) -> [f64; 2] {
    let theta = Tensor::from_vec(t.to_vec(), &[2]).requires_grad_(true);
    let g = grad(&[loss(&theta)], std::slice::from_ref(&theta), None, false)[0]
        .clone()
        .expect("L depends on θ");
    let v = g.to_vec();
    [v[0], v[1]]
}

/// The Hessian by double backward: `g = grad(L, θ, create_graph)`, then `H[i] = grad(g, θ, e_i)`.
pub fn hessian_autograd(t: [f64; 2]) -> Mat2 {
    let theta = Tensor::from_vec(t.to_vec(), &[2]).requires_grad_(true);
    let g = grad(&[loss(&theta)], std::slice::from_ref(&theta), None, true)[0]
        .clone()
        .expect("L depends on θ");
    let mut h = [[0.0; 2]; 2];
    for (i, row) in h.iter_mut().enumerate() {
        let mut e = vec![0.0; 2];
        e[i] = 1.0;
        let e_i = Tensor::from_vec(e, &[2]);
        let r = grad(
            std::slice::from_ref(&g),
            std::slice::from_ref(&theta),
            Some(&[e_i]),
            true,
        )[0]
        .clone()
        .expect("g depends on θ");
        let v = r.to_vec();
        *row = [v[0], v[1]];
    }
    h
}

/// The analytic Hessian `mean(σ(z)σ(-z) x xᵀ) + λI`, `z = θ·x` (y² = 1).
pub fn hessian_analytic(t: [f64; 2]) -> Mat2 {
    let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
    let mut h = [[LAMBDA, 0.0], [0.0, LAMBDA]];
    let n = XS.len() as f64;
    for x in XS {
        let z = t[0] * x[0] + t[1] * x[1];
        let s = sig(z) * sig(-z);
        for i in 0..2 {
            for j in 0..2 {
                h[i][j] += s * x[i] * x[j] / n;
            }
        }
    }
    h
}

/// Central differences of the gradient: `H[:, j] ≈ (g(θ + εe_j) - g(θ - εe_j)) / 2ε`.
pub fn hessian_finite_differences(t: [f64; 2], eps: f64) -> Mat2 {
    let mut h = [[0.0; 2]; 2];
    for j in 0..2 {
        let (mut p, mut m) = (t, t);
        p[j] += eps;
        m[j] -= eps;
        let (gp, gm) = (gradient(p), gradient(m));
        for i in 0..2 {
            h[i][j] = (gp[i] - gm[i]) / (2.0 * eps);
        }
    }
    h
}

/// The largest absolute entry-wise difference.
pub fn max_diff(a: &Mat2, b: &Mat2) -> f64 {
    (0..4)
        .map(|k| (a[k / 2][k % 2] - b[k / 2][k % 2]).abs())
        .fold(0.0, f64::max)
}

/// `-H⁻¹ g` for a 2 × 2 `H`.
pub fn newton_step(h: &Mat2, g: [f64; 2]) -> [f64; 2] {
    let det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
    [
        -(h[1][1] * g[0] - h[0][1] * g[1]) / det,
        -(-h[1][0] * g[0] + h[0][0] * g[1]) / det,
    ]
}

/// The Euclidean norm.
pub fn norm(v: [f64; 2]) -> f64 {
    (v[0] * v[0] + v[1] * v[1]).sqrt()
}

/// A matrix as `[[a, b], [c, d]]` with ten decimals.
pub fn fmt_mat(h: &Mat2) -> String {
    format!(
        "[[{:.10}, {:.10}], [{:.10}, {:.10}]]",
        h[0][0], h[0][1], h[1][0], h[1][1]
    )
}
