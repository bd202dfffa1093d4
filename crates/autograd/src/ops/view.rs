//! Views: tensors that share their input's storage, seen through a new layout (shape, strides,
//! offset). Every view op (`permute`, `expand`, `narrow`, `select`, slicing, `diagonal`,
//! `view`/`reshape`, `squeeze`, `unsqueeze`) is one [`ViewKind`]: how it maps a layout to a
//! layout, and how its gradient flows back.
//!
//! Backward, by kind:
//! * `Permute(p)`: the gradient permuted back by the inverse of `p`;
//! * `Expand`: the gradient summed over the broadcast dimensions (`sum_to`);
//! * `Reshape`: the gradient reshaped back;
//! * `Slice`, `Select`, `Diagonal` (each picks some of the input's elements): a zero tensor of
//!   the input's shape with the gradient written into the same view of it
//!   (`slice_scatter`/`select_scatter`/`diagonal_scatter`), itself an op whose backward is the
//!   view again, so double backward works.

use crate::element::{Element, Scalar};
use crate::error::{Result, TensorError};
use crate::graph::{record_values, record_view, BackwardCtx, InputGrads, Op};
use crate::shape::{numel, Shape};
use crate::storage::Layout;
use crate::tensor::Tensor;
use smallvec::smallvec;

/// One view transformation of a layout.
#[derive(Clone, Debug)]
pub(crate) enum ViewKind {
    /// Output dimension `i` is input dimension `p[i]`.
    Permute(Shape),
    /// Broadcast to this shape (new leading dimensions, size-1 dimensions repeated).
    Expand(Shape),
    /// The same elements in row-major order, in this shape.
    Reshape(Shape),
    /// Indices `start, start+step, …` (`len` of them) along `dim`.
    Slice {
        dim: usize,
        start: usize,
        len: usize,
        step: usize,
    },
    /// Index `index` of `dim`, removing that dimension.
    Select { dim: usize, index: usize },
    /// The diagonal at `offset` of dimensions `d1`, `d2`, moved to the last dimension.
    Diagonal { offset: isize, d1: usize, d2: usize },
    /// Any strided window of a row-major tensor: `shape` and `strides` read from `offset`
    /// (elements past the tensor's own offset). The view an in-place op on a view records
    /// (PyTorch's `as_strided`).
    AsStrided {
        shape: Shape,
        strides: Shape,
        offset: usize,
    },
}

impl ViewKind {
    /// The layout of the view of a tensor laid out as `l`, or `None` when the view cannot be
    /// expressed with strides (only `Reshape` of some non-contiguous layouts).
    pub(crate) fn apply(&self, l: &Layout) -> Option<Layout> {
        let mut out = l.clone();
        match self {
            ViewKind::Permute(p) => {
                out.shape = p.iter().map(|&d| l.shape[d]).collect();
                out.strides = p.iter().map(|&d| l.strides[d]).collect();
            }
            ViewKind::Expand(shape) => {
                let extra = shape.len() - l.shape.len();
                out.shape = shape.clone();
                out.strides = (0..shape.len())
                    .map(|i| {
                        if i < extra || (l.shape[i - extra] == 1 && shape[i] != 1) {
                            0
                        } else {
                            l.strides[i - extra]
                        }
                    })
                    .collect();
            }
            ViewKind::Reshape(shape) => {
                out.strides = reshape_strides(&l.shape, &l.strides, shape)?;
                out.shape = shape.clone();
            }
            &ViewKind::Slice {
                dim,
                start,
                len,
                step,
            } => {
                if len > 0 {
                    out.offset += start * l.strides[dim];
                }
                out.shape[dim] = len;
                out.strides[dim] = l.strides[dim] * step;
            }
            &ViewKind::Select { dim, index } => {
                out.offset += index * l.strides[dim];
                out.shape.remove(dim);
                out.strides.remove(dim);
            }
            &ViewKind::Diagonal { offset, d1, d2 } => {
                let (n1, n2) = (l.shape[d1] as isize, l.shape[d2] as isize);
                let len = if offset >= 0 {
                    n1.min(n2 - offset).max(0)
                } else {
                    (n1 + offset).min(n2).max(0)
                } as usize;
                if len > 0 {
                    out.offset += if offset >= 0 {
                        offset as usize * l.strides[d2]
                    } else {
                        (-offset) as usize * l.strides[d1]
                    };
                }
                let diag_stride = l.strides[d1] + l.strides[d2];
                let (hi, lo) = (d1.max(d2), d1.min(d2));
                out.shape.remove(hi);
                out.shape.remove(lo);
                out.strides.remove(hi);
                out.strides.remove(lo);
                out.shape.push(len);
                out.strides.push(diag_stride);
            }
            ViewKind::AsStrided {
                shape,
                strides,
                offset,
            } => {
                out.shape = shape.clone();
                out.strides = strides.clone();
                out.offset = l.offset + offset;
            }
        }
        Some(out.refreshed())
    }

