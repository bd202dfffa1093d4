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
//! `dW_hh` (`k` = the batch) and a node, a view and a sum per step.
//!
//! Each row of the batch is a sequence of its own, so the rows are cut into parts
//! ([`row_parts`]), one per thread, that run the whole sequence side by side, forward and
//! backward, and meet only at its end. `W_hh` is packed for the GEMM once per call
//! (`kernels::PackedRhs`), not at every step. No row's arithmetic depends on the cut, so the
//! bits are the same on any number of threads, and the forward gives the bits of the
//! step-by-step form. `lstm/fwd_bwd` (docs/performance.md), alternate runs on one machine:
//! cutting the batch instead of the hidden units (two halves that met at every step) took
//! 2 threads from 7.0–9.4 ms to 6.6–7.2 ms. Under `create_graph` the backward is the
//! step-by-step form in recorded ops.

use crate::buffer_cache::{recycle, uninit};
use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record_values, BackwardCtx, InputGrads, Op};
use crate::kernels::{math, matmul_into, matmul_packed_into, PackedRhs};
use crate::ops::lstm_cell::{backward_formula, backward_row, forward_row, lstm_cell};
use crate::tensor::Tensor;
use crate::threads::{get_num_threads, keep_warm};
use ndarray::{ArrayView2, ArrayViewMut2};
use rayon::prelude::*;
use smallvec::smallvec;
use std::mem::MaybeUninit;
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
    let parts = row_parts(len, b, h);
    // Rows 0..T: h_t; row T: the last c. Each part writes its own rows (`spare`).
    let mut out = uninit((len + 1) * b * h);
    let (mut acts, mut h_prev, mut c_prev) = (
        uninit(len * b * 5 * h),
        uninit(len * b * h),
        uninit(len * b * h),
    );
    {
        let (x, w) = (x_proj.read_values(), w_hh.read_values());
        let bias = b_hh.map(|t| t.read_values());
        let (h0, c0) = (h0.read_values(), c0.read_values());
        let wv = ArrayView2::from_shape((4 * h, h), &w[..]).expect("row-major w_hh");
        // `W_hhᵀ`, packed once for every step of every part.
        let w_t = PackedRhs::new(wv.reversed_axes(), b);
        let seq = Sequence {
            x: &x,
            bias: bias.as_deref(),
            w: &w_t,
            len,
            b,
            h,
            reverse,
        };
        let blocks = by_part(
            &parts,
            [
                rows_of_steps(spare(&mut out), [len + 1, b, h], &parts),
                rows_of_steps(spare(&mut acts), [len, b, 5 * h], &parts),
                rows_of_steps(spare(&mut h_prev), [len, b, h], &parts),
                rows_of_steps(spare(&mut c_prev), [len, b, h], &parts),
            ],
        );
        run_parts(&parts, blocks, |rows, [out, acts, h_prev, c_prev]| {
            let start = (
                &h0[rows.start * h..rows.end * h],
                &c0[rows.start * h..rows.end * h],
            );
            seq.forward(rows, start, out, acts, h_prev, c_prev);
        });
    }
    // SAFETY: the parts' blocks cover every element of the four buffers (the parts cover all B
    // rows of every step), and each part's forward wrote every element of its blocks.
    unsafe {
        out.set_len((len + 1) * b * h);
        acts.set_len(len * b * 5 * h);
        h_prev.set_len(len * b * h);
        c_prev.set_len(len * b * h);
    }
    let saved = Saved {
        acts,
        h_prev,
        c_prev,
        reverse,
    };
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

/// The batch rows cut into parts that run the whole sequence side by side, one per thread of
/// rayon's pool: each row is a sequence of its own, so the parts never wait for each other.
/// A part has at least one register tile of rows ([`PART_ROWS`]), and a sequence smaller
/// than [`PARALLEL_WORK`] runs as one part. Every row's arithmetic is the same whatever part
/// it falls in, so the bits do not depend on the cut (nor on the thread count).
fn row_parts(len: usize, b: usize, h: usize) -> Vec<Range<usize>> {
    let threads = get_num_threads();
    let work = len * b * 4 * h * h;
    let n = if work < PARALLEL_WORK {
        1
    } else {
        threads.min(b / PART_ROWS).max(1)
    };
    // Cuts on whole tiles, the last part taking what is left.
    let cut = |p: usize| {
        if p == n {
            b
        } else {
            (b * p / n) / PART_ROWS * PART_ROWS
        }
    };
    (0..n).map(|p| cut(p)..cut(p + 1)).collect()
}

