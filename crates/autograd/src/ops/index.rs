//! Indexing with integer and boolean tensors: `gather`, `scatter`, `scatter_add`,
//! `index_select`, `index_add`, `masked_fill`, `where_`, `masked_select`, `take_along_dim`,
//! `one_hot` and `embedding`.
//!
//! Indices are `Tensor<i64>`; an index outside `[0, size)` panics with PyTorch's "index 5 is
//! out of bounds for dimension 0 with size 3". Forward passes read a row-major copy of the
//! values (`to_vec`) and walk the index tensor in row-major order. Each backward is the
//! adjoint indexing op: `gather` ↔ `scatter_add`, `index_select` ↔ `index_add`, a mask ↔ the
//! same mask filling zeros.

use crate::element::{Element, Scalar};
use crate::graph::renamed;
use crate::graph::{record, record_values, BackwardCtx, InputGrads, Op};
use crate::ops::or_panic;
use crate::shape::{broadcast_shapes, normalize_dim, numel, Shape};
use crate::tensor::Tensor;
use ndarray::{ArrayD, IxDyn};
use smallvec::smallvec;

/// The elements after dimension `d` of `shape` (one run) and the count of indices before it.
fn runs_around(shape: &[usize], d: usize) -> (usize, usize) {
    (shape[d + 1..].iter().product(), shape[..d].iter().product())
}

/// `rows` of row-major `values` of shape `shape` along dimension `d`, row-major: for each index
/// before `d`, the run of each selected row in turn.
fn select_runs<T: Copy + 'static>(
    values: &[T],
    shape: &[usize],
    d: usize,
    rows: &[usize],
) -> Vec<T> {
    let (inner, outer) = runs_around(shape, d);
    let block = shape[d] * inner;
    let mut out = crate::buffer_cache::uninit(outer * rows.len() * inner);
    for o in 0..outer {
        for &r in rows {
            out.extend_from_slice(&values[o * block + r * inner..][..inner]);
        }
    }
    out
}

/// `v` as a position along a dimension of size `size`, or PyTorch's out-of-bounds panic.
fn checked_index(op: &str, v: i64, dim: usize, size: usize) -> usize {
    if v < 0 || v as usize >= size {
        panic!("{op}: index {v} is out of bounds for dimension {dim} with size {size}");
    }
    v as usize
}

/// Row-major strides of `shape`.
fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for k in (0..shape.len().saturating_sub(1)).rev() {
        s[k] = s[k + 1] * shape[k + 1];
    }
    s
}

/// Calls `f` with every position of `shape` in row-major order.
fn each_position(shape: &[usize], mut f: impl FnMut(&[usize])) {
    let n = numel(shape);
    let mut pos = vec![0; shape.len()];
    for _ in 0..n {
        f(&pos);
        for k in (0..shape.len()).rev() {
            pos[k] += 1;
            if pos[k] < shape[k] {
                break;
            }
            pos[k] = 0;
        }
    }
}

/// The flat (row-major, in a tensor of `shape`) offset of `pos` with dimension `dim` replaced
/// by `at`.
fn offset_with(pos: &[usize], st: &[usize], dim: usize, at: usize) -> usize {
    pos.iter()
        .zip(st)
        .enumerate()
        .map(|(k, (&p, &s))| if k == dim { at * s } else { p * s })
        .sum()
}

/// The checks `gather`/`scatter` share: same rank, and `index` no larger than `other` outside
/// `dim` (and than `src`, when given, everywhere).
fn check_scatter_shapes(
    op: &str,
    dim: usize,
    me: &[usize],
    index: &[usize],
    src: Option<&[usize]>,
) {
    let rank = me.len().max(1);
    assert!(
        index.len().max(1) == rank,
        "{op}(): Index tensor must have the same number of dimensions as input tensor \
         (index shape {index:?}, input shape {me:?})"
    );
    for k in 0..index.len() {
        if k != dim && index[k] > me[k] {
            panic!(
                "{op}(): Size does not match at dimension {k} expected index {index:?} to be \
                 smaller than self {me:?} apart from dimension {dim}"
            );
        }
        if let Some(src) = src {
            if index[k] > src[k] {
                panic!(
                    "{op}(): Expected index {index:?} to be smaller than self {me:?} apart from \
                     dimension {dim} and to be smaller size than src {src:?}"
                );
            }
        }
    }
}

