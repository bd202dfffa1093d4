//! Products: `prod` (of everything or over dims) and the running `cumprod`.
//!
//! Both gradients are computed exactly when inputs contain zeros (PyTorch's care too): the
//! derivative of `Π x_j` by `x_i` is the product of the *other* elements, built from prefix
//! and suffix products instead of dividing by `x_i`. These backward rules are first-order:
//! the gradient is differentiable in the incoming gradient, not again in `x`.

use crate::element::Element;
use crate::graph::renamed;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use ndarray::{ArrayD, Axis};
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// The product of all elements, as a 0-d tensor (`x.prod()`; 1 for an empty tensor).
    /// Derivative: ∂/∂x_i = Π_{j≠i} x_j.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![2.0f32, 0.0, 4.0], &[3]).requires_grad_(true);
    /// let p = x.prod();
    /// p.backward();
    /// assert_eq!((p.item(), x.grad().unwrap().to_vec()), (0.0, vec![0.0, 8.0, 0.0]));
    /// ```
    pub fn prod(&self) -> Tensor<T> {
        renamed(self.reshape(&[-1]).prod_dim(0, false), "ProdBackward0")
    }

    /// The product along `dim` (`x.prod(dim, keepdim)`). Derivative as [`Tensor::prod`], lane
    /// by lane.
    pub fn prod_dim(&self, dim: isize, keepdim: bool) -> Tensor<T> {
        let shape = self.shape();
        if shape.is_empty() {
            return self.copy();
        }
        let d = or_panic(normalize_dim("prod", dim, &shape));
        let mut out = self
            .data()
            .map_axis(Axis(d), |lane| lane.iter().fold(T::one(), |p, &v| p * v));
        if keepdim {
            out = out.insert_axis(Axis(d));
        }
        record(out, ProdBackward { dim: d, keepdim }, &[self])
    }

    /// Running products along `dim` (`torch.cumprod`). Derivative:
    /// ∂y_k/∂x_i = Π_{j≤k, j≠i} x_j for i ≤ k.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    /// assert_eq!(x.cumprod(0).to_vec(), vec![1.0, 2.0, 6.0]);
    /// ```
    pub fn cumprod(&self, dim: isize) -> Tensor<T> {
        let shape = self.shape();
        let d = if shape.is_empty() {
            0
        } else {
            or_panic(normalize_dim("cumprod", dim, &shape))
        };
        let mut out = self.data().to_owned();
        if !shape.is_empty() {
            out.accumulate_axis_inplace(Axis(d), |&prev, cur| *cur *= prev);
        }
        record(out, CumprodBackward { dim: d }, &[self])
    }
}

/// For one lane `x`, `Π_{j≠i} x_j` for every `i` (prefix times suffix products).
fn products_of_others<T: Element>(x: &[T]) -> Vec<T> {
    let n = x.len();
    let mut out = vec![T::one(); n];
    let mut prefix = T::one();
    for i in 0..n {
        out[i] = prefix;
        prefix *= x[i];
    }
    let mut suffix = T::one();
    for i in (0..n).rev() {
        out[i] *= suffix;
        suffix *= x[i];
    }
    out
}

/// `x`'s lanes along `d` mapped by `f` into an array of `x`'s shape.
fn map_lanes<T: Element>(x: &Tensor<T>, d: usize, f: impl Fn(&[T]) -> Vec<T>) -> ArrayD<T> {
    let data = x.data();
    let mut out = data.to_owned();
    for (lane, mut out_lane) in data.lanes(Axis(d)).into_iter().zip(out.lanes_mut(Axis(d))) {
        let v: Vec<T> = lane.iter().copied().collect();
        for (o, r) in out_lane.iter_mut().zip(f(&v)) {
            *o = r;
        }
    }
    out
}

struct ProdBackward {
    dim: usize,
    keepdim: bool,
}
impl<T: Element> Op<T> for ProdBackward {
    fn name(&self) -> &'static str {
        "ProdBackward1"
    }
    fn rule(&self) -> &'static str {
        "d prod(x)/dx_i = product of the other elements"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let x = &c.inputs[0];
        let others = Tensor::from_array(map_lanes(x, self.dim, products_of_others));
        let g = if self.keepdim {
            c.grad.clone()
        } else {
            c.grad.unsqueeze(self.dim as isize)
        };
        smallvec![Some(g.broadcast_to(&x.shape()).mul(&others))]
    }
}

struct CumprodBackward {
    dim: usize,
}
impl<T: Element> Op<T> for CumprodBackward {
    fn name(&self) -> &'static str {
        "CumprodBackward0"
    }
    fn rule(&self) -> &'static str {
        "d cumprod(x)_k/dx_i = product of x_j for j <= k, j != i (i <= k)"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let x = &c.inputs[0];
        if x.ndim() == 0 {
            return smallvec![Some(c.grad.clone())];
        }
        // O(n²) per lane, exact with zeros: Σ_{k≥i} g_k Π_{j≤k, j≠i} x_j.
        let d = self.dim;
        let xs = x.data().to_owned();
        let gs = c.grad.data().to_owned();
        let mut out = xs.clone();
        for ((xl, gl), mut ol) in xs
            .lanes(Axis(d))
            .into_iter()
            .zip(gs.lanes(Axis(d)))
            .zip(out.lanes_mut(Axis(d)))
        {
            let n = xl.len();
            for i in 0..n {
                let mut total = T::zero();
                let mut before = T::one(); // Π_{j<i} x_j
                for j in 0..i {
                    before *= xl[j];
                }
                let mut run = before; // Π_{j≤k, j≠i} x_j, for k = i first
                for k in i..n {
                    if k > i {
                        run *= xl[k];
                    }
                    total += gl[k] * run;
                }
                ol[i] = total;
            }
        }
        smallvec![Some(Tensor::from_array(out))]
    }
}
