//! Matrix product with `torch.matmul` semantics: 1-D·1-D is a dot product, a 1-D operand is
//! promoted to a row (left) or column (right) matrix and the added dimension removed again,
//! and leading batch dimensions broadcast.

use crate::element::Element;
use crate::error::{Result, TensorError};
use crate::graph::renamed;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::kernels::{matmul_uninit, matmul_vec};
use crate::ops::{as_matrix, or_panic};
use crate::shape::{broadcast_shapes, numel, Shape};
use crate::tensor::Tensor;
use ndarray::{ArrayD, ArrayView2, ArrayViewD, CowArray, IxDyn, ShapeBuilder};
use rayon::prelude::*;
use smallvec::smallvec;
use std::mem::MaybeUninit;

/// Batched products with at least this many multiply-adds in all run the batch in parallel.
const PAR_BATCH_WORK: usize = 64 * 1024;

/// An operand as a `[batch…, rows, cols]` array `s` (a 1-D operand promoted): the view itself
/// when it already has that shape and no negative stride, else a row-major copy.
fn operand<'a, T: Clone>(d: ArrayViewD<'a, T>, s: &Shape) -> CowArray<'a, T, IxDyn> {
    if d.shape() == s.as_slice() && d.strides().iter().all(|&st| st >= 0) {
        return CowArray::from(d);
    }
    let owned = d.as_standard_layout().into_owned();
    CowArray::from(owned.into_shape_with_order(IxDyn(s)).expect("promoted"))
}

