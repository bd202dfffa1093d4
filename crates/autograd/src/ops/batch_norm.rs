//! `native_batch_norm`: training-mode batch normalisation as one op, with the batch statistics
//! it used (PyTorch's `torch.native_batch_norm`). Per channel `c` of `x` `[N, C, *]`, over
//! its `M = N·∏*` values:
//!
//! ```text
//! μ = Σx / M    σ² = Σ(x − μ)² / M    x̂ = (x − μ) / √(σ² + eps)    y = γ·x̂ + β
//! dβ = Σg       dγ = Σ g·x̂            dx = γ/√(σ² + eps) · (g − dβ/M − x̂·dγ/M)
//! ```
//!
//! `native_batch_norm_eval` is eval mode, with given (running) statistics `μ`, `σ²` as
//! constants: `y = x·α + β`, `α = γ/√(σ² + eps)`, `β = b − μ·α` (PyTorch's CPU kernel's
//! arithmetic), and `dx = g·α`, `dγ = Σ g·(x − μ)/√(σ² + eps)`, `dβ = Σg`.
//!
//! Statistics and parameter gradients run in parallel over channels, the elementwise passes
//! in parallel over `[*]` blocks (whole rows of a `[N, C]` input); each value is computed by
//! one task in a fixed order, so the result does not depend on the thread count. Under
//! `create_graph` the backward is the same formula written with recorded tensor ops.

use crate::element::{as_f32, Element};
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record_values, BackwardCtx, InputGrads, Op};
use crate::kernels::math::{self, sum_pairs_f64};
use crate::kernels::row_sums;
use crate::ops::par::{map_indices, written_chunks};
use crate::ops::standardize::standardize;
use crate::tensor::Tensor;
use smallvec::smallvec;

/// Per element of `a` and `b` (each `[N, C, S]`: `n` blocks of `s` per channel, `c`
/// channels), `f(params[channel], a, b)`, as a new tensor, in parallel for large tensors.
/// Blocks go several to a chunk (at least [`CHUNK_ELEMENTS`] elements), so that small ones do
/// not pay a dispatch each. A `[N, C]` input (`S` = 1) goes row by row, its values zipped with
/// `params`: one vector loop a row, where a block of one value would be one call of `f`.
fn channel_map<T: Element, P: Copy + Sync>(
    a: &[T],
    b: &[T],
    (c, s): (usize, usize),
    params: &[P],
    f: impl Fn(P, T, T) -> T + Sync + Send,
) -> Vec<T> {
    let (len, params) = (a.len(), &params[..c]);
    let (a, b, unit) = (&a[..len], &b[..len], if s == 1 { c } else { s });
    let blocks = CHUNK_ELEMENTS.div_ceil(unit.max(1));
    // SAFETY: a chunk is `blocks` whole blocks (the last fewer), and both loops write one
    // element per value of each block.
    unsafe {
        written_chunks(len, blocks * unit.max(1), len, |i, o| {
            math::simd(
                #[inline(always)]
                || {
                    let first = i * blocks;
                    if s == 1 {
                        // Rows of `[N, C]`: channel `j` of a row is `params[j]`.
                        for (j, row) in o.chunks_mut(c).enumerate() {
                            let at = (first + j) * c;
                            let (xs, ys) = (&a[at..at + c], &b[at..at + c]);
                            let each = row.iter_mut().zip(xs.iter().zip(ys)).zip(params);
                            for ((o, (&x, &y)), &p) in each {
                                o.write(f(p, x, y));
                            }
                        }
                        return;
                    }
                    let mut ch = first % c; // then counted, not divided, block by block
                    for (j, block) in o.chunks_mut(s).enumerate() {
                        let (at, p) = ((first + j) * s, params[ch]);
                        for (o, (&x, &y)) in block
                            .iter_mut()
                            .zip(a[at..at + s].iter().zip(&b[at..at + s]))
                        {
                            o.write(f(p, x, y));
                        }
                        ch = if ch + 1 == c { 0 } else { ch + 1 };
                    }
                },
            )
        })
    }
}

