//! Convolution kernels: the sliding-window geometry ([`Window2d`]), im2col/col2im of one
//! sample, and a whole 2-D convolution's forward and backward through the packed GEMM.
//!
//! The batch is cut into chunks of [`samples_per_chunk`] samples (enough GEMM columns to
//! amortise packing; the cut depends only on the shapes). Rayon runs the chunks in parallel;
//! each task lays its samples' receptive fields side by side in a reused buffer
//! (`cols = [C·kH·kW, s·L]`, sample-major columns) and multiplies per group:
//!
//! ```text
//! forward   y_g  = W_g · cols_g                 (+ bias)
//! backward  dx   = col2im(W_gᵀ · G_g)           per sample of the chunk
//!           dW   = Σ_chunks G_g · cols_gᵀ       partial sums added in chunk order
//! ```
//!
//! Every output element is one GEMM dot product over a fixed `k`, and the chunk partials of
//! `dW` are added in chunk order, so the results do not depend on the thread count.
//!
//! Unit-stride, ungrouped windows skip the columns where they can: [`conv2d_forward`] and
//! [`conv2d_backward`] hand them to `conv_shifted.rs`, which reads a padded copy of each
//! sample in place on rows wide enough, and column copies of a "same" window on narrower
//! ones (each part, forward, `dx` or `dW`, where it applies; im2col for the rest).

use crate::element::Element;
use crate::kernels::conv_shifted::ShiftedConv;
use crate::kernels::im2col_masked::{self, Masked};
use crate::kernels::math;
use crate::kernels::matmul::shifted::{gemm_shifted_a, shifted_width, ShiftedA};
use crate::kernels::matmul::{gemm, MatRef};
use crate::kernels::winograd::Winograd;
use crate::threads::use_pool;
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// The geometry of a sliding window over one `[h, w]` plane: kernel, stride, padding (top and
/// left; the bottom/right padding only enters through the output size), dilation and the
/// resulting output size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window2d {
    pub(crate) h: usize,
    pub(crate) w: usize,
    pub(crate) kernel: [usize; 2],
    pub(crate) stride: [usize; 2],
    pub(crate) padding: [usize; 2],
    pub(crate) dilation: [usize; 2],
    pub(crate) out: [usize; 2],
}

impl Window2d {
    /// The window with symmetric padding; `None` when the (dilated) kernel does not fit into
    /// the padded input.
    pub(crate) fn new(
        input: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
    ) -> Option<Window2d> {
        let mut out = [0; 2];
        for d in 0..2 {
            let span = dilation[d] * (kernel[d] - 1) + 1;
            let padded = input[d] + 2 * padding[d];
            if span > padded {
                return None;
            }
            out[d] = (padded - span) / stride[d] + 1;
        }
        Some(Window2d {
            h: input[0],
            w: input[1],
            kernel,
            stride,
            padding,
            dilation,
            out,
        })
    }

    /// `kH·kW`.
    pub(crate) fn taps(&self) -> usize {
        self.kernel[0] * self.kernel[1]
    }

    /// `oH·oW`.
    pub(crate) fn positions(&self) -> usize {
        self.out[0] * self.out[1]
    }

    /// `H·W`.
    pub(crate) fn plane(&self) -> usize {
        self.h * self.w
    }

    /// The output positions `[lo, hi)` along dimension `d` whose tap `k` reads inside the
    /// input (not the padding).
    #[inline]
    fn inside(&self, d: usize, k: usize) -> (usize, usize) {
        let size = if d == 0 { self.h } else { self.w };
        let (s, off, pad) = (self.stride[d], k * self.dilation[d], self.padding[d]);
        // o·s + off ≥ pad  ⇔  o ≥ ceil((pad − off) / s)
        let lo = pad.saturating_sub(off).div_ceil(s);
        // o·s + off − pad < size  ⇔  o < ceil((size + pad − off) / s)
        let hi = (size + pad)
            .saturating_sub(off)
            .div_ceil(s)
            .min(self.out[d]);
        (lo.min(hi), hi)
    }

    /// For tap `(i, j)`: the valid output rows `ylo..yhi` and columns `lo..hi`, and the input
    /// position `(iy, ix)` that output `(ylo, lo)` reads ([`Tap`]); `None` when no output reads
    /// inside.
    #[inline]
    fn tap(&self, i: usize, j: usize) -> Option<Tap> {
        let ((ylo, yhi), (lo, hi)) = (self.inside(0, i), self.inside(1, j));
        (ylo < yhi && lo < hi).then(|| {
            let iy = ylo * self.stride[0] + i * self.dilation[0] - self.padding[0];
            let ix = lo * self.stride[1] + j * self.dilation[1] - self.padding[1];
            ([ylo, yhi, lo, hi], [iy, ix])
        })
    }

