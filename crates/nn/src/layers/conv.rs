//! [`Conv1d`] and [`Conv2d`] (`torch.nn.Conv1d`, `torch.nn.Conv2d`), with their options
//! [`ConvOptions`] and [`ConvPadding`].

use crate::init::{self, FanMode, Nonlinearity};
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

impl<const D: usize> ConvCore<D> {
    /// Checks the arguments as PyTorch's `_ConvNd.__init__` does and initialises as its
    /// `reset_parameters`: `kaiming_uniform_(weight, a=√5)`, then bias U(−1/√fan_in,
    /// 1/√fan_in) with `fan_in = in_channels/groups · Πk`.
    /// Returns the settings, the weight and the bias.
    fn new<T: Element>(
        layer: &str,
        in_channels: usize,
        out_channels: usize,
        kernel_size: [usize; D],
        options: ConvOptions<D>,
    ) -> (Self, Tensor<T>, Option<Tensor<T>>) {
        let g = options.groups;
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
        if options.padding == ConvPadding::Same {
            assert!(
                options.stride.iter().all(|&s| s == 1),
                "{layer}: padding='same' is not supported for strided convolutions (got \
                 stride={:?})",
                options.stride
            );
        }
        let mut shape = vec![out_channels, in_channels / g];
        shape.extend_from_slice(&kernel_size);
        let weight = Tensor::<T>::zeros(&shape);
        init::kaiming_uniform_(
            &weight,
            5f64.sqrt(),
            FanMode::FanIn,
            Nonlinearity::LeakyRelu,
        );
        let bias = options.bias.then(|| {
            let b = Tensor::<T>::zeros(&[out_channels]);
            let (fan_in, _) = init::fan_in_and_fan_out(&weight);
            if fan_in > 0 {
                let bound = 1.0 / (fan_in as f64).sqrt();
                init::uniform_(&b, -bound, bound);
            }
            b.requires_grad_(true)
        });
        let core = ConvCore {
            in_channels,
            out_channels,
            kernel_size,
            options,
        };
        (core, weight.requires_grad_(true), bias)
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
        let tuple = |v: &[usize]| -> String {
            if v.len() == 1 {
                format!("({},)", v[0])
            } else {
                let parts: Vec<String> = v.iter().map(|x| x.to_string()).collect();
                format!("({})", parts.join(", "))
            }
        };
        let o = &self.options;
        let mut s = format!(
            "{}, {}, kernel_size={}, stride={}",
            self.in_channels,
            self.out_channels,
            tuple(&self.kernel_size),
            tuple(&o.stride)
        );
        match o.padding {
            ConvPadding::Explicit(p) if p.iter().any(|&x| x != 0) => {
                s += &format!(", padding={}", tuple(&p))
            }
            ConvPadding::Explicit(_) => {}
            ConvPadding::Same => s += ", padding=same",
            ConvPadding::Valid => s += ", padding=valid",
        }
        if o.dilation.iter().any(|&d| d != 1) {
            s += &format!(", dilation={}", tuple(&o.dilation));
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
pub struct Conv2d<T: Element = f32> {
    /// `[out_channels, in_channels/groups, kH, kW]`, requires grad.
    pub weight: Tensor<T>,
    /// `[out_channels]`, requires grad; `None` for `bias=False`.
    pub bias: Option<Tensor<T>>,
    core: ConvCore<2>,
    training: AtomicBool,
}

impl<T: Element> Conv2d<T> {
    /// `Conv2d(in_channels, out_channels, kernel_size)`: stride 1, no padding, bias.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: [usize; 2]) -> Self {
        Self::with_options(
            in_channels,
            out_channels,
            kernel_size,
            ConvOptions::default(),
        )
    }

    /// `Conv2d(in_channels, out_channels, kernel_size, stride=…, padding=…, dilation=…,
    /// groups=…, bias=…)`.
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
        kernel_size: [usize; 2],
        options: ConvOptions<2>,
    ) -> Self {
        let (core, weight, bias) =
            ConvCore::new("Conv2d", in_channels, out_channels, kernel_size, options);
        Conv2d {
            weight,
            bias,
            core,
            training: AtomicBool::new(true),
        }
    }

    /// The layer's settings (`stride`, `padding`, `dilation`, `groups`, `bias`).
    pub fn options(&self) -> ConvOptions<2> {
        self.core.options
    }
}

impl<T: Element> Module<T> for Conv2d<T> {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let (padding, extra) = self.core.padding();
        let o = &self.core.options;
        self.core.pad_input(input, extra).conv2d(
            &self.weight,
            self.bias.as_ref(),
            o.stride,
            padding,
            o.dilation,
            o.groups,
        )
    }

    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut v = vec![("weight".to_string(), self.weight.clone())];
        if let Some(b) = &self.bias {
            v.push(("bias".to_string(), b.clone()));
        }
        v
    }

    fn extra_repr(&self) -> String {
        self.core.extra_repr(self.bias.is_some())
    }

    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}

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
pub struct Conv1d<T: Element = f32> {
    /// `[out_channels, in_channels/groups, k]`, requires grad.
    pub weight: Tensor<T>,
    /// `[out_channels]`, requires grad; `None` for `bias=False`.
    pub bias: Option<Tensor<T>>,
    core: ConvCore<1>,
    training: AtomicBool,
}

impl<T: Element> Conv1d<T> {
    /// `Conv1d(in_channels, out_channels, kernel_size)`: stride 1, no padding, bias.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: usize) -> Self {
        Self::with_options(
            in_channels,
            out_channels,
            kernel_size,
            ConvOptions::default(),
        )
    }

    /// `Conv1d(in_channels, out_channels, kernel_size, stride=…, padding=…, dilation=…,
    /// groups=…, bias=…)`.
    pub fn with_options(
        in_channels: usize,
        out_channels: usize,
        kernel_size: usize,
        options: ConvOptions<1>,
    ) -> Self {
        let (core, weight, bias) =
            ConvCore::new("Conv1d", in_channels, out_channels, [kernel_size], options);
        Conv1d {
            weight,
            bias,
            core,
            training: AtomicBool::new(true),
        }
    }

    /// The layer's settings (`stride`, `padding`, `dilation`, `groups`, `bias`).
    pub fn options(&self) -> ConvOptions<1> {
        self.core.options
    }
}

impl<T: Element> Module<T> for Conv1d<T> {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let (padding, extra) = self.core.padding();
        let o = &self.core.options;
        self.core.pad_input(input, extra).conv1d(
            &self.weight,
            self.bias.as_ref(),
            o.stride[0],
            padding[0],
            o.dilation[0],
            o.groups,
        )
    }

    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut v = vec![("weight".to_string(), self.weight.clone())];
        if let Some(b) = &self.bias {
            v.push(("bias".to_string(), b.clone()));
        }
        v
    }

    fn extra_repr(&self) -> String {
        self.core.extra_repr(self.bias.is_some())
    }

    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