impl<T: Scalar> Tensor<T> {
    /// Picks values along `dim` by index (`torch.gather`): for a 2-D input and `dim = 1`,
    /// `out[i][j] = self[i][index[i][j]]`. The result has `index`'s shape.
    /// Derivative: the gradient scattered back, adding where an index repeats (`scatter_add`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let i = Tensor::from_vec(vec![0i64, 0, 1, 0], &[2, 2]);
    /// assert_eq!(x.gather(1, &i).to_vec(), vec![1.0, 1.0, 4.0, 3.0]);
    /// ```
    pub fn gather(&self, dim: isize, index: &Tensor<i64>) -> Tensor<T> {
        let me = self.shape();
        let d = or_panic(normalize_dim("gather", dim, &me));
        let ishape = index.shape();
        check_scatter_shapes("gather", d, &me, &ishape, None);
        let (values, idx) = (self.to_vec(), index.to_vec());
        let st = strides(&me);
        let size = me.get(d).copied().unwrap_or(1);
        let mut out = Vec::with_capacity(idx.len());
        let mut n = 0;
        each_position(&ishape, |pos| {
            let at = checked_index("gather", idx[n], d, size);
            out.push(values[offset_with(pos, &st, d, at)]);
            n += 1;
        });
        let out = ArrayD::from_shape_vec(IxDyn(&ishape), out).expect("one per index");
        record(
            out,
            IndexBackward::Gather {
                dim: d,
                index: index.clone(),
                in_shape: me,
            },
            &[self],
        )
    }

    /// `self` with the values of `src` written at the positions `index` names along `dim`
    /// (`torch.scatter`, out of place): for 2-D and `dim = 1`, `out[i][index[i][j]] =
    /// src[i][j]`. Derivative: to `self`, the gradient with the overwritten positions zeroed;
    /// to `src`, the gradient gathered at `index`.
    pub fn scatter(&self, dim: isize, index: &Tensor<i64>, src: &Tensor<T>) -> Tensor<T> {
        let d = or_panic(normalize_dim("scatter", dim, &self.shape()));
        let srcv = src.to_vec();
        let out = self.scatter_with("scatter", d, index, Some(&src.shape()), |o, n| *o = srcv[n]);
        record(
            out,
            IndexBackward::Scatter {
                dim: d,
                index: index.clone(),
                add: false,
            },
            &[self, src],
        )
    }

    /// `self` with `value` written at the positions `index` names along `dim`
    /// (`torch.scatter(input, dim, index, value)`). Derivative: the gradient with those
    /// positions zeroed.
    pub fn scatter_value(&self, dim: isize, index: &Tensor<i64>, value: T) -> Tensor<T> {
        let d = or_panic(normalize_dim("scatter", dim, &self.shape()));
        let out = self.scatter_with("scatter", d, index, None, |o, _| *o = value);
        record(
            out,
            IndexBackward::ScatterValue {
                dim: d,
                index: index.clone(),
            },
            &[self],
        )
    }

    /// A row-major copy of `self` with `f(element, n)` applied at the position of the `n`-th
    /// index (row-major over `index`).
    fn scatter_with(
        &self,
        op: &str,
        d: usize,
        index: &Tensor<i64>,
        src_shape: Option<&[usize]>,
        mut f: impl FnMut(&mut T, usize),
    ) -> ArrayD<T> {
        let me = self.shape();
        let ishape = index.shape();
        check_scatter_shapes(op, d, &me, &ishape, src_shape);
        let src_st = src_shape.map(strides);
        let (mut values, idx) = (self.to_vec(), index.to_vec());
        let st = strides(&me);
        let size = me.get(d).copied().unwrap_or(1);
        let mut n = 0;
        each_position(&ishape, |pos| {
            let at = checked_index(op, idx[n], d, size);
            // `src` may be larger than `index`: its element sits at `pos` in its own strides.
            let from = src_st
                .as_ref()
                .map_or(n, |s| offset_with(pos, s, usize::MAX, 0));
            f(&mut values[offset_with(pos, &st, d, at)], from);
            n += 1;
        });
        ArrayD::from_shape_vec(IxDyn(&me), values).expect("same shape")
    }

