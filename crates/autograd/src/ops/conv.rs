//! Convolution: `conv2d` and `conv1d` (`F.conv2d`, `F.conv1d`), computed as im2col followed by
//! the packed GEMM (`kernels::conv`, parallel over chunks of the batch), and `im2col`/`col2im`
//! (`F.unfold`/`F.fold`), two differentiable ops that are each other's adjoint.
//!
//! For input `x` `[N, C, H, W]` and weight `w` `[O, C/g, kH, kW]`, im2col lays every receptive
//! field out as a column: `cols = im2col(x)` is `[N, C·kH·kW, oH·oW]`, and per group the output
//! is `w_g · cols_g`. The backward is the same picture read backwards:
//!
//! ```text
//! dx = col2im(w_gᵀ · G_g)        dw = Σ_n G_g · cols_gᵀ        db = Σ_{n, oh, ow} G
//! ```
//!
//! An ordinary backward computes it straight from the slices (`kernels::conv`); under
//! `create_graph` the same formulas are written with tensor operations (`matmul`, `im2col`,
//! `col2im`, `sum_dims`), so second derivatives work as for every other op.

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record_values, BackwardCtx, InputGrads, Op};
use crate::kernels::conv::{
    conv2d_backward, conv2d_forward, conv_bias_grad, Conv2dShape, Window2d,
};
use crate::tensor::Tensor;
use crate::threads::use_pool;
use rayon::prelude::*;
use smallvec::smallvec;

/// Panics with PyTorch's message for a zero stride or dilation of a convolution, unfold or
/// fold named `op` (also checked by `F.conv_transpose2d`).
pub fn check_stride_dilation(op: &str, stride: &[usize], dilation: &[usize]) {
    assert!(
        stride.iter().all(|&s| s > 0),
        "{op}: non-positive stride is not supported (got stride={stride:?})"
    );
    assert!(
        dilation.iter().all(|&d| d > 0),
        "{op}: dilation should be greater than zero (got dilation={dilation:?})"
    );
}

/// The window checks `im2col` and `col2im` share: every kernel size, stride and dilation
/// above zero, with PyTorch's messages.
fn check_window(op: &str, kernel_size: [usize; 2], stride: [usize; 2], dilation: [usize; 2]) {
    assert!(
        kernel_size.iter().all(|&k| k > 0),
        "{op}: kernel size should be greater than zero, but got kernel_size={kernel_size:?}"
    );
    check_stride_dilation(op, &stride, &dilation);
}

impl<T: Element> Tensor<T> {
    /// Extracts sliding local blocks (`F.unfold(input, kernel_size, dilation, padding,
    /// stride)`): input `[N, C, H, W]`, output `[N, C·kH·kW, L]` with `L = oH·oW`; row
    /// `(c·kH + i)·kW + j` holds tap `(i, j)` of channel `c` at every output position, zero in
    /// the padding. Derivative: [`Tensor::col2im`] of the gradient (the adjoint).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 9.0, 1.0).reshape(&[1, 1, 3, 3]);
    /// let cols = x.im2col([2, 2], [1, 1], [0, 0], [1, 1]);
    /// assert_eq!(cols.shape().as_slice(), &[1, 4, 4]);
    /// assert_eq!(cols.to_vec()[..4], [0.0, 1.0, 3.0, 4.0]); // tap (0, 0) at the 4 positions
    /// ```
    pub fn im2col(
        &self,
        kernel_size: [usize; 2],
        dilation: [usize; 2],
        padding: [usize; 2],
        stride: [usize; 2],
    ) -> Tensor<T> {
        let shape = self.shape();
        assert!(
            shape.len() == 4,
            "im2col: Expected 4D (batched) input tensor [N, C, H, W], but got input of size: {:?}",
            shape.as_slice()
        );
        check_window("im2col", kernel_size, stride, dilation);
        let win = Window2d::new([shape[2], shape[3]], kernel_size, stride, padding, dilation)
            .unwrap_or_else(|| {
                panic!(
                    "im2col: Given input with spatial size ({}, {}), kernel_size={kernel_size:?}, \
                     dilation={dilation:?}, padding={padding:?}, calculated shape of the array \
                     of sliding blocks is non-positive",
                    shape[2], shape[3]
                )
            });
        self.im2col_with(&win)
    }

