//! The [`Module`] trait (`torch.nn.Module`): forward, named parameters with PyTorch's dotted
//! names, `zero_grad`, train/eval mode, state dicts and a printable summary like `print(net)`.

use crate::state_dict::{IncompatibleKeys, LoadError, StateDict};
use std::any::Any;
use std::collections::HashSet;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use tapegrad_autograd::{Element, Tensor};

/// A neural-network module (`torch.nn.Module`).
///
/// For your own modules, `#[derive(Module)]` (see [the derive](derive@crate::Module)) writes
/// the implementation from the struct's fields (submodules, `#[module(param)]`,
/// `#[module(buffer)]`), so none can be forgotten; you write `forward` as an inherent method.
/// By hand: implement [`forward`](Module::forward) plus
/// [`named_children`](Module::named_children) (child modules, in declaration order: the
/// [`children!`](crate::children) macro writes it) and/or
/// [`named_own_parameters`](Module::named_own_parameters) /
/// [`named_own_buffers`](Module::named_own_buffers) (this module's own tensors). Everything
/// else (recursive `named_parameters` with PyTorch's dotted names, `named_modules`, `apply`,
/// `requires_grad_`, `zero_grad`, `train`/`eval`, `state_dict`/`load_state_dict`, the
/// `print(net)` summary) is provided. A tensor held by two modules (tied weights) is one
/// parameter in `parameters()` and has both names in `state_dict()`, as in PyTorch.
///
/// ```
/// use tapegrad_nn::{Linear, Module, Sequential, Sigmoid};
/// let net: Sequential = Sequential::new().add(Linear::new(2, 3)).add(Sigmoid::new());
/// let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["0.weight", "0.bias"]);
/// assert_eq!(net.summary(), "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n  (1): Sigmoid()\n)");
/// ```
pub trait Module<T: Element = f32>: AsModule<T> + Send + Sync + 'static {
    /// Computes the module's output (`module(input)` / `module.forward(input)`).
    fn forward(&self, input: &Tensor<T>) -> Tensor<T>;

    /// The direct child modules with their attribute names, in declaration order
    /// (`named_children()`). Default: none.
    fn named_children(&self) -> Vec<(String, &dyn Module<T>)> {
        vec![]
    }

    /// This module's own parameters (not its children's), e.g. `"weight"`, `"bias"`
    /// (`named_parameters(recurse=False)`). Default: none.
    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        vec![]
    }

    /// This module's own buffers (`register_buffer(name, tensor)`), in registration order:
    /// state that is not trained, e.g. BatchNorm's `running_mean`. Persistent buffers (the
    /// default) are saved and loaded with the parameters: in the state dict each module's
    /// buffers follow its own parameters, as in PyTorch. Default: none.
    fn named_own_buffers(&self) -> Vec<(String, Tensor<T>)> {
        vec![]
    }

    /// The names, among [`named_own_buffers`](Module::named_own_buffers), of the buffers that
    /// are *not* persistent (`register_buffer(name, tensor, persistent=False)`, PyTorch's
    /// `_non_persistent_buffers_set`): they are in [`named_buffers`](Module::named_buffers) but
    /// not in [`state_dict`](Module::state_dict), and `load_state_dict` neither expects nor
    /// accepts them. Default: none.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::Module;
    /// struct Masked { mask: Tensor, scale: Tensor }
    /// impl Module for Masked {
    ///     fn forward(&self, x: &Tensor) -> Tensor { x * &self.mask * &self.scale }
    ///     fn named_own_buffers(&self) -> Vec<(String, Tensor)> {
    ///         vec![("mask".into(), self.mask.clone()), ("scale".into(), self.scale.clone())]
    ///     }
    ///     fn non_persistent_buffer_names(&self) -> Vec<String> { vec!["mask".into()] }
    /// }
    /// let m = Masked { mask: Tensor::ones(&[3]), scale: Tensor::ones(&[1]) };
    /// assert_eq!(m.named_buffers().len(), 2);
    /// assert_eq!(m.state_dict().keys(), ["scale"]);
    /// ```
    fn non_persistent_buffer_names(&self) -> Vec<String> {
        vec![]
    }

    /// Every buffer, recursively, with dotted names (`named_buffers()`), persistent or not; a
    /// tensor held by two modules is listed once (at its first name), as PyTorch's.
    ///
    /// ```
    /// use tapegrad_nn::{sequential, BatchNorm1d, Linear, Module, Sequential};
    /// let net: Sequential = sequential![Linear::new(2, 3), BatchNorm1d::new_1d(3)];
    /// let names: Vec<String> = net.named_buffers().into_iter().map(|(n, _)| n).collect();
    /// assert_eq!(names, ["1.running_mean", "1.running_var", "1.num_batches_tracked"]);
    /// ```
    fn named_buffers(&self) -> Vec<(String, Tensor<T>)> {
        let mut out = vec![];
        collect_tensors(self, "", false, Buffers::All, &mut out);
        let mut seen = HashSet::new();
        out.retain(|(_, t)| seen.insert(t.id()));
        out
    }

    /// The text inside this module's parentheses in [`summary`](Module::summary)
    /// (`extra_repr()`), e.g. `in_features=2, out_features=3, bias=True`. Default: empty.
    fn extra_repr(&self) -> String {
        String::new()
    }

    /// The class name shown in the summary (`_get_name()`): by default the Rust type's name
    /// without its path or generic arguments (`Linear`, `MyNet`). Override it to print another
    /// name (e.g. the lecture's lower-case `mynet`).
    fn type_name(&self) -> String {
        short_type_name(std::any::type_name::<Self>())
    }

    /// The flag [`set_training`](Module::set_training) sets on this module itself, for modules
    /// that keep one (every built-in layer does). Default: none (the mode then lives in the
    /// children).
    fn training_flag(&self) -> Option<&AtomicBool> {
        None
    }

    /// Every parameter, recursively, with PyTorch's dotted names and order
    /// (`named_parameters()`): this module's own parameters first, then each child's, in
    /// declaration order. A tensor shared by two modules is listed once (at its first name).
    ///
    /// ```
    /// use tapegrad_nn::{Linear, Module, Sequential, Tanh};
    /// let net: Sequential = Sequential::new().add(Linear::new(4, 8)).add(Tanh::new()).add(Linear::new(8, 1));
    /// let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    /// assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
    /// ```
    fn named_parameters(&self) -> Vec<(String, Tensor<T>)> {
        let mut out = vec![];
        collect_tensors(self, "", true, Buffers::None, &mut out);
        let mut seen = HashSet::new();
        out.retain(|(_, t)| seen.insert(t.id()));
        out
    }

    /// The parameter tensors of [`named_parameters`](Module::named_parameters), as handles
    /// shared with the module (`parameters()`): give them to an optimizer, which updates them
    /// in place.
    ///
    /// ```
    /// use tapegrad_nn::{Linear, Module};
    /// let lin: Linear = Linear::new(3, 2);
    /// let ps = lin.parameters();
    /// assert!(ps[0].same(&lin.weight) && ps[1].same(lin.bias.as_ref().unwrap()));
    /// ```
    fn parameters(&self) -> Vec<Tensor<T>> {
        self.named_parameters()
            .into_iter()
            .map(|(_, t)| t)
            .collect()
    }

    /// Resets every parameter's gradient to `None` (`zero_grad()`, whose default is
    /// `set_to_none=True`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{Linear, Module};
    /// let lin: Linear = Linear::new(2, 1);
    /// lin.forward(&Tensor::ones(&[1, 2])).sum().backward();
    /// assert!(lin.weight.grad().is_some());
    /// lin.zero_grad();
    /// assert!(lin.weight.grad().is_none());
    /// ```
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.set_grad(None);
        }
    }

    /// Sets training mode on this module and every descendant (`train(mode)`).
    fn set_training(&self, mode: bool) {
        if let Some(flag) = self.training_flag() {
            flag.store(mode, Ordering::Relaxed);
        }
        for (_, child) in self.named_children() {
            child.set_training(mode);
        }
    }

    /// Training mode (`train()`); modules start in it.
    fn train(&self) {
        self.set_training(true);
    }

    /// Evaluation mode (`eval()`, i.e. `train(False)`).
    ///
    /// ```
    /// use tapegrad_nn::{Linear, Module, Sequential};
    /// let net: Sequential = Sequential::new().add(Linear::new(2, 2));
    /// assert!(net.is_training());
    /// net.eval();
    /// assert!(!net.is_training() && !net[0].is_training());
    /// net.train();
    /// assert!(net[0].is_training());
    /// ```
    fn eval(&self) {
        self.set_training(false);
    }

    /// Whether the module is in training mode (`module.training`): its own flag, or, for a
    /// module without one, the first flag found among its descendants (true if none).
    fn is_training(&self) -> bool {
        if let Some(flag) = self.training_flag() {
            return flag.load(Ordering::Relaxed);
        }
        match self.named_children().first() {
            Some((_, child)) => child.is_training(),
            None => true,
        }
    }

    /// This module and every descendant with its dotted name, the module itself first under
    /// `""`, then depth first in registration order (`named_modules()`).
    ///
    /// ```
    /// use tapegrad_nn::{sequential, Linear, Module, ReLU, Sequential};
    /// let net: Sequential = sequential![Linear::new(2, 3), sequential![ReLU::new(), Linear::new(3, 1)]];
    /// let names: Vec<String> = net.named_modules().into_iter().map(|(n, _)| n).collect();
    /// assert_eq!(names, ["", "0", "1", "1.0", "1.1"]);
    /// assert_eq!(net.named_modules()[4].1.type_name(), "Linear");
    /// ```
    fn named_modules(&self) -> Vec<(String, &dyn Module<T>)> {
        fn walk<'a, T: Element>(
            m: &'a dyn Module<T>,
            prefix: &str,
            out: &mut Vec<(String, &'a dyn Module<T>)>,
        ) {
            for (name, child) in m.named_children() {
                let full = if prefix.is_empty() {
                    name
                } else {
                    format!("{prefix}.{name}")
                };
                out.push((full.clone(), child));
                walk(child, &full, out);
            }
        }
        let mut out = vec![(String::new(), self.as_module())];
        walk(self.as_module(), "", &mut out);
        out
    }

    /// This module and every descendant, in [`named_modules`](Module::named_modules) order
    /// (`modules()`).
    fn modules(&self) -> Vec<&dyn Module<T>> {
        self.named_modules().into_iter().map(|(_, m)| m).collect()
    }

    /// Calls `f` on every descendant, then on this module: children first, recursively, as
    /// PyTorch's `apply(fn)` (e.g. a custom initialisation; find the layer type with
    /// [`downcast_ref`](trait.Module.html#method.downcast_ref)).
    ///
    /// ```
    /// use tapegrad_nn::{init, sequential, Linear, Module, ReLU, Sequential};
    /// let net: Sequential = sequential![Linear::new(2, 3), ReLU::new(), Linear::new(3, 1)];
    /// // def init_weights(m):
    /// //     if isinstance(m, nn.Linear): nn.init.zeros_(m.bias); nn.init.ones_(m.weight)
    /// // net.apply(init_weights)
    /// let mut visited = vec![];
    /// net.apply(&mut |m| {
    ///     visited.push(m.type_name());
    ///     if let Some(lin) = m.downcast_ref::<Linear>() {
    ///         init::ones_(&lin.weight);
    ///         init::zeros_(lin.bias.as_ref().unwrap());
    ///     }
    /// });
    /// assert_eq!(visited, ["Linear", "ReLU", "Linear", "Sequential"]);
    /// assert_eq!(net.get::<Linear>(2).unwrap().weight.to_vec(), [1.0, 1.0, 1.0]);
    /// ```
    fn apply(&self, f: &mut dyn FnMut(&dyn Module<T>)) {
        for (_, child) in self.named_children() {
            child.apply(f);
        }
        f(self.as_module());
    }

    /// Sets `requires_grad` on every parameter (`requires_grad_(requires_grad)`): `false`
    /// freezes the module (its parameters get no gradient; an optimizer skips them), `true`
    /// unfreezes it.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{sequential, Linear, Module, Sequential};
    /// let net: Sequential = sequential![Linear::new(2, 3), Linear::new(3, 1)];
    /// net[0].requires_grad_(false); // freeze the first layer
    /// net.forward(&Tensor::ones(&[1, 2])).sum().backward();
    /// let grads: Vec<bool> = net.parameters().iter().map(|p| p.grad().is_some()).collect();
    /// assert_eq!(grads, [false, false, true, true]);
    /// ```
    fn requires_grad_(&self, requires_grad: bool) {
        for p in self.parameters() {
            p.set_requires_grad(requires_grad);
        }
    }

    /// A snapshot of every parameter by name (`state_dict()`), in `named_parameters` order
    /// (without removing shared tensors, as PyTorch's). The tensors are detached copies, so
    /// later training does not change a saved snapshot (PyTorch would need `deepcopy` for that).
    ///
    /// ```
    /// use tapegrad_nn::{Linear, Module};
    /// let lin: Linear = Linear::new(2, 3);
    /// let sd = lin.state_dict();
    /// assert_eq!(sd.keys(), ["weight", "bias"]);
    /// assert_eq!(sd.get("weight").unwrap().shape().as_slice(), &[3, 2]);
    /// ```
    fn state_dict(&self) -> StateDict<T> {
        self.state_tensors()
            .into_iter()
            .map(|(n, t)| (n, t.clone_tensor()))
            .collect()
    }

    /// The tensors of the state dict, shared with the module: each module's parameters, then
    /// its persistent buffers, then its children's, with dotted names (duplicates kept, as
    /// PyTorch's state dict keeps both names of a tied weight).
    fn state_tensors(&self) -> Vec<(String, Tensor<T>)> {
        let mut out = vec![];
        collect_tensors(self, "", true, Buffers::Persistent, &mut out);
        out
    }

    /// Copies `state_dict`'s values into this module's parameter tensors, in place
    /// (`load_state_dict(sd, strict=True)`): optimizers holding the parameter handles see the
    /// new values. Missing keys, unexpected keys and shape mismatches are all reported in one
    /// [`LoadError`], worded as PyTorch's; on error nothing is changed.
    ///
    /// ```
    /// use tapegrad_nn::{Linear, Module};
    /// let (a, b): (Linear, Linear) = (Linear::new(2, 3), Linear::new(2, 3));
    /// b.load_state_dict(&a.state_dict()).unwrap();
    /// assert_eq!(a.weight.to_vec(), b.weight.to_vec());
    /// let err = Linear::<f32>::new(3, 3).load_state_dict(&a.state_dict()).unwrap_err();
    /// assert!(err.to_string().contains("size mismatch for weight"));
    /// ```
    fn load_state_dict(&self, state_dict: &StateDict<T>) -> Result<(), LoadError> {
        crate::state_dict::load_into(&self.type_name(), self.state_tensors(), state_dict, true)
            .map(|_| ())
    }

    /// The check of a strict [`load_state_dict`](Module::load_state_dict) (missing,
    /// unexpected and mis-shaped keys, against the state dict's names, tied weights' both names
    /// included), without copying anything: what a caller that must not change the module
    /// before everything else is checked (a checkpoint's restore) runs first.
    fn check_state_dict(&self, state_dict: &StateDict<T>) -> Result<(), LoadError> {
        let params = self.state_tensors();
        crate::state_dict::check_state_dict(&self.type_name(), &params, state_dict, true).map(drop)
    }

    /// Like [`load_state_dict`](Module::load_state_dict) with `strict=False`: loads the
    /// matching keys and returns the missing and unexpected ones; shape mismatches are still an
    /// error (as in PyTorch).
    ///
    /// ```
    /// use tapegrad_nn::{Linear, Module, StateDict};
    /// let lin: Linear = Linear::new(2, 1);
    /// let mut sd = StateDict::new();
    /// sd.insert("weight", tapegrad_autograd::Tensor::ones(&[1, 2]));
    /// let keys = lin.load_state_dict_non_strict(&sd).unwrap();
    /// assert_eq!(keys.missing_keys, ["bias"]);
    /// assert_eq!(lin.weight.to_vec(), [1.0, 1.0]);
    /// ```
    fn load_state_dict_non_strict(
        &self,
        state_dict: &StateDict<T>,
    ) -> Result<IncompatibleKeys, LoadError> {
        crate::state_dict::load_into(&self.type_name(), self.state_tensors(), state_dict, false)
    }

    /// The module tree as PyTorch's `print(net)` shows it.
    ///
    /// ```
    /// use tapegrad_nn::{Linear, Module, ReLU, Sequential};
    /// let net: Sequential = Sequential::new().add(Linear::with_bias(4, 2, false)).add(ReLU::new());
    /// assert_eq!(
    ///     net.summary(),
    ///     "Sequential(\n  (0): Linear(in_features=4, out_features=2, bias=False)\n  (1): ReLU()\n)"
    /// );
    /// ```
    fn summary(&self) -> String {
        format_tree(self.type_name(), self.extra_repr(), self.named_children())
    }

    /// Saves [`state_dict`](Module::state_dict) to a safetensors file PyTorch can read
    /// (`safetensors.torch.save_file(net.state_dict(), path)`), atomically.
    fn save(&self, path: impl AsRef<std::path::Path>) -> Result<(), crate::StateDictError>
    where
        Self: Sized,
    {
        crate::safetensors_io::save_safetensors(&self.state_dict(), path)
    }

    /// Loads a safetensors file (e.g. one PyTorch saved) into this module, strictly.
    ///
    /// ```
    /// use tapegrad_nn::{Linear, Module};
    /// let dir = std::env::temp_dir().join(format!("tapegrad-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let (a, b): (Linear, Linear) = (Linear::new(2, 3), Linear::new(2, 3));
    /// a.save(dir.join("lin.safetensors")).unwrap();
    /// b.load(dir.join("lin.safetensors")).unwrap();
    /// assert_eq!(a.weight.to_vec(), b.weight.to_vec());
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    fn load(&self, path: impl AsRef<std::path::Path>) -> Result<(), crate::StateDictError>
    where
        Self: Sized,
    {
        let sd = crate::safetensors_io::load_safetensors(path)?;
        self.load_state_dict(&sd)?;
        Ok(())
    }
}

