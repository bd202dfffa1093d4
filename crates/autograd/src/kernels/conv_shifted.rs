//! Unit-stride convolutions without im2col ("shifted products").
//!
//! Each sample's `[C, H, W]` input is copied once into zero-padded planes of width
//! `Wp = W + 2·pw`. On that buffer, the im2col row of channel `c` and tap `(i, j)` is the
//! buffer itself read from `c·plane + i·dH·Wp + j·dW`, so the product reads its right
//! operand in place (`matmul::shifted`). It runs on the padded grid, `oH x Wp` positions, the
//! last `Wp − oW` of each row not outputs: dropped when the grid is copied into the result,
//! or never computed when a row is a whole number of tiles (then the tiles, row by row, go
//! straight into the output). Where a grid row would waste more than an eighth of its
//! products (LeNet's 8×8 images with padding 1: 2 columns of every 10), a "same" window takes
//! column copies instead ([`Layout::Columns`]): each channel copied `kW` times, copy `j`
//! shifted `j·dW − pW` columns, rows `oW` wide, so that tap `(i, j)`'s im2col row is copy `j`
//! read from row `i·dH` and the grid is the output itself. Other windows, strided and grouped
//! ones too, take im2col (`conv.rs`).
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
//! weight gradient sums a group of samples (one on the padded grid, im2col's chunk on column
//! copies) in the GEMM's `KC` blocks of the group's columns, a block's chain running on from
//! one sample to the next, and adds the groups in order. Nothing depends on the thread count;
//! on column copies the forward and the weight gradient give im2col's bits (the input
//! gradient's chain over `O·kH·kW` does not: col2im adds the taps' products one by one).

use crate::buffer_cache;
use crate::element::Element;
use crate::kernels::im2col_masked::{self, Masked};
use crate::kernels::matmul::shifted::{gemm_shifted_a, shifted_a_kc, shifted_width, ShiftedA};
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
    layout: Layout,
}

/// `n` samples' outputs of `sample_out` elements each, side by side: sample `s`'s written by
/// `run(scratch, s, out)`, the samples in parallel (a scratch `S::default()` per task). The
/// result is not zeroed first.
///
/// # Safety
/// `run` must write every element of its `out`: the result's elements are taken as written.
pub(crate) unsafe fn per_sample<T: Send + 'static, S: Default + Send>(
    n: usize,
    sample_out: usize,
    run: impl Fn(&mut S, usize, &mut [MaybeUninit<T>]) + Sync + Send,
) -> Vec<T> {
    let len = n * sample_out;
    let mut y = crate::buffer_cache::uninit(len);
    if len == 0 {
        return y;
    }
    let sample = |scratch: &mut S, (s, ys): (usize, &mut [MaybeUninit<T>])| run(scratch, s, ys);
    let out = &mut y.spare_capacity_mut()[..len];
    if use_pool() {
        let samples = out.par_chunks_mut(sample_out).enumerate();
        samples.for_each_init(S::default, sample);
    } else {
        let mut scratch = S::default();
        out.chunks_mut(sample_out)
            .enumerate()
            .for_each(|s| sample(&mut scratch, s));
    }
    // SAFETY: `run` wrote all `sample_out` outputs of every sample (this function's contract),
    // `len` in all.
    unsafe { y.set_len(len) };
    y
}

/// The most bytes a sample's column copies ([`Layout::Columns`]) may take: they are meant to
/// stay in L2 while the product reads them.
const COPIES_MAX_BYTES: usize = 512 * 1024;

/// How a sample is copied into the buffer that the product reads in place.
enum Layout {
    /// Each channel once, zero-padded to `Wp = W + 2·pW` columns: the product runs on the
    /// padded grid, `oH x Wp`, and the last `Wp − oW` columns of each of its rows are dropped.
    Padded,
    /// For a "same" window (`oW = W`): each channel `kW` times, copy `j` holding
    /// `x[c, r, q + j·dW − pW]` at `[r + pH, q]` (zero where that column is outside the row)
    /// with `pH` zero rows above and below. Tap `(i, j)`'s im2col row is copy `j` read from
    /// row `i·dH` on, so the grid is the output itself: no product is wasted, for `kW` times
    /// the copying. The copies of a channel, one per column tap `j`:
    Columns(Vec<ColumnCopy>),
}

/// Copy `j` of a channel in [`Layout::Columns`], as one run of the plane: its entries `run`
/// (of the `H·W` below the top padding) read the plane from `from` on, and `valid` marks
/// those whose column stays inside its row (the others, `wrapped`, are zero).
struct ColumnCopy {
    run: std::ops::Range<usize>,
    from: usize,
    valid: Vec<u64>,
    wrapped: Vec<usize>,
}

