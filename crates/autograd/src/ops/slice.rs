//! Selecting views: `narrow`, `select`, slicing with ranges and steps (`x.i((.., 1..3))`, as
//! `x[:, 1:3]`), `split`, `chunk`, `unbind`, `diagonal`. Each shares the input's storage; the
//! gradient is scattered into zeros of the input's shape (see [`view`](super::view)).

use crate::element::Scalar;
use crate::graph::renamed;
use crate::ops::or_panic;
use crate::ops::view::ViewKind;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use crate::TensorError;
use std::ops::{Range, RangeFrom, RangeFull, RangeInclusive, RangeTo, RangeToInclusive};

/// One index of [`Tensor::i`]: a single position (removes the dimension, as `x[1]`), a range
/// (`1..3`, `..`, `2..`), or a range with a step ([`SliceArg::step`], as `x[::2]`). Negative
/// positions count from the end, as in Python.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SliceArg {
    /// `x[i]`.
    Index(isize),
    /// `x[start:end:step]`; `None` bounds mean the ends.
    Range {
        /// First index (`None`: 0).
        start: Option<isize>,
        /// One past the last (`None`: the size).
        end: Option<isize>,
        /// Step (≥ 1).
        step: usize,
    },
}

impl SliceArg {
    /// `start..end` with a step: `SliceArg::step(0..10, 2)` is Python's `0:10:2`.
    pub fn step(range: impl Into<SliceArg>, step: usize) -> SliceArg {
        match range.into() {
            SliceArg::Range { start, end, .. } => SliceArg::Range { start, end, step },
            SliceArg::Index(_) => panic!("SliceArg::step: a step needs a range, not an index"),
        }
    }
}

impl From<isize> for SliceArg {
    fn from(i: isize) -> Self {
        SliceArg::Index(i)
    }
}
impl From<i32> for SliceArg {
    fn from(i: i32) -> Self {
        SliceArg::Index(i as isize)
    }
}
impl From<usize> for SliceArg {
    fn from(i: usize) -> Self {
        SliceArg::Index(i as isize)
    }
}
macro_rules! range_from {
    ($t:ty, $i:ty, |$r:ident| $start:expr, $end:expr) => {
        impl From<$t> for SliceArg {
            fn from($r: $t) -> Self {
                SliceArg::Range {
                    start: $start,
                    end: $end,
                    step: 1,
                }
            }
        }
    };
}
range_from!(RangeFull, (), |_r| None, None);
range_from!(Range<isize>, isize, |r| Some(r.start), Some(r.end));
range_from!(
    Range<i32>,
    i32,
    |r| Some(r.start as isize),
    Some(r.end as isize)
);
range_from!(
    Range<usize>,
    usize,
    |r| Some(r.start as isize),
    Some(r.end as isize)
);
range_from!(RangeFrom<isize>, isize, |r| Some(r.start), None);
range_from!(RangeFrom<i32>, i32, |r| Some(r.start as isize), None);
range_from!(RangeFrom<usize>, usize, |r| Some(r.start as isize), None);
range_from!(RangeTo<isize>, isize, |r| None, Some(r.end));
range_from!(RangeTo<i32>, i32, |r| None, Some(r.end as isize));
range_from!(RangeTo<usize>, usize, |r| None, Some(r.end as isize));
range_from!(
    RangeInclusive<i32>,
    i32,
    |r| Some(*r.start() as isize),
    Some(*r.end() as isize + 1)
);
range_from!(
    RangeInclusive<usize>,
    usize,
    |r| Some(*r.start() as isize),
    Some(*r.end() as isize + 1)
);
range_from!(
    RangeToInclusive<i32>,
    i32,
    |r| None,
    Some(r.end as isize + 1)
);
range_from!(
    RangeToInclusive<usize>,
    usize,
    |r| None,
    Some(r.end as isize + 1)
);

/// The indices of [`Tensor::i`]: one [`SliceArg`] or a tuple of up to six.
pub trait SliceArgs {
    /// The indices, outermost dimension first.
    fn args(self) -> Vec<SliceArg>;
}
impl<A: Into<SliceArg>> SliceArgs for A {
    fn args(self) -> Vec<SliceArg> {
        vec![self.into()]
    }
}
/// Indices built at run time, one per leading dimension.
impl SliceArgs for Vec<SliceArg> {
    fn args(self) -> Vec<SliceArg> {
        self
    }
}
macro_rules! tuple_args {
    ($($n:ident),+) => {
        impl<$($n: Into<SliceArg>),+> SliceArgs for ($($n,)+) {
            #[allow(non_snake_case)]
            fn args(self) -> Vec<SliceArg> {
                let ($($n,)+) = self;
                vec![$($n.into()),+]
            }
        }
    };
}
tuple_args!(A);
tuple_args!(A, B);
tuple_args!(A, B, C);
tuple_args!(A, B, C, D);
tuple_args!(A, B, C, D, E);
tuple_args!(A, B, C, D, E, F);