    fn grad_fn_name(&self) -> &'static str {
        match self {
            ViewKind::Permute(_) => "PermuteBackward0",
            ViewKind::Expand(_) => "ExpandBackward0",
            ViewKind::Reshape(_) => "ViewBackward0",
            ViewKind::Slice { .. } => "SliceBackward0",
            ViewKind::Select { .. } => "SelectBackward0",
            ViewKind::Diagonal { .. } => "DiagonalBackward0",
            ViewKind::AsStrided { .. } => "AsStridedBackward0",
        }
    }
}

/// PyTorch's `computeStride`: strides that read a tensor of shape `old` / strides `old_st` in
/// row-major order as shape `new`, or `None` when no strides can (then `view` fails and
/// `reshape` copies).
fn reshape_strides(old: &[usize], old_st: &[usize], new: &[usize]) -> Option<Shape> {
    let mut out = Shape::from_elem(0, new.len());
    if numel(old) == 0 || old.is_empty() {
        return Some(crate::storage::contiguous_strides(new));
    }
    // Walk chunks of `old` that are contiguous among themselves, matching them to dims of `new`.
    let mut view_d = new.len() as isize - 1;
    let mut chunk_base_stride = *old_st.last().unwrap_or(&1);
    let mut tensor_numel = 1;
    let mut view_numel = 1;
    for tensor_d in (0..old.len()).rev() {
        tensor_numel *= old[tensor_d];
        let chunk_end = tensor_d == 0
            || (old[tensor_d - 1] != 1 && old_st[tensor_d - 1] != tensor_numel * chunk_base_stride);
        if chunk_end {
            while view_d >= 0 && (view_numel < tensor_numel || new[view_d as usize] == 1) {
                out[view_d as usize] = view_numel * chunk_base_stride;
                view_numel *= new[view_d as usize];
                view_d -= 1;
            }
            if view_numel != tensor_numel {
                return None;
            }
            if tensor_d > 0 {
                chunk_base_stride = old_st[tensor_d - 1];
                tensor_numel = 1;
                view_numel = 1;
            }
        }
    }
    if view_d != -1 {
        return None;
    }
    Some(out)
}

impl<T: Scalar> Tensor<T> {
    /// The view of this tensor given by `kind`, recorded so that gradients flow back.
    pub(crate) fn view_of(&self, kind: ViewKind) -> Option<Tensor<T>> {
        let layout = kind.apply(&self.inner.layout)?;
        Some(record_view(
            self,
            layout,
            ViewBackward {
                in_shape: self.shape(),
                kind,
            },
        ))
    }

    /// A contiguous (row-major) tensor with the same values: `self` if it already is one, else
    /// a copy (`x.contiguous()`; gradient: passed through).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let t = x.t();
    /// assert!(!t.is_contiguous() && t.contiguous().is_contiguous());
    /// assert_eq!(t.contiguous().to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
    /// ```
    pub fn contiguous(&self) -> Tensor<T> {
        if self.is_contiguous() {
            return self.clone();
        }
        record_values(self.to_vec(), &self.shape(), CloneBackward, &[self])
    }

    /// A differentiable copy into new storage (`x.clone()` in PyTorch; Rust's `Clone` copies
    /// the handle). Gradient: passed through.
    pub fn copy(&self) -> Tensor<T> {
        record_values(self.to_vec(), &self.shape(), CloneBackward, &[self])
    }

    /// A zero tensor of shape `shape` with `self` written into the view `kind` of it: the
    /// adjoint of a selecting view (`slice_scatter`, `select_scatter`, `diagonal_scatter` into
    /// zeros).
    pub(crate) fn view_scatter(&self, kind: ViewKind, shape: &[usize]) -> Tensor<T> {
        // The zeros are the result's own buffer: `self` is written into them through the view's
        // layout, and they are recorded as they are (no tensor in between, no copy of it).
        let mut out = crate::buffer_cache::zeroed(shape.iter().product(), T::ZERO);
        let target = kind
            .apply(&Layout::contiguous(shape))
            .expect("selecting views always apply");
        target.view_mut(&mut out).assign(&*self.data());
        record_values(out, shape, ViewScatterBackward { kind }, &[self])
    }

