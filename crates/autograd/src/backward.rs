//! Reverse-mode differentiation: one topological walk over the recorded graph.
//!
//! `backward` (1) orders the graph below the root so that every tensor comes after all the
//! tensors computed from it (an iterative depth-first search: no recursion, so a 100 000-op
//! chain cannot overflow the stack), then (2) visits it in that order, asking each recorded op
//! for its inputs' gradients and summing the gradients of tensors used more than once. The
//! search gives each tensor a place in a table when it first reaches it, and records with each
//! op where its inputs are, so the walk sums gradients by place, without looking tensors up.
//! Leaves accumulate into `.grad`; the graph's saved inputs are freed as it goes unless
//! `retain_graph` is set. With `create_graph` the backward rules run with recording on, so the
//! gradients are themselves differentiable.

use crate::anomaly;
use crate::arc::Arc;
use crate::element::Element;
use crate::grad_mode::{no_grad, GradModeGuard};
use crate::graph::{BackwardCtx, Node};
use crate::tensor::Tensor;
use smallvec::SmallVec;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Tensor ids are unique integers handed out in sequence: they need no hashing, only a spread
/// of their bits (SipHash was a sixth of a small network's backward).
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;
type IdSet = HashSet<u64, BuildHasherDefault<IdHasher>>;

/// One step of the backward walk, as seen by an observer (the explain mode of backward).
pub struct BackwardStep<'a, T: Element> {
    /// The tensor whose gradient is being pushed to its inputs.
    pub tensor: &'a Tensor<T>,
    /// The op that produced it (`"MulBackward0"`).
    pub op: &'static str,
    /// The op's derivative rule in words.
    pub rule: &'static str,
    /// The gradient arriving from above (dLoss/dTensor).
    pub grad: &'a Tensor<T>,
    /// The op's inputs.
    pub inputs: &'a [Tensor<T>],
    /// The gradient passed on to each input (`None` where none is needed).
    pub input_grads: &'a [Option<Tensor<T>>],
}

/// A callback that sees every step of a backward pass.
pub type Observer<'o, T> = &'o mut dyn FnMut(&BackwardStep<'_, T>);

/// Options of [`Tensor::backward_with`], named as PyTorch's `backward` arguments.
///
/// ```
/// use tapegrad_autograd::{BackwardOptions, Tensor};
/// let x = Tensor::from_vec(vec![3.0f64], &[1]).requires_grad_(true);
/// let y = &x * &x * &x; // x³
/// y.backward_with(BackwardOptions::new().gradient(Tensor::ones(&[1])).create_graph(true));
/// let g = x.grad().unwrap(); // 3x² = 27, itself differentiable
/// assert_eq!(g.item(), 27.0);
/// x.set_grad(None);
/// g.sum().backward(); // d(3x²)/dx = 6x = 18
/// assert_eq!(x.grad().unwrap().item(), 18.0);
/// ```
pub struct BackwardOptions<'o, T: Element> {
    gradient: Option<Tensor<T>>,
    retain_graph: Option<bool>,
    create_graph: bool,
    observer: Option<Observer<'o, T>>,
}

impl<T: Element> Default for BackwardOptions<'_, T> {
    fn default() -> Self {
        BackwardOptions {
            gradient: None,
            retain_graph: None,
            create_graph: false,
            observer: None,
        }
    }
}

impl<'o, T: Element> BackwardOptions<'o, T> {
    /// Defaults: implicit gradient 1 (scalar roots only), graph freed, no graph of the backward.
    pub fn new() -> Self {
        Self::default()
    }
    /// dLoss/dRoot, required when the root is not a scalar (`gradient=`).
    pub fn gradient(mut self, g: Tensor<T>) -> Self {
        self.gradient = Some(g);
        self
    }
    /// Keep the graph so backward can run through it again (`retain_graph=`; defaults to
    /// `create_graph`).
    pub fn retain_graph(mut self, retain: bool) -> Self {
        self.retain_graph = Some(retain);
        self
    }
    /// Record the backward pass so the gradients can be differentiated again (`create_graph=`).
    pub fn create_graph(mut self, create: bool) -> Self {
        self.create_graph = create;
        self
    }
    /// Call `f` at every step of the walk (used by the explain mode).
    pub fn observer(mut self, f: Observer<'o, T>) -> Self {
        self.observer = Some(f);
        self
    }
}

