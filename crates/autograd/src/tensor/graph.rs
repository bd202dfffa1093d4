//! The tape: how an operation is recorded and what its backward rule looks like.
//!
//! Every non-leaf tensor that requires a gradient owns a [`Node`]: the [`Op`] that produced it
//! (which knows its own derivative) and the input tensors. The graph is therefore owned by the
//! tensors themselves, as in PyTorch and candle: dropping the last handle to an output frees its
//! whole graph, and `backward` frees the saved inputs as it goes (unless `retain_graph`).
//!
//! An op is one small unit: a forward function computing the value with `ndarray`, and a
//! `backward` written with ordinary tensor operations. Because backward rules are tensor
//! operations, running them with recording on (`create_graph`) records the backward pass
//! itself, which gives higher-order derivatives for free.

use super::{Hook, Tensor};
use crate::anomaly;
use crate::arc::{Arc, UniqueArc};
use crate::element::{Element, Scalar};
use crate::grad_mode::is_grad_enabled;
use crate::storage::Layout;
use ndarray::ArrayD;
use parking_lot::Mutex;
use smallvec::SmallVec;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Gradients returned by a backward rule, one per input (`None` = no gradient for that input).
pub type InputGrads<T> = SmallVec<[Option<Tensor<T>>; 3]>;

/// What a backward rule sees: the op's inputs, its output, and the gradient of the loss with
/// respect to that output.
pub struct BackwardCtx<'a, T: Scalar> {
    /// The inputs, in the order the forward took them.
    pub inputs: &'a [Tensor<T>],
    /// The tensor this op produced (for rules like `d sigmoid = s(1-s)` that reuse the output).
    pub output: &'a Tensor<T>,
    /// dLoss/dOutput, same shape as `output`.
    pub grad: &'a Tensor<T>,
    pub(crate) needs: SmallVec<[bool; 3]>,
    /// May a rule write its result into `grad` when it holds the only handle (the backward
    /// walk's own gradient, with no graph built and no observer to show it afterwards)?
    pub(crate) grad_reusable: bool,
}

impl<T: Scalar> BackwardCtx<'_, T> {
    /// Does input `i` need a gradient? Rules may skip work for inputs that don't.
    pub fn needs_grad(&self, i: usize) -> bool {
        self.needs.get(i).copied().unwrap_or(false)
    }
}

/// A differentiable operation: its name and its derivative. Forward lives in the function that
/// builds the op (e.g. `Tensor::mul`), right beside this impl in the same file.
///
/// The trait is declared for every element type so that ops that work on any dtype (views,
/// copies, `cat`, `index_select`) record through one path; `backward` exists only for the
/// float types, the only ones that can require a gradient.
pub trait Op<T: Scalar>: Send + Sync + 'static {
    /// PyTorch's grad-fn name, e.g. `"MulBackward0"`.
    fn name(&self) -> &'static str;
    /// The local derivative rule in words, e.g. `"d(a*b)/da = b, d(a*b)/db = a"`, shown by
    /// the explain mode of backward.
    fn rule(&self) -> &'static str;
    /// dLoss/dInput for every input, given dLoss/dOutput.
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> InputGrads<T>
    where
        T: Element;
    /// Does the backward read the inputs' values (not just their shapes)? Then changing an
    /// input in place before backward is an error, found by the version counter. Default: yes.
    fn saves_inputs(&self) -> bool {
        true
    }
    /// Does the backward read the output's values (`d sigmoid = s(1-s)`)? Default: no.
    fn saves_output(&self) -> bool {
        false
    }
    /// For a view that reads a contiguous region of its one input (`select` or `narrow` of the
    /// leading dimension): adds `grad`, the view's gradient, into that region of `acc`, the
    /// gradient already summed for the input, in place, and returns `true`. The backward walk asks this
    /// before [`Op::backward`] when it owns such a sum and builds no graph, which spares the
    /// input-sized zeros a view's backward scatters into (a sequence read step by step with
    /// `select` would otherwise fill and add one per step). Default: `false`, not such a view.
    fn add_grad_into(&self, grad: &Tensor<T>, acc: &Tensor<T>) -> bool
    where
        T: Element,
    {
        let _ = (grad, acc);
        false
    }
}

