//! Pooling layers: [`MaxPool2d`], [`MaxPool1d`], [`AvgPool2d`], [`AdaptiveAvgPool2d`],
//! [`AdaptiveMaxPool2d`]
//! (`torch.nn.MaxPool2d`, …), parameter-free wrappers of the `Tensor` pooling ops.

use super::repr::py_bool;
use crate::builder::setters;
use crate::Module;
use std::fmt;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// A size given as one int or as a pair, as PyTorch's pooling layers take it (and print it:
/// `kernel_size=2` or `kernel_size=(2, 3)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOrPair {
    /// `k`: the same for both dimensions.
    One(usize),
    /// `(k_h, k_w)`.
    Two([usize; 2]),
}

impl IntOrPair {
    /// The pair `(h, w)`.
    pub fn pair(self) -> [usize; 2] {
        match self {
            IntOrPair::One(k) => [k, k],
            IntOrPair::Two(p) => p,
        }
    }
}

impl From<usize> for IntOrPair {
    fn from(k: usize) -> Self {
        IntOrPair::One(k)
    }
}

impl From<[usize; 2]> for IntOrPair {
    fn from(p: [usize; 2]) -> Self {
        IntOrPair::Two(p)
    }
}

impl fmt::Display for IntOrPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrPair::One(k) => write!(f, "{k}"),
            IntOrPair::Two([h, w]) => write!(f, "({h}, {w})"),
        }
    }
}

/// The `extra_repr` of PyTorch's max pooling layers (`MaxPool1d`, `MaxPool2d`, PyTorch's
/// `_MaxPoolNd.extra_repr`).
fn max_pool_repr(
    kernel_size: &dyn fmt::Display,
    stride: &dyn fmt::Display,
    padding: &dyn fmt::Display,
    dilation: &dyn fmt::Display,
    ceil_mode: bool,
) -> String {
    format!(
        "kernel_size={kernel_size}, stride={stride}, padding={padding}, dilation={dilation}, \
         ceil_mode={}",
        py_bool(ceil_mode)
    )
}

/// 2-D max pooling (`torch.nn.MaxPool2d(kernel_size, stride=kernel_size, padding=0,
/// dilation=1, ceil_mode=False)`); forward is [`Tensor::max_pool2d`].
/// [`MaxPool2d::forward_with_indices`] is PyTorch's `return_indices=True`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{MaxPool2d, Module};
/// let pool = MaxPool2d::new(2);
/// let x: Tensor = Tensor::ones(&[1, 3, 7, 7]);
/// assert_eq!(pool.forward(&x).shape().as_slice(), &[1, 3, 3, 3]);
/// assert_eq!(pool.ceil_mode(true).forward(&x).shape().as_slice(), &[1, 3, 4, 4]);
/// assert_eq!(<MaxPool2d as Module>::summary(&MaxPool2d::new(2)),
///     "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)");
/// ```
pub struct MaxPool2d {
    /// `kernel_size`.
    pub kernel_size: IntOrPair,
    /// `stride` (defaults to `kernel_size`).
    pub stride: IntOrPair,
    /// `padding` (implicit `-∞` on both sides).
    pub padding: IntOrPair,
    /// `dilation`.
    pub dilation: IntOrPair,
    /// `ceil_mode`: round the output size up.
    pub ceil_mode: bool,
    training: AtomicBool,
}

impl MaxPool2d {
    /// `MaxPool2d(kernel_size)`: stride = kernel size, no padding, dilation 1, floor mode.
    pub fn new(kernel_size: impl Into<IntOrPair>) -> Self {
        let k = kernel_size.into();
        MaxPool2d {
            kernel_size: k,
            stride: k,
            padding: IntOrPair::One(0),
            dilation: IntOrPair::One(1),
            ceil_mode: false,
            training: AtomicBool::new(true),
        }
    }

    /// The pooled values and, for each, the flat index `h·W + w` of the chosen input
    /// (`MaxPool2d(..., return_indices=True)`; [`Tensor::max_pool2d_with_indices`]).
    pub fn forward_with_indices<T: Element>(&self, input: &Tensor<T>) -> (Tensor<T>, Tensor<i64>) {
        input.max_pool2d_with_indices(
            self.kernel_size.pair(),
            self.stride.pair(),
            self.padding.pair(),
            self.dilation.pair(),
            self.ceil_mode,
        )
    }
}

