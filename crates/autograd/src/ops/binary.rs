//! Elementwise functions of two tensors (with broadcasting): `maximum`, `minimum`, `atan2`,
//! `pow` with a tensor exponent, and the fused forms `lerp`, `addcmul`, `addcdiv`.

use crate::element::Element;
use crate::graph::renamed;
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::broadcast_binary;
use crate::ops::or_panic;
use crate::tensor::Tensor;
use ndarray::Zip;
use smallvec::smallvec;

/// Both operands viewed at their broadcast shape (already checked by `broadcast_binary`).
fn both_at_common_shape<'a, T>(
    a: &'a ndarray::ArrayViewD<'_, T>,
    b: &'a ndarray::ArrayViewD<'_, T>,
) -> (ndarray::ArrayViewD<'a, T>, ndarray::ArrayViewD<'a, T>) {
    let shape = crate::shape::broadcast_shapes("broadcast", a.shape(), b.shape()).expect("checked");
    let shape = ndarray::IxDyn(&shape);
    (
        a.broadcast(shape.clone()).expect("broadcasts"),
        b.broadcast(shape).expect("broadcasts"),
    )
}

impl<T: Element> Tensor<T> {
    /// Limits every value to `[min, max]` given as tensors that broadcast against `self`
    /// (`torch.clamp(x, min=lo, max=hi)`); `None` leaves that side open, and where `min > max`
    /// the result is `max`, as in PyTorch. NaN stays NaN. Derivative: to `self` where it was
    /// kept, to `min` where `x < min`, to `max` where the result exceeded `max`.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]);
    /// let lo = Tensor::from_vec(vec![-1.0f32, 0.0, 0.0], &[3]);
    /// let hi = Tensor::scalar(1.0f32);
    /// assert_eq!(x.clamp_tensor(Some(&lo), Some(&hi)).to_vec(), vec![-1.0, 0.5, 1.0]);
    /// ```
    pub fn clamp_tensor(&self, min: Option<&Tensor<T>>, max: Option<&Tensor<T>>) -> Tensor<T> {
        let mut out = self.clone();
        if let Some(lo) = min {
            out = Tensor::where_(&out.lt(lo), lo, &out);
        }
        if let Some(hi) = max {
            out = Tensor::where_(&out.gt(hi), hi, &out);
        }
        if min.is_none() && max.is_none() {
            return out;
        }
        renamed(out, "ClampBackward0")
    }

    /// The larger of each pair (`torch.maximum`). Derivative: 1 to the larger, ½ to each on a
    /// tie, as PyTorch.
    pub fn maximum(&self, other: &Tensor<T>) -> Tensor<T> {
        self.pick(other, true)
    }

    /// The smaller of each pair (`torch.minimum`). Derivative as [`Tensor::maximum`].
    pub fn minimum(&self, other: &Tensor<T>) -> Tensor<T> {
        self.pick(other, false)
    }

    fn pick(&self, other: &Tensor<T>, larger: bool) -> Tensor<T> {
        let op = if larger { "maximum" } else { "minimum" };
        let out = or_panic(broadcast_binary(op, self, other, |a, b| {
            let (a, b) = both_at_common_shape(a, b);
            Zip::from(&a).and(&b).map_collect(|&x, &y| {
                if x.is_nan() || y.is_nan() {
                    T::nan()
                } else if (x > y) == larger {
                    x
                } else {
                    y
                }
            })
        }));
        record(out, PickBackward { larger }, &[self, other])
    }

    /// `atan2(self, other)`, the angle of the point (other, self) (`torch.atan2`).
    /// Derivative: ∂/∂a = b/(a² + b²), ∂/∂b = −a/(a² + b²).
    pub fn atan2(&self, other: &Tensor<T>) -> Tensor<T> {
        let out = or_panic(broadcast_binary("atan2", self, other, |a, b| {
            let (a, b) = both_at_common_shape(a, b);
            Zip::from(&a).and(&b).map_collect(|&y, &x| y.atan2(x))
        }));
        record(out, Atan2Backward, &[self, other])
    }