/// A recorded operation: the op and the tensors it read. The inputs are released after
/// backward unless the graph is retained.
pub(crate) struct Node<T: Scalar> {
    pub(crate) op: Box<dyn Op<T>>,
    pub(crate) inputs: Mutex<Option<SmallVec<[Tensor<T>; 3]>>>,
    /// The storage versions of the inputs when recorded (empty if the op saves none).
    pub(crate) versions: SmallVec<[u64; 3]>,
    /// The inputs' history generations when recorded (see `Inner::generation`).
    pub(crate) generations: SmallVec<[u64; 3]>,
    /// The output storage's version when recorded (updated when an in-place op takes the node).
    pub(crate) out_version: std::sync::atomic::AtomicU64,
    /// Gradient hooks registered on the (non-leaf) output: they belong to the graph, as
    /// PyTorch's tensor pre-hooks on a `grad_fn`, so a backward that frees the graph, or the
    /// node's drop, drops them too (and whatever they captured, the output's handle included).
    pub(crate) hooks: Mutex<Vec<Hook<T>>>,
    /// Set once a hook is added to `hooks`: freeing a node without any skips their lock.
    pub(crate) has_hooks: std::sync::atomic::AtomicBool,
}

impl<T: Scalar> Node<T> {
    /// The saved inputs, or `None` once backward has freed them.
    pub(crate) fn inputs(&self) -> Option<SmallVec<[Tensor<T>; 3]>> {
        self.inputs.lock().clone()
    }

    /// Moves the saved inputs out, leaving the node freed; its hooks are dropped with them.
    pub(crate) fn take_inputs(&self) -> Option<SmallVec<[Tensor<T>; 3]>> {
        if self.has_hooks.load(Ordering::Acquire) {
            let hooks = std::mem::take(&mut *self.hooks.lock());
            drop(hooks);
        }
        self.inputs.lock().take()
    }
}

impl<T: Scalar> Drop for Node<T> {
    fn drop(&mut self) {
        count_nodes(-1);
        let taken = self.inputs.get_mut().take();
        if let Some(inputs) = taken {
            drop_iteratively(inputs);
        }
    }
}

/// Drops a graph without recursion: a chain of 100 000 ops would otherwise overflow the stack
/// through nested `Drop` calls. Each tensor we hold the last handle to is unwrapped and its
/// inputs pushed on an explicit stack before it is dropped.
fn drop_iteratively<T: Scalar>(start: SmallVec<[Tensor<T>; 3]>) {
    let mut stack: Vec<Tensor<T>> = start.into_vec();
    while let Some(t) = stack.pop() {
        if let Some(mut inner) = Arc::into_unique(t.inner).map(UniqueArc::into_inner) {
            if let Some(mut node) = inner
                .history
                .get_mut()
                .take()
                .and_then(|n| Arc::into_unique(n).map(UniqueArc::into_inner))
            {
                let taken = node.inputs.get_mut().take();
                if let Some(inputs) = taken {
                    stack.extend(inputs);
                }
            }
        }
    }
}

/// The shapes of an op's inputs, for anomaly detection's message.
fn shapes_of<T: Scalar>(inputs: &[&Tensor<T>]) -> Vec<Vec<usize>> {
    inputs.iter().map(|t| t.shape().to_vec()).collect()
}

/// Builds the output tensor of an op: with a recorded [`Node`] when grad mode is on and an
/// input requires a gradient, as a plain tensor otherwise.
pub(crate) fn record<T: Scalar, O: Op<T>>(
    data: ArrayD<T>,
    op: O,
    inputs: &[&Tensor<T>],
) -> Tensor<T> {
    if anomaly::is_enabled() {
        anomaly::check_forward(op.name(), &data.view(), || shapes_of(inputs));
    }
    if is_grad_enabled() && inputs.iter().any(|t| t.requires_grad()) {
        Tensor::from_parts(data, Some(node(op, inputs, 0)), true)
    } else {
        Tensor::from_parts(data, None, false)
    }
}

/// [`record`] for an output computed as row-major `values` of `shape` (the fast path of hot
/// ops, with no ndarray array in between).
pub(crate) fn record_values<T: Scalar, O: Op<T>>(
    values: Vec<T>,
    shape: &[usize],
    op: O,
    inputs: &[&Tensor<T>],
) -> Tensor<T> {
    if anomaly::is_enabled() {
        let view = ndarray::ArrayView1::from(&values[..]).into_dyn();
        anomaly::check_forward(op.name(), &view, || shapes_of(inputs));
    }
    if is_grad_enabled() && inputs.iter().any(|t| t.requires_grad()) {
        Tensor::from_values(values, shape, Some(node(op, inputs, 0)), true)
    } else {
        Tensor::from_values(values, shape, None, false)
    }
}

