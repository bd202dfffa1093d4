//! [`GroupNorm`] (`torch.nn.GroupNorm`).

use super::repr::{py_bool, python_float};
use super::{affine_parameters, present_parameters};
use crate::functional::group_norm;
use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// Group normalisation (`torch.nn.GroupNorm(num_groups, num_channels, eps=1e-05,
/// affine=True, *, bias=True)`): the `C` channels of an `[N, C, *]` input are split into `num_groups`
/// groups, each sample's group is normalised with its own mean and biased variance, then the
/// per-channel `weight` (ones at first) and `bias` (zeros at first), both of shape `[C]`, scale
/// and shift. The same in training and eval (no running statistics). Derivative: that of the
/// reshape, mean, variance and arithmetic it is built from ([`group_norm`]).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{GroupNorm, Module};
/// let gn: GroupNorm = GroupNorm::new(2, 4);
/// let y = gn.forward(&Tensor::from_vec((0..8).map(|v| v as f32).collect(), &[1, 4, 2]));
/// assert!(y.mean().item().abs() < 1e-6);
/// assert_eq!(gn.summary(), "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)");
/// let no_bias: GroupNorm = GroupNorm::new(2, 4).bias(false);
/// assert_eq!(no_bias.state_dict().keys(), ["weight"]);
/// ```
pub struct GroupNorm<T: Element = f32> {
    /// Number of groups the channels are split into.
    pub num_groups: usize,
    /// Number of channels `C` of the input.
    pub num_channels: usize,
    /// Added to the variance (default 1e-5).
    pub eps: f64,
    /// Per-channel scale, ones at first; `None` without `affine`.
    pub weight: Option<Tensor<T>>,
    /// Per-channel shift, zeros at first; `None` without `affine` or `bias`.
    pub bias: Option<Tensor<T>>,
    training: AtomicBool,
}

impl<T: Element> GroupNorm<T> {
    /// `GroupNorm(num_groups, num_channels)` with eps 1e-5 and affine parameters.
    pub fn new(num_groups: usize, num_channels: usize) -> Self {
        Self::with_options(num_groups, num_channels, 1e-5, true)
    }

    /// `GroupNorm(num_groups, num_channels, eps, affine)`; panics, as PyTorch, unless
    /// `num_channels` is divisible by `num_groups`.
    pub fn with_options(num_groups: usize, num_channels: usize, eps: f64, affine: bool) -> Self {
        assert!(
            num_groups > 0 && num_channels.is_multiple_of(num_groups),
            "GroupNorm: num_channels must be divisible by num_groups (got num_channels=\
             {num_channels}, num_groups={num_groups})"
        );
        let (weight, bias) = affine_parameters(&[num_channels], affine, affine);
        GroupNorm {
            num_groups,
            num_channels,
            eps,
            weight,
            bias,
            training: AtomicBool::new(true),
        }
    }

    /// `bias=false` drops the shift (PyTorch's keyword-only `bias`, default true).
    pub fn bias(mut self, bias: bool) -> Self {
        if !bias {
            self.bias = None;
        }
        self
    }
}

impl<T: Element> Module<T> for GroupNorm<T> {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let shape = input.shape();
        assert!(
            shape.len() >= 2 && shape[1] == self.num_channels,
            "GroupNorm: expected input of shape [N, {}, *] (num_channels={}), but got input of \
             size {:?}",
            self.num_channels,
            self.num_channels,
            shape.as_slice()
        );
        group_norm(
            input,
            self.num_groups,
            self.weight.as_ref(),
            self.bias.as_ref(),
            self.eps,
        )
    }
    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        present_parameters(&[
            ("weight", self.weight.as_ref()),
            ("bias", self.bias.as_ref()),
        ])
    }
    fn extra_repr(&self) -> String {
        let affine = py_bool(self.weight.is_some());
        let bias = py_bool(self.bias.is_some());
        format!(
            "{}, {}, eps={}, affine={affine}, bias={bias}",
            self.num_groups,
            self.num_channels,
            python_float(self.eps)
        )
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
