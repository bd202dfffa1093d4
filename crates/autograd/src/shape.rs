//! Shapes and NumPy/PyTorch broadcasting rules.

use crate::error::{Result, TensorError};
use smallvec::SmallVec;

/// A tensor shape: the size of each dimension, outermost first. Stored inline up to rank 4.
pub type Shape = SmallVec<[usize; 4]>;

/// `dims` as a [`Shape`]. Up to rank 4 each dimension is copied on its own into the inline
/// buffer: `SmallVec::from_slice` calls `memcpy` for the few bytes, and the copy is read back
/// with wider loads than it stored (a store-forwarding stall), which every op's result paid
/// for (the lecture step ran 6 % faster without it).
#[inline]
pub(crate) fn shape_of(dims: &[usize]) -> Shape {
    let n = dims.len();
    if n > 4 {
        return Shape::from_slice(dims);
    }
    let at = |i: usize| if i < n { dims[i] } else { 0 };
    Shape::from_buf_and_len([at(0), at(1), at(2), at(3)], n)
}

/// Number of elements of a shape (1 for a 0-d scalar).
#[inline]
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// The shape two shapes broadcast to, as `torch.broadcast_shapes`: align from the right; each
/// pair of sizes must be equal or one of them 1.
///
/// ```
/// use tapegrad_autograd::shape::broadcast_shapes;
/// assert_eq!(broadcast_shapes("add", &[2, 1, 4], &[3, 1]).unwrap().as_slice(), &[2, 3, 4]);
/// assert!(broadcast_shapes("add", &[3, 4], &[3]).is_err());
/// ```
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Shape> {
    let rank = a.len().max(b.len());
    let mut out = Shape::with_capacity(rank);
    for i in 0..rank {
        let da = if i + a.len() >= rank {
            a[i + a.len() - rank]
        } else {
            1
        };
        let db = if i + b.len() >= rank {
            b[i + b.len() - rank]
        } else {
            1
        };
        let d = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(TensorError::Broadcast {
                op,
                a: a.to_vec(),
                b: b.to_vec(),
                dim: i,
                a_dim: da,
                b_dim: db,
            });
        };
        out.push(d);
    }
    Ok(out)
}

/// Resolves a possibly negative dimension index (`-1` = last) against a rank.
///
/// ```
/// use tapegrad_autograd::shape::normalize_dim;
/// assert_eq!(normalize_dim("sum", -1, &[2, 3]).unwrap(), 1);
/// assert!(normalize_dim("sum", 2, &[2, 3]).is_err());
/// ```
pub fn normalize_dim(op: &'static str, dim: isize, shape: &[usize]) -> Result<usize> {
    let rank = shape.len().max(1) as isize;
    let d = if dim < 0 { dim + rank } else { dim };
    if d < 0 || d >= rank {
        return Err(TensorError::Dim {
            op,
            dim,
            min: -rank,
            max: rank - 1,
            shape: shape.to_vec(),
        });
    }
    Ok(d as usize)
}

/// Resolves a reshape target that may contain one `-1` against `numel` elements. A target
/// whose sizes multiply past what a tensor can index (their non-zero product above
/// `isize::MAX`) is invalid for any input, as PyTorch says, instead of overflowing.
///
/// ```
/// use tapegrad_autograd::shape::resolve_reshape;
/// assert_eq!(resolve_reshape(&[2, 3], &[3, -1]).unwrap().as_slice(), &[3, 2]);
/// assert!(resolve_reshape(&[4], &[1 << 62, 1 << 62, 4]).is_err());
/// ```
pub fn resolve_reshape(from: &[usize], to: &[isize]) -> Result<Shape> {
    let n = numel(from);
    let err = || TensorError::Reshape {
        from: from.to_vec(),
        to: to.to_vec(),
        numel: n,
    };
    let mut infer = None;
    // The product of the given sizes, and of the non-zero ones (ndarray's bound on a shape).
    let (mut known, mut nonzero) = (1usize, 1usize);
    let mut out = Shape::with_capacity(to.len());
    for (i, &d) in to.iter().enumerate() {
        if d == -1 {
            if infer.is_some() {
                return Err(err());
            }
            infer = Some(i);
            out.push(0);
        } else if d < 0 {
            return Err(err());
        } else {
            let d = d as usize;
            nonzero = nonzero
                .checked_mul(d.max(1))
                .filter(|&p| p <= isize::MAX as usize)
                .ok_or_else(err)?;
            // `known` is 0 or equal to `nonzero`, so it cannot overflow either.
            known *= d;
            out.push(d);
        }
    }
    if let Some(i) = infer {
        if known == 0 || !n.is_multiple_of(known) {
            return Err(err());
        }
        out[i] = n / known;
    } else if known != n {
        return Err(err());
    }
    Ok(out)
}
