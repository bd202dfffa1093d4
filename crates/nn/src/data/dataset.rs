//! The [`Dataset`] trait (`torch.utils.data.Dataset`), [`TensorDataset`]
//! (`torch.utils.data.TensorDataset`) over any number of tensors of any dtype, [`Subset`] and
//! [`random_split`], and [`Stack`], the default collate.

use ndarray::Axis;
use tapegrad_autograd::ops::random::randperm_vec;
use tapegrad_autograd::rng::Generator;
use tapegrad_autograd::{Element, Scalar, Tensor};

/// A map-style data set (`torch.utils.data.Dataset` with `__len__` and `__getitem__`): a
/// number of samples, each fetched by index. Implement it for custom data and hand it to a
/// [`DataLoader`](crate::DataLoader).
///
/// [`get_batch`](Dataset::get_batch) fetches several samples and stacks them (the default
/// collate, [`Stack`]); a data set that can gather a batch faster than sample by sample
/// (as [`TensorDataset`] does) overrides it.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::data::Dataset;
/// use tapegrad_nn::DataLoader;
/// /// Sample i: (x = [i, i²], y = 2i) computed on the fly.
/// struct Squares(usize);
/// impl Dataset for Squares {
///     type Item = (Tensor<f32>, Tensor<i64>);
///     fn len(&self) -> usize { self.0 }
///     fn get(&self, i: usize) -> Self::Item {
///         let f = i as f32;
///         (Tensor::from_vec(vec![f, f * f], &[2]), Tensor::scalar(2 * i as i64))
///     }
/// }
/// let ds = Squares(5);
/// let loader = DataLoader::new(&ds, 2);
/// let (xb, yb) = loader.iter().nth(1).unwrap();
/// assert_eq!(xb.to_vec(), [2.0, 4.0, 3.0, 9.0]);
/// assert_eq!(yb.to_vec(), [4, 6]);
/// ```
pub trait Dataset {
    /// One sample (a tensor, a tuple of tensors, or anything a collate function takes).
    type Item;

    /// Number of samples (`len(dataset)`).
    fn len(&self) -> usize;

    /// Sample `index` (`dataset[index]`); may panic if `index >= len()`.
    fn get(&self, index: usize) -> Self::Item;

    /// Whether there are no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The samples at `indices` stacked along a new first dimension (PyTorch's
    /// `default_collate` of `[dataset[i] for i in indices]`).
    fn get_batch(&self, indices: &[usize]) -> Self::Item
    where
        Self::Item: Stack,
    {
        Stack::stack(indices.iter().map(|&i| self.get(i)).collect())
    }
}

impl<D: Dataset + ?Sized> Dataset for &D {
    type Item = D::Item;
    fn len(&self) -> usize {
        (**self).len()
    }
    fn get(&self, index: usize) -> D::Item {
        (**self).get(index)
    }
    fn get_batch(&self, indices: &[usize]) -> D::Item
    where
        D::Item: Stack,
    {
        (**self).get_batch(indices)
    }
}

/// The default collate (`torch.utils.data.default_collate` for tensors): stacks samples along
/// a new first dimension, tensor by tensor for tuples.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::data::Stack;
/// let a = (Tensor::from_vec(vec![1.0f32, 2.0], &[2]), Tensor::scalar(0i64));
/// let b = (Tensor::from_vec(vec![3.0f32, 4.0], &[2]), Tensor::scalar(1i64));
/// let (x, y) = Stack::stack(vec![a, b]);
/// assert_eq!((x.shape().as_slice(), y.to_vec()), (&[2, 2][..], vec![0, 1]));
/// ```
pub trait Stack: Sized {
    /// The samples stacked along a new first dimension; panics if `items` is empty or the
    /// shapes differ (PyTorch's message of `torch.stack`).
    fn stack(items: Vec<Self>) -> Self;
}

