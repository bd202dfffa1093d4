//! Pooling over the last two dimensions: `max_pool2d` (with indices), `avg_pool2d`,
//! `adaptive_avg_pool2d` and `max_pool1d` (`F.max_pool2d`, `F.avg_pool2d`,
//! `F.adaptive_avg_pool2d`, `F.max_pool1d`).
//!
//! Every input is read as a stack of `[H, W]` planes (`[N, C, H, W]` or `[C, H, W]`). Max
//! pooling records, for each output, the flat index `h·W + w` of the chosen input (PyTorch's
//! `return_indices`; the first maximum on ties, a NaN wins, as in PyTorch's CPU kernel), and its
//! derivative routes the gradient there with `scatter_add`. Average pooling is linear, with
//! windows separable into a row range and a column range; its derivative spreads each gradient
//! evenly over the window, an op whose own derivative is the average pooling again.

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::kernels::max_pool_2x2::Windows2x2;
use crate::ops::par::{for_each_chunk as per_plane, written_chunk_pairs, written_chunks};
use crate::tensor::Tensor;
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;
use std::hint::select_unpredictable;
use std::mem::MaybeUninit;
use std::sync::Arc;

/// PyTorch's `pooling_output_shape`: the output length along one dimension, possibly ≤ 0.
fn pool_out_len(input: usize, k: usize, p: usize, s: usize, d: usize, ceil: bool) -> i64 {
    let (input, k, p, s, d) = (input as i64, k as i64, p as i64, s as i64, d as i64);
    let num = input + 2 * p - d * (k - 1) - 1 + if ceil { s - 1 } else { 0 };
    let mut out = num.div_euclid(s) + 1;
    // The last window must start inside the input or its left padding.
    if ceil && (out - 1) * s >= input + p {
        out -= 1;
    }
    out
}

/// The checks PyTorch's `pool2d_shape_check` makes, worded as its messages; returns the input
/// shape and the output size.
#[allow(clippy::too_many_arguments)]
fn check_pool(
    op: &str,
    shape: &[usize],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    dilation: [usize; 2],
    ceil_mode: bool,
) -> [usize; 2] {
    assert!(
        (shape.len() == 3 || shape.len() == 4) && shape.iter().skip(1).all(|&d| d > 0),
        "{op}: non-empty 3D or 4D (batch mode) tensor expected for input, but got input of size \
         {shape:?}"
    );
    assert!(
        kernel.iter().all(|&k| k > 0),
        "{op}: kernel size should be greater than zero, but got kH: {} kW: {}",
        kernel[0],
        kernel[1]
    );
    assert!(
        stride.iter().all(|&s| s > 0),
        "{op}: stride should be greater than zero, but got dH: {} dW: {}",
        stride[0],
        stride[1]
    );
    assert!(
        dilation.iter().all(|&d| d > 0),
        "{op}: dilation should be greater than zero, but got dilationH: {} dilationW: {}",
        dilation[0],
        dilation[1]
    );
    for d in 0..2 {
        assert!(
            padding[d] <= kernel[d] / 2,
            "{op}: pad should be at most half of effective kernel size, but got pad={}, \
             kernel_size={} and dilation={}",
            padding[d],
            kernel[d],
            dilation[d]
        );
    }
    let r = shape.len();
    let (h, w) = (shape[r - 2], shape[r - 1]);
    let oh = pool_out_len(h, kernel[0], padding[0], stride[0], dilation[0], ceil_mode);
    let ow = pool_out_len(w, kernel[1], padding[1], stride[1], dilation[1], ceil_mode);
    if oh < 1 || ow < 1 {
        panic!(
            "{op}: Given input size: ({}x{h}x{w}). Calculated output size: ({}x{oh}x{ow}). \
             Output size is too small",
            shape[r - 3],
            shape[r - 3]
        );
    }
    [oh as usize, ow as usize]
}

