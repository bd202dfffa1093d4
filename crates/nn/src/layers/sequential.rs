//! [`Sequential`] (`torch.nn.Sequential`).

use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// Modules applied one after the other, named `"0"`, `"1"`, … (`torch.nn.Sequential`).
///
/// Build it with [`Sequential::new`] and [`add`](Sequential::add), or the
/// [`sequential!`](crate::sequential) macro; index it by position.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{Linear, Module, ReLU, Sequential};
/// let net: Sequential = Sequential::new().add(Linear::new(2, 4)).add(ReLU::new()).add(Linear::new(4, 1));
/// assert_eq!(net.len(), 3);
/// assert_eq!(net[1].type_name(), "ReLU");
/// assert_eq!(net.forward(&Tensor::zeros(&[5, 2])).shape().as_slice(), &[5, 1]);
/// ```
pub struct Sequential<T: Element = f32> {
    layers: Vec<Box<dyn Module<T>>>,
    training: AtomicBool,
}

impl<T: Element> Sequential<T> {
    /// An empty container (its forward returns the input).
    pub fn new() -> Self {
        Sequential {
            layers: vec![],
            training: AtomicBool::new(true),
        }
    }

    /// Appends `module` (builder style; `Sequential.append`).
    #[allow(clippy::should_implement_trait)] // the builder name the API promises
    pub fn add(mut self, module: impl Module<T> + 'static) -> Self {
        self.layers.push(Box::new(module));
        self
    }

    /// Appends an already boxed module.
    pub fn push(&mut self, module: Box<dyn Module<T>>) {
        self.layers.push(module);
    }

    /// Number of child modules.
    pub fn len(&self) -> usize {
        self.layers.len()
    }

    /// Whether there are no child modules.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }

    /// The child at `index` as the concrete layer type `M`, if it is one (`net[0]` used as an
    /// `nn.Linear`): `None` if the index is out of range or the layer is another type.
    ///
    /// ```
    /// use tapegrad_nn::{sequential, Linear, ReLU, Sequential};
    /// let net: Sequential = sequential![Linear::new(2, 3), ReLU::new()];
    /// assert_eq!(net.get::<Linear>(0).unwrap().weight.shape().as_slice(), &[3, 2]);
    /// assert!(net.get::<Linear>(1).is_none() && net.get::<ReLU>(1).is_some());
    /// assert!(net.get::<Linear>(2).is_none());
    /// ```
    pub fn get<M: 'static>(&self, index: usize) -> Option<&M> {
        self.layers
            .get(index)
            .and_then(|m| m.as_ref().downcast_ref::<M>())
    }

    /// The child at `index` as a `&dyn Module`, if any (`net[index]` without the panic).
    pub fn get_module(&self, index: usize) -> Option<&dyn Module<T>> {
        self.layers.get(index).map(|m| m.as_ref())
    }

    /// The children, in order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Module<T>> {
        self.layers.iter().map(|m| m.as_ref())
    }
}

impl<T: Element> Default for Sequential<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Element> std::ops::Index<usize> for Sequential<T> {
    type Output = dyn Module<T>;
    fn index(&self, index: usize) -> &Self::Output {
        let len = self.layers.len();
        match self.layers.get(index) {
            Some(m) => m.as_ref(),
            None => panic!(
                "Sequential: index {index} is out of range for a Sequential of {len} modules"
            ),
        }
    }
}

impl<T: Element> Module<T> for Sequential<T> {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let mut x = input.clone();
        for layer in &self.layers {
            x = layer.forward(&x);
        }
        x
    }
    fn named_children(&self) -> Vec<(String, &dyn Module<T>)> {
        self.layers
            .iter()
            .enumerate()
            .map(|(i, m)| (i.to_string(), m.as_ref()))
            .collect()
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}

/// Builds a [`Sequential`] from modules: `sequential![Linear::new(2, 3), Sigmoid::new()]`
/// (`nn.Sequential(Linear(2, 3), Sigmoid())`).
///
/// ```
/// use tapegrad_nn::{sequential, Linear, Module, Sequential, Sigmoid};
/// let s: Sequential = sequential![Linear::new(2, 3), Sigmoid::new()];
/// assert_eq!(s.state_dict().keys(), ["0.weight", "0.bias"]);
/// ```
#[macro_export]
macro_rules! sequential {
    ($($m:expr),* $(,)?) => {
        $crate::Sequential::new()$(.add($m))*
    };
}