const FREED_MSG: &str = "Trying to backward through the graph a second time (or directly access \
saved tensors after they have already been freed). Saved intermediate values of the graph are \
freed when you call .backward() or autograd::grad(). Specify retain_graph(true) if you need to \
backward through the graph a second time or if you need to access saved tensors after calling \
backward.";

impl<T: Element> Tensor<T> {
    /// Computes the gradient of this scalar with respect to every leaf that requires one,
    /// accumulating into their `.grad` (`loss.backward()`).
    ///
    /// Panics if the tensor is not a scalar (use [`Tensor::backward_with`] with a `gradient`), if
    /// it does not require a gradient, or if its graph was already freed by an earlier backward.
    pub fn backward(&self) {
        self.backward_with(BackwardOptions::new());
    }

    /// [`Tensor::backward`] with PyTorch's options (`gradient`, `retain_graph`, `create_graph`).
    pub fn backward_with(&self, opts: BackwardOptions<'_, T>) {
        assert!(
            self.requires_grad(),
            "backward: element 0 of tensors does not require grad and does not have a grad_fn \
             (shape {:?}); call .requires_grad_(true) on the leaves you want gradients for, and \
             don't compute the loss inside no_grad",
            self.shape()
        );
        let seed = match opts.gradient {
            Some(g) => {
                assert!(
                    g.shape() == self.shape(),
                    "backward: mismatch in shape: gradient has shape {:?} but the output has shape \
                     {:?}; pass a gradient of the output's shape",
                    g.shape(),
                    self.shape()
                );
                g
            }
            None => {
                assert!(
                    self.numel() == 1,
                    "backward: grad can be implicitly created only for scalar outputs, but this \
                     output has shape {:?}; reduce it first (e.g. .sum() or .mean()) or pass a \
                     gradient with BackwardOptions::new().gradient(..)",
                    self.shape()
                );
                Tensor::ones(&self.shape())
            }
        };
        let retain = opts.retain_graph.unwrap_or(opts.create_graph);
        run_backward(
            &[(self.clone(), seed)],
            retain,
            opts.create_graph,
            None,
            opts.observer,
        );
    }
}

/// Gradients of `outputs` with respect to `inputs`, returned instead of accumulated into
/// `.grad` (`torch.autograd.grad`). `grad_outputs` defaults to ones for scalar outputs.
/// With `create_graph` the results are differentiable (and the graph is retained).
///
/// ```
/// use tapegrad_autograd::{grad, Tensor};
/// let x = Tensor::from_vec(vec![2.0f64], &[1]).requires_grad_(true);
/// let y = x.pow(3.0).sum();
/// let dy = grad(&[y], &[x.clone()], None, true)[0].clone().unwrap(); // 3x² = 12
/// let d2y = grad(&[dy.sum()], &[x.clone()], None, false)[0].clone().unwrap(); // 6x = 12
/// assert_eq!((dy.item(), d2y.item()), (12.0, 12.0));
/// assert!(x.grad().is_none());
/// ```
pub fn grad<T: Element>(
    outputs: &[Tensor<T>],
    inputs: &[Tensor<T>],
    grad_outputs: Option<&[Tensor<T>]>,
    create_graph: bool,
) -> Vec<Option<Tensor<T>>> {
    if let Some(gs) = grad_outputs {
        assert!(
            gs.len() == outputs.len(),
            "grad: grad_outputs has {} tensors but there are {} outputs; pass one gradient per \
             output",
            gs.len(),
            outputs.len()
        );
    }
    let roots: Vec<(Tensor<T>, Tensor<T>)> = outputs
        .iter()
        .enumerate()
        .map(|(i, o)| {
            assert!(
                o.requires_grad(),
                "grad: output {i} does not require grad and does not have a grad_fn"
            );
            let g = match grad_outputs {
                Some(gs) => {
                    assert!(
                        gs[i].shape() == o.shape(),
                        "grad: Mismatch in shape: grad_output[{i}] has a shape of {:?} and \
                         output[{i}] has a shape of {:?}; pass a gradient of the output's shape",
                        gs[i].shape().as_slice(),
                        o.shape().as_slice()
                    );
                    gs[i].clone()
                }
                None => {
                    assert!(
                        o.numel() == 1,
                        "grad: grad can be implicitly created only for scalar outputs; output {i} \
                         has shape {:?}, pass grad_outputs",
                        o.shape()
                    );
                    Tensor::ones(&o.shape())
                }
            };
            (o.clone(), g)
        })
        .collect();
    let captured = run_backward(&roots, create_graph, create_graph, Some(inputs), None);
    inputs
        .iter()
        .map(|t| captured.get(&t.id()).cloned())
        .collect()
}

