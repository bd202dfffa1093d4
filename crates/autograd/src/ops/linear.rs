//! The affine map of a `Linear` layer, fused into one op: `x @ Wᵀ + b` (`F.linear`; PyTorch
//! records it as `AddmmBackward0`).

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, record_values, BackwardCtx, InputGrads, Op};
use crate::kernels::{matmul_into, matmul_strided};
use crate::ops::as_matrix;
use crate::tensor::Tensor;
use ndarray::{Array2, Ix2, IxDyn};
use smallvec::smallvec;

impl<T: Element> Tensor<T> {
    /// `self @ weightᵀ + bias` for input `[.., in]`, weight `[out, in]` and bias `[out]`
    /// (`torch.nn.functional.linear`): one recorded op instead of three.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]);
    /// let w = Tensor::from_vec(vec![1.0f32, 1.0, 0.0, 1.0, 2.0, 0.0], &[3, 2]);
    /// let b = Tensor::from_vec(vec![0.5f32, 0.0, -1.0], &[3]);
    /// assert_eq!(x.linear(&w, Some(&b)).to_vec(), vec![3.5, 2.0, 1.0]);
    /// ```
    pub fn linear(&self, weight: &Tensor<T>, bias: Option<&Tensor<T>>) -> Tensor<T> {
        let (xs, ws) = (self.shape(), weight.shape());
        let fits = ws.len() == 2 && !xs.is_empty() && xs[xs.len() - 1] == ws[1];
        if !fits {
            panic!(
                "linear: mat1 and mat2 shapes cannot be multiplied (input {:?} and weight {:?} \
                 transposed): the input's last dimension must equal the weight's in_features \
                 ({}); check the layer sizes",
                xs.as_slice(),
                ws.as_slice(),
                ws.get(1).copied().unwrap_or(0)
            );
        }
        let (out_f, in_f) = (ws[0], ws[1]);
        if let Some(b) = bias {
            assert!(
                b.shape().as_slice() == [out_f],
                "linear: bias of shape {:?} does not match out_features {out_f}; it must be [{out_f}]",
                b.shape().as_slice()
            );
        }
        // The leading dimensions' product (not numel / in_f, which is 0 when in_f is 0).
        let rows: usize = xs[..xs.len() - 1].iter().product();
        let mut shape = xs;
        *shape.last_mut().expect("rank >= 1") = out_f;
        // A strided input (a recurrent layer's outputs, permuted) is copied row-major first
        // (`Layout::gather`), so it takes the contiguous path too, with its bits.
        let copy;
        let x = if self.is_contiguous() {
            self
        } else {
            copy = Tensor::from_vec(self.to_vec(), &self.shape());
            &copy
        };
        if let Some(y) = linear_contiguous(x, weight, bias, rows, in_f, out_f) {
            return match bias {
                Some(b) => record_values(y, &shape, LinearBackward, &[self, weight, b]),
                None => record_values(y, &shape, LinearBackward, &[self, weight]),
            };
        }
        let out = {
            let x = self.data();
            let w = weight.data();
            let x2 = as_matrix(&x, rows, in_f);
            let w2 = w.view().into_dimensionality::<Ix2>().expect("2-D weight");
            let mut y = Array2::<T>::zeros((rows, out_f));
            matmul_into(x2.view(), w2.t(), y.view_mut());
            if let Some(b) = bias {
                y += &*b.data();
            }
            y.into_shape_with_order(IxDyn(&shape)).expect("same size")
        };
        match bias {
            Some(b) => record(out, LinearBackward, &[self, weight, b]),
            None => record(out, LinearBackward, &[self, weight]),
        }
    }
}

/// `x·Wᵀ + b` straight from the row-major slices when every operand is contiguous (the usual
/// case, and the lecture network's hot path): no ndarray view of the dynamic-rank tensors is
/// built. `None` for strided operands.
fn linear_contiguous<T: Element>(
    x: &Tensor<T>,
    w: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    rows: usize,
    in_f: usize,
    out_f: usize,
) -> Option<Vec<T>> {
    let xs = x.read_contiguous()?;
    let ws = w.read_contiguous()?;
    let bs = match bias {
        Some(b) => Some(b.read_contiguous()?),
        None => None,
    };
    // x (rows × in) times Wᵀ (in × out, W read column by column).
    let mut y = matmul_strided((rows, in_f, out_f), (&xs, in_f, 1), (&ws, 1, in_f));
    if let Some(b) = bs {
        for row in y.chunks_exact_mut(out_f.max(1)) {
            for (v, &b) in row.iter_mut().zip(b.iter()) {
                *v += b;
            }
        }
    }
    Some(y)
}

