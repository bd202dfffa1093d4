//! `torch.nn.functional`, the one `F` (`tapegrad::prelude::F`): losses (including those
//! defined in `tapegrad_autograd::functional`, re-exported here), activations, and the layers'
//! ops (`linear`, `conv2d`, `max_pool2d`, `batch_norm`, `layer_norm`, `group_norm`, `dropout`,
//! `embedding`, `one_hot`, `pad`, …) as free functions under PyTorch's names and argument order.

pub use crate::layers::attention::scaled_dot_product_attention;
pub use crate::loss::bce::binary_cross_entropy_weighted;
pub use crate::loss::bce_with_logits::binary_cross_entropy_with_logits_weighted;
pub use crate::loss::cosine_embedding::cosine_embedding_loss;
pub use crate::loss::huber::huber_loss;
pub use crate::loss::kl_div::{kl_div, KLDivReduction};
pub use crate::loss::margin_ranking::margin_ranking_loss;
pub use crate::loss::smooth_l1::smooth_l1_loss;
pub use tapegrad_autograd::functional::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, cross_entropy_with,
    dropout, embedding, embedding_with_padding, l1_loss, layer_norm, mse_loss, nll_loss,
    nll_loss_with, ClassTargets, CrossEntropyOptions, CrossEntropyTarget, IntoClassIndices,
    IntoCrossEntropyTarget, NllLossOptions, Reduction, IGNORE_INDEX,
};
use tapegrad_autograd::functional::{check_normalized_shape, check_stride_dilation};
use tapegrad_autograd::{Element, Tensor};

/// `F.relu(x)`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::relu;
/// assert_eq!(relu(&Tensor::from_vec(vec![-1.0f32, 1.0], &[2])).to_vec(), [0.0, 1.0]);
/// ```
pub fn relu<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.relu()
}

/// `F.sigmoid(x)` (`torch.sigmoid`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::sigmoid;
/// assert_eq!(sigmoid(&Tensor::from_vec(vec![0.0f32], &[1])).to_vec(), [0.5]);
/// ```
pub fn sigmoid<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.sigmoid()
}

/// `F.tanh(x)` (`torch.tanh`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::tanh;
/// assert_eq!(tanh(&Tensor::from_vec(vec![0.0f32], &[1])).to_vec(), [0.0]);
/// ```
pub fn tanh<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.tanh()
}

/// `F.leaky_relu(x, negative_slope)`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::leaky_relu;
/// assert_eq!(leaky_relu(&Tensor::from_vec(vec![-1.0f64, 1.0], &[2]), 0.01).to_vec(), [-0.01, 1.0]);
/// ```
pub fn leaky_relu<T: Element>(x: &Tensor<T>, negative_slope: f64) -> Tensor<T> {
    x.leaky_relu(negative_slope)
}

/// `F.softmax(x, dim)`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::softmax;
/// assert_eq!(softmax(&Tensor::from_vec(vec![1.0f64, 1.0], &[2]), -1).to_vec(), [0.5, 0.5]);
/// ```
pub fn softmax<T: Element>(x: &Tensor<T>, dim: isize) -> Tensor<T> {
    x.softmax(dim)
}

/// `F.log_softmax(x, dim)`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::log_softmax;
/// let y = log_softmax(&Tensor::from_vec(vec![1.0f64, 1.0], &[2]), 0).to_vec();
/// assert!((y[0] + 2f64.ln()).abs() < 1e-12);
/// ```
pub fn log_softmax<T: Element>(x: &Tensor<T>, dim: isize) -> Tensor<T> {
    x.log_softmax(dim)
}

/// `F.linear(x, weight, bias)`: `x @ weight.T + bias`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::linear;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]);
/// let w = Tensor::from_vec(vec![3.0f32, 4.0], &[1, 2]);
/// assert_eq!(linear(&x, &w, Some(&Tensor::from_vec(vec![0.5f32], &[1]))).to_vec(), [11.5]);
/// ```
pub fn linear<T: Element>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
) -> Tensor<T> {
    let y = x.matmul(&weight.t());
    match bias {
        Some(b) => y.add(b),
        None => y,
    }
}

