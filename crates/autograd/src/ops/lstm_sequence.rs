//! `lstm_sequence`: one LSTM layer's whole recurrence as one op, as PyTorch's CPU LSTM runs it
//! through oneDNN (`MkldnnRnnLayerBackward0`). The input projection `x_t W_ihᵀ + b_ih` of every
//! step is computed before, as one product; this op runs the steps (backwards in time when
//! `reverse`):
//!
//! ```text
//! a_t = x_t + (h_{t-1} W_hhᵀ + b_hh)      (h_t, c_t) = cell(a_t, c_{t-1})   (ops/lstm_cell.rs)
//! ```
//!
//! Backward, from `G_t` (the gradient of every `h_t`) and `dc_T`: the cell's backward step by
//! step from the last step, carrying `dh_{t-1} = G_{t-1} + da_t W_hh`; then, once for the
//! whole sequence,
//!
//! ```text
//! dx = DA      dW_hh = DAᵀ H_prev  (one [4H, T·B]·[T·B, H] product)      db_hh = Σ_rows DA
//! ```
//!
//! where `DA` stacks every step's `da_t` and `H_prev` every step's `h_{t-1}`. Written step by
//! step with `linear` and `lstm_cell`, the same backward makes one thin product per step for
//! `dW_hh` (`k` = the batch) and a node, a view and a sum per step. Each step's hidden units
//! are cut in two fixed halves computed side by side on rayon's pool ([`unit_parts`]), so the
//! second thread has work at every step. `lstm/fwd_bwd` on 2 threads: 11.9–12.7 ms step by
//! step, 6.5–6.6 ms as this op (docs/performance.md). The forward gives the same bits as the
//! step-by-step form. Under `create_graph` the backward is the step-by-step form in recorded
//! ops.

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record_values, BackwardCtx, InputGrads, Op};
use crate::kernels::{math, matmul_into, matmul_packed_into, PackedRhs};
use crate::ops::lstm_cell::{backward_formula, backward_row, forward_row, lstm_cell};
use crate::tensor::Tensor;
use crate::threads::use_pool;
use ndarray::{s, ArrayView2, ArrayViewMut2};
use rayon::prelude::*;
use smallvec::smallvec;
use std::ops::Range;

/// The steps in the order they run.
fn steps(len: usize, reverse: bool) -> Vec<usize> {
    if reverse {
        (0..len).rev().collect()
    } else {
        (0..len).collect()
    }
}

