//! Every differentiable operation, one small file each (or one file for a pair sharing its
//! backward: `add.rs` holds `add` and `sub`, `softmax.rs` `softmax` and `log_softmax`): the
//! forward function (a method on [`Tensor`](crate::Tensor)) and, right below it, the
//! [`Op`](crate::Op) with its backward rule written in tensor operations (so it can itself be
//! differentiated).
//!
//! To add an op: write `fn my_op(&self) -> Tensor<T>` that computes the value with `ndarray`
//! and calls `record(value, MyOpBackward { .. }, &[inputs])`, and implement `Op` for
//! `MyOpBackward` with its `name`, `rule` and `backward`. An elementwise function of one
//! tensor is one `unary_ops!` entry (`unary.rs`). Add a golden or gradcheck test.

mod abs;
mod activations;
mod add;
pub(crate) mod batch_norm;
mod binary;
mod broadcast;
mod clamp;
mod compare;
pub(crate) mod conv;
mod div;
pub(crate) mod dropout;
mod dtype;
mod einsum;
mod elementwise;
mod exp;
mod gather;
mod gelu;
pub(crate) mod index;
mod inplace;
mod join;
pub(crate) mod layer_norm;
mod leaky_relu;
mod linear;
mod log;
pub mod losses;
pub(crate) mod lstm_cell;
pub(crate) mod lstm_sequence;
mod matmul;
mod max;
mod mean;
mod mul;
mod nan_to_num;
mod neg;
mod operators;
pub(crate) mod par;
mod permute;
pub(crate) mod pool;
mod pow;
mod product;
pub mod random;
mod rearrange;
mod reduce;
mod relu;
mod reshape;
mod sigmoid;
mod slice;
mod softmax;
mod sort;
mod sqrt;
mod standardize;
pub(crate) mod sum;
mod tanh;
mod unary;
pub(crate) mod view;

use crate::element::Element;
use crate::tensor::Tensor;
use crate::TensorError;

pub use compare::TensorOrScalar;
pub use inplace::InplaceRhs;
pub use losses::Reduction;
pub use slice::{SliceArg, SliceArgs};

/// Values of `x` mapped through `f`, as a constant (non-recorded) tensor: the local derivative
/// masks of piecewise ops (relu, abs, clamp, …) are constants.
pub(crate) fn constant_map<T: Element>(x: &Tensor<T>, f: impl Fn(T) -> T) -> Tensor<T> {
    Tensor::from_array(x.data().mapv(f))
}

/// Panics with the error's message: the infallible forms of `try_` ops.
pub(crate) fn or_panic<R>(r: Result<R, TensorError>) -> R {
    r.unwrap_or_else(|e| panic!("{e}"))
}

/// Checks that `a` and `b` broadcast together (PyTorch's rules) and computes `f(a, b)`.
///
/// Operands of one shape, one of them a strided view (`q + k` of `qkv.split(e, -1)`, a
/// transpose), are read as row-major copies first (`read_values`), so that `f` meets two
/// slices and runs its vector loop, where `ndarray`'s broadcasting arithmetic goes an element
/// at a time; a single value expanded (the gradient of a `sum`) is left to `f`, which reads it
/// as a scalar. The values are the same either way.
pub(crate) fn broadcast_binary<T: Element>(
    op: &'static str,
    a: &Tensor<T>,
    b: &Tensor<T>,
    f: impl FnOnce(&ndarray::ArrayViewD<T>, &ndarray::ArrayViewD<T>) -> ndarray::ArrayD<T>,
) -> Result<ndarray::ArrayD<T>, TensorError> {
    let (la, lb) = (&a.inner.layout, &b.inner.layout);
    let one_value = |l: &crate::storage::Layout| l.strides.iter().all(|&s| s == 0);
    let strided = !la.is_contiguous() || !lb.is_contiguous();
    if strided && la.shape == lb.shape && !one_value(la) && !one_value(lb) {
        let (va, vb) = (a.read_values(), b.read_values());
        let shape = ndarray::IxDyn(&la.shape);
        let av = ndarray::ArrayViewD::from_shape(shape.clone(), &va).expect("row-major values");
        let bv = ndarray::ArrayViewD::from_shape(shape, &vb).expect("row-major values");
        return Ok(f(&av, &bv));
    }
    let (da, db) = (a.data(), b.data());
    crate::shape::broadcast_shapes(op, da.shape(), db.shape())?;
    Ok(f(&da, &db))
}

/// `f(grad, saved)` elementwise as a constant tensor: the fast path of unary backward rules
/// when no graph of the backward is being built (`create_graph` off), one pass, no
/// intermediate tensors, vectorised and in parallel when large; written into `grad` itself when
/// `reuse` allows and the walk holds its only handle. A `grad` that is one value expanded (the
/// gradient of a `sum` or a `mean`) is read as that value, not element by element.
pub(crate) fn zip_grad<T: Element>(
    grad: &Tensor<T>,
    saved: &Tensor<T>,
    reuse: bool,
    f: impl Fn(T, T) -> T + Sync,
) -> Tensor<T> {
    let (gl, sl) = (&grad.inner.layout, &saved.inner.layout);
    // The backward walk's own gradient, held nowhere else (`reuse`, see
    // `BackwardCtx::grad_reusable`): written in place, no new tensor. Its storage is its own,
    // so it cannot alias `saved`.
    if reuse
        && gl.shape == sl.shape
        && gl.is_contiguous()
        && grad.is_sole_owner()
        && !grad.requires_grad()
    {
        grad.update_slices(saved, |gv, sv| par::zip_in_place(gv, sv, &f));
        return grad.clone();
    }
    if gl.shape == sl.shape {
        if let Some(s) = saved.read_contiguous() {
            if let Some(g) = grad.read_contiguous() {
                let out = par::zip_values(&g, &s, &f);
                return Tensor::from_values(out, &gl.shape, None, false);
            }
            if let Some(g) = repeated_value(grad) {
                let out = par::map_values(&s, |s| f(g, s));
                return Tensor::from_values(out, &gl.shape, None, false);
            }
        }
    }
    let out = ndarray::Zip::from(&*grad.data())
        .and(&*saved.data())
        .map_collect(|&g, &s| f(g, s));
    Tensor::from_array(out)
}

/// The one value `t` holds at every index, if it is a single element expanded (every stride
/// 0, as the gradient `sum` and `mean` pass back).
pub(crate) fn repeated_value<T: Element>(t: &Tensor<T>) -> Option<T> {
    let l = &t.inner.layout;
    if !l.strides.iter().all(|&s| s == 0) || l.shape.contains(&0) {
        return None;
    }
    let values = t.inner.storage.read(&|| t.describe("data()"));
    Some(values[l.offset])
}

/// `a` read as a `rows × cols` matrix: a view when its strides allow (any 2-D view, or a
/// row-major one of any rank), else a row-major copy (a batch of transposed matrices, say).
pub(crate) fn as_matrix<'a, T: Element>(
    a: &'a ndarray::ArrayViewD<'_, T>,
    rows: usize,
    cols: usize,
) -> ndarray::CowArray<'a, T, ndarray::Ix2> {
    if a.ndim() == 2 && a.shape() == [rows, cols] {
        return a.view().into_dimensionality().expect("2-D").into();
    }
    match a.view().into_shape_with_order((rows, cols)) {
        Ok(v) => v.into(),
        Err(_) => {
            let owned: Vec<T> = a.iter().copied().collect();
            ndarray::Array2::from_shape_vec((rows, cols), owned)
                .expect("element count")
                .into()
        }
    }
}