    /// Every row of the im2col matrix of `channels` channels, in order: its channel and its
    /// tap ([`Window2d::tap`]).
    #[inline]
    fn rows(&self, channels: usize) -> impl Iterator<Item = (usize, Option<Tap>)> + '_ {
        let [kh, kw] = self.kernel;
        (0..channels).flat_map(move |c| (0..kh * kw).map(move |t| (c, self.tap(t / kw, t % kw))))
    }

    /// For a "same" window ([`Window2d::same_rows`]): the entries `a..b` of a tap's column row
    /// that one run of the input plane fills, from its first valid entry to its last, and the
    /// run's start in the plane.
    #[inline]
    fn same_run(&self, ([ylo, yhi, lo, hi], [iy, ix]): Tap) -> (std::ops::Range<usize>, usize) {
        let ow = self.out[1];
        (ylo * ow + lo..(yhi - 1) * ow + hi, iy * self.w + ix)
    }

    /// Whether output rows follow each other in memory as the input rows do: unit strides and
    /// as many output columns as input columns (a "same" convolution, such as 3×3 with padding
    /// 1). Then a tap's valid entries are one contiguous run of the input plane.
    #[inline]
    fn same_rows(&self) -> bool {
        self.stride == [1, 1] && self.out[1] == self.w
    }

    /// [`Im2colPlan::im2col`] of any window, output row by output row.
    fn im2col_rows<T: Element>(
        &self,
        x: &[T],
        channels: usize,
        cols: &mut [T],
        ld: usize,
        col0: usize,
    ) {
        let (l, plane, ow, w) = (self.positions(), self.plane(), self.out[1], self.w);
        let (sy, sx) = (self.stride[0], self.stride[1]);
        for (row, (c, tap)) in self.rows(channels).enumerate() {
            let dst = &mut cols[row * ld + col0..row * ld + col0 + l];
            let Some(([ylo, yhi, lo, hi], [iy, ix])) = tap else {
                dst.fill(T::zero());
                continue;
            };
            let xc = &x[c * plane..(c + 1) * plane];
            dst[..ylo * ow].fill(T::zero());
            dst[yhi * ow..].fill(T::zero());
            let lines = dst[ylo * ow..yhi * ow].chunks_exact_mut(ow);
            for (r, line) in lines.enumerate() {
                let src = &xc[(iy + r * sy) * w..(iy + r * sy + 1) * w];
                zero_edges(line, lo, hi);
                if sx == 1 {
                    line[lo..hi].copy_from_slice(&src[ix..ix + hi - lo]);
                } else {
                    let taps = src[ix..].iter().step_by(sx);
                    line[lo..hi].iter_mut().zip(taps).for_each(|(v, &s)| *v = s);
                }
            }
        }
    }

    /// [`Im2colPlan::im2col`] of a "same" window ([`Window2d::same_rows`]): each row is one
    /// copy of its tap's run of the input plane, zeros around it, and zeros at the entries
    /// that wrapped around from the neighbouring input rows ([`SameTaps`]).
    fn im2col_same<T: Element>(
        &self,
        same: &SameTaps,
        x: &[T],
        channels: usize,
        cols: &mut [T],
        ld: usize,
        col0: usize,
    ) {
        let (l, plane) = (self.positions(), self.plane());
        let masked = Masked::<T>::new();
        for (c, tap, dst) in same.rows(cols, ld, col0, l, channels) {
            let Some(tap) = tap else {
                dst.fill(T::zero());
                continue;
            };
            if let Some(m) = masked {
                m.row(dst, x, c * plane + tap.first, tap.run.clone(), &tap.valid);
                continue;
            }
            dst[..tap.run.start].fill(T::zero());
            dst[tap.run.end..].fill(T::zero());
            let from = c * plane + tap.first;
            dst[tap.run.clone()].copy_from_slice(&x[from..from + tap.run.len()]);
            same.zero_wrapped(tap, dst);
        }
    }

    /// This window with its "same" taps worked out once ([`Im2colPlan`]).
    pub(crate) fn plan(&self) -> Im2colPlan {
        Im2colPlan {
            win: *self,
            same: self.same_rows().then(|| self.same_taps()),
        }
    }

    /// Every tap of a "same" window ([`SameTaps`]).
    fn same_taps(&self) -> SameTaps {
        let [kh, kw] = self.kernel;
        let (ow, l) = (self.out[1], self.positions());
        let mut wrapped = Vec::new();
        let taps = (0..kh * kw)
            .map(|t| {
                let tap @ ([ylo, yhi, lo, hi], _) = self.tap(t / kw, t % kw)?;
                let (run, first) = self.same_run(tap);
                let from = wrapped.len();
                for line in (ylo..yhi).map(|oy| oy * ow) {
                    let edges = (line..line + lo).chain(line + hi..line + ow);
                    wrapped.extend(edges.filter(|p| run.contains(p)));
                }
                Some(SameTap {
                    valid: im2col_masked::valid_bits(l, run.clone(), &wrapped[from..]),
                    run,
                    first,
                    wrapped: from..wrapped.len(),
                })
            })
            .collect();
        SameTaps { taps, wrapped }
    }

    /// col2im of one sample, the adjoint of [`Im2colPlan::im2col`]: adds every column entry
    /// `cols[r·ld + col0 + p]` into the input position it was read from (`x` `[c, h, w]`).
    pub(crate) fn col2im<T: Element>(
        &self,
        cols: &[T],
        ld: usize,
        col0: usize,
        channels: usize,
        x: &mut [T],
    ) {
        let (l, plane, ow, w) = (self.positions(), self.plane(), self.out[1], self.w);
        let (sy, sx) = (self.stride[0], self.stride[1]);
        for (row, (c, tap)) in self.rows(channels).enumerate() {
            let Some(([ylo, yhi, lo, hi], [iy, ix])) = tap else {
                continue;
            };
            let src = &cols[row * ld + col0..row * ld + col0 + l];
            let xc = &mut x[c * plane..(c + 1) * plane];
            let lines = src[ylo * ow..yhi * ow].chunks_exact(ow);
            for (r, line) in lines.enumerate() {
                let dst = &mut xc[(iy + r * sy) * w..(iy + r * sy + 1) * w];
                let from = line[lo..hi].iter();
                if sx == 1 {
                    let run = dst[ix..ix + hi - lo].iter_mut();
                    run.zip(from).for_each(|(d, &v)| *d += v);
                } else {
                    let taps = dst[ix..].iter_mut().step_by(sx);
                    taps.zip(from).for_each(|(d, &v)| *d += v);
                }
            }
        }
    }
}

/// A window with its "same" taps worked out once ([`Window2d::plan`]): im2col and col2im of
/// a whole batch share them.
pub(crate) struct Im2colPlan {
    win: Window2d,
    /// `Some` for a "same" window ([`Window2d::same_rows`]).
    same: Option<SameTaps>,
}

impl Im2colPlan {
    /// im2col of one sample: `x` is `[c, h, w]` row-major; row `r` of the result (tap `r` of
    /// the `c·kH·kW` taps) is written to `cols[r·ld + col0 ..][..oH·oW]`.
    pub(crate) fn im2col<T: Element>(
        &self,
        x: &[T],
        channels: usize,
        cols: &mut [T],
        ld: usize,
        col0: usize,
    ) {
        match &self.same {
            Some(same) => self.win.im2col_same(same, x, channels, cols, ld, col0),
            None => self.win.im2col_rows(x, channels, cols, ld, col0),
        }
    }

