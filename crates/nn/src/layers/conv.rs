//! [`Conv1d`] and [`Conv2d`] (`torch.nn.Conv1d`, `torch.nn.Conv2d`), one generic [`ConvNd`],
//! with their options [`ConvOptions`], [`ConvPadding`] and [`KernelSize`].

use super::present_parameters;
use super::repr::py_tuple;
use crate::init;
use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// The `padding=` of a convolution layer: explicit zero padding on both sides of each spatial
/// dimension, `"same"` (output as large as the input; stride 1 only) or `"valid"` (none).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvPadding<const D: usize> {
    /// `padding=(p_h, p_w)` (or `padding=p` for every dimension): zeros on both sides.
    Explicit([usize; D]),
    /// `padding="same"`: total padding `dilation·(k − 1)` per dimension, half before and the
    /// rest (one more when odd) after, as PyTorch pads.
    Same,
    /// `padding="valid"`: no padding.
    Valid,
}

impl<const D: usize> From<usize> for ConvPadding<D> {
    fn from(p: usize) -> Self {
        ConvPadding::Explicit([p; D])
    }
}

impl<const D: usize> From<[usize; D]> for ConvPadding<D> {
    fn from(p: [usize; D]) -> Self {
        ConvPadding::Explicit(p)
    }
}

/// The keyword arguments of `Conv1d`/`Conv2d` after the sizes: `stride=1, padding=0,
/// dilation=1, groups=1, bias=True` by default (`padding_mode` is always `"zeros"`).
///
/// ```
/// use tapegrad_nn::{ConvOptions, ConvPadding};
/// let o = ConvOptions::<2>::default().stride(2).padding(1).groups(2).bias(false);
/// assert_eq!((o.stride, o.padding, o.groups, o.bias), ([2, 2], ConvPadding::Explicit([1, 1]), 2, false));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvOptions<const D: usize> {
    /// `stride=`.
    pub stride: [usize; D],
    /// `padding=`.
    pub padding: ConvPadding<D>,
    /// `dilation=`.
    pub dilation: [usize; D],
    /// `groups=`.
    pub groups: usize,
    /// `bias=`.
    pub bias: bool,
}

impl<const D: usize> Default for ConvOptions<D> {
    fn default() -> Self {
        ConvOptions {
            stride: [1; D],
            padding: ConvPadding::Explicit([0; D]),
            dilation: [1; D],
            groups: 1,
            bias: true,
        }
    }
}

impl<const D: usize> ConvOptions<D> {
    /// `stride=s` for every dimension.
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = [s; D];
        self
    }
    /// `stride=(s_h, s_w)`.
    pub fn strides(mut self, s: [usize; D]) -> Self {
        self.stride = s;
        self
    }
    /// `padding=p`, `padding=(p_h, p_w)`, or [`ConvPadding::Same`]/[`ConvPadding::Valid`].
    pub fn padding(mut self, p: impl Into<ConvPadding<D>>) -> Self {
        self.padding = p.into();
        self
    }
    /// `dilation=d` for every dimension.
    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = [d; D];
        self
    }
    /// `dilation=(d_h, d_w)`.
    pub fn dilations(mut self, d: [usize; D]) -> Self {
        self.dilation = d;
        self
    }
    /// `groups=g`.
    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }
    /// `bias=b`.
    pub fn bias(mut self, b: bool) -> Self {
        self.bias = b;
        self
    }
}

/// The parameters and settings shared by [`Conv1d`] and [`Conv2d`].
struct ConvCore<const D: usize> {
    in_channels: usize,
    out_channels: usize,
    kernel_size: [usize; D],
    options: ConvOptions<D>,
}

/// Panics with PyTorch's words unless `groups` is positive and divides both channel counts
/// (`_ConvNd.__init__`'s checks, shared by the transposed convolutions).
pub(super) fn check_groups(layer: &str, in_channels: usize, out_channels: usize, groups: usize) {
    let g = groups;
    assert!(
        g > 0,
        "{layer}: groups must be a positive integer (got groups={g})"
    );
    assert!(
        in_channels.is_multiple_of(g),
        "{layer}: in_channels must be divisible by groups (got in_channels={in_channels}, \
         groups={g})"
    );
    assert!(
        out_channels.is_multiple_of(g),
        "{layer}: out_channels must be divisible by groups (got out_channels={out_channels}, \
         groups={g})"
    );
}

