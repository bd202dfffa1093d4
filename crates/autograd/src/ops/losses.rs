//! Loss functions (`torch.nn.functional`): MSE, L1, binary cross-entropy (on probabilities and
//! on logits), negative log-likelihood and cross-entropy over class indices, each with
//! PyTorch's `reduction` (mean by default). [`nll_loss_with`] and [`cross_entropy_with`] take
//! PyTorch's other options ([`NllLossOptions`], [`CrossEntropyOptions`]: `weight`,
//! `ignore_index`, `label_smoothing`), `(N, C, d1, ...)` inputs and, for cross-entropy,
//! class-probability targets.

use crate::element::Element;
use crate::grad_mode::is_grad_enabled;
use crate::graph::{record, record_values, renamed, BackwardCtx, InputGrads, Op};
use crate::kernels::math::add_all;
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
        return renamed(reduction.apply(picked), "NllLossBackward0");
    }
    // Ignored targets: their loss is zero, and the mean divides by the targets kept.
    let keep: Vec<T> = indices
        .iter()
        .map(|i| if i.is_some() { T::one() } else { T::zero() })
        .collect();
    let count = keep.iter().filter(|&&k| k == T::one()).count();
    let per_sample = picked.mul(&Tensor::from_vec(keep, &picked.shape()));
    let loss = match reduction {
        Reduction::Mean => per_sample.sum().div_scalar(T::from_f64(count as f64)),
        _ => reduction.apply(per_sample),
    };
    renamed(loss, "NllLossBackward0")
}

/// PyTorch's `grad_fn` name of an NLL loss over an input of `rank` dimensions: `nll_loss`
/// for `[C]`/`[N, C]`, `nll_loss2d` for `[N, C, d1, …]` (whose unreduced 3-D or 5-D+ result is
/// a view of it; that one keeps its own name).
fn nll_name(rank: usize, reduction: Reduction) -> Option<&'static str> {
    match (rank, reduction) {
        (0..=2, _) => Some("NllLossBackward0"),
        (4, _) | (_, Reduction::Mean | Reduction::Sum) => Some("NllLoss2DBackward0"),
        _ => None,
    }
}