    /// The slices of `self` along `dim` at the positions in `index` (a 1-D or 0-d `i64`
    /// tensor), in that order (`torch.index_select`; `x[idx]` for `dim = 0`).
    /// Derivative: the gradient added back at those positions (`index_add`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1i64, 2, 3, 4, 5, 6], &[3, 2]);
    /// let rows = x.index_select(0, &Tensor::from_vec(vec![2i64, 0, 2], &[3]));
    /// assert_eq!(rows.to_vec(), vec![5, 6, 1, 2, 5, 6]);
    /// ```
    pub fn index_select(&self, dim: isize, index: &Tensor<i64>) -> Tensor<T> {
        let me = self.shape();
        let d = or_panic(normalize_dim("index_select", dim, &me));
        assert!(
            index.ndim() <= 1,
            "index_select(): Index is supposed to be a vector, got shape {:?}",
            index.shape().as_slice()
        );
        let idx = index.to_vec();
        let size = me.get(d).copied().unwrap_or(1);
        let rows: Vec<usize> = idx
            .iter()
            .map(|&v| checked_index("index_select", v, d, size))
            .collect();
        let mut out_shape = me.clone();
        if !out_shape.is_empty() {
            out_shape[d] = rows.len();
            if let Some(values) = self.read_contiguous() {
                // Whole runs copied (an embedding's rows), where `ndarray`'s `select`
                // concatenated one view per index.
                let out = select_runs(&values, &me, d, &rows);
                drop(values);
                let op = IndexBackward::IndexSelect {
                    dim: d,
                    index: index.clone(),
                    in_shape: me,
                };
                return record_values(out, &out_shape, op, &[self]);
            }
        }
        let data = self.data();
        let out = if me.is_empty() {
            data.to_owned()
        } else {
            data.select(ndarray::Axis(d), &rows)
        };
        drop(data);
        record(
            out,
            IndexBackward::IndexSelect {
                dim: d,
                index: index.clone(),
                in_shape: me,
            },
            &[self],
        )
    }

    /// `value` where `mask` is true, `self` elsewhere (`x.masked_fill(mask, value)`); `mask`
    /// broadcasts to `self`'s shape. Derivative: the gradient, zero where the mask is true.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let scores = Tensor::<f32>::zeros(&[2, 2]);
    /// let causal = Tensor::from_vec(vec![false, true, false, false], &[2, 2]);
    /// let masked = scores.masked_fill(&causal, f32::NEG_INFINITY);
    /// assert_eq!(masked.to_vec(), vec![0.0, f32::NEG_INFINITY, 0.0, 0.0]);
    /// ```
    pub fn masked_fill(&self, mask: &Tensor<bool>, value: T) -> Tensor<T> {
        let shape = self.shape();
        let m = mask_at("masked_fill", mask, &shape);
        let mut out = crate::buffer_cache::uninit(m.len());
        out.extend(
            self.read_values()
                .iter()
                .zip(&m)
                .map(|(&x, &m)| if m { value } else { x }),
        );
        record_values(
            out,
            &shape,
            IndexBackward::MaskedFill { mask: mask.clone() },
            &[self],
        )
    }

    /// `x` where `condition` is true, `y` elsewhere, all three broadcast together
    /// (`torch.where(condition, x, y)`). Derivative: the gradient goes to `x` where the
    /// condition holds and to `y` where it does not.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![-1.0f32, 2.0], &[2]);
    /// let relu = Tensor::where_(&x.gt(0.0), &x, &Tensor::scalar(0.0));
    /// assert_eq!(relu.to_vec(), vec![0.0, 2.0]);
    /// ```
    pub fn where_(condition: &Tensor<bool>, x: &Tensor<T>, y: &Tensor<T>) -> Tensor<T> {
        let s = or_panic(broadcast_shapes("where", &x.shape(), &y.shape()));
        let s = or_panic(broadcast_shapes("where", &condition.shape(), &s));
        let shape = IxDyn(&s);
        let (c, a, b) = (condition.data(), x.data(), y.data());
        let out = ndarray::Zip::from(&c.broadcast(shape.clone()).expect("checked"))
            .and(&a.broadcast(shape.clone()).expect("checked"))
            .and(&b.broadcast(shape).expect("checked"))
            .map_collect(|&c, &a, &b| if c { a } else { b });
        drop((c, a, b));
        record(
            out,
            IndexBackward::Where {
                condition: condition.clone(),
            },
            &[x, y],
        )
    }