impl<S: Scalar> Stack for Tensor<S> {
    fn stack(items: Vec<Self>) -> Self {
        let refs: Vec<&Tensor<S>> = items.iter().collect();
        Tensor::stack(&refs, 0)
    }
}

/// The tensors a [`TensorDataset`] holds: one [`Tensor`] of any dtype, or a tuple of up to six,
/// all indexed along their first dimension.
pub trait Tensors: Clone {
    /// The first dimension of each tensor; panics for a 0-dimensional tensor.
    fn first_dims(&self) -> Vec<usize>;
    /// The shapes, for messages.
    fn shapes(&self) -> Vec<Vec<usize>>;
    /// Row `index` of every tensor (without the first dimension).
    fn row(&self, index: usize) -> Self;
    /// Rows `indices` of every tensor, stacked (a batch).
    fn rows(&self, indices: &[usize]) -> Self;
}

fn first_dim<S: Scalar>(t: &Tensor<S>) -> usize {
    let s = t.shape();
    assert!(
        !s.is_empty(),
        "TensorDataset: every tensor needs a first (sample) dimension, but got a 0-dimensional \
         tensor"
    );
    s[0]
}

impl<S: Scalar> Tensors for Tensor<S> {
    fn first_dims(&self) -> Vec<usize> {
        vec![first_dim(self)]
    }
    fn shapes(&self) -> Vec<Vec<usize>> {
        vec![self.shape().to_vec()]
    }
    fn row(&self, index: usize) -> Self {
        Tensor::from_array(self.data().index_axis(Axis(0), index).to_owned())
    }
    fn rows(&self, indices: &[usize]) -> Self {
        Tensor::from_array(self.data().select(Axis(0), indices))
    }
}

macro_rules! tuple_impls {
    ($(($($name:ident $idx:tt),+))+) => {$(
        impl<$($name: Stack),+> Stack for ($($name,)+) {
            fn stack(items: Vec<Self>) -> Self {
                let n = items.len();
                let mut cols = ($(Vec::<$name>::with_capacity(n),)+);
                for item in items {
                    $(cols.$idx.push(item.$idx);)+
                }
                ($($name::stack(cols.$idx),)+)
            }
        }
        impl<$($name: Tensors),+> Tensors for ($($name,)+) {
            fn first_dims(&self) -> Vec<usize> {
                let mut v = vec![];
                $(v.extend(self.$idx.first_dims());)+
                v
            }
            fn shapes(&self) -> Vec<Vec<usize>> {
                let mut v = vec![];
                $(v.extend(self.$idx.shapes());)+
                v
            }
            fn row(&self, index: usize) -> Self {
                ($(self.$idx.row(index),)+)
            }
            fn rows(&self, indices: &[usize]) -> Self {
                ($(self.$idx.rows(indices),)+)
            }
        }
    )+};
}

tuple_impls! {
    (A 0)
    (A 0, B 1)
    (A 0, B 1, C 2)
    (A 0, B 1, C 2, D 3)
    (A 0, B 1, C 2, D 3, E 4)
    (A 0, B 1, C 2, D 3, E 4, F 5)
}

/// Tensors indexed along their first dimension (`torch.utils.data.TensorDataset(*tensors)`):
/// sample `i` is the tuple of row `i` of each tensor. Any number (one to six) of tensors of any
/// dtype: [`TensorDataset::new`] pairs inputs and targets of one dtype,
/// [`TensorDataset::from_tensors`] takes a tensor or a tuple (e.g. `f32` inputs with `i64` class
/// indices).
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
///
/// // Three tensors of three dtypes.
/// let ds = TensorDataset::from_tensors((
///     Tensor::<f64>::zeros(&[4, 2]),
///     Tensor::from_vec(vec![0i64, 1, 0, 1], &[4]),
///     Tensor::from_vec(vec![true, false, true, true], &[4]),
/// ));
/// let (_, label, mask) = ds.get(3);
/// assert_eq!((label.item(), mask.item()), (1, true));
/// ```
#[derive(Clone)]
pub struct TensorDataset<D: Tensors = (Tensor<f32>, Tensor<f32>)> {
    tensors: D,
}