setters! {
    MaxPool2d {
        /// `stride=`.
        stride: impl Into<IntOrPair>,
        /// `padding=`.
        padding: impl Into<IntOrPair>,
        /// `dilation=`.
        dilation: impl Into<IntOrPair>,
        /// `ceil_mode=`.
        ceil_mode: bool,
    }
}

impl<T: Element> Module<T> for MaxPool2d {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        self.forward_with_indices(input).0
    }
    fn extra_repr(&self) -> String {
        max_pool_repr(
            &self.kernel_size,
            &self.stride,
            &self.padding,
            &self.dilation,
            self.ceil_mode,
        )
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}

/// 1-D max pooling (`torch.nn.MaxPool1d(kernel_size, stride=kernel_size, padding=0,
/// dilation=1, ceil_mode=False)`) over the last dimension of `[N, C, L]`; forward is
/// [`Tensor::max_pool1d`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{MaxPool1d, Module};
/// let x = Tensor::from_vec(vec![1.0f32, 5.0, 2.0, 4.0, 3.0], &[1, 1, 5]);
/// assert_eq!(MaxPool1d::new(2).forward(&x).to_vec(), [5.0, 4.0]);
/// assert_eq!(<MaxPool1d as Module>::summary(&MaxPool1d::new(3).stride(2)),
///     "MaxPool1d(kernel_size=3, stride=2, padding=0, dilation=1, ceil_mode=False)");
/// ```
pub struct MaxPool1d {
    /// `kernel_size`.
    pub kernel_size: usize,
    /// `stride` (defaults to `kernel_size`).
    pub stride: usize,
    /// `padding`.
    pub padding: usize,
    /// `dilation`.
    pub dilation: usize,
    /// `ceil_mode`.
    pub ceil_mode: bool,
    training: AtomicBool,
}

impl MaxPool1d {
    /// `MaxPool1d(kernel_size)`: stride = kernel size, no padding, dilation 1, floor mode.
    pub fn new(kernel_size: usize) -> Self {
        MaxPool1d {
            kernel_size,
            stride: kernel_size,
            padding: 0,
            dilation: 1,
            ceil_mode: false,
            training: AtomicBool::new(true),
        }
    }
}

setters! {
    MaxPool1d {
        /// `stride=`.
        stride: usize,
        /// `padding=`.
        padding: usize,
        /// `dilation=`.
        dilation: usize,
        /// `ceil_mode=`.
        ceil_mode: bool,
    }
}

impl<T: Element> Module<T> for MaxPool1d {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        input.max_pool1d(
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            self.ceil_mode,
        )
    }
    fn extra_repr(&self) -> String {
        max_pool_repr(
            &self.kernel_size,
            &self.stride,
            &self.padding,
            &self.dilation,
            self.ceil_mode,
        )
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}

/// 2-D average pooling (`torch.nn.AvgPool2d(kernel_size, stride=kernel_size, padding=0,
/// ceil_mode=False, count_include_pad=True)`); forward is [`Tensor::avg_pool2d`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{AvgPool2d, Module};
/// let x = Tensor::<f32>::arange(0.0, 16.0, 1.0).reshape(&[1, 1, 4, 4]);
/// assert_eq!(AvgPool2d::new(2).forward(&x).to_vec(), [2.5, 4.5, 10.5, 12.5]);
/// assert_eq!(<AvgPool2d as Module>::summary(&AvgPool2d::new([2, 3]).padding(1)),
///     "AvgPool2d(kernel_size=(2, 3), stride=(2, 3), padding=1)");
/// ```
pub struct AvgPool2d {
    /// `kernel_size`.
    pub kernel_size: IntOrPair,
    /// `stride` (defaults to `kernel_size`).
    pub stride: IntOrPair,
    /// `padding` (zeros on both sides).
    pub padding: IntOrPair,
    /// `ceil_mode`.
    pub ceil_mode: bool,
    /// `count_include_pad`: divide by the window size including padding (default) or by the
    /// number of input elements in the window.
    pub count_include_pad: bool,
    training: AtomicBool,
}

impl AvgPool2d {
    /// `AvgPool2d(kernel_size)`: stride = kernel size, no padding, floor mode,
    /// `count_include_pad=True`.
    pub fn new(kernel_size: impl Into<IntOrPair>) -> Self {
        let k = kernel_size.into();
        AvgPool2d {
            kernel_size: k,
            stride: k,
            padding: IntOrPair::One(0),
            ceil_mode: false,
            count_include_pad: true,
            training: AtomicBool::new(true),
        }
    }
}