/// Python's clamping of a slice bound against a size.
fn clamp_bound(b: isize, size: usize) -> usize {
    let s = size as isize;
    (if b < 0 { b + s } else { b }).clamp(0, s) as usize
}

impl<T: Scalar> Tensor<T> {
    /// Indexing and slicing as Python writes it, a view (`x[1]`, `x[:, 1:3]`, `x[::2]`,
    /// `x[-1]`): one argument per leading dimension, remaining dimensions kept whole.
    ///
    /// ```
    /// use tapegrad_autograd::{SliceArg, Tensor};
    /// let x = Tensor::<f32>::arange(0.0, 12.0, 1.0).reshape(&[3, 4]);
    /// assert_eq!(x.i((.., 1..3)).to_vec(), vec![1.0, 2.0, 5.0, 6.0, 9.0, 10.0]); // x[:, 1:3]
    /// assert_eq!(x.i(-1).to_vec(), vec![8.0, 9.0, 10.0, 11.0]);                  // x[-1]
    /// assert_eq!(x.i((1, SliceArg::step(.., 2))).to_vec(), vec![4.0, 6.0]);      // x[1, ::2]
    /// assert!(x.i((.., 1..3)).shares_storage(&x));
    /// ```
    pub fn i(&self, args: impl SliceArgs) -> Tensor<T> {
        let args = args.args();
        let shape = self.shape();
        assert!(
            args.len() <= shape.len(),
            "too many indices for tensor of dimension {} (got {} indices for shape {:?})",
            shape.len(),
            args.len(),
            shape.as_slice()
        );
        let mut out = self.clone();
        let mut dim = 0;
        for arg in args {
            match arg {
                SliceArg::Index(i) => out = out.select(dim as isize, i),
                SliceArg::Range { start, end, step } => {
                    out = out.slice(dim as isize, start, end, step);
                    dim += 1;
                }
            }
        }
        out
    }

    /// `x[start:end:step]` along `dim` (`None` bounds: the ends; bounds clamp as in Python);
    /// a view.
    pub fn slice(&self, dim: isize, start: Option<isize>, end: Option<isize>, step: usize) -> Self {
        assert!(
            self.ndim() > 0,
            "slice() cannot be applied to a 0-dim tensor."
        );
        let shape = self.shape();
        let d = or_panic(normalize_dim("slice", dim, &shape));
        assert!(step > 0, "slice step must be positive (got {step})");
        let size = shape[d];
        let s = start.map_or(0, |b| clamp_bound(b, size));
        let e = end.map_or(size, |b| clamp_bound(b, size)).max(s);
        let len = (e - s).div_ceil(step);
        if s == 0 && len == size && step == 1 {
            return self.clone();
        }
        self.view_of(ViewKind::Slice {
            dim: d,
            start: s,
            len,
            step,
        })
        .expect("slices are views")
    }

    /// `length` indices of `dim` from `start` (`x.narrow(dim, start, length)`); a view.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    /// assert_eq!(x.narrow(1, 1, 2).to_vec(), vec![1.0, 2.0, 4.0, 5.0]);
    /// ```
    pub fn narrow(&self, dim: isize, start: isize, length: usize) -> Tensor<T> {
        assert!(
            self.ndim() > 0,
            "narrow() cannot be applied to a 0-dim tensor."
        );
        let shape = self.shape();
        let d = or_panic(normalize_dim("narrow", dim, &shape));
        let size = shape[d];
        let s = if start < 0 {
            start + size as isize
        } else {
            start
        };
        if s < 0 || s as usize > size {
            or_panic::<()>(Err(TensorError::Invalid(format!(
                "narrow(): start ({start}) is out of bounds for dimension {d} of size {size} \
                 (shape {:?})",
                shape.as_slice()
            ))));
        }
        let s = s as usize;
        if s + length > size {
            or_panic::<()>(Err(TensorError::Invalid(format!(
                "narrow(): start ({s}) + length ({length}) exceeds dimension size ({size}) \
                 of dimension {d} (shape {:?})",
                shape.as_slice()
            ))));
        }
        self.view_of(ViewKind::Slice {
            dim: d,
            start: s,
            len: length,
            step: 1,
        })
        .expect("narrow is a view")
    }

    /// Index `index` of `dim`, removing that dimension (`x.select(dim, index)`, `x[index]`); a
    /// view. Negative `index` counts from the end.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 6.0, 1.0).reshape(&[2, 3]);
    /// assert_eq!(x.select(1, -1).to_vec(), vec![2.0, 5.0]);
    /// ```
    pub fn select(&self, dim: isize, index: isize) -> Tensor<T> {
        assert!(
            self.ndim() > 0,
            "select() cannot be applied to a 0-dim tensor."
        );
        let shape = self.shape();
        let d = or_panic(normalize_dim("select", dim, &shape));
        let size = shape[d] as isize;
        let i = if index < 0 { index + size } else { index };
        if i < 0 || i >= size {
            or_panic::<()>(Err(TensorError::Invalid(format!(
                "select(): index {index} out of range for tensor of size {:?} at dimension {d}",
                shape.as_slice()
            ))));
        }
        self.view_of(ViewKind::Select {
            dim: d,
            index: i as usize,
        })
        .expect("select is a view")
    }

