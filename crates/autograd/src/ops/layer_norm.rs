//! `layer_norm`: normalise over the last dimensions, then scale and shift, as one op
//! (`NativeLayerNormBackward0`). Per row `r` of `D = ∏ normalized_shape` values:
//!
//! ```text
//! μ = Σx / D    σ² = Σ(x − μ)² / D    x̂ = (x − μ)·invstd, invstd = 1/√(σ² + eps)
//! y = x̂·w + b
//! dx = invstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)), ĝ = g·w    dw = Σ_r g·x̂    db = Σ_r g
//! ```
//!
//! Rows run in parallel for large inputs; `dw`/`db` are summed over fixed blocks of rows whose
//! partial sums are added in block order, so results do not depend on the thread count.
//! Under `create_graph` the backward is the same formula written with recorded tensor ops.

use crate::element::{as_f32, Element};
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record_values, BackwardCtx, InputGrads, Op};
use crate::kernels::math::{self, sum_pairs_f64};
use crate::kernels::row_sums;
use crate::ops::par::{map_indices, written_chunks};
use crate::ops::standardize::standardize;
use crate::tensor::Tensor;
use smallvec::smallvec;
use std::mem::MaybeUninit;

/// Rows per block of the parameter-gradient sums (fixed, so the sum order is too).
const ROWS_PER_BLOCK: usize = 64;

/// `Σ f(v)` over `row` in f64, in [`sum_pairs_f64`]'s order.
#[inline(always)]
fn sum_f64<T: Element>(row: &[T], f: impl Fn(f64) -> f64) -> f64 {
    sum_pairs_f64(row, row, |v, _| f(v.as_f64()))
}

/// `(μ, invstd)` of one row, accumulated in f64 (two passes: the mean, then the biased variance
/// about it); `f32` rows by `kernels::row_sums` (the same bits).
#[inline(always)]
fn row_stats_f64<T: Element>(row: &[T], eps: f64) -> (f64, f64) {
    let n = row.len() as f64;
    let (mean, var) = match as_f32(row) {
        Some(r) => {
            let mean = row_sums::sum(r) / n;
            (mean, row_sums::sum_sq_dev(r, mean) / n)
        }
        None => {
            let mean = sum_f64(row, |v| v) / n;
            (mean, sum_f64(row, |v| (v - mean) * (v - mean)) / n)
        }
    };
    (mean, 1.0 / (var + eps).sqrt())
}

/// Panics with PyTorch's message unless the last dimensions of `shape` are `normalized_shape`
/// (at least one): the input check of `layer_norm` and `F.rms_norm`, named `op`.
pub fn check_normalized_shape(op: &str, shape: &[usize], normalized_shape: &[usize]) {
    let k = normalized_shape.len();
    assert!(
        k >= 1 && shape.len() >= k && shape[shape.len() - k..] == *normalized_shape,
        "{op}: Given normalized_shape={normalized_shape:?}, expected input with shape [*, {}], \
         but got input of size {shape:?}",
        normalized_shape
            .iter()
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join(", "),
    );
}

/// Layer normalisation (`F.layer_norm(x, normalized_shape, weight, bias, eps)`): over the last
/// `normalized_shape.len()` dimensions (which must equal `normalized_shape`),
/// `y = (x - mean) / sqrt(var + eps) * weight + bias` with the biased variance, as PyTorch.
/// Derivative (`NativeLayerNormBackward0`): see the module documentation.
///
/// ```
/// use tapegrad_autograd::{functional::layer_norm, Tensor};
/// let x = Tensor::from_vec(vec![1.0f64, 3.0], &[1, 2]);
/// // mean 2, biased variance 1: (x - 2) / sqrt(1 + 0) = [-1, 1]
/// assert_eq!(layer_norm(&x, &[2], None, None, 0.0).to_vec(), vec![-1.0, 1.0]);
/// ```
pub fn layer_norm<T: Element>(
    x: &Tensor<T>,
    normalized_shape: &[usize],
    weight: Option<&Tensor<T>>,
    bias: Option<&Tensor<T>>,
    eps: f64,
) -> Tensor<T> {
    let shape = x.shape();
    let k = normalized_shape.len();
    check_normalized_shape("layer_norm", &shape, normalized_shape);
    for (what, t) in [("weight", weight), ("bias", bias)] {
        if let Some(t) = t {
            assert!(
                t.shape().as_slice() == normalized_shape,
                "layer_norm: expected {what} of shape {normalized_shape:?}, got {:?}",
                t.shape().as_slice()
            );
        }
    }
    let d: usize = normalized_shape.iter().product();
    // Weight and bias in f64; a missing one is 1 (z·1 = z) or −0 (z + (−0) = z, even for −0).
    let f64s = |t: Option<&Tensor<T>>, none: f64| match t {
        Some(t) => t.to_vec().into_iter().map(|v| v.as_f64()).collect(),
        None => vec![none; d],
    };
    let (w, b): (Vec<f64>, Vec<f64>) = (f64s(weight, 1.0), f64s(bias, -0.0));
    let xv = x.read_values();
    let rows = xv.len().checked_div(d).unwrap_or(0);
    // Each row's statistics, in f64, so that neither a large mean nor its rounding cancels
    // digits away; kept for the backward (PyTorch's saved `mean` and `rstd`). The row loops
    // run under `math::simd` (compiled for this CPU's vectors: the same bits, faster).
    let stats = map_indices(rows, xv.len(), |r| {
        math::simd(
            #[inline(always)]
            || row_stats_f64(&xv[r * d..(r + 1) * d], eps),
        )
    });
    // SAFETY: each row's loop writes all `d` of its elements (`w` and `b` hold `d`).
    let y = unsafe {
        written_chunks(xv.len(), d, xv.len(), |r, out| {
            let (mean, invstd) = stats[r];
            let row = &xv[r * d..(r + 1) * d];
            math::simd(
                #[inline(always)]
                || {
                    for (((o, &v), &w), &b) in out.iter_mut().zip(row).zip(&w).zip(&b) {
                        o.write(T::from_f64((v.as_f64() - mean) * invstd * w + b));
                    }
                },
            )
        })
    };
    drop(xv);
    let op = NativeLayerNormBackward {
        dims: k,
        eps,
        has_weight: weight.is_some(),
        stats,
    };
    let mut inputs = vec![x];
    inputs.extend(weight);
    inputs.extend(bias);
    record_values(y, &shape, op, &inputs)
}

