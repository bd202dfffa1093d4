//! [`DataLoader`] (`torch.utils.data.DataLoader`): mini-batches, optionally shuffled.

use super::TensorDataset;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::Mutex;
use tapegrad_autograd::{Element, RngState, Tensor};

/// Iterates a [`TensorDataset`] in mini-batches of `(inputs, targets)`
/// (`DataLoader(dataset, batch_size, shuffle, drop_last)`).
///
/// Without [`shuffle`](DataLoader::shuffle) the batches follow the sample order. With
/// `shuffle(seed)` every call to [`iter`](DataLoader::iter) (one epoch) draws a new permutation
/// from the loader's own ChaCha8 generator, seeded once: epoch `k`'s order depends only on the
/// seed and `k`, as with PyTorch's `RandomSampler(generator=torch.Generator().manual_seed(seed))`.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{DataLoader, TensorDataset};
/// let x = Tensor::from_vec((0..5).map(|i| i as f32).collect(), &[5, 1]);
/// let ds = TensorDataset::new(x.clone(), x);
/// let loader = DataLoader::new(&ds, 2);
/// let sizes: Vec<usize> = loader.iter().map(|(xb, _)| xb.shape()[0]).collect();
/// assert_eq!(sizes, [2, 2, 1]);
/// let loader = DataLoader::new(&ds, 2).shuffle(42).drop_last(true);
/// assert_eq!(loader.len(), 2);
/// for (xb, yb) in &loader {
///     assert_eq!(xb.to_vec(), yb.to_vec());
/// }
/// ```
pub struct DataLoader<'a, T: Element = f32> {
    dataset: &'a TensorDataset<T>,
    batch_size: usize,
    drop_last: bool,
    rng: Option<Mutex<ChaCha8Rng>>,
}

impl<'a, T: Element> DataLoader<'a, T> {
    /// Batches of `batch_size` samples in order, keeping a last partial batch. Panics if
    /// `batch_size` is 0.
    pub fn new(dataset: &'a TensorDataset<T>, batch_size: usize) -> Self {
        assert!(
            batch_size > 0,
            "DataLoader::new: batch_size should be a positive integer value, but got batch_size=0"
        );
        DataLoader {
            dataset,
            batch_size,
            drop_last: false,
            rng: None,
        }
    }

    /// Shuffles every epoch from a generator seeded with `seed` (`shuffle=True` with a seeded
    /// generator).
    pub fn shuffle(mut self, seed: u64) -> Self {
        self.rng = Some(Mutex::new(ChaCha8Rng::seed_from_u64(seed)));
        self
    }

    /// Drops the last batch when it is smaller than `batch_size` (`drop_last=True`).
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// The shuffling generator's exact position (`None` without shuffling), for a checkpoint:
    /// after [`set_shuffle_state`](DataLoader::set_shuffle_state) with it, the following epochs
    /// draw the orders this loader would have drawn.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{DataLoader, TensorDataset};
    /// let x = Tensor::from_vec((0..8).map(|i| i as f32).collect(), &[8, 1]);
    /// let ds = TensorDataset::new(x.clone(), x);
    /// let a = DataLoader::new(&ds, 8).shuffle(1);
    /// let _epoch0 = a.iter();
    /// let mut b = DataLoader::new(&ds, 8).shuffle(99);
    /// b.set_shuffle_state(a.shuffle_state().unwrap());
    /// assert_eq!(a.iter().order(), b.iter().order());
    /// ```
    pub fn shuffle_state(&self) -> Option<RngState> {
        self.rng.as_ref().map(|rng| {
            let g = rng.lock().unwrap_or_else(|e| e.into_inner());
            RngState {
                seed: g.get_seed(),
                stream: g.get_stream(),
                word_pos: g.get_word_pos(),
            }
        })
    }

    /// Restores a [`shuffle_state`](DataLoader::shuffle_state). Panics if this loader does not
    /// shuffle (call [`shuffle`](DataLoader::shuffle) first).
    pub fn set_shuffle_state(&mut self, state: RngState) {
        let rng = self.rng.as_mut().unwrap_or_else(|| {
            panic!("DataLoader::set_shuffle_state: this loader does not shuffle; call .shuffle(seed) first")
        });
        let mut g = ChaCha8Rng::from_seed(state.seed);
        g.set_stream(state.stream);
        g.set_word_pos(state.word_pos);
        *rng.get_mut().unwrap_or_else(|e| e.into_inner()) = g;
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Number of batches per epoch (`len(loader)`).
    pub fn len(&self) -> usize {
        let n = self.dataset.len();
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// Whether an epoch has no batches.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// One epoch of batches. With shuffling, each call draws the next epoch's permutation.
    pub fn iter(&self) -> Batches<'a, T> {
        let mut order: Vec<usize> = (0..self.dataset.len()).collect();
        if let Some(rng) = &self.rng {
            let mut rng = rng.lock().unwrap_or_else(|e| e.into_inner());
            order.shuffle(&mut *rng);
        }
        if self.drop_last {
            order.truncate(self.len() * self.batch_size);
        }
        Batches {
            dataset: self.dataset,
            order,
            batch_size: self.batch_size,
            pos: 0,
        }
    }
}

impl<'a, T: Element> IntoIterator for &DataLoader<'a, T> {
    type Item = (Tensor<T>, Tensor<T>);
    type IntoIter = Batches<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The batches of one epoch (see [`DataLoader::iter`]).
pub struct Batches<'a, T: Element = f32> {
    dataset: &'a TensorDataset<T>,
    order: Vec<usize>,
    batch_size: usize,
    pos: usize,
}

impl<T: Element> Batches<'_, T> {
    /// The sample indices of this epoch, in visiting order.
    pub fn order(&self) -> &[usize] {
        &self.order
    }
}

impl<T: Element> Iterator for Batches<'_, T> {
    type Item = (Tensor<T>, Tensor<T>);
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.order.len() {
            return None;
        }
        let end = (self.pos + self.batch_size).min(self.order.len());
        let batch = self.dataset.batch(&self.order[self.pos..end]);
        self.pos = end;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.order.len() - self.pos).div_ceil(self.batch_size);
        (n, Some(n))
    }
}

impl<T: Element> ExactSizeIterator for Batches<'_, T> {}