/// Fewest batch rows in a part: a register tile of the GEMM.
const PART_ROWS: usize = 8;

/// Multiply-adds of the recurrence (`T·B·4H·H`) below which it runs as one part.
const PARALLEL_WORK: usize = 1 << 20;

/// For each part, its rows of every step of `buf` (`[steps, B, width]`, shared or mutable):
/// `out[p][t]` is part `p`'s `[rows, width]` block of step `t`.
fn rows_of_steps<S: Cut>(
    buf: S,
    [steps, b, width]: [usize; 3],
    parts: &[Range<usize>],
) -> Vec<Vec<S>> {
    let mut out: Vec<Vec<S>> = parts.iter().map(|_| Vec::new()).collect();
    let mut rest = buf;
    for _ in 0..steps {
        let (mut step, tail) = rest.cut(b * width);
        rest = tail;
        for (mine, rows) in out.iter_mut().zip(parts) {
            let (block, after) = step.cut(rows.len() * width);
            mine.push(block);
            step = after;
        }
    }
    out
}

/// The spare capacity of an empty `v` (from `buffer_cache::uninit(len)`: at least `len`
/// elements), for [`rows_of_steps`] to cut its blocks from the front; each part's forward
/// writes every element of its own (no zeroing pass first: a `memset` of every buffer was
/// 5 % of the LSTM bench's two-thread profile, then 4.7 % of `names_rnn`'s one-thread
/// profile when each part zeroed its own blocks).
fn spare<T>(v: &mut Vec<T>) -> &mut [MaybeUninit<T>] {
    v.spare_capacity_mut()
}

/// A part's blocks of the backward's `da`, zeroed by the thread that runs the part (its steps
/// read the step after's block once written, so the forward's write-only `MaybeUninit`
/// blocks do not carry over).
fn zeroed_blocks<T: Element>(blocks: Vec<&mut [MaybeUninit<T>]>) -> Vec<&mut [T]> {
    let zero = MaybeUninit::new(T::zero());
    blocks
        .into_iter()
        .map(|block| {
            block.fill(zero);
            // SAFETY: every element was just written; `MaybeUninit<T>` has `T`'s layout.
            unsafe { &mut *(block as *mut [MaybeUninit<T>] as *mut [T]) }
        })
        .collect()
}

/// `dst` written with `src` (the same length).
fn write_all<T: Copy>(dst: &mut [MaybeUninit<T>], src: &[T]) {
    for (d, &v) in dst.iter_mut().zip(src) {
        d.write(v);
    }
}

/// A shared or mutable slice that [`rows_of_steps`] can cut.
trait Cut: Sized {
    fn cut(self, at: usize) -> (Self, Self);
}
impl<T> Cut for &[T] {
    fn cut(self, at: usize) -> (Self, Self) {
        self.split_at(at)
    }
}
impl<T> Cut for &mut [T] {
    fn cut(self, at: usize) -> (Self, Self) {
        self.split_at_mut(at)
    }
}

/// `[a, b, …]` (each one buffer's blocks by part) regrouped as each part's `[a, b, …]`.
fn by_part<B, const N: usize>(parts: &[Range<usize>], bufs: [Vec<B>; N]) -> Vec<[B; N]> {
    let mut iters = bufs.map(Vec::into_iter);
    (0..parts.len())
        .map(|_| std::array::from_fn(|i| iters[i].next().expect("one block per part")))
        .collect()
}

/// `f(rows, block)` for every part, side by side on rayon's pool when there are several.
fn run_parts<B: Send>(parts: &[Range<usize>], blocks: Vec<B>, f: impl Fn(Range<usize>, B) + Sync) {
    if parts.len() == 1 {
        let each = parts.iter().cloned().zip(blocks);
        each.for_each(|(rows, blk)| f(rows, blk));
    } else {
        keep_warm();
        let each = parts.par_iter().cloned().zip(blocks);
        each.for_each(|(rows, blk)| f(rows, blk));
    }
}

