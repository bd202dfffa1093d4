//! [`ModuleDict`] (`torch.nn.ModuleDict`).

use crate::Module;
use std::marker::PhantomData;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// Modules registered under names, in insertion order (`torch.nn.ModuleDict`): each is a
/// child with its key as attribute name, so parameters are named `key.weight`. Modules of
/// different types go in a `ModuleDict<Box<dyn Module>>` (the default); indexing by key gives
/// the module back. Like PyTorch's, it has no `forward` of its own.
///
/// ```
/// use tapegrad_nn::{Embedding, LayerNorm, Module, ModuleDict};
/// let mut t: ModuleDict = ModuleDict::new();
/// t.insert("wte", Box::new(Embedding::new(65, 8)));
/// t.insert("ln_f", Box::new(LayerNorm::new(&[8])));
/// let names: Vec<String> = t.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["wte.weight", "ln_f.weight", "ln_f.bias"]);
/// assert_eq!(t["ln_f"].type_name(), "LayerNorm");
/// ```
pub struct ModuleDict<M = Box<dyn Module<f32>>, T: Element = f32> {
    entries: Vec<(String, M)>,
    training: AtomicBool,
    element: PhantomData<fn() -> T>,
}

impl<M: Module<T>, T: Element> ModuleDict<M, T> {
    /// An empty dictionary.
    pub fn new() -> Self {
        ModuleDict {
            entries: Vec::new(),
            training: AtomicBool::new(true),
            element: PhantomData,
        }
    }

    /// Adds (or replaces, keeping its position) the module under `key` (`md[key] = module`).
    pub fn insert(&mut self, key: &str, module: M) {
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = module,
            None => self.entries.push((key.to_string(), module)),
        }
    }

    /// The module under `key`, if any.
    pub fn get(&self, key: &str) -> Option<&M> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, m)| m)
    }

    /// The keys, in insertion order.
    pub fn keys(&self) -> Vec<&str> {
        self.entries.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<M: Module<T>, T: Element> Default for ModuleDict<M, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Module<T>, T: Element> std::ops::Index<&str> for ModuleDict<M, T> {
    type Output = M;
    fn index(&self, key: &str) -> &M {
        self.get(key).unwrap_or_else(|| {
            panic!(
                "ModuleDict: no module named '{key}' (keys: {:?})",
                self.keys()
            )
        })
    }
}

impl<M: Module<T>, T: Element> Module<T> for ModuleDict<M, T> {
    /// Panics: a `ModuleDict` only holds modules (PyTorch's has no `forward` either).
    fn forward(&self, _input: &Tensor<T>) -> Tensor<T> {
        panic!("ModuleDict has no forward: call its modules by key (`dict[\"wte\"].forward(&x)`)")
    }
    fn named_children(&self) -> Vec<(String, &dyn Module<T>)> {
        self.entries
            .iter()
            .map(|(k, m)| (k.clone(), m as &dyn Module<T>))
            .collect()
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