/// A tensor of the walk, with the node that produced it (`None` for a leaf), read once, and
/// where the places of its inputs are listed (`Order::inputs[first..first + len]`).
struct Visit<T: Element> {
    /// `None` once the walk is past it (see `run_backward`).
    tensor: Option<Tensor<T>>,
    node: Option<Arc<Node<T>>>,
    first: u32,
    len: u32,
    /// Its inputs were pushed (the depth-first search's "visited").
    opened: bool,
}

/// In `Order::inputs`: an input that needs no gradient.
const NO_PLACE: u32 = u32::MAX;

/// The place of input `i` among an op's input places, `None` where it has none.
#[inline]
fn input_place(places: &[u32], i: usize) -> Option<usize> {
    places
        .get(i)
        .filter(|&&p| p != NO_PLACE)
        .map(|&p| p as usize)
}

/// The graph below the roots: every tensor once, at its place (the order it was first reached
/// in), and the places in an order where each tensor follows everything computed from it.
/// (Kept small: glibc serves blocks up to about 1 KiB from its per-thread cache.)
struct Order<T: Element> {
    visits: Vec<Visit<T>>,
    /// The places of each visit's inputs, in the op's order ([`NO_PLACE`] where none).
    inputs: Vec<u32>,
    order: Vec<u32>,
    roots: SmallVec<[u32; 2]>,
}

/// The place of `t` in `visits`, given one if it has none yet.
fn place<T: Element>(t: &Tensor<T>, visits: &mut Vec<Visit<T>>, places: &mut IdMap<u32>) -> u32 {
    let next = u32::try_from(visits.len()).expect("backward: more than 2^32 tensors in one graph");
    let at = *places.entry(t.id()).or_insert(next);
    if at == next {
        visits.reserve(1);
        // `push` builds the record on the stack and copies it with wider loads than the stores
        // that built it (a store-forwarding stall, a third of this function's time); written
        // in place instead.
        // SAFETY: `reserve` made room for one more record past `len`, written in full before
        // the length covers it.
        unsafe {
            visits.as_mut_ptr().add(at as usize).write(Visit {
                tensor: Some(t.clone()),
                node: None,
                first: 0,
                len: 0,
                opened: false,
            });
            visits.set_len(at as usize + 1);
        }
    }
    at
}

/// Orders the graph below `roots` (an iterative depth-first search, each tensor placed after
/// its inputs, then reversed), reading each node and its inputs once.
fn topological_order<T: Element>(roots: &[(Tensor<T>, Tensor<T>)]) -> Order<T> {
    let mut visits = Vec::with_capacity(32);
    let mut places = IdMap::with_capacity_and_hasher(28, Default::default());
    let mut inputs = Vec::with_capacity(64);
    let mut order = Vec::with_capacity(32);
    let root_places: SmallVec<[u32; 2]> = roots
        .iter()
        .map(|(t, _)| place(t, &mut visits, &mut places))
        .collect();
    // A place to open (`false`), or one opened whose inputs are all ordered once it comes
    // back up the stack (`true`). A place is pushed again by each consumer opened before it
    // is, so that it finishes before all of them.
    let mut stack: Vec<(u32, bool)> = Vec::with_capacity(32);
    stack.extend(root_places.iter().map(|&p| (p, false)));
    while let Some((at, done)) = stack.pop() {
        let visit = &mut visits[at as usize];
        if done {
            order.push(at);
            continue;
        }
        if visit.opened {
            continue;
        }
        visit.opened = true;
        let Some(node) = visit.tensor.as_ref().and_then(Tensor::node) else {
            order.push(at);
            continue;
        };
        stack.push((at, true));
        let first = inputs.len();
        {
            let saved = node.inputs.lock();
            let saved = saved.as_ref().unwrap_or_else(|| panic!("{FREED_MSG}"));
            for inp in saved {
                if !inp.requires_grad() {
                    inputs.push(NO_PLACE);
                    continue;
                }
                let p = place(inp, &mut visits, &mut places);
                if !visits[p as usize].opened {
                    stack.push((p, false));
                }
                inputs.push(p);
            }
        }
        let visit = &mut visits[at as usize];
        visit.node = Some(node);
        visit.first = first as u32;
        visit.len = (inputs.len() - first) as u32;
    }
    order.reverse();
    Order {
        visits,
        inputs,
        order,
        roots: root_places,
    }
}