    /// [`Window2d::col2im`] from a scratch buffer it may overwrite: for a "same" window
    /// ([`Window2d::same_rows`]) it adds each tap's row under its mask of the entries that read
    /// the plane where the CPU has AVX-512 (`im2col_masked.rs`: the same sums in the same
    /// order, bit for bit); elsewhere it zeroes the entries that would wrap around into the
    /// neighbouring input rows and adds each tap as one contiguous run, rather than row by row
    /// (rows of a few entries do not vectorise): the same sums in the same order, but a `-0.0`
    /// sum may come out as `+0.0`.
    pub(crate) fn col2im_scratch<T: Element>(
        &self,
        cols: &mut [T],
        ld: usize,
        col0: usize,
        channels: usize,
        x: &mut [T],
    ) {
        let Some(same) = &self.same else {
            return self.win.col2im(cols, ld, col0, channels, x);
        };
        let (l, plane) = (self.win.positions(), self.win.plane());
        if let Some(m) = Masked::<T>::new() {
            for (c, tap, src) in same.rows(cols, ld, col0, l, channels) {
                if let Some(tap) = tap {
                    m.add_row(x, c * plane + tap.first, tap.run.clone(), src, &tap.valid);
                }
            }
            return;
        }
        // The runs are long (a whole plane): their additions are compiled for this CPU's
        // vectors.
        math::simd(
            #[inline(always)]
            || {
                for (c, tap, src) in same.rows(cols, ld, col0, l, channels) {
                    let Some(tap) = tap else {
                        continue;
                    };
                    same.zero_wrapped(tap, src);
                    let from = c * plane + tap.first;
                    let dst = x[from..from + tap.run.len()].iter_mut();
                    dst.zip(&src[tap.run.clone()]).for_each(|(d, &v)| *d += v);
                }
            },
        );
    }
}

/// One tap of a "same" window: the entries `run` of its column row that one copy of the input
/// plane fills, the run's start `first` in the plane, and the range of [`SameTaps`]' list
/// naming the entries inside the run that wrapped around from a neighbouring input row.
struct SameTap {
    run: std::ops::Range<usize>,
    first: usize,
    wrapped: std::ops::Range<usize>,
    /// The entries of the row that read the input ([`im2col_masked::valid_bits`]).
    valid: Vec<u64>,
}

/// A "same" window's taps as im2col lays them out (`None` for a tap that reads only padding),
/// and the entries to zero that their [`SameTap::wrapped`] ranges index.
struct SameTaps {
    taps: Vec<Option<SameTap>>,
    wrapped: Vec<usize>,
}

impl SameTaps {
    /// Every row of the im2col matrix of `channels` channels in `cols` (rows `ld` apart,
    /// entries `col0 .. col0 + l`), in order: its channel, its tap and its entries.
    #[inline]
    fn rows<'a, T>(
        &'a self,
        cols: &'a mut [T],
        ld: usize,
        col0: usize,
        l: usize,
        channels: usize,
    ) -> impl Iterator<Item = (usize, Option<&'a SameTap>, &'a mut [T])> + 'a {
        let taps = self.taps.len();
        let rows = cols.chunks_mut(ld).take(channels * taps).enumerate();
        rows.map(move |(row, line)| {
            let tap = self.taps[row % taps].as_ref();
            (row / taps, tap, &mut line[col0..col0 + l])
        })
    }

    /// Zeroes the entries of a row that `tap`'s run wrapped around from a neighbouring input
    /// row.
    #[inline]
    fn zero_wrapped<T: Element>(&self, tap: &SameTap, row: &mut [T]) {
        let wrapped = &self.wrapped[tap.wrapped.clone()];
        wrapped.iter().for_each(|&p| row[p] = T::zero());
    }
}

/// A tap's valid output rows and columns `[ylo, yhi, lo, hi]` and the input position
/// `[iy, ix]` that output `(ylo, lo)` reads ([`Window2d::tap`]).
type Tap = ([usize; 4], [usize; 2]);

/// Zeroes `line` outside `lo..hi`: the padding columns of one output row, a few entries each
/// side, stored one by one below three (a `memset` call would cost more than the stores).
#[inline]
fn zero_edges<T: Element>(line: &mut [T], lo: usize, hi: usize) {
    let (left, rest) = line.split_at_mut(lo);
    clear_few(left);
    clear_few(&mut rest[hi - lo..]);
}

#[inline]
fn clear_few<T: Element>(s: &mut [T]) {
    match s {
        [] => {}
        [a] => *a = T::zero(),
        [a, b] => (*a, *b) = (T::zero(), T::zero()),
        _ => s.fill(T::zero()),
    }
}

/// GEMM columns a chunk aims for: below this, packing overhead dominates small images.
const TARGET_COLS: usize = 512;

/// Samples per parallel task for images of `l` output positions (at least 1, at most `n`);
/// a function of the shapes only, so the work split never depends on the thread count.
pub(crate) fn samples_per_chunk(n: usize, l: usize) -> usize {
    TARGET_COLS.div_ceil(l.max(1)).clamp(1, n.max(1))
}

/// The sizes of a 2-D convolution: batch `n`, input channels `c`, output channels `o`,
/// `groups`, and the window.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Conv2dShape {
    pub(crate) n: usize,
    pub(crate) c: usize,
    pub(crate) o: usize,
    pub(crate) groups: usize,
    pub(crate) win: Window2d,
}