/// One LSTM layer over a sequence (one direction of `torch.nn.LSTM`): `x_proj` `[T, B, 4H]`
/// (the input projections with `b_ih`), `h0` and `c0` `[B, H]`, `w_hh` `[4H, H]`, `b_hh`
/// `[4H]`; the steps run from `t = T-1` down to 0 when `reverse` (the backward direction of a
/// bidirectional layer). Returns the outputs `[T, B, H]` (`h_t` at row `t`), the last `h` and
/// the last `c`. Derivative: see the module documentation.
///
/// ```
/// use tapegrad_autograd::{functional::lstm_sequence, Tensor};
/// // All gates at 0: i = f = o = ½ and g = 0, so each step halves c, and h = ½·tanh(c).
/// let x = Tensor::<f64>::zeros(&[2, 1, 4]);
/// let (h0, c0) = (Tensor::zeros(&[1, 1]), Tensor::from_vec(vec![4.0], &[1, 1]));
/// let (out, h, c) = lstm_sequence(&x, &h0, &c0, &Tensor::zeros(&[4, 1]), None, false);
/// assert_eq!(c.to_vec(), [1.0]);
/// assert_eq!(out.to_vec(), [0.5 * 2f64.tanh(), 0.5 * 1f64.tanh()]);
/// assert_eq!(h.to_vec(), [0.5 * 1f64.tanh()]);
/// ```
pub fn lstm_sequence<T: Element>(
    x_proj: &Tensor<T>,
    h0: &Tensor<T>,
    c0: &Tensor<T>,
    w_hh: &Tensor<T>,
    b_hh: Option<&Tensor<T>>,
    reverse: bool,
) -> (Tensor<T>, Tensor<T>, Tensor<T>) {
    let (xs, hs, cs, ws) = (x_proj.shape(), h0.shape(), c0.shape(), w_hh.shape());
    let fits = xs.len() == 3
        && xs[0] > 0
        && hs.len() == 2
        && hs[0] == xs[1]
        && xs[2] == 4 * hs[1]
        && cs == hs
        && ws.as_slice() == [xs[2], hs[1]]
        && b_hh.is_none_or(|b| b.shape().as_slice() == [xs[2]]);
    assert!(
        fits,
        "lstm_sequence: expected x_proj [T > 0, B, 4H], h0 and c0 [B, H], w_hh [4H, H] and b_hh \
         [4H], got x_proj {:?}, h0 {:?}, c0 {:?}, w_hh {:?}, b_hh {:?}",
        xs.as_slice(),
        hs.as_slice(),
        cs.as_slice(),
        ws.as_slice(),
        b_hh.map(|b| b.shape().to_vec())
    );
    let (len, b, h) = (xs[0], xs[1], hs[1]);
    let bh = b * h;
    let parts = unit_parts(b, h);
    // Rows 0..T: h_t; row T: the last c.
    let mut out = vec![T::zero(); (len + 1) * bh];
    let mut saved = Saved {
        acts: vec![T::zero(); len * 5 * bh],
        h_prev: vec![T::zero(); len * bh],
        c_prev: vec![T::zero(); len * bh],
        reverse,
    };
    {
        let (x, w) = (x_proj.read_values(), w_hh.read_values());
        let bias = b_hh.map(|t| t.read_values());
        let w_parts = gate_rows_by_part(&w, h, &parts);
        // Each part's `W_hhᵀ` columns, packed once for the whole sequence.
        let w_parts: Vec<PackedRhs<T>> = parts
            .iter()
            .map(|u| {
                let rows = &w_parts[4 * u.start * h..4 * u.end * h];
                let wv = ArrayView2::from_shape((4 * u.len(), h), rows).expect("row-major rows");
                PackedRhs::new(wv.reversed_axes(), b)
            })
            .collect();
        let mut h_cur = h0.read_values().to_vec();
        let mut c_cur = c0.read_values().to_vec();
        let (x, bias): (&[T], Option<&[T]>) = (&x, bias.as_deref());
        in_pool(|| {
            for t in steps(len, reverse) {
                let rows = t * bh..(t + 1) * bh;
                saved.h_prev[rows.clone()].copy_from_slice(&h_cur);
                saved.c_prev[rows.clone()].copy_from_slice(&c_cur);
                let step = Step {
                    x: &x[t * 4 * bh..(t + 1) * 4 * bh],
                    bias,
                    c: &saved.c_prev[rows.clone()],
                    b,
                    h,
                };
                let acts =
                    split_by_part(&mut saved.acts[t * 5 * bh..(t + 1) * 5 * bh], 5 * b, &parts);
                let blocks = acts.into_iter().zip(&w_parts).collect();
                let new = run_parts(&parts, blocks, |units, (acts, w)| {
                    step.forward(&h_cur, w, units, acts)
                });
                for (units, (h_new, c_new)) in parts.iter().zip(new) {
                    scatter_columns(&mut out[rows.clone()], h, units.start, &h_new);
                    scatter_columns(&mut c_cur, h, units.start, &c_new);
                }
                h_cur.copy_from_slice(&out[rows]);
            }
        });
        out[len * bh..].copy_from_slice(&c_cur);
    }
    let mut inputs = vec![x_proj, h0, c0, w_hh];
    inputs.extend(b_hh);
    let all = record_values(out, &[len + 1, b, h], saved, &inputs);
    let last = if reverse { 0 } else { len - 1 };
    (
        all.narrow(0, 0, len),
        all.select(0, last as isize),
        all.select(0, len as isize),
    )
}

