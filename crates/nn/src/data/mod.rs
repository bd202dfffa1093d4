//! Data loading (`torch.utils.data`): the [`Dataset`] trait, [`TensorDataset`], [`Subset`],
//! [`random_split`] and [`DataLoader`] (with the default collate [`Stack`] or a collate
//! function).

pub mod csv;
mod dataset;
mod loader;

pub use csv::{read_csv_classification, read_csv_classification_bytes, CsvError, CsvSpec};
pub use dataset::{
    random_split, random_split_with, targets_as_indices, Dataset, PairDataset, Stack, Subset,
    TensorDataset, Tensors,
};
pub use loader::{Batches, DataLoader, Sampler, ShuffleState};
