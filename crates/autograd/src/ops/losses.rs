//! Loss functions (`torch.nn.functional`): MSE, L1, binary cross-entropy (on probabilities and
//! on logits), negative log-likelihood and cross-entropy over class indices, each with
//! PyTorch's `reduction` (mean by default).

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, record_values, BackwardCtx, InputGrads, Op};
use crate::ops::sum::add_all;
use crate::tensor::Tensor;
use smallvec::smallvec;

/// How a loss reduces its per-element values (`reduction=` in PyTorch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Reduction {
    /// The mean over all elements (PyTorch's default).
    #[default]
    Mean,
    /// The sum over all elements.
    Sum,
    /// No reduction: one loss per element.
    None,
}

impl Reduction {
    /// Applies the reduction.
    pub fn apply<T: Element>(self, per_element: Tensor<T>) -> Tensor<T> {
        match self {
            Reduction::Mean => per_element.mean(),
            Reduction::Sum => per_element.sum(),
            Reduction::None => per_element,
        }
    }

    /// PyTorch's string for it (`"mean"`, `"sum"`, `"none"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Reduction::Mean => "mean",
            Reduction::Sum => "sum",
            Reduction::None => "none",
        }
    }
}

fn same_shape<T: Element>(op: &str, input: &Tensor<T>, target: &Tensor<T>) {
    assert!(
        input.shape() == target.shape(),
        "{op}: using a target size ({:?}) that is different to the input size ({:?}); \
         reshape the target to the input's shape",
        target.shape(),
        input.shape()
    );
}

/// Mean squared error `(input - target)²`, reduced (`F.mse_loss`).
///
/// ```
/// use tapegrad_autograd::{functional::{mse_loss, Reduction}, Tensor};
/// let y = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// let t = Tensor::from_vec(vec![0.0f32, 1.0], &[2]);
/// assert_eq!(mse_loss(&y, &t, Reduction::Mean).item(), 2.5);
/// ```
pub fn mse_loss<T: Element>(
    input: &Tensor<T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Tensor<T> {
    same_shape("mse_loss", input, target);
    if reduction != Reduction::None {
        if let (Some(a), Some(b)) = (input.read_contiguous(), target.read_contiguous()) {
            let total = add_all(a.iter().zip(b.iter()).map(|(&a, &b)| (a - b) * (a - b)));
            let v = match reduction {
                Reduction::Mean => total / T::from_f64(a.len() as f64),
                _ => total,
            };
            drop((a, b));
            return record_values(
                vec![v],
                &[],
                MseLossBackward { reduction },
                &[input, target],
            );
        }
    }
    let squares = ndarray::Zip::from(&*input.data())
        .and(&*target.data())
        .map_collect(|&a, &b| (a - b) * (a - b))
        .into_dyn();
    let out = match reduction {
        Reduction::None => squares,
        Reduction::Sum => ndarray::arr0(add_all(squares.iter().copied())).into_dyn(),
        Reduction::Mean => {
            let n = T::from_f64(squares.len() as f64);
            ndarray::arr0(add_all(squares.iter().copied()) / n).into_dyn()
        }
    };
    record(out, MseLossBackward { reduction }, &[input, target])
}

struct MseLossBackward {
    reduction: Reduction,
}
impl<T: Element> Op<T> for MseLossBackward {
    fn name(&self) -> &'static str {
        "MseLossBackward0"
    }
    fn rule(&self) -> &'static str {
        "d mse/d input = 2(input - target)/n, d mse/d target = -2(input - target)/n"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (a, b, g) = (&c.inputs[0], &c.inputs[1], c.grad);
        // ATen: norm * (input - target) * grad, norm = 2/n for mean, 2 otherwise.
        let norm = match self.reduction {
            Reduction::Mean => T::from_f64(2.0 / a.numel() as f64),
            _ => T::from_f64(2.0),
        };
        let d_input = if is_grad_enabled() {
            a.sub(b).mul_scalar(norm).mul(g)
        } else if let (Some(av), Some(bv), Some(gv), true) = (
            a.read_contiguous(),
            b.read_contiguous(),
            g.read_contiguous(),
            g.inner.layout.shape.is_empty(),
        ) {
            let gs = gv[0];
            let out = av.iter().zip(bv.iter()).map(|(&x, &t)| (x - t) * norm * gs);
            Tensor::from_values(out.collect(), &a.inner.layout.shape, None, false)
        } else {
            let gd = g.data();
            let out = if gd.ndim() == 0 {
                let gs = *gd.iter().next().expect("0-d");
                ndarray::Zip::from(&*a.data())
                    .and(&*b.data())
                    .map_collect(|&x, &t| (x - t) * norm * gs)
            } else {
                ndarray::Zip::from(&*a.data())
                    .and(&*b.data())
                    .and(&*gd)
                    .map_collect(|&x, &t, &g| (x - t) * norm * g)
            };
            Tensor::from_array(out)
        };
        let d_target = c.needs_grad(1).then(|| d_input.neg());
        smallvec![c.needs_grad(0).then_some(d_input), d_target]
    }
}

