//! Reductions over several dimensions: `sum_dims`, `mean_dims`, `var`, `std`, `logsumexp`,
//! `amax`/`amin` (and `max()`/`min()` of the whole tensor), and the running `cumsum`.

use crate::element::Element;
use crate::graph::renamed;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::{constant_map, or_panic};
use crate::shape::normalize_dim;
use crate::tensor::Tensor;
use ndarray::{ArrayD, Axis, IxDyn};
use smallvec::smallvec;

/// `dims` resolved against `shape`, sorted, without repeats; empty `dims` means all of them.
/// Checked in order as PyTorch does: the first out-of-range or repeated dim is the one reported.
fn resolve_dims(op: &'static str, dims: &[isize], shape: &[usize]) -> Vec<usize> {
    if dims.is_empty() {
        return (0..shape.len()).collect();
    }
    let mut ds: Vec<usize> = Vec::with_capacity(dims.len());
    for &dim in dims {
        let d = or_panic(normalize_dim(op, dim, shape));
        assert!(
            !ds.contains(&d),
            "{op}: dim {d} appears multiple times in the list of dims {dims:?}"
        );
        ds.push(d);
    }
    ds.sort_unstable();
    ds
}

/// `shape` without the dimensions `ds` (a reduction's result shape when `keepdim` is off).
fn without_dims(shape: &[usize], ds: &[usize]) -> Vec<usize> {
    shape
        .iter()
        .enumerate()
        .filter(|(i, _)| !ds.contains(i))
        .map(|(_, &s)| s)
        .collect()
}

impl<T: Element> Tensor<T> {
    /// Sum over several dimensions (`x.sum(dims, keepdim)`; empty `dims`: all). Derivative: 1.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::ones(&[2, 3, 4]);
    /// assert_eq!(x.sum_dims(&[0, -1], false).to_vec(), vec![8.0, 8.0, 8.0]);
    /// ```
    pub fn sum_dims(&self, dims: &[isize], keepdim: bool) -> Tensor<T> {
        let ds = resolve_dims("sum", dims, &self.shape());
        if ds.is_empty() {
            // A 0-d tensor, all of its no dims: one element added to +0.0, as PyTorch.
            return self.sum();
        }
        let mut out = self.clone();
        for &d in ds.iter().rev() {
            out = out.sum_dim(d as isize, true);
        }
        let out = if keepdim {
            out
        } else {
            out.reshape_exact(&without_dims(&self.shape(), &ds))
        };
        renamed(out, "SumBackward1")
    }

    /// Mean over several dimensions (`x.mean(dims, keepdim)`). Derivative: 1/N.
    pub fn mean_dims(&self, dims: &[isize], keepdim: bool) -> Tensor<T> {
        let shape = self.shape();
        let n: usize = resolve_dims("mean", dims, &shape)
            .iter()
            .map(|&d| shape.get(d).copied().unwrap_or(1)) // a 0-d tensor's dim 0 holds one
            .product();
        renamed(
            self.sum_dims(dims, keepdim) / T::from_f64(n as f64),
            "MeanBackward1",
        )
    }

    /// Variance over `dims` with Bessel's `correction` (`x.var(dims, correction=1, keepdim)`):
    /// `Σ(x − mean)² / (N − correction)`. Derivative: 2(x − mean)/(N − correction).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[4]);
    /// assert!((x.var(&[], 1.0, false).item() - 5.0 / 3.0).abs() < 1e-12);
    /// ```
    pub fn var(&self, dims: &[isize], correction: f64, keepdim: bool) -> Tensor<T> {
        let shape = self.shape();
        let n: usize = resolve_dims("var", dims, &shape)
            .iter()
            .map(|&d| shape.get(d).copied().unwrap_or(1)) // a 0-d tensor's dim 0 holds one
            .product();
        let centered = self - &self.mean_dims(dims, true);
        let denom = (n as f64 - correction).max(0.0);
        renamed(
            (&centered * &centered).sum_dims(dims, keepdim) / T::from_f64(denom),
            "VarBackward0",
        )
    }

    /// Standard deviation, `√var` (`x.std(dims, correction, keepdim)`).
    pub fn std(&self, dims: &[isize], correction: f64, keepdim: bool) -> Tensor<T> {
        renamed(self.var(dims, correction, keepdim).sqrt(), "StdBackward0")
    }

    /// `ln Σ eˣ` over `dims`, computed stably as `m + ln Σ e^(x−m)` with `m` the maximum
    /// (`torch.logsumexp(x, dims, keepdim)`). Derivative: softmax(x) over those dims.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![0.0f64, 0.0], &[2]);
    /// assert!((x.logsumexp(&[0], false).item() - 2f64.ln()).abs() < 1e-15);
    /// ```
    pub fn logsumexp(&self, dims: &[isize], keepdim: bool) -> Tensor<T> {
        let m = self.amax(dims, true).detach();
        let m = constant_map(&m, |v| if v.is_finite() { v } else { T::zero() });
        let out = &(self - &m).exp().sum_dims(dims, true).log() + &m;
        let out = if keepdim {
            out
        } else {
            let ds = resolve_dims("logsumexp", dims, &self.shape());
            out.reshape_exact(&without_dims(&self.shape(), &ds))
        };
        renamed(out, "LogsumexpBackward0")
    }

