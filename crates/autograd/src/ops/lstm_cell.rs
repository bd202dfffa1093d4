//! `lstm_cell`: the pointwise part of one LSTM step as one op. From the pre-activation gates
//! `a = [a_i, a_f, a_g, a_o]` (`[B, 4H]`, PyTorch's gate order) and the cell state `c`:
//!
//! ```text
//! i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
//! c' = f·c + i·g          h' = o·tanh(c')
//! ```
//!
//! Backward, from `dh'` and `dc'` (the gradient reaching `c'` from later steps):
//!
//! ```text
//! dc'' = dc' + dh'·o·(1 − tanh²c')
//! da_i = dc''·g·i(1−i)   da_f = dc''·c·f(1−f)   da_g = dc''·i·(1−g²)   da_o = dh'·tanh c'·o(1−o)
//! dc   = dc''·f
//! ```
//!
//! The result is `[2, B, H]` holding `h'` then `c'` (one node for both; callers take the two
//! halves as views). Under `create_graph` the backward is the same formula written with
//! recorded tensor ops. For `f32` the gates use `kernels::math`'s call-free σ and tanh (within
//! 3 ulp of the exact values) in a loop compiled for the CPU's vector unit.

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record_values, BackwardCtx, InputGrads, Op};
use crate::kernels::math;
use crate::ops::par::for_each_chunk as per_row;
// σ and tanh as the `sigmoid` and `tanh` ops compute them (for `f32` the call-free
// `kernels::math` forms, within 3 ulp, so the gate loops vectorise).
use crate::ops::sigmoid::sigmoid_value as sigmoid;
use crate::ops::tanh::tanh_value as tanh;
use crate::tensor::Tensor;
use smallvec::smallvec;

/// One row of the cell's forward: pre-activations `a` `[4H]` and `c` `[H]` give
/// `act = [i, f, g, o, tanh c']` `[5H]` (kept for the backward), `c'` and `h'` `[H]`.
/// Every slice is cut to its exact length first, so the loop runs without bounds checks and
/// vectorises under [`math::simd`]. `act` may be uninitialised ([`Slot`]).
#[inline(always)]
pub(crate) fn forward_row<T: Element, A: Slot<T>>(
    a: &[T],
    c: &[T],
    act: &mut [A],
    c_new: &mut [T],
    h_new: &mut [T],
) {
    let h = c.len();
    let (c_new, h_new) = (&mut c_new[..h], &mut h_new[..h]);
    let (ai, af, ag, ao) = (&a[..h], &a[h..2 * h], &a[2 * h..3 * h], &a[3 * h..4 * h]);
    let (vi, rest) = act[..5 * h].split_at_mut(h);
    let (vf, rest) = rest.split_at_mut(h);
    let (vg, rest) = rest.split_at_mut(h);
    let (vo, vt) = rest.split_at_mut(h);
    for j in 0..h {
        let (i, f, g, o) = (sigmoid(ai[j]), sigmoid(af[j]), tanh(ag[j]), sigmoid(ao[j]));
        let cn = f * c[j] + i * g;
        let tc = tanh(cn);
        vi[j].put(i);
        vf[j].put(f);
        vg[j].put(g);
        vo[j].put(o);
        vt[j].put(tc);
        c_new[j] = cn;
        h_new[j] = o * tc;
    }
}

/// Where [`forward_row`] writes what it keeps: a value (`T`) or a place not yet written
/// (`MaybeUninit<T>`: `lstm_sequence`'s buffers, which are not zeroed first).
pub(crate) trait Slot<T> {
    fn put(&mut self, v: T);
}
impl<T> Slot<T> for T {
    #[inline(always)]
    fn put(&mut self, v: T) {
        *self = v;
    }
}
impl<T> Slot<T> for std::mem::MaybeUninit<T> {
    #[inline(always)]
    fn put(&mut self, v: T) {
        self.write(v);
    }
}