    /// `self^exponent` with a tensor exponent (`torch.pow(a, b)`), both differentiable.
    /// Derivative: ∂/∂a = b·a^(b−1), ∂/∂b = a^b·ln a.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![2.0f32], &[1, 1]);
    /// let p = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    /// assert_eq!(x.pow_tensor(&p).to_vec(), vec![2.0, 4.0, 8.0]); // x.unsqueeze(-1).pow(p)
    /// ```
    pub fn pow_tensor(&self, exponent: &Tensor<T>) -> Tensor<T> {
        let out = or_panic(broadcast_binary("pow", self, exponent, |a, b| {
            let (a, b) = both_at_common_shape(a, b);
            Zip::from(&a).and(&b).map_collect(|&x, &p| x.powf(p))
        }));
        record(out, PowTensorBackward, &[self, exponent])
    }

    /// `self + weight·(end − self)` (`torch.lerp`). Derivative: 1 − w, w, and end − self.
    pub fn lerp(&self, end: &Tensor<T>, weight: &Tensor<T>) -> Tensor<T> {
        renamed(self + &(weight * &(end - self)), "LerpBackward1")
    }

    /// `self + value·t1·t2` (`torch.addcmul`).
    pub fn addcmul(&self, t1: &Tensor<T>, t2: &Tensor<T>, value: T) -> Tensor<T> {
        renamed(self + &(&(t1 * t2) * value), "AddcmulBackward0")
    }

    /// `self + value·t1/t2` (`torch.addcdiv`).
    pub fn addcdiv(&self, t1: &Tensor<T>, t2: &Tensor<T>, value: T) -> Tensor<T> {
        renamed(self + &(&(t1 / t2) * value), "AddcdivBackward0")
    }
}

struct PickBackward {
    larger: bool,
}
impl<T: Element> Op<T> for PickBackward {
    fn name(&self) -> &'static str {
        if self.larger {
            "MaximumBackward0"
        } else {
            "MinimumBackward0"
        }
    }
    fn rule(&self) -> &'static str {
        "d max(a, b)/da = 1 where a wins, 1/2 on a tie, 0 where b wins"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (a, b, g) = (&c.inputs[0], &c.inputs[1], c.grad);
        let shape = g.shape();
        let (ab, bb) = (a.broadcast_to(&shape), b.broadcast_to(&shape));
        let larger = self.larger;
        let wa = {
            let (ad, bd) = (ab.data(), bb.data());
            Zip::from(&*ad).and(&*bd).map_collect(|&x, &y| {
                if x == y {
                    T::from_f64(0.5)
                } else if (x > y) == larger {
                    T::one()
                } else {
                    T::zero()
                }
            })
        };
        let wa = Tensor::from_array(wa);
        let wb = -(&wa - T::one());
        smallvec![
            c.needs_grad(0).then(|| (g * &wa).sum_to(&a.shape())),
            c.needs_grad(1).then(|| (g * &wb).sum_to(&b.shape())),
        ]
    }
}

struct Atan2Backward;
impl<T: Element> Op<T> for Atan2Backward {
    fn name(&self) -> &'static str {
        "Atan2Backward0"
    }
    fn rule(&self) -> &'static str {
        "d atan2(a, b) = (b da - a db)/(a² + b²)"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (a, b, g) = (&c.inputs[0], &c.inputs[1], c.grad);
        let r2 = &(a * a) + &(b * b);
        smallvec![
            c.needs_grad(0).then(|| (g * &(b / &r2)).sum_to(&a.shape())),
            c.needs_grad(1)
                .then(|| (-(g * &(a / &r2))).sum_to(&b.shape())),
        ]
    }
}

struct PowTensorBackward;
impl<T: Element> Op<T> for PowTensorBackward {
    fn name(&self) -> &'static str {
        "PowBackward1"
    }
    fn rule(&self) -> &'static str {
        "d a^b/da = b a^(b-1), d a^b/db = a^b ln a"
    }
    fn saves_output(&self) -> bool {
        true
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (a, b, g, y) = (&c.inputs[0], &c.inputs[1], c.grad, c.output);
        smallvec![
            c.needs_grad(0).then(|| {
                let bm1 = b - T::one();
                (g * &(b * &a.pow_tensor(&bm1))).sum_to(&a.shape())
            }),
            c.needs_grad(1)
                .then(|| (g * &(y * &a.log())).sum_to(&b.shape())),
        ]
    }
}
