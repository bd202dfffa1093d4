//! The [`Optimizer`] trait, the [`Algorithm`] trait an optimizer file implements, and [`Optim`],
//! the machinery written once for every algorithm: parameter groups with per-group
//! hyper-parameters, one state slot per parameter, the loop over parameters that have a gradient,
//! `zero_grad`, `add_param_group`, `state_dict` / `load_state_dict`.
//!
//! An optimizer is `Optim<Its Algorithm>`: its file holds PyTorch's pseudo-code, its config
//! (with PyTorch's checks and messages), its per-parameter state and its update kernel, and
//! `lib.rs` names it (`pub type Adam<T = f32> = Optim<AdamAlgorithm, T>`). This file knows no
//! optimizer.

use crate::error::OptimError;
use crate::param_group::{Hyperparameters, ParamGroup};
use crate::state::{OptimizerStateDict, SavedParamGroup, SavedParamState};
use rayon::prelude::*;
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

/// `optimizer.zero_grad(set_to_none)` for one parameter: drops its gradient, or zeroes it in
/// place (keeping the buffer).
pub(crate) fn clear_grad<T: Element>(p: &Tensor<T>, set_to_none: bool) {
    if set_to_none {
        p.set_grad(None);
    } else {
        p.zero_grad();
    }
}

/// A `torch.optim` optimizer: updates its parameters in place from their `.grad()`.
///
/// The trait is object-safe (`Box<dyn Optimizer>`); a scheduler reaches a group's `lr`,
/// `momentum` or `beta1` through [`Optimizer::group_hyper`] / [`Optimizer::set_group_hyper`].
/// The typed groups (`param_groups()`) are methods of the concrete optimizer ([`Optim`]).
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
    fn zero_grad_with(&mut self, set_to_none: bool);

    /// The number of parameter groups (`len(optimizer.param_groups)`).
    fn num_param_groups(&self) -> usize;

    /// `optimizer.param_groups[group][name]`: a hyper-parameter by PyTorch name (`"lr"`,
    /// `"momentum"`, `"beta1"`, flags as 0.0 / 1.0; `"initial_lr"` once a scheduler set it);
    /// `None` if the optimizer has no such hyper-parameter. Panics if `group` is out of range.
    fn group_hyper(&self, group: usize, name: &str) -> Option<f64>;

    /// `optimizer.param_groups[group][name] = value` for a number (`"lr"`, `"momentum"`,
    /// `"beta1"`, `"initial_lr"`), not re-checked (as in PyTorch); an unknown name or a flag is
    /// an error and changes nothing. Panics if `group` is out of range.
    fn set_group_hyper(&mut self, group: usize, name: &str, value: f64) -> Result<(), OptimError>;

    /// The learning rate of group 0.
    fn lr(&self) -> f64 {
        self.group_hyper(0, "lr")
            .expect("every optimizer has an lr")
    }

    /// Sets the learning rate of every group.
    fn set_lr(&mut self, lr: f64) {
        for g in 0..self.num_param_groups() {
            self.set_group_hyper(g, "lr", lr)
                .unwrap_or_else(|e| panic!("set_lr({lr}): {e}"));
        }
    }

    /// `optimizer.state_dict()`: copies of every buffer and step count plus the groups'
    /// hyper-parameters.
    fn state_dict(&self) -> OptimizerStateDict<T>;

    /// `optimizer.load_state_dict(sd)`: restores buffers, step counts and hyper-parameters
    /// (the parameters themselves stay those of this optimizer). The group count, group sizes
    /// and buffer shapes must match.
    fn load_state_dict(&mut self, state: &OptimizerStateDict<T>) -> Result<(), OptimError>;

    /// PyTorch's class name (`"SGD"`, `"Adagrad"`, `"RMSprop"`, `"Adam"`, `"AdamW"`, ...).
    fn name(&self) -> &'static str;
}

/// Per-parameter optimizer state that can be saved as named tensors (PyTorch's
/// `optimizer.state[p]`).
pub trait ParamState<T: Element>: Sized + Send {
    /// The buffers by PyTorch name; `shape` is the parameter's.
    fn save(&self, shape: &[usize]) -> Vec<(String, Tensor<T>)>;
    /// Rebuilds the state from saved buffers (every name known, shapes = `shape`); a malformed
    /// value is an error, never a panic.
    fn load(values: &[(String, Tensor<T>)], shape: &[usize]) -> Result<Self, OptimError>;
}