/// `F.group_norm(x, num_groups, weight, bias, eps)`: splits the channels (dimension 1) of an
/// `[N, C, *]` input into `num_groups` groups and normalises each sample's group with its own
/// mean and biased variance, `y = (x - mean) / sqrt(var + eps)`, then applies the per-channel
/// `weight` and `bias` (shape `[C]`). Built from differentiable ops (reshape, mean, var, rsqrt),
/// so its derivative is theirs. Panics, as PyTorch, unless `C` is divisible by `num_groups`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::group_norm;
/// // one group of two channels: mean 2, biased variance 1
/// let x = Tensor::from_vec(vec![1.0f64, 3.0], &[1, 2]);
/// assert_eq!(group_norm(&x, 1, None, None, 0.0).to_vec(), [-1.0, 1.0]);
/// ```
pub fn group_norm<T: Element>(
    x: &Tensor<T>,
    num_groups: usize,
    weight: Option<&Tensor<T>>,
    bias: Option<&Tensor<T>>,
    eps: f64,
) -> Tensor<T> {
    let shape = x.shape();
    assert!(
        shape.len() >= 2,
        "group_norm: Expected at least 2 dimensions for input tensor but received {}",
        shape.len()
    );
    let (n, c) = (shape[0], shape[1]);
    assert!(
        num_groups > 0 && c.is_multiple_of(num_groups),
        "group_norm: Expected number of channels in input to be divisible by num_groups, but \
         got input of shape {:?} and num_groups={num_groups}",
        shape.as_slice()
    );
    let mut affine_shape = vec![1isize; shape.len()];
    affine_shape[1] = c as isize;
    for (what, p) in [("weight", weight), ("bias", bias)] {
        if let Some(p) = p {
            assert!(
                p.numel() == c,
                "group_norm: Expected {what} to be a vector of size equal to the number of \
                 channels in input, but got {what} of shape {:?} and input of shape {:?}",
                p.shape().as_slice(),
                shape.as_slice()
            );
        }
    }
    let dims: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
    let g = x.reshape(&[n as isize, num_groups as isize, -1]);
    let mean = g.mean_dims(&[-1], true);
    let var = g.var(&[-1], 0.0, true);
    let mut y = g
        .sub(&mean)
        .mul(&var.add_scalar(T::from_f64(eps)).rsqrt())
        .reshape(&dims);
    if let Some(w) = weight {
        y = y.mul(&w.reshape(&affine_shape));
    }
    if let Some(b) = bias {
        y = y.add(&b.reshape(&affine_shape));
    }
    y
}

/// `F.rms_norm(x, normalized_shape, weight, eps)`: over the last `normalized_shape.len()`
/// dimensions (which must equal `normalized_shape`), `y = x / sqrt(mean(x²) + eps) * weight`;
/// `eps = None` uses the machine epsilon of `T` (`torch.finfo(x.dtype).eps`), as PyTorch.
/// Built from differentiable ops (square, mean, rsqrt, mul), so its derivative is theirs.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::rms_norm;
/// // mean(x²) = (9 + 16) / 2 = 12.5
/// let y = rms_norm(&Tensor::from_vec(vec![3.0f64, 4.0], &[1, 2]), &[2], None, Some(0.0));
/// assert!((y.to_vec()[0] - 3.0 / 12.5f64.sqrt()).abs() < 1e-12);
/// ```
pub fn rms_norm<T: Element>(
    x: &Tensor<T>,
    normalized_shape: &[usize],
    weight: Option<&Tensor<T>>,
    eps: Option<f64>,
) -> Tensor<T> {
    let k = normalized_shape.len();
    check_normalized_shape("rms_norm", &x.shape(), normalized_shape);
    let eps = match eps {
        Some(e) => T::from_f64(e),
        None => T::epsilon(),
    };
    let dims: Vec<isize> = (1..=k as isize).map(|d| -d).collect();
    let ms = x.square().mean_dims(&dims, true);
    let y = x.mul(&ms.add_scalar(eps).rsqrt());
    match weight {
        Some(w) => y.mul(w),
        None => y,
    }
}