/// Which of an op's inputs need a gradient. Up to three are written inline from registers
/// (`collect` builds the vector out of line and reads it back with wider loads than it
/// stored, a store-forwarding stall at every op of the walk).
fn needs_grad<T: Element>(inputs: &[Tensor<T>]) -> SmallVec<[bool; 3]> {
    let n = inputs.len();
    if n > 3 {
        return inputs.iter().map(|i| i.requires_grad()).collect();
    }
    let r = |i: usize| i < n && inputs[i].requires_grad();
    SmallVec::from_buf_and_len([r(0), r(1), r(2)], n)
}

/// `acc += g` in place (one pass over row-major slices when the shapes are equal, ndarray's
/// broadcasting `+=` otherwise).
fn add_into<T: Element>(acc: &Tensor<T>, g: &Tensor<T>) {
    if acc.inner.layout.shape == g.inner.layout.shape {
        acc.update_slices(g, |a, g| a.iter_mut().zip(g).for_each(|(a, &g)| *a += g));
    } else {
        acc.update_from(g, |mut a, g| a += &g);
    }
}

/// `acc + g`, in place when nobody else holds `acc` and no graph is being built.
fn accumulate<T: Element>(acc: Tensor<T>, g: &Tensor<T>, create_graph: bool) -> Tensor<T> {
    if create_graph || acc.requires_grad() {
        return &acc + g;
    }
    if acc.is_sole_owner() {
        add_into(&acc, g);
        acc
    } else {
        no_grad(|| &acc + g)
    }
}

fn accumulate_into_grad<T: Element>(t: &Tensor<T>, g: Tensor<T>, create_graph: bool) {
    if create_graph {
        crate::warnings::warn_once(crate::warnings::Warning::BackwardCreateGraphCycle);
    }
    // The first gradient of a step (after `zero_grad`) moves in under one lock of `.grad`,
    // instead of a read and then a write. No other lock is taken while it is held.
    let old = {
        let mut slot = t.inner.grad.lock().unwrap_or_else(|e| e.into_inner());
        if slot.is_none() && !create_graph && g.is_sole_owner() {
            *slot = Some(g);
            return;
        }
        slot.clone()
    };
    let new = match old {
        None if create_graph => g,
        None => g.clone_tensor(),
        Some(old) if create_graph || old.requires_grad() => &old + &g,
        Some(old) => {
            add_into(&old, &g);
            return;
        }
    };
    t.set_grad(Some(new));
}