/// The input shape with the last two dimensions replaced by `out`.
fn out_shape(shape: &[usize], out: [usize; 2]) -> Vec<usize> {
    let mut s = shape[..shape.len() - 2].to_vec();
    s.extend_from_slice(&out);
    s
}

impl<T: Element> Tensor<T> {
    /// 2-D max pooling (`F.max_pool2d(input, kernel_size, stride, padding, dilation,
    /// ceil_mode)`) over the last two dimensions of a `[N, C, H, W]` or `[C, H, W]` input;
    /// padding is `-∞` (never chosen). Derivative: the gradient goes to the position of the
    /// maximum, the first one on ties (`MaxPool2DWithIndicesBackward0`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 16.0, 1.0).reshape(&[1, 1, 4, 4]);
    /// let y = x.max_pool2d([2, 2], [2, 2], [0, 0], [1, 1], false);
    /// assert_eq!(y.to_vec(), [5.0, 7.0, 13.0, 15.0]);
    /// ```
    pub fn max_pool2d(
        &self,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
    ) -> Tensor<T> {
        self.max_pool2d_with_indices(kernel_size, stride, padding, dilation, ceil_mode)
            .0
    }

    /// [`Tensor::max_pool2d`] that also returns, for every output, the flat index `h·W + w`
    /// of the chosen element within its `[H, W]` plane (`F.max_pool2d(...,
    /// return_indices=True)`), as an i64 tensor of the output's shape.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0, 2.0], &[1, 1, 2, 2]);
    /// let (v, i) = x.max_pool2d_with_indices([2, 2], [2, 2], [0, 0], [1, 1], false);
    /// assert_eq!((v.to_vec(), i.to_vec()), (vec![3.0], vec![1])); // the first of the tie
    /// ```
    pub fn max_pool2d_with_indices(
        &self,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
    ) -> (Tensor<T>, Tensor<i64>) {
        let shape = self.shape();
        let out = check_pool(
            "max_pool2d",
            &shape,
            kernel_size,
            stride,
            padding,
            dilation,
            ceil_mode,
        );
        let r = shape.len();
        let (h, w) = (shape[r - 2], shape[r - 1]);
        let x = self.read_values();
        let planes = x.len() / (h * w);
        // Per output position along dimension `d`: its window's first input row (or column)
        // and how many of its taps fall inside the input (those are consecutive, `dilation`
        // apart). Every window has one at least: the padding is at most half the effective
        // kernel (`check_pool`), and the last window starts inside the input.
        let windows = |d: usize, size: usize| -> Vec<(usize, usize)> {
            let taps = |o: usize| {
                (0..kernel_size[d]).filter_map(move |k| {
                    let p = (o * stride[d] + k * dilation[d]).checked_sub(padding[d])?;
                    (p < size).then_some(p)
                })
            };
            (0..out[d])
                .map(|o| (taps(o).next().unwrap_or(0), taps(o).count()))
                .collect()
        };
        if kernel_size == [2, 2]
            && stride == [2, 2]
            && padding == [0, 0]
            && dilation == [1, 1]
            && 2 * out[0] <= h
            && 2 * out[1] <= w
        {
            let (values, indices) = max_pool_2x2(&x, [h, w], out);
            return self.max_pool_recorded(values, indices, out);
        }
        let (rows, cols) = (windows(0, h), windows(1, w));
        let [dy, dx] = dilation;
        // Each output's index first, then its value read from there: two flat buffers from
        // the buffer cache (a vector of pairs was a fresh 16 bytes an output, page-faulted in
        // on each call).
        let per = out[0] * out[1];
        let mut indices = crate::buffer_cache::zeroed(planes * per, 0i64);
        per_plane(&mut indices, per, x.len(), |p, o| {
            let plane = &x[p * h * w..(p + 1) * h * w];
            for (o, &(y0, ny)) in o.chunks_mut(out[1]).zip(&rows) {
                for (o, &(x0, nx)) in o.iter_mut().zip(&cols) {
                    // Where the best tap so far is (its value read back from there),
                    // starting at the first tap. A tap wins if larger or NaN, so the first
                    // of equal maxima wins and the last NaN. Only the index is selected, an
                    // integer `cmov`: which tap wins is data, and a mispredicted jump a tap
                    // (what a selected float became) cost more than the comparison.
                    let mut best = y0 * w + x0;
                    for iy in (0..ny).map(|j| y0 + j * dy) {
                        for at in (0..nx).map(|j| iy * w + x0 + j * dx) {
                            let v = plane[at];
                            let take = (v > plane[best]) | v.is_nan();
                            best = select_unpredictable(take, at, best);
                        }
                    }
                    *o = best as i64;
                }
            }
        });
        // SAFETY: each chunk's loop writes every one of its elements.
        let values = unsafe {
            written_chunks(planes * per, per, x.len(), |p, o| {
                let (plane, idx) = (&x[p * h * w..(p + 1) * h * w], &indices[p * per..]);
                for (v, &i) in o.iter_mut().zip(idx) {
                    v.write(plane[i as usize]);
                }
            })
        };
        self.max_pool_recorded(values, indices, out)
    }