/// The fewest elements [`channel_map`] hands out at a time.
const CHUNK_ELEMENTS: usize = 1024;

/// Per channel of `a` and `b` (each `[N, C, S]`: `n` blocks of `s` per channel, `c` channels):
/// `Σ f(params[channel], a, b)` in f64, each block summed by `block` (`Σ f` over the block in
/// [`sum_pairs_f64`]'s lanes: one of the [`Term`]s), block after block. The channels go in
/// [`CHANNEL_GROUPS`] groups (in parallel for large tensors), each group reading its blocks in
/// memory order, sample after sample, so that the reads stream; every channel adds its blocks
/// in sample order, so the grouping does not change the bits.
fn channel_sums<T: Element, P: Copy + Sync>(
    a: &[T],
    b: &[T],
    (n, c, s): (usize, usize, usize),
    params: &[P],
    f: impl Fn(P, T, T) -> f64 + Sync + Send,
    block: impl Fn(P, &[T], &[T]) -> f64 + Sync + Send,
) -> Vec<f64> {
    let per = c.div_ceil(CHANNEL_GROUPS).max(1);
    let groups = map_indices(c.div_ceil(per), a.len(), |group| {
        let channels = group * per..((group + 1) * per).min(c);
        let params = &params[channels.clone()];
        math::simd(
            #[inline(always)]
            || {
                let mut acc = vec![0.0; channels.len()];
                for blk in 0..n {
                    if s == 1 {
                        // A `[N, C]` input: one value a block, added as it is (the sum of a
                        // one-value block is that value, bit for bit).
                        let at = blk * c + channels.start;
                        let (xs, ys) = (&a[at..at + acc.len()], &b[at..at + acc.len()]);
                        for ((acc, (&x, &y)), &p) in
                            acc.iter_mut().zip(xs.iter().zip(ys)).zip(params)
                        {
                            *acc += f(p, x, y);
                        }
                        continue;
                    }
                    for ((acc, ch), &p) in acc.iter_mut().zip(channels.clone()).zip(params) {
                        let at = (blk * c + ch) * s;
                        *acc += block(p, &a[at..at + s], &b[at..at + s]);
                    }
                }
                acc
            },
        )
    });
    groups.concat()
}

/// The block sums of [`channel_sums`]: `Σ f` over a block in [`sum_pairs_f64`]'s order, for
/// `f32` by `kernels::row_sums` (in AVX-512 where the CPU has it; the same bits).
struct Term;

impl Term {
    /// `Σ v`.
    fn value<T: Element>(a: &[T]) -> f64 {
        match as_f32(a) {
            Some(a) => row_sums::sum(a),
            None => sum_pairs_f64(a, a, |v, _| v.as_f64()),
        }
    }

    /// `Σ (v − mean)²`, the deviation in `f64`.
    fn sq_dev<T: Element>(a: &[T], mean: f64) -> f64 {
        match as_f32(a) {
            Some(a) => row_sums::sum_sq_dev(a, mean),
            None => sum_pairs_f64(a, a, |v, _| (v.as_f64() - mean) * (v.as_f64() - mean)),
        }
    }

    /// `Σ g·((x − mean)·invstd)`, the deviation in `T`, the product in `f64`.
    fn dot_dev<T: Element>(g: &[T], x: &[T], mean: T, invstd: T) -> f64 {
        match (as_f32(g), as_f32(x)) {
            (Some(g), Some(x)) => {
                row_sums::sum_dot_dev(g, x, mean.as_f64() as f32, invstd.as_f64() as f32)
            }
            _ => sum_pairs_f64(g, x, |g, x| g.as_f64() * ((x - mean) * invstd).as_f64()),
        }
    }
}

/// How many groups [`channel_sums`] cuts the channels into: enough for the threads to share.
const CHANNEL_GROUPS: usize = 8;