impl Conv2dShape {
    /// Are the columns of every chunk of `s_max` samples (the last one's too) a whole number
    /// of the shifted products' tiles, so that those products can read them in place?
    fn whole_tiles<T: Element>(&self, s_max: usize) -> bool {
        let Some(nr) = shifted_width::<T>() else {
            return false;
        };
        let l = self.win.positions();
        let last = self.n - (self.n - 1) / s_max * s_max;
        [s_max, last].iter().all(|&s| (s * l).is_multiple_of(nr))
    }
    /// Rows of one group's im2col matrix: `C/groups · kH·kW`.
    fn k(&self) -> usize {
        self.c / self.groups * self.win.taps()
    }
    /// Output channels per group.
    fn og(&self) -> usize {
        self.o / self.groups
    }
    /// Group `g` of the weight `[O, k]` as the GEMM's left operand, `[og, k]`.
    fn weight_g<'a, T>(&self, w: &'a [T], g: usize) -> MatRef<'a, T> {
        let (og, k) = (self.og(), self.k());
        MatRef {
            data: w,
            offset: g * og * k,
            rows: og,
            cols: k,
            row_stride: k,
            col_stride: 1,
        }
    }
    /// The forward as a shifted product (`conv_shifted.rs`), where one applies: one group.
    fn shifted_forward<T: Element>(&self, w: &[T]) -> Option<ShiftedConv<T>> {
        let win = &self.win;
        (self.groups == 1 && win.stride == [1, 1]).then_some(())?;
        let input = [win.h, win.w];
        ShiftedConv::new(
            self.weight_g(w, 0),
            self.c,
            input,
            win.kernel,
            win.padding,
            win.dilation,
        )
    }
    /// The input gradient as a shifted product: the output gradient convolved with the
    /// flipped, transposed weight `W̃[c, o, i, j] = W[o, c, kH−1−i, kW−1−j]` at padding
    /// `dilation·(kernel − 1) − padding` (which must not be negative), on the padded grid or
    /// on column copies alike: each element of `dx` is one chain over `O·kH·kW`, where
    /// col2im adds the taps' products one by one (the same terms, rounded otherwise; LeNet's
    /// 8×8 input gradient ran 20 % faster so).
    fn shifted_input_grad<T: Element>(&self, w: &[T]) -> Option<ShiftedConv<T>> {
        let win = &self.win;
        (self.groups == 1 && win.stride == [1, 1]).then_some(())?;
        let span = |d: usize| win.dilation[d] * (win.kernel[d] - 1);
        let pad = [
            span(0).checked_sub(win.padding[0])?,
            span(1).checked_sub(win.padding[1])?,
        ];
        let taps = win.taps();
        let flipped = self.flipped(w);
        let wt = MatRef::row_major(&flipped, self.c, self.o * taps);
        let conv = ShiftedConv::new(wt, self.o, win.out, win.kernel, pad, win.dilation)?;
        (conv.out() == [win.h, win.w]).then_some(conv)
    }
    /// The flipped, transposed weight `W̃[c, o, i, j] = W[o, c, kH−1−i, kW−1−j]` (one group).
    fn flipped<T: Element>(&self, w: &[T]) -> Vec<T> {
        let taps = self.win.taps();
        let mut flipped = vec![T::zero(); w.len()];
        for (oc, wo) in w.chunks_exact(self.c * taps).enumerate() {
            for (c, wc) in wo.chunks_exact(taps).enumerate() {
                for (t, &v) in wc.iter().enumerate() {
                    flipped[(c * self.o + oc) * taps + taps - 1 - t] = v;
                }
            }
        }
        flipped
    }
    /// Whether the window is 3×3, unit-stride, undilated and ungrouped: Winograd's shape.
    fn winograd_window(&self) -> bool {
        let win = &self.win;
        self.groups == 1 && win.kernel == [3, 3] && win.stride == [1, 1] && win.dilation == [1, 1]
    }
    /// The forward in Winograd's form (`winograd.rs`), where it applies.
    fn winograd_forward<T: Element>(&self, w: &[T]) -> Option<Winograd<T>> {
        let win = &self.win;
        self.winograd_window().then_some(())?;
        Winograd::new(w, self.o, self.c, [win.h, win.w], win.padding)
    }
    /// The input gradient in Winograd's form: the output gradient convolved with the flipped,
    /// transposed weight at padding `2 − padding`.
    fn winograd_input_grad<T: Element>(&self, w: &[T]) -> Option<Winograd<T>> {
        let win = &self.win;
        self.winograd_window().then_some(())?;
        let pad = [
            2usize.checked_sub(win.padding[0])?,
            2usize.checked_sub(win.padding[1])?,
        ];
        let conv = Winograd::new(&self.flipped(w), self.c, self.o, win.out, pad)?;
        (conv.out() == [win.h, win.w]).then_some(conv)
    }
    /// The weight gradient in Winograd's form, F(3×3, 2×2) (`winograd.rs`), where it applies.
    fn winograd_weight_grad<T: Element>(&self, x: &[T], g: &[T]) -> Option<Vec<T>> {
        let win = &self.win;
        self.winograd_window().then_some(())?;
        let (channels, input) = ([self.o, self.c], [win.h, win.w]);
        Winograd::weight_grad(x, g, self.n, channels, input, win.padding)
    }
    /// Rows `g·rows .. (g+1)·rows` of a row-major `[_, cols]` buffer.
    fn rows_g<T>(buf: &[T], g: usize, rows: usize, cols: usize) -> MatRef<'_, T> {
        MatRef {
            data: buf,
            offset: g * rows * cols,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }
    /// im2col of samples `b0 .. b0 + s` of `x` into `cols` `[C·kH·kW, s·L]`.
    fn im2col_chunk<T: Element>(
        &self,
        plan: &Im2colPlan,
        x: &[T],
        b0: usize,
        s: usize,
        cols: &mut Vec<T>,
    ) {
        let (win, l) = (&self.win, self.win.positions());
        let chw = self.c * win.plane();
        cols.resize(self.c * win.taps() * s * l, T::zero());
        for j in 0..s {
            let xb = &x[(b0 + j) * chw..(b0 + j + 1) * chw];
            plan.im2col(xb, self.c, cols, s * l, j * l);
        }
    }
}

/// Forward of a 2-D convolution: `x` `[N, C, H, W]`, `w` `[O, C/groups, kH, kW]`, `bias`
/// `[O]`, all row-major; returns `y` `[N, O, oH, oW]` row-major.
pub(crate) fn conv2d_forward<T: Element>(
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
    sh: &Conv2dShape,
) -> Vec<T> {
    let (l, o, og, k) = (sh.win.positions(), sh.o, sh.og(), sh.k());
    if sh.n * o * l == 0 {
        return Vec::new();
    }
    if let Some(conv) = sh.winograd_forward(w) {
        return conv.run_batch(x, bias, sh.n);
    }
    if let Some(conv) = sh.shifted_forward(w) {
        return conv.run_batch(x, bias, sh.n);
    }
    let s_max = samples_per_chunk(sh.n, l);
    let plan = sh.win.plan();
    let mut y = crate::buffer_cache::zeroed(sh.n * o * l, T::zero());
    // Each group's weight packed once, for products reading the im2col rows in place, where
    // every chunk's columns are whole tiles.
    let packed: Option<Vec<ShiftedA<T>>> = sh
        .whole_tiles::<T>(s_max)
        .then(|| {
            (0..sh.groups)
                .map(|g| ShiftedA::pack(sh.weight_g(w, g)))
                .collect()
        })
        .flatten();
    let chunk = |(cols, tmp): &mut (Vec<T>, Vec<T>), (ci, yc): (usize, &mut [T])| {
        let s = yc.len() / (o * l);
        sh.im2col_chunk(&plan, x, ci * s_max, s, cols);
        for g in 0..sh.groups {
            let b = Conv2dShape::rows_g(cols, g, k, s * l);
            let group_cols = &cols[g * k * s * l..(g + 1) * k * s * l];
            if let Some(wg) = packed.as_ref().map(|p| &p[g]) {
                if wg.padded_rows() == og && l.is_multiple_of(wg.nr()) {
                    // Straight into `y`: no rows past the group's to spill into the next
                    // channel's, no tile across two samples.
                    let y = math::as_uninit(&mut yc[g * og * l..]);
                    rows_into_output(wg, group_cols, s, [o, l], y);
                    continue;
                }
                rows_in_place(wg, group_cols, s * l, tmp);
            } else if s == 1 {
                gemm(
                    sh.weight_g(w, g),
                    b,
                    &mut yc[g * og * l..(g + 1) * og * l],
                    false,
                );
                continue;
            } else {
                tmp.resize(og * s * l, T::zero());
                gemm(sh.weight_g(w, g), b, tmp, false);
            }
            for j in 0..s {
                for r in 0..og {
                    let dst = (j * o + g * og + r) * l;
                    yc[dst..dst + l].copy_from_slice(&tmp[(r * s + j) * l..(r * s + j + 1) * l]);
                }
            }
        }
        if let Some(bias) = bias {
            for (row, &bo) in yc.chunks_exact_mut(l).zip(bias.iter().cycle()) {
                row.iter_mut().for_each(|v| *v += bo);
            }
        }
    };
    let size = s_max * o * l;
    if use_pool() {
        let chunks = y.par_chunks_mut(size).enumerate();
        chunks.for_each_init(|| (Vec::new(), Vec::new()), chunk);
    } else {
        let mut scratch = (Vec::new(), Vec::new());
        y.chunks_mut(size)
            .enumerate()
            .for_each(|c| chunk(&mut scratch, c));
    }
    y
}

