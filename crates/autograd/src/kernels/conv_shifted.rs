//! Unit-stride convolutions without im2col ("shifted products").
//!
//! Each sample's `[C, H, W]` input is copied once into zero-padded planes of width
//! `Wp = W + 2·pw`. On that buffer, the im2col row of channel `c` and tap `(i, j)` is the
//! buffer itself read from `c·plane + i·dH·Wp + j·dW`, so the product reads its right
//! operand in place (`matmul::shifted`). It runs on the padded grid, `oH x Wp` positions, the
//! last `Wp − oW` of each row not outputs: dropped when the grid is copied into the result,
//! or never computed when a row is a whole number of tiles (then the tiles, row by row, go
//! straight into the output). [`ShiftedConv::new`] declines when a grid row would waste more
//! than an eighth of its products; strided and grouped windows take im2col (`conv.rs`).
//!
//! ```text
//! forward   y  = W · shift(pad(x))                      (+ bias)
//! backward  dx = W̃ · shift(pad′(G)),  W̃[c, o, i, j] = W[o, c, kH−1−i, kW−1−j],
//!                                    pad′ = dilation·(kernel − 1) − padding
//!           dWᵀ = Σ_n shift(pad(x_n)) · G_nᵀ           (G_n on the grid, zero where dropped)
//! ```
//!
//! The input gradient is the same computation: a unit-stride convolution of the output
//! gradient with the flipped, transposed weight. The weight gradient multiplies the same
//! windows as the rows of the left operand (`matmul::shifted::gemm_shifted_a`). Forward and
//! input gradient compute each output as one fused multiply-add chain over `C·kH·kW`; the
//! weight gradient sums each sample in the GEMM's fixed `KC` blocks and adds the samples in
//! order. Nothing depends on the thread count.

use crate::buffer_cache;
use crate::element::Element;
use crate::kernels::matmul::shifted::{gemm_shifted_a, ShiftedA};
use crate::kernels::matmul::MatRef;
use crate::threads::use_pool;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Elements per task when the samples' weight gradients are added.
const SUM_CHUNK: usize = 4096;

/// A unit-stride convolution of `[channels, h, w]` samples, its weight packed once.
pub(crate) struct ShiftedConv<T> {
    weight: ShiftedA<T>,
    /// Output channels.
    outs: usize,
    channels: usize,
    input: [usize; 2],
    padding: [usize; 2],
    /// Padded width `Wp` (the grid's row stride) and height.
    wp: usize,
    hp: usize,
    out: [usize; 2],
    /// Grid columns: `oH·Wp` rounded up to the tile width.
    cols: usize,
    /// Whether the tiles are written straight into the output (rows a whole number of tiles
    /// wide, output channels a whole number of tiles tall): then only the outputs are
    /// computed, not the dropped grid columns.
    direct: bool,
    /// The tiles computed, `(grid column, output column)`: along each output row when
    /// `direct`, else along the grid (the same column in the grid buffer).
    tiles: Vec<(usize, usize)>,
    /// `offs[c·kH·kW + i·kW + j]`: where tap `(i, j)` of channel `c` starts in the buffer.
    offs: Vec<usize>,
    /// Length of the padded buffer, the last window included.
    len: usize,
}

