//! Data loading (`torch.utils.data`): [`TensorDataset`] and [`DataLoader`].

mod dataset;
mod loader;

pub use dataset::{targets_as_indices, TensorDataset};
pub use loader::{Batches, DataLoader};