/// Rows and columns of a `G` whose bias gradient is the tiny product `1ᵀ·G` (each column summed
/// in a register); a larger `G` is summed row by row.
const TINY: usize = 16;

struct LinearBackward;
impl<T: Element> Op<T> for LinearBackward {
    fn name(&self) -> &'static str {
        "AddmmBackward0"
    }
    fn rule(&self) -> &'static str {
        "y = x Wᵀ + b: dx = G W, dW = Gᵀ x, db = Σ_rows G"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (x, w, g) = (&c.inputs[0], &c.inputs[1], c.grad);
        let (xs, ws) = (x.shape(), w.shape());
        let (out_f, in_f) = (ws[0], ws[1]);
        let rows: usize = xs[..xs.len() - 1].iter().product();
        let has_bias = c.inputs.len() == 3;
        if is_grad_enabled() {
            // Building a graph of the backward (create_graph): use differentiable ops.
            let g2 = g.reshape_exact(&[rows, out_f]);
            let x2 = x.reshape_exact(&[rows, in_f]);
            return smallvec![
                c.needs_grad(0).then(|| g2.matmul(w).reshape_exact(&xs)),
                c.needs_grad(1).then(|| g2.t().matmul(&x2)),
                (has_bias && c.needs_grad(2)).then(|| g2.sum_dim(0, false)),
            ];
        }
        linear_backward_slices(c, rows, in_f, out_f, &xs)
    }
}

/// The backward of [`linear_contiguous`] from row-major slices (strided operands are copied
/// row-major first).
fn linear_backward_slices<T: Element>(
    c: &BackwardCtx<'_, T>,
    rows: usize,
    in_f: usize,
    out_f: usize,
    xs: &[usize],
) -> InputGrads<T> {
    let (x, w, g) = (&c.inputs[0], &c.inputs[1], c.grad);
    let gs = g.read_values();
    let dx = if c.needs_grad(0) {
        let ws = w.read_values();
        // G (rows × out) times W (out × in).
        let dx = matmul_strided((rows, out_f, in_f), (&gs, out_f, 1), (&ws, in_f, 1));
        Some(Tensor::from_values(dx, xs, None, false))
    } else {
        None
    };
    let dw = if c.needs_grad(1) {
        let xv = x.read_values();
        // Gᵀ (out × rows, G read column by column) times x (rows × in).
        let dw = matmul_strided((out_f, rows, in_f), (&gs, 1, out_f), (&xv, in_f, 1));
        Some(Tensor::from_values(dw, &[out_f, in_f], None, false))
    } else {
        None
    };
    let db = (c.inputs.len() == 3 && c.needs_grad(2)).then(|| {
        let db: Vec<T> = if rows <= TINY && out_f <= TINY {
            // A tiny G (the lecture network's): db = 1ᵀ·G as a tiny product, each column
            // summed in a register from zero, rows in order (`1·g` is `g`, so these are the
            // column sums bit for bit); the whole row of sums in one AVX-512 vector, or two
            // AVX2 ones (`kernels/small_rows.rs`). Added row by row into the vector, each of
            // these short rows read back the sums the row before had just stored, a wait per
            // row.
            matmul_strided((1, rows, out_f), (&[T::one()], 0, 0), (&gs, out_f, 1))
        } else {
            // Row by row, each row's adds vectorised (read down a column, a large G's sums
            // would be long dependent chains over strided reads). The same order per sum.
            // Zeros written by a loop, not `vec![0; n]` (glibc's `calloc` skips its fast cache).
            let mut db = Vec::with_capacity(out_f);
            db.resize(out_f, T::zero());
            for row in gs.chunks_exact(out_f.max(1)) {
                for (d, &v) in db.iter_mut().zip(row) {
                    *d += v;
                }
            }
            db
        };
        Tensor::from_values(db, &[out_f], None, false)
    });
    smallvec![dx, dw, db]
}