/// The hidden units cut into fixed parts that the steps compute side by side: two halves when
/// a step's product is large enough to be worth a second thread, else one part. The cut
/// depends on the shape only, so the bits are the same on any number of threads.
fn unit_parts(b: usize, h: usize) -> Vec<Range<usize>> {
    if h >= 64 && b * h * h >= PARALLEL_STEP_WORK {
        vec![0..h / 2, h / 2..h]
    } else {
        std::iter::once(0..h).collect()
    }
}

/// Multiply-adds of a step's `h W_hhᵀ` (`B·H·4H`) from which its units are cut in two.
const PARALLEL_STEP_WORK: usize = 1 << 17;

/// `W_hh`'s rows regrouped by part: for each part, its units' rows of the `i`, `f`, `g` and `o`
/// gates, so that a part's gates come out of one product in [`forward_row`]'s layout.
fn gate_rows_by_part<T: Element>(w: &[T], h: usize, parts: &[Range<usize>]) -> Vec<T> {
    let mut out = Vec::with_capacity(w.len());
    for units in parts {
        for q in 0..4 {
            out.extend_from_slice(&w[(q * h + units.start) * h..(q * h + units.end) * h]);
        }
    }
    out
}

/// `buf` cut into each part's block, `per_unit` elements for each of its units.
fn split_by_part<'a, S: SplitAt<'a>>(
    mut buf: S,
    per_unit: usize,
    parts: &[Range<usize>],
) -> Vec<S> {
    let mut blocks = Vec::with_capacity(parts.len());
    for units in parts {
        let (block, rest) = buf.cut(per_unit * units.len());
        blocks.push(block);
        buf = rest;
    }
    blocks
}

/// A shared or mutable slice that [`split_by_part`] can cut.
trait SplitAt<'a>: Sized {
    fn cut(self, at: usize) -> (Self, Self);
}
impl<'a, T> SplitAt<'a> for &'a [T] {
    fn cut(self, at: usize) -> (Self, Self) {
        self.split_at(at)
    }
}
impl<'a, T> SplitAt<'a> for &'a mut [T] {
    fn cut(self, at: usize) -> (Self, Self) {
        self.split_at_mut(at)
    }
}

/// `f(units, block)` for every part, on two threads when there are two parts (and two threads).
fn run_parts<B: Send, R: Send>(
    parts: &[Range<usize>],
    blocks: Vec<B>,
    f: impl Fn(Range<usize>, B) -> R + Sync,
) -> Vec<R> {
    if parts.len() == 1 || !use_pool() {
        let parts = parts.iter().cloned();
        return parts
            .zip(blocks)
            .map(|(units, blk)| f(units, blk))
            .collect();
    }
    parts
        .par_iter()
        .cloned()
        .zip(blocks)
        .map(|(units, blk)| f(units, blk))
        .collect()
}

/// `f()` on a thread of rayon's pool: the steps' two parts then meet as two of its threads
/// (a join between them takes about a microsecond), not as the caller's thread handing each
/// step to the pool and sleeping until it is done (two context switches per step). With one
/// thread ([`use_pool`] false) `f` runs on the caller, and so do both parts.
fn in_pool(f: impl FnOnce() + Send) {
    if use_pool() {
        rayon::scope(|_| f());
    } else {
        f();
    }
}

/// `dst` (rows of `h`) takes `part` (rows of `part.len() / rows`) at column `start`.
fn scatter_columns<T: Copy>(dst: &mut [T], h: usize, start: usize, part: &[T]) {
    let rows = dst.len() / h.max(1);
    let u = part.len() / rows.max(1);
    for (row, src) in dst.chunks_exact_mut(h).zip(part.chunks_exact(u.max(1))) {
        row[start..start + u].copy_from_slice(src);
    }
}

/// `da_all` cut at step `t`: the finished `da` of the step computed just before (`later`),
/// and `t`'s own rows to fill.
fn split_step<T>(
    da_all: &mut [T],
    bg: usize,
    t: usize,
    later: Option<usize>,
) -> (Option<&[T]>, &mut [T]) {
    let (lo, hi) = da_all.split_at_mut(t * bg);
    let (own, hi) = hi.split_at_mut(bg);
    let done = later.map(|l| {
        if l < t {
            &lo[l * bg..(l + 1) * bg]
        } else {
            &hi[(l - t - 1) * bg..(l - t) * bg]
        }
    });
    (done, own)
}