    /// Views of consecutive pieces of `size` along `dim`, the last possibly smaller
    /// (`x.split(size, dim)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 5.0, 1.0);
    /// let parts = x.split(2, 0);
    /// assert_eq!(parts.iter().map(|p| p.numel()).collect::<Vec<_>>(), vec![2, 2, 1]);
    /// ```
    pub fn split(&self, size: usize, dim: isize) -> Vec<Tensor<T>> {
        assert!(
            self.ndim() > 0,
            "split expects at least a 1-dimensional tensor"
        );
        let shape = self.shape();
        let d = or_panic(normalize_dim("split", dim, &shape));
        assert!(
            size > 0 || shape[d] == 0,
            "split expects split_size be non-negative and nonzero for a nonempty dimension"
        );
        let n = shape[d];
        if n == 0 {
            return vec![self.narrow(d as isize, 0, 0)];
        }
        (0..n)
            .step_by(size)
            .map(|s| {
                let piece = self.narrow(d as isize, s as isize, size.min(n - s));
                renamed(piece, "SplitBackward0")
            })
            .collect()
    }

    /// Views of pieces of the given sizes along `dim`, which must add up to its size
    /// (`x.split([2, 3], dim)`).
    pub fn split_with_sizes(&self, sizes: &[usize], dim: isize) -> Vec<Tensor<T>> {
        assert!(
            self.ndim() > 0,
            "split_with_sizes expects at least a 1-dimensional tensor"
        );
        let shape = self.shape();
        let d = or_panic(normalize_dim("split_with_sizes", dim, &shape));
        let total: usize = sizes.iter().sum();
        assert!(
            total == shape[d],
            "split_with_sizes expects split_sizes to sum exactly to {} (input tensor's size at \
             dimension {d}), but got split_sizes={sizes:?}",
            shape[d]
        );
        let mut start = 0;
        sizes
            .iter()
            .map(|&len| {
                let part = self.narrow(d as isize, start as isize, len);
                start += len;
                renamed(part, "SplitWithSizesBackward0")
            })
            .collect()
    }

    /// `chunks` views of (nearly) equal size along `dim` (`x.chunk(chunks, dim)`): pieces of
    /// `ceil(size / chunks)`, so there may be fewer than `chunks`.
    pub fn chunk(&self, chunks: usize, dim: isize) -> Vec<Tensor<T>> {
        assert!(
            self.ndim() > 0,
            "chunk expects at least a 1-dimensional tensor"
        );
        assert!(
            chunks > 0,
            "chunk expects `chunks` to be greater than 0, got: {chunks}"
        );
        let shape = self.shape();
        let d = or_panic(normalize_dim("chunk", dim, &shape));
        let size = shape[d].div_ceil(chunks);
        self.split(size, d as isize)
    }

    /// Every index of `dim` as a view without that dimension (`x.unbind(dim)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 4.0, 1.0).reshape(&[2, 2]);
    /// let cols = x.unbind(1);
    /// assert_eq!(cols[1].to_vec(), vec![1.0, 3.0]);
    /// ```
    pub fn unbind(&self, dim: isize) -> Vec<Tensor<T>> {
        assert!(
            self.ndim() > 0,
            "unbind: Dimension specified as {dim} but tensor has no dimensions"
        );
        let shape = self.shape();
        let d = or_panic(normalize_dim("unbind", dim, &shape));
        (0..shape[d])
            .map(|i| renamed(self.select(d as isize, i as isize), "UnbindBackward0"))
            .collect()
    }

    /// The diagonal at `offset` (above the main one if positive) of dimensions `dim1`, `dim2`,
    /// appended as the last dimension (`x.diagonal(offset, dim1, dim2)`); a view.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::arange(0.0, 9.0, 1.0).reshape(&[3, 3]);
    /// assert_eq!(x.diagonal(0, 0, 1).to_vec(), vec![0.0, 4.0, 8.0]);
    /// assert_eq!(x.diagonal(1, 0, 1).to_vec(), vec![1.0, 5.0]);
    /// ```
    pub fn diagonal(&self, offset: isize, dim1: isize, dim2: isize) -> Tensor<T> {
        let shape = self.shape();
        let d1 = or_panic(normalize_dim("diagonal", dim1, &shape));
        let d2 = or_panic(normalize_dim("diagonal", dim2, &shape));
        assert!(
            d1 != d2,
            "diagonal dimensions cannot be identical {dim1}, {dim2}"
        );
        self.view_of(ViewKind::Diagonal { offset, d1, d2 })
            .expect("diagonal is a view")
    }
}