    /// The elements where `mask` (broadcast with `self`) is true, as a 1-D tensor in row-major
    /// order (`torch.masked_select`). Derivative: the gradient put back at those positions.
    pub fn masked_select(&self, mask: &Tensor<bool>) -> Tensor<T> {
        let s = or_panic(broadcast_shapes(
            "masked_select",
            &self.shape(),
            &mask.shape(),
        ));
        let shape = IxDyn(&s);
        let (x, m) = (self.data(), mask.data());
        let (x, m) = (
            x.broadcast(shape.clone()).expect("checked"),
            m.broadcast(shape).expect("checked"),
        );
        let mut positions = Vec::new();
        let mut values = Vec::new();
        for (n, (&v, &keep)) in x.iter().zip(m.iter()).enumerate() {
            if keep {
                positions.push(n as i64);
                values.push(v);
            }
        }
        let n = values.len();
        let out = ArrayD::from_shape_vec(IxDyn(&[n]), values).expect("1-D");
        record(
            out,
            IndexBackward::MaskedSelect {
                positions: Tensor::from_vec(positions, &[n]),
                shape: s,
            },
            &[self],
        )
    }

    /// Picks values along `dim` with `indices` broadcast against `self` in the other
    /// dimensions (`torch.take_along_dim`; e.g. with the indices of `argsort`).
    /// Derivative: as [`Tensor::gather`].
    pub fn take_along_dim(&self, indices: &Tensor<i64>, dim: isize) -> Tensor<T> {
        if self.ndim() == 0 {
            // A 0-d tensor's dim 0 holds its one value: gather checks the rest.
            return self.gather(dim, indices);
        }
        let (me, ish) = (self.shape(), indices.shape());
        let d = or_panic(normalize_dim("take_along_dim", dim, &me));
        assert!(
            me.len() == ish.len(),
            "take_along_dim(): input and indices should have the same number of dimensions, \
             but got {} dimensions for input, and {} dimensions for indices",
            me.len(),
            ish.len()
        );
        let (mut a, mut b) = (me.clone(), ish.clone());
        a[d] = 1;
        b[d] = 1;
        let common = or_panic(broadcast_shapes("take_along_dim", &a, &b));
        let (mut self_to, mut idx_to) = (common.clone(), common);
        if !self_to.is_empty() {
            self_to[d] = me[d];
            idx_to[d] = ish[d];
        }
        self.broadcast_to(&self_to)
            .gather(d as isize, &indices.broadcast_to(&idx_to))
    }

    /// Picks values of the flattened tensor at `indices` (`torch.take_along_dim(x, indices)`
    /// with no `dim`: `x.reshape(-1).gather(0, indices.reshape(-1))`); the result is 1-D, one
    /// value per index. Derivative: as [`Tensor::gather`], reshaped back to `self`'s shape.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let i = Tensor::from_vec(vec![3i64, 0, 3], &[3]);
    /// assert_eq!(x.take_along_dim_flat(&i).to_vec(), vec![4.0, 1.0, 4.0]);
    /// ```
    pub fn take_along_dim_flat(&self, indices: &Tensor<i64>) -> Tensor<T> {
        self.reshape(&[-1]).gather(0, &indices.reshape(&[-1]))
    }
}

/// `mask` broadcast to `shape`, row-major, or PyTorch's message. (Copied through the
/// broadcast view's layout: runs of the mask's rows, where `ndarray`'s `broadcast().to_owned()`
/// stepped element by element.)
fn mask_at(op: &'static str, mask: &Tensor<bool>, shape: &[usize]) -> Vec<bool> {
    let fits = broadcast_shapes(op, &mask.shape(), shape).is_ok_and(|s| s.as_slice() == shape);
    assert!(
        fits,
        "{op}: The expanded size of the mask ({:?}) must match the existing size of the tensor \
         ({shape:?})",
        mask.shape().as_slice()
    );
    mask.broadcast_to(shape).to_vec()
}

