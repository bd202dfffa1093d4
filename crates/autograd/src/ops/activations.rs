//! Activation functions of `torch.nn.functional`, each written as a composition of recorded
//! ops, so its derivative (given in each doc comment) and its second derivative come from
//! theirs. The last node of each composition carries PyTorch's `grad_fn` name for the whole
//! op (`SiluBackward0`, `GeluBackward0`, …; `graph::renamed`), so `grad_fn_name()` and the
//! tape listing read as in PyTorch; the tape shows the composing ops beneath it.

use crate::element::Element;
use crate::graph::renamed;
use crate::tensor::Tensor;

/// `min(x, 0)`: the negative part, recorded (`-relu(-x)`).
fn neg_part<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    -(-x).relu()
}

impl<T: Element> Tensor<T> {
    /// `x·σ(x)` (`F.silu`, swish). Derivative: σ(x)(1 + x(1 − σ(x))).
    pub fn silu(&self) -> Tensor<T> {
        renamed(self * &self.sigmoid(), "SiluBackward0")
    }

    /// GELU (`F.gelu`): `x·Φ(x) = ½x(1 + erf(x/√2))`, or with `approximate_tanh`
    /// `½x(1 + tanh(√(2/π)(x + 0.044715x³)))` (`approximate="tanh"`). Derivative (exact):
    /// Φ(x) + x·φ(x).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f64], &[1]);
    /// assert!((x.gelu(false).item() - 0.8413447460685429).abs() < 1e-12);
    /// ```
    pub fn gelu(&self, approximate_tanh: bool) -> Tensor<T> {
        if !approximate_tanh {
            return crate::ops::gelu::gelu_exact(self); // one fused op (ops/gelu.rs)
        }
        let half_x = self * T::from_f64(0.5);
        let k = T::from_f64((2.0 / std::f64::consts::PI).sqrt());
        let inner = &(self + &(&self.pow(3) * T::from_f64(0.044715))) * k;
        renamed(&half_x * &(inner.tanh() + T::one()), "GeluBackward0")
    }

    /// ELU (`F.elu(x, alpha)`): `x` for x > 0, `α(eˣ − 1)` otherwise. Derivative: 1, or αeˣ.
    pub fn elu(&self, alpha: f64) -> Tensor<T> {
        renamed(
            &self.relu() + &(neg_part(self).expm1() * T::from_f64(alpha)),
            "EluBackward0",
        )
    }

    /// SELU (`F.selu`): `scale·elu(x, α)` with PyTorch's α ≈ 1.6733 and scale ≈ 1.0507.
    pub fn selu(&self) -> Tensor<T> {
        const ALPHA: f64 = 1.673_263_242_354_377_3;
        const SCALE: f64 = 1.050_700_987_355_480_5;
        // PyTorch records SELU as an ELU node with scale and input_scale.
        renamed(self.elu(ALPHA) * T::from_f64(SCALE), "EluBackward0")
    }

    /// CELU (`F.celu(x, alpha)`): `max(0, x) + min(0, α(e^(x/α) − 1))`. Derivative: 1, or
    /// e^(x/α).
    pub fn celu(&self, alpha: f64) -> Tensor<T> {
        let a = T::from_f64(alpha);
        renamed(
            &self.relu() + &((neg_part(self) / a).expm1() * a),
            "CeluBackward0",
        )
    }

    /// Softplus (`F.softplus(x, beta, threshold)`): `ln(1 + e^(βx))/β`, and `x` itself where
    /// `βx > threshold` (as PyTorch, for stability). Derivative: σ(βx), or 1.
    pub fn softplus(&self, beta: f64, threshold: f64) -> Tensor<T> {
        let b = T::from_f64(beta);
        let th = T::from_f64(threshold);
        // 1 where the linear branch applies, a constant mask
        let linear =
            crate::ops::constant_map(self, |v| if v * b > th { T::one() } else { T::zero() });
        let smooth = -(&linear - T::one()); // 1 - mask
        let bx = &(self * b) * &smooth; // 0 on the linear branch: no overflow there
        let soft = &(bx.exp().log1p() / b) * &smooth;
        renamed(&(self * &linear) + &soft, "SoftplusBackward0")
    }

    /// `x / (1 + |x|)` (`F.softsign`). Derivative: 1/(1 + |x|)².
    pub fn softsign(&self) -> Tensor<T> {
        self / &(self.abs() + T::one())
    }

    /// `clamp(x, min_val, max_val)` (`F.hardtanh`). Derivative: 1 on the open interval
    /// `(min_val, max_val)`, 0 elsewhere, the boundaries included, as PyTorch's
    /// `hardtanh_backward`.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![-2.0f64, -1.0, 0.5, 1.0], &[4]).requires_grad_(true);
    /// let y = x.hardtanh(-1.0, 1.0);
    /// y.sum().backward();
    /// assert_eq!(y.to_vec(), vec![-1.0, -1.0, 0.5, 1.0]);
    /// assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, 1.0, 0.0]);
    /// ```
    pub fn hardtanh(&self, min_val: f64, max_val: f64) -> Tensor<T> {
        let (lo, hi) = (T::from_f64(min_val), T::from_f64(max_val));
        let inside = self.gt(lo).logical_and(&self.lt(hi));
        let clamped = crate::no_grad(|| self.clamp(Some(min_val), Some(max_val)));
        renamed(Tensor::where_(&inside, self, &clamped), "HardtanhBackward0")
    }

    /// `min(max(x, 0), 6)` (`F.relu6`). Derivative: 1 on (0, 6), else 0.
    pub fn relu6(&self) -> Tensor<T> {
        self.hardtanh(0.0, 6.0)
    }

    /// `clamp(x/6 + 1/2, 0, 1)` (`F.hardsigmoid`). Derivative: 1/6 on the open interval
    /// (−3, 3), 0 elsewhere, the boundaries included, as PyTorch.
    pub fn hardsigmoid(&self) -> Tensor<T> {
        renamed(
            (&(self / T::from_f64(6.0)) + T::from_f64(0.5)).hardtanh(0.0, 1.0),
            "HardsigmoidBackward0",
        )
    }

    /// `x·hardsigmoid(x)` (`F.hardswish`). Derivative: 0 below −3, 1 above 3, (2x + 3)/6
    /// between.
    pub fn hardswish(&self) -> Tensor<T> {
        // The inclusive clamp gives PyTorch's values at ±3 too: 1.5 at 3 and −0.5 at −3.
        let gate = (&(self / T::from_f64(6.0)) + T::from_f64(0.5)).clamp(Some(0.0), Some(1.0));
        renamed(self * &gate, "HardswishBackward0")
    }

    /// `x·tanh(softplus(x))` (`F.mish`). Derivative: tanh(sp) + x·σ(x)(1 − tanh²(sp)).
    pub fn mish(&self) -> Tensor<T> {
        renamed(self * &self.softplus(1.0, 20.0).tanh(), "MishBackward0")
    }

    /// `ln σ(x) = min(x, 0) − ln(1 + e^(−|x|))` (`F.logsigmoid`, in its stable form).
    /// Derivative: 1 − σ(x).
    pub fn logsigmoid(&self) -> Tensor<T> {
        renamed(
            &neg_part(self) - &(-self.abs()).exp().log1p(),
            "LogSigmoidBackward0",
        )
    }
}