/// What an optimizer file defines: its name, config, state and update kernel. [`Optim`] does
/// the rest.
pub trait Algorithm: 'static {
    /// PyTorch's class name.
    const NAME: &'static str;
    /// The hyper-parameters of one group.
    type Config: Hyperparameters;
    /// One parameter's state.
    type State<T: Element>: ParamState<T>;

    /// The state a parameter gets when it joins the optimizer (PyTorch's `Adagrad.__init__`
    /// creates it there); `None` (the default) creates it lazily at the first step.
    fn init_state<T: Element>(_config: &Self::Config, _numel: usize) -> Option<Self::State<T>> {
        None
    }

    /// One update of one parameter: its values and gradient as flat row-major slices, and its
    /// state (`None` before its first step).
    fn update<T: Element>(
        config: &Self::Config,
        param: &mut [T],
        grad: &[T],
        state: &mut Option<Self::State<T>>,
    );
}

/// One parameter's state slot, tagged with the tensor it belongs to.
struct Slot<S> {
    id: u64,
    state: Option<S>,
}

/// An optimizer running algorithm `A` on tensors of `T`: the parameter groups (each with `A`'s
/// config) and one state slot per parameter. `SGD`, `Adam`, ... are names for it.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_optim::{Adam, AdamAlgorithm, AdamConfig, Optim, Optimizer};
/// let w: Tensor = Tensor::ones(&[2]).requires_grad_(true);
/// let opt: Optim<AdamAlgorithm> = Adam::new(vec![w], AdamConfig::default())?;
/// assert_eq!((opt.name(), opt.param_groups()[0].options.betas), ("Adam", (0.9, 0.999)));
/// # Ok::<(), tapegrad_optim::OptimError>(())
/// ```
pub struct Optim<A: Algorithm, T: Element = f32> {
    groups: Vec<ParamGroup<T, A::Config>>,
    slots: Vec<Vec<Slot<A::State<T>>>>,
}

impl<A: Algorithm, T: Element> Optim<A, T> {
    /// `Optimizer(params, **config)`: one group.
    pub fn new(
        params: impl IntoIterator<Item = Tensor<T>>,
        config: A::Config,
    ) -> Result<Self, OptimError> {
        Self::with_groups(vec![(params.into_iter().collect(), config)])
    }

    /// Several parameter groups with their own hyper-parameters (PyTorch's list of dicts).
    /// Checks each group (non-empty, leaves only, no parameter twice, valid config).
    pub fn with_groups(groups: Vec<(Vec<Tensor<T>>, A::Config)>) -> Result<Self, OptimError> {
        if groups.is_empty() {
            return Err(OptimError::InvalidParams(
                "optimizer got an empty parameter list".into(),
            ));
        }
        let mut opt = Optim {
            groups: Vec::new(),
            slots: Vec::new(),
        };
        for (params, config) in groups {
            opt.add_param_group(params, config)?;
        }
        Ok(opt)
    }

    /// The parameter groups (`optimizer.param_groups`).
    pub fn param_groups(&self) -> &[ParamGroup<T, A::Config>] {
        &self.groups
    }

    /// Mutable parameter groups, e.g. to change one group's hyper-parameters or tensors (a
    /// tensor keeps its state when moved; a new tensor starts without state).
    pub fn param_groups_mut(&mut self) -> &mut [ParamGroup<T, A::Config>] {
        &mut self.groups
    }