    /// Sums sliding local blocks back into an image (`F.fold(input, output_size,
    /// kernel_size, dilation, padding, stride)`): input `[N, C·kH·kW, L]`, output
    /// `[N, C, H, W]` with `(H, W) = output_size`; overlapping entries add up, entries in the
    /// padding are dropped. The adjoint of [`Tensor::im2col`]; derivative: `im2col` of the
    /// gradient.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::ones(&[1, 1, 3, 3]);
    /// let cols = x.im2col([2, 2], [1, 1], [0, 0], [1, 1]);
    /// let back = cols.col2im([3, 3], [2, 2], [1, 1], [0, 0], [1, 1]);
    /// // Each pixel counts the windows covering it.
    /// assert_eq!(back.to_vec(), [1.0, 2.0, 1.0, 2.0, 4.0, 2.0, 1.0, 2.0, 1.0]);
    /// ```
    pub fn col2im(
        &self,
        output_size: [usize; 2],
        kernel_size: [usize; 2],
        dilation: [usize; 2],
        padding: [usize; 2],
        stride: [usize; 2],
    ) -> Tensor<T> {
        check_window("col2im", kernel_size, stride, dilation);
        let shape = self.shape();
        let win = Window2d::new(output_size, kernel_size, stride, padding, dilation);
        let fits = shape.len() == 3
            && win.is_some_and(|w| shape[1].is_multiple_of(w.taps()) && shape[2] == w.positions());
        if !fits {
            panic!(
                "col2im: Expected 3D input [N, C·kH·kW, L] whose size(1) is divisible by the \
                 product of kernel_size {kernel_size:?} and whose size(2) matches the number of \
                 sliding blocks of output_size={output_size:?} (dilation={dilation:?}, \
                 padding={padding:?}, stride={stride:?}), but got input of size {:?}",
                shape.as_slice()
            );
        }
        self.col2im_with(&win.expect("checked"))
    }

    /// [`Tensor::im2col`] for a checked window.
    pub(crate) fn im2col_with(&self, win: &Window2d) -> Tensor<T> {
        let shape = self.shape();
        let (n, c) = (shape[0], shape[1]);
        let (rows, l) = (c * win.taps(), win.positions());
        let x = self.read_values();
        let chw = c * win.plane();
        let mut out = crate::buffer_cache::zeroed(n * rows * l, T::zero());
        // One sample a task (an empty output has no chunks).
        let plan = win.plan();
        let sample = |(o, xb): (&mut [T], &[T])| plan.im2col(xb, c, o, l, 0);
        let (size, from) = ((rows * l).max(1), chw.max(1));
        if use_pool() {
            let pairs = out.par_chunks_mut(size).zip(x.par_chunks(from));
            pairs.for_each(sample);
        } else {
            out.chunks_mut(size).zip(x.chunks(from)).for_each(sample);
        }
        drop(x);
        record_values(
            out,
            &[n, rows, l],
            FoldBackward {
                win: *win,
                of_im2col: true,
            },
            &[self],
        )
    }

    /// [`Tensor::col2im`] for a checked window.
    pub(crate) fn col2im_with(&self, win: &Window2d) -> Tensor<T> {
        let shape = self.shape();
        let (n, rows, l) = (shape[0], shape[1], shape[2]);
        let c = rows / win.taps();
        let cols = self.read_values();
        let chw = c * win.plane();
        let mut out = crate::buffer_cache::zeroed(n * chw, T::zero());
        let sample = |(xb, cb): (&mut [T], &[T])| win.col2im(cb, l, 0, c, xb);
        let (size, from) = (chw.max(1), (rows * l).max(1));
        if use_pool() {
            let pairs = out.par_chunks_mut(size).zip(cols.par_chunks(from));
            pairs.for_each(sample);
        } else {
            out.chunks_mut(size).zip(cols.chunks(from)).for_each(sample);
        }
        drop(cols);
        record_values(
            out,
            &[n, c, win.h, win.w],
            FoldBackward {
                win: *win,
                of_im2col: false,
            },
            &[self],
        )
    }
}

/// The backward of `im2col` (`of_im2col: true`) and of `col2im`: the two are linear and each
/// other's adjoint, so the derivative of either is the other over the same window.
struct FoldBackward {
    win: Window2d,
    of_im2col: bool,
}
impl<T: Element> Op<T> for FoldBackward {
    fn name(&self) -> &'static str {
        if self.of_im2col {
            "Im2ColBackward0"
        } else {
            "Col2ImBackward0"
        }
    }
    fn rule(&self) -> &'static str {
        if self.of_im2col {
            "im2col is linear: dx = col2im(G), its adjoint"
        } else {
            "col2im is linear: dcols = im2col(G), its adjoint"
        }
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        smallvec![c.needs_grad(0).then(|| if self.of_im2col {
            c.grad.col2im_with(&self.win)
        } else {
            c.grad.im2col_with(&self.win)
        })]
    }
}

