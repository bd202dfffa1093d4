//! [`ConvTranspose2d`] (`torch.nn.ConvTranspose2d`).

use super::conv::{check_groups, ConvOptions, ConvPadding};
use super::present_parameters;
use super::repr::py_tuple;
use crate::functional::conv_transpose2d;
use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// A transposed 2-D convolution (`torch.nn.ConvTranspose2d(in_channels, out_channels,
/// kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True, dilation=1)`), the
/// adjoint of [`Conv2d`](crate::Conv2d): input `[N, C_in, H, W]`, output `[N, C_out, oH, oW]`
/// with `oH = (H − 1)·stride − 2·padding + dilation·(kH − 1) + output_padding + 1`.
///
/// `weight` has PyTorch's transposed layout `[in_channels, out_channels/groups, kH, kW]` and
/// is initialised as PyTorch does, `kaiming_uniform_(a=√5)` on that shape, so with
/// `fan_in = out_channels/groups · kH · kW`; `bias` `[out_channels]` is U(−1/√fan_in,
/// 1/√fan_in). The stride, padding, dilation, groups and bias come from [`ConvOptions`]
/// (explicit padding only, as PyTorch), `output_padding` from
/// [`with_output_padding`](ConvTranspose2d::with_output_padding). Derivative: see
/// [`conv_transpose2d`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{ConvOptions, ConvTranspose2d, Module};
/// let up: ConvTranspose2d = ConvTranspose2d::with_options(4, 2, [3, 3], ConvOptions::default().stride(2).padding(1))
///     .with_output_padding([1, 1]);
/// assert_eq!(up.weight.shape().as_slice(), &[4, 2, 3, 3]);
/// assert_eq!(up.forward(&Tensor::zeros(&[1, 4, 5, 5])).shape().as_slice(), &[1, 2, 10, 10]);
/// assert_eq!(up.summary(), "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), output_padding=(1, 1))");
/// ```
pub struct ConvTranspose2d<T: Element = f32> {
    /// `[in_channels, out_channels/groups, kH, kW]`.
    pub weight: Tensor<T>,
    /// `[out_channels]`; `None` with `bias=false`.
    pub bias: Option<Tensor<T>>,
    /// Number of input channels.
    pub in_channels: usize,
    /// Number of output channels.
    pub out_channels: usize,
    /// `(kH, kW)`.
    pub kernel_size: [usize; 2],
    /// `stride`.
    pub stride: [usize; 2],
    /// Implicit zero padding removed from both sides of the output.
    pub padding: [usize; 2],
    /// Extra rows/columns added to one side (bottom/right) of the output.
    pub output_padding: [usize; 2],
    /// `dilation`.
    pub dilation: [usize; 2],
    /// `groups`.
    pub groups: usize,
    training: AtomicBool,
}

impl<T: Element> ConvTranspose2d<T> {
    /// `ConvTranspose2d(in_channels, out_channels, kernel_size)`.
    pub fn new(in_channels: usize, out_channels: usize, kernel_size: [usize; 2]) -> Self {
        Self::with_options(
            in_channels,
            out_channels,
            kernel_size,
            ConvOptions::default(),
        )
    }

    /// `ConvTranspose2d(in_channels, out_channels, kernel_size, stride=…, padding=…,
    /// groups=…, bias=…, dilation=…)`; panics as PyTorch on channels not divisible by
    /// `groups`, and on `padding="same"`/`"valid"` (PyTorch's transposed convolutions take
    /// explicit padding only; `"valid"` is taken as zero).
    pub fn with_options(
        in_channels: usize,
        out_channels: usize,
        kernel_size: [usize; 2],
        options: ConvOptions<2>,
    ) -> Self {
        let g = options.groups;
        check_groups("ConvTranspose2d", in_channels, out_channels, g);
        let padding = match options.padding {
            ConvPadding::Explicit(p) => p,
            ConvPadding::Valid => [0, 0],
            ConvPadding::Same => {
                panic!(
                    "ConvTranspose2d: padding='same' is not supported for transposed convolutions"
                )
            }
        };
        let weight_shape = [
            in_channels,
            out_channels / g,
            kernel_size[0],
            kernel_size[1],
        ];
        let (weight, bias) =
            crate::init::reset_parameters(&weight_shape, out_channels, options.bias);
        ConvTranspose2d {
            weight,
            bias,
            in_channels,
            out_channels,
            kernel_size,
            stride: options.stride,
            padding,
            output_padding: [0, 0],
            dilation: options.dilation,
            groups: g,
            training: AtomicBool::new(true),
        }
    }

    /// Sets `output_padding=(a, b)`; panics, as PyTorch, unless each is smaller than the
    /// stride or the dilation of its dimension.
    pub fn with_output_padding(mut self, output_padding: [usize; 2]) -> Self {
        for d in 0..2 {
            assert!(
                output_padding[d] < self.stride[d] || output_padding[d] < self.dilation[d],
                "ConvTranspose2d: output padding must be smaller than either stride or \
                 dilation, but got output_padding={output_padding:?}, stride={:?}, \
                 dilation={:?}",
                self.stride,
                self.dilation
            );
        }
        self.output_padding = output_padding;
        self
    }
}

impl<T: Element> Module<T> for ConvTranspose2d<T> {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        conv_transpose2d(
            input,
            &self.weight,
            self.bias.as_ref(),
            self.stride,
            self.padding,
            self.output_padding,
            self.groups,
            self.dilation,
        )
    }

    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        present_parameters(&[("weight", Some(&self.weight)), ("bias", self.bias.as_ref())])
    }

    fn extra_repr(&self) -> String {
        let mut s = format!(
            "{}, {}, kernel_size={}, stride={}",
            self.in_channels,
            self.out_channels,
            py_tuple(&self.kernel_size),
            py_tuple(&self.stride)
        );
        if self.padding != [0, 0] {
            s += &format!(", padding={}", py_tuple(&self.padding));
        }
        if self.dilation != [1, 1] {
            s += &format!(", dilation={}", py_tuple(&self.dilation));
        }
        if self.output_padding != [0, 0] {
            s += &format!(", output_padding={}", py_tuple(&self.output_padding));
        }
        if self.groups != 1 {
            s += &format!(", groups={}", self.groups);
        }
        if self.bias.is_none() {
            s += ", bias=False";
        }
        s
    }

    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
