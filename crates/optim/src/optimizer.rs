//! The [`Optimizer`] trait and the machinery every optimizer shares: parameter groups with
//! per-parameter state slots, the loop over parameters that have a gradient, and
//! `state_dict` / `load_state_dict`.

use crate::error::{saved_integer, OptimError, MAX_SAVED_COUNT};
use crate::param_group::{GroupOptions, ParamGroup};
use crate::state::{GroupState, OptimizerState, ParamStateEntry};
use std::collections::HashSet;
use tapegrad_autograd::{Element, Tensor};

/// The gradient of `p`, checked to have its element count, and copied if it shares the
/// parameter's storage (the update reads it while writing the parameter).
#[inline(never)]
fn checked_grad<T: Element>(p: &Tensor<T>, g: Tensor<T>) -> Tensor<T> {
    if p.numel() != g.numel() {
        let (pshape, gshape) = (p.shape(), g.shape());
        panic!(
            "optimizer step: the gradient of a parameter of shape {:?} has shape {:?}; a \
             parameter's .grad() must have the parameter's shape (set_grad with a tensor of that \
             shape)",
            pshape.as_slice(),
            gshape.as_slice()
        );
    }
    if g.shares_storage(p) {
        g.clone_tensor()
    } else {
        g
    }
}

/// Runs `$body` compiled twice: once for the baseline CPU and once with AVX2 and FMA enabled,
/// chosen at run time. The update rules use fused multiply-adds (as ATen's CPU kernels do);
/// without the FMA feature each one is a library call (`fmaf`), with it one instruction, and
/// the loops vectorise. Both builds compute the same bits: a fused multiply-add is exact
/// either way.
macro_rules! fma_dispatch {
    ($body:expr) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn with_fma<R>(f: impl FnOnce() -> R) -> R {
                f()
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                unsafe { with_fma(|| $body) }
            } else {
                $body
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            $body
        }
    }};
}
pub(crate) use fma_dispatch;

/// A `torch.optim` optimizer: updates its parameters in place from their `.grad()`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Optimizer, SgdConfig, SGD};
/// // minimise (w - 3)^2 from w = 0
/// let w: Tensor = Tensor::zeros(&[1]).requires_grad_(true);
/// let mut opt = SGD::new(vec![w.clone()], SgdConfig { lr: 0.1, ..Default::default() }).unwrap();
/// for _ in 0..100 {
///     opt.zero_grad();
///     (&w - 3.0).pow(2.0).sum().backward();
///     opt.step();
/// }
/// assert!((w.item() - 3.0).abs() < 1e-4);
/// ```
pub trait Optimizer<T: Element = f32> {
    /// One update of every parameter that has a gradient (`optimizer.step()`); parameters whose
    /// `.grad()` is `None` are skipped and their state is untouched.
    fn step(&mut self);

    /// Clears every parameter's gradient (`optimizer.zero_grad()`, PyTorch's default
    /// `set_to_none=True`).
    fn zero_grad(&mut self) {
        self.zero_grad_with(true)
    }

    /// `optimizer.zero_grad(set_to_none)`: `true` drops the gradients, `false` zeroes them in
    /// place (keeping the buffers).
    fn zero_grad_with(&mut self, set_to_none: bool) {
        for group in self.param_groups() {
            for p in &group.params {
                if set_to_none {
                    p.set_grad(None);
                } else {
                    p.zero_grad();
                }
            }
        }
    }

    /// The parameter groups (`optimizer.param_groups`).
    fn param_groups(&self) -> &[ParamGroup<T>];

    /// Mutable parameter groups, e.g. to change one group's learning rate.
    fn param_groups_mut(&mut self) -> &mut [ParamGroup<T>];

    /// The learning rate of group 0.
    fn lr(&self) -> f64 {
        self.param_groups()[0].lr()
    }

    /// Sets the learning rate of every group.
    fn set_lr(&mut self, lr: f64) {
        for g in self.param_groups_mut() {
            g.set_lr(lr);
        }
    }