    /// The p-norm over `dims` (`torch.linalg.vector_norm` / `x.norm(p, dims, keepdim)`):
    /// `(Σ|x|^p)^(1/p)` for p = 1, 2, …, and `max |x|` for `p = f64::INFINITY`.
    /// Derivative (p = 2): x/‖x‖.
    pub fn norm(&self, p: f64, dims: &[isize], keepdim: bool) -> Tensor<T> {
        let out = if p.is_infinite() {
            self.abs().amax(dims, keepdim)
        } else if p == 1.0 {
            self.abs().sum_dims(dims, keepdim)
        } else if p == 2.0 {
            (self * self).sum_dims(dims, keepdim).sqrt()
        } else {
            self.abs().pow(p).sum_dims(dims, keepdim).pow(1.0 / p)
        };
        renamed(out, "LinalgVectorNormBackward0")
    }

    /// The maximum over `dims` (`torch.amax`; empty `dims`: all). Derivative: 1 at the
    /// maximum, shared evenly among tied elements, as PyTorch.
    pub fn amax(&self, dims: &[isize], keepdim: bool) -> Tensor<T> {
        self.extreme(dims, keepdim, true)
    }

    /// The minimum over `dims` (`torch.amin`). Derivative as [`Tensor::amax`].
    pub fn amin(&self, dims: &[isize], keepdim: bool) -> Tensor<T> {
        self.extreme(dims, keepdim, false)
    }

    /// The smallest element, as a 0-d tensor (`x.min()`); ties share the gradient evenly.
    pub fn min(&self) -> Tensor<T> {
        renamed(self.amin(&[], false), "MinBackward1")
    }

    fn extreme(&self, dims: &[isize], keepdim: bool, largest: bool) -> Tensor<T> {
        let shape = self.shape();
        let op = if largest { "amax" } else { "amin" };
        let ds = resolve_dims(op, dims, &shape);
        if shape.is_empty() && !ds.is_empty() {
            // dim 0 (or -1) of a 0-d tensor: its one value, still 0-d whatever `keepdim`.
            return self.reshape(&[1]).extreme(&[0], false, largest);
        }
        for &d in &ds {
            assert!(
                shape[d] > 0,
                "{op}(): Expected reduction dim {d} to have non-zero size (shape {:?})",
                shape.as_slice()
            );
        }
        let mut out: ArrayD<T> = self.data().to_owned();
        for &d in ds.iter().rev() {
            let start = if largest {
                T::neg_infinity()
            } else {
                T::infinity()
            };
            out = out
                .fold_axis(Axis(d), start, |&acc, &v| {
                    if v.is_nan() || acc.is_nan() {
                        T::nan()
                    } else if (largest && v > acc) || (!largest && v < acc) {
                        v
                    } else {
                        acc
                    }
                })
                .insert_axis(Axis(d));
        }
        let kept: Vec<usize> = out.shape().to_vec();
        let result = if keepdim {
            out
        } else {
            out.into_shape_with_order(IxDyn(&without_dims(&shape, &ds)))
                .expect("same size")
        };
        let name = if largest {
            "AmaxBackward0"
        } else {
            "AminBackward0"
        };
        record(result, ExtremeBackward { kept, name }, &[self])
    }

    /// Running sums along `dim` (`torch.cumsum`). Derivative: the reversed running sum of the
    /// gradient.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    /// assert_eq!(x.cumsum(0).to_vec(), vec![1.0, 3.0, 6.0]);
    /// ```
    pub fn cumsum(&self, dim: isize) -> Tensor<T> {
        let shape = self.shape();
        let d = if shape.is_empty() {
            0
        } else {
            or_panic(normalize_dim("cumsum", dim, &shape))
        };
        let mut out = self.data().to_owned();
        if !shape.is_empty() {
            out.accumulate_axis_inplace(Axis(d), |&prev, cur| *cur += prev);
        }
        record(out, CumsumBackward { dim: d }, &[self])
    }
}

struct ExtremeBackward {
    /// The result's shape with the reduced dimensions kept (size 1).
    kept: Vec<usize>,
    name: &'static str,
}
impl<T: Element> Op<T> for ExtremeBackward {
    fn name(&self) -> &'static str {
        self.name
    }
    fn rule(&self) -> &'static str {
        "d max(x)/dx = 1/k at each of the k elements equal to the maximum, 0 elsewhere"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let x = &c.inputs[0];
        let shape = x.shape();
        let y = c.output.reshape_exact(&self.kept).broadcast_to(&shape);
        // constant mask of the extreme positions, divided by how many share each result
        let mask = {
            let (xd, yd) = (x.data(), y.data());
            ndarray::Zip::from(&*xd).and(&*yd).map_collect(|&a, &b| {
                if a == b {
                    T::one()
                } else {
                    T::zero()
                }
            })
        };
        let mask = Tensor::from_array(mask);
        let kept: Vec<isize> = (0..shape.len())
            .filter(|&i| self.kept[i] == 1 && shape[i] != 1)
            .map(|i| i as isize)
            .collect();
        let count = if kept.is_empty() {
            mask.clone()
        } else {
            mask.sum_dims(&kept, true)
        };
        let g = c.grad.reshape_exact(&self.kept).broadcast_to(&shape);
        smallvec![Some(&g * &(&mask / &count))]
    }
}

struct CumsumBackward {
    dim: usize,
}
impl<T: Element> Op<T> for CumsumBackward {
    fn name(&self) -> &'static str {
        "CumsumBackward0"
    }
    fn rule(&self) -> &'static str {
        "d cumsum(x)_j/dx_i = 1 for j >= i: the gradient summed from the end"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let g = c.grad;
        if g.ndim() == 0 {
            return smallvec![Some(g.clone())];
        }
        let d = self.dim as isize;
        // Σ_{j>=i} g_j = total - cumsum(g) + g
        let total = g.sum_dim(d, true);
        smallvec![Some(&(&total - &g.cumsum(d)) + g)]
    }
}