impl<T: Element> ShiftedConv<T> {
    /// The convolution of `[channels, input]` samples with `weight` (`[outs, channels·kH·kW]`,
    /// any strides) at unit stride; `None` when a row of the grid would waste more than an
    /// eighth of its products, the product is short (`channels·kH·kW < 16`) or this CPU has
    /// no shifted micro-kernel.
    pub(crate) fn new(
        weight: MatRef<'_, T>,
        channels: usize,
        input: [usize; 2],
        kernel: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
    ) -> Option<Self> {
        let (hp, wp) = (input[0] + 2 * padding[0], input[1] + 2 * padding[1]);
        let span = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)];
        let k = channels * kernel[0] * kernel[1];
        if span[0] >= hp || span[1] >= wp || k < 16 || weight.cols != k {
            return None;
        }
        let out = [hp - span[0], wp - span[1]];
        if 8 * span[1] > out[1] {
            return None;
        }
        let weight = ShiftedA::pack(weight)?;
        let nr = weight.nr();
        let cols = (out[0] * wp).div_ceil(nr) * nr;
        let direct = out[1].is_multiple_of(nr) && weight.padded_rows() == weight.rows();
        let tiles: Vec<(usize, usize)> = if direct {
            let row = |r: usize| {
                (0..out[1])
                    .step_by(nr)
                    .map(move |x| (r * wp + x, r * out[1] + x))
            };
            (0..out[0]).flat_map(row).collect()
        } else {
            (0..cols).step_by(nr).map(|j| (j, j)).collect()
        };
        let plane = hp * wp;
        let offs: Vec<usize> = (0..channels)
            .flat_map(|c| {
                (0..kernel[0] * kernel[1]).map(move |t| {
                    let (i, j) = (t / kernel[1], t % kernel[1]);
                    c * plane + i * dilation[0] * wp + j * dilation[1]
                })
            })
            .collect();
        Some(ShiftedConv {
            outs: weight.rows(),
            weight,
            channels,
            input,
            padding,
            wp,
            hp,
            out,
            cols,
            direct,
            tiles,
            offs,
            len: (channels - 1) * plane + span[0] * wp + span[1] + cols,
        })
    }

    /// The output `[oH, oW]` of one sample.
    pub(crate) fn out(&self) -> [usize; 2] {
        self.out
    }

    /// Convolves the `n` samples of `x` (`[n, channels, H, W]`) into `[n, outs, oH, oW]`,
    /// adding `bias[o]` to output channel `o`; samples in parallel. The result is not zeroed
    /// first: every element is written once.
    pub(crate) fn run_batch(&self, x: &[T], bias: Option<&[T]>, n: usize) -> Vec<T> {
        let chw = self.channels * self.input[0] * self.input[1];
        let sample_out = self.outs * self.out[0] * self.out[1];
        let len = n * sample_out;
        let mut y = crate::buffer_cache::uninit(len);
        if len == 0 {
            return y;
        }
        let sample = |scratch: &mut (Vec<T>, Vec<T>), (s, ys): (usize, &mut [MaybeUninit<T>])| {
            self.run(&x[s * chw..(s + 1) * chw], bias, scratch, ys)
        };
        let out = &mut y.spare_capacity_mut()[..len];
        if use_pool() {
            let samples = out.par_chunks_mut(sample_out).enumerate();
            samples.for_each_init(|| (Vec::new(), Vec::new()), sample);
        } else {
            let mut scratch = (Vec::new(), Vec::new());
            out.chunks_mut(sample_out)
                .enumerate()
                .for_each(|s| sample(&mut scratch, s));
        }
        // SAFETY: `run` wrote all `outs·oH·oW` outputs of every sample, `len` in all.
        unsafe { y.set_len(len) };
        y
    }

    /// The weight gradient `dW[o, c·kH·kW + t] = Σ_n Σ_p G[n, o, p] · x_n[c, p shifted by
    /// tap t]` for the output gradient `g` (`[N, outs, oH, oW]`): per sample
    /// `dWᵀ = shift(pad(x)) · Gᵀ` on the grid (`G` zero on the dropped columns), the samples'
    /// partials added in sample order; `None` when this CPU has no shifted-`A` kernel.
    pub(crate) fn weight_grad(&self, x: &[T], g: &[T]) -> Option<Vec<T>> {
        let chw = self.channels * self.input[0] * self.input[1];
        let ([oh, ow], wp, outs) = (self.out, self.wp, self.outs);
        let (rows, k) = (self.offs.len(), oh * wp);
        let sample = |(buf, grid): &mut (Vec<T>, Vec<T>), n: usize| {
            self.pad(&x[n * chw..(n + 1) * chw], buf);
            if grid.len() != outs * k {
                grid.clear();
                grid.resize(outs * k, T::zero());
            }
            let gn = &g[n * outs * oh * ow..(n + 1) * outs * oh * ow];
            for (o, go) in gn.chunks_exact(oh * ow).enumerate() {
                for (r, row) in go.chunks_exact(ow).enumerate() {
                    grid[o * k + r * wp..][..ow].copy_from_slice(row);
                }
            }
            let gt = MatRef {
                data: &grid[..],
                offset: 0,
                rows: k,
                cols: outs,
                row_stride: 1,
                col_stride: k,
            };
            let mut part = buffer_cache::zeroed(rows * outs, T::zero());
            gemm_shifted_a(buf, &self.offs, gt, &mut part, false).then_some(part)
        };
        let n = x.len().checked_div(chw).unwrap_or(0);
        let parts: Vec<Option<Vec<T>>> = if use_pool() {
            let samples = (0..n).into_par_iter();
            samples
                .map_init(|| (Vec::new(), Vec::new()), sample)
                .collect()
        } else {
            let mut scratch = (Vec::new(), Vec::new());
            (0..n).map(|s| sample(&mut scratch, s)).collect()
        };
        let parts: Vec<Vec<T>> = parts.into_iter().collect::<Option<_>>()?;
        // Σ over the samples in sample order, element ranges in parallel.
        let add_parts = |(c, d): (usize, &mut [T])| {
            for part in &parts {
                let p = &part[c * SUM_CHUNK..c * SUM_CHUNK + d.len()];
                d.iter_mut().zip(p).for_each(|(d, &p)| *d += p);
            }
        };
        let mut dwt = buffer_cache::zeroed(rows * outs, T::zero());
        if use_pool() {
            dwt.par_chunks_mut(SUM_CHUNK)
                .enumerate()
                .for_each(add_parts);
        } else {
            dwt.chunks_mut(SUM_CHUNK).enumerate().for_each(add_parts);
        }
        parts.into_iter().for_each(buffer_cache::recycle);
        let mut dw = buffer_cache::zeroed(outs * rows, T::zero());
        for (i, row) in dwt.chunks_exact(outs).enumerate() {
            for (o, &v) in row.iter().enumerate() {
                dw[o * rows + i] = v;
            }
        }
        buffer_cache::recycle(dwt);
        Some(dw)
    }

    /// Copies one sample into the padded buffer `buf`, which keeps its zero border between
    /// samples.
    fn pad(&self, x: &[T], buf: &mut Vec<T>) {
        let ([h, w], [ph, pw], wp) = (self.input, self.padding, self.wp);
        if buf.len() != self.len {
            buf.clear();
            buf.resize(self.len, T::zero());
        }
        let plane = self.hp * wp;
        for (c, xc) in x.chunks_exact(h * w).enumerate() {
            for (r, row) in xc.chunks_exact(w).enumerate() {
                let dst = c * plane + (r + ph) * wp + pw;
                buf[dst..dst + w].copy_from_slice(row);
            }
        }
    }

    /// One sample: pad `x`, multiply, and write every element of `y`: the tiles straight
    /// into `y` (plus bias) when `direct`, else onto the grid, whose outputs (plus bias) are
    /// then copied into `y`.
    fn run(
        &self,
        x: &[T],
        bias: Option<&[T]>,
        (buf, grid): &mut (Vec<T>, Vec<T>),
        y: &mut [MaybeUninit<T>],
    ) {
        let ([oh, ow], wp) = (self.out, self.wp);
        self.pad(x, buf);
        if self.direct {
            self.weight
                .multiply(buf, &self.offs, &self.tiles, y, oh * ow);
            for (o, yo) in y.chunks_exact_mut(oh * ow).enumerate() {
                let Some(b) = bias else { break };
                // SAFETY: the tiles cover every output of the sample, all written above.
                yo.iter_mut()
                    .for_each(|v| unsafe { *v.assume_init_mut() += b[o] });
            }
            return;
        }
        grid.resize(self.weight.padded_rows() * self.cols, T::zero());
        let out = crate::kernels::math::as_uninit(grid.as_mut_slice());
        self.weight
            .multiply(buf, &self.offs, &self.tiles, out, self.cols);
        for (o, yo) in y.chunks_exact_mut(oh * ow).enumerate() {
            for (r, row) in yo.chunks_exact_mut(ow).enumerate() {
                let src = &grid[o * self.cols + r * wp..][..ow];
                match bias {
                    Some(b) => row.iter_mut().zip(src).for_each(|(d, &s)| {
                        d.write(s + b[o]);
                    }),
                    None => row.iter_mut().zip(src).for_each(|(d, &s)| {
                        d.write(s);
                    }),
                }
            }
        }
    }
}