struct NativeLayerNormBackward {
    /// How many trailing dimensions are normalised.
    dims: usize,
    eps: f64,
    has_weight: bool,
    /// Each row's `(μ, invstd)`, from the forward.
    stats: Vec<(f64, f64)>,
}

impl<T: Element> Op<T> for NativeLayerNormBackward {
    fn name(&self) -> &'static str {
        "NativeLayerNormBackward0"
    }
    fn rule(&self) -> &'static str {
        "x̂ = (x − μ)·invstd per row, y = x̂w + b: dx = invstd·(ĝ − mean(ĝ) − x̂·mean(ĝx̂)), \
         ĝ = g·w; dw = Σ g·x̂; db = Σ g"
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> InputGrads<T> {
        if is_grad_enabled() {
            return self.backward_recorded(ctx);
        }
        let x = &ctx.inputs[0];
        let shape = x.shape();
        let d: usize = shape[shape.len() - self.dims..].iter().product();
        let wi = usize::from(self.has_weight);
        let has_bias = ctx.inputs.len() == 2 + wi;
        let xv = x.read_values();
        // The gradient's rows: a broadcast one value (the gradient of a sum or a mean) as one
        // row read for every row (`g_stride` 0), else row-major values.
        let (one_row, g_values);
        let (gv, g_stride): (&[T], usize) = match crate::ops::repeated_value(ctx.grad) {
            Some(g) => {
                one_row = vec![g; d];
                (&one_row, 0)
            }
            None => {
                g_values = ctx.grad.read_values();
                (&g_values, d)
            }
        };
        let stats = |r: usize| {
            let (mean, invstd) = self.stats[r];
            (T::from_f64(mean), T::from_f64(invstd))
        };
        let dx = ctx.needs_grad(0).then(|| {
            let w = self.has_weight.then(|| ctx.inputs[1].to_vec());
            // SAFETY: ĝ is written to every element of the row first (`g` and `w` hold `d`).
            let dx = unsafe {
                written_chunks(xv.len(), d, xv.len(), |r, out| {
                    math::simd(
                        #[inline(always)]
                        || {
                            let (row, g) = (&xv[r * d..(r + 1) * d], &gv[r * g_stride..][..d]);
                            let (mean, invstd) = stats(r);
                            // ĝ = g·w (written into `out`, then overwritten by dx).
                            match &w {
                                Some(w) => {
                                    out.iter_mut().zip(g).zip(w).for_each(|((o, &g), &w)| {
                                        o.write(g * w);
                                    })
                                }
                                None => out.iter_mut().zip(g).for_each(|(o, &g)| {
                                    o.write(g);
                                }),
                            }
                            // SAFETY: every element was just written.
                            let out = &mut *(out as *mut [MaybeUninit<T>] as *mut [T]);
                            let xh = |v: T| (v - mean) * invstd;
                            let (s_g, s_gx) = match (as_f32(out), as_f32(row)) {
                                (Some(gw), Some(x)) => {
                                    let (m, s) = (mean.as_f64() as f32, invstd.as_f64() as f32);
                                    (row_sums::sum(gw), row_sums::sum_dev_prod(gw, x, m, s))
                                }
                                _ => (
                                    sum_f64(out, |v| v),
                                    sum_pairs_f64(out, row, |gw, v| (gw * xh(v)).as_f64()),
                                ),
                            };
                            let (m_g, m_gx) =
                                (T::from_f64(s_g / d as f64), T::from_f64(s_gx / d as f64));
                            for (o, &v) in out.iter_mut().zip(row) {
                                *o = invstd * (*o - m_g - xh(v) * m_gx);
                            }
                        },
                    )
                })
            };
            Tensor::from_values(dx, &shape, None, false)
        });
        let need_w = self.has_weight && ctx.needs_grad(1);
        let need_b = has_bias && ctx.needs_grad(1 + wi);
        let (dw, db) = if need_w || need_b {
            let (dw, db) = param_grads(&xv, gv, g_stride, d, stats);
            (need_w.then_some(dw), need_b.then_some(db))
        } else {
            (None, None)
        };
        let pshape = &shape[shape.len() - self.dims..];
        let mut grads: InputGrads<T> = smallvec![dx];
        if self.has_weight {
            grads.push(dw.map(|v| Tensor::from_values(v, pshape, None, false)));
        }
        if has_bias {
            grads.push(db.map(|v| Tensor::from_values(v, pshape, None, false)));
        }
        grads
    }
}

