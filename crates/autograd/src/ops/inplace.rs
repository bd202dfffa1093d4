//! In-place operations: `add_`, `sub_`, `mul_`, `div_`, `zero_`, `fill_`, `copy_`, `clamp_`,
//! `relu_`, `sigmoid_`, and `+=`, `-=`, `*=`, `/=` on tensors, with PyTorch's rules.
//!
//! Every in-place op goes through [`Tensor::inplace`], one path with three cases:
//! * **nothing to record** (grad mode off, or no tensor involved requires a gradient: an
//!   optimizer step, `with torch.no_grad(): w -= lr * w.grad`): the values are written directly
//!   into the storage under its write lock, taken once with any read lock in the library's lock
//!   order, and the storage's version counter is bumped;
//! * **a leaf that requires grad, outside `no_grad`**: panics with PyTorch's message;
//! * **a tensor in the graph** (`y = a * 2; y.add_(1)`): the op is recorded as PyTorch's
//!   "rebase history" does: the out-of-place op is applied to a copy of the old values (whose
//!   history is the tensor's old history), the result is written into the storage, and the
//!   tensor takes the op's node as its own. `y.grad_fn_name()` is then `AddBackward0`, and
//!   backward differentiates through both;
//! * **a view of a tensor in the graph** (`y = a * 2; y.narrow(0, 0, 1).mul_(3)`): PyTorch's
//!   `CopySlices`. The op runs out of place on the view's old values (a view of a copy of the
//!   base's old values, carrying the base's old history), the result is written through the
//!   view, and the *base* takes a [`CopySlices`] node joining its old values (outside the view)
//!   and the result (inside it); the view becomes an `as_strided` view of the new base
//!   (`AsStridedBackward0`). A view of a leaf that requires grad panics, as in PyTorch.
//!
//! Derivatives are the out-of-place ops' (`add_`: 1; `mul_`: the other factor; …).

use crate::arc::Arc;
use crate::element::{Element, Scalar};
use crate::grad_mode::{is_grad_enabled, no_grad};
use crate::graph::{record, BackwardCtx, InputGrads, Op};
use crate::ops::view::ViewKind;
use crate::shape::Shape;
use crate::tensor::{Hook, Tensor};
use ndarray::Zip;
use smallvec::smallvec;
use std::sync::atomic::Ordering;

/// The right-hand side of an in-place op: a tensor (broadcast to the left side's shape) or a
/// scalar.
pub trait InplaceRhs<T: Element> {
    /// The operand as a tensor, if it is one.
    fn tensor(&self) -> Option<&Tensor<T>>;
    /// The operand as a scalar, if it is one.
    fn scalar(&self) -> Option<T>;
}
impl<T: Element> InplaceRhs<T> for &Tensor<T> {
    fn tensor(&self) -> Option<&Tensor<T>> {
        Some(self)
    }
    fn scalar(&self) -> Option<T> {
        None
    }
}
impl<T: Element> InplaceRhs<T> for T {
    fn tensor(&self) -> Option<&Tensor<T>> {
        None
    }
    fn scalar(&self) -> Option<T> {
        Some(*self)
    }
}

impl<T: Element> Tensor<T> {
    /// The one path of every in-place op (see the module documentation): `direct` writes the
    /// new values when nothing is recorded, `recorded` computes them out of place from the old
    /// values when the op joins the graph. `others` are the op's other tensor operands.
    pub(crate) fn inplace(
        &self,
        op: &'static str,
        others: &[&Tensor<T>],
        direct: impl FnOnce(&Tensor<T>),
        recorded: impl FnOnce(&Tensor<T>) -> Tensor<T>,
    ) -> &Tensor<T> {
        let grad_on = is_grad_enabled();
        if grad_on && self.requires_grad() && self.is_leaf() {
            panic!(
                "{op}: a leaf Variable that requires grad is being used in an in-place \
                 operation. Wrap the update in no_grad(|| ...) (as torch.no_grad()), or apply \
                 it to a copy"
            );
        }
        let record = grad_on && (self.requires_grad() || others.iter().any(|t| t.requires_grad()));
        if !record {
            direct(self);
            return self;
        }
        if let Some(base) = self.inner.view_base.clone() {
            return self.inplace_on_view(op, &base, recorded);
        }
        // The old values with the old history, as a tensor of their own.
        let (input, hooks) = self.old_values();
        let result = recorded(&input);
        self.update_from(&result, |mut d, r| d.assign(&r));
        self.take_history_of(&result, hooks);
        self
    }