/// PyTorch's shape checks of a convolution, worded as its messages. `x` and `w` are the shapes
/// as the caller passed them (so a conv1d error shows conv1d's shapes); `k` is the number of
/// spatial dimensions.
fn check_conv(op: &str, k: usize, x: &[usize], w: &[usize], bias: Option<&[usize]>, groups: usize) {
    assert!(groups > 0, "{op}: non-positive groups is not supported");
    if x.len() != k + 1 && x.len() != k + 2 {
        panic!(
            "Expected {}D (unbatched) or {}D (batched) input to {op}, but got input of size: {x:?}",
            k + 1,
            k + 2
        );
    }
    if w.len() != k + 2 {
        panic!(
            "{op}: Expected {}-dimensional weight [out_channels, in_channels/groups, kernel...], \
             but got {}-dimensional weight of size {w:?} instead",
            k + 2,
            w.len()
        );
    }
    let batched: Vec<usize> = if x.len() == k + 1 {
        std::iter::once(1).chain(x.iter().copied()).collect()
    } else {
        x.to_vec()
    };
    if !w[0].is_multiple_of(groups) {
        panic!(
            "Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, \
             but got weight of size {w:?} instead"
        );
    }
    if batched[1] != w[1] * groups {
        panic!(
            "Given groups={groups}, weight of size {w:?}, expected input{batched:?} to have {} \
             channels, but got {} channels instead",
            w[1] * groups,
            batched[1]
        );
    }
    if let Some(b) = bias {
        if b != [w[0]] {
            panic!(
                "Given weight of size {w:?}, expected bias to be 1-dimensional with {} elements, \
                 but got bias of size {b:?} instead",
                w[0]
            );
        }
    }
}

impl<T: Element> Tensor<T> {
    /// 2-D convolution (`F.conv2d(input, weight, bias, stride, padding, dilation, groups)`;
    /// strictly cross-correlation, as PyTorch's). Input `[N, C, H, W]` (or unbatched
    /// `[C, H, W]`), weight `[O, C/groups, kH, kW]`, bias `[O]`; output `[N, O, oH, oW]` with
    /// `oH = (H + 2·pad_h − dil_h·(kH − 1) − 1) / stride_h + 1` (likewise `oW`). Zero padding
    /// of `padding = [pad_h, pad_w]` on both sides.
    ///
    /// Derivative (per group, `cols = im2col(x)`): `dx = col2im(wᵀ·G)`, `dw = Σ_n G·colsᵀ`,
    /// `db = Σ_{n,oh,ow} G` (`ConvolutionBackward0`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 16.0, 1.0).reshape(&[1, 1, 4, 4]);
    /// let w = Tensor::<f32>::ones(&[1, 1, 2, 2]);
    /// let b = Tensor::from_vec(vec![0.5f32], &[1]);
    /// let y = x.conv2d(&w, Some(&b), [2, 2], [0, 0], [1, 1], 1);
    /// assert_eq!(y.shape().as_slice(), &[1, 1, 2, 2]);
    /// assert_eq!(y.to_vec(), [10.5, 18.5, 42.5, 50.5]); // 0+1+4+5 + 0.5, …
    /// ```
    pub fn conv2d(
        &self,
        weight: &Tensor<T>,
        bias: Option<&Tensor<T>>,
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        groups: usize,
    ) -> Tensor<T> {
        let (xs, ws) = (self.shape(), weight.shape());
        let bs = bias.map(|b| b.shape());
        check_conv("conv2d", 2, &xs, &ws, bs.as_deref(), groups);
        check_stride_dilation("conv2d", &stride, &dilation);
        if xs.len() == 3 {
            return self
                .unsqueeze(0)
                .conv2d(weight, bias, stride, padding, dilation, groups)
                .squeeze(0);
        }
        let win = Window2d::new([xs[2], xs[3]], [ws[2], ws[3]], stride, padding, dilation)
            .unwrap_or_else(|| {
                panic!(
                    "conv2d: Calculated padded input size per channel: ({} x {}). Kernel size: \
                     ({} x {}). Kernel size can't be greater than actual input size",
                    xs[2] + 2 * padding[0],
                    xs[3] + 2 * padding[1],
                    dilation[0] * (ws[2] - 1) + 1,
                    dilation[1] * (ws[3] - 1) + 1
                )
            });
        let sh = Conv2dShape {
            n: xs[0],
            c: xs[1],
            o: ws[0],
            groups,
            win,
        };
        let y = {
            let (x, w) = (self.read_values(), weight.read_values());
            let b = bias.map(|b| b.read_values());
            conv2d_forward(&x, &w, b.as_deref(), &sh)
        };
        let shape = [sh.n, sh.o, win.out[0], win.out[1]];
        let op = ConvolutionBackward { win, groups };
        match bias {
            Some(b) => record_values(y, &shape, op, &[self, weight, b]),
            None => record_values(y, &shape, op, &[self, weight]),
        }
    }