/// A boxed module is a module (so `Vec<Box<dyn Module>>` and `Box<dyn Module>` fields work):
/// every method delegates to the boxed value.
///
/// ```
/// use tapegrad_nn::{Linear, Module, Tanh};
/// let layers: Vec<Box<dyn Module>> = vec![Box::new(Linear::new(2, 2)), Box::new(Tanh::new())];
/// assert_eq!(layers[0].type_name(), "Linear");
/// assert_eq!(layers[0].state_dict().keys(), ["weight", "bias"]);
/// ```
impl<T: Element, M: Module<T> + ?Sized + 'static> Module<T> for Box<M> {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        (**self).forward(input)
    }
    fn named_children(&self) -> Vec<(String, &dyn Module<T>)> {
        (**self).named_children()
    }
    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        (**self).named_own_parameters()
    }
    fn named_own_buffers(&self) -> Vec<(String, Tensor<T>)> {
        (**self).named_own_buffers()
    }
    fn non_persistent_buffer_names(&self) -> Vec<String> {
        (**self).non_persistent_buffer_names()
    }
    fn extra_repr(&self) -> String {
        (**self).extra_repr()
    }
    fn type_name(&self) -> String {
        (**self).type_name()
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        (**self).training_flag()
    }
    fn set_training(&self, mode: bool) {
        (**self).set_training(mode)
    }
    fn is_training(&self) -> bool {
        (**self).is_training()
    }
}