/// Backward of [`conv2d_forward`] for the gradient `g` `[N, O, oH, oW]`: `dx` (if `need_dx`)
/// and `dW` (if `need_dw`), row-major.
pub(crate) fn conv2d_backward<T: Element>(
    x: &[T],
    w: &[T],
    g: &[T],
    sh: &Conv2dShape,
    need_dx: bool,
    need_dw: bool,
) -> (Option<Vec<T>>, Option<Vec<T>>) {
    let (n, o, k, chw) = (sh.n, sh.o, sh.k(), sh.c * sh.win.plane());
    if n == 0 || o == 0 || chw == 0 {
        return (
            need_dx.then(|| vec![T::zero(); n * chw]),
            need_dw.then(|| vec![T::zero(); o * k]),
        );
    }
    // Winograd's form where it applies (`winograd.rs`), else shifted products
    // (`conv_shifted.rs`), im2col for the rest.
    let dx = match need_dx.then(|| sh.winograd_input_grad(w)).flatten() {
        Some(conv) => Some(conv.run_batch(g, None, n)),
        None => need_dx
            .then(|| sh.shifted_input_grad(w))
            .flatten()
            .map(|conv| conv.run_batch(g, None, n)),
    };
    // Winograd's form where it applies; on column copies, the weight gradient sums the
    // samples in im2col's chunks: its bits.
    let dw = need_dw.then(|| sh.winograd_weight_grad(x, g)).flatten();
    let dw = dw.or_else(|| {
        let conv = need_dw.then(|| sh.shifted_forward(w)).flatten()?;
        let group = if conv.on_column_copies() {
            samples_per_chunk(n, sh.win.positions())
        } else {
            1
        };
        conv.weight_grad(x, g, group)
    });
    let rest = (need_dx && dx.is_none(), need_dw && dw.is_none());
    if rest == (false, false) {
        return (dx, dw);
    }
    let (dx2, dw2) = im2col_backward(x, w, g, sh, rest.0, rest.1);
    (dx.or(dx2), dw.or(dw2))
}

/// `out = W · cols` (`cols` `[K, L]` row-major, `L` a multiple of the tile width), the rows of
/// `cols` read in place as the right operand of `w`'s shifted product (no packing of
/// `cols`); `out` becomes `[M, L]`, `M` the weight's rows rounded up to the tile height.
fn rows_in_place<T: Element>(w: &ShiftedA<T>, cols: &[T], l: usize, out: &mut Vec<T>) {
    rows_by_sample(w, cols, 1, [cols.len() / l, l], out);
}

/// `out[r, j·L + p] = Σ_q W[r, q] · g[j, q, p]` for the `s` samples `j` of `g` (`[s, O, L]`,
/// `L` a multiple of the tile width), each sample's rows read in place; `out` becomes
/// `[M, s·L]`, `M` the weight's rows rounded up to the tile height. The products of
/// [`rows_in_place`] (the case `s = 1`) over `g` copied into one `[O, s·L]` matrix, without
/// the copy.
fn rows_by_sample<T: Element>(
    w: &ShiftedA<T>,
    g: &[T],
    s: usize,
    [o, l]: [usize; 2],
    out: &mut Vec<T>,
) {
    let len = w.padded_rows() * s * l;
    let offs: Vec<usize> = (0..o).map(|r| r * l).collect();
    let tiles: Vec<(usize, usize)> = (0..s)
        .flat_map(|j| {
            (0..l)
                .step_by(w.nr())
                .map(move |p| (j * o * l + p, j * l + p))
        })
        .collect();
    out.clear();
    out.reserve(len);
    w.multiply(
        g,
        &offs,
        &tiles,
        &mut out.spare_capacity_mut()[..len],
        s * l,
    );
    // SAFETY: the tiles cover all `s·L` columns of every one of the padded rows, and
    // `multiply` writes every element of its tiles: all `len` elements are initialised.
    unsafe { out.set_len(len) };
}

/// `y[j, r, p] = Σ_q W[r, q] · cols[q, j·L + p]` for the `s` samples `j` of a chunk (`cols`
/// `[K, s·L]`, `L` a multiple of the tile width), the rows of `cols` read in place as in
/// [`rows_in_place`] (which is the case `s = 1`), each tile written straight into the rows
/// of its sample in `y` (`[s, O, L]` from the group's first channel on, row stride `L`),
/// rather than into a `[M, s·L]` buffer copied out sample by sample. For `s > 1`, `W` must
/// have no padding rows (`padded_rows() == rows`): they would land in the next channels.
fn rows_into_output<T: Element>(
    w: &ShiftedA<T>,
    cols: &[T],
    s: usize,
    [o, l]: [usize; 2],
    y: &mut [MaybeUninit<T>],
) {
    let k = cols.len() / (s * l);
    let offs: Vec<usize> = (0..k).map(|p| p * s * l).collect();
    let tiles: Vec<(usize, usize)> = (0..s)
        .flat_map(|j| {
            (0..l)
                .step_by(w.nr())
                .map(move |p| (j * l + p, j * o * l + p))
        })
        .collect();
    w.multiply(cols, &offs, &tiles, y, l);
}

