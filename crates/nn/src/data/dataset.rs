//! [`TensorDataset`] (`torch.utils.data.TensorDataset`).

use ndarray::Axis;
use tapegrad_autograd::{Element, Tensor};

/// Inputs and targets indexed along their first dimension (`TensorDataset(inputs, targets)`).
///
/// Class-index targets are stored as a float tensor of whole numbers; turn a batch of them into
/// `&[usize]` for `CrossEntropyLoss` with [`targets_as_indices`].
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::TensorDataset;
/// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3, 1]);
/// let y = Tensor::from_vec(vec![2.0f32, 4.0, 6.0], &[3, 1]);
/// let ds = TensorDataset::new(x, y);
/// assert_eq!(ds.len(), 3);
/// let (xi, yi) = ds.get(1);
/// assert_eq!((xi.to_vec(), yi.to_vec()), (vec![2.0], vec![4.0]));
/// ```
#[derive(Clone)]
pub struct TensorDataset<T: Element = f32> {
    inputs: Tensor<T>,
    targets: Tensor<T>,
}

impl<T: Element> TensorDataset<T> {
    /// Pairs `inputs` and `targets`; panics unless both have at least one dimension and the same
    /// number of samples (first dimension).
    pub fn new(inputs: Tensor<T>, targets: Tensor<T>) -> Self {
        let (a, b) = (inputs.shape(), targets.shape());
        assert!(
            !a.is_empty() && !b.is_empty() && a[0] == b[0],
            "TensorDataset::new: size mismatch between tensors: inputs {a:?} and targets {b:?} \
             must have the same first dimension (the number of samples)"
        );
        TensorDataset { inputs, targets }
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.inputs.shape()[0]
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole input tensor.
    pub fn inputs(&self) -> &Tensor<T> {
        &self.inputs
    }

    /// The whole target tensor.
    pub fn targets(&self) -> &Tensor<T> {
        &self.targets
    }

    /// Sample `index` (`dataset[index]`): the input and target rows, without the sample
    /// dimension. Panics if out of range.
    pub fn get(&self, index: usize) -> (Tensor<T>, Tensor<T>) {
        assert!(
            index < self.len(),
            "TensorDataset::get: index {index} is out of range for a dataset of {} samples",
            self.len()
        );
        let row =
            |t: &Tensor<T>| Tensor::from_array(t.data().index_axis(Axis(0), index).to_owned());
        (row(&self.inputs), row(&self.targets))
    }

    /// The samples at `indices`, stacked along a new first dimension (a batch). Panics if an
    /// index is out of range.
    pub fn batch(&self, indices: &[usize]) -> (Tensor<T>, Tensor<T>) {
        if let Some(bad) = indices.iter().find(|&&i| i >= self.len()) {
            panic!(
                "TensorDataset::batch: index {bad} is out of range for a dataset of {} samples",
                self.len()
            );
        }
        let rows = |t: &Tensor<T>| Tensor::from_array(t.data().select(Axis(0), indices));
        (rows(&self.inputs), rows(&self.targets))
    }
}

/// Converts class-index targets stored as floats (e.g. a batch from a [`TensorDataset`]) to the
/// `Vec<usize>` that `cross_entropy` / `CrossEntropyLoss` take. Panics if a value is negative
/// or not a whole number.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::targets_as_indices;
/// assert_eq!(targets_as_indices(&Tensor::from_vec(vec![2.0f32, 0.0], &[2])), [2, 0]);
/// ```
pub fn targets_as_indices<T: Element>(targets: &Tensor<T>) -> Vec<usize> {
    targets
        .to_vec()
        .into_iter()
        .map(|v| {
            let f = v.as_f64();
            assert!(
                f >= 0.0 && f.fract() == 0.0 && f <= usize::MAX as f64,
                "targets_as_indices: target {f} is not a class index (a non-negative whole number)"
            );
            f as usize
        })
        .collect()
}
