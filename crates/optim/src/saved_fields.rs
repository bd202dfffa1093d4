//! How one parameter's live state (an optimizer's `…State`: step count and buffers) is saved as
//! named tensors and loaded back: the kinds of field a state has ([`Step`], [`Buffer`],
//! [`Squares`], [`Scalar`], [`Optional`]), each with its save and its checked load, and
//! [`param_state!`], which implements [`ParamState`](crate::ParamState) from the list of a
//! state's fields, so that each optimizer names its buffers once.
//!
//! ```text
//! param_state!(AdamState {
//!     step: Step,
//!     exp_avg: Buffer,
//!     exp_avg_sq: Squares,
//!     max_exp_avg_sq: Optional<Squares>,
//! });
//! ```
//!
//! saves `step`, `exp_avg`, `exp_avg_sq` and (when present) `max_exp_avg_sq` in that order, and
//! loads them back refusing unknown names, wrong shapes, non-finite values, negative squares and
//! step counts that are not whole numbers.

use crate::error::{saved_integer, OptimError, MAX_SAVED_COUNT};
use std::marker::PhantomData;
use tapegrad_autograd::{Element, Tensor};

/// One kind of field of a per-parameter state: how a value of it is saved under its name, and
/// loaded back with the checks a saved value needs.
pub(crate) trait Field<T: Element> {
    /// The field's type in the live state.
    type Value;
    /// Appends `(name, tensor)` to `out` (nothing for an absent optional buffer); `shape` is the
    /// parameter's.
    fn save(value: &Self::Value, name: &str, shape: &[usize], out: &mut Vec<(String, Tensor<T>)>);
    /// The field `name` from `values`, checked.
    fn load(
        values: &[(String, Tensor<T>)],
        name: &str,
        shape: &[usize],
    ) -> Result<Self::Value, OptimError>;
}

/// A step count (`u64`), saved as a 0-d float tensor as PyTorch keeps `state["step"]`; loaded
/// as a whole number in `0..=2^53-1`.
pub(crate) struct Step;

/// A buffer of the parameter's shape (`Vec<T>`, flat row-major); loaded with that shape and
/// finite values. `Buffer<true>` is [`Squares`].
pub(crate) struct Buffer<const SQUARES: bool = false>;

/// A [`Buffer`] holding a running sum or average of squares (`exp_avg_sq`, `square_avg`,
/// `sum`): negative values are refused on load too.
pub(crate) type Squares = Buffer<true>;

/// One number (`T`) saved as a 0-d tensor (NAdam's `mu_product`, ASGD's `eta` and `mu`).
pub(crate) struct Scalar;

/// A field of kind `F` that a state may lack (`Option<_>`, e.g. Adam's `max_exp_avg_sq`
/// without amsgrad): saved only when present, loaded only when saved.
pub(crate) struct Optional<F>(PhantomData<F>);

impl<T: Element> Field<T> for Step {
    type Value = u64;
    fn save(value: &u64, name: &str, _shape: &[usize], out: &mut Vec<(String, Tensor<T>)>) {
        out.push((name.into(), step_tensor(*value)));
    }
    fn load(values: &[(String, Tensor<T>)], name: &str, _: &[usize]) -> Result<u64, OptimError> {
        load_step(values, name)
    }
}

impl<T: Element, const SQUARES: bool> Field<T> for Buffer<SQUARES> {
    type Value = Vec<T>;
    fn save(value: &Vec<T>, name: &str, shape: &[usize], out: &mut Vec<(String, Tensor<T>)>) {
        out.push((name.into(), buf_tensor(value, shape)));
    }
    fn load(
        values: &[(String, Tensor<T>)],
        name: &str,
        shape: &[usize],
    ) -> Result<Vec<T>, OptimError> {
        if SQUARES {
            load_squares_buf(values, name, shape)
        } else {
            load_buf(values, name, shape)
        }
    }
}

impl<T: Element> Field<T> for Scalar {
    type Value = T;
    fn save(value: &T, name: &str, _shape: &[usize], out: &mut Vec<(String, Tensor<T>)>) {
        out.push((name.into(), Tensor::scalar(*value)));
    }
    fn load(values: &[(String, Tensor<T>)], name: &str, _: &[usize]) -> Result<T, OptimError> {
        Ok(load_buf(values, name, &[])?[0])
    }
}