impl<T: Element> Tensor<T> {
    /// `self` plus the values of `src` added at the positions `index` names along `dim`,
    /// adding repeatedly where an index repeats (`torch.scatter_add`, out of place).
    /// Derivative: to `self`, the gradient; to `src`, the gradient gathered at `index`.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let counts = Tensor::<f32>::zeros(&[3]);
    /// let i = Tensor::from_vec(vec![0i64, 2, 0], &[3]);
    /// let r = counts.scatter_add(0, &i, &Tensor::ones(&[3]));
    /// assert_eq!(r.to_vec(), vec![2.0, 0.0, 1.0]);
    /// ```
    pub fn scatter_add(&self, dim: isize, index: &Tensor<i64>, src: &Tensor<T>) -> Tensor<T> {
        let d = or_panic(normalize_dim("scatter_add", dim, &self.shape()));
        let srcv = src.to_vec();
        let out = self.scatter_with("scatter_add", d, index, Some(&src.shape()), |o, n| {
            *o += srcv[n]
        });
        record(
            out,
            IndexBackward::Scatter {
                dim: d,
                index: index.clone(),
                add: true,
            },
            &[self, src],
        )
    }

    /// `self` with the slices of `source` along `dim` added at the positions in `index` (1-D),
    /// adding repeatedly where an index repeats (`torch.index_add`, out of place).
    /// Derivative: to `self`, the gradient; to `source`, `grad.index_select(dim, index)`.
    pub fn index_add(&self, dim: isize, index: &Tensor<i64>, source: &Tensor<T>) -> Tensor<T> {
        let me = self.shape();
        let d = or_panic(normalize_dim("index_add", dim, &me));
        let idx = index.to_vec();
        let mut expect = me.clone();
        if !expect.is_empty() {
            expect[d] = idx.len();
        }
        assert!(
            index.ndim() <= 1 && source.shape() == expect,
            "index_add_(): source {:?} must have the shape of self {:?} with dimension {d} of \
             size {} (the index's length)",
            source.shape().as_slice(),
            me.as_slice(),
            idx.len()
        );
        let size = me.get(d).copied().unwrap_or(1);
        if !me.is_empty() && source.is_contiguous() {
            // Run by run, each index's in order: the sums of the path below, bit for bit,
            // without its two views per index (an embedding's gradient has one per token).
            let ats: Vec<usize> = idx
                .iter()
                .map(|&v| checked_index("index_add", v, d, size))
                .collect();
            let mut out = self.to_vec();
            let src = source.read_values();
            let (inner, outer) = runs_around(&me, d);
            for o in 0..outer {
                for (i, &at) in ats.iter().enumerate() {
                    let dst = &mut out[(o * size + at) * inner..][..inner];
                    let add = &src[(o * ats.len() + i) * inner..][..inner];
                    dst.iter_mut().zip(add).for_each(|(a, &b)| *a += b);
                }
            }
            drop(src);
            let op = IndexBackward::IndexAdd {
                dim: d,
                index: index.clone(),
            };
            return record_values(out, &me, op, &[self, source]);
        }
        let mut out = self.data().to_owned();
        {
            let src = source.data();
            for (i, &v) in idx.iter().enumerate() {
                let at = checked_index("index_add", v, d, size);
                if me.is_empty() {
                    out += &*src;
                } else {
                    let mut row = out.index_axis_mut(ndarray::Axis(d), at);
                    row += &src.index_axis(ndarray::Axis(d), i);
                }
            }
        }
        record(
            out,
            IndexBackward::IndexAdd {
                dim: d,
                index: index.clone(),
            },
            &[self, source],
        )
    }
}