/// One step's operands shared by its parts: `x` (`[B, 4H]` input projections forward; the
/// outputs' gradient `[B, H]` backward), `b_hh`, the old `c`.
struct Step<'a, T> {
    x: &'a [T],
    bias: Option<&'a [T]>,
    c: &'a [T],
    b: usize,
    h: usize,
}

impl<T: Element> Step<'_, T> {
    /// One part's forward: its gates from `h W_hhᵀ` (`w`, its columns of `W_hhᵀ`), `x` and
    /// `b_hh`, then the cell; returns its columns of the new `h` and `c` (`[B, u]` each).
    fn forward(
        &self,
        h_cur: &[T],
        w: &PackedRhs<T>,
        units: Range<usize>,
        acts: &mut [T],
    ) -> (Vec<T>, Vec<T>) {
        let (b, h, u) = (self.b, self.h, units.len());
        let mut gates = vec![T::zero(); b * 4 * u];
        let hv = ArrayView2::from_shape((b, h), h_cur).expect("row-major h");
        let gv = ArrayViewMut2::from_shape((b, 4 * u), &mut gates).expect("row-major a");
        matmul_packed_into(hv, w, gv);
        // x_t + (h W_hhᵀ + b_hh): `linear` then `add`, in their order.
        for (row, xr) in gates
            .chunks_exact_mut(4 * u)
            .zip(self.x.chunks_exact(4 * h))
        {
            for q in 0..4 {
                let cols = q * h + units.start..q * h + units.end;
                let (gq, xq) = (&mut row[q * u..(q + 1) * u], &xr[cols.clone()]);
                match self.bias {
                    Some(bv) => {
                        for ((g, &xv), &bias) in gq.iter_mut().zip(xq).zip(&bv[cols]) {
                            *g = xv + (*g + bias);
                        }
                    }
                    None => {
                        for (g, &xv) in gq.iter_mut().zip(xq) {
                            *g = xv + *g;
                        }
                    }
                }
            }
        }
        let (mut h_new, mut c_new) = (vec![T::zero(); b * u], vec![T::zero(); b * u]);
        math::simd(
            #[inline(always)]
            || {
                for r in 0..b {
                    forward_row(
                        &gates[r * 4 * u..(r + 1) * 4 * u],
                        &self.c[r * h + units.start..r * h + units.end],
                        &mut acts[r * 5 * u..(r + 1) * 5 * u],
                        &mut c_new[r * u..(r + 1) * u],
                        &mut h_new[r * u..(r + 1) * u],
                    );
                }
            },
        );
        (h_new, c_new)
    }

    /// One part's backward: its columns of `dh = G_t + da_{t+1} W_hh` (`da_later`, the step
    /// after in time, if any), then the cell's backward; returns its gates' gradients
    /// (`[B, 4u]`, [`forward_row`]'s layout) and its columns of the old `c`'s (`[B, u]`).
    fn backward(
        &self,
        da_later: Option<&[T]>,
        w: &PackedRhs<T>,
        dc: &[T],
        units: Range<usize>,
        acts: &[T],
    ) -> (Vec<T>, Vec<T>) {
        let (b, h, u) = (self.b, self.h, units.len());
        let mut dh = vec![T::zero(); b * u];
        if let Some(da) = da_later {
            let dav = ArrayView2::from_shape((b, 4 * h), da).expect("row-major da");
            let out = ArrayViewMut2::from_shape((b, u), &mut dh).expect("row-major dh");
            matmul_packed_into(dav, w, out);
        }
        for (d, gr) in dh.chunks_exact_mut(u).zip(self.x.chunks_exact(h)) {
            for (d, &gv) in d.iter_mut().zip(&gr[units.clone()]) {
                *d = gv + *d;
            }
        }
        let (mut da, mut dc_old) = (vec![T::zero(); b * 4 * u], vec![T::zero(); b * u]);
        math::simd(
            #[inline(always)]
            || {
                for r in 0..b {
                    let cols = r * h + units.start..r * h + units.end;
                    backward_row(
                        &acts[r * 5 * u..(r + 1) * 5 * u],
                        &self.c[cols.clone()],
                        &dh[r * u..(r + 1) * u],
                        &dc[cols],
                        &mut da[r * 4 * u..(r + 1) * 4 * u],
                        &mut dc_old[r * u..(r + 1) * u],
                    );
                }
            },
        );
        (da, dc_old)
    }
}

