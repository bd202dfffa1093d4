//! [`ModuleList`] (`torch.nn.ModuleList`).

use crate::Module;
use std::marker::PhantomData;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// A list of modules of one type, registered as children `"0"`, `"1"`, … so their parameters
/// carry PyTorch's names (`blocks.0.weight`) (`torch.nn.ModuleList`). Indexing gives the
/// concrete module back (`blocks[1].weight`); for modules of different types, use a list of
/// `Box<dyn Module>` (`ModuleList<Box<dyn Module>>`). Like PyTorch's, it has no `forward` of
/// its own: iterate over it.
///
/// ```
/// use tapegrad_nn::{Linear, Module, ModuleList};
/// let blocks: ModuleList<Linear> = (0..3).map(|_| Linear::new(4, 4)).collect();
/// assert_eq!(blocks.len(), 3);
/// assert_eq!(blocks[2].weight.shape().as_slice(), &[4, 4]);
/// let names: Vec<String> = blocks.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names[..2], ["0.weight", "0.bias"]);
/// ```
pub struct ModuleList<M, T: Element = f32> {
    modules: Vec<M>,
    training: AtomicBool,
    element: PhantomData<fn() -> T>,
}

impl<M: Module<T>, T: Element> ModuleList<M, T> {
    /// An empty list.
    pub fn new() -> Self {
        ModuleList {
            modules: Vec::new(),
            training: AtomicBool::new(true),
            element: PhantomData,
        }
    }

    /// Appends a module (`append`).
    pub fn push(&mut self, module: M) {
        self.modules.push(module);
    }

    /// Number of modules.
    pub fn len(&self) -> usize {
        self.modules.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.modules.is_empty()
    }

    /// The module at `index` as the concrete type `L`, if it is one: for a list of boxed
    /// modules of several types (`ModuleList<Box<dyn Module>>`); `list[i]` already gives the
    /// `M` of a list of one type.
    ///
    /// ```
    /// use tapegrad_nn::{Linear, Module, ModuleList, ReLU};
    /// let list: ModuleList<Box<dyn Module>> =
    ///     [Box::new(Linear::new(2, 2)) as Box<dyn Module>, Box::new(ReLU::new())].into_iter().collect();
    /// assert_eq!(list.get::<Linear>(0).unwrap().in_features, 2);
    /// assert!(list.get::<Linear>(1).is_none() && list.get::<ReLU>(1).is_some());
    /// ```
    pub fn get<L: 'static>(&self, index: usize) -> Option<&L> {
        self.modules
            .get(index)
            .and_then(|m| m.as_module().downcast_ref::<L>())
    }

    /// The modules, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, M> {
        self.modules.iter()
    }
}

impl<M: Module<T>, T: Element> Default for ModuleList<M, T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: Module<T>, T: Element> FromIterator<M> for ModuleList<M, T> {
    fn from_iter<I: IntoIterator<Item = M>>(iter: I) -> Self {
        let mut list = Self::new();
        list.modules.extend(iter);
        list
    }
}

impl<M, T: Element> std::ops::Index<usize> for ModuleList<M, T> {
    type Output = M;
    fn index(&self, index: usize) -> &M {
        let len = self.modules.len();
        self.modules.get(index).unwrap_or_else(|| {
            panic!("ModuleList: index {index} is out of range for a ModuleList of {len} modules")
        })
    }
}

impl<'a, M, T: Element> IntoIterator for &'a ModuleList<M, T> {
    type Item = &'a M;
    type IntoIter = std::slice::Iter<'a, M>;
    fn into_iter(self) -> Self::IntoIter {
        self.modules.iter()
    }
}

impl<M: Module<T>, T: Element> Module<T> for ModuleList<M, T> {
    /// Panics: a `ModuleList` only holds modules (PyTorch's has no `forward` either).
    fn forward(&self, _input: &Tensor<T>) -> Tensor<T> {
        panic!(
            "ModuleList has no forward: iterate over it and call each module \
             (`for block in &blocks {{ x = block.forward(&x); }}`), or use a Sequential"
        )
    }
    fn named_children(&self) -> Vec<(String, &dyn Module<T>)> {
        self.modules
            .iter()
            .enumerate()
            .map(|(i, m)| (i.to_string(), m as &dyn Module<T>))
            .collect()
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