impl<T: Element> Tensor<T> {
    /// `masked_fill` in place (`x.masked_fill_(mask, value)`); recorded like every in-place op.
    pub fn masked_fill_(&self, mask: &Tensor<bool>, value: T) -> &Tensor<T> {
        self.inplace(
            "masked_fill_",
            &[],
            |s| {
                let m = mask_at("masked_fill_", mask, &s.shape());
                for (x, &m) in s.data_mut().iter_mut().zip(&m) {
                    if m {
                        *x = value
                    }
                }
            },
            |x| x.masked_fill(mask, value),
        )
    }

    /// `index_add` in place (`x.index_add_(dim, index, source)`).
    pub fn index_add_(&self, dim: isize, index: &Tensor<i64>, source: &Tensor<T>) -> &Tensor<T> {
        self.inplace_as("index_add_", source, |x| x.index_add(dim, index, source))
    }

    /// `scatter` in place (`x.scatter_(dim, index, src)`).
    pub fn scatter_(&self, dim: isize, index: &Tensor<i64>, src: &Tensor<T>) -> &Tensor<T> {
        self.inplace_as("scatter_", src, |x| x.scatter(dim, index, src))
    }

    /// `scatter_add` in place (`x.scatter_add_(dim, index, src)`).
    pub fn scatter_add_(&self, dim: isize, index: &Tensor<i64>, src: &Tensor<T>) -> &Tensor<T> {
        self.inplace_as("scatter_add_", src, |x| x.scatter_add(dim, index, src))
    }

    /// The in-place form `op` of the out-of-place `f` reading `other`: `f` computed without
    /// recording and written back into `self`, recorded like every in-place op.
    fn inplace_as(
        &self,
        op: &'static str,
        other: &Tensor<T>,
        f: impl Fn(&Tensor<T>) -> Tensor<T>,
    ) -> &Tensor<T> {
        self.inplace(op, &[other], |s| write_back(s, crate::no_grad(|| f(s))), &f)
    }
}

/// Writes `values` (computed out of place, same shape) into `dst`'s storage.
fn write_back<T: Element>(dst: &Tensor<T>, values: Tensor<T>) {
    dst.update_from(&values, |mut d, v| d.assign(&v));
}

impl Tensor<i64> {
    /// One-hot rows (`F.one_hot`): a tensor of shape `[..self.shape, num_classes]` with a 1 at
    /// each index. `num_classes = None` uses the largest index plus one, as PyTorch's `-1`.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let y = Tensor::from_vec(vec![2i64, 0], &[2]);
    /// assert_eq!(y.one_hot(Some(3)).to_vec(), vec![0, 0, 1, 1, 0, 0]);
    /// ```
    pub fn one_hot(&self, num_classes: Option<usize>) -> Tensor<i64> {
        let idx = self.to_vec();
        assert!(
            idx.iter().all(|&v| v >= 0),
            "one_hot: Class values must be non-negative."
        );
        let classes = match num_classes {
            Some(c) => c,
            None => idx.iter().max().map_or(0, |&m| m as usize + 1),
        };
        let mut out = vec![0i64; idx.len() * classes];
        for (i, &v) in idx.iter().enumerate() {
            assert!(
                (v as usize) < classes,
                "one_hot: Class values must be smaller than num_classes (got {v} with \
                 num_classes {classes})."
            );
            out[i * classes + v as usize] = 1;
        }
        let mut shape = self.shape().to_vec();
        shape.push(classes);
        Tensor::from_vec(out, &shape)
    }
}

/// Rows of `weight` picked by `indices` (`F.embedding(input, weight)`): the result has shape
/// `[..indices.shape, weight.shape[1]]`. Derivative: each row's gradient added back into the
/// rows it came from.
///
/// ```
/// use tapegrad_autograd::{functional::embedding, Tensor};
/// let table = Tensor::from_vec(vec![0.0f32, 0.1, 1.0, 1.1, 2.0, 2.1], &[3, 2]);
/// let ids = Tensor::from_vec(vec![2i64, 2, 0], &[3]);
/// assert_eq!(embedding(&ids, &table).to_vec(), vec![2.0, 2.1, 2.0, 2.1, 0.0, 0.1]);
/// ```
pub fn embedding<T: Element>(indices: &Tensor<i64>, weight: &Tensor<T>) -> Tensor<T> {
    assert!(
        weight.ndim() == 2,
        "embedding: 'weight' must be 2-D, got shape {:?}",
        weight.shape().as_slice()
    );
    let mut shape: Vec<isize> = indices.shape().iter().map(|&d| d as isize).collect();
    shape.push(weight.shape()[1] as isize);
    let rows = weight.index_select(0, &indices.reshape(&[-1]));
    renamed(rows.reshape(&shape), "EmbeddingBackward0")
}