    /// `optimizer.state_dict()`: copies of every buffer and step count plus the groups'
    /// hyper-parameters.
    fn state_dict(&self) -> OptimizerState<T>;

    /// `optimizer.load_state_dict(sd)`: restores buffers, step counts and hyper-parameters
    /// (the parameters themselves stay those of this optimizer). The group count, group sizes
    /// and buffer shapes must match.
    fn load_state_dict(&mut self, state: &OptimizerState<T>) -> Result<(), OptimError>;

    /// PyTorch's class name (`"SGD"`, `"Adagrad"`, `"RMSprop"`, `"Adam"`, `"AdamW"`).
    fn name(&self) -> &'static str;
}

/// Per-parameter optimizer state that can be saved as named tensors.
pub(crate) trait ParamState<T: Element>: Sized {
    /// The buffers by PyTorch name; `shape` is the parameter's.
    fn save(&self, shape: &[usize]) -> Vec<(String, Tensor<T>)>;
    /// Rebuilds the state from saved buffers (every name known, shapes = `shape`).
    fn load(
        values: &[(String, Tensor<T>)],
        shape: &[usize],
        options: &GroupOptions,
    ) -> Result<Self, OptimError>;
}

/// A state buffer as a tensor of the parameter's shape.
pub(crate) fn buf_tensor<T: Element>(buf: &[T], shape: &[usize]) -> Tensor<T> {
    Tensor::from_vec(buf.to_vec(), shape)
}

/// A step count as a 0-d tensor (PyTorch keeps `state["step"]` as a 0-d float tensor).
pub(crate) fn step_tensor<T: Element>(step: u64) -> Tensor<T> {
    Tensor::scalar(T::from_f64(step as f64))
}

/// Checks that `values` holds only names in `known`.
pub(crate) fn check_names<T: Element>(
    values: &[(String, Tensor<T>)],
    known: &[&str],
) -> Result<(), OptimError> {
    match values.iter().find(|(n, _)| !known.contains(&n.as_str())) {
        Some((n, _)) => Err(OptimError::StateDict(format!(
            "unexpected state entry '{n}' (expected {known:?})"
        ))),
        None => Ok(()),
    }
}

/// The buffer `name` from `values`, checked against the parameter's shape.
pub(crate) fn load_buf<T: Element>(
    values: &[(String, Tensor<T>)],
    name: &str,
    shape: &[usize],
) -> Result<Vec<T>, OptimError> {
    let t = values
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, t)| t)
        .ok_or_else(|| OptimError::StateDict(format!("missing state entry '{name}'")))?;
    if t.shape().as_slice() != shape {
        return Err(OptimError::StateDict(format!(
            "state entry '{name}' has shape {:?}, the parameter has shape {shape:?}",
            t.shape().as_slice()
        )));
    }
    let values = t.to_vec();
    if let Some((k, v)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(OptimError::InvalidValue {
            key: name.to_string(),
            value: v.as_f64(),
            expected: format!("(element {k}) is not a finite number"),
        });
    }
    Ok(values)
}

/// [`load_buf`] for a running sum or average of squares (`exp_avg_sq`, `square_avg`, `sum`):
/// also refuses negative elements, which no run can produce and which make the next step's
/// square root NaN.
pub(crate) fn load_squares_buf<T: Element>(
    values: &[(String, Tensor<T>)],
    name: &str,
    shape: &[usize],
) -> Result<Vec<T>, OptimError> {
    let buf = load_buf(values, name, shape)?;
    if let Some((k, v)) = buf.iter().enumerate().find(|(_, v)| **v < T::zero()) {
        return Err(OptimError::InvalidValue {
            key: name.to_string(),
            value: v.as_f64(),
            expected: format!("(element {k}) is negative; a sum of squares is at least 0"),
        });
    }
    Ok(buf)
}