    /// 1-D convolution (`F.conv1d(input, weight, bias, stride, padding, dilation, groups)`):
    /// input `[N, C, L]` (or unbatched `[C, L]`), weight `[O, C/groups, k]`, bias `[O]`, output
    /// `[N, O, oL]`. Computed as [`Tensor::conv2d`] with height 1, so its derivative is
    /// conv2d's (the result's `grad_fn` is the squeeze of that conv2d, not PyTorch's
    /// `ConvolutionBackward0`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 4]);
    /// let w = Tensor::from_vec(vec![1.0f32, -1.0], &[1, 1, 2]);
    /// assert_eq!(x.conv1d(&w, None, 1, 0, 1, 1).to_vec(), [-1.0, -1.0, -1.0]);
    /// ```
    pub fn conv1d(
        &self,
        weight: &Tensor<T>,
        bias: Option<&Tensor<T>>,
        stride: usize,
        padding: usize,
        dilation: usize,
        groups: usize,
    ) -> Tensor<T> {
        let (xs, ws) = (self.shape(), weight.shape());
        let bs = bias.map(|b| b.shape());
        check_conv("conv1d", 1, &xs, &ws, bs.as_deref(), groups);
        check_stride_dilation("conv1d", &[stride], &[dilation]);
        let kernel = dilation * (ws[2] - 1) + 1;
        let len = xs[xs.len() - 1] + 2 * padding;
        assert!(
            kernel <= len,
            "conv1d: Calculated padded input size per channel: ({len}). Kernel size: \
             ({kernel}). Kernel size can't be greater than actual input size"
        );
        let out = self
            .unsqueeze(-2)
            .conv2d(
                &weight.unsqueeze(2),
                bias,
                [1, stride],
                [0, padding],
                [1, dilation],
                groups,
            )
            .squeeze(-2);
        crate::graph::renamed(out, "ConvolutionBackward0")
    }
}

struct ConvolutionBackward {
    win: Window2d,
    groups: usize,
}
impl<T: Element> Op<T> for ConvolutionBackward {
    fn name(&self) -> &'static str {
        "ConvolutionBackward0"
    }
    fn rule(&self) -> &'static str {
        "y_g = w_g·im2col(x)_g + b: dx = col2im(w_gᵀ·G_g), dw = Σ_n G_g·im2col(x)_gᵀ, db = Σ G"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        if is_grad_enabled() {
            // Building a graph of the backward (create_graph): differentiable ops.
            return self.backward_recorded(c);
        }
        let (x, w, g) = (&c.inputs[0], &c.inputs[1], c.grad);
        let (xs, ws) = (x.shape(), w.shape());
        let sh = Conv2dShape {
            n: xs[0],
            c: xs[1],
            o: ws[0],
            groups: self.groups,
            win: self.win,
        };
        let (xr, wr, gr) = (x.read_values(), w.read_values(), g.read_values());
        let (dx, dw) = conv2d_backward(&xr, &wr, &gr, &sh, c.needs_grad(0), c.needs_grad(1));
        let db = (c.inputs.len() == 3 && c.needs_grad(2))
            .then(|| conv_bias_grad(&gr, sh.n, sh.o, self.win.positions()));
        let to_tensor = |v: Vec<T>, shape: &[usize]| Tensor::from_values(v, shape, None, false);
        smallvec![
            dx.map(|v| to_tensor(v, &xs)),
            dw.map(|v| to_tensor(v, &ws)),
            db.map(|v| to_tensor(v, &[sh.o])),
        ]
    }
}

impl ConvolutionBackward {
    /// The backward written with recorded tensor ops, so that it can be differentiated again.
    fn backward_recorded<T: Element>(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (x, w, g) = (&c.inputs[0], &c.inputs[1], c.grad);
        let (xs, ws) = (x.shape(), w.shape());
        let groups = self.groups;
        let (n, o) = (xs[0], ws[0]);
        let og = o / groups;
        let k = ws[1] * self.win.taps();
        let l = self.win.positions();
        let g3 = g.reshape_exact(&[n, groups, og, l]);
        let dx = c.needs_grad(0).then(|| {
            let wt = w.reshape_exact(&[groups, og, k]).transpose(1, 2);
            wt.matmul(&g3)
                .reshape_exact(&[n, groups * k, l])
                .col2im_with(&self.win)
        });
        let dw = c.needs_grad(1).then(|| {
            let cols = x.im2col_with(&self.win).reshape_exact(&[n, groups, k, l]);
            g3.matmul(&cols.transpose(2, 3))
                .sum_dim(0, false)
                .reshape_exact(&ws)
        });
        let db = (c.inputs.len() == 3 && c.needs_grad(2)).then(|| g.sum_dims(&[0, 2, 3], false));
        smallvec![dx, dw, db]
    }
}