/// Gives `t`, just computed by a composite of several recorded ops, the `grad_fn` name PyTorch
/// gives the whole op (`"GeluBackward0"` for a GELU built from `mul`, `erf`, …): the last
/// node of the composite is relabelled; its backward rule is unchanged (the composite's
/// gradient flows through its own nodes). A tensor without a node of its own (no gradient
/// recorded, or a node shared with another tensor) is returned as it is.
pub(crate) fn renamed<T: Scalar>(t: Tensor<T>, name: &'static str) -> Tensor<T> {
    {
        let mut history = t.inner.history.lock();
        if let Some(node) = history.as_mut().and_then(Arc::get_mut) {
            let inner = std::mem::replace(&mut node.op, Box::new(Placeholder));
            node.op = Box::new(Renamed { inner, name });
        }
    }
    t
}

/// [`renamed`] for a view op that may return its input itself (a no-op `squeeze`): the input's
/// own node is never relabelled.
pub(crate) fn renamed_view<T: Scalar>(
    out: Tensor<T>,
    input: &Tensor<T>,
    name: &'static str,
) -> Tensor<T> {
    if Arc::ptr_eq(&out.inner, &input.inner) {
        out
    } else {
        renamed(out, name)
    }
}

/// The last node of a composite op under the composite's PyTorch name (see [`renamed`]).
struct Renamed<T: Scalar> {
    inner: Box<dyn Op<T>>,
    name: &'static str,
}
impl<T: Scalar> Op<T> for Renamed<T> {
    fn name(&self) -> &'static str {
        self.name
    }
    fn rule(&self) -> &'static str {
        self.inner.rule()
    }
    fn backward(&self, ctx: &BackwardCtx<'_, T>) -> InputGrads<T>
    where
        T: Element,
    {
        self.inner.backward(ctx)
    }
    fn saves_inputs(&self) -> bool {
        self.inner.saves_inputs()
    }
    fn saves_output(&self) -> bool {
        self.inner.saves_output()
    }
    fn add_grad_into(&self, grad: &Tensor<T>, acc: &Tensor<T>) -> bool
    where
        T: Element,
    {
        self.inner.add_grad_into(grad, acc)
    }
}

/// Stands in for a node's op for the instant [`renamed`] swaps it.
struct Placeholder;
impl<T: Scalar> Op<T> for Placeholder {
    fn name(&self) -> &'static str {
        "Placeholder"
    }
    fn rule(&self) -> &'static str {
        ""
    }
    fn backward(&self, _: &BackwardCtx<'_, T>) -> InputGrads<T>
    where
        T: Element,
    {
        unreachable!("a placeholder op is never part of a graph")
    }
}

/// Builds a view of `base` (sharing its storage) through `layout`, recorded like [`record`].
pub(crate) fn record_view<T: Scalar, O: Op<T>>(
    base: &Tensor<T>,
    layout: Layout,
    op: O,
) -> Tensor<T> {
    let storage = Arc::clone(&base.inner.storage);
    let root = Some(base.inner.view_base.clone().unwrap_or_else(|| base.clone()));
    if is_grad_enabled() && base.requires_grad() {
        let n = node(op, &[base], base.version());
        Tensor::with_history(storage, layout, Some(n), true, root)
    } else {
        Tensor::with_history(storage, layout, None, false, root)
    }
}

/// Gives `out`, a fresh tensor computed from a tensor of another element type, the history
/// `op`, which has no inputs in this graph: its backward carries the gradient into the other
/// graph itself (`to_dtype` between float types).
pub(crate) fn record_bridge<T: Scalar, O: Op<T>>(out: Tensor<T>, op: O) -> Tensor<T> {
    Tensor::from_storage(
        Arc::clone(&out.inner.storage),
        out.inner.layout.clone(),
        Some(node(op, &[], 0)),
        true,
    )
}

fn node<T: Scalar, O: Op<T>>(op: O, inputs: &[&Tensor<T>], out_version: u64) -> Arc<Node<T>> {
    let saves = op.saves_inputs();
    // The node is written empty into its allocation and its inline vectors filled there: built
    // on the stack and then moved, they were read back with wider loads than the pushes had
    // stored, which the CPU cannot forward from its store buffer (a quarter of the node's
    // time in the lecture step).
    let mut node = UniqueArc::new(Node {
        op: Box::new(op),
        inputs: Mutex::new(Some(SmallVec::new())),
        versions: SmallVec::new(),
        generations: SmallVec::new(),
        out_version: AtomicU64::new(out_version),
        hooks: Mutex::new(Vec::new()),
        has_hooks: std::sync::atomic::AtomicBool::new(false),
    });
    let n = &mut *node;
    let handles = n.inputs.get_mut().as_mut().expect("just built");
    for t in inputs {
        if saves {
            n.versions.push(t.version());
        }
        n.generations
            .push(t.inner.generation.load(Ordering::Acquire));
        handles.push((*t).clone());
    }
    count_nodes(1);
    node.shareable()
}