impl<const D: usize> ConvCore<D> {
    /// Checks the arguments as PyTorch's `_ConvNd.__init__` does and initialises as its
    /// `reset_parameters` ([`init::reset_parameters`], `fan_in = in_channels/groups · Πk`).
    /// Returns the settings, the weight and the bias.
    fn new<T: Element>(
        layer: &str,
        in_channels: usize,
        out_channels: usize,
        kernel_size: [usize; D],
        options: ConvOptions<D>,
    ) -> (Self, Tensor<T>, Option<Tensor<T>>) {
        check_groups(layer, in_channels, out_channels, options.groups);
        if options.padding == ConvPadding::Same {
            assert!(
                options.stride.iter().all(|&s| s == 1),
                "{layer}: padding='same' is not supported for strided convolutions (got \
                 stride={:?})",
                options.stride
            );
        }
        let mut shape = vec![out_channels, in_channels / options.groups];
        shape.extend_from_slice(&kernel_size);
        let (weight, bias) = init::reset_parameters(&shape, out_channels, options.bias);
        let core = ConvCore {
            in_channels,
            out_channels,
            kernel_size,
            options,
        };
        (core, weight, bias)
    }

    /// The symmetric padding to give the convolution, and the extra padding (after) to apply
    /// to the input first when `"same"` needs an odd total.
    fn padding(&self) -> ([usize; D], [usize; D]) {
        match self.options.padding {
            ConvPadding::Explicit(p) => (p, [0; D]),
            ConvPadding::Valid => ([0; D], [0; D]),
            ConvPadding::Same => {
                let mut sym = [0; D];
                let mut extra = [0; D];
                for d in 0..D {
                    let total = self.options.dilation[d] * (self.kernel_size[d] - 1);
                    sym[d] = total / 2;
                    extra[d] = total - 2 * sym[d];
                }
                (sym, extra)
            }
        }
    }

    /// The input with the extra "same" padding (after, last dimension first as `F.pad`).
    fn pad_input<T: Element>(&self, input: &Tensor<T>, extra: [usize; D]) -> Tensor<T> {
        if extra.iter().all(|&e| e == 0) {
            return input.clone();
        }
        let pad: Vec<isize> = extra.iter().rev().flat_map(|&e| [0, e as isize]).collect();
        input.pad(&pad, T::zero())
    }

    /// PyTorch's `_ConvNd.extra_repr`.
    fn extra_repr(&self, has_bias: bool) -> String {
        let o = &self.options;
        let mut s = format!(
            "{}, {}, kernel_size={}, stride={}",
            self.in_channels,
            self.out_channels,
            py_tuple(&self.kernel_size),
            py_tuple(&o.stride)
        );
        match o.padding {
            ConvPadding::Explicit(p) if p.iter().any(|&x| x != 0) => {
                s += &format!(", padding={}", py_tuple(&p))
            }
            ConvPadding::Explicit(_) => {}
            ConvPadding::Same => s += ", padding=same",
            ConvPadding::Valid => s += ", padding=valid",
        }
        if o.dilation.iter().any(|&d| d != 1) {
            s += &format!(", dilation={}", py_tuple(&o.dilation));
        }
        if o.groups != 1 {
            s += &format!(", groups={}", o.groups);
        }
        if !has_bias {
            s += ", bias=False";
        }
        s
    }
}

/// 2-D convolution layer (`torch.nn.Conv2d`): input `[N, C_in, H, W]` (or `[C_in, H, W]`),
/// weight `[C_out, C_in/groups, kH, kW]`, bias `[C_out]`; forward is
/// [`Tensor::conv2d`]. Initialised as PyTorch's `reset_parameters`: `kaiming_uniform_(weight,
/// a=√5)`, i.e. U(−1/√fan_in, 1/√fan_in) with `fan_in = C_in/groups·kH·kW`, then bias from the
/// same range, both from the process-wide generator (weight first).
///
/// ```
/// use tapegrad_autograd::{manual_seed, Tensor};
/// use tapegrad_nn::{Conv2d, ConvOptions, Module};
/// manual_seed(0);
/// let conv: Conv2d = Conv2d::with_options(1, 16, [3, 3], ConvOptions::default().padding(1));
/// assert_eq!(conv.weight.shape().as_slice(), &[16, 1, 3, 3]);
/// assert!(conv.weight.to_vec().iter().all(|w| w.abs() <= 1.0 / 3.0)); // 1/√9
/// assert_eq!(conv.summary(), "Conv2d(1, 16, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))");
/// let y = conv.forward(&Tensor::ones(&[64, 1, 8, 8]));
/// assert_eq!(y.shape().as_slice(), &[64, 16, 8, 8]);
/// ```
pub type Conv2d<T = f32> = ConvNd<T, 2>;

