//! [`DataLoader`] (`torch.utils.data.DataLoader`): mini-batches of any [`Dataset`], optionally
//! shuffled, stacked by the default collate or by a collate function.

use super::{Dataset, Stack, TensorDataset};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::sync::{Arc, Mutex};
use tapegrad_autograd::RngState;

/// The collate step of a loader: fetches the samples at the given indices and turns them into
/// a batch.
type CollateFn<'a, D, B> = Arc<dyn Fn(&D, &[usize]) -> B + Send + Sync + 'a>;

/// Iterates a [`Dataset`] in mini-batches (`DataLoader(dataset, batch_size, shuffle,
/// drop_last, collate_fn)`); by default over a [`TensorDataset`] of `(inputs, targets)`.
///
/// Without [`shuffle`](DataLoader::shuffle) the batches follow the sample order. With
/// `shuffle(seed)` every call to [`iter`](DataLoader::iter) (one epoch) draws a new permutation
/// from the loader's own ChaCha8 generator, seeded once: epoch `k`'s order depends only on the
/// seed and `k`, as with PyTorch's `RandomSampler(generator=torch.Generator().manual_seed(seed))`
/// (the orders themselves differ from PyTorch's).
///
/// A batch is made by the collate function: by default the samples stacked along a new first
/// dimension, tensor by tensor ([`Stack`], PyTorch's `default_collate`, through
/// [`Dataset::get_batch`]); [`collate_fn`](DataLoader::collate_fn) or
/// [`with_collate_fn`](DataLoader::with_collate_fn) set another (`collate_fn=`), which receives
/// the batch's samples in order.
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
/// // A collate function: the batch's input sum.
/// let sums = DataLoader::new(&ds, 2).collate_fn(|s: Vec<(Tensor, Tensor)>| {
///     s.iter().map(|(x, _)| x.item()).sum::<f32>()
/// });
/// assert_eq!(sums.iter().collect::<Vec<f32>>(), [1.0, 5.0, 4.0]);
/// ```
pub struct DataLoader<'a, D: Dataset + ?Sized = TensorDataset, B = <D as Dataset>::Item> {
    dataset: &'a D,
    batch_size: usize,
    drop_last: bool,
    rng: Option<Mutex<ChaCha8Rng>>,
    collate: CollateFn<'a, D, B>,
}

fn check_batch_size(batch_size: usize) {
    assert!(
        batch_size > 0,
        "DataLoader::new: batch_size should be a positive integer value, but got batch_size=0"
    );
}

impl<'a, D: Dataset + ?Sized> DataLoader<'a, D>
where
    D::Item: Stack,
{
    /// Batches of `batch_size` samples in order, keeping a last partial batch, stacked by the
    /// default collate. Panics if `batch_size` is 0.
    pub fn new(dataset: &'a D, batch_size: usize) -> Self {
        check_batch_size(batch_size);
        DataLoader {
            dataset,
            batch_size,
            drop_last: false,
            rng: None,
            collate: Arc::new(|ds: &D, idx: &[usize]| ds.get_batch(idx)),
        }
    }
}

impl<'a, D: Dataset + ?Sized, B> DataLoader<'a, D, B> {
    /// A loader whose batches are `collate(samples)` (`DataLoader(dataset, batch_size,
    /// collate_fn=collate)`), for data sets whose samples do not stack. Panics if `batch_size`
    /// is 0.
    pub fn with_collate_fn(
        dataset: &'a D,
        batch_size: usize,
        collate: impl Fn(Vec<D::Item>) -> B + Send + Sync + 'a,
    ) -> Self {
        check_batch_size(batch_size);
        DataLoader {
            dataset,
            batch_size,
            drop_last: false,
            rng: None,
            collate: Arc::new(move |ds: &D, idx: &[usize]| {
                collate(idx.iter().map(|&i| ds.get(i)).collect())
            }),
        }
    }

    /// The same loader with another collate function (`collate_fn=`): batches are
    /// `collate(samples)`, the samples in batch order.
    pub fn collate_fn<B2>(
        self,
        collate: impl Fn(Vec<D::Item>) -> B2 + Send + Sync + 'a,
    ) -> DataLoader<'a, D, B2> {
        DataLoader {
            dataset: self.dataset,
            batch_size: self.batch_size,
            drop_last: self.drop_last,
            rng: self.rng,
            collate: Arc::new(move |ds: &D, idx: &[usize]| {
                collate(idx.iter().map(|&i| ds.get(i)).collect())
            }),
        }
    }

    /// The data set.
    pub fn dataset(&self) -> &'a D {
        self.dataset
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
    pub fn iter(&self) -> Batches<'a, D, B> {
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
            collate: Arc::clone(&self.collate),
            order,
            batch_size: self.batch_size,
            pos: 0,
        }
    }
}

impl<'a, D: Dataset + ?Sized, B> IntoIterator for &DataLoader<'a, D, B> {
    type Item = B;
    type IntoIter = Batches<'a, D, B>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// What a checkpoint needs of a data loader: its shuffling generator's position
/// (implemented by every [`DataLoader`]).
pub trait ShuffleState {
    /// See [`DataLoader::shuffle_state`].
    fn shuffle_state(&self) -> Option<RngState>;
    /// See [`DataLoader::set_shuffle_state`].
    fn set_shuffle_state(&mut self, state: RngState);
}

impl<D: Dataset + ?Sized, B> ShuffleState for DataLoader<'_, D, B> {
    fn shuffle_state(&self) -> Option<RngState> {
        DataLoader::shuffle_state(self)
    }
    fn set_shuffle_state(&mut self, state: RngState) {
        DataLoader::set_shuffle_state(self, state)
    }
}

/// The batches of one epoch (see [`DataLoader::iter`]).
pub struct Batches<'a, D: Dataset + ?Sized = TensorDataset, B = <D as Dataset>::Item> {
    dataset: &'a D,
    collate: CollateFn<'a, D, B>,
    order: Vec<usize>,
    batch_size: usize,
    pos: usize,
}

impl<D: Dataset + ?Sized, B> Batches<'_, D, B> {
    /// The sample indices of this epoch, in visiting order.
    pub fn order(&self) -> &[usize] {
        &self.order
    }
}

impl<D: Dataset + ?Sized, B> Iterator for Batches<'_, D, B> {
    type Item = B;
    fn next(&mut self) -> Option<B> {
        if self.pos >= self.order.len() {
            return None;
        }
        let end = (self.pos + self.batch_size).min(self.order.len());
        let batch = (self.collate)(self.dataset, &self.order[self.pos..end]);
        self.pos = end;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = (self.order.len() - self.pos).div_ceil(self.batch_size);
        (n, Some(n))
    }
}

impl<D: Dataset + ?Sized, B> ExactSizeIterator for Batches<'_, D, B> {}