impl<T: Element, F: Field<T>> Field<T> for Optional<F> {
    type Value = Option<F::Value>;
    fn save(
        value: &Option<F::Value>,
        name: &str,
        shape: &[usize],
        out: &mut Vec<(String, Tensor<T>)>,
    ) {
        if let Some(v) = value {
            F::save(v, name, shape, out);
        }
    }
    fn load(
        values: &[(String, Tensor<T>)],
        name: &str,
        shape: &[usize],
    ) -> Result<Option<F::Value>, OptimError> {
        if values.iter().any(|(k, _)| k == name) {
            F::load(values, name, shape).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Implements [`ParamState`](crate::ParamState) for the state struct `$state<T>` from the list
/// of its fields and their kinds (see the module doc): `save` writes each field under its own
/// name, in the listed order; `load` refuses names not listed, then loads each field in order.
macro_rules! param_state {
    ($state:ident { $($field:ident: $kind:ty),+ $(,)? }) => {
        impl<T: tapegrad_autograd::Element> $crate::optimizer::ParamState<T> for $state<T> {
            fn save(&self, shape: &[usize]) -> Vec<(String, tapegrad_autograd::Tensor<T>)> {
                let mut saved = Vec::new();
                $(
                    <$kind as $crate::saved_fields::Field<T>>::save(
                        &self.$field,
                        stringify!($field),
                        shape,
                        &mut saved,
                    );
                )+
                saved
            }

            fn load(
                values: &[(String, tapegrad_autograd::Tensor<T>)],
                shape: &[usize],
            ) -> Result<Self, $crate::error::OptimError> {
                $crate::saved_fields::check_names(values, &[$(stringify!($field)),+])?;
                Ok($state {
                    $($field: <$kind as $crate::saved_fields::Field<T>>::load(
                        values,
                        stringify!($field),
                        shape,
                    )?,)+
                })
            }
        }
    };
}
pub(crate) use param_state;

/// A state buffer as a tensor of the parameter's shape.
fn buf_tensor<T: Element>(buf: &[T], shape: &[usize]) -> Tensor<T> {
    Tensor::from_vec(buf.to_vec(), shape)
}

/// A step count as a 0-d tensor (PyTorch keeps `state["step"]` as a 0-d float tensor).
fn step_tensor<T: Element>(step: u64) -> Tensor<T> {
    Tensor::scalar(T::from_f64(step as f64))
}

/// Checks that `values` holds only names in `known`.
pub(crate) fn check_names<T: Element>(
    values: &[(String, Tensor<T>)],
    known: &[&str],
) -> Result<(), OptimError> {
    match values.iter().find(|(n, _)| !known.contains(&n.as_str())) {
        Some((n, _)) => Err(OptimError::StateDict(format!(
            "unexpected state entry '{n}' (expected {known:?})"
        ))),
        None => Ok(()),
    }
}

/// The buffer `name` from `values`, checked against the parameter's shape.
fn load_buf<T: Element>(
    values: &[(String, Tensor<T>)],
    name: &str,
    shape: &[usize],
) -> Result<Vec<T>, OptimError> {
    let t = values
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t)
        .ok_or_else(|| OptimError::StateDict(format!("missing state entry '{name}'")))?;
    if t.shape().as_slice() != shape {
        return Err(OptimError::StateDict(format!(
            "state entry '{name}' has shape {:?}, the parameter has shape {shape:?}",
            t.shape().as_slice()
        )));
    }
    let values = t.to_vec();
    if let Some((k, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(OptimError::InvalidValue {
            key: name.to_string(),
            value: v.as_f64(),
            expected: format!("(element {k}) is not a finite number"),
        });
    }
    Ok(values)
}

/// [`load_buf`] for a running sum or average of squares (`exp_avg_sq`, `square_avg`, `sum`):
/// also refuses negative elements, which no run can produce and which make the next step's
/// square root NaN.
fn load_squares_buf<T: Element>(
    values: &[(String, Tensor<T>)],
    name: &str,
    shape: &[usize],
) -> Result<Vec<T>, OptimError> {
    let buf = load_buf(values, name, shape)?;
    if let Some((k, v)) = buf.iter().enumerate().find(|(_, v)| **v < T::zero()) {
        return Err(OptimError::InvalidValue {
            key: name.to_string(),
            value: v.as_f64(),
            expected: format!("(element {k}) is negative; a sum of squares is at least 0"),
        });
    }
    Ok(buf)
}

/// The step count `name` (`"step"`) from `values`.
fn load_step<T: Element>(values: &[(String, Tensor<T>)], name: &str) -> Result<u64, OptimError> {
    let t = values
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t)
        .ok_or_else(|| OptimError::StateDict(format!("missing state entry '{name}'")))?;
    if t.numel() != 1 {
        return Err(OptimError::StateDict(format!(
            "state entry '{name}' has {} elements, expected 1",
            t.numel()
        )));
    }
    // PyTorch keeps the count as a float tensor; a value that is not an exact whole number
    // (NaN, 2.5, -1, 1e20) would make the next step's bias corrections meaningless.
    let v = t.to_vec()[0].as_f64();
    Ok(saved_integer(name, v, 0, MAX_SAVED_COUNT)? as u64)
}