/// `(N, C, S)` of `x` `[N, C, *]` (`S` = ∏*), after checking that each given per-channel
/// tensor is `[C]`.
fn check_shapes<T: Element>(
    x: &Tensor<T>,
    per_channel: &[(&str, Option<&Tensor<T>>)],
) -> [usize; 3] {
    let shape = x.shape();
    assert!(
        shape.len() >= 2,
        "native_batch_norm: expected an input of shape [N, C, *] (at least 2 dimensions), got \
         {:?}",
        shape.as_slice()
    );
    let (n, c) = (shape[0], shape[1]);
    for (what, t) in per_channel {
        if let Some(t) = t {
            assert!(
                t.shape().as_slice() == [c],
                "native_batch_norm: expected {what} of shape [{c}] for an input with {c} \
                 channels, got {:?}",
                t.shape().as_slice()
            );
        }
    }
    [n, c, shape[2..].iter().product()]
}

/// For recorded backwards: the shape `[1, C, 1, …]` that per-channel values take to broadcast
/// against `x` of `shape`, and every dimension but the channels' (to sum over).
fn channel_axes(shape: &[usize]) -> (Vec<isize>, Vec<isize>) {
    let mut stat_shape = vec![1isize; shape.len()];
    stat_shape[1] = shape[1] as isize;
    let dims = (0..shape.len() as isize).filter(|&d| d != 1).collect();
    (stat_shape, dims)
}

/// The gradients in the order of the op's inputs (`x`, then the weight and the bias where
/// given), each made only where wanted.
fn input_grads<T: Element>(
    ctx: &BackwardCtx<'_, T>,
    has_weight: bool,
    dx: impl FnOnce() -> Tensor<T>,
    dweight: impl FnOnce() -> Tensor<T>,
    dbias: impl FnOnce() -> Tensor<T>,
) -> InputGrads<T> {
    let mut grads: InputGrads<T> = smallvec![ctx.needs_grad(0).then(dx)];
    let wi = usize::from(has_weight);
    if has_weight {
        grads.push(ctx.needs_grad(1).then(dweight));
    }
    if ctx.inputs.len() == 2 + wi {
        grads.push(ctx.needs_grad(1 + wi).then(dbias));
    }
    grads
}

/// Training-mode batch normalisation of `x` `[N, C, *]` over every dimension but the
/// channels (`torch.native_batch_norm(x, weight, bias, None, None, True, 0.0, eps)`): returns
/// `y = (x − μ)/√(σ² + eps)·weight + bias` and the batch's per-channel mean `μ` and biased
/// variance `σ²` (`[C]`, not differentiable; `F.batch_norm` uses them to update the running
/// estimates). Derivative (`NativeBatchNormBackward0`): see the module documentation.
///
/// ```
/// use tapegrad_autograd::{functional::native_batch_norm, Tensor};
/// // Two samples of two channels: channel 0 holds 1 and 3, channel 1 holds 10 and 14.
/// let x = Tensor::from_vec(vec![1.0f64, 10.0, 3.0, 14.0], &[2, 2]);
/// let (y, mean, var) = native_batch_norm(&x, None, None, 0.0);
/// assert_eq!(y.to_vec(), [-1.0, -1.0, 1.0, 1.0]);
/// assert_eq!((mean.to_vec(), var.to_vec()), (vec![2.0, 12.0], vec![1.0, 4.0]));
/// ```
pub fn native_batch_norm<T: Element>(
    x: &Tensor<T>,
    weight: Option<&Tensor<T>>,
    bias: Option<&Tensor<T>>,
    eps: f64,
) -> (Tensor<T>, Tensor<T>, Tensor<T>) {
    let shape = x.shape();
    let [n, c, s] = check_shapes(x, &[("weight", weight), ("bias", bias)]);
    let m = (n * s) as f64;
    let (y, mean, var) = {
        let xv = x.read_values();
        let none = vec![(); c];
        let value = |_, a: &[T], _: &[T]| Term::value(a);
        let mean: Vec<f64> = channel_sums(&xv, &xv, (n, c, s), &none, |_, v, _| v.as_f64(), value)
            .into_iter()
            .map(|v| v / m)
            .collect();
        let sq_dev = |mu, v: T, _| (v.as_f64() - mu) * (v.as_f64() - mu);
        let var: Vec<f64> = channel_sums(&xv, &xv, (n, c, s), &mean, sq_dev, |mu, a, _| {
            Term::sq_dev(a, mu)
        })
        .into_iter()
        .map(|v| v / m)
        .collect();
        let (w, b) = (weight.map(|t| t.to_vec()), bias.map(|t| t.to_vec()));
        // y = (x − μ)·(γ·invstd) + β per channel, in f64 (so that neither a large mean nor
        // its rounding to T cancels digits away).
        let params: Vec<(f64, f64, f64)> = (0..c)
            .map(|ch| {
                let gamma = w.as_ref().map_or(1.0, |w| w[ch].as_f64());
                let beta = b.as_ref().map_or(0.0, |b| b[ch].as_f64());
                (mean[ch], gamma / (var[ch] + eps).sqrt(), beta)
            })
            .collect();
        let y = channel_map(&xv, &xv, (c, s), &params, |(mu, k, b), v, _| {
            T::from_f64((v.as_f64() - mu) * k + b)
        });
        (y, mean, var)
    };
    let op = NativeBatchNormBackward {
        mean: mean.iter().map(|&v| T::from_f64(v)).collect(),
        invstd: var
            .iter()
            .map(|&v| T::from_f64(1.0 / (v + eps).sqrt()))
            .collect(),
        eps,
        has_weight: weight.is_some(),
    };
    let mut inputs = vec![x];
    inputs.extend(weight);
    inputs.extend(bias);
    let y = record_values(y, &shape, op, &inputs);
    let stat = |v: &[f64]| Tensor::from_vec(v.iter().map(|&v| T::from_f64(v)).collect(), &[c]);
    (y, stat(&mean), stat(&var))
}