/// [`embedding`] with PyTorch's `padding_idx` (`F.embedding(input, weight, padding_idx=p)`):
/// the row `p` (negative counts from the end) is gathered like any other but receives no
/// gradient, so it stays fixed in training; `None` is plain [`embedding`]. Derivative: as
/// [`embedding`], with the gradient of row `p` zero.
///
/// ```
/// use tapegrad_autograd::{functional::embedding_with_padding, Tensor};
/// let table = Tensor::from_vec(vec![0.0f32, 1.0, 2.0], &[3, 1]).requires_grad_(true);
/// let ids = Tensor::from_vec(vec![0i64, 2, 0], &[3]);
/// embedding_with_padding(&ids, &table, Some(0)).sum().backward();
/// assert_eq!(table.grad().unwrap().to_vec(), vec![0.0, 0.0, 1.0]);
/// ```
pub fn embedding_with_padding<T: Element>(
    indices: &Tensor<i64>,
    weight: &Tensor<T>,
    padding_idx: Option<isize>,
) -> Tensor<T> {
    let Some(p) = padding_idx else {
        return embedding(indices, weight);
    };
    assert!(
        weight.ndim() == 2,
        "embedding: 'weight' must be 2-D, got shape {:?}",
        weight.shape().as_slice()
    );
    let rows = weight.shape()[0] as isize;
    assert!(
        (-rows..rows).contains(&p),
        "embedding: Padding_idx must be within num_embeddings (padding_idx {p}, weight of shape          {:?})",
        weight.shape().as_slice()
    );
    let p = if p < 0 { p + rows } else { p } as usize;
    // The padding row taken from a detached copy: same values, no gradient path.
    let mut mask = vec![false; rows as usize];
    mask[p] = true;
    let mask = Tensor::from_vec(mask, &[rows as usize, 1]);
    embedding(indices, &Tensor::where_(&mask, &weight.detach(), weight))
}

/// The backward of every indexing op, each the adjoint indexing op of its forward (see the
/// module documentation); none reads the inputs' values, only what the variant keeps.
enum IndexBackward {
    /// `gather`: the gradient scattered back into zeros of the input's shape, adding where an
    /// index repeats.
    Gather {
        dim: usize,
        index: Tensor<i64>,
        in_shape: Shape,
    },
    /// `scatter` (`add: false`) and `scatter_add` (`add: true`) of `src` into `self`.
    Scatter {
        dim: usize,
        index: Tensor<i64>,
        add: bool,
    },
    /// `scatter` of a value: the gradient, zero where the value was written.
    ScatterValue { dim: usize, index: Tensor<i64> },
    /// `index_select`: the gradient added back at the selected positions.
    IndexSelect {
        dim: usize,
        index: Tensor<i64>,
        in_shape: Shape,
    },
    /// `index_add`: `self` gets the gradient, `source` the gradient selected at the index.
    IndexAdd { dim: usize, index: Tensor<i64> },
    /// `masked_fill`: the gradient, zero where the mask is true.
    MaskedFill { mask: Tensor<bool> },
    /// `where(condition, x, y)`: the gradient to `x` where the condition holds, else to `y`.
    Where { condition: Tensor<bool> },
    /// `masked_select`: the gradient put back at the selected (flat) positions of `shape`.
    MaskedSelect {
        positions: Tensor<i64>,
        shape: Shape,
    },
}

