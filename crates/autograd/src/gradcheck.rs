//! `gradcheck`: compares the gradients backward computes with central finite differences, in
//! f64, as `torch.autograd.gradcheck` does; `gradgradcheck` does the same for second
//! derivatives (Hessian–vector products through `create_graph`).

use crate::backward::grad;
use crate::grad_mode::no_grad;
use crate::tensor::Tensor;
use std::fmt;

/// A gradient that disagrees with its finite-difference estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct GradcheckError {
    /// Which input.
    pub input: usize,
    /// Which element of that input (row-major).
    pub element: usize,
    /// Which element of the output.
    pub output: usize,
    /// The gradient backward computed.
    pub analytical: f64,
    /// The central finite-difference estimate.
    pub numerical: f64,
}

impl fmt::Display for GradcheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Jacobian mismatch for output {} with respect to input {}, element {}: \
             numerical {:.10} vs analytical {:.10}",
            self.output, self.input, self.element, self.numerical, self.analytical
        )
    }
}

impl std::error::Error for GradcheckError {}

fn fresh_leaves(inputs: &[Tensor<f64>]) -> Vec<Tensor<f64>> {
    inputs
        .iter()
        .map(|t| t.detach().requires_grad_(true))
        .collect()
}

/// Checks `f`'s gradients at `inputs` against central differences
/// `(f(x+eps) - f(x-eps)) / 2eps`, element by element of the full Jacobian. Passes when
/// `|analytical - numerical| <= atol + rtol·|numerical|` everywhere (PyTorch's defaults:
/// `eps = 1e-6`, `atol = 1e-5`, `rtol = 1e-3`).
///
/// ```
/// use tapegrad_autograd::{gradcheck, Tensor};
/// let x = Tensor::from_vec(vec![0.3f64, -1.2, 2.0], &[3]);
/// assert!(gradcheck(|v| v[0].tanh() * &v[0], &[x.clone()], 1e-6, 1e-5, 1e-3).is_ok());
/// ```
pub fn gradcheck(
    f: impl Fn(&[Tensor<f64>]) -> Tensor<f64>,
    inputs: &[Tensor<f64>],
    eps: f64,
    atol: f64,
    rtol: f64,
) -> Result<(), GradcheckError> {
    check_jacobian(f, inputs, eps, atol, rtol, false)
}

/// The Jacobian check behind [`gradcheck`] and [`gradgradcheck`]. `record_shifted`: evaluate the
/// shifted inputs with recording on (as leaves requiring a gradient), for functions such as
/// `gradgradcheck`'s first-order gradient that call `grad` themselves.
fn check_jacobian(
    f: impl Fn(&[Tensor<f64>]) -> Tensor<f64>,
    inputs: &[Tensor<f64>],
    eps: f64,
    atol: f64,
    rtol: f64,
    record_shifted: bool,
) -> Result<(), GradcheckError> {
    let leaves = fresh_leaves(inputs);
    let y0 = f(&leaves);
    let m = y0.numel();
    let out_shape = y0.shape();
    drop(y0);

    // Analytical Jacobian, one row per output element: J[j] = grad of y_j w.r.t. every input.
    let mut analytical: Vec<Vec<Vec<f64>>> = Vec::with_capacity(m);
    for j in 0..m {
        let y = f(&leaves);
        let mut onehot = vec![0.0; m];
        onehot[j] = 1.0;
        let seed = Tensor::from_vec(onehot, &out_shape);
        let gs = if y.requires_grad() {
            grad(&[y], &leaves, Some(&[seed]), false)
        } else {
            vec![None; leaves.len()]
        };
        analytical.push(
            gs.into_iter()
                .zip(&leaves)
                .map(|(g, x)| {
                    g.map(|g| g.to_vec())
                        .unwrap_or_else(|| vec![0.0; x.numel()])
                })
                .collect(),
        );
    }

    // Numerical Jacobian, one column per input element.
    for (i, x) in leaves.iter().enumerate() {
        for e in 0..x.numel() {
            let eval = |delta: f64| -> Vec<f64> {
                let shifted: Vec<Tensor<f64>> = leaves
                    .iter()
                    .enumerate()
                    .map(|(k, t)| {
                        let c = t.clone_tensor();
                        if k == i {
                            // The index is computed before the write lock is taken: reading
                            // the shape under `data_mut()` would deadlock on the RwLock.
                            let idx = ndarray::IxDyn(&unravel(e, &c.shape()));
                            c.data_mut()[idx] += delta;
                        }
                        c.requires_grad_(record_shifted)
                    })
                    .collect();
                if record_shifted {
                    f(&shifted).to_vec()
                } else {
                    no_grad(|| f(&shifted)).to_vec()
                }
            };
            let (plus, minus) = (eval(eps), eval(-eps));
            for (j, row) in analytical.iter().enumerate() {
                let numerical = (plus[j] - minus[j]) / (2.0 * eps);
                let a = row[i][e];
                if (a - numerical).abs() > atol + rtol * numerical.abs() {
                    return Err(GradcheckError {
                        input: i,
                        element: e,
                        output: j,
                        analytical: a,
                        numerical,
                    });
                }
            }
        }
    }
    Ok(())
}

fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    idx
}

/// Checks second derivatives: the gradient of `Σ_i w_i · ∂(v·f)/∂x_i` (a Hessian–vector product
/// computed with `create_graph`) against finite differences, for fixed pseudo-random `v`, `w`.
///
/// ```
/// use tapegrad_autograd::{gradgradcheck, Tensor};
/// let x = Tensor::from_vec(vec![0.3f64, -1.2], &[2]);
/// assert!(gradgradcheck(|v| v[0].sigmoid(), &[x], 1e-6, 1e-5, 1e-3).is_ok());
/// ```
pub fn gradgradcheck(
    f: impl Fn(&[Tensor<f64>]) -> Tensor<f64>,
    inputs: &[Tensor<f64>],
    eps: f64,
    atol: f64,
    rtol: f64,
) -> Result<(), GradcheckError> {
    let weights = |n: usize, salt: usize| -> Vec<f64> {
        (0..n)
            .map(|k| 0.5 + ((k * 7 + salt * 13) % 11) as f64 / 11.0)
            .collect()
    };
    let first_order = |xs: &[Tensor<f64>]| -> Tensor<f64> {
        let leaves: Vec<Tensor<f64>> = xs.to_vec();
        let y = f(&leaves);
        let v = Tensor::from_vec(weights(y.numel(), 0), &y.shape());
        let gs = grad(&[y], &leaves, Some(&[v]), true);
        let mut total = Tensor::scalar(0.0);
        for (i, (g, x)) in gs.into_iter().zip(&leaves).enumerate() {
            if let Some(g) = g {
                let w = Tensor::from_vec(weights(x.numel(), i + 1), &x.shape());
                total = &total + &(&g * &w).sum();
            }
        }
        total
    };
    check_jacobian(first_order, inputs, eps, atol, rtol, true)
}