/// 1-D convolution layer (`torch.nn.Conv1d`): input `[N, C_in, L]` (or `[C_in, L]`), weight
/// `[C_out, C_in/groups, k]`, bias `[C_out]`; forward is [`Tensor::conv1d`]. Initialised as
/// [`Conv2d`] (`fan_in = C_in/groups·k`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{Conv1d, ConvOptions, Module};
/// let conv: Conv1d = Conv1d::with_options(3, 8, 5, ConvOptions::default().stride(2));
/// assert_eq!(conv.forward(&Tensor::ones(&[2, 3, 20])).shape().as_slice(), &[2, 8, 8]);
/// assert_eq!(conv.summary(), "Conv1d(3, 8, kernel_size=(5,), stride=(2,))");
/// ```
pub type Conv1d<T = f32> = ConvNd<T, 1>;

/// A kernel size as the convolution layers take it: one `k` for every dimension or one per
/// dimension (`kernel_size=3` or `kernel_size=(3, 5)`).
pub trait KernelSize<const D: usize> {
    /// The size per spatial dimension.
    fn per_dimension(self) -> [usize; D];
}

impl<const D: usize> KernelSize<D> for usize {
    fn per_dimension(self) -> [usize; D] {
        [self; D]
    }
}

impl<const D: usize> KernelSize<D> for [usize; D] {
    fn per_dimension(self) -> [usize; D] {
        self
    }
}

/// A convolution layer over `D` spatial dimensions (`torch.nn.Conv1d`, `torch.nn.Conv2d`):
/// used as [`Conv1d`] and [`Conv2d`], which document it.
pub struct ConvNd<T: Element, const D: usize> {
    /// `[out_channels, in_channels/groups, k...]`, requires grad.
    pub weight: Tensor<T>,
    /// `[out_channels]`, requires grad; `None` for `bias=False`.
    pub bias: Option<Tensor<T>>,
    core: ConvCore<D>,
    training: AtomicBool,
}

impl<T: Element, const D: usize> ConvNd<T, D> {
    /// `Conv2d(in_channels, out_channels, kernel_size)` (or `Conv1d(…)`): stride 1, no padding,
    /// bias.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: impl KernelSize<D>) -> Self {
        Self::with_options(
            in_channels,
            out_channels,
            kernel_size,
            ConvOptions::default(),
        )
    }

    /// `Conv2d(in_channels, out_channels, kernel_size, stride=…, padding=…, dilation=…,
    /// groups=…, bias=…)` (and `Conv1d(…)` likewise).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{Conv2d, ConvOptions, ConvPadding, Module};
    /// let conv = Conv2d::<f32>::with_options(4, 6, [4, 3],
    ///     ConvOptions::default().padding(ConvPadding::Same).dilations([1, 2]).groups(2).bias(false));
    /// assert_eq!(conv.forward(&Tensor::ones(&[1, 4, 5, 6])).shape().as_slice(), &[1, 6, 5, 6]);
    /// assert_eq!(conv.summary(),
    ///     "Conv2d(4, 6, kernel_size=(4, 3), stride=(1, 1), padding=same, dilation=(1, 2), groups=2, bias=False)");
    /// ```
    pub fn with_options(
        in_channels: usize,
        out_channels: usize,
        kernel_size: impl KernelSize<D>,
        options: ConvOptions<D>,
    ) -> Self {
        let layer = format!("Conv{D}d");
        let kernel_size = kernel_size.per_dimension();
        let (core, weight, bias) =
            ConvCore::new(&layer, in_channels, out_channels, kernel_size, options);
        ConvNd {
            weight,
            bias,
            core,
            training: AtomicBool::new(true),
        }
    }

    /// The layer's settings (`stride`, `padding`, `dilation`, `groups`, `bias`).
    pub fn options(&self) -> ConvOptions<D> {
        self.core.options
    }
}

impl<T: Element, const D: usize> Module<T> for ConvNd<T, D> {
    /// [`Tensor::conv1d`] or [`Tensor::conv2d`] (after the extra `"same"` padding).
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let (padding, extra) = self.core.padding();
        let o = &self.core.options;
        let (w, b, g) = (&self.weight, self.bias.as_ref(), o.groups);
        let x = self.core.pad_input(input, extra);
        match D {
            1 => x.conv1d(w, b, o.stride[0], padding[0], o.dilation[0], g),
            2 => {
                let pair = |v: [usize; D]| [v[0], v[1]];
                x.conv2d(w, b, pair(o.stride), pair(padding), pair(o.dilation), g)
            }
            _ => unreachable!("tapegrad has 1-D and 2-D convolution layers"),
        }
    }

    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        present_parameters(&[("weight", Some(&self.weight)), ("bias", self.bias.as_ref())])
    }

    fn extra_repr(&self) -> String {
        self.core.extra_repr(self.bias.is_some())
    }

    fn type_name(&self) -> String {
        format!("Conv{D}d")
    }

    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
