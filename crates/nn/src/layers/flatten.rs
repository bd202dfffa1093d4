//! [`Flatten`] (`torch.nn.Flatten`).

use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::{Element, Tensor};

/// Merges dimensions `start_dim..=end_dim` into one (`torch.nn.Flatten`; defaults
/// `start_dim=1, end_dim=-1`, so a batch `[N, ...]` becomes `[N, features]`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{Flatten, Module};
/// let x: Tensor = Tensor::zeros(&[2, 3, 4]);
/// assert_eq!(Flatten::new().forward(&x).shape().as_slice(), &[2, 12]);
/// assert_eq!(Flatten::with_dims(0, 1).forward(&x).shape().as_slice(), &[6, 4]);
/// assert_eq!(<Flatten as Module>::summary(&Flatten::new()), "Flatten(start_dim=1, end_dim=-1)");
/// ```
pub struct Flatten {
    /// First dimension merged.
    pub start_dim: isize,
    /// Last dimension merged (inclusive; negative counts from the end).
    pub end_dim: isize,
    training: AtomicBool,
}

impl Flatten {
    /// `Flatten()`: `start_dim=1, end_dim=-1`.
    pub fn new() -> Self {
        Self::with_dims(1, -1)
    }

    /// `Flatten(start_dim, end_dim)`.
    pub fn with_dims(start_dim: isize, end_dim: isize) -> Self {
        Flatten {
            start_dim,
            end_dim,
            training: AtomicBool::new(true),
        }
    }
}

impl Default for Flatten {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Element> Module<T> for Flatten {
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        let shape = input.shape();
        let rank = shape.len().max(1) as isize;
        let norm = |d: isize| if d < 0 { d + rank } else { d };
        let (s, e) = (norm(self.start_dim), norm(self.end_dim));
        assert!(
            0 <= s && s <= e && e < rank,
            "Flatten.forward: start_dim={} and end_dim={} are invalid for an input of shape \
             {:?}; need 0 <= start_dim <= end_dim < {rank}",
            self.start_dim,
            self.end_dim,
            shape
        );
        if shape.is_empty() {
            return input.reshape(&[1]);
        }
        let (s, e) = (s as usize, e as usize);
        let mut new: Vec<isize> = shape[..s].iter().map(|&d| d as isize).collect();
        new.push(shape[s..=e].iter().product::<usize>() as isize);
        new.extend(shape[e + 1..].iter().map(|&d| d as isize));
        input.reshape(&new)
    }
    fn extra_repr(&self) -> String {
        format!("start_dim={}, end_dim={}", self.start_dim, self.end_dim)
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