/// Step `later` of `blocks` to read and step `t` to write (`later != t`).
fn read_write<'a, T>(blocks: &'a mut [&mut [T]], later: usize, t: usize) -> (&'a [T], &'a mut [T]) {
    if later < t {
        let (lo, hi) = blocks.split_at_mut(t);
        (lo[later], hi[0])
    } else {
        let (lo, hi) = blocks.split_at_mut(later);
        (hi[0], lo[t])
    }
}

/// What every part reads: `x` (`[T, B, 4H]` input projections forward; the outputs' gradient
/// `[T + 1, B, H]` backward), `b_hh`, `W_hh` packed (`W_hhᵀ` forward, `W_hh` backward).
struct Sequence<'a, 'w, T: 'static> {
    x: &'a [T],
    bias: Option<&'a [T]>,
    w: &'a PackedRhs<'w, T>,
    len: usize,
    b: usize,
    h: usize,
    reverse: bool,
}

impl<T: Element> Sequence<'_, '_, T> {
    /// One part's forward over the whole sequence, from its rows of `h0` and `c0` (`start`):
    /// at each step its gates `x_t + (h W_hhᵀ + b_hh)` (`linear` then `add`, in their
    /// order), then the cell. Writes its rows of every `h_t` and the last `c` (`out`), of the
    /// cell's activations (`acts`) and of each step's old `h` and `c`.
    fn forward(
        &self,
        rows: Range<usize>,
        (h0, c0): (&[T], &[T]),
        mut out: Vec<&mut [MaybeUninit<T>]>,
        mut acts: Vec<&mut [MaybeUninit<T>]>,
        mut h_prev: Vec<&mut [MaybeUninit<T>]>,
        mut c_prev: Vec<&mut [MaybeUninit<T>]>,
    ) {
        let (m, h) = (rows.len(), self.h);
        let mut gates = vec![T::zero(); m * 4 * h];
        let (mut h_cur, mut c_cur) = (h0.to_vec(), c0.to_vec());
        let mut c_new = vec![T::zero(); m * h];
        for t in steps(self.len, self.reverse) {
            write_all(h_prev[t], &h_cur);
            write_all(c_prev[t], &c_cur);
            let hv = ArrayView2::from_shape((m, h), &h_cur[..]).expect("row-major h");
            let gv = ArrayViewMut2::from_shape((m, 4 * h), &mut gates).expect("row-major a");
            matmul_packed_into(hv, self.w, gv);
            let x = &self.x[(t * self.b + rows.start) * 4 * h..(t * self.b + rows.end) * 4 * h];
            match self.bias {
                Some(bv) => {
                    for (row, xr) in gates.chunks_exact_mut(4 * h).zip(x.chunks_exact(4 * h)) {
                        for ((g, &xv), &bias) in row.iter_mut().zip(xr).zip(bv) {
                            *g = xv + (*g + bias);
                        }
                    }
                }
                None => gates.iter_mut().zip(x).for_each(|(g, &xv)| *g = xv + *g),
            }
            let acts = &mut *acts[t];
            math::simd(
                #[inline(always)]
                || {
                    for r in 0..m {
                        let (u, a) = (r * h..(r + 1) * h, r * 4 * h..(r + 1) * 4 * h);
                        forward_row(
                            &gates[a],
                            &c_cur[u.clone()],
                            &mut acts[r * 5 * h..(r + 1) * 5 * h],
                            &mut c_new[u.clone()],
                            &mut h_cur[u],
                        );
                    }
                },
            );
            std::mem::swap(&mut c_cur, &mut c_new);
            write_all(out[t], &h_cur);
        }
        write_all(out[self.len], &c_cur);
    }