/// The `kW` copies of a "same" window over `[H, W]` planes with column padding `pw` and
/// dilation `dw`: copy `j` reads `s = j·dW − pW` columns to the right.
fn column_copies([h, w]: [usize; 2], kw: usize, pw: usize, dw: usize) -> Vec<ColumnCopy> {
    let l = h * w;
    (0..kw)
        .map(|j| {
            let s = (j * dw) as isize - pw as isize;
            let (left, right) = ((-s).max(0) as usize, s.max(0) as usize);
            let run = left.min(l)..l.saturating_sub(right).max(left.min(l));
            let outside = |p: &usize| {
                let q = (p % w) as isize + s;
                q < 0 || q >= w as isize
            };
            let wrapped: Vec<usize> = run.clone().filter(outside).collect();
            ColumnCopy {
                valid: im2col_masked::valid_bits(l, run.clone(), &wrapped),
                from: right,
                run,
                wrapped,
            }
        })
        .collect()
}

impl<T: Element> ShiftedConv<T> {
    /// The convolution of `[channels, input]` samples with `weight` (`[outs, channels·kH·kW]`,
    /// any strides) at unit stride: on the padded grid, or, where a row of the grid would
    /// waste more than an eighth of its products, on column copies ([`Layout::Columns`], a
    /// "same" window whose copies fit [`COPIES_MAX_BYTES`] and whose output fills at least
    /// three quarters of its whole tiles); `None` otherwise, when the product is short
    /// (`channels·kH·kW < 16`) or this CPU has no shifted micro-kernel.
    pub(crate) fn new(
        weight: MatRef<'_, T>,
        channels: usize,
        input: [usize; 2],
        kernel: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
    ) -> Option<Self> {
        let (hp, full) = (input[0] + 2 * padding[0], input[1] + 2 * padding[1]);
        let span = [dilation[0] * (kernel[0] - 1), dilation[1] * (kernel[1] - 1)];
        let k = channels * kernel[0] * kernel[1];
        if span[0] >= hp || span[1] >= full || k < 16 || weight.cols != k {
            return None;
        }
        let out = [hp - span[0], full - span[1]];
        let layout = if 8 * span[1] <= out[1] {
            Layout::Padded
        } else {
            let bytes = channels * kernel[1] * hp * out[1] * std::mem::size_of::<T>();
            (out[1] == input[1] && bytes <= COPIES_MAX_BYTES).then_some(())?;
            Layout::Columns(column_copies(input, kernel[1], padding[1], dilation[1]))
        };
        // The grid's row stride: the padded width, or the output's for column copies (then
        // the grid is the output).
        let wp = match layout {
            Layout::Padded => full,
            Layout::Columns(_) => out[1],
        };
        let nr = shifted_width::<T>()?;
        let cols = (out[0] * wp).div_ceil(nr) * nr;
        // On column copies the grid is the output, rounded up to whole tiles: where that
        // wastes more than a quarter of the products (4×4 images, 16 outputs in a tile of 32),
        // im2col's chunks of samples side by side fill the tiles instead. Decided before the
        // weight is packed, which a refused layout would not use.
        if matches!(layout, Layout::Columns(_)) && 4 * (cols - out[0] * out[1]) > cols {
            return None;
        }
        let weight = ShiftedA::pack(weight)?;
        let flat = wp == out[1];
        let whole = if flat { out[0] * out[1] } else { out[1] };
        let direct = whole.is_multiple_of(nr) && weight.padded_rows() == weight.rows();
        let tiles: Vec<(usize, usize)> = if direct && !flat {
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
        let [kh, kw] = kernel;
        let offs: Vec<usize> = (0..channels)
            .flat_map(|c| {
                let layout = &layout;
                (0..kh * kw).map(move |t| {
                    let (i, j) = (t / kw, t % kw);
                    match layout {
                        Layout::Padded => c * plane + i * dilation[0] * wp + j * dilation[1],
                        Layout::Columns(_) => (c * kw + j) * plane + i * dilation[0] * wp,
                    }
                })
            })
            .collect();
        let len = offs.iter().max().map_or(0, |&o| o + cols);
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
            len,
            layout,
        })
    }

    /// Whether the samples are laid out as column copies ([`Layout::Columns`]).
    pub(crate) fn on_column_copies(&self) -> bool {
        matches!(self.layout, Layout::Columns(_))
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
        // SAFETY: `run` writes all `outs·oH·oW` outputs of its sample.
        unsafe {
            per_sample(n, sample_out, |scratch: &mut (Vec<T>, Vec<T>), s, ys| {
                self.run(&x[s * chw..(s + 1) * chw], bias, scratch, ys)
            })
        }
    }

    /// The weight gradient `dW[o, c·kH·kW + t] = Σ_n Σ_p G[n, o, p] · x_n[c, p shifted by
    /// tap t]` for the output gradient `g` (`[N, outs, oH, oW]`): `dWᵀ = shift(pad(x)) · Gᵀ`
    /// on the grid (`G` zero on the dropped columns), the samples in groups of `group`. A
    /// group's product runs over its samples' grid columns one after the other, cut into the
    /// GEMM's `KC` blocks of that whole length, each block one chain across the samples it
    /// covers, added to the blocks before: the bits of one product over the group's columns
    /// side by side (im2col's chunks in `conv.rs`). The groups' partials are added in order.
    /// `None` when this CPU has no shifted-`A` kernel.
    pub(crate) fn weight_grad(&self, x: &[T], g: &[T], group: usize) -> Option<Vec<T>> {
        let chw = self.channels * self.input[0] * self.input[1];
        let ([oh, ow], wp, outs) = (self.out, self.wp, self.outs);
        let (rows, k) = (self.offs.len(), oh * wp);
        let n = x.len().checked_div(chw).unwrap_or(0);
        let group = group.clamp(1, n.max(1));
        // Sample `s`'s `G` on the grid: as it is where the grid is the output (`Wp = oW`).
        let on_grid = |grid: &mut Vec<T>, s: usize| {
            let gs = &g[s * outs * oh * ow..(s + 1) * outs * oh * ow];
            if wp == ow {
                return;
            }
            if grid.len() != outs * k {
                grid.clear();
                grid.resize(outs * k, T::zero());
            }
            for (o, go) in gs.chunks_exact(oh * ow).enumerate() {
                for (r, row) in go.chunks_exact(ow).enumerate() {
                    grid[o * k + r * wp..][..ow].copy_from_slice(row);
                }
            }
        };
        type Scratch<T> = (Vec<T>, Vec<T>, Vec<T>);
        let partial = |(buf, grid, block): &mut Scratch<T>, n0: usize| {
            let s = group.min(n - n0);
            let kc = shifted_a_kc::<T>(s * k, outs)?;
            let mut part = buffer_cache::zeroed(rows * outs, T::zero());
            block.resize(rows * outs, T::zero());
            for j in 0..s {
                self.pad(&x[(n0 + j) * chw..(n0 + j + 1) * chw], buf);
                on_grid(grid, n0 + j);
                let (data, offset) = if wp == ow {
                    (g, (n0 + j) * outs * k)
                } else {
                    (&grid[..], 0)
                };
                // The sample's columns, cut where the group's blocks end.
                let mut a0 = 0;
                while a0 < k {
                    let q = j * k + a0;
                    let a1 = k.min(a0 + kc - q % kc);
                    let gt = MatRef {
                        data,
                        offset: offset + a0,
                        rows: a1 - a0,
                        cols: outs,
                        row_stride: 1,
                        col_stride: k,
                    };
                    gemm_shifted_a(&buf[a0..], &self.offs, gt, block, q % kc != 0);
                    let end = j * k + a1;
                    if end % kc == 0 || end == s * k {
                        // A block done: added to the blocks before it.
                        if end <= kc {
                            part.copy_from_slice(block);
                        } else {
                            part.iter_mut().zip(&*block).for_each(|(p, &b)| *p += b);
                        }
                    }
                    a0 = a1;
                }
            }
            Some(part)
        };
        let starts = (0..n).step_by(group);
        let parts: Vec<Option<Vec<T>>> = if use_pool() {
            let starts = starts.collect::<Vec<_>>().into_par_iter();
            let scratch = || (Vec::new(), Vec::new(), Vec::new());
            starts.map_init(scratch, partial).collect()
        } else {
            let mut scratch = (Vec::new(), Vec::new(), Vec::new());
            starts.map(|n0| partial(&mut scratch, n0)).collect()
        };
        let parts: Vec<Vec<T>> = parts.into_iter().collect::<Option<_>>()?;
        // Σ over the groups in sample order, element ranges in parallel.
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

    /// Copies one sample into the buffer `buf` ([`Layout`]), which keeps its zero padding
    /// between samples.
    fn pad(&self, x: &[T], buf: &mut Vec<T>) {
        let ([h, w], [ph, pw], wp) = (self.input, self.padding, self.wp);
        if buf.len() != self.len {
            buf.clear();
            buf.resize(self.len, T::zero());
        }
        let plane = self.hp * wp;
        match &self.layout {
            Layout::Padded => {
                for (c, xc) in x.chunks_exact(h * w).enumerate() {
                    for (r, row) in xc.chunks_exact(w).enumerate() {
                        let dst = c * plane + (r + ph) * wp + pw;
                        buf[dst..dst + w].copy_from_slice(row);
                    }
                }
            }
            Layout::Columns(copies) => {
                let masked = Masked::<T>::new();
                let planes = buf.chunks_exact_mut(plane);
                let copy_planes = planes.zip(copies.iter().cycle());
                for (q, (dst, copy)) in copy_planes.take(self.channels * copies.len()).enumerate() {
                    let xc = &x[q / copies.len() * h * w..][..h * w];
                    let dst = &mut dst[ph * w..(ph + h) * w];
                    let run = copy.run.clone();
                    if let Some(m) = masked {
                        m.row(dst, xc, copy.from, run, &copy.valid);
                        continue;
                    }
                    dst[run.clone()].copy_from_slice(&xc[copy.from..copy.from + run.len()]);
                    copy.wrapped.iter().for_each(|&p| dst[p] = T::zero());
                }
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