impl<T: Scalar> Op<T> for IndexBackward {
    fn name(&self) -> &'static str {
        match self {
            IndexBackward::Gather { .. } => "GatherBackward0",
            IndexBackward::Scatter { add: true, .. } => "ScatterAddBackward0",
            IndexBackward::Scatter { add: false, .. } => "ScatterBackward0",
            IndexBackward::ScatterValue { .. } => "ScatterBackward1",
            IndexBackward::IndexSelect { .. } => "IndexSelectBackward0",
            IndexBackward::IndexAdd { .. } => "IndexAddBackward0",
            IndexBackward::MaskedFill { .. } => "MaskedFillBackward0",
            IndexBackward::Where { .. } => "WhereBackward0",
            IndexBackward::MaskedSelect { .. } => "MaskedSelectBackward0",
        }
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn rule(&self) -> &'static str {
        match self {
            IndexBackward::Gather { .. } => {
                "d gather: the gradient scattered back to the gathered positions, summed where an \
                 index repeats"
            }
            IndexBackward::Scatter { .. } => {
                "d scatter: self gets the gradient (zeroed where overwritten); src gets it \
                 gathered at the index"
            }
            IndexBackward::ScatterValue { .. } => {
                "d scatter(value): the gradient, zero where the value was written"
            }
            IndexBackward::IndexSelect { .. } => {
                "d index_select: the gradient added back at the selected positions (index_add)"
            }
            IndexBackward::IndexAdd { .. } => {
                "d index_add: self gets the gradient; source gets it selected at the index"
            }
            IndexBackward::MaskedFill { .. } => {
                "d masked_fill: the gradient, zero where the mask is true"
            }
            IndexBackward::Where { .. } => {
                "d where(c, x, y): x gets the gradient where c holds, y where it does not"
            }
            IndexBackward::MaskedSelect { .. } => {
                "d masked_select: the gradient put back at the selected positions, zero elsewhere"
            }
        }
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T>
    where
        T: Element,
    {
        let g = c.grad;
        match self {
            IndexBackward::Gather {
                dim,
                index,
                in_shape,
            } => smallvec![Some(Tensor::zeros(in_shape).scatter_add(
                *dim as isize,
                index,
                g
            ))],
            IndexBackward::Scatter { dim, index, add } => {
                let d = *dim as isize;
                let to_self = if *add {
                    g.clone()
                } else {
                    g.scatter_value(d, index, T::zero())
                };
                let src_shape = c.inputs[1].shape();
                let to_src = g.gather(d, index);
                // `src` may be larger than `index`: the rest of it got no gradient.
                let to_src = if to_src.shape() == src_shape {
                    to_src
                } else {
                    let pad: Vec<isize> = src_shape
                        .iter()
                        .zip(to_src.shape().iter())
                        .rev()
                        .flat_map(|(&s, &t)| [0, (s - t) as isize])
                        .collect();
                    to_src.pad(&pad, T::zero())
                };
                smallvec![
                    c.needs_grad(0).then_some(to_self),
                    c.needs_grad(1).then_some(to_src)
                ]
            }
            IndexBackward::ScatterValue { dim, index } => {
                smallvec![Some(g.scatter_value(*dim as isize, index, T::zero()))]
            }
            IndexBackward::IndexSelect {
                dim,
                index,
                in_shape,
            } => smallvec![Some(Tensor::zeros(in_shape).index_add(
                *dim as isize,
                index,
                g
            ))],
            IndexBackward::IndexAdd { dim, index } => smallvec![
                c.needs_grad(0).then(|| g.clone()),
                c.needs_grad(1)
                    .then(|| g.index_select(*dim as isize, index))
            ],
            IndexBackward::MaskedFill { mask } => smallvec![Some(g.masked_fill(mask, T::zero()))],
            IndexBackward::Where { condition } => {
                let zero = Tensor::scalar(T::zero());
                smallvec![
                    c.needs_grad(0)
                        .then(|| Tensor::where_(condition, g, &zero).sum_to(&c.inputs[0].shape())),
                    c.needs_grad(1)
                        .then(|| Tensor::where_(condition, &zero, g).sum_to(&c.inputs[1].shape()))
                ]
            }
            IndexBackward::MaskedSelect { positions, shape } => {
                let flat = Tensor::zeros(&[numel(shape)]).index_add(0, positions, g);
                let dims: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
                smallvec![Some(flat.reshape(&dims).sum_to(&c.inputs[0].shape()))]
            }
        }
    }
}