/// Panics with PyTorch's message if a tensor the backward of `node` (producing `output`) reads
/// was changed in place after it was recorded.
pub(crate) fn check_versions<T: Scalar>(node: &Node<T>, output: &Tensor<T>, inputs: &[Tensor<T>]) {
    for (t, &saved) in inputs.iter().zip(&node.versions) {
        if t.version() != saved {
            version_panic(t, saved);
        }
    }
    let out_version = node.out_version.load(Ordering::Acquire);
    if node.op.saves_output() && output.version() != out_version {
        version_panic(output, out_version);
    }
    for (t, &generation) in inputs.iter().zip(&node.generations) {
        if t.inner.generation.load(Ordering::Acquire) != generation {
            panic!(
                "{}: an input of shape {:?} was changed by an in-place operation after this op \
                 used it, and the gradient cannot be routed to its values from before that \
                 change. Apply the in-place operation to a copy (.copy()), or use its \
                 out-of-place form (e.g. `y = &y + 1.0` instead of `y.add_(1.0)`)",
                node.op.name(),
                t.shape().as_slice()
            );
        }
    }
}

pub(crate) fn version_panic<T: Scalar>(t: &Tensor<T>, expected: u64) -> ! {
    let kind = match T::DTYPE {
        crate::DType::F32 => "torch.FloatTensor",
        crate::DType::F64 => "torch.DoubleTensor",
        crate::DType::I64 => "torch.LongTensor",
        crate::DType::Bool => "torch.BoolTensor",
    };
    let of = t
        .grad_fn_name()
        .map(|n| format!(", which is output 0 of {n},"))
        .unwrap_or_default();
    panic!(
        "one of the variables needed for gradient computation has been modified by an inplace \
         operation: [{kind} {:?}]{of} is at version {}; expected version {expected} instead. \
         Hint: the tensor was changed in place (an in-place op, `+=`, or data_mut()) after the \
         operation that needs it for its backward; compute on a copy (.copy()) or change it \
         after backward.",
        t.shape().as_slice(),
        t.version()
    )
}

/// The live-node counters of the threads alive, and what the exited ones left. Each thread
/// counts the nodes it makes and frees on its own counter with a load and a store, not an
/// atomic read-modify-write on a shared one; a node freed on another thread than the one that
/// made it leaves one counter high and the other low, so only the sum means anything.
static NODE_COUNTERS: std::sync::Mutex<(Vec<Arc<AtomicI64>>, i64)> =
    std::sync::Mutex::new((Vec::new(), 0));

/// This thread's live-node counter, registered in [`NODE_COUNTERS`]; when the thread exits its
/// count moves into the exited threads' sum.
struct NodeCounter(Arc<AtomicI64>);

impl Drop for NodeCounter {
    fn drop(&mut self) {
        let mut all = super::lock(&NODE_COUNTERS);
        all.0.retain(|c| !Arc::ptr_eq(c, &self.0));
        all.1 += self.0.load(Ordering::Relaxed);
    }
}

thread_local! {
    static NODE_COUNTER: NodeCounter = {
        let c = Arc::new(AtomicI64::new(0));
        let mut all = super::lock(&NODE_COUNTERS);
        all.0.push(Arc::clone(&c));
        NodeCounter(c)
    };
}

/// Adds `d` to this thread's live-node count (to the exited threads' sum while the thread's own
/// counter is being torn down).
#[inline]
fn count_nodes(d: i64) {
    let counted = NODE_COUNTER.try_with(|c| {
        // Only this thread writes its counter: a load and a store suffice.
        let v = c.0.load(Ordering::Relaxed);
        c.0.store(v + d, Ordering::Relaxed);
    });
    if counted.is_err() {
        super::lock(&NODE_COUNTERS).1 += d;
    }
}

/// How many graph nodes are alive in the process: the sum of every thread's count.
pub(crate) fn live_nodes() -> u64 {
    let all = super::lock(&NODE_COUNTERS);
    let sum = all.1 + all.0.iter().map(|c| c.load(Ordering::Relaxed)).sum::<i64>();
    sum.max(0) as u64
}