struct NativeBatchNormBackward<T> {
    mean: Vec<T>,
    invstd: Vec<T>,
    eps: f64,
    has_weight: bool,
}

impl<T: Element> Op<T> for NativeBatchNormBackward<T> {
    fn name(&self) -> &'static str {
        "NativeBatchNormBackward0"
    }
    fn rule(&self) -> &'static str {
        "x̂ = (x − μ)·invstd, y = γx̂ + β: dβ = Σg, dγ = Σg·x̂, dx = γ·invstd·(g − dβ/M − x̂·dγ/M)"
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> InputGrads<T> {
        if is_grad_enabled() {
            return self.backward_recorded(ctx);
        }
        let x = &ctx.inputs[0];
        let shape = x.shape();
        let (n, c) = (shape[0], shape[1]);
        let s: usize = shape[2..].iter().product();
        let m = (n * s) as f64;
        let (xv, gv) = (x.read_values(), ctx.grad.read_values());
        let (mean, invstd) = (&self.mean, &self.invstd);
        let stats: Vec<(T, T)> = mean.iter().copied().zip(invstd.iter().copied()).collect();
        let none = vec![(); c];
        let value = |_, a: &[T], _: &[T]| Term::value(a);
        let sum_g = channel_sums(&gv, &gv, (n, c, s), &none, |_, g, _| g.as_f64(), value);
        let sum_gx = channel_sums(
            &gv,
            &xv,
            (n, c, s),
            &stats,
            |(mu, is), g, x| g.as_f64() * ((x - mu) * is).as_f64(),
            |(mu, is), g, x| Term::dot_dev(g, x, mu, is),
        );
        let gamma: Vec<T> = match self.has_weight {
            true => ctx.inputs[1].to_vec(),
            false => vec![T::one(); c],
        };
        let to_t = |v: &[f64]| v.iter().map(|&v| T::from_f64(v)).collect::<Vec<T>>();
        let dx = || {
            let (mean_g, mean_gx) = (to_t(&sum_g), to_t(&sum_gx));
            let inv_m = T::from_f64(1.0 / m);
            let params: Vec<[T; 5]> = (0..c)
                .map(|ch| {
                    let (mu, is) = stats[ch];
                    [
                        mu,
                        is,
                        gamma[ch] * is,
                        mean_g[ch] * inv_m,
                        mean_gx[ch] * inv_m,
                    ]
                })
                .collect();
            let dx = channel_map(&gv, &xv, (c, s), &params, |[mu, is, k, a, b], g, x| {
                let xh = (x - mu) * is;
                k * (g - a - xh * b)
            });
            Tensor::from_values(dx, &shape, None, false)
        };
        input_grads(
            ctx,
            self.has_weight,
            dx,
            || Tensor::from_vec(to_t(&sum_gx), &[c]),
            || Tensor::from_vec(to_t(&sum_g), &[c]),
        )
    }
}