setters! {
    AvgPool2d {
        /// `stride=`.
        stride: impl Into<IntOrPair>,
        /// `padding=`.
        padding: impl Into<IntOrPair>,
        /// `ceil_mode=`.
        ceil_mode: bool,
        /// `count_include_pad=`.
        count_include_pad: bool,
    }
}

impl<T: Element> Module<T> for AvgPool2d {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        input.avg_pool2d(
            self.kernel_size.pair(),
            self.stride.pair(),
            self.padding.pair(),
            self.ceil_mode,
            self.count_include_pad,
        )
    }
    fn extra_repr(&self) -> String {
        format!(
            "kernel_size={}, stride={}, padding={}",
            self.kernel_size, self.stride, self.padding
        )
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}

/// Adaptive average pooling to a fixed output size (`torch.nn.AdaptiveAvgPool2d(output_size)`);
/// forward is [`Tensor::adaptive_avg_pool2d`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{AdaptiveAvgPool2d, Module};
/// let x: Tensor = Tensor::ones(&[2, 8, 7, 5]);
/// assert_eq!(AdaptiveAvgPool2d::new(1).forward(&x).shape().as_slice(), &[2, 8, 1, 1]);
/// assert_eq!(<AdaptiveAvgPool2d as Module>::summary(&AdaptiveAvgPool2d::new([3, 4])),
///     "AdaptiveAvgPool2d(output_size=(3, 4))");
/// ```
pub struct AdaptiveAvgPool2d {
    /// `output_size`.
    pub output_size: IntOrPair,
    training: AtomicBool,
}

impl AdaptiveAvgPool2d {
    /// `AdaptiveAvgPool2d(output_size)`.
    pub fn new(output_size: impl Into<IntOrPair>) -> Self {
        AdaptiveAvgPool2d {
            output_size: output_size.into(),
            training: AtomicBool::new(true),
        }
    }
}

impl<T: Element> Module<T> for AdaptiveAvgPool2d {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        input.adaptive_avg_pool2d(self.output_size.pair())
    }
    fn extra_repr(&self) -> String {
        format!("output_size={}", self.output_size)
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}

/// Adaptive max pooling to a fixed output size (`torch.nn.AdaptiveMaxPool2d(output_size,
/// return_indices=False)`): over the last two dimensions of `[N, C, H, W]` or `[C, H, W]`,
/// output `(i, j)` is the maximum over rows `⌊i·H/oH⌋ .. ⌈(i+1)·H/oH⌉` and the columns
/// likewise. [`forward_with_indices`](AdaptiveMaxPool2d::forward_with_indices) is
/// `return_indices=True`. Derivative: the gradient goes to each window's (first) maximum
/// ([`adaptive_max_pool2d`](crate::functional::adaptive_max_pool2d)).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{AdaptiveMaxPool2d, Module};
/// let pool = AdaptiveMaxPool2d::new([1, 2]);
/// let x = Tensor::<f32>::arange(0.0, 8.0, 1.0).reshape(&[1, 2, 4]);
/// assert_eq!(pool.forward(&x).to_vec(), [5.0, 7.0]);
/// let (_, idx) = pool.forward_with_indices(&x);
/// assert_eq!(idx.to_vec(), [5, 7]);
/// assert_eq!(Module::<f32>::summary(&pool), "AdaptiveMaxPool2d(output_size=(1, 2))");
/// ```
pub struct AdaptiveMaxPool2d {
    /// `output_size`.
    pub output_size: IntOrPair,
    training: AtomicBool,
}

impl AdaptiveMaxPool2d {
    /// `AdaptiveMaxPool2d(output_size)`.
    pub fn new(output_size: impl Into<IntOrPair>) -> Self {
        AdaptiveMaxPool2d {
            output_size: output_size.into(),
            training: AtomicBool::new(true),
        }
    }

    /// The pooled values and the flat index `h·W + w` of each maximum in its input plane
    /// (`AdaptiveMaxPool2d(..., return_indices=True)`).
    pub fn forward_with_indices<T: Element>(&self, input: &Tensor<T>) -> (Tensor<T>, Tensor<i64>) {
        crate::functional::adaptive_max_pool2d(input, self.output_size.pair())
    }
}

impl<T: Element> Module<T> for AdaptiveMaxPool2d {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        self.forward_with_indices(input).0
    }
    fn extra_repr(&self) -> String {
        format!("output_size={}", self.output_size)
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
