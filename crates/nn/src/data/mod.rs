//! Data loading (`torch.utils.data`): [`TensorDataset`] and [`DataLoader`].

pub mod csv;
mod dataset;
mod loader;

pub use csv::{read_csv_classification, read_csv_classification_bytes, CsvError, CsvSpec};
pub use dataset::{targets_as_indices, TensorDataset};
pub use loader::{Batches, DataLoader};