/// `dW = G · colsᵀ` (`G` `[O, L]`, `cols` `[K, L]` row-major, `dW` `[O, K]`) computed as
/// `dWᵀ = cols · Gᵀ` with the rows of `cols` read in place as the left operand
/// (`matmul::shifted::gemm_shifted_a`): only `G`, `K / O` times smaller, is transposed while
/// packing, not `cols`. `false`, touching nothing, where this CPU has no such kernel.
fn weight_grad_in_place<T: Element>(cols: &[T], g: MatRef<'_, T>, dw: &mut [T]) -> bool {
    let (o, l) = (g.rows, g.cols);
    let k = dw.len() / o.max(1);
    let offs: Vec<usize> = (0..k).map(|r| r * l).collect();
    let mut dwt = vec![T::zero(); k * o];
    if !gemm_shifted_a(cols, &offs, g.t(), &mut dwt, false) {
        return false;
    }
    for (r, row) in dwt.chunks_exact(o).enumerate() {
        for (oc, &v) in row.iter().enumerate() {
            dw[oc * k + r] = v;
        }
    }
    true
}

/// [`conv2d_backward`] through im2col: `dx` (if `need_dx`) and `dW` (if `need_dw`).
fn im2col_backward<T: Element>(
    x: &[T],
    w: &[T],
    g: &[T],
    sh: &Conv2dShape,
    need_dx: bool,
    need_dw: bool,
) -> (Option<Vec<T>>, Option<Vec<T>>) {
    let (win, n, o, og, k) = (&sh.win, sh.n, sh.o, sh.og(), sh.k());
    let (l, chw) = (win.positions(), sh.c * win.plane());
    let s_max = samples_per_chunk(n, l);
    let plan = win.plan();
    let chunks = n.div_ceil(s_max);
    let mut dx = if need_dx {
        crate::buffer_cache::zeroed(n * chw, T::zero())
    } else {
        Vec::new()
    };
    // `Wᵀ` packed once, for products reading the rows of each chunk's gradient in place.
    let wt_packed = (need_dx && sh.groups == 1 && sh.whole_tiles::<T>(s_max))
        .then(|| ShiftedA::pack(sh.weight_g(w, 0).t()))
        .flatten();
    let slots: Vec<Option<&mut [T]>> = if need_dx {
        dx.chunks_mut(s_max * chw).map(Some).collect()
    } else {
        (0..chunks).map(|_| None).collect()
    };
    let chunk = |(gbuf, cols): &mut (Vec<T>, Vec<T>), (ci, dxc): (usize, Option<&mut [T]>)| {
        let b0 = ci * s_max;
        let s = s_max.min(n - b0);
        let sl = s * l;
        let chunk_g = &g[b0 * o * l..(b0 + s) * o * l];
        // With no weight gradient to feed, `Wᵀ · G` reads each sample's rows of `G` where
        // they lie, if a sample's positions are whole tiles.
        let by_sample = !need_dw
            && s > 1
            && wt_packed
                .as_ref()
                .is_some_and(|wt| l.is_multiple_of(wt.nr()));
        // The chunk's gradient as one [O, s·L] matrix (sample-major columns).
        let gc: &[T] = if s == 1 || by_sample {
            chunk_g
        } else {
            gbuf.resize(o * sl, T::zero());
            for j in 0..s {
                for r in 0..o {
                    let src = ((b0 + j) * o + r) * l;
                    gbuf[r * sl + j * l..r * sl + (j + 1) * l].copy_from_slice(&g[src..src + l]);
                }
            }
            gbuf
        };
        if let Some(dxc) = dxc {
            match &wt_packed {
                // One group: `cols = Wᵀ · G` with the rows of `G` read in place.
                Some(wt) if by_sample => rows_by_sample(wt, chunk_g, s, [o, l], cols),
                Some(wt) => rows_in_place(wt, gc, sl, cols),
                None => {
                    cols.resize(sh.c * win.taps() * sl, T::zero());
                    for gi in 0..sh.groups {
                        let wt = sh.weight_g(w, gi).t();
                        let gg = Conv2dShape::rows_g(gc, gi, og, sl);
                        gemm(wt, gg, &mut cols[gi * k * sl..(gi + 1) * k * sl], false);
                    }
                }
            }
            for j in 0..s {
                plan.col2im_scratch(cols, sl, j * l, sh.c, &mut dxc[j * chw..(j + 1) * chw]);
            }
        }
        if !need_dw {
            return Vec::new();
        }
        let mut part = crate::buffer_cache::zeroed(o * k, T::zero());
        sh.im2col_chunk(&plan, x, b0, s, cols);
        for gi in 0..sh.groups {
            let gg = Conv2dShape::rows_g(gc, gi, og, sl);
            let dw = &mut part[gi * og * k..(gi + 1) * og * k];
            if !weight_grad_in_place(&cols[gi * k * sl..(gi + 1) * k * sl], gg, dw) {
                let ct = Conv2dShape::rows_g(cols, gi, k, sl).t();
                gemm(gg, ct, dw, false);
            }
        }
        part
    };
    let partials: Vec<Vec<T>> = if use_pool() {
        let chunks = slots.into_par_iter().enumerate();
        chunks
            .map_init(|| (Vec::new(), Vec::new()), chunk)
            .collect()
    } else {
        let mut scratch = (Vec::new(), Vec::new());
        let chunks = slots.into_iter().enumerate();
        chunks.map(|c| chunk(&mut scratch, c)).collect()
    };
    let dw = need_dw.then(|| {
        let mut dw = crate::buffer_cache::zeroed(o * k, T::zero());
        for part in partials {
            dw.iter_mut().zip(&part).for_each(|(d, &p)| *d += p);
            crate::buffer_cache::recycle(part);
        }
        dw
    });
    (need_dx.then_some(dx), dw)
}