/// A [`TensorDataset`] of inputs and targets of one dtype `T` (what
/// [`TensorDataset::new`] builds).
pub type PairDataset<T = f32> = TensorDataset<(Tensor<T>, Tensor<T>)>;

impl<D: Tensors> TensorDataset<D> {
    /// `TensorDataset(*tensors)`: a tensor or a tuple of tensors; panics unless all have at
    /// least one dimension and the same first dimension (PyTorch's "Size mismatch between
    /// tensors").
    pub fn from_tensors(tensors: D) -> Self {
        let dims = tensors.first_dims();
        assert!(
            dims.iter().all(|&d| d == dims[0]),
            "TensorDataset: Size mismatch between tensors: shapes {:?} must have the same first \
             dimension (the number of samples)",
            tensors.shapes()
        );
        TensorDataset { tensors }
    }

    /// The tensors (`dataset.tensors`).
    pub fn tensors(&self) -> &D {
        &self.tensors
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.tensors.first_dims()[0]
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sample `index` (`dataset[index]`): the rows, without the sample dimension. Panics if
    /// out of range.
    pub fn get(&self, index: usize) -> D {
        assert!(
            index < self.len(),
            "TensorDataset::get: index {index} is out of range for a dataset of {} samples",
            self.len()
        );
        self.tensors.row(index)
    }

    /// The samples at `indices`, stacked along a new first dimension (a batch). Panics if an
    /// index is out of range.
    pub fn batch(&self, indices: &[usize]) -> D {
        if let Some(bad) = indices.iter().find(|&&i| i >= self.len()) {
            panic!(
                "TensorDataset::batch: index {bad} is out of range for a dataset of {} samples",
                self.len()
            );
        }
        self.tensors.rows(indices)
    }
}

impl<T: Scalar> TensorDataset<(Tensor<T>, Tensor<T>)> {
    /// Pairs `inputs` and `targets` of one dtype (`TensorDataset(inputs, targets)`); panics
    /// unless both have at least one dimension and the same number of samples (first
    /// dimension). Tensors of different dtypes (e.g. `i64` class indices) go through
    /// [`TensorDataset::from_tensors`].
    pub fn new(inputs: Tensor<T>, targets: Tensor<T>) -> Self {
        let (a, b) = (inputs.shape(), targets.shape());
        assert!(
            !a.is_empty() && !b.is_empty() && a[0] == b[0],
            "TensorDataset::new: size mismatch between tensors: inputs {a:?} and targets {b:?} \
             must have the same first dimension (the number of samples)"
        );
        TensorDataset {
            tensors: (inputs, targets),
        }
    }
}

impl<A: Scalar, B: Scalar> TensorDataset<(Tensor<A>, Tensor<B>)> {
    /// The whole input tensor (the first).
    pub fn inputs(&self) -> &Tensor<A> {
        &self.tensors.0
    }

    /// The whole target tensor (the second).
    pub fn targets(&self) -> &Tensor<B> {
        &self.tensors.1
    }
}

impl<D: Tensors + Stack> Dataset for TensorDataset<D> {
    type Item = D;
    fn len(&self) -> usize {
        TensorDataset::len(self)
    }
    fn get(&self, index: usize) -> D {
        TensorDataset::get(self, index)
    }
    fn get_batch(&self, indices: &[usize]) -> D {
        self.batch(indices)
    }
}

/// The samples of a data set at given indices (`torch.utils.data.Subset(dataset, indices)`),
/// borrowing the data set; sample `i` is `dataset[indices[i]]`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::data::{Dataset, Subset};
/// use tapegrad_nn::TensorDataset;
/// let ds = TensorDataset::from_tensors(Tensor::from_vec(vec![10i64, 11, 12, 13], &[4]));
/// let sub = Subset::new(&ds, vec![3, 1]);
/// assert_eq!((sub.len(), sub.get(0).item()), (2, 13));
/// ```
pub struct Subset<'a, D: Dataset + ?Sized> {
    /// The whole data set.
    pub dataset: &'a D,
    /// The indices into it, in order.
    pub indices: Vec<usize>,
}

