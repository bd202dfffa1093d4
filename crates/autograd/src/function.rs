//! Custom differentiable functions, as PyTorch's `torch.autograd.Function`: a forward computed
//! on plain values (no graph is recorded inside it), a backward that receives the tensors saved
//! with [`FunctionCtx::save_for_backward`] and the gradient of the output. Applied with
//! [`apply`], the function joins the graph like any built-in op, works with `gradcheck`, and its
//! saved tensors are checked against in-place changes as PyTorch checks them.
//!
//! The tutorial's `LegendrePolynomial3` (`../shared/scripts/polynomial.py`), P₃(x) = ½(5x³ − 3x),
//! P₃'(x) = 1.5(5x² − 1):
//!
//! ```
//! use tapegrad_autograd::function::{apply, Function, FunctionCtx};
//! use tapegrad_autograd::{gradcheck, Tensor};
//!
//! struct LegendrePolynomial3;
//! impl Function<f64> for LegendrePolynomial3 {
//!     fn name(&self) -> &'static str {
//!         "LegendrePolynomial3Backward"
//!     }
//!     fn forward(&self, ctx: &mut FunctionCtx<f64>, inputs: &[Tensor<f64>]) -> Tensor<f64> {
//!         let x = &inputs[0];
//!         ctx.save_for_backward(&[x]);
//!         (x.pow(3) * 5.0 - x * 3.0) * 0.5
//!     }
//!     fn backward(&self, ctx: &FunctionCtx<f64>, grad_output: &Tensor<f64>) -> Vec<Option<Tensor<f64>>> {
//!         let x = &ctx.saved_tensors()[0];
//!         vec![Some(grad_output * &((x.pow(2) * 5.0 - 1.0) * 1.5))]
//!     }
//! }
//!
//! let x = Tensor::from_vec(vec![-0.5, 0.25, 0.9], &[3]).requires_grad_(true);
//! let y = apply(LegendrePolynomial3, &[&x]);
//! assert_eq!(y.grad_fn_name(), Some("LegendrePolynomial3Backward"));
//! y.sum().backward();
//! let g = x.grad().unwrap().to_vec();
//! assert!((g[0] - 1.5 * (5.0 * 0.25 - 1.0)).abs() < 1e-12);
//! let p3 = |v: &[Tensor<f64>]| apply(LegendrePolynomial3, &[&v[0]]);
//! assert!(gradcheck(p3, &[x.detach()], 1e-6, 1e-7, 1e-5).is_ok());
//! ```

use crate::element::Element;
use crate::grad_mode::no_grad;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::tensor::Tensor;

/// What a custom function keeps between its forward and its backward (PyTorch's `ctx`).
pub struct FunctionCtx<T: Element> {
    saved: Vec<Tensor<T>>,
    versions: Vec<u64>,
}

impl<T: Element> FunctionCtx<T> {
    /// Keeps tensors for the backward (`ctx.save_for_backward(*tensors)`). Changing one of them
    /// in place before backward makes backward fail with PyTorch's message.
    pub fn save_for_backward(&mut self, tensors: &[&Tensor<T>]) {
        for t in tensors {
            self.saved.push((*t).clone());
            self.versions.push(t.version());
        }
    }

    /// The saved tensors, in the order saved (`ctx.saved_tensors`).
    pub fn saved_tensors(&self) -> &[Tensor<T>] {
        &self.saved
    }
}

/// A differentiable function written by hand (`torch.autograd.Function`).
pub trait Function<T: Element>: Send + Sync + 'static {
    /// The `grad_fn` name shown for its outputs (PyTorch: the class name + `"Backward"`).
    fn name(&self) -> &'static str {
        "CustomFunctionBackward"
    }
    /// The value, from plain inputs (runs with grad mode off, as PyTorch's `forward`).
    fn forward(&self, ctx: &mut FunctionCtx<T>, inputs: &[Tensor<T>]) -> Tensor<T>;
    /// dLoss/dInput for every input (`None`: no gradient), given dLoss/dOutput. Written with
    /// tensor ops, it is itself differentiable under `create_graph`.
    fn backward(&self, ctx: &FunctionCtx<T>, grad_output: &Tensor<T>) -> Vec<Option<Tensor<T>>>;
}

/// Runs `f` on `inputs` and records it in the graph (`MyFunction.apply(*inputs)`).
pub fn apply<T: Element, F: Function<T>>(f: F, inputs: &[&Tensor<T>]) -> Tensor<T> {
    let mut ctx = FunctionCtx {
        saved: Vec::new(),
        versions: Vec::new(),
    };
    let plain: Vec<Tensor<T>> = inputs.iter().map(|t| t.detach()).collect();
    let out = no_grad(|| f.forward(&mut ctx, &plain));
    let value = out.data().to_owned();
    record(value, FunctionNode { f, ctx }, inputs)
}

struct FunctionNode<T: Element, F> {
    f: F,
    ctx: FunctionCtx<T>,
}

impl<T: Element, F: Function<T>> Op<T> for FunctionNode<T, F> {
    fn name(&self) -> &'static str {
        self.f.name()
    }
    fn rule(&self) -> &'static str {
        "a custom Function: its own backward"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        for (t, &v) in self.ctx.saved.iter().zip(&self.ctx.versions) {
            if t.version() != v {
                crate::graph::version_panic(t, v);
            }
        }
        let grads = self.f.backward(&self.ctx, c.grad);
        assert!(
            grads.len() == c.inputs.len(),
            "function {} returned an incorrect number of gradients (expected {}, got {})",
            self.f.name(),
            c.inputs.len(),
            grads.len()
        );
        grads.into_iter().collect()
    }
}