    /// The max pooling's values and indices (each `out` per plane of `self`) as tensors, the
    /// values recorded with their derivative.
    fn max_pool_recorded(
        &self,
        values: Vec<T>,
        indices: Vec<i64>,
        out: [usize; 2],
    ) -> (Tensor<T>, Tensor<i64>) {
        let shape = self.shape();
        let oshape = out_shape(&shape, out);
        let indices = Tensor::from_vec(indices, &oshape);
        let values = ArrayD::from_shape_vec(IxDyn(&oshape), values).expect("sizes");
        let op = MaxPoolBackward {
            indices: indices.clone(),
            in_shape: shape.to_vec(),
        };
        (record(values, op, &[self]), indices)
    }

    /// 1-D max pooling (`F.max_pool1d(input, kernel_size, stride, padding, dilation,
    /// ceil_mode)`) over the last dimension of `[N, C, L]` or `[C, L]`: [`Tensor::max_pool2d`]
    /// with height 1, so the same derivative.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 4.0, 3.0], &[1, 1, 5]);
    /// assert_eq!(x.max_pool1d(2, 2, 0, 1, true).to_vec(), [5.0, 4.0, 3.0]);
    /// ```
    pub fn max_pool1d(
        &self,
        kernel_size: usize,
        stride: usize,
        padding: usize,
        dilation: usize,
        ceil_mode: bool,
    ) -> Tensor<T> {
        let shape = self.shape();
        assert!(
            (shape.len() == 2 || shape.len() == 3) && shape.iter().skip(1).all(|&d| d > 0),
            "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size \
             for input, but got: {:?}",
            shape.as_slice()
        );
        self.unsqueeze(-2)
            .max_pool2d(
                [1, kernel_size],
                [1, stride],
                [0, padding],
                [1, dilation],
                ceil_mode,
            )
            .squeeze(-2)
    }

    /// 2-D average pooling (`F.avg_pool2d(input, kernel_size, stride, padding, ceil_mode,
    /// count_include_pad)`): each output is the mean of its window, divided by the window's
    /// size including the zero padding (`count_include_pad = true`, PyTorch's default) or by
    /// the number of input elements in it. Derivative: each gradient spread evenly (÷ the same
    /// divisor) over its window (`AvgPool2DBackward0`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::ones(&[1, 1, 2, 2]);
    /// let y = x.avg_pool2d([2, 2], [1, 1], [1, 1], false, true);
    /// assert_eq!(y.to_vec()[..2], [0.25, 0.5]); // a corner window holds one input of four
    /// let y = x.avg_pool2d([2, 2], [1, 1], [1, 1], false, false);
    /// assert!(y.to_vec().iter().all(|&v| v == 1.0));
    /// ```
    pub fn avg_pool2d(
        &self,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        ceil_mode: bool,
        count_include_pad: bool,
    ) -> Tensor<T> {
        let shape = self.shape();
        let out = check_pool(
            "avg_pool2d",
            &shape,
            kernel_size,
            stride,
            padding,
            [1, 1],
            ceil_mode,
        );
        let r = shape.len();
        let size = [shape[r - 2], shape[r - 1]];
        let axis = |d: usize| -> Vec<Span> {
            (0..out[d])
                .map(|o| {
                    let start = (o * stride[d]) as i64 - padding[d] as i64;
                    let end = (start + kernel_size[d] as i64).min((size[d] + padding[d]) as i64);
                    let pool = (end - start) as usize;
                    let (start, end) = (start.max(0) as usize, end.min(size[d] as i64) as usize);
                    let div = if count_include_pad { pool } else { end - start };
                    Span { start, end, div }
                })
                .collect()
        };
        let windows = Windows {
            size,
            spans: [axis(0), axis(1)],
        };
        windows.apply(self, "AvgPool2DBackward0")
    }