/// `F.dropout2d(x, p, training)`: in training, each whole channel (`x[n, c]` of an
/// `[N, C, H, W]` input, or of an `[N, C, L]` input, which PyTorch also treats channel-wise) is
/// zeroed with probability `p` (PyTorch's feature noise: one `bernoulli_(1-p)` draw per
/// `(n, c)`, in row-major order, from the default generator, as `torch.dropout2d` draws it)
/// and the kept channels are scaled by `1/(1-p)`; outside
/// training it returns `x`. Derivative: the same mask and scale.
///
/// ```
/// use tapegrad_autograd::{manual_seed, Tensor};
/// use tapegrad_nn::functional::dropout2d;
/// manual_seed(0);
/// let y = dropout2d(&Tensor::<f64>::ones(&[2, 8, 3, 3]), 0.5, true).to_vec();
/// // each 3×3 channel is all zeros or all 2
/// assert!(y.chunks(9).all(|c| c.iter().all(|&v| v == c[0]) && (c[0] == 0.0 || c[0] == 2.0)));
/// ```
pub fn dropout2d<T: Element>(x: &Tensor<T>, p: f64, training: bool) -> Tensor<T> {
    assert!(
        (0.0..=1.0).contains(&p),
        "dropout2d: dropout probability has to be between 0 and 1, but got {p}"
    );
    let shape = x.shape();
    assert!(
        shape.len() == 3 || shape.len() == 4,
        "dropout2d: expected a 3D [N, C, L] or 4D [N, C, H, W] input, but got input of size {:?}",
        shape.as_slice()
    );
    if !training || p == 0.0 {
        return x.clone();
    }
    let mut mask_shape = vec![1usize; shape.len()];
    mask_shape[0] = shape[0];
    mask_shape[1] = shape[1];
    if p == 1.0 {
        return x.mul(&Tensor::zeros(&mask_shape));
    }
    x.mul(&tapegrad_autograd::functional::dropout_noise::<T>(
        &mask_shape,
        p,
    ))
}