    /// Fallible form of the shape-changing views: `Reshape` to `shape` as a view, or an error
    /// worded as PyTorch's `view`.
    pub(crate) fn try_view_shape(&self, shape: Shape) -> Result<Tensor<T>> {
        let from = self.shape();
        self.view_of(ViewKind::Reshape(shape.clone()))
            .ok_or_else(|| {
                TensorError::Invalid(format!(
                "view size is not compatible with input tensor's size and stride (at least one \
                 dimension spans across two contiguous subspaces): shape {:?} with strides {:?} \
                 cannot be viewed as {:?}. Use .reshape(...) instead.",
                from.as_slice(),
                self.stride(),
                shape.as_slice()
            ))
            })
    }
}

struct ViewBackward {
    in_shape: Shape,
    kind: ViewKind,
}
impl<T: Scalar> Op<T> for ViewBackward {
    fn name(&self) -> &'static str {
        self.kind.grad_fn_name()
    }
    fn rule(&self) -> &'static str {
        "a view: the gradient goes back to the elements the view reads (permuted back, summed \
         over broadcast dimensions, reshaped back, or scattered into zeros)"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T>
    where
        T: Element,
    {
        let g = c.grad;
        let back = match &self.kind {
            ViewKind::Permute(p) => {
                let mut inverse = vec![0; p.len()];
                for (i, &d) in p.iter().enumerate() {
                    inverse[d] = i;
                }
                g.permute(&inverse)
            }
            ViewKind::Expand(_) => g.sum_to(&self.in_shape),
            ViewKind::Reshape(_) => g.reshape_exact(&self.in_shape),
            kind => g.view_scatter(kind.clone(), &self.in_shape),
        };
        smallvec![Some(back)]
    }
    fn add_grad_into(&self, grad: &Tensor<T>, acc: &Tensor<T>) -> bool
    where
        T: Element,
    {
        // The regions that name each input element at most once (an `as_strided` window may
        // name one twice, and the other kinds are not regions).
        if !matches!(
            self.kind,
            ViewKind::Select { .. } | ViewKind::Slice { .. } | ViewKind::Diagonal { .. }
        ) {
            return false;
        }
        let region = acc
            .view_of(self.kind.clone())
            .expect("a region is a strided view");
        if region.is_contiguous() {
            // A `select` or `narrow` of the leading dimension (a sequence's step).
            region.update_slices(grad, |a, g| a.iter_mut().zip(g).for_each(|(a, &g)| *a += g));
        } else {
            // A strided region (`q, k, v = qkv.split(e, dim=-1)`): added through the views,
            // where the zeros of the input's size, the scatter and a sum over all of them
            // touched three times the memory.
            if region.shares_storage(grad) {
                return false;
            }
            let (mut a, g) = region.data_mut_and_read(grad);
            let n = a.ndim();
            if n > 0 && a.strides()[n - 1] == 1 && g.strides()[n - 1] == 1 {
                // Row by row, each row a slice, so the adds run as vector loops: an element at
                // a time through `Zip` over the whole region took about four times as long
                // (the three `[32, 32, 64]` pieces of `char_gpt`'s `qkv`: 56 against 14 µs).
                let rows = ndarray::Axis(n - 1);
                ndarray::Zip::from(a.lanes_mut(rows))
                    .and(g.lanes(rows))
                    .for_each(|mut a, g| {
                        let (a, g) = (a.as_slice_mut().unwrap(), g.as_slice().unwrap());
                        a.iter_mut().zip(g).for_each(|(a, &g)| *a += g);
                    });
            } else {
                ndarray::Zip::from(&mut *a)
                    .and(&*g)
                    .for_each(|a, &g| *a += g);
            }
        }
        true
    }
}

struct ViewScatterBackward {
    kind: ViewKind,
}
impl<T: Scalar> Op<T> for ViewScatterBackward {
    fn name(&self) -> &'static str {
        match self.kind {
            ViewKind::Select { .. } => "SelectScatterBackward0",
            ViewKind::Diagonal { .. } => "DiagonalScatterBackward0",
            ViewKind::AsStrided { .. } => "AsStridedScatterBackward0",
            _ => "SliceScatterBackward0",
        }
    }
    fn rule(&self) -> &'static str {
        "scatter into zeros: the gradient is the same view of the output's gradient"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T>
    where
        T: Element,
    {
        let g = c.grad.view_of(self.kind.clone()).expect("selecting view");
        smallvec![Some(g)]
    }
}

struct CloneBackward;
impl<T: Scalar> Op<T> for CloneBackward {
    fn name(&self) -> &'static str {
        "CloneBackward0"
    }
    fn rule(&self) -> &'static str {
        "a copy: the gradient passes through unchanged"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T>
    where
        T: Element,
    {
        smallvec![Some(c.grad.clone())]
    }
}