/// `db[o] = Σ_{n, p} g[n, o, p]` for `g` `[N, O, L]`: each sample's plane summed in lanes
/// ([`math::add_lanes`]), the samples added in order.
pub(crate) fn conv_bias_grad<T: Element>(g: &[T], n: usize, o: usize, l: usize) -> Vec<T> {
    let channel = |r: usize| {
        let planes = (0..n).map(|b| math::add_lanes(&g[(b * o + r) * l..(b * o + r + 1) * l]));
        math::add_all(planes)
    };
    if use_pool() {
        (0..o).into_par_iter().map(channel).collect()
    } else {
        (0..o).map(channel).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::{
        conv2d_backward, conv2d_forward, im2col_backward, rows_by_sample, rows_in_place,
        Conv2dShape, Window2d,
    };
    use crate::element::Element;
    use crate::kernels::matmul::shifted::ShiftedA;
    use crate::kernels::matmul::MatRef;

    /// im2col of "same" windows (each tap one run of the plane; by AVX-512 masked loads where
    /// the CPU has them) gives exactly the general row-by-row im2col's values, zeros included.
    #[test]
    fn same_window_im2col_matches_the_row_by_row_one() {
        let shapes = [
            ([8, 8], [3, 3], [1, 1]),
            ([5, 7], [3, 3], [1, 1]),
            ([6, 6], [5, 5], [2, 2]),
            ([9, 4], [3, 1], [1, 0]),
            ([3, 20], [3, 3], [1, 1]),
            ([9, 12], [3, 3], [1, 1]),
        ];
        for (input, kernel, padding) in shapes {
            let win = Window2d::new(input, kernel, [1, 1], padding, [1, 1]).unwrap();
            let plan = win.plan();
            assert!(plan.same.is_some(), "{input:?} {kernel:?} is a same window");
            let channels = 3;
            let (l, rows) = (win.positions(), channels * win.taps());
            let x32: Vec<f32> = (0..channels * win.plane())
                .map(|i| 1.0 + i as f32)
                .collect();
            let x64: Vec<f64> = x32.iter().map(|&v| v as f64 + 0.5).collect();
            // Two samples side by side (`col0` 0 and `l`), rows `2l` apart, NaN-filled first.
            let (mut got32, mut want32) =
                (vec![f32::NAN; rows * 2 * l], vec![f32::NAN; rows * 2 * l]);
            let (mut got64, mut want64) =
                (vec![f64::NAN; rows * 2 * l], vec![f64::NAN; rows * 2 * l]);
            for col0 in [0, l] {
                plan.im2col(&x32, channels, &mut got32, 2 * l, col0);
                win.im2col_rows(&x32, channels, &mut want32, 2 * l, col0);
                plan.im2col(&x64, channels, &mut got64, 2 * l, col0);
                win.im2col_rows(&x64, channels, &mut want64, 2 * l, col0);
            }
            let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let bits64 = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits32(&got32), bits32(&want32), "f32 {input:?} {kernel:?}");
            assert_eq!(bits64(&got64), bits64(&want64), "f64 {input:?} {kernel:?}");
        }
    }

    /// col2im of "same" windows from scratch columns (by AVX-512 masked loads where the CPU
    /// has them) adds exactly what the general col2im adds, in its order.
    #[test]
    fn same_window_col2im_matches_the_row_by_row_one() {
        for (input, kernel, padding) in [([8, 8], [3, 3], [1, 1]), ([9, 12], [3, 3], [1, 1])] {
            let win = Window2d::new(input, kernel, [1, 1], padding, [1, 1]).unwrap();
            let plan = win.plan();
            let channels = 2;
            let l = win.positions();
            let n = channels * win.taps() * 2 * l;
            let cols32: Vec<f32> = (0..n)
                .map(|i| ((i * 7919) % 1000) as f32 / 7.0 - 70.0)
                .collect();
            let cols64: Vec<f64> = cols32.iter().map(|&v| v as f64 / 3.0).collect();
            let start32: Vec<f32> = (0..channels * win.plane())
                .map(|i| i as f32 / 3.0)
                .collect();
            let start64: Vec<f64> = start32.iter().map(|&v| v as f64).collect();
            let (mut got32, mut want32) = (start32.clone(), start32);
            let (mut got64, mut want64) = (start64.clone(), start64);
            for col0 in [0, l] {
                plan.col2im_scratch(&mut cols32.clone(), 2 * l, col0, channels, &mut got32);
                win.col2im(&cols32, 2 * l, col0, channels, &mut want32);
                plan.col2im_scratch(&mut cols64.clone(), 2 * l, col0, channels, &mut got64);
                win.col2im(&cols64, 2 * l, col0, channels, &mut want64);
            }
            let bits32 = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let bits64 = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits32(&got32), bits32(&want32), "f32 {input:?}");
            assert_eq!(bits64(&got64), bits64(&want64), "f64 {input:?}");
        }
    }

    /// The weight gradient on column copies (`conv_shifted.rs`, `Layout::Columns`) gives the
    /// bits of im2col's: the samples in im2col's chunks, each `KC` block one chain across them.
    /// `digits_cnn`'s second layer (16 columns a sample: a chunk of 32 samples, 512 columns,
    /// in two blocks where `KC` is 256; in `f32` its 16 outputs would fill half a tile of 32,
    /// so it takes im2col itself), 8×8 images with 3 channels (8 samples a chunk, the last of
    /// 4), and a 3×5 window with padding (0, 2) on 7×9 (45 columns: blocks end inside
    /// samples), in `f32` and `f64`.
    #[test]
    fn column_copies_weight_gradient_has_im2cols_bits() {
        fn case<T: Element>(n: usize, c: usize, input: [usize; 2], o: usize, kernel: [usize; 2]) {
            let padding = [(kernel[0] - 1) / 2, (kernel[1] - 1) / 2];
            let win = Window2d::new(input, kernel, [1, 1], padding, [1, 1]).unwrap();
            let sh = Conv2dShape {
                n,
                c,
                o,
                groups: 1,
                win,
            };
            let (x, w, g) = operands::<T>(&sh);
            if let Some(conv) = sh.shifted_forward(&w) {
                assert!(
                    conv.on_column_copies(),
                    "{input:?} {kernel:?} on column copies"
                );
            }
            let (_, got) = conv2d_backward(&x, &w, &g, &sh, false, true);
            let (_, want) = im2col_backward(&x, &w, &g, &sh, false, true);
            let bits = |v: Option<Vec<T>>| {
                v.unwrap()
                    .iter()
                    .map(|x| x.as_f64().to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(bits(got), bits(want), "{n} x {c} x {input:?}, {kernel:?}");
        }
        for (n, c, input, o, kernel) in [
            (64, 16, [4, 4], 32, [3, 3]),
            (20, 3, [8, 8], 16, [3, 3]),
            (9, 2, [7, 9], 5, [3, 5]),
        ] {
            case::<f32>(n, c, input, o, kernel);
            case::<f64>(n, c, input, o, kernel);
        }
    }

    /// Deterministic `x`, `w` and `g` of the sizes of `sh`, values in [−5, 5.3].
    fn operands<T: Element>(sh: &Conv2dShape) -> (Vec<T>, Vec<T>, Vec<T>) {
        let (n, c, o, win) = (sh.n, sh.c, sh.o, &sh.win);
        let value = |i: usize, m: usize| T::from_f64(((i * m) % 997) as f64 / 97.0 - 5.0);
        let x: Vec<T> = (0..n * c * win.plane()).map(|i| value(i, 7919)).collect();
        let w: Vec<T> = (0..o * sh.k()).map(|i| value(i, 104_729)).collect();
        let g: Vec<T> = (0..n * o * win.positions())
            .map(|i| value(i, 15_485_863))
            .collect();
        (x, w, g)
    }

    /// The forward, input gradient and weight gradient of 3×3 windows with at least 32
    /// channels each way (Winograd's form, `winograd.rs`) against the definition and
    /// im2col's: the same up to rounding, a millionth (`f32`) or 1e-13 (`f64`) of a bound on
    /// any output's `Σ |terms|` (`Σ |w| · max |x|`; `Σ |x| · max |g|` for the weight's).
    /// Paddings 0, 1 and 2; odd and even sizes; more tiles than one block of the weight
    /// gradient (110 against 64).
    #[test]
    fn winograd_forward_and_gradients_match_the_definition_and_im2col() {
        fn case<T: Element>(n: usize, [c, o]: [usize; 2], input: [usize; 2], pad: usize, tol: f64) {
            let win = Window2d::new(input, [3, 3], [1, 1], [pad, pad], [1, 1]).unwrap();
            let sh = Conv2dShape {
                n,
                c,
                o,
                groups: 1,
                win,
            };
            if sh.winograd_forward(&vec![T::zero(); o * sh.k()]).is_none() {
                return; // this CPU has no in-place products (portable path)
            }
            let (x, w, g) = operands::<T>(&sh);
            let b: Vec<T> = (0..o)
                .map(|i| T::from_f64(((i * 31) % 997) as f64 / 97.0 - 5.0))
                .collect();
            let abs = |v: &[T]| v.iter().map(|e| e.as_f64().abs()).sum::<f64>();
            let bound = abs(&w) * 5.0 + abs(&b);
            let close = |got: &[T], want: &[T], bound: f64, what: &str| {
                assert_eq!(got.len(), want.len());
                for (i, (g, w)) in got.iter().zip(want).enumerate() {
                    let err = (g.as_f64() - w.as_f64()).abs();
                    assert!(err <= tol * bound, "{what} {i}: {g:?} against {w:?}");
                }
            };
            // The forward against the definition in f64, the input gradient against im2col's.
            let y = conv2d_forward(&x, &w, Some(&b), &sh);
            let mut want = vec![T::zero(); y.len()];
            let l = win.positions();
            for s in 0..n {
                for oc in 0..o {
                    for p in 0..l {
                        let (r, q) = (p / win.out[1], p % win.out[1]);
                        let mut acc = b[oc].as_f64();
                        for ch in 0..c {
                            for t in 0..9 {
                                let (xr, xq) = (
                                    (r + t / 3) as isize - pad as isize,
                                    (q + t % 3) as isize - pad as isize,
                                );
                                if xr < 0
                                    || xq < 0
                                    || xr >= input[0] as isize
                                    || xq >= input[1] as isize
                                {
                                    continue;
                                }
                                let xv = x[((s * c + ch) * input[0] + xr as usize) * input[1]
                                    + xq as usize];
                                acc += w[(oc * c + ch) * 9 + t].as_f64() * xv.as_f64();
                            }
                        }
                        want[(s * o + oc) * l + p] = T::from_f64(acc);
                    }
                }
            }
            close(&y, &want, bound, "forward");
            let (dx, _) = conv2d_backward(&x, &w, &g, &sh, true, false);
            let (want, _) = im2col_backward(&x, &w, &g, &sh, true, false);
            close(&dx.unwrap(), &want.unwrap(), bound, "input gradient");
            // The weight gradient sums over samples and positions: its bound is Σ |x| · max |g|.
            let (_, dw) = conv2d_backward(&x, &w, &g, &sh, false, true);
            let (_, want) = im2col_backward(&x, &w, &g, &sh, false, true);
            close(
                &dw.unwrap(),
                &want.unwrap(),
                abs(&x) * 5.0,
                "weight gradient",
            );
        }
        for (n, co, input, pad) in [
            (2, [32, 40], [7, 9], 1),
            (1, [33, 32], [6, 5], 0),
            (3, [32, 35], [5, 8], 2),
            (1, [32, 32], [20, 21], 1),
            // 35 samples: groups of 3 in the weight gradient, the last of 2.
            (35, [32, 32], [3, 4], 1),
        ] {
            case::<f32>(n, co, input, pad, 1e-6);
            case::<f64>(n, co, input, pad, 1e-13);
        }
    }

    /// `Wᵀ · G` reading each sample's rows of `G` where they lie (`[s, O, L]`) gives the bits
    /// of the product over `G` copied into one `[O, s·L]` matrix: 3 samples of 64 positions,
    /// 5 rows of `G` into 9 (a partial tile), `f32` and `f64`.
    #[test]
    fn rows_read_by_sample_match_rows_of_the_copied_gradient() {
        fn case<T: Element>() {
            let (s, o, l, m) = (3, 5, 64, 9);
            let value = |i: usize| T::from_f64(((i * 7919) % 997) as f64 / 97.0 - 5.0);
            let w: Vec<T> = (0..m * o).map(value).collect();
            let Some(wt) = ShiftedA::pack(MatRef::row_major(&w, m, o)) else {
                return; // this CPU has no shifted products
            };
            if l % wt.nr() != 0 {
                return;
            }
            let g: Vec<T> = (0..s * o * l).map(|i| value(i + 31)).collect();
            let mut copied = vec![T::zero(); o * s * l];
            for j in 0..s {
                for r in 0..o {
                    let (src, dst) = ((j * o + r) * l, r * s * l + j * l);
                    copied[dst..dst + l].copy_from_slice(&g[src..src + l]);
                }
            }
            let (mut got, mut want) = (Vec::new(), Vec::new());
            rows_by_sample(&wt, &g, s, [o, l], &mut got);
            rows_in_place(&wt, &copied, s * l, &mut want);
            let bits = |v: &[T]| v.iter().map(|x| x.as_f64().to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want));
        }
        case::<f32>();
        case::<f64>();
    }
}