/// `F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
/// dilation)`, the adjoint of [`Tensor::conv2d`] (sometimes called a deconvolution): input
/// `[N, C_in, H, W]` (or unbatched `[C_in, H, W]`), weight `[C_in, C_out/groups, kH, kW]`
/// (PyTorch's layout), bias `[C_out]`; output `[N, C_out, oH, oW]` with
/// `oH = (H − 1)·stride_h − 2·pad_h + dil_h·(kH − 1) + output_padding_h + 1` (likewise `oW`).
///
/// Computed as the input gradient of a convolution: per group, `cols = w_gᵀ · x_g` (every
/// input pixel spreads a `C_out/g · kH · kW` column), then `col2im` adds the columns into the
/// (uncropped) output, which `pad` crops by `padding` and extends by `output_padding`. These
/// are differentiable ops, so the derivative is theirs: `dx = conv2d(G, w)` (im2col of the
/// gradient times `w_g`), `dw = Σ_n x_g · im2col(G)_gᵀ`, `db = Σ_{n, oh, ow} G`.
///
/// Panics with PyTorch's wording when the channels do not match or `output_padding` is not
/// smaller than the stride or the dilation.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::conv_transpose2d;
/// // A single pixel spreads the kernel, at stride 2 the kernels do not overlap.
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 1, 1, 2]);
/// let w = Tensor::from_vec(vec![1.0f32, 10.0], &[1, 1, 1, 2]);
/// let y = conv_transpose2d(&x, &w, None, [1, 2], [0, 0], [0, 0], 1, [1, 1]);
/// assert_eq!(y.to_vec(), [1.0, 10.0, 2.0, 20.0]);
/// ```
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose2d<T: Element>(
    input: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    stride: [usize; 2],
    padding: [usize; 2],
    output_padding: [usize; 2],
    groups: usize,
    dilation: [usize; 2],
) -> Tensor<T> {
    let (xs, ws) = (input.shape(), weight.shape());
    assert!(
        groups > 0,
        "conv_transpose2d: non-positive groups is not supported"
    );
    check_stride_dilation("conv_transpose2d", &stride, &dilation);
    if xs.len() == 3 {
        return conv_transpose2d(
            &input.unsqueeze(0),
            weight,
            bias,
            stride,
            padding,
            output_padding,
            groups,
            dilation,
        )
        .squeeze(0);
    }
    assert!(
        xs.len() == 4,
        "Expected 3D (unbatched) or 4D (batched) input to conv_transpose2d, but got input of \
         size: {:?}",
        xs.as_slice()
    );
    assert!(
        ws.len() == 4,
        "conv_transpose2d: Expected 4-dimensional weight [in_channels, out_channels/groups, kH, \
         kW], but got {}-dimensional weight of size {:?} instead",
        ws.len(),
        ws.as_slice()
    );
    assert!(
        ws[0].is_multiple_of(groups),
        "Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but \
         got weight of size {:?} instead",
        ws.as_slice()
    );
    assert!(
        xs[1] == ws[0],
        "Given transposed=1, weight of size {:?}, expected input{:?} to have {} channels, but \
         got {} channels instead",
        ws.as_slice(),
        xs.as_slice(),
        ws[0],
        xs[1]
    );
    let c_out = ws[1] * groups;
    if let Some(b) = bias {
        assert!(
            b.shape().as_slice() == [c_out],
            "Given transposed=1, weight of size {:?}, expected bias to be 1-dimensional with {} \
             elements, but got bias of size {:?} instead",
            ws.as_slice(),
            c_out,
            b.shape().as_slice()
        );
    }
    for d in 0..2 {
        assert!(
            output_padding[d] < stride[d] || output_padding[d] < dilation[d],
            "conv_transpose2d: output padding must be smaller than either stride or dilation, \
             but got output_padding_height: {} output_padding_width: {} stride_height: {} \
             stride_width: {} dilation_height: {} dilation_width: {}",
            output_padding[0],
            output_padding[1],
            stride[0],
            stride[1],
            dilation[0],
            dilation[1]
        );
    }
    let (n, c_in, h, w) = (xs[0], xs[1], xs[2], xs[3]);
    let (kh, kw) = (ws[2], ws[3]);
    let full = [
        (h - 1) * stride[0] + dilation[0] * (kh - 1) + 1,
        (w - 1) * stride[1] + dilation[1] * (kw - 1) + 1,
    ];
    let out = [
        full[0] as isize - 2 * padding[0] as isize + output_padding[0] as isize,
        full[1] as isize - 2 * padding[1] as isize + output_padding[1] as isize,
    ];
    assert!(
        out[0] > 0 && out[1] > 0,
        "conv_transpose2d: Given input size per channel: ({h} x {w}), calculated output size \
         per channel: ({} x {}). Output size is too small",
        out[0],
        out[1]
    );
    let (g, cig, k) = (
        groups as isize,
        (c_in / groups) as isize,
        (ws[1] * kh * kw) as isize,
    );
    // [G, C_out/g·kH·kW, C_in/g] @ [N, G, C_in/g, H·W] -> [N, G, C_out/g·kH·kW, H·W]
    let wt = weight.reshape(&[g, cig, k]).transpose(1, 2);
    let cols = wt
        .matmul(&input.reshape(&[n as isize, g, cig, (h * w) as isize]))
        .reshape(&[n as isize, g * k, (h * w) as isize]);
    let y = cols.col2im(full, [kh, kw], dilation, [0, 0], stride);
    let crop = |d: usize| {
        [
            -(padding[d] as isize),
            output_padding[d] as isize - padding[d] as isize,
        ]
    };
    let (ch, cw) = (crop(0), crop(1));
    let y = if ch == [0, 0] && cw == [0, 0] {
        y
    } else {
        y.pad(&[cw[0], cw[1], ch[0], ch[1]], T::zero())
    };
    match bias {
        Some(b) => y.add(&b.reshape(&[1, c_out as isize, 1, 1])),
        None => y,
    }
}