/// What the forward keeps for the backward, each indexed by time step.
struct Saved<T> {
    /// Per step and row `[i, f, g, o, tanh c_t]` (`5H`).
    acts: Vec<T>,
    /// `h_{t-1}` of each step `[T, B, H]`: the right operand of `dW_hh`.
    h_prev: Vec<T>,
    /// `c_{t-1}` of each step `[T, B, H]`.
    c_prev: Vec<T>,
    reverse: bool,
}

impl<T: Element> Op<T> for Saved<T> {
    fn name(&self) -> &'static str {
        "MkldnnRnnLayerBackward0"
    }
    fn rule(&self) -> &'static str {
        "a_t = x_t + h_{t-1}W_hhᵀ + b_hh, (h_t, c_t) = cell(a_t, c_{t-1}): see ops/lstm_sequence.rs"
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> InputGrads<T> {
        if is_grad_enabled() {
            return backward_recorded(ctx, self.reverse);
        }
        let (x, w) = (&ctx.inputs[0], &ctx.inputs[3]);
        let (len, b, h) = (x.shape()[0], x.shape()[1], w.shape()[1]);
        let (bh, bg) = (b * h, b * 4 * h);
        let parts = unit_parts(b, h);
        let g = ctx.grad.read_values();
        let wv = w.read_values();
        let mut da_all = vec![T::zero(); len * bg];
        let mut dc = g[len * bh..].to_vec();
        let order = steps(len, self.reverse);
        let mut later: Option<usize> = None;
        let (g, wv): (&[T], &[T]) = (&g, &wv);
        // Each part's columns of `W_hh`, packed once for the whole sequence.
        let w_parts: Vec<PackedRhs<T>> = parts
            .iter()
            .map(|u| {
                let w = ArrayView2::from_shape((4 * h, h), wv).expect("row-major w_hh");
                PackedRhs::new(w.slice_move(s![.., u.clone()]), b)
            })
            .collect();
        in_pool(|| {
            for &t in order.iter().rev() {
                let rows = t * bh..(t + 1) * bh;
                let (done, da_t) = split_step(&mut da_all, bg, t, later);
                let step = Step {
                    x: &g[rows.clone()],
                    bias: None,
                    c: &self.c_prev[rows],
                    b,
                    h,
                };
                let acts = split_by_part(&self.acts[t * 5 * bh..(t + 1) * 5 * bh], 5 * b, &parts);
                let blocks = acts.into_iter().zip(&w_parts).collect();
                let grads = run_parts(&parts, blocks, |units, (acts, w)| {
                    step.backward(done, w, &dc, units, acts)
                });
                for (units, (da, dc_part)) in parts.iter().zip(grads) {
                    for q in 0..4 {
                        let u = units.len();
                        for (row, part) in da_t.chunks_exact_mut(4 * h).zip(da.chunks_exact(4 * u))
                        {
                            row[q * h + units.start..q * h + units.end]
                                .copy_from_slice(&part[q * u..(q + 1) * u]);
                        }
                    }
                    scatter_columns(&mut dc, h, units.start, &dc_part);
                }
                later = Some(t);
            }
        });
        let first = later.expect("at least one step");
        let dh0 = ctx.needs_grad(1).then(|| {
            let mut dh0 = vec![T::zero(); bh];
            let da = ArrayView2::from_shape((b, 4 * h), &da_all[first * bg..(first + 1) * bg])
                .expect("row-major da");
            let wv = ArrayView2::from_shape((4 * h, h), wv).expect("row-major w_hh");
            let out = ArrayViewMut2::from_shape((b, h), &mut dh0).expect("row-major dh");
            matmul_into(da, wv, out);
            dh0
        });
        let dw = ctx.needs_grad(3).then(|| {
            let mut dw = vec![T::zero(); 4 * h * h];
            let dav = ArrayView2::from_shape((len * b, 4 * h), &da_all).expect("row-major DA");
            let hp = ArrayView2::from_shape((len * b, h), &self.h_prev).expect("row-major H");
            let out = ArrayViewMut2::from_shape((4 * h, h), &mut dw).expect("row-major dW");
            matmul_into(dav.t(), hp, out);
            Tensor::from_values(dw, &[4 * h, h], None, false)
        });
        let db = (ctx.inputs.len() == 5 && ctx.needs_grad(4)).then(|| {
            let mut db = vec![T::zero(); 4 * h];
            for row in da_all.chunks_exact(4 * h) {
                for (s, &v) in db.iter_mut().zip(row) {
                    *s += v;
                }
            }
            Tensor::from_values(db, &[4 * h], None, false)
        });
        let tensor = |v: Vec<T>, shape: &[usize]| Tensor::from_values(v, shape, None, false);
        smallvec![
            ctx.needs_grad(0).then(|| tensor(da_all, &[len, b, 4 * h])),
            dh0.map(|v| tensor(v, &[b, h])),
            ctx.needs_grad(2).then(|| tensor(dc, &[b, h])),
            dw,
            db,
        ]
    }
}