/// `loss` under [`nll_name`], if it has one.
fn nll_renamed<T: Element>(loss: Tensor<T>, rank: usize, reduction: Reduction) -> Tensor<T> {
    match nll_name(rank, reduction) {
        Some(name) => renamed(loss, name),
        None => loss,
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

/// `Default` and the builder methods of the class-index loss options ([`NllLossOptions`],
/// [`CrossEntropyOptions`]), which share the fields `weight`, `ignore_index` and `reduction`:
/// `Default` is PyTorch's (none, [`IGNORE_INDEX`], mean, then each `extra: value` given), and
/// `new` (documented with `new_doc`), `weight`, `ignore_index` and `reduction` build on it.
macro_rules! class_loss_options {
    ($name:ident, $new_doc:literal, $($extra:ident: $value:expr,)*) => {
        impl<T: Element> Default for $name<T> {
            fn default() -> Self {
                $name {
                    weight: None,
                    ignore_index: IGNORE_INDEX,
                    reduction: Reduction::Mean,
                    $($extra: $value,)*
                }
            }
        }

        impl<T: Element> $name<T> {
            #[doc = $new_doc]
            pub fn new() -> Self {
                Self::default()
            }
            /// Sets `weight=` (one weight per class).
            pub fn weight(mut self, weight: &Tensor<T>) -> Self {
                self.weight = Some(weight.clone());
                self
            }
            /// Sets `ignore_index=`.
            pub fn ignore_index(mut self, ignore_index: i64) -> Self {
                self.ignore_index = ignore_index;
                self
            }
            /// Sets `reduction=`.
            pub fn reduction(mut self, reduction: Reduction) -> Self {
                self.reduction = reduction;
                self
            }
        }
    };
}

/// The options of [`nll_loss_with`], as `F.nll_loss(input, target, weight=None,
/// ignore_index=-100, reduction='mean')`. Build one with struct syntax over
/// `..Default::default()` or with the builder methods:
/// `NllLossOptions::new().weight(&w).ignore_index(0).reduction(Reduction::Sum)`.
#[derive(Clone, Debug)]
pub struct NllLossOptions<T: Element> {
    /// `weight=`: a 1-D tensor of one rescaling weight per class (`[C]`), or `None` for all
    /// ones. It is a constant: no gradient flows into it (PyTorch has none either).
    pub weight: Option<Tensor<T>>,
    /// `ignore_index=`: a target equal to it contributes no loss and no gradient and is left
    /// out of the mean's denominator ([`IGNORE_INDEX`], -100, by default).
    pub ignore_index: i64,
    /// `reduction=` (mean by default).
    pub reduction: Reduction,
}

class_loss_options!(
    NllLossOptions,
    "PyTorch's defaults: no weight, `ignore_index=-100`, `reduction='mean'`.",
);

/// The options of [`cross_entropy_with`], as `F.cross_entropy(input, target, weight=None,
/// ignore_index=-100, reduction='mean', label_smoothing=0.0)`. Build one with struct syntax
/// over `..Default::default()` or with the builder methods:
/// `CrossEntropyOptions::new().label_smoothing(0.1).ignore_index(0)`.
#[derive(Clone, Debug)]
pub struct CrossEntropyOptions<T: Element> {
    /// `weight=`: one rescaling weight per class (`[C]`), a constant (no gradient).
    pub weight: Option<Tensor<T>>,
    /// `ignore_index=`: targets equal to it add no loss, no gradient, and no weight to the
    /// mean's denominator. Only for class-index targets.
    pub ignore_index: i64,
    /// `reduction=` (mean by default).
    pub reduction: Reduction,
    /// `label_smoothing=` in `[0, 1]`: the target becomes `(1 - ε)·one_hot + ε/C`.
    pub label_smoothing: f64,
}

class_loss_options!(
    CrossEntropyOptions,
    "PyTorch's defaults: no weight, `ignore_index=-100`, `reduction='mean'`, \
     `label_smoothing=0.0`.",
    label_smoothing: 0.0,
);

impl<T: Element> CrossEntropyOptions<T> {
    /// Sets `label_smoothing=`.
    pub fn label_smoothing(mut self, label_smoothing: f64) -> Self {
        self.label_smoothing = label_smoothing;
        self
    }
}

/// Class-index targets of [`nll_loss_with`] and [`cross_entropy_with`]: an `i64` tensor of
/// any shape (as PyTorch takes), or a slice of `usize` (a 1-D target, a convenience).
pub trait IntoClassIndices {
    /// The targets as an `i64` tensor.
    fn into_class_indices(self) -> Tensor<i64>;
}
impl IntoClassIndices for &Tensor<i64> {
    fn into_class_indices(self) -> Tensor<i64> {
        self.clone()
    }
}
impl IntoClassIndices for Tensor<i64> {
    fn into_class_indices(self) -> Tensor<i64> {
        self
    }
}
impl<A: AsRef<[usize]> + ?Sized> IntoClassIndices for &A {
    fn into_class_indices(self) -> Tensor<i64> {
        let v: Vec<i64> = self.as_ref().iter().map(|&i| i as i64).collect();
        let n = v.len();
        Tensor::from_vec(v, &[n])
    }
}

/// The target of [`cross_entropy_with`], as PyTorch tells them apart by dtype.
#[derive(Clone, Debug)]
pub enum CrossEntropyTarget<T: Element> {
    /// Class indices: `[N, d1, ...]` (or 0-d / `[1]` for a `[C]` input), `i64`.
    Classes(Tensor<i64>),
    /// Class probabilities: the input's shape, floating point.
    Probs(Tensor<T>),
}

/// What [`cross_entropy_with`] takes as a target: class indices (`&Tensor<i64>`,
/// `Tensor<i64>` or a `usize` slice) or class probabilities (`&Tensor<T>` of the input's
/// element type).
pub trait IntoCrossEntropyTarget<T: Element> {
    /// The target, classified.
    fn into_ce_target(self) -> CrossEntropyTarget<T>;
}
impl<T: Element> IntoCrossEntropyTarget<T> for &Tensor<i64> {
    fn into_ce_target(self) -> CrossEntropyTarget<T> {
        CrossEntropyTarget::Classes(self.clone())
    }
}
impl<T: Element> IntoCrossEntropyTarget<T> for Tensor<i64> {
    fn into_ce_target(self) -> CrossEntropyTarget<T> {
        CrossEntropyTarget::Classes(self)
    }
}
impl<T: Element, A: AsRef<[usize]> + ?Sized> IntoCrossEntropyTarget<T> for &A {
    fn into_ce_target(self) -> CrossEntropyTarget<T> {
        CrossEntropyTarget::Classes(self.into_class_indices())
    }
}
impl<T: Element> IntoCrossEntropyTarget<T> for &Tensor<T> {
    fn into_ce_target(self) -> CrossEntropyTarget<T> {
        CrossEntropyTarget::Probs(self.clone())
    }
}
impl<T: Element> IntoCrossEntropyTarget<T> for CrossEntropyTarget<T> {
    fn into_ce_target(self) -> CrossEntropyTarget<T> {
        self
    }
}

/// `weight` checked as one value per class, as a row-major vector.
fn class_weights<T: Element>(
    op: &str,
    weight: Option<&Tensor<T>>,
    classes: usize,
) -> Option<Vec<T>> {
    weight.map(|w| {
        assert!(
            w.ndim() == 1 && w.numel() == classes,
            "{op}: weight tensor should be defined either for all {classes} classes or no \
             classes but got weight tensor of shape: {:?}",
            w.shape().as_slice()
        );
        w.to_vec()
    })
}

/// `x` with dimension 1 moved last and flattened to `[M, C]` (`x.movedim(1, -1).reshape(-1,
/// C)`), for an input of rank >= 2; a `[C]` input becomes `[1, C]`.
fn classes_last<T: Element>(x: &Tensor<T>) -> Tensor<T> {
    let shape = x.shape();
    let classes = if shape.len() == 1 { shape[0] } else { shape[1] };
    // The row count spelled out, not -1: that is ambiguous for 0 classes.
    let rows: usize = match shape.len() {
        1 => 1,
        _ => shape[0] * shape[2..].iter().product::<usize>(),
    };
    match shape.len() {
        2 => x.clone(),
        1 => x.reshape(&[1, classes as isize]),
        _ => {
            let mut order: Vec<usize> = vec![0];
            order.extend(2..shape.len());
            order.push(1);
            x.permute(&order)
                .reshape(&[rows as isize, classes as isize])
        }
    }
}

/// The checked, flattened class-index targets of an `nll_loss` / `cross_entropy` input of
/// shape `shape` (`[C]`, `[N, C]` or `[N, C, d1, ...]`): one entry per position, `None` where
/// ignored; and the shape of the unreduced loss.
fn index_targets(
    op: &str,
    shape: &[usize],
    target: &Tensor<i64>,
    ignore_index: i64,
) -> (Vec<Option<usize>>, Vec<usize>) {
    let tshape = target.shape();
    let rank = shape.len();
    assert!(
        rank >= 1,
        "{op}: input tensor should be 1D or more: expected input of shape [C], [N, C] or [N, \
         C, d1, ...], got {shape:?}"
    );
    let out_shape: Vec<usize> = match rank {
        1 => {
            assert!(
                tshape.len() <= 1 && target.numel() == 1,
                "{op}: 0D or 1D target tensor expected for the input of shape {shape:?}, got \
                 target of shape {:?}",
                tshape.as_slice()
            );
            vec![]
        }
        2 => {
            assert!(
                tshape.len() == 1,
                "{op}: 0D or 1D target tensor expected, multi-target not supported (input of \
                 shape {shape:?}, target of shape {:?})",
                tshape.as_slice()
            );
            assert!(
                tshape[0] == shape[0],
                "{op}: Expected input batch_size ({}) to match target batch_size ({}) (input of \
                 shape {shape:?})",
                shape[0],
                tshape[0]
            );
            vec![shape[0]]
        }
        _ => {
            let mut want = vec![shape[0]];
            want.extend_from_slice(&shape[2..]);
            assert!(
                tshape.as_slice() == want.as_slice(),
                "{op}: Expected target size {want:?}, got {:?} (input of shape {shape:?})",
                tshape.as_slice()
            );
            want
        }
    };
    let classes = if rank == 1 { shape[0] } else { shape[1] };
    let indices = target
        .to_vec()
        .into_iter()
        .map(|v| {
            if v == ignore_index {
                None
            } else if v < 0 || v as usize >= classes {
                panic!(
                    "{op}: Target {v} is out of bounds: the input of shape {shape:?} has \
                     {classes} classes, so class indices must be in 0..{classes}"
                )
            } else {
                Some(v as usize)
            }
        })
        .collect();
    (indices, out_shape)
}

/// The shared core of [`nll_loss_with`] and [`cross_entropy_with`] on class indices:
/// `log_probs` `[C]`, `[N, C]` or `[N, C, d1, ...]`, with label smoothing `eps` (0 for NLL).
fn nll_general<T: Element>(
    op: &str,
    log_probs: &Tensor<T>,
    target: &Tensor<i64>,
    weight: Option<&Tensor<T>>,
    ignore_index: i64,
    reduction: Reduction,
    eps: f64,
) -> Tensor<T> {
    let shape = log_probs.shape();
    let (indices, out_shape) = index_targets(op, &shape, target, ignore_index);
    let classes = if shape.len() == 1 { shape[0] } else { shape[1] };
    let weights = class_weights(op, weight, classes);
    let flat = classes_last(log_probs);
    let kept: Vec<usize> = indices.iter().map(|i| i.unwrap_or(0)).collect();
    let out_dims: Vec<isize> = out_shape.iter().map(|&d| d as isize).collect();
    // The weight of each position's target: weight[t], 0 where ignored.
    let w: Vec<T> = indices
        .iter()
        .map(|i| match (i, &weights) {
            (None, _) => T::zero(),
            (Some(_), None) => T::one(),
            (Some(c), Some(ws)) => ws[*c],
        })
        .collect();
    let plain = weights.is_none() && indices.iter().all(Option::is_some);
    let picked = flat.gather_last(&kept).neg();
    let m = kept.len();
    let w_t = Tensor::from_vec(w.clone(), &[m]);
    let total_weight = T::from_f64(w.iter().map(|v| v.as_f64()).sum::<f64>());
    let reduce = |per: Tensor<T>| match reduction {
        Reduction::None => per.reshape(&out_dims),
        Reduction::Sum => per.sum(),
        Reduction::Mean => per.sum().div_scalar(total_weight),
    };
    let nll = if plain {
        match reduction {
            Reduction::None => picked.reshape(&out_dims),
            r => r.apply(picked),
        }
    } else {
        reduce(picked.mul(&w_t))
    };
    if eps == 0.0 {
        return nll;
    }
    // PyTorch's cross_entropy_loss_label_smoothing: the smoothing term is
    // -Σ_c weight[c]·log_probs[c], zero where ignored, normalised like the NLL term.
    let by_class = match &weights {
        Some(ws) => flat.mul(&Tensor::from_vec(ws.clone(), &[1, classes])),
        None => flat,
    };
    let ignored = Tensor::from_vec(indices.iter().map(Option::is_none).collect(), &[m]);
    let smooth = by_class
        .sum_dim(-1, false)
        .neg()
        .masked_fill(&ignored, T::zero());
    let smooth = reduce(smooth);
    nll.mul_scalar(T::from_f64(1.0 - eps))
        .add(&smooth.mul_scalar(T::from_f64(eps / classes as f64)))
}

fn check_smoothing(op: &str, eps: f64) {
    assert!(
        (0.0..=1.0).contains(&eps),
        "{op}: label_smoothing must be between 0.0 and 1.0. Got: {eps}"
    );
}

/// Negative log-likelihood with PyTorch's options (`F.nll_loss(input, target, weight,
/// ignore_index=, reduction=)`): `log_probs` is `[C]`, `[N, C]` or `[N, C, d1, ...]` (classes
/// along dim 1), `target` the class indices (an `i64` tensor or a `usize` slice), `[N]` / `[N,
/// d1, ...]` (0-d or `[1]` for a `[C]` input). Each position's loss is `-weight[t]·log_probs[n, t]` (zero where `t ==
/// ignore_index`); `mean` divides the sum by `Σ weight[t]` over the targets not ignored (so NaN
/// if all are), `sum` adds, `none` keeps the target's shape.
///
/// Derivative: `d/d log_probs[n, c] = -weight[c]` at `c = t` (divided by the weight total for
/// `mean`), 0 elsewhere and for ignored targets; `weight` is a constant.
///
/// ```
/// use tapegrad_autograd::{functional::{nll_loss_with, NllLossOptions, Reduction}, Tensor};
/// let lp = Tensor::from_vec(vec![-1.0f64, -2.0, -3.0, -4.0], &[2, 2]);
/// let t = Tensor::from_vec(vec![1i64, 0], &[2]);
/// let w = Tensor::from_vec(vec![1.0f64, 3.0], &[2]);
/// // (3·2 + 1·3) / (3 + 1)
/// assert_eq!(nll_loss_with(&lp, &t, NllLossOptions::new().weight(&w)).item(), 2.25);
/// let opts = NllLossOptions::new().ignore_index(0).reduction(Reduction::Sum);
/// assert_eq!(nll_loss_with(&lp, &t, opts).item(), 2.0);
/// ```
pub fn nll_loss_with<T: Element>(
    log_probs: &Tensor<T>,
    target: impl IntoClassIndices,
    options: NllLossOptions<T>,
) -> Tensor<T> {
    let loss = nll_general(
        "nll_loss",
        log_probs,
        &target.into_class_indices(),
        options.weight.as_ref(),
        options.ignore_index,
        options.reduction,
        0.0,
    );
    nll_renamed(loss, log_probs.ndim(), options.reduction)
}

/// Cross-entropy with PyTorch's options (`F.cross_entropy(input, target, weight,
/// ignore_index=, reduction=, label_smoothing=)`): `input` holds logits `[C]`, `[N, C]` or
/// `[N, C, d1, ...]` (classes along dim 1); `target` is either
///
/// * class indices (`&Tensor<i64>` or a `usize` slice, `[N]` / `[N, d1, ...]`): `log_softmax` over the classes,
///   then [`nll_loss_with`]; with `label_smoothing = ε` the loss is `(1 - ε)·nll + ε/C·smooth`
///   where `smooth = -Σ_c weight[c]·log_softmax(input)[c]` per position (zero where ignored),
///   reduced the same way as the NLL term (for `mean`, divided by the total weight of the
///   targets not ignored), exactly as PyTorch;
/// * class probabilities (`&Tensor<T>`, the input's shape): `-Σ_c weight[c]·p'[c]·
///   log_softmax(input)[c]` per position, with `p' = (1 - ε)·p + ε/C`; `mean` divides by the
///   number of positions (`numel / C`), not by the weights. `ignore_index` must stay at its
///   default.
///
/// Derivative: per position, with `q = softmax(input)` over the classes, `y` the target
/// distribution (one-hot, smoothed or given) and `w` the class weights (all ones if `None`),
/// `d loss/d input[c] = (Σ_k w[k]·y[k])·q[c] - w[c]·y[c]` (so `q - y` unweighted), scaled by
/// the reduction; a probability target gets `d loss/d p[c] = -(1 - ε)·w[c]·log q[c]`. `weight`
/// is a constant.
///
/// ```
/// use tapegrad_autograd::{functional::{cross_entropy_with, CrossEntropyOptions}, Tensor};
/// let logits = Tensor::from_vec(vec![0.0f64, 0.0, 0.0, 0.0], &[2, 2]);
/// let t = Tensor::from_vec(vec![1i64, -100], &[2]);
/// let l = cross_entropy_with(&logits, &t, CrossEntropyOptions::new().label_smoothing(0.2));
/// assert!((l.item() - 2f64.ln()).abs() < 1e-12);
/// let probs = Tensor::from_vec(vec![0.5f64, 0.5, 1.0, 0.0], &[2, 2]);
/// assert!((cross_entropy_with(&logits, &probs, CrossEntropyOptions::new()).item() - 2f64.ln()).abs() < 1e-12);
/// ```
pub fn cross_entropy_with<T: Element>(
    input: &Tensor<T>,
    target: impl IntoCrossEntropyTarget<T>,
    options: CrossEntropyOptions<T>,
) -> Tensor<T> {
    let op = "cross_entropy";
    let eps = options.label_smoothing;
    check_smoothing(op, eps);
    let shape = input.shape();
    assert!(
        !shape.is_empty(),
        "{op}: input tensor should be 1D or more: expected input of shape [C], [N, C] or [N, C, \
         d1, ...], got []"
    );
    let class_dim: isize = if shape.len() == 1 { 0 } else { 1 };
    let classes = shape[class_dim as usize];
    let log_probs = input.log_softmax(class_dim);
    match target.into_ce_target() {
        CrossEntropyTarget::Classes(t) => {
            let loss = nll_general(
                op,
                &log_probs,
                &t,
                options.weight.as_ref(),
                options.ignore_index,
                options.reduction,
                eps,
            );
            if eps > 0.0 {
                loss // PyTorch's smoothed loss ends in the sum of its two terms
            } else {
                nll_renamed(loss, shape.len(), options.reduction)
            }
        }
        CrossEntropyTarget::Probs(ref p) => {
            assert!(
                p.shape() == shape,
                "{op}: Expected a class-probability target of the input's shape {:?}, got \
                 target of shape {:?}",
                shape.as_slice(),
                p.shape().as_slice()
            );
            assert!(
                options.ignore_index < 0,
                "{op}: ignore_index is not supported for floating point target"
            );
            let weights = class_weights(op, options.weight.as_ref(), classes);
            let p = if eps > 0.0 {
                p.mul_scalar(T::from_f64(1.0 - eps))
                    .add_scalar(T::from_f64(eps / classes as f64))
            } else {
                p.clone()
            };
            let mut prod = log_probs.mul(&p);
            if let Some(ws) = weights {
                let mut wshape = vec![1; shape.len()];
                wshape[class_dim as usize] = classes;
                prod = prod.mul(&Tensor::from_vec(ws, &wshape));
            }
            match options.reduction {
                Reduction::None => prod.sum_dim(class_dim, false).neg(),
                Reduction::Sum => prod.sum().neg(),
                Reduction::Mean => {
                    let positions = input.numel().checked_div(classes).unwrap_or(0);
                    prod.sum().neg().div_scalar(T::from_f64(positions as f64))
                }
            }
        }
    }
}