/// `F.adaptive_max_pool2d(x, output_size, return_indices=True)`: over the last two dimensions
/// of an `[N, C, H, W]` or `[C, H, W]` input, output `(i, j)` is the maximum over rows
/// `⌊i·H/oH⌋ .. ⌈(i+1)·H/oH⌉` and the columns likewise (the windows of
/// [`Tensor::adaptive_avg_pool2d`]); also returns the flat index `h·W + w` of each maximum in
/// its plane (the first one on ties, a NaN wins, as PyTorch's CPU kernel). The values are a
/// `gather` of the input at those indices, so the derivative routes each gradient to its
/// maximum (`scatter_add`), as PyTorch's `AdaptiveMaxPool2DBackward0`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::adaptive_max_pool2d;
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 4.0, 3.0, 0.0], &[1, 2, 3]);
/// let (y, i) = adaptive_max_pool2d(&x, [1, 2]); // columns 0..2 and 1..3
/// assert_eq!((y.to_vec(), i.to_vec()), (vec![5.0, 5.0], vec![1, 1]));
/// ```
pub fn adaptive_max_pool2d<T: Element>(
    x: &Tensor<T>,
    output_size: [usize; 2],
) -> (Tensor<T>, Tensor<i64>) {
    let shape = x.shape();
    tapegrad_autograd::functional::check_adaptive_pool2d(
        "adaptive_max_pool2d",
        "but got:",
        &shape,
        output_size,
    );
    let r = shape.len();
    let (h, w) = (shape[r - 2], shape[r - 1]);
    let [oh, ow] = output_size;
    let span = |i: usize, n: usize, o: usize| (i * n / o, ((i + 1) * n).div_ceil(o));
    let xv = x.to_vec();
    let planes = xv.len() / (h * w);
    let mut idx = Vec::with_capacity(planes * oh * ow);
    for p in 0..planes {
        let plane = &xv[p * h * w..(p + 1) * h * w];
        for i in 0..oh {
            let (y0, y1) = span(i, h, oh);
            for j in 0..ow {
                let (x0, x1) = span(j, w, ow);
                let mut best = y0 * w + x0;
                let mut max = T::neg_infinity();
                for iy in y0..y1 {
                    for ix in x0..x1 {
                        let v = plane[iy * w + ix];
                        if v > max || v.is_nan() {
                            max = v;
                            best = iy * w + ix;
                        }
                    }
                }
                idx.push(best as i64);
            }
        }
    }
    let mut out_shape: Vec<usize> = shape[..r - 2].to_vec();
    out_shape.extend_from_slice(&output_size);
    let indices = Tensor::from_vec(idx, &out_shape);
    let flat = indices.reshape(&[planes as isize, (oh * ow) as isize]);
    let out_dims: Vec<isize> = out_shape.iter().map(|&d| d as isize).collect();
    let y = x
        .reshape(&[planes as isize, (h * w) as isize])
        .gather(1, &flat)
        .reshape(&out_dims);
    (y, indices)
}

// ------------------------------------------------------------------ layers as functions
// `F.<name>` for the ops the layers are made of: thin forms of the tensor methods (whose doc
// comments give the derivatives), with PyTorch's argument order.

/// Declares `F.<name>` as a thin form of the tensor method of the same name: an entry
/// `name(arg: Type, …);` (with its doc comment) becomes
/// `pub fn name<T: Element>(x: &Tensor<T>, arg: Type, …) -> Tensor<T>`, which returns
/// `x.name(arg, …)`.
macro_rules! methods_as_functions {
    ($( $(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),* $(,)?); )*) => {
        $(
            $(#[$doc])*
            pub fn $name<T: Element>(x: &Tensor<T>, $($arg: $ty),*) -> Tensor<T> {
                x.$name($($arg),*)
            }
        )*
    };
}