/// Mean absolute error `|input - target|`, reduced (`F.l1_loss`).
///
/// ```
/// use tapegrad_autograd::{functional::{l1_loss, Reduction}, Tensor};
/// let y = Tensor::from_vec(vec![1.0f32, 3.0], &[2]);
/// let t = Tensor::from_vec(vec![0.0f32, 1.0], &[2]);
/// assert_eq!(l1_loss(&y, &t, Reduction::Sum).item(), 3.0);
/// ```
pub fn l1_loss<T: Element>(
    input: &Tensor<T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Tensor<T> {
    same_shape("l1_loss", input, target);
    reduction.apply(input.sub(target).abs())
}

/// Binary cross-entropy on probabilities, `-(t·log p + (1-t)·log(1-p))` with each log clamped
/// at -100 as PyTorch does, reduced (`F.binary_cross_entropy`). Inputs must lie in [0, 1].
///
/// ```
/// use tapegrad_autograd::{functional::{binary_cross_entropy, Reduction}, Tensor};
/// let p = Tensor::from_vec(vec![0.5f64, 0.0], &[2]);
/// let t = Tensor::from_vec(vec![1.0f64, 1.0], &[2]);
/// let l = binary_cross_entropy(&p, &t, Reduction::None).to_vec();
/// assert!((l[0] - 2f64.ln()).abs() < 1e-12 && l[1] == 100.0);
/// ```
pub fn binary_cross_entropy<T: Element>(
    input: &Tensor<T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Tensor<T> {
    same_shape("binary_cross_entropy", input, target);
    let out = {
        let (p, t) = (input.data(), target.data());
        if let Some(bad) = p.iter().find(|&&v| !(v >= T::zero() && v <= T::one())) {
            panic!(
                "binary_cross_entropy: all elements of input should be between 0 and 1, found \
                 {bad}; apply sigmoid first or use binary_cross_entropy_with_logits"
            );
        }
        let floor = T::from_f64(-100.0);
        ndarray::Zip::from(&*p).and(&*t).map_collect(|&p, &t| {
            let lp = p.ln().max(floor);
            let l1p = (T::one() - p).ln().max(floor);
            -(t * lp + (T::one() - t) * l1p)
        })
    };
    reduction.apply(record(out.into_dyn(), BceBackward, &[input, target]))
}

struct BceBackward;
impl<T: Element> Op<T> for BceBackward {
    fn name(&self) -> &'static str {
        "BinaryCrossEntropyBackward0"
    }
    fn rule(&self) -> &'static str {
        "d bce/dp = (p - t) / max(p(1-p), 1e-12)"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (p, t, g) = (&c.inputs[0], &c.inputs[1], c.grad);
        let dp = c.needs_grad(0).then(|| {
            let denom = p
                .mul(&p.neg().add_scalar(T::one()))
                .clamp(Some(1e-12), None);
            g.mul(&p.sub(t).div(&denom))
        });
        let dt = c.needs_grad(1).then(|| {
            let lp = p.log().clamp(Some(-100.0), None);
            let l1p = p.neg().add_scalar(T::one()).log().clamp(Some(-100.0), None);
            g.mul(&l1p.sub(&lp))
        });
        smallvec![dp, dt]
    }
}

/// Binary cross-entropy on logits, `max(x,0) - x·t + log(1 + e^-|x|)`: the sigmoid and the BCE
/// fused, stable for any logit (`F.binary_cross_entropy_with_logits`).
///
/// ```
/// use tapegrad_autograd::{functional::{binary_cross_entropy_with_logits, Reduction}, Tensor};
/// let x = Tensor::from_vec(vec![0.0f64], &[1]);
/// let t = Tensor::from_vec(vec![1.0f64], &[1]);
/// assert!((binary_cross_entropy_with_logits(&x, &t, Reduction::Mean).item() - 2f64.ln()).abs() < 1e-12);
/// ```
pub fn binary_cross_entropy_with_logits<T: Element>(
    input: &Tensor<T>,
    target: &Tensor<T>,
    reduction: Reduction,
) -> Tensor<T> {
    same_shape("binary_cross_entropy_with_logits", input, target);
    let out = {
        let (x, t) = (input.data(), target.data());
        ndarray::Zip::from(&*x)
            .and(&*t)
            .map_collect(|&x, &t| x.max(T::zero()) - x * t + (-x.abs()).exp().ln_1p())
    };
    reduction.apply(record(
        out.into_dyn(),
        BceWithLogitsBackward,
        &[input, target],
    ))
}