/// `(Σ_rows g·x̂, Σ_rows g)`: partial sums over fixed blocks of rows, added in block order.
/// Row `r` of `g` starts at `r·g_stride` (0: one row for all, a broadcast gradient).
fn param_grads<T: Element>(
    x: &[T],
    g: &[T],
    g_stride: usize,
    d: usize,
    stats: impl Fn(usize) -> (T, T) + Sync,
) -> (Vec<T>, Vec<T>) {
    if d == 0 {
        return (Vec::new(), Vec::new());
    }
    let block = |rows: std::ops::Range<usize>| {
        let (mut dw, mut db) = (vec![T::zero(); d], vec![T::zero(); d]);
        // Under `math::simd`: this CPU's widest vectors (the same bits).
        math::simd(
            #[inline(always)]
            || {
                for r in rows {
                    let row = &x[r * d..(r + 1) * d];
                    let gr = &g[r * g_stride..r * g_stride + d];
                    let (mean, invstd) = stats(r);
                    let sums = dw.iter_mut().zip(db.iter_mut());
                    for (((w, b), &v), &g) in sums.zip(row).zip(gr) {
                        *w += g * ((v - mean) * invstd);
                        *b += g;
                    }
                }
            },
        );
        (dw, db)
    };
    let rows = x.len() / d;
    let parts = map_indices(rows.div_ceil(ROWS_PER_BLOCK), x.len(), |i| {
        block(i * ROWS_PER_BLOCK..((i + 1) * ROWS_PER_BLOCK).min(rows))
    });
    let (mut dw, mut db) = (vec![T::zero(); d], vec![T::zero(); d]);
    for (pw, pb) in parts {
        dw.iter_mut().zip(pw).for_each(|(a, b)| *a += b);
        db.iter_mut().zip(pb).for_each(|(a, b)| *a += b);
    }
    (dw, db)
}

impl NativeLayerNormBackward {
    /// The backward written with recorded tensor ops (statistics recomputed from `x`), so that
    /// it can be differentiated again.
    fn backward_recorded<T: Element>(&self, ctx: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (x, g) = (&ctx.inputs[0], ctx.grad);
        let rank = x.ndim() as isize;
        let dims: Vec<isize> = (rank - self.dims as isize..rank).collect();
        let lead: Vec<isize> = (0..rank - self.dims as isize).collect();
        let (invstd, xhat) = standardize(x, &dims, self.eps);
        let gw = match self.has_weight {
            true => g.mul(&ctx.inputs[1]),
            false => g.clone(),
        };
        let dx = ctx.needs_grad(0).then(|| {
            let m_g = gw.mean_dims(&dims, true);
            let m_gx = gw.mul(&xhat).mean_dims(&dims, true);
            invstd.mul(&gw.sub(&m_g).sub(&xhat.mul(&m_gx)))
        });
        let sum_lead = |t: Tensor<T>| {
            if lead.is_empty() {
                t
            } else {
                t.sum_dims(&lead, false)
            }
        };
        let wi = usize::from(self.has_weight);
        let mut grads: InputGrads<T> = smallvec![dx];
        if self.has_weight {
            grads.push(ctx.needs_grad(1).then(|| sum_lead(g.mul(&xhat))));
        }
        if ctx.inputs.len() == 2 + wi {
            grads.push(ctx.needs_grad(1 + wi).then(|| sum_lead(g.clone())));
        }
        grads
    }
}