methods_as_functions! {
    /// `F.conv1d(x, weight, bias, stride, padding, dilation, groups)`; see [`Tensor::conv1d`].
    conv1d(weight: &Tensor<T>, bias: Option<&Tensor<T>>, stride: usize, padding: usize,
        dilation: usize, groups: usize);

    /// `F.conv2d(x, weight, bias, stride, padding, dilation, groups)`; see [`Tensor::conv2d`].
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::functional::conv2d;
    /// let x = Tensor::<f32>::ones(&[1, 1, 3, 3]);
    /// let w = Tensor::<f32>::ones(&[1, 1, 2, 2]);
    /// assert_eq!(conv2d(&x, &w, None, [1, 1], [0, 0], [1, 1], 1).to_vec(), [4.0; 4]);
    /// ```
    conv2d(weight: &Tensor<T>, bias: Option<&Tensor<T>>, stride: [usize; 2],
        padding: [usize; 2], dilation: [usize; 2], groups: usize);

    /// `F.max_pool1d(x, kernel_size, stride, padding, dilation, ceil_mode)`; see
    /// [`Tensor::max_pool1d`].
    max_pool1d(kernel_size: usize, stride: usize, padding: usize, dilation: usize,
        ceil_mode: bool);

    /// `F.max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode)`; see
    /// [`Tensor::max_pool2d`].
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::functional::max_pool2d;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[1, 1, 2, 2]);
    /// assert_eq!(max_pool2d(&x, [2, 2], [2, 2], [0, 0], [1, 1], false).to_vec(), [4.0]);
    /// ```
    max_pool2d(kernel_size: [usize; 2], stride: [usize; 2], padding: [usize; 2],
        dilation: [usize; 2], ceil_mode: bool);

    /// `F.avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad)`; see
    /// [`Tensor::avg_pool2d`].
    avg_pool2d(kernel_size: [usize; 2], stride: [usize; 2], padding: [usize; 2],
        ceil_mode: bool, count_include_pad: bool);

    /// `F.adaptive_avg_pool2d(x, output_size)`; see [`Tensor::adaptive_avg_pool2d`].
    adaptive_avg_pool2d(output_size: [usize; 2]);
}

/// `F.batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)`:
/// normalises over every dimension but the channels (dimension 1) of an `[N, C, *]` input,
/// `y = (x − mean) / sqrt(var + eps)·weight + bias`. With `training`, `mean` and the biased
/// `var` are the batch's, and the running statistics (if given) are updated in place under
/// `no_grad` as PyTorch does: `running = (1 − momentum)·running + momentum·batch`, with the
/// unbiased batch variance. Otherwise the running statistics are used (they must be given),
/// as constants, in PyTorch's arithmetic: `y = x·α + β` with `α = weight/√(var + eps)`, `β =
/// bias − mean·α` (`native_batch_norm_eval`). Derivative: `NativeBatchNormBackward0`'s
/// (through the batch statistics when training).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::batch_norm;
/// let x = Tensor::from_vec(vec![1.0f64, 3.0], &[2, 1]);
/// let (rm, rv) = (Tensor::zeros(&[1]), Tensor::ones(&[1]));
/// let y = batch_norm(&x, Some(&rm), Some(&rv), None, None, true, 0.1, 0.0);
/// assert_eq!(y.to_vec(), [-1.0, 1.0]);
/// assert_eq!((rm.to_vec(), rv.to_vec()), (vec![0.2], vec![1.1])); // batch mean 2, unbiased var 2
/// ```
#[allow(clippy::too_many_arguments)] // PyTorch's signature
pub fn batch_norm<T: Element>(
    x: &Tensor<T>,
    running_mean: Option<&Tensor<T>>,
    running_var: Option<&Tensor<T>>,
    weight: Option<&Tensor<T>>,
    bias: Option<&Tensor<T>>,
    training: bool,
    momentum: f64,
    eps: f64,
) -> Tensor<T> {
    let shape = x.shape();
    assert!(
        shape.len() >= 2,
        "batch_norm: expected an input of shape [N, C, *] (at least 2 dimensions), got {:?}",
        shape.as_slice()
    );
    let channels = shape[1];
    if training {
        let n = (x.numel() / channels.max(1)) as f64;
        assert!(
            n > 1.0,
            "batch_norm: Expected more than 1 value per channel when training, got input size \
             {:?}",
            shape.as_slice()
        );
        // One op with PyTorch's formulas (NativeBatchNormBackward0), parallel over channels.
        let (y, mean, var) = tapegrad_autograd::functional::native_batch_norm(x, weight, bias, eps);
        if let (Some(rm), Some(rv)) = (running_mean, running_var) {
            tapegrad_autograd::no_grad(|| {
                let m = T::from_f64(momentum);
                let one = T::one();
                let unbiased = var.mul_scalar(T::from_f64(n / (n - 1.0)));
                rm.mul_(one - m).add_(&mean.mul_scalar(m));
                rv.mul_(one - m).add_(&unbiased.mul_scalar(m));
            });
        }
        return y;
    }
    let (Some(rm), Some(rv)) = (running_mean, running_var) else {
        panic!(
            "batch_norm: running_mean and running_var must be given when training is false \
             (input of shape {:?})",
            shape.as_slice()
        );
    };
    // One op with PyTorch's eval-mode arithmetic (x·α + β per channel).
    tapegrad_autograd::functional::native_batch_norm_eval(x, weight, bias, rm, rv, eps)
}