/// The backward with recorded tensor ops, so that it can be differentiated again: the forward
/// replayed step by step with `linear` and `lstm_cell`, then the cell's backward formula
/// step by step from the last one.
fn backward_recorded<T: Element>(ctx: &BackwardCtx<'_, T>, reverse: bool) -> InputGrads<T> {
    let (x, w, g) = (&ctx.inputs[0], &ctx.inputs[3], ctx.grad);
    let bias = ctx.inputs.get(4);
    let len = x.shape()[0];
    let order = steps(len, reverse);
    let (mut h, mut c) = (ctx.inputs[1].clone(), ctx.inputs[2].clone());
    let mut saved = vec![None; len];
    for &t in &order {
        let a = x.select(0, t as isize).add(&h.linear(w, bias));
        let (h_new, c_new) = lstm_cell(&a, &c);
        saved[t] = Some((a, c, h));
        (h, c) = (h_new, c_new);
    }
    let mut dc = g.select(0, len as isize);
    let mut dh_next: Option<Tensor<T>> = None;
    let (mut dw, mut db): (Option<Tensor<T>>, Option<Tensor<T>>) = (None, None);
    let mut das = vec![None; len];
    for &t in order.iter().rev() {
        let (a, c_prev, h_prev) = saved[t].take().expect("every step ran");
        let gt = g.select(0, t as isize);
        let dh = dh_next.map_or(gt.clone(), |d| gt.add(&d));
        let (da, dc_prev) = backward_formula(&a, &c_prev, &dh, &dc);
        dh_next = Some(da.matmul(w));
        let (dw_t, db_t) = (da.t().matmul(&h_prev), da.sum_dim(0, false));
        dw = Some(dw.map_or(dw_t.clone(), |s| s.add(&dw_t)));
        db = Some(db.map_or(db_t.clone(), |s| s.add(&db_t)));
        das[t] = Some(da);
        dc = dc_prev;
    }
    let das: Vec<Tensor<T>> = das
        .into_iter()
        .map(|d| d.expect("every step ran"))
        .collect();
    let refs: Vec<&Tensor<T>> = das.iter().collect();
    smallvec![
        ctx.needs_grad(0).then(|| Tensor::stack(&refs, 0)),
        ctx.needs_grad(1)
            .then(|| dh_next.expect("at least one step")),
        ctx.needs_grad(2).then_some(dc),
        ctx.needs_grad(3).then(|| dw.expect("at least one step")),
        (bias.is_some() && ctx.needs_grad(4)).then(|| db.expect("at least one step")),
    ]
}