/// The upcasts every module has (a supertrait of [`Module`], implemented automatically for
/// every sized `'static` module type, so nothing to write): to `&dyn Module` and to
/// `&dyn Any` (for downcasting back to the concrete layer type, see
/// [`downcast_ref`](trait.Module.html#method.downcast_ref)).
pub trait AsModule<T: Element> {
    /// `self` as a module trait object.
    fn as_module(&self) -> &dyn Module<T>;
    /// `self` as `Any`, for `downcast_ref::<Linear>()` and the like.
    fn as_any(&self) -> &dyn Any;
}

impl<T: Element, M: Module<T> + 'static> AsModule<T> for M {
    fn as_module(&self) -> &dyn Module<T> {
        self
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl<T: Element> dyn Module<T> + '_ {
    /// The concrete module, if it is an `M` (`isinstance(m, M)` then use it as one), looking
    /// through a `Box<dyn Module>`.
    ///
    /// ```
    /// use tapegrad_nn::{Linear, Module, ReLU};
    /// let layers: Vec<Box<dyn Module>> = vec![Box::new(Linear::new(2, 3)), Box::new(ReLU::new())];
    /// assert_eq!(layers[0].downcast_ref::<Linear>().unwrap().out_features, 3);
    /// assert!(layers[1].downcast_ref::<Linear>().is_none());
    /// ```
    pub fn downcast_ref<M: 'static>(&self) -> Option<&M> {
        let any = self.as_any();
        match any.downcast_ref::<M>() {
            Some(m) => Some(m),
            None => any
                .downcast_ref::<Box<dyn Module<T>>>()
                .and_then(|b| (**b).downcast_ref::<M>()),
        }
    }
}