/// `F.one_hot(indices, num_classes)` (`-1` in PyTorch is `None` here); see
/// [`Tensor::one_hot`].
pub fn one_hot(indices: &Tensor<i64>, num_classes: Option<usize>) -> Tensor<i64> {
    indices.one_hot(num_classes)
}

/// `F.pad(x, pad, mode="constant", value)`: `pad` lists (before, after) pairs from the last
/// dimension backwards, negative values crop; see [`Tensor::pad`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::pad;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
/// assert_eq!(pad(&x, &[1, 2], 0.0).to_vec(), [0.0, 1.0, 2.0, 0.0, 0.0]);
/// ```
pub fn pad<T: Element>(x: &Tensor<T>, pad: &[isize], value: T) -> Tensor<T> {
    x.pad(pad, value)
}

/// `F.gelu(x, approximate)`, `approximate` being `"none"` (exact, with `erf`) or `"tanh"`; see
/// [`Tensor::gelu`].
pub fn gelu<T: Element>(x: &Tensor<T>, approximate: &str) -> Tensor<T> {
    match approximate {
        "none" => x.gelu(false),
        "tanh" => x.gelu(true),
        other => panic!("gelu: approximate argument must be either none or tanh, got {other:?}"),
    }
}

/// `F.silu(x)`; see [`Tensor::silu`].
pub fn silu<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.silu()
}

/// `F.elu(x, alpha)`; see [`Tensor::elu`].
pub fn elu<T: Element>(x: &Tensor<T>, alpha: f64) -> Tensor<T> {
    x.elu(alpha)
}

/// `F.selu(x)`; see [`Tensor::selu`].
pub fn selu<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.selu()
}

/// `F.celu(x, alpha)`; see [`Tensor::celu`].
pub fn celu<T: Element>(x: &Tensor<T>, alpha: f64) -> Tensor<T> {
    x.celu(alpha)
}

/// `F.softplus(x, beta, threshold)`; see [`Tensor::softplus`].
pub fn softplus<T: Element>(x: &Tensor<T>, beta: f64, threshold: f64) -> Tensor<T> {
    x.softplus(beta, threshold)
}

/// `F.softsign(x)`; see [`Tensor::softsign`].
pub fn softsign<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.softsign()
}

/// `F.hardtanh(x, min_val, max_val)`; see [`Tensor::hardtanh`].
pub fn hardtanh<T: Element>(x: &Tensor<T>, min_val: f64, max_val: f64) -> Tensor<T> {
    x.hardtanh(min_val, max_val)
}

/// `F.relu6(x)`; see [`Tensor::relu6`].
pub fn relu6<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.relu6()
}

/// `F.hardsigmoid(x)`; see [`Tensor::hardsigmoid`].
pub fn hardsigmoid<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.hardsigmoid()
}

/// `F.hardswish(x)`; see [`Tensor::hardswish`].
pub fn hardswish<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.hardswish()
}

/// `F.mish(x)`; see [`Tensor::mish`].
pub fn mish<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.mish()
}

/// `F.logsigmoid(x)`; see [`Tensor::logsigmoid`].
pub fn logsigmoid<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    x.logsigmoid()
}