/// The matrices of `v` (`[b…, r, c]`, non-negative strides) for every index of the broadcast
/// batch shape `batch`, in row-major order: strided 2-D views into `v`'s memory, a batch
/// dimension of size 1 (or missing) in `v` repeating its matrix.
fn batch_matrices<'a, T>(v: ArrayViewD<'a, T>, batch: &[usize]) -> Vec<ArrayView2<'a, T>> {
    let (shape, strides) = (v.shape().to_vec(), v.strides().to_vec());
    let rank = shape.len();
    let (r, c) = (shape[rank - 2], shape[rank - 1]);
    let (rs, cs) = (strides[rank - 2] as usize, strides[rank - 1] as usize);
    let lead = batch.len() - (rank - 2); // batch dims `v` does not have
    let ptr = v.as_ptr();
    let mut idx = vec![0usize; batch.len()];
    let mut mats = Vec::with_capacity(numel(batch));
    for _ in 0..numel(batch) {
        let off: usize = (0..rank - 2)
            .map(|d| {
                if shape[d] == 1 {
                    0
                } else {
                    idx[lead + d] * strides[d] as usize
                }
            })
            .sum();
        // SAFETY: every index of `v`'s batch dims is within its shape and every stride is
        // non-negative, so `off` plus (row, col) < (r, c) times (rs, cs) addresses an element
        // of `v`: the view stays inside the memory `v` borrows for 'a.
        mats.push(unsafe { ArrayView2::from_shape_ptr((r, c).strides((rs, cs)), ptr.add(off)) });
        for d in (0..batch.len()).rev() {
            idx[d] += 1;
            if idx[d] < batch[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    mats
}

impl<T: Element> Tensor<T> {
    /// The matrix product `self @ other` (`torch.matmul`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    /// let b = Tensor::from_vec(vec![1.0f32, 1.0], &[2]);
    /// assert_eq!(a.matmul(&b).to_vec(), vec![3.0, 7.0]); // matrix · vector
    /// assert_eq!(a.matmul(&a).to_vec(), vec![7.0, 10.0, 15.0, 22.0]);
    /// ```
    pub fn matmul(&self, other: &Tensor<T>) -> Tensor<T> {
        or_panic(self.try_matmul(other))
    }

    /// Fallible [`Tensor::matmul`]: an error if the inner dimensions differ or the batch
    /// dimensions don't broadcast.
    pub fn try_matmul(&self, other: &Tensor<T>) -> Result<Tensor<T>> {
        let (sa, sb) = (self.shape(), other.shape());
        if sa.is_empty() || sb.is_empty() {
            return Err(TensorError::Invalid(format!(
                "matmul: both arguments to matmul need to be at least 1D, but they are {}D and \
                 {}D (shapes {sa:?} and {sb:?}); use mul for scalars",
                sa.len(),
                sb.len()
            )));
        }
        let a2: Shape = if sa.len() == 1 {
            Shape::from_slice(&[1, sa[0]])
        } else {
            sa.clone()
        };
        let b2: Shape = if sb.len() == 1 {
            Shape::from_slice(&[sb[0], 1])
        } else {
            sb.clone()
        };
        let (m, k1) = (a2[a2.len() - 2], a2[a2.len() - 1]);
        let (k2, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
        if k1 != k2 {
            return Err(TensorError::MatmulShape {
                a: sa.to_vec(),
                b: sb.to_vec(),
                k1,
                k2,
            });
        }
        let batch = broadcast_shapes("matmul", &a2[..a2.len() - 2], &b2[..b2.len() - 2])?;
        let mut full: Shape = batch.clone();
        full.extend_from_slice(&[m, n]);

        let out = if batch.is_empty() {
            let a = self.data();
            let b = other.data();
            // Transposed and sliced 2-D operands are read through their strides, not copied.
            let av = as_matrix(&a, m, k1);
            let bv = as_matrix(&b, k1, n);
            let c = matmul_vec(av.view(), bv.view());
            ArrayD::from_shape_vec(IxDyn(&[m, n]), c).expect("sizes")
        } else {
            let nb = numel(&batch);
            let (ad, bd) = (self.data(), other.data());
            // One strided 2-D view per batch entry (broadcast batch dims repeat a matrix):
            // nothing is copied, the GEMM packs what it reads.
            let (a3, b3) = (operand(ad.view(), &a2), operand(bd.view(), &b2));
            let am = batch_matrices(a3.view(), &batch);
            let bm = batch_matrices(b3.view(), &batch);
            // Each block is written by its product (never zeroed first).
            let mut out = crate::buffer_cache::uninit(nb * m * n);
            let blocks = &mut out.spare_capacity_mut()[..nb * m * n];
            let product = |(i, c): (usize, &mut [MaybeUninit<T>])| matmul_uninit(am[i], bm[i], c);
            if m * n > 0 {
                if nb * m * n * k1 >= PAR_BATCH_WORK && crate::threads::use_pool() {
                    blocks.par_chunks_mut(m * n).enumerate().for_each(product);
                } else {
                    blocks.chunks_mut(m * n).enumerate().for_each(product);
                }
            }
            // SAFETY: the nb blocks of m·n elements were all written (none when m·n = 0).
            unsafe { out.set_len(nb * m * n) };
            ArrayD::from_shape_vec(IxDyn(&[nb, m, n]), out).expect("sizes")
        };
        let mut out_shape: Vec<usize> = batch.to_vec();
        if sa.len() > 1 {
            out_shape.push(m);
        }
        if sb.len() > 1 {
            out_shape.push(n);
        }
        let out = ArrayD::from_shape_vec(IxDyn(&out_shape), out.into_raw_vec_and_offset().0)
            .expect("element count");
        let name = if sa.len() == 2 && sb.len() == 2 {
            "MmBackward0"
        } else {
            "MatmulBackward0"
        };
        Ok(record(out, MatmulBackward { full, name }, &[self, other]))
    }
}

impl<T: Element> Tensor<T> {
    /// The product of two matrices (`torch.mm`); both must be 2-D.
    pub fn mm(&self, other: &Tensor<T>) -> Tensor<T> {
        assert!(
            self.ndim() == 2 && other.ndim() == 2,
            "mm: self must be a matrix and mat2 must be a matrix (got shapes {:?} and {:?})",
            self.shape().as_slice(),
            other.shape().as_slice()
        );
        self.matmul(other)
    }

    /// Batched products of matrices (`torch.bmm`); both must be 3-D with the same batch.
    pub fn bmm(&self, other: &Tensor<T>) -> Tensor<T> {
        let (a, b) = (self.shape(), other.shape());
        assert!(
            a.len() == 3 && b.len() == 3 && a[0] == b[0],
            "bmm: batch1 and batch2 must be 3-D tensors with the same batch size (got shapes \
             {:?} and {:?})",
            a.as_slice(),
            b.as_slice()
        );
        renamed(self.matmul(other), "BmmBackward0")
    }

    /// Matrix times vector (`torch.mv`).
    pub fn mv(&self, vec: &Tensor<T>) -> Tensor<T> {
        assert!(
            self.ndim() == 2 && vec.ndim() == 1,
            "mv: vector + matrix @ vector expected, got shapes {:?} and {:?}",
            self.shape().as_slice(),
            vec.shape().as_slice()
        );
        renamed(self.matmul(vec), "MvBackward0")
    }

    /// The dot product of two 1-D tensors (`torch.dot`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    /// assert_eq!(a.dot(&a).item(), 14.0);
    /// ```
    pub fn dot(&self, other: &Tensor<T>) -> Tensor<T> {
        assert!(
            self.ndim() == 1 && other.ndim() == 1 && self.numel() == other.numel(),
            "dot: 1D tensors of the same size expected, but got shapes {:?} and {:?}",
            self.shape().as_slice(),
            other.shape().as_slice()
        );
        renamed(self.matmul(other), "DotBackward0")
    }

    /// The outer product of two 1-D tensors (`torch.outer`): `out[i, j] = a[i]·b[j]`.
    pub fn outer(&self, other: &Tensor<T>) -> Tensor<T> {
        assert!(
            self.ndim() == 1 && other.ndim() == 1,
            "outer: 1D tensors expected, but got shapes {:?} and {:?}",
            self.shape().as_slice(),
            other.shape().as_slice()
        );
        self.unsqueeze(1).mul(&other.unsqueeze(0))
    }
}

struct MatmulBackward {
    /// The product's shape with both matrix dimensions present (1-D operands promoted).
    full: Shape,
    name: &'static str,
}
impl<T: Element> Op<T> for MatmulBackward {
    fn name(&self) -> &'static str {
        self.name
    }
    fn rule(&self) -> &'static str {
        "d(A@B)/dA = G @ Bᵀ, d(A@B)/dB = Aᵀ @ G"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (a, b) = (&c.inputs[0], &c.inputs[1]);
        let (sa, sb) = (a.shape(), b.shape());
        let a2 = if sa.len() == 1 {
            a.unsqueeze(0)
        } else {
            a.clone()
        };
        let b2 = if sb.len() == 1 {
            b.unsqueeze(1)
        } else {
            b.clone()
        };
        let g = c.grad.reshape_exact(&self.full);
        smallvec![
            c.needs_grad(0)
                .then(|| g.matmul(&b2.t()).sum_to(&a2.shape()).reshape_exact(&sa)),
            c.needs_grad(1)
                .then(|| a2.t().matmul(&g).sum_to(&b2.shape()).reshape_exact(&sb)),
        ]
    }
}