/// Which buffers [`collect_tensors`] gathers.
#[derive(Clone, Copy, PartialEq)]
enum Buffers {
    None,
    All,
    Persistent,
}

/// `m`'s own parameters (if `params`), its own buffers (as `buffers` says), then each child's,
/// recursively, with dotted names after `prefix` (duplicates kept).
fn collect_tensors<T: Element, M: Module<T> + ?Sized>(
    m: &M,
    prefix: &str,
    params: bool,
    buffers: Buffers,
    out: &mut Vec<(String, Tensor<T>)>,
) {
    if params {
        out.extend(
            m.named_own_parameters()
                .into_iter()
                .map(|(n, t)| (format!("{prefix}{n}"), t)),
        );
    }
    if buffers != Buffers::None {
        let skip = if buffers == Buffers::Persistent {
            m.non_persistent_buffer_names()
        } else {
            vec![]
        };
        out.extend(
            m.named_own_buffers()
                .into_iter()
                .filter(|(n, _)| !skip.contains(n))
                .map(|(n, t)| (format!("{prefix}{n}"), t)),
        );
    }
    for (name, child) in m.named_children() {
        collect_tensors(child, &format!("{prefix}{name}."), params, buffers, out);
    }
}

/// PyTorch's `Module.__repr__`.
fn format_tree<T: Element>(
    type_name: String,
    extra_repr: String,
    children: Vec<(String, &dyn Module<T>)>,
) -> String {
    let extra_lines: Vec<String> = if extra_repr.is_empty() {
        vec![]
    } else {
        extra_repr.split('\n').map(str::to_string).collect()
    };
    let child_lines: Vec<String> = children
        .into_iter()
        .map(|(key, m)| format!("({key}): {}", add_indent(&m.summary(), 2)))
        .collect();
    let mut main = format!("{type_name}(");
    if extra_lines.len() == 1 && child_lines.is_empty() {
        main.push_str(&extra_lines[0]);
    } else if !extra_lines.is_empty() || !child_lines.is_empty() {
        let lines: Vec<String> = extra_lines.into_iter().chain(child_lines).collect();
        main.push_str("\n  ");
        main.push_str(&lines.join("\n  "));
        main.push('\n');
    }
    main.push(')');
    main
}