    /// `optimizer.add_param_group({"params": params, **config})`.
    pub fn add_param_group(
        &mut self,
        params: Vec<Tensor<T>>,
        config: A::Config,
    ) -> Result<(), OptimError> {
        self.sync();
        let group = ParamGroup::new(params, config);
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
                    state: A::init_state(&group.options, p.numel()),
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
        let mut old: Vec<Slot<A::State<T>>> = std::mem::take(&mut self.slots)
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

    /// The update of every parameter that has a gradient, with the parameter's values and its
    /// gradient as flat row-major slices. Takes each parameter's write lock once; allocates
    /// nothing unless a gradient is not contiguous. With at least [`PARALLEL_MIN_NUMEL`]
    /// elements in two or more parameters, the parameters are updated in parallel on rayon's
    /// pool: each update reads and writes only its own parameter, gradient and state, so the
    /// result is bit-identical whatever the number of threads.
    fn update_all(&mut self) {
        self.sync();
        let (count, numel) = self
            .groups
            .iter()
            .flat_map(|g| &g.params)
            .fold((0, 0), |(c, n), p| (c + 1, n + p.numel()));
        // One thread (`get_num_threads() == 1`): the caller updates them all, in order.
        if count < 2 || numel < PARALLEL_MIN_NUMEL || tapegrad_autograd::get_num_threads() == 1 {
            for (group, slots) in self.groups.iter().zip(self.slots.iter_mut()) {
                for (p, slot) in group.params.iter().zip(slots.iter_mut()) {
                    update_one::<A, T>(&group.options, p, &mut slot.state);
                }
            }
            return;
        }
        let work: Vec<_> = self
            .groups
            .iter()
            .zip(self.slots.iter_mut())
            .flat_map(|(group, slots)| {
                group
                    .params
                    .iter()
                    .zip(slots.iter_mut())
                    .map(move |(p, slot)| (&group.options, p, &mut slot.state))
            })
            .collect();
        work.into_par_iter()
            .for_each(|(options, p, state)| update_one::<A, T>(options, p, state));
    }

    fn save(&self) -> OptimizerStateDict<T> {
        let mut state = Vec::new();
        let mut param_groups = Vec::new();
        let mut index = 0;
        for (group, slots) in self.groups.iter().zip(&self.slots) {
            let mut params = Vec::new();
            for (p, slot) in group.params.iter().zip(slots) {
                // A slot is current only if it belongs to this tensor (see `sync`).
                if let (Some(s), true) = (&slot.state, slot.id == p.id()) {
                    state.push(SavedParamState {
                        index,
                        values: s.save(&p.shape()),
                    });
                }
                params.push(index);
                index += 1;
            }
            param_groups.push(SavedParamGroup {
                params,
                hyper: group
                    .options
                    .to_pairs()
                    .into_iter()
                    .map(|(n, v)| (n.to_string(), v))
                    .collect(),
            });
        }
        OptimizerStateDict {
            optimizer: A::NAME.to_string(),
            state,
            param_groups,
        }
    }

    /// `load_state_dict()`; on error nothing changes.
    fn load(&mut self, sd: &OptimizerStateDict<T>) -> Result<(), OptimError> {
        let name = A::NAME;
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
        let mut new_states: Vec<(usize, usize, A::State<T>)> = Vec::new();
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
            let state = A::State::<T>::load(&entry.values, &shape)
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

/// Below this many elements in all, a step runs on the calling thread: for small models
/// (the lecture net's 59 parameters) rayon's hand-offs cost more than the updates.
pub const PARALLEL_MIN_NUMEL: usize = 1 << 16;

/// One parameter's update, if it has a gradient: both locks taken once, in the library's lock
/// order, on row-major slices (strided ones go through a copy inside `update_guard`).
#[inline(always)]
fn update_one<A: Algorithm, T: Element>(
    options: &A::Config,
    p: &Tensor<T>,
    state: &mut Option<A::State<T>>,
) {
    let Some(g) = p.grad() else { return };
    let g = checked_grad(p, g);
    let mut guard = p.update_guard(&g);
    let (ps, gs) = guard.slices();
    fma_dispatch!(A::update(options, ps, gs, state));
}

impl<A: Algorithm, T: Element> Optimizer<T> for Optim<A, T> {
    fn step(&mut self) {
        self.update_all();
    }

    fn zero_grad_with(&mut self, set_to_none: bool) {
        for group in &self.groups {
            for p in &group.params {
                clear_grad(p, set_to_none);
            }
        }
    }

    fn num_param_groups(&self) -> usize {
        self.groups.len()
    }

    fn group_hyper(&self, group: usize, name: &str) -> Option<f64> {
        let g = &self.groups[group];
        match name {
            "initial_lr" => g.initial_lr,
            _ => g.options.get(name),
        }
    }

    fn set_group_hyper(&mut self, group: usize, name: &str, value: f64) -> Result<(), OptimError> {
        let g = &mut self.groups[group];
        match name {
            "initial_lr" => g.initial_lr = Some(value),
            _ => g.options.set(name, value)?,
        }
        Ok(())
    }

    fn state_dict(&self) -> OptimizerStateDict<T> {
        self.save()
    }

    fn load_state_dict(&mut self, state: &OptimizerStateDict<T>) -> Result<(), OptimError> {
        self.load(state)
    }

    fn name(&self) -> &'static str {
        A::NAME
    }
}