pub(crate) fn run_backward<T: Element>(
    roots: &[(Tensor<T>, Tensor<T>)],
    retain_graph: bool,
    create_graph: bool,
    capture: Option<&[Tensor<T>]>,
    mut observer: Option<Observer<'_, T>>,
) -> IdMap<Tensor<T>> {
    let Order {
        mut visits,
        inputs: input_places,
        order,
        roots: root_places,
    } = topological_order(roots);
    let capture_ids: IdSet = capture.unwrap_or(&[]).iter().map(|t| t.id()).collect();
    let mut captured = IdMap::default();
    // The gradient summed so far for each place.
    let mut grads: Vec<Option<Tensor<T>>> = Vec::with_capacity(visits.len());
    grads.resize_with(visits.len(), || None);
    for (&at, (_, g)) in root_places.iter().zip(roots) {
        let at = at as usize;
        let g = match grads[at].take() {
            Some(acc) => accumulate(acc, g, create_graph),
            None => g.clone(),
        };
        grads[at] = Some(g);
    }

    for &at in &order {
        let Some(g) = grads[at as usize].take() else {
            continue;
        };
        let visit = &mut visits[at as usize];
        let places = &input_places[visit.first as usize..(visit.first + visit.len) as usize];
        // The walk's handles on this tensor and its node go at the end of this step, so that
        // each intermediate tensor is freed as soon as the walk is past it, between the
        // allocations of the gradients, instead of all at once when the walk ends: a burst of
        // same-sized frees overflows glibc's per-thread cache (7 blocks a size), and the next
        // step's allocations come from its slower shared lists (the lecture step ran 5-8 %
        // faster on Sapphire Rapids with this; docs/performance.md, "The small-op path").
        let (Some(t), node) = (visit.tensor.take(), visit.node.take()) else {
            continue;
        };
        let t = &t;
        let g = t.run_hooks(g);
        if capture_ids.contains(&t.id()) {
            captured.insert(t.id(), g.clone());
        }
        let Some(node) = &node else {
            if capture.is_none() {
                accumulate_into_grad(t, g, create_graph);
            }
            continue;
        };
        if t.retains_grad() && capture.is_none() {
            accumulate_into_grad(t, g.clone(), create_graph);
        }
        // Without retain_graph the saved inputs are moved out (freeing the graph as we go);
        // with it they are cloned and stay.
        let inputs = if retain_graph {
            node.inputs()
        } else {
            node.take_inputs()
        }
        .unwrap_or_else(|| panic!("{FREED_MSG}"));
        crate::graph::check_versions(node, t, &inputs);
        // A view of a region: its gradient goes straight into the input's sum when this walk
        // owns it (no input-sized zeros per view; see `Op::add_grad_into`).
        if !create_graph && observer.is_none() && !anomaly::is_enabled() && inputs.len() == 1 {
            if let Some(acc) = input_place(places, 0).and_then(|p| grads[p].as_ref()) {
                if !acc.requires_grad()
                    && acc.is_sole_owner()
                    && !acc.inner.layout.has_overlap()
                    && node.op.add_grad_into(&g, acc)
                {
                    continue;
                }
            }
        }
        let ctx = BackwardCtx {
            inputs: &inputs,
            output: t,
            grad: &g,
            needs: needs_grad(&inputs),
            grad_reusable: !create_graph && observer.is_none() && !anomaly::is_enabled(),
        };
        let input_grads = {
            let _mode = GradModeGuard::new(create_graph);
            anomaly::in_backward_rule(|| node.op.backward(&ctx))
        };
        if let Some(obs) = observer.as_mut() {
            obs(&BackwardStep {
                tensor: t,
                op: node.op.name(),
                rule: node.op.rule(),
                grad: &g,
                inputs: &inputs,
                input_grads: &input_grads,
            });
        }
        for (i, (inp, ig)) in inputs.iter().zip(input_grads).enumerate() {
            let Some(ig) = ig else { continue };
            // An input that needed no gradient when the graph was ordered has no place.
            let Some(at) = input_place(places, i) else {
                continue;
            };
            if !inp.requires_grad() {
                continue;
            }
            // A rule returning a wrong shape is a bug in that rule, not in the user's program:
            // checked in debug builds (and so in every test run), free in release builds.
            debug_assert!(
                ig.shape() == inp.shape(),
                "internal error in {}: gradient for input {i} has shape {:?} but the input has \
                 shape {:?}",
                node.op.name(),
                ig.shape(),
                inp.shape()
            );
            if anomaly::is_enabled() {
                anomaly::check_backward(node.op.name(), i, &ig.data());
            }
            let acc = match grads[at].take() {
                Some(acc) => accumulate(acc, &ig, create_graph),
                None => ig,
            };
            grads[at] = Some(acc);
        }
    }
    captured
}