    /// Adaptive average pooling to `output_size = [oH, oW]` (`F.adaptive_avg_pool2d`): output
    /// `(i, j)` is the mean over rows `⌊i·H/oH⌋ .. ⌈(i+1)·H/oH⌉` and the columns likewise, so
    /// windows may overlap when `oH` does not divide `H`. Derivative: each gradient spread
    /// evenly over its window (`AdaptiveAvgPool2DBackward0`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 6.0, 1.0).reshape(&[1, 2, 3]);
    /// let y = x.adaptive_avg_pool2d([1, 2]);
    /// assert_eq!(y.to_vec(), [2.0, 3.0]); // columns 0..2 and 1..3
    /// ```
    pub fn adaptive_avg_pool2d(&self, output_size: [usize; 2]) -> Tensor<T> {
        let shape = self.shape();
        check_adaptive_pool2d("adaptive_avg_pool2d", "but got", &shape, output_size);
        let r = shape.len();
        let size = [shape[r - 2], shape[r - 1]];
        let axis = |d: usize| -> Vec<Span> {
            let (n, o) = (size[d], output_size[d]);
            (0..o)
                .map(|i| {
                    let start = i * n / o;
                    let end = ((i + 1) * n).div_ceil(o);
                    Span {
                        start,
                        end,
                        div: end - start,
                    }
                })
                .collect()
        };
        let windows = Windows {
            size,
            spans: [axis(0), axis(1)],
        };
        windows.apply(self, "AdaptiveAvgPool2DBackward0")
    }
}

/// One window along one dimension: input positions `start..end`, and the factor of the
/// divisor this dimension contributes.
#[derive(Clone, Copy, Debug)]
struct Span {
    start: usize,
    end: usize,
    div: usize,
}

/// An averaging pool: output `(i, j)` = Σ over rows `spans[0][i]` × columns `spans[1][j]`,
/// divided by `spans[0][i].div · spans[1][j].div`.
#[derive(Debug)]
struct Windows {
    size: [usize; 2],
    spans: [Vec<Span>; 2],
}

impl Windows {
    fn apply<T: Element>(self, x: &Tensor<T>, name: &'static str) -> Tensor<T> {
        let windows = Arc::new(self);
        let out = windows.pool(x);
        let op = AvgPoolBackward {
            windows,
            name,
            of_spread: false,
        };
        record(out, op, &[x])
    }

    /// The averages of every plane of `x` (last two dimensions `size`).
    fn pool<T: Element>(&self, x: &Tensor<T>) -> ArrayD<T> {
        let shape = x.shape();
        let [h, w] = self.size;
        let xv = x.to_vec();
        let planes = xv.len() / (h * w);
        let (oh, ow) = (self.spans[0].len(), self.spans[1].len());
        let mut out = vec![T::zero(); planes * oh * ow];
        per_plane(&mut out, oh * ow, xv.len(), |p, o| {
            let plane = &xv[p * h * w..(p + 1) * h * w];
            for (i, sy) in self.spans[0].iter().enumerate() {
                for (j, sx) in self.spans[1].iter().enumerate() {
                    let mut acc = T::zero();
                    for iy in sy.start..sy.end {
                        for ix in sx.start..sx.end {
                            acc += plane[iy * w + ix];
                        }
                    }
                    o[i * ow + j] = acc / T::from_f64((sy.div * sx.div) as f64);
                }
            }
        });
        ArrayD::from_shape_vec(IxDyn(&out_shape(&shape, [oh, ow])), out).expect("sizes")
    }