/// One row of the cell's backward (the module documentation's formulas): from `act` (what
/// [`forward_row`] kept), the old `c`, and `dh'`, `dc'` (each `[H]`), writes `da` `[4H]` and
/// `dc` `[H]`.
#[inline(always)]
pub(crate) fn backward_row<T: Element>(
    act: &[T],
    c: &[T],
    dh: &[T],
    dcn: &[T],
    da: &mut [T],
    dc: &mut [T],
) {
    let h = c.len();
    let (dh, dcn, dc) = (&dh[..h], &dcn[..h], &mut dc[..h]);
    let (vi, vf, vg, vo, vt) = (
        &act[..h],
        &act[h..2 * h],
        &act[2 * h..3 * h],
        &act[3 * h..4 * h],
        &act[4 * h..5 * h],
    );
    let (dai, rest) = da[..4 * h].split_at_mut(h);
    let (daf, rest) = rest.split_at_mut(h);
    let (dag, dao) = rest.split_at_mut(h);
    let one = T::one();
    for j in 0..h {
        let (i, f, gg, o, tc) = (vi[j], vf[j], vg[j], vo[j], vt[j]);
        let dc2 = dcn[j] + dh[j] * o * (one - tc * tc);
        dai[j] = dc2 * gg * i * (one - i);
        daf[j] = dc2 * c[j] * f * (one - f);
        dag[j] = dc2 * i * (one - gg * gg);
        dao[j] = dh[j] * tc * o * (one - o);
        dc[j] = dc2 * f;
    }
}

/// One LSTM step's pointwise part (what `torch._thnn_fused_lstm_cell` computes): `gates`
/// `[B, 4H]` (input and hidden projections with their biases, summed), `c` `[B, H]`; returns
/// `(h', c')`, each `[B, H]`. Derivative: see the module documentation.
///
/// ```
/// use tapegrad_autograd::{functional::lstm_cell, Tensor};
/// // All gates at 0: i = f = o = ½, g = 0, so c' = ½·c and h' = ½·tanh(c').
/// let (h, c) = lstm_cell(&Tensor::zeros(&[1, 4]), &Tensor::from_vec(vec![2.0f64], &[1, 1]));
/// assert_eq!(c.to_vec(), [1.0]);
/// assert_eq!(h.to_vec(), [0.5 * 1f64.tanh()]);
/// ```
pub fn lstm_cell<T: Element>(gates_in: &Tensor<T>, c: &Tensor<T>) -> (Tensor<T>, Tensor<T>) {
    let (gs, cs) = (gates_in.shape(), c.shape());
    assert!(
        gs.len() == 2 && cs.len() == 2 && gs[0] == cs[0] && gs[1] == 4 * cs[1],
        "lstm_cell: expected gates [B, 4H] and c [B, H], got gates {:?} and c {:?}",
        gs.as_slice(),
        cs.as_slice()
    );
    let (b, h) = (cs[0], cs[1]);
    // Per row: [i, f, g, o, tanh c'] (5H, kept for the backward), then c' and h'.
    let mut rows = vec![T::zero(); 7 * b * h];
    {
        let (a, cv) = (gates_in.read_values(), c.read_values());
        per_row(&mut rows, 7 * h, 4 * b * h, |r, row| {
            let (act, rest) = row.split_at_mut(5 * h);
            let (c_new, h_new) = rest.split_at_mut(h);
            let (ar, c0) = (&a[r * 4 * h..(r + 1) * 4 * h], &cv[r * h..(r + 1) * h]);
            math::simd(
                #[inline(always)]
                || forward_row(ar, c0, act, c_new, h_new),
            );
        });
    }
    let mut out = vec![T::zero(); 2 * b * h];
    for (r, row) in rows.chunks_exact(7 * h.max(1)).enumerate() {
        out[r * h..(r + 1) * h].copy_from_slice(&row[6 * h..]);
        out[(b + r) * h..(b + r + 1) * h].copy_from_slice(&row[5 * h..6 * h]);
    }
    let both = record_values(out, &[2, b, h], LstmCellBackward { rows }, &[gates_in, c]);
    (both.select(0, 0), both.select(0, 1))
}