impl<'a, D: Dataset + ?Sized> Subset<'a, D> {
    /// The samples of `dataset` at `indices`; panics if an index is out of range.
    pub fn new(dataset: &'a D, indices: Vec<usize>) -> Self {
        if let Some(bad) = indices.iter().find(|&&i| i >= dataset.len()) {
            panic!(
                "Subset: index {bad} is out of range for a dataset of {} samples",
                dataset.len()
            );
        }
        Subset { dataset, indices }
    }
}

impl<D: Dataset + ?Sized> Clone for Subset<'_, D> {
    fn clone(&self) -> Self {
        Subset {
            dataset: self.dataset,
            indices: self.indices.clone(),
        }
    }
}

impl<D: Dataset + ?Sized> Dataset for Subset<'_, D> {
    type Item = D::Item;
    fn len(&self) -> usize {
        self.indices.len()
    }
    fn get(&self, index: usize) -> D::Item {
        self.dataset.get(self.indices[index])
    }
    fn get_batch(&self, indices: &[usize]) -> D::Item
    where
        D::Item: Stack,
    {
        let mapped: Vec<usize> = indices.iter().map(|&i| self.indices[i]).collect();
        self.dataset.get_batch(&mapped)
    }
}

/// Splits a data set into non-overlapping [`Subset`]s of the given lengths, at random
/// (`torch.utils.data.random_split(dataset, lengths, generator=torch.Generator().manual_seed(
/// seed))`). Panics, as PyTorch, unless the lengths add up to `dataset.len()`.
///
/// The permutation is `torch.randperm(n, generator=torch.Generator().manual_seed(seed))`, so
/// the split is PyTorch's for the same seed. [`random_split_with`] takes a generator (the
/// default one for PyTorch's `generator=default_generator`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::data::{random_split, Dataset};
/// use tapegrad_nn::TensorDataset;
/// let ds = TensorDataset::from_tensors(Tensor::<i64>::arange(0, 10, 1));
/// let parts = random_split(&ds, &[7, 3], 42);
/// assert_eq!((parts[0].len(), parts[1].len()), (7, 3));
/// let mut all: Vec<usize> = parts.iter().flat_map(|p| p.indices.clone()).collect();
/// all.sort();
/// assert_eq!(all, (0..10).collect::<Vec<_>>());
/// assert_eq!(random_split(&ds, &[7, 3], 42)[1].indices, parts[1].indices);
/// ```
pub fn random_split<'a, D: Dataset + ?Sized>(
    dataset: &'a D,
    lengths: &[usize],
    seed: u64,
) -> Vec<Subset<'a, D>> {
    random_split_with(dataset, lengths, &Generator::new().manual_seed(seed))
}

/// [`random_split`] drawing the permutation from `generator`
/// (`random_split(dataset, lengths, generator=g)`; pass
/// [`default_generator()`](tapegrad_autograd::default_generator) for PyTorch's default).
pub fn random_split_with<'a, D: Dataset + ?Sized>(
    dataset: &'a D,
    lengths: &[usize],
    generator: &Generator,
) -> Vec<Subset<'a, D>> {
    let n = dataset.len();
    assert!(
        lengths.iter().sum::<usize>() == n,
        "random_split: Sum of input lengths ({}) does not equal the length of the input dataset \
         ({n})!",
        lengths.iter().sum::<usize>()
    );
    let perm: Vec<usize> = randperm_vec(n, Some(generator))
        .into_iter()
        .map(|i| i as usize)
        .collect();
    let mut start = 0;
    lengths
        .iter()
        .map(|&len| {
            let s = Subset {
                dataset,
                indices: perm[start..start + len].to_vec(),
            };
            start += len;
            s
        })
        .collect()
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