/// The `step` count from `values`.
pub(crate) fn load_step<T: Element>(values: &[(String, Tensor<T>)]) -> Result<u64, OptimError> {
    let t = values
        .iter()
        .find(|(n, _)| n == "step")
        .map(|(_, t)| t)
        .ok_or_else(|| OptimError::StateDict("missing state entry 'step'".into()))?;
    if t.numel() != 1 {
        return Err(OptimError::StateDict(format!(
            "state entry 'step' has {} elements, expected 1",
            t.numel()
        )));
    }
    // PyTorch keeps the count as a float tensor; a value that is not an exact whole number
    // (NaN, 2.5, -1, 1e20) would make the next step's bias corrections meaningless.
    let v = t.to_vec()[0].as_f64();
    Ok(saved_integer("step", v, 0, MAX_SAVED_COUNT)? as u64)
}

// ---------------------------------------------------------------- PyTorch's CPU arithmetic
//
// PyTorch's x86 CPU kernels are compiled with FMA enabled and floating-point contraction on, and
// some are written with explicit fused multiply-adds, so a multiply followed by an add inside one
// tensor op is a single rounding. These helpers reproduce each op's exact rounding; the golden
// first-step tests (tests/golden_first_step.rs) pin them bit for bit.

/// `self.add_(other, alpha=alpha)`: `fma(alpha, other, self)` (ATen's `ufunc::add`).
#[inline(always)]
pub(crate) fn add_alpha<T: Element>(this: T, other: T, alpha: T) -> T {
    other.mul_add(alpha, this)
}

/// `self.addcmul_(t1, t2, value=value)`: `self + (value·t1)·t2` with the last product and the sum
/// fused.
#[inline(always)]
pub(crate) fn addcmul<T: Element>(this: T, t1: T, t2: T, value: T) -> T {
    (value * t1).mul_add(t2, this)
}

/// `self.addcdiv_(t1, t2, value=value)`: `self + (value·t1)/t2` (a division in between: nothing to
/// fuse).
#[inline(always)]
pub(crate) fn addcdiv<T: Element>(this: T, t1: T, t2: T, value: T) -> T {
    this + value * t1 / t2
}

/// `torch.lerp(start, end, weight)` for one element, as ATen's CPU kernel:
/// `fma(w, end − start, start)` when |w| < 0.5, else `fma(w − 1, end − start, end)`.
#[inline(always)]
pub(crate) fn lerp<T: Element>(start: T, end: T, weight: T) -> T {
    if weight.abs() < T::from_f64(0.5) {
        weight.mul_add(end - start, start)
    } else {
        (weight - T::one()).mul_add(end - start, end)
    }
}

/// One parameter's state slot, tagged with the tensor it belongs to.
struct Slot<S> {
    id: u64,
    state: Option<S>,
}

/// The parameter groups of an optimizer and one state slot per parameter.
pub(crate) struct Core<T: Element, S> {
    pub(crate) groups: Vec<ParamGroup<T>>,
    slots: Vec<Vec<Slot<S>>>,
}

impl<T: Element, S: ParamState<T>> Core<T, S> {
    /// Validates the groups (non-empty, no parameter twice, valid hyper-parameters).
    pub(crate) fn new(groups: Vec<ParamGroup<T>>) -> Result<Self, OptimError> {
        if groups.is_empty() {
            return Err(OptimError::InvalidParams(
                "optimizer got an empty parameter list".into(),
            ));
        }
        let mut core = Core {
            groups: Vec::new(),
            slots: Vec::new(),
        };
        for g in groups {
            core.add_group(g)?;
        }
        Ok(core)
    }