impl<T: Element> NativeBatchNormBackward<T> {
    /// The backward written with recorded tensor ops (the statistics recomputed from `x`), so
    /// that it can be differentiated again.
    fn backward_recorded(&self, ctx: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (x, g) = (&ctx.inputs[0], ctx.grad);
        let shape = x.shape();
        let c = shape[1];
        let (stat_shape, dims) = channel_axes(&shape);
        let m = T::from_f64((x.numel() / c.max(1)) as f64);
        let (invstd, xhat) = standardize(x, &dims, self.eps);
        let sum_g = g.sum_dims(&dims, true);
        let sum_gx = g.mul(&xhat).sum_dims(&dims, true);
        let mut k = invstd.clone();
        if self.has_weight {
            k = k.mul(&ctx.inputs[1].reshape(&stat_shape));
        }
        let dx = || {
            k.mul(
                &g.sub(&sum_g.div_scalar(m))
                    .sub(&xhat.mul(&sum_gx.div_scalar(m))),
            )
        };
        input_grads(
            ctx,
            self.has_weight,
            dx,
            || sum_gx.reshape(&[c as isize]),
            || sum_g.reshape(&[c as isize]),
        )
    }
}

/// Eval-mode batch normalisation of `x` `[N, C, *]` with given statistics
/// (`torch.native_batch_norm(x, weight, bias, running_mean, running_var, False, 0.0, eps)[0]`,
/// what `F.batch_norm` does outside training): `y = x·α + β` per channel, with `α =
/// weight/√(var + eps)` and `β = bias − mean·α` computed in `T` as PyTorch's CPU kernel does
/// (`β` and `y` each one fused multiply–add), so that `y` is PyTorch's bit for bit.
/// Derivative (`NativeBatchNormBackward0` in eval mode): `dx = g·α`, `dweight = Σ g·(x −
/// mean)/√(var + eps)`, `dbias = Σ g`; the statistics are constants, and one that requires a
/// gradient (with grad mode on) is refused as PyTorch refuses it.
///
/// ```
/// use tapegrad_autograd::{functional::native_batch_norm_eval, Tensor};
/// // One channel, mean 1 and variance 4 (eps 0): α = 1/2, β = −1/2.
/// let x = Tensor::from_vec(vec![1.0f64, 3.0, 5.0], &[3, 1]);
/// let (mean, var) = (Tensor::from_vec(vec![1.0], &[1]), Tensor::from_vec(vec![4.0], &[1]));
/// let y = native_batch_norm_eval(&x, None, None, &mean, &var, 0.0);
/// assert_eq!(y.to_vec(), [0.0, 1.0, 2.0]);
/// ```
pub fn native_batch_norm_eval<T: Element>(
    x: &Tensor<T>,
    weight: Option<&Tensor<T>>,
    bias: Option<&Tensor<T>>,
    running_mean: &Tensor<T>,
    running_var: &Tensor<T>,
    eps: f64,
) -> Tensor<T> {
    let stats = [("running_mean", running_mean), ("running_var", running_var)];
    let [_, c, s] = check_shapes(
        x,
        &[
            ("weight", weight),
            ("bias", bias),
            (stats[0].0, Some(stats[0].1)),
            (stats[1].0, Some(stats[1].1)),
        ],
    );
    for (what, t) in stats {
        assert!(
            !(t.requires_grad() && is_grad_enabled()),
            "native_batch_norm: The function 'native_batch_norm' is not differentiable with \
             respect to argument '{what}'. This input cannot have requires_grad True \
             (call .detach() on it)."
        );
    }
    let (mean, var) = (running_mean.to_vec(), running_var.to_vec());
    let (w, b) = (weight.map(|t| t.to_vec()), bias.map(|t| t.to_vec()));
    let invstd: Vec<T> = var
        .iter()
        .map(|&v| T::one() / (v + T::from_f64(eps)).sqrt())
        .collect();
    let alpha: Vec<T> = (0..c)
        .map(|ch| w.as_ref().map_or(invstd[ch], |w| invstd[ch] * w[ch]))
        .collect();
    let terms: Vec<(T, T)> = (0..c)
        .map(|ch| {
            let beta = b.as_ref().map_or(T::zero(), |b| b[ch]);
            (alpha[ch], (-mean[ch]).mul_add(alpha[ch], beta))
        })
        .collect();
    let xv = x.read_values();
    let y = channel_map(&xv, &xv, (c, s), &terms, |(a, b), v, _| v.mul_add(a, b));
    drop(xv);
    let op = BatchNormEvalBackward {
        mean,
        invstd,
        alpha,
        has_weight: weight.is_some(),
    };
    let mut inputs = vec![x];
    inputs.extend(weight);
    inputs.extend(bias);
    record_values(y, &x.shape(), op, &inputs)
}