/// PyTorch's `_addindent`: indents every line but the first.
fn add_indent(s: &str, spaces: usize) -> String {
    let mut lines = s.split('\n');
    let first = lines.next().unwrap_or("").to_string();
    let pad = " ".repeat(spaces);
    lines.fold(first, |acc, l| format!("{acc}\n{pad}{l}"))
}

/// `a::b::Linear<f32>` -> `Linear`.
pub(crate) fn short_type_name(full: &str) -> String {
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base).to_string()
}

impl<T: Element> fmt::Display for dyn Module<T> + '_ {
    /// Prints [`Module::summary`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

impl<T: Element> fmt::Debug for dyn Module<T> + '_ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

/// Writes [`Module::named_children`] from field names, in order:
/// `children![self; hide1, hide2, out]` is
/// `vec![("hide1".into(), &self.hide1 as &dyn Module<_>), ...]`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{children, Linear, Module, ReLU};
/// struct Two { fc: Linear, act: ReLU }
/// impl Module for Two {
///     fn forward(&self, x: &Tensor) -> Tensor { self.act.forward(&self.fc.forward(x)) }
///     fn named_children(&self) -> Vec<(String, &dyn Module)> { children![self; fc, act] }
/// }
/// let m = Two { fc: Linear::new(2, 2), act: ReLU::new() };
/// assert_eq!(m.state_dict().keys(), ["fc.weight", "fc.bias"]);
/// ```
#[macro_export]
macro_rules! children {
    ($self:ident; $($field:ident),* $(,)?) => {
        vec![$((::std::string::String::from(stringify!($field)), &$self.$field as &dyn $crate::Module<_>)),*]
    };
}

/// Writes [`Module::named_own_parameters`] from tensor fields, in order:
/// `parameters![self; weight, scale]`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{parameters, Module};
/// struct Scale { scale: Tensor }
/// impl Module for Scale {
///     fn forward(&self, x: &Tensor) -> Tensor { x * &self.scale }
///     fn named_own_parameters(&self) -> Vec<(String, Tensor)> { parameters![self; scale] }
/// }
/// let m = Scale { scale: Tensor::ones(&[1]).requires_grad_(true) };
/// assert_eq!(m.named_parameters()[0].0, "scale");
/// ```
#[macro_export]
macro_rules! parameters {
    ($self:ident; $($field:ident),* $(,)?) => {
        vec![$((::std::string::String::from(stringify!($field)), $self.$field.clone())),*]
    };
}