    /// One part's backward over the whole sequence, from the last step: `dh = G_t +
    /// da_{t+1} W_hh` (the step after in time, if any), then the cell's backward. Writes its
    /// rows of every step's `da` (`da`); returns its rows of `dc_0`, starting from `dc`, its
    /// rows of the last `c`'s gradient.
    fn backward(
        &self,
        rows: Range<usize>,
        mut dc: Vec<T>,
        acts: Vec<&[T]>,
        c_prev: Vec<&[T]>,
        mut da: Vec<&mut [T]>,
    ) -> Vec<T> {
        let (m, h) = (rows.len(), self.h);
        let mut dh = vec![T::zero(); m * h];
        let mut dc_old = vec![T::zero(); m * h];
        let mut later: Option<usize> = None;
        for &t in steps(self.len, self.reverse).iter().rev() {
            let g = &self.x[(t * self.b + rows.start) * h..(t * self.b + rows.end) * h];
            let da_t = match later {
                Some(l) => {
                    let (done, own) = read_write(&mut da, l, t);
                    let dav = ArrayView2::from_shape((m, 4 * h), done).expect("row-major da");
                    let out = ArrayViewMut2::from_shape((m, h), &mut dh).expect("row-major dh");
                    matmul_packed_into(dav, self.w, out);
                    dh.iter_mut().zip(g).for_each(|(d, &gv)| *d = gv + *d);
                    own
                }
                None => {
                    dh.copy_from_slice(g);
                    &mut *da[t]
                }
            };
            let (acts, c_old) = (acts[t], c_prev[t]);
            math::simd(
                #[inline(always)]
                || {
                    for r in 0..m {
                        let u = r * h..(r + 1) * h;
                        backward_row(
                            &acts[r * 5 * h..(r + 1) * 5 * h],
                            &c_old[u.clone()],
                            &dh[u.clone()],
                            &dc[u.clone()],
                            &mut da_t[r * 4 * h..(r + 1) * 4 * h],
                            &mut dc_old[u],
                        );
                    }
                },
            );
            std::mem::swap(&mut dc, &mut dc_old);
            later = Some(t);
        }
        dc
    }
}

/// What the forward keeps for the backward, each indexed by time step.
struct Saved<T: 'static> {
    /// Per step and row `[i, f, g, o, tanh c_t]` (`5H`).
    acts: Vec<T>,
    /// `h_{t-1}` of each step `[T, B, H]`: the right operand of `dW_hh`.
    h_prev: Vec<T>,
    /// `c_{t-1}` of each step `[T, B, H]`.
    c_prev: Vec<T>,
    reverse: bool,
}

/// The saved buffers outlive the graph in the [buffer cache](crate::buffer_cache).
impl<T: 'static> Drop for Saved<T> {
    fn drop(&mut self) {
        for v in [&mut self.acts, &mut self.h_prev, &mut self.c_prev] {
            recycle(std::mem::take(v));
        }
    }
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
        let parts = row_parts(len, b, h);
        let g = ctx.grad.read_values();
        let wv = w.read_values();
        let mut da_all = uninit(len * bg);
        let mut dc = vec![T::zero(); bh];
        {
            let w_view = ArrayView2::from_shape((4 * h, h), &wv[..]).expect("row-major w_hh");
            // `W_hh`, packed once for every step of every part.
            let w_packed = PackedRhs::new(w_view, b);
            let seq = Sequence {
                x: &g,
                bias: None,
                w: &w_packed,
                len,
                b,
                h,
                reverse: self.reverse,
            };
            let acts = rows_of_steps(&self.acts[..], [len, b, 5 * h], &parts);
            let c_prev = rows_of_steps(&self.c_prev[..], [len, b, h], &parts);
            let da = rows_of_steps(spare(&mut da_all), [len, b, 4 * h], &parts);
            let dc_parts = rows_of_steps(&mut dc[..], [1, b, h], &parts);
            let blocks = acts.into_iter().zip(c_prev).zip(da).zip(dc_parts).collect();
            run_parts(&parts, blocks, |rows, (((acts, c_prev), da), mut dc)| {
                let dc_last = &g[len * bh + rows.start * h..len * bh + rows.end * h];
                let da = zeroed_blocks(da);
                let dc0 = seq.backward(rows, dc_last.to_vec(), acts, c_prev, da);
                dc[0].copy_from_slice(&dc0);
            });
        }
        // SAFETY: as in the forward, the parts' blocks cover `da_all` and each part zeroed its
        // own before its steps wrote them.
        unsafe { da_all.set_len(len * bg) };
        let first = if self.reverse { len - 1 } else { 0 };
        let dh0 = ctx.needs_grad(1).then(|| {
            let mut dh0 = vec![T::zero(); bh];
            let da = ArrayView2::from_shape((b, 4 * h), &da_all[first * bg..(first + 1) * bg])
                .expect("row-major da");
            let wv = ArrayView2::from_shape((4 * h, h), &wv[..]).expect("row-major w_hh");
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