/// Eval mode's backward: the statistics were constants, so `x` only scales by `α`.
struct BatchNormEvalBackward<T> {
    mean: Vec<T>,
    invstd: Vec<T>,
    alpha: Vec<T>,
    has_weight: bool,
}

impl<T: Element> Op<T> for BatchNormEvalBackward<T> {
    fn name(&self) -> &'static str {
        "NativeBatchNormBackward0"
    }
    fn rule(&self) -> &'static str {
        "eval mode, y = x·α + β with α = γ·invstd, β = b − μ·α: dx = g·α, dγ = Σg·(x − μ)·invstd, \
         dβ = Σg"
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (x, g) = (&ctx.inputs[0], ctx.grad);
        let shape = x.shape();
        let [n, c, s] = check_shapes(x, &[]);
        if is_grad_enabled() {
            // Written with recorded ops, so that it can be differentiated again.
            let (stat_shape, dims) = channel_axes(&shape);
            let invstd = Tensor::from_vec(self.invstd.clone(), &[c]);
            let alpha = match self.has_weight {
                true => invstd.mul(&ctx.inputs[1]),
                false => invstd.clone(),
            };
            let mean = Tensor::from_vec(self.mean.clone(), &[c]).reshape(&stat_shape);
            return input_grads(
                ctx,
                self.has_weight,
                || g.mul(&alpha.reshape(&stat_shape)),
                || g.mul(&x.sub(&mean)).sum_dims(&dims, false).mul(&invstd),
                || g.sum_dims(&dims, false),
            );
        }
        let (xv, gv) = (x.read_values(), g.read_values());
        let to_t = |v: Vec<f64>| Tensor::from_vec(v.into_iter().map(T::from_f64).collect(), &[c]);
        input_grads(
            ctx,
            self.has_weight,
            || {
                let dx = channel_map(&gv, &gv, (c, s), &self.alpha, |a, g, _| g * a);
                Tensor::from_values(dx, &shape, None, false)
            },
            || {
                // The deviation times 1, exactly `x − μ`.
                let dotp = channel_sums(
                    &gv,
                    &xv,
                    (n, c, s),
                    &self.mean,
                    |mu, g, x| g.as_f64() * (x - mu).as_f64(),
                    |mu, g, x| Term::dot_dev(g, x, mu, T::one()),
                );
                let each = dotp.iter().zip(&self.invstd);
                to_t(each.map(|(d, is)| d * is.as_f64()).collect())
            },
            || {
                to_t(channel_sums(
                    &gv,
                    &gv,
                    (n, c, s),
                    &vec![(); c],
                    |_, g, _| g.as_f64(),
                    |_, g, _| Term::value(g),
                ))
            },
        )
    }
}