struct LstmCellBackward<T> {
    /// Per row `[i, f, g, o, tanh c', c', h']` (`7H`), from the forward.
    rows: Vec<T>,
}

impl<T: Element> Op<T> for LstmCellBackward<T> {
    fn name(&self) -> &'static str {
        "LstmCellBackward0"
    }
    fn rule(&self) -> &'static str {
        "c' = σ(a_f)c + σ(a_i)tanh(a_g), h' = σ(a_o)tanh(c'): see ops/lstm_cell.rs"
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> InputGrads<T> {
        if is_grad_enabled() {
            return backward_recorded(ctx);
        }
        let (cv, g) = (ctx.inputs[1].read_values(), ctx.grad.read_values());
        let (b, h) = (ctx.inputs[1].shape()[0], ctx.inputs[1].shape()[1]);
        let (dh, dcn) = g.split_at(b * h);
        let rows = &self.rows;
        // Per row: the gates' gradients [4H] and c's [H], side by side in one [5H] block.
        let mut both = vec![T::zero(); 5 * b * h];
        per_row(&mut both, 5 * h, 5 * b * h, |r, out| {
            let (da, dc) = out.split_at_mut(4 * h);
            let span = r * h..(r + 1) * h;
            math::simd(
                #[inline(always)]
                || {
                    backward_row(
                        &rows[r * 7 * h..r * 7 * h + 5 * h],
                        &cv[span.clone()],
                        &dh[span.clone()],
                        &dcn[span.clone()],
                        da,
                        dc,
                    )
                },
            );
        });
        let (mut da, mut dc) = (Vec::with_capacity(4 * b * h), Vec::with_capacity(b * h));
        for row in both.chunks_exact(5 * h.max(1)) {
            da.extend_from_slice(&row[..4 * h]);
            dc.extend_from_slice(&row[4 * h..]);
        }
        smallvec![
            ctx.needs_grad(0)
                .then(|| Tensor::from_values(da, &[b, 4 * h], None, false)),
            ctx.needs_grad(1)
                .then(|| Tensor::from_values(dc, &[b, h], None, false)),
        ]
    }
}

/// The backward with recorded tensor ops, so that it can be differentiated again.
fn backward_recorded<T: Element>(ctx: &BackwardCtx<'_, T>) -> InputGrads<T> {
    let g = ctx.grad;
    let (da, dc) = backward_formula(
        &ctx.inputs[0],
        &ctx.inputs[1],
        &g.select(0, 0),
        &g.select(0, 1),
    );
    smallvec![
        ctx.needs_grad(0).then_some(da),
        ctx.needs_grad(1).then_some(dc)
    ]
}

/// The cell's backward in recorded tensor ops: from the pre-activations `a`, the old `c` and
/// the gradients `dh'`, `dc'` reaching the step, `(da, dc)`. `lstm_sequence`'s recorded
/// backward runs it step by step.
pub(crate) fn backward_formula<T: Element>(
    a: &Tensor<T>,
    c: &Tensor<T>,
    dh: &Tensor<T>,
    dcn: &Tensor<T>,
) -> (Tensor<T>, Tensor<T>) {
    let h = c.shape()[1];
    let part = |k: usize| a.narrow(-1, (k * h) as isize, h);
    let (i, f, gg, o) = (
        part(0).sigmoid(),
        part(1).sigmoid(),
        part(2).tanh(),
        part(3).sigmoid(),
    );
    let tc = f.mul(c).add(&i.mul(&gg)).tanh();
    let one_minus = |t: &Tensor<T>| t.neg().add_scalar(T::one());
    let dc2 = dcn.add(&dh.mul(&o).mul(&one_minus(&tc.mul(&tc))));
    let da = Tensor::cat(
        &[
            &dc2.mul(&gg).mul(&i).mul(&one_minus(&i)),
            &dc2.mul(c).mul(&f).mul(&one_minus(&f)),
            &dc2.mul(&i).mul(&one_minus(&gg.mul(&gg))),
            &dh.mul(&tc).mul(&o).mul(&one_minus(&o)),
        ],
        -1,
    );
    (da, dc2.mul(&f))
}