    /// `optimizer.add_param_group(group)`.
    pub(crate) fn add_group(&mut self, group: ParamGroup<T>) -> Result<(), OptimError> {
        group.options.validate()?;
        if group.params.is_empty() {
            return Err(OptimError::InvalidParams(
                "optimizer got an empty parameter list".into(),
            ));
        }
        let mut seen: HashSet<u64> = self
            .groups
            .iter()
            .flat_map(|g| g.params.iter().map(|p| p.id()))
            .collect();
        for p in &group.params {
            if !p.is_leaf() {
                // PyTorch's ValueError: the result of an op is recomputed at every forward
                // pass; updating it in place would not change the model.
                return Err(OptimError::InvalidParams(
                    "can't optimize a non-leaf Tensor (optimize the tensors it was computed \
                     from, or the leaf .detach().requires_grad_(true) makes of it)"
                        .into(),
                ));
            }
            if !seen.insert(p.id()) {
                return Err(OptimError::InvalidParams(
                    "some parameters appear in more than one parameter group".into(),
                ));
            }
        }
        self.slots.push(
            group
                .params
                .iter()
                .map(|p| Slot {
                    id: p.id(),
                    state: None,
                })
                .collect(),
        );
        self.groups.push(group);
        Ok(())
    }

    /// Re-aligns the slots with the groups after a caller edited `param_groups_mut()`: a slot
    /// follows its tensor; a new tensor starts without state.
    fn sync(&mut self) {
        let aligned = self.slots.len() == self.groups.len()
            && self.groups.iter().zip(&self.slots).all(|(g, s)| {
                g.params.len() == s.len() && g.params.iter().zip(s).all(|(p, s)| p.id() == s.id)
            });
        if aligned {
            return;
        }
        let mut old: Vec<Slot<S>> = std::mem::take(&mut self.slots)
            .into_iter()
            .flatten()
            .collect();
        self.slots = self
            .groups
            .iter()
            .map(|g| {
                g.params
                    .iter()
                    .map(|p| {
                        let state = old
                            .iter()
                            .position(|s| s.id == p.id())
                            .and_then(|i| old.swap_remove(i).state);
                        Slot { id: p.id(), state }
                    })
                    .collect()
            })
            .collect();
    }

    /// Calls `update(options, param, grad, state)` for every parameter that has a gradient, with
    /// the parameter's values and its gradient as flat row-major slices. Takes each parameter's
    /// write lock once; allocates nothing unless a gradient is not contiguous.
    #[inline(always)]
    pub(crate) fn for_each_with_grad(
        &mut self,
        mut update: impl FnMut(&GroupOptions, &mut [T], &[T], &mut Option<S>),
    ) {
        self.sync();
        for (group, slots) in self.groups.iter().zip(self.slots.iter_mut()) {
            for (p, slot) in group.params.iter().zip(slots.iter_mut()) {
                let Some(g) = p.grad() else { continue };
                let g = checked_grad(p, g);
                // One fused update under both locks, taken in the library's lock order, on
                // row-major slices (strided ones go through a copy inside `update_guard`).
                let mut guard = p.update_guard(&g);
                let (ps, gs) = guard.slices();
                update(&group.options, ps, gs, &mut slot.state);
            }
        }
    }

    /// Gives every parameter without state the state `init(options, numel)` (Adagrad creates its
    /// state at construction, as PyTorch's `Adagrad.__init__` does).
    pub(crate) fn init_states(&mut self, init: impl Fn(&GroupOptions, usize) -> S) {
        self.sync();
        for (group, slots) in self.groups.iter().zip(self.slots.iter_mut()) {
            for (p, slot) in group.params.iter().zip(slots.iter_mut()) {
                if slot.state.is_none() {
                    slot.state = Some(init(&group.options, p.numel()));
                }
            }
        }
    }

