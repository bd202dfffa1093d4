//! The error type of the fallible `try_` operations.

use thiserror::Error;

/// What went wrong in a fallible tensor operation (`try_add`, `try_matmul`, `try_reshape`, …).
///
/// The infallible forms (`add`, `matmul`, …) panic with the same message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TensorError {
    /// Two shapes cannot be broadcast together.
    #[error("{op}: the size of tensor a ({a_dim}) must match the size of tensor b ({b_dim}) at non-singleton dimension {dim}: shapes {a:?} and {b:?} cannot be broadcast; make the sizes equal or 1 (e.g. with reshape)")]
    Broadcast {
        /// The operation.
        op: &'static str,
        /// Shape of the first operand.
        a: Vec<usize>,
        /// Shape of the second operand.
        b: Vec<usize>,
        /// The offending dimension (counted from the left of the broadcast result).
        dim: usize,
        /// Size of `a` there.
        a_dim: usize,
        /// Size of `b` there.
        b_dim: usize,
    },
    /// Matmul operands whose inner dimensions differ.
    #[error("matmul: mat1 and mat2 shapes cannot be multiplied ({a:?} @ {b:?}): the last dimension of the first ({k1}) must equal the second-to-last of the second ({k2}); transpose an operand or fix the layer sizes")]
    MatmulShape {
        /// Shape of the left operand.
        a: Vec<usize>,
        /// Shape of the right operand.
        b: Vec<usize>,
        /// Inner size of the left operand.
        k1: usize,
        /// Inner size of the right operand.
        k2: usize,
    },
    /// A reshape to a shape with a different number of elements.
    #[error("reshape: shape {to:?} is invalid for input of size {numel} (shape {from:?}); the product of the new shape must equal the number of elements")]
    Reshape {
        /// Original shape.
        from: Vec<usize>,
        /// Requested shape (with -1 shown as usize::MAX is never stored; -1 resolved or rejected).
        to: Vec<isize>,
        /// Number of elements of the input.
        numel: usize,
    },
    /// A dimension index outside the tensor's rank.
    #[error("{op}: dimension out of range (expected to be in range of [{min}, {max}], but got {dim}) for a tensor of shape {shape:?}")]
    Dim {
        /// The operation.
        op: &'static str,
        /// The requested dimension.
        dim: isize,
        /// Smallest valid dimension.
        min: isize,
        /// Largest valid dimension.
        max: isize,
        /// The tensor's shape.
        shape: Vec<usize>,
    },
    /// Data whose length does not match the requested shape.
    #[error("{op}: {len} values cannot fill a tensor of shape {shape:?} ({numel} elements)")]
    DataLength {
        /// The operation.
        op: &'static str,
        /// Number of values given.
        len: usize,
        /// Requested shape.
        shape: Vec<usize>,
        /// Elements the shape needs.
        numel: usize,
    },
    /// Any other invalid argument.
    #[error("{0}")]
    Invalid(String),
}

/// Shorthand for `Result<T, TensorError>`.
pub type Result<T> = std::result::Result<T, TensorError>;
