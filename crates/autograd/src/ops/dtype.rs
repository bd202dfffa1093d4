//! Conversions between element types (`x.to(dtype)`, `x.float()`, `x.double()`, `x.long()`,
//! `x.bool()`).
//!
//! A float → float conversion is differentiable: the gradient is converted back
//! (`ToCopyBackward0`). The two float types have separate graphs (a graph holds one element
//! type), so the conversion's backward runs a backward pass over the source's graph with the
//! converted gradient (retaining it); gradients reaching the leaves are the same as PyTorch's,
//! but a hook on a tensor above a conversion that is used twice sees each share separately.
//! Conversions from or to integers and booleans have no gradient, as in PyTorch.

use crate::backward::BackwardOptions;
use crate::element::{Element, Scalar};
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record_bridge, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;
use smallvec::smallvec;
use std::any::Any;

impl<T: Scalar> Tensor<T> {
    /// The values converted to element type `U` (`x.to(dtype)`): floats round to nearest,
    /// floats to `i64` truncate toward zero, non-zero is `true`, `true` is 1. Returns `self`
    /// when `U` is `T`. Derivative (float → float): the gradient converted back.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.5f32, -2.7], &[2]).requires_grad_(true);
    /// assert_eq!(x.to_dtype::<i64>().to_vec(), vec![1, -2]);
    /// let y = x.to_dtype::<f64>();
    /// (&y * &y).sum().backward(); // d/dx Σ x² = 2x, computed in f64, converted back
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, -5.4]);
    /// ```
    pub fn to_dtype<U: Scalar>(&self) -> Tensor<U> {
        if let Some(same) = (self as &dyn Any).downcast_ref::<Tensor<U>>() {
            return same.clone();
        }
        let out: Tensor<U> = self.cast();
        if !(U::DTYPE.is_floating_point() && self.requires_grad() && is_grad_enabled()) {
            return out;
        }
        let any: &dyn Any = self;
        if let Some(src) = any.downcast_ref::<Tensor<f32>>() {
            bridge(src, out)
        } else if let Some(src) = any.downcast_ref::<Tensor<f64>>() {
            bridge(src, out)
        } else {
            out
        }
    }

    /// As `f32` (`x.float()`).
    pub fn float(&self) -> Tensor<f32> {
        self.to_dtype()
    }

    /// As `f64` (`x.double()`).
    pub fn double(&self) -> Tensor<f64> {
        self.to_dtype()
    }

    /// As `i64` (`x.long()`): floats truncate toward zero.
    pub fn long(&self) -> Tensor<i64> {
        self.to_dtype()
    }

    /// As `bool` (`x.bool()`): `true` where the element is non-zero.
    pub fn bool(&self) -> Tensor<bool> {
        self.to_dtype()
    }
}

/// Records `out` (the converted values) as produced from `src` across the two graphs.
fn bridge<S: Element, U: Scalar>(src: &Tensor<S>, out: Tensor<U>) -> Tensor<U> {
    record_bridge(
        out,
        ToCopyBackward {
            source: src.clone(),
        },
    )
}

struct ToCopyBackward<S: Element> {
    source: Tensor<S>,
}
impl<S: Element, U: Scalar> Op<U> for ToCopyBackward<S> {
    fn name(&self) -> &'static str {
        "ToCopyBackward0"
    }
    fn rule(&self) -> &'static str {
        "a conversion between float types: the gradient converted back"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, U>) -> InputGrads<U>
    where
        U: Element,
    {
        let g: Tensor<S> = c.grad.to_dtype();
        let create_graph = is_grad_enabled();
        self.source.backward_with(
            BackwardOptions::new()
                .gradient(g)
                .retain_graph(true)
                .create_graph(create_graph),
        );
        smallvec![]
    }
}