struct BceWithLogitsBackward;
impl<T: Element> Op<T> for BceWithLogitsBackward {
    fn name(&self) -> &'static str {
        "BinaryCrossEntropyWithLogitsBackward0"
    }
    fn rule(&self) -> &'static str {
        "d bce_logits/dx = sigmoid(x) - t, d/dt = -x"
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T> {
        let (x, t, g) = (&c.inputs[0], &c.inputs[1], c.grad);
        smallvec![
            c.needs_grad(0).then(|| g.mul(&x.sigmoid().sub(t))),
            c.needs_grad(1).then(|| g.mul(&x.neg())),
        ]
    }
}

/// PyTorch's default `ignore_index`: a target equal to it contributes no loss and no gradient,
/// and is left out of the mean.
pub const IGNORE_INDEX: i64 = -100;

/// Class-index targets of `nll_loss` and `cross_entropy`: an `i64` tensor (as PyTorch takes)
/// or a slice of `usize` (a convenience).
pub trait ClassTargets {
    /// The class indices, in order, `None` for an ignored target ([`IGNORE_INDEX`]); panics
    /// with PyTorch's "Target -1 is out of bounds." on another negative one.
    fn class_indices(&self) -> Vec<Option<usize>>;
}
impl<A: AsRef<[usize]> + ?Sized> ClassTargets for &A {
    fn class_indices(&self) -> Vec<Option<usize>> {
        (*self).as_ref().iter().map(|&i| Some(i)).collect()
    }
}
impl ClassTargets for &Tensor<i64> {
    fn class_indices(&self) -> Vec<Option<usize>> {
        assert!(
            self.ndim() <= 1,
            "nll_loss: expected a 0-D or 1-D target tensor, got shape {:?}",
            self.shape().as_slice()
        );
        self.to_vec()
            .into_iter()
            .map(|v| match v {
                IGNORE_INDEX => None,
                v if v < 0 => panic!("Target {v} is out of bounds."),
                v => Some(v as usize),
            })
            .collect()
    }
}
impl ClassTargets for Tensor<i64> {
    fn class_indices(&self) -> Vec<Option<usize>> {
        (&self).class_indices()
    }
}

/// Negative log-likelihood of class indices given log-probabilities `[N, C]` (or `[C]` for
/// one sample): `-log_probs[i, targets[i]]`, reduced (`F.nll_loss`). `targets` is an `i64`
/// tensor or a `usize` slice; a target of [`IGNORE_INDEX`] (-100) is ignored as PyTorch's
/// default `ignore_index` is (the mean is over the other targets).
pub fn nll_loss<T: Element>(
    log_probs: &Tensor<T>,
    targets: impl ClassTargets,
    reduction: Reduction,
) -> Tensor<T> {
    let indices = targets.class_indices();
    let kept: Vec<usize> = indices.iter().map(|i| i.unwrap_or(0)).collect();
    let targets = &kept[..];
    let shape = log_probs.shape();
    let rank = shape.len();
    assert!(
        rank == 1 || rank == 2,
        "nll_loss: input tensor should be 1D or 2D: expected input of shape [N, C] or [C], got \
         {:?}",
        shape.as_slice()
    );
    let batch = if rank == 2 { shape[0] } else { 1 };
    assert!(
        targets.len() == batch,
        "nll_loss: Expected input batch_size ({batch}) to match target batch_size ({}) (input \
         of shape {:?})",
        targets.len(),
        shape.as_slice()
    );
    let classes = shape[rank - 1];
    if let Some(&bad) = indices.iter().flatten().find(|&&t| t >= classes) {
        panic!(
            "nll_loss: Target {bad} is out of bounds: the input of shape {:?} has {classes} \
             classes, so class indices must be in 0..{classes}",
            shape.as_slice()
        );
    }
    let picked = log_probs.gather_last(targets).neg();
    if indices.iter().all(Option::is_some) {
        return reduction.apply(picked);
    }
    // Ignored targets: their loss is zero, and the mean divides by the targets kept.
    let keep: Vec<T> = indices
        .iter()
        .map(|i| if i.is_some() { T::one() } else { T::zero() })
        .collect();
    let count = keep.iter().filter(|&&k| k == T::one()).count();
    let per_sample = picked.mul(&Tensor::from_vec(keep, &picked.shape()));
    match reduction {
        Reduction::Mean => per_sample.sum().div_scalar(T::from_f64(count as f64)),
        _ => reduction.apply(per_sample),
    }
}

/// Cross-entropy of logits `[N, C]` (or `[C]`) against class indices (an `i64` tensor or a
/// `usize` slice): `log_softmax` then `nll_loss` (`F.cross_entropy`).
///
/// ```
/// use tapegrad_autograd::{functional::{cross_entropy, Reduction}, Tensor};
/// let logits = Tensor::from_vec(vec![0.0f64, 0.0], &[1, 2]);
/// assert!((cross_entropy(&logits, &[1], Reduction::Mean).item() - 2f64.ln()).abs() < 1e-12);
/// ```
pub fn cross_entropy<T: Element>(
    logits: &Tensor<T>,
    targets: impl ClassTargets,
    reduction: Reduction,
) -> Tensor<T> {
    nll_loss(&logits.log_softmax(-1), targets, reduction)
}