    /// The adjoint of [`Windows::pool`]: every value of `g` (the output's shape) divided by
    /// its divisor and added to each input of its window.
    fn spread<T: Element>(&self, g: &Tensor<T>) -> ArrayD<T> {
        let shape = g.shape();
        let [h, w] = self.size;
        let gv = g.to_vec();
        let (oh, ow) = (self.spans[0].len(), self.spans[1].len());
        let planes = gv.len() / (oh * ow).max(1);
        let mut out = vec![T::zero(); planes * h * w];
        per_plane(&mut out, h * w, gv.len() + planes * h * w, |p, plane| {
            let gp = &gv[p * oh * ow..(p + 1) * oh * ow];
            for (i, sy) in self.spans[0].iter().enumerate() {
                for (j, sx) in self.spans[1].iter().enumerate() {
                    let v = gp[i * ow + j] / T::from_f64((sy.div * sx.div) as f64);
                    for iy in sy.start..sy.end {
                        for ix in sx.start..sx.end {
                            plane[iy * w + ix] += v;
                        }
                    }
                }
            }
        });
        ArrayD::from_shape_vec(IxDyn(&out_shape(&shape, self.size)), out).expect("sizes")
    }
}

/// `MaxPool2d(2)`'s windows (2×2 at stride 2, every one inside the input) over the planes of
/// `x` (each `[h, w]`): output `(oy, ox)` reads `a b` of input row `2·oy` and `c d` of row
/// `2·oy + 1`, columns `2·ox` and `2·ox + 1`. The general loop's rule (a tap wins if larger
/// than the best so far or NaN) applied to `a` then `b`, `c`, `d`, with the best value carried
/// in a register instead of read back through its index, so that each output is a few
/// independent compares and selects rather than a chain of dependent loads. The values and
/// indices are written together. In `f32` on AVX-512, 16 windows at a time
/// (`kernels/max_pool_2x2.rs`), by the same rule.
fn max_pool_2x2<T: Element>(x: &[T], [h, w]: [usize; 2], out: [usize; 2]) -> (Vec<T>, Vec<i64>) {
    let [oh, ow] = out;
    let per = oh * ow;
    let planes = x.len() / (h * w);
    if let Some(table) = Windows2x2::new::<T>([h, w], out) {
        let group = table.planes();
        // SAFETY: each group's call writes every value and index of its chunk.
        return unsafe {
            written_chunk_pairs(planes * per, group * per, x.len(), |j, v, i| {
                table.pool(&x[j * group * h * w..], v, i)
            })
        };
    }
    let wide = w as i64;
    let row =
        |top: &[T], bottom: &[T], at: i64, v: &mut [MaybeUninit<T>], i: &mut [MaybeUninit<i64>]| {
            let taps = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            for (((v, i), (ab, cd)), ox) in v.iter_mut().zip(i).zip(taps).zip(0i64..) {
                let (mut best, mut off) = (ab[0], 0);
                for (t, o) in [(ab[1], 1), (cd[0], wide), (cd[1], wide + 1)] {
                    let take = (t > best) | t.is_nan();
                    best = if take { t } else { best };
                    off = if take { o } else { off };
                }
                v.write(best);
                i.write(at + 2 * ox + off);
            }
        };
    // SAFETY: each plane's loop writes every value and index of its chunks: `oh` rows of `ow`.
    unsafe {
        written_chunk_pairs(planes * per, per, x.len(), |p, v, i| {
            let plane = &x[p * h * w..(p + 1) * h * w];
            let rows = v.chunks_exact_mut(ow).zip(i.chunks_exact_mut(ow));
            for ((v, i), oy) in rows.zip(0..) {
                let top = &plane[2 * oy * w..][..2 * ow];
                let bottom = &plane[(2 * oy + 1) * w..][..2 * ow];
                row(top, bottom, (2 * oy * w) as i64, v, i);
            }
        })
    }
}