    /// `state_dict()` for an optimizer called `name`.
    pub(crate) fn state_dict(&self, name: &str) -> OptimizerState<T> {
        let mut state = Vec::new();
        let mut param_groups = Vec::new();
        let mut index = 0;
        for (group, slots) in self.groups.iter().zip(&self.slots) {
            let mut params = Vec::new();
            for (p, slot) in group.params.iter().zip(slots) {
                // A slot is current only if it belongs to this tensor (see `sync`).
                if let (Some(s), true) = (&slot.state, slot.id == p.id()) {
                    state.push(ParamStateEntry {
                        index,
                        values: s.save(&p.shape()),
                    });
                }
                params.push(index);
                index += 1;
            }
            param_groups.push(GroupState {
                params,
                hyper: group
                    .options
                    .to_pairs()
                    .into_iter()
                    .map(|(n, v)| (n.to_string(), v))
                    .collect(),
            });
        }
        OptimizerState {
            optimizer: name.to_string(),
            state,
            param_groups,
        }
    }

    /// `load_state_dict()` for an optimizer called `name`; on error nothing changes.
    pub(crate) fn load_state_dict(
        &mut self,
        name: &str,
        sd: &OptimizerState<T>,
    ) -> Result<(), OptimError> {
        if !sd.optimizer.is_empty() && sd.optimizer != name {
            return Err(OptimError::StateDict(format!(
                "the state dict was saved by {}, not {name}",
                sd.optimizer
            )));
        }
        if sd.param_groups.len() != self.groups.len() {
            return Err(OptimError::StateDict(format!(
                "loaded state dict has a different number of parameter groups ({} saved, {} here)",
                sd.param_groups.len(),
                self.groups.len()
            )));
        }
        self.sync();
        let mut options = Vec::with_capacity(self.groups.len());
        // Global index -> (group, position). The saved indices are validated against the number
        // of parameters before use, so a corrupt index (3e9, 1e30) cannot size an allocation.
        let n_params: usize = self.groups.iter().map(|g| g.params.len()).sum();
        let mut positions: Vec<Option<(usize, usize)>> = vec![None; n_params];
        for (gi, (group, saved)) in self.groups.iter().zip(&sd.param_groups).enumerate() {
            if group.params.len() != saved.params.len() {
                return Err(OptimError::StateDict(format!(
                    "loaded state dict contains a parameter group that doesn't match the size of \
                     optimizer's group (group {gi}: {} saved, {} here)",
                    saved.params.len(),
                    group.params.len()
                )));
            }
            let prefix = format!("param_groups.{gi}.");
            options.push(
                group
                    .options
                    .with_pairs(&saved.hyper)
                    .map_err(|e| e.within(&prefix))?,
            );
            for (k, &idx) in saved.params.iter().enumerate() {
                let key = || format!("{prefix}params");
                let slot = positions
                    .get_mut(idx)
                    .ok_or_else(|| OptimError::InvalidValue {
                        key: key(),
                        value: idx as f64,
                        expected: format!(
                            "is not the index of one of the optimizer's {n_params} parameters \
                         (0..{n_params})"
                        ),
                    })?;
                if slot.is_some() {
                    return Err(OptimError::InvalidValue {
                        key: key(),
                        value: idx as f64,
                        expected: "is listed twice (each parameter index appears once)".into(),
                    });
                }
                *slot = Some((gi, k));
            }
        }
        let mut new_states: Vec<(usize, usize, S)> = Vec::new();
        for entry in &sd.state {
            let (gi, k) = positions
                .get(entry.index)
                .copied()
                .flatten()
                .ok_or_else(|| {
                    OptimError::StateDict(format!(
                        "state for parameter {} which no parameter group lists",
                        entry.index
                    ))
                })?;
            let shape = self.groups[gi].params[k].shape();
            let state = S::load(&entry.values, &shape, &options[gi])
                .map_err(|e| e.within(&format!("state.{}.", entry.index)))?;
            new_states.push((gi, k, state));
        }
        for (group, opts) in self.groups.iter_mut().zip(options) {
            group.options = opts;
        }
        for slots in &mut self.slots {
            for s in slots.iter_mut() {
                s.state = None;
            }
        }
        for (gi, k, s) in new_states {
            self.slots[gi][k].state = Some(s);
        }
        Ok(())
    }
}