    /// This tensor's current values, with its current history, as a tensor of their own (a
    /// copy in the graph, or a constant copy): the input of a recorded in-place op. The
    /// tensor's history is moved out (the caller gives it a new one).
    fn old_values(&self) -> (Tensor<T>, Vec<Hook<T>>) {
        let old_history = self.inner.history.lock().take();
        let hooks = old_history
            .as_ref()
            .map(|n| std::mem::take(&mut *n.hooks.lock()))
            .unwrap_or_default();
        let prev = Tensor::with_history(
            Arc::clone(&self.inner.storage),
            self.inner.layout.clone(),
            old_history,
            self.requires_grad(),
            None,
        );
        let values = if prev.requires_grad() {
            prev.copy()
        } else {
            prev.clone_tensor()
        };
        (values, hooks)
    }

    /// Makes the node that produced `from` this tensor's history (PyTorch's
    /// "rebase_history"), as of this tensor's current version, with the gradient `hooks` the
    /// tensor had on its old history.
    fn take_history_of(&self, from: &Tensor<T>, hooks: Vec<Hook<T>>) {
        let node = from.inner.history.lock().take();
        from.inner.leaf.store(true, Ordering::Release);
        if let Some(n) = node.as_ref() {
            n.out_version.store(self.version(), Ordering::Release);
        }
        // Hooks registered on self follow the tensor to its new history.
        if let (Some(n), false) = (node.as_ref(), hooks.is_empty()) {
            n.hooks.lock().extend(hooks);
            n.has_hooks.store(true, Ordering::Release);
        }
        let leaf = node.is_none();
        *self.inner.history.lock() = node;
        self.inner.leaf.store(leaf, Ordering::Release);
        self.inner.requires_grad.store(!leaf, Ordering::Relaxed);
        self.inner.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The recorded case on a view (see the module documentation): `CopySlices`.
    fn inplace_on_view(
        &self,
        op: &'static str,
        base: &Tensor<T>,
        recorded: impl FnOnce(&Tensor<T>) -> Tensor<T>,
    ) -> &Tensor<T> {
        if base.is_leaf() && base.requires_grad() {
            panic!(
                "{op}: a view of a leaf Variable that requires grad is being used in an in-place \
                 operation. Wrap the update in no_grad(|| ...) (as torch.no_grad()), or apply it \
                 to a copy of the leaf"
            );
        }
        let (bl, vl) = (&base.inner.layout, &self.inner.layout);
        if vl.has_overlap() {
            drop(self.data_mut()); // panics with PyTorch's message (an expanded view)
        }
        assert!(
            bl.is_contiguous() && vl.offset >= bl.offset,
            "{op}: an in-place operation on a view of a non-contiguous tensor of shape {:?} in \
             the graph is not supported; make the base contiguous first (.contiguous()) or \
             apply the op out of place (e.g. `let y = &view + 1.0`)",
            bl.shape.as_slice()
        );
        let kind = ViewKind::AsStrided {
            shape: vl.shape.clone(),
            strides: vl.strides.clone(),
            offset: vl.offset - bl.offset,
        };
        let (base_in, base_hooks) = base.old_values();
        let view_hooks = self
            .inner
            .history
            .lock()
            .as_ref()
            .map(|n| std::mem::take(&mut *n.hooks.lock()))
            .unwrap_or_default();
        let view_in = base_in.view_of(kind.clone()).expect("a strided view");
        let result = recorded(&view_in);
        self.update_from(&result, |mut d, r| d.assign(&r));
        let joined = record(
            base.data().to_owned(),
            CopySlices {
                view: kind.clone(),
                base_shape: base.shape(),
            },
            &[&base_in, &result],
        );
        base.take_history_of(&joined, base_hooks);
        let view = base.view_of(kind).expect("a strided view");
        self.take_history_of(&view, view_hooks);
        self
    }

    /// `f(self, other)` elementwise into self's storage, `other` broadcast to self's shape.
    fn zip_inplace(&self, op: &'static str, other: &Tensor<T>, f: impl Fn(&mut T, T)) {
        let b = self.broadcast_rhs(op, other);
        self.update_from(&b, |mut d, o| {
            Zip::from(&mut d).and(&o).for_each(|x, &y| f(x, y))
        });
    }

    /// `other` viewed at self's shape (outside the graph), for the direct path.
    fn broadcast_rhs(&self, op: &'static str, other: &Tensor<T>) -> Tensor<T> {
        self.check_rhs(op, other);
        no_grad(|| other.broadcast_to(&self.shape()))
    }

    /// The operand a recorded in-place op computes with. `x.mul_(&x)` reads the old values: the
    /// operand is `old` (self before the op, with its old history); recording `self` itself
    /// would make self's new graph node hold self, a reference cycle that never frees the
    /// graph (found by the `tensor_api` fuzz target).
    fn recorded_operand<'a>(&self, other: &'a Tensor<T>, old: &'a Tensor<T>) -> &'a Tensor<T> {
        if other.same(self) {
            old
        } else {
            other
        }
    }

    /// Refuses, before anything changes, a recorded in-place op whose operand is another tensor
    /// in the graph sharing self's storage (a view of it): its view node would hold self, the
    /// same cycle as above, and its gradient would be routed through self's new history.
    fn check_aliasing_operand(&self, op: &'static str, other: &Tensor<T>) {
        if is_grad_enabled()
            && other.requires_grad()
            && !other.same(self)
            && other.shares_storage(self)
        {
            panic!(
                "{op}: the operand shares this tensor's storage (a view of it) and both are in \
                 the graph; this in-place operation is not supported yet. Apply it out of \
                 place (e.g. `let y = &x + &view`) or pass a copy of the operand (.copy())"
            );
        }
    }

    /// Panics unless `other` broadcasts to self's shape (an in-place result keeps it).
    fn check_rhs(&self, op: &'static str, other: &Tensor<T>) {
        let shape = self.shape();
        let fits = crate::shape::broadcast_shapes(op, &other.shape(), &shape)
            .map(|s| s == shape)
            .unwrap_or(false);
        assert!(
            fits,
            "{op}: output with shape {:?} doesn't match the broadcast shape of the operands \
             {:?} and {:?}; in-place results keep the left side's shape",
            shape.as_slice(),
            shape.as_slice(),
            other.shape().as_slice()
        );
    }

    fn binary_(
        &self,
        op: &'static str,
        rhs: impl InplaceRhs<T>,
        f: impl Fn(&mut T, T) + Copy,
        out_of_place: impl FnOnce(&Tensor<T>, &Tensor<T>) -> Tensor<T>,
    ) -> &Tensor<T> {
        if let Some(t) = rhs.tensor() {
            self.check_aliasing_operand(op, t);
        }
        match (rhs.tensor(), rhs.scalar()) {
            (Some(t), _) => self.inplace(
                op,
                &[t],
                |s| s.zip_inplace(op, t, f),
                |x| {
                    self.check_rhs(op, t);
                    let t = self.recorded_operand(t, x);
                    out_of_place(x, t)
                },
            ),
            (None, Some(c)) => self.inplace(
                op,
                &[],
                |s| s.data_mut().map_inplace(|x| f(x, c)),
                |x| out_of_place(x, &Tensor::scalar(c)),
            ),
            (None, None) => unreachable!("an operand is a tensor or a scalar"),
        }
    }

    /// `self += other` in place (`x.add_(other)`), `other` a tensor broadcast to self's shape or
    /// a scalar. Derivative: 1 for both. Returns `self` for chaining.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    /// let y = &a * 2.0;
    /// y.add_(1.0); // recorded: y = 2a + 1
    /// assert_eq!(y.grad_fn_name(), Some("AddBackward0"));
    /// y.sum().backward();
    /// assert_eq!(a.grad().unwrap().to_vec(), vec![2.0, 2.0]);
    /// ```
    pub fn add_(&self, other: impl InplaceRhs<T>) -> &Tensor<T> {
        self.binary_("add_", other, |x, y| *x += y, |a, b| a + b)
    }

    /// `self -= other` in place (`x.sub_(other)`). Derivative: 1 and -1.
    pub fn sub_(&self, other: impl InplaceRhs<T>) -> &Tensor<T> {
        self.binary_("sub_", other, |x, y| *x -= y, |a, b| a - b)
    }

    /// `self *= other` in place (`x.mul_(other)`). Derivative: the other factor.
    pub fn mul_(&self, other: impl InplaceRhs<T>) -> &Tensor<T> {
        self.binary_("mul_", other, |x, y| *x *= y, |a, b| a * b)
    }

    /// `self /= other` in place (`x.div_(other)`). Derivative: 1/b and -a/b².
    pub fn div_(&self, other: impl InplaceRhs<T>) -> &Tensor<T> {
        self.binary_("div_", other, |x, y| *x /= y, |a, b| a / b)
    }

    /// Sets every element to `value` (`x.fill_(value)`). Derivative: 0.
    pub fn fill_(&self, value: T) -> &Tensor<T> {
        self.inplace(
            "fill_",
            &[],
            |s| s.data_mut().fill(value),
            |x| &x.mul_scalar(T::zero()) + value,
        )
    }

    /// Sets every element to 0 (`x.zero_()`). Derivative: 0.
    pub fn zero_(&self) -> &Tensor<T> {
        self.fill_(T::zero())
    }

    /// Copies `src` (broadcast to self's shape) into self (`x.copy_(src)`). Derivative: 0 for
    /// the old values, 1 for `src`.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::<f32>::zeros(&[2, 2]);
    /// x.i(0).copy_(&Tensor::from_vec(vec![1.0, 2.0], &[2])); // x[0] = [1, 2]
    /// assert_eq!(x.to_vec(), vec![1.0, 2.0, 0.0, 0.0]);
    /// ```
    pub fn copy_(&self, src: &Tensor<T>) -> &Tensor<T> {
        self.check_aliasing_operand("copy_", src);
        self.inplace(
            "copy_",
            &[src],
            |s| s.zip_inplace("copy_", src, |x, y| *x = y),
            |x| {
                self.check_rhs("copy_", src);
                let src = self.recorded_operand(src, x);
                &x.mul_scalar(T::zero()) + src
            },
        )
    }

    /// Clamps every element into `[min, max]` in place (`x.clamp_(min, max)`), with
    /// [`Tensor::clamp`]'s rules (a NaN bound makes every element NaN). Derivative: 1 inside
    /// the range, 0 outside.
    pub fn clamp_(&self, min: Option<f64>, max: Option<f64>) -> &Tensor<T> {
        assert!(
            min.is_some() || max.is_some(),
            "torch.clamp: At least one of 'min' or 'max' must not be None"
        );
        let (lo_t, hi_t) = (min.map(T::from_f64), max.map(T::from_f64));
        let nan_bound = lo_t.is_some_and(|l| l.is_nan()) || hi_t.is_some_and(|h| h.is_nan());
        self.inplace(
            "clamp_",
            &[],
            |s| {
                s.data_mut().map_inplace(|x| {
                    if nan_bound {
                        *x = T::nan();
                    }
                    if let Some(lo) = lo_t {
                        *x = if *x < lo { lo } else { *x };
                    }
                    if let Some(hi) = hi_t {
                        *x = if *x > hi { hi } else { *x };
                    }
                })
            },
            |x| x.clamp(min, max),
        )
    }

    /// `max(x, 0)` in place (`x.relu_()`). Derivative: 1 where x > 0, else 0.
    pub fn relu_(&self) -> &Tensor<T> {
        self.inplace(
            "relu_",
            &[],
            |s| {
                s.data_mut()
                    .map_inplace(|x| *x = if *x > T::zero() { *x } else { T::zero() })
            },
            |x| x.relu(),
        )
    }

    /// `1 / (1 + e^-x)` in place (`x.sigmoid_()`), the values of [`Tensor::sigmoid`].
    /// Derivative: s(1 - s).
    pub fn sigmoid_(&self) -> &Tensor<T> {
        self.inplace(
            "sigmoid_",
            &[],
            |s| {
                let sigmoid = crate::ops::sigmoid::sigmoid_value;
                let mut d = s.data_mut();
                if let Some(v) = d.as_slice_mut() {
                    return crate::ops::par::map_in_place(v, sigmoid);
                }
                // A strided view: its values in row-major order through the vector loop.
                let y = crate::ops::par::map(&d.view(), sigmoid);
                d.assign(&y);
            },
            |x| x.sigmoid(),
        )
    }
}

macro_rules! assign_op {
    ($trait:ident, $method:ident, $inplace:ident) => {
        /// In place, as the method of the same name with a trailing underscore (PyTorch's
        /// `x += y` on a tensor is in place too).
        impl<T: Element> std::ops::$trait<&Tensor<T>> for Tensor<T> {
            fn $method(&mut self, rhs: &Tensor<T>) {
                self.$inplace(rhs);
            }
        }
        /// In place, with a tensor operand taken by value.
        impl<T: Element> std::ops::$trait<Tensor<T>> for Tensor<T> {
            fn $method(&mut self, rhs: Tensor<T>) {
                self.$inplace(&rhs);
            }
        }
        /// In place, with a scalar operand.
        impl<T: Element> std::ops::$trait<T> for Tensor<T> {
            fn $method(&mut self, rhs: T) {
                self.$inplace(rhs);
            }
        }
    };
}
assign_op!(AddAssign, add_assign, add_);
assign_op!(SubAssign, sub_assign, sub_);
assign_op!(MulAssign, mul_assign, mul_);
assign_op!(DivAssign, div_assign, div_);

/// The history of a tensor after an in-place op wrote into one of its views (PyTorch's
/// `CopySlices`): the new values are the old ones (input 0) outside the view and the op's
/// result (input 1) inside it. Backward: input 0 gets the gradient with the view's elements
/// zeroed, input 1 the view of the gradient.
struct CopySlices {
    view: ViewKind,
    base_shape: Shape,
}
impl<T: Scalar> Op<T> for CopySlices {
    fn name(&self) -> &'static str {
        "CopySlices"
    }
    fn rule(&self) -> &'static str {
        "y = x outside the view, r inside it: dx = g with the view zeroed, dr = the view of g"
    }
    fn saves_inputs(&self) -> bool {
        false
    }
    fn backward(&self, c: &BackwardCtx<'_, T>) -> InputGrads<T>
    where
        T: Element,
    {
        // The view is a window of a row-major tensor: read it from a row-major gradient (an
        // incoming gradient may be expanded, e.g. from `sum`).
        let g = &c.grad.contiguous();
        let d_old = c.needs_grad(0).then(|| {
            // The view's elements of the gradient set to zero: on a copy (NaN-safe), or as a
            // product with a 0/1 mask when the backward itself is being recorded.
            let (out, region) = if is_grad_enabled() {
                (Tensor::<T>::ones(&self.base_shape), T::zero())
            } else {
                (g.clone_tensor(), T::zero())
            };
            let layout = self.view.apply(&out.inner.layout).expect("a strided view");
            Tensor::from_storage(out.inner.storage.clone(), layout, None, false)
                .data_mut()
                .fill(region);
            if is_grad_enabled() {
                g.mul(&out)
            } else {
                out
            }
        });
        let d_result = c.needs_grad(1).then(|| {
            g.view_of(self.view.clone())
                .expect("a strided view")
                .contiguous()
        });
        smallvec![d_old, d_result]
    }
}