struct MaxPoolBackward {
    indices: Tensor<i64>,
    in_shape: Vec<usize>,
}
impl<T: Element> Op<T> for MaxPoolBackward {
    fn name(&self) -> &'static str {
        "MaxPool2DWithIndicesBackward0"
    }
    fn rule(&self) -> &'static str {
        "d max(window)/dx = 1 at the (first) argmax, 0 elsewhere: dx = scatter_add(G at indices)"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let r = self.in_shape.len();
        let plane = self.in_shape[r - 2] * self.in_shape[r - 1];
        let planes = self.in_shape.iter().product::<usize>() / plane;
        let per = self.indices.numel() / planes;
        if !is_grad_enabled() {
            // Each plane's gradients added at its recorded indices, planes in parallel.
            let (idx, g) = (self.indices.read_values(), c.grad.read_values());
            let mut dx = vec![T::zero(); planes * plane];
            per_plane(&mut dx, plane, g.len(), |p, d| {
                for (&i, &v) in idx[p * per..(p + 1) * per].iter().zip(&g[p * per..]) {
                    d[i as usize] += v;
                }
            });
            return smallvec![Some(Tensor::from_values(dx, &self.in_shape, None, false))];
        }
        smallvec![c.needs_grad(0).then(|| {
            let idx = self.indices.reshape(&[planes as isize, per as isize]);
            let g = c.grad.reshape(&[planes as isize, per as isize]);
            Tensor::zeros(&[planes, plane])
                .scatter_add(1, &idx, &g)
                .reshape_exact(&self.in_shape)
        })]
    }
}

/// The backward of an average pooling, and of that backward: the pooling and its spread (every
/// G / divisor added over its window) are linear maps over the same windows and each other's
/// adjoint, so the derivative of either is the other, recorded in turn.
struct AvgPoolBackward {
    windows: Arc<Windows>,
    /// The grad_fn name: the pooling's, or `AvgPool2DBackwardBackward0` for the spread.
    name: &'static str,
    /// Was the recorded output a spread (so its derivative is the pooling)?
    of_spread: bool,
}
impl<T: Element> Op<T> for AvgPoolBackward {
    fn name(&self) -> &'static str {
        self.name
    }
    fn rule(&self) -> &'static str {
        if self.of_spread {
            "the spread of an average pooling is linear: its derivative is the pooling of G"
        } else {
            "y = Σ_window x / divisor: dx = every G / divisor added over its window"
        }
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        smallvec![c.needs_grad(0).then(|| {
            let windows = Arc::clone(&self.windows);
            let (out, name) = if self.of_spread {
                (windows.pool(c.grad), "AvgPool2DBackward0")
            } else {
                (windows.spread(c.grad), "AvgPool2DBackwardBackward0")
            };
            let of_spread = !self.of_spread;
            let op = AvgPoolBackward {
                windows,
                name,
                of_spread,
            };
            record(out, op, &[c.grad])
        })]
    }
}

/// The argument checks of the adaptive 2-d poolings, with PyTorch's messages (which spell the
/// shape's lead-in `got_words`: `"but got"` for the average, `"but got:"` for the max): a 3-d or
/// 4-d input with non-empty dimensions after the first, and every output size above 0.
pub fn check_adaptive_pool2d(op: &str, got_words: &str, shape: &[usize], output_size: [usize; 2]) {
    assert!(
        (shape.len() == 3 || shape.len() == 4) && shape.iter().skip(1).all(|&d| d > 0),
        "{op}(): Expected 3D or 4D tensor, {got_words} {shape:?}"
    );
    assert!(
        output_size.iter().all(|&o| o > 0),
        "{op}: output_size must be greater than 0, but got {output_size:?}"
    );
}
