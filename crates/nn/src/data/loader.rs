//! [`DataLoader`] (`torch.utils.data.DataLoader`): mini-batches of any [`Dataset`], optionally
//! shuffled, stacked by the default collate or by a collate function.

use super::{Dataset, Stack, TensorDataset};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tapegrad_autograd::ops::random::randperm_vec;
use tapegrad_autograd::rng::{with_generator, Generator};
use tapegrad_autograd::RngState;

/// The collate step of a loader: fetches the samples at the given indices and turns them into
/// a batch.
type CollateFn<'a, D, B> = Arc<dyn Fn(&D, &[usize]) -> B + Send + Sync + 'a>;

/// Loads the batches of the given index lists on `workers` scoped threads, returning them in
/// order (monomorphised where `D: Sync` and `B: Send` are known, see
/// [`DataLoader::num_workers`]).
type RoundFn<D, B> =
    fn(&D, &(dyn Fn(&D, &[usize]) -> B + Send + Sync), &[&[usize]], usize) -> Vec<B>;

/// Batches each worker loads per round (PyTorch's default `prefetch_factor`).
const PREFETCH_FACTOR: usize = 2;

/// The order in which a [`DataLoader`] visits the samples of one epoch
/// (`torch.utils.data.Sampler`): the loader asks for a new list of indices at the start of
/// every epoch and cuts it into batches. A `Vec<usize>` is a sampler that repeats its order
/// every epoch (as a list passed as `sampler=`).
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::data::Sampler;
/// use tapegrad_nn::{DataLoader, TensorDataset};
///
/// /// Every epoch, the even samples first, then the odd ones, the two halves taking turns.
/// struct EvenOdd { n: usize, epoch: usize }
/// impl Sampler for EvenOdd {
///     fn indices(&mut self) -> Vec<usize> {
///         let (even, odd) = ((0..self.n).step_by(2), (1..self.n).step_by(2));
///         self.epoch += 1;
///         if self.epoch % 2 == 1 { even.chain(odd).collect() } else { odd.chain(even).collect() }
///     }
///     fn len(&self) -> usize { self.n }
/// }
///
/// let x = Tensor::from_vec((0..5).map(|i| i as f32).collect(), &[5, 1]);
/// let ds = TensorDataset::new(x.clone(), x);
/// let loader = DataLoader::new(&ds, 2).sampler(EvenOdd { n: 5, epoch: 0 });
/// assert_eq!(loader.iter().order(), [0, 2, 4, 1, 3]);
/// assert_eq!(loader.iter().order(), [1, 3, 0, 2, 4]);
/// ```
pub trait Sampler: Send {
    /// The sample indices of the next epoch, in visiting order (`iter(sampler)`); each must be
    /// below the data set's length. Called once per epoch.
    fn indices(&mut self) -> Vec<usize>;

    /// How many indices an epoch has (`len(sampler)`).
    fn len(&self) -> usize;

    /// Whether an epoch has no indices.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Sampler for Vec<usize> {
    fn indices(&mut self) -> Vec<usize> {
        self.clone()
    }
    fn len(&self) -> usize {
        Vec::len(self)
    }
}

/// Iterates a [`Dataset`] in mini-batches (`DataLoader(dataset, batch_size, shuffle,
/// drop_last, collate_fn)`); by default over a [`TensorDataset`] of `(inputs, targets)`.
///
/// Without shuffling the batches follow the sample order. Every call to
/// [`iter`](DataLoader::iter) (one epoch) draws as PyTorch's does, so the orders are PyTorch's
/// for the same generator state:
///
/// * each epoch first draws the iterator's base seed (`_base_seed`, one 64-bit draw) from the
///   loader's generator, shuffled or not: the default generator unless
///   [`generator`](DataLoader::generator) or [`shuffle`](DataLoader::shuffle) gave one;
/// * [`shuffled`](DataLoader::shuffled) (`shuffle=True`): `RandomSampler` then draws a seed from
///   the default generator and permutes with `torch.randperm(n, generator=
///   torch.Generator().manual_seed(seed))`;
/// * [`shuffle(seed)`](DataLoader::shuffle) (`shuffle=True, generator=torch.Generator()
///   .manual_seed(seed)`): the permutation is `torch.randperm(n, generator=g)` from the loader's
///   own generator, followed by the second `randperm` that `RandomSampler` draws when the epoch
///   ends; epoch `k`'s order depends only on the seed and `k`.
///
/// (An epoch is assumed to be iterated to its end, as PyTorch's trailing draw happens then.)
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
///
/// [`order`](DataLoader::order) and [`sampler`](DataLoader::sampler) set the index order
/// instead (`sampler=`); [`num_workers`](DataLoader::num_workers) loads batches on worker
/// threads (`num_workers=`), giving the same batches in the same order for any count.
pub struct DataLoader<'a, D: Dataset + ?Sized = TensorDataset, B = <D as Dataset>::Item> {
    dataset: &'a D,
    batch_size: usize,
    drop_last: bool,
    generator: Option<Generator>,
    shuffle: bool,
    collate: CollateFn<'a, D, B>,
    sampler: Option<Mutex<Box<dyn Sampler + 'a>>>,
    workers: Option<(usize, RoundFn<D, B>)>,
}

/// A collate function over the samples (`collate_fn(samples)`, the samples in batch order) as
/// a loader's batch function.
fn over_samples<'a, D: Dataset + ?Sized, B>(
    collate: impl Fn(Vec<D::Item>) -> B + Send + Sync + 'a,
) -> CollateFn<'a, D, B> {
    Arc::new(move |ds: &D, idx: &[usize]| collate(idx.iter().map(|&i| ds.get(i)).collect()))
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
        Self::with_batch_fn(
            dataset,
            batch_size,
            Arc::new(|ds: &D, idx: &[usize]| ds.get_batch(idx)),
        )
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
        Self::with_batch_fn(dataset, batch_size, over_samples(collate))
    }

    /// A loader with PyTorch's defaults (in order, keeping the last partial batch, no
    /// workers) whose batches are `batch_fn(dataset, indices)`. Panics if `batch_size` is 0.
    fn with_batch_fn(dataset: &'a D, batch_size: usize, batch_fn: CollateFn<'a, D, B>) -> Self {
        check_batch_size(batch_size);
        DataLoader {
            dataset,
            batch_size,
            drop_last: false,
            generator: None,
            shuffle: false,
            collate: batch_fn,
            sampler: None,
            workers: None,
        }
    }

    /// The same loader with another collate function (`collate_fn=`): batches are
    /// `collate(samples)`, the samples in batch order. Call
    /// [`num_workers`](DataLoader::num_workers) after this (the worker setting is reset, as it
    /// depends on the batch type).
    pub fn collate_fn<B2>(
        self,
        collate: impl Fn(Vec<D::Item>) -> B2 + Send + Sync + 'a,
    ) -> DataLoader<'a, D, B2> {
        DataLoader {
            dataset: self.dataset,
            batch_size: self.batch_size,
            drop_last: self.drop_last,
            generator: self.generator,
            shuffle: self.shuffle,
            collate: over_samples(collate),
            sampler: self.sampler,
            workers: None,
        }
    }

    /// The data set.
    pub fn dataset(&self) -> &'a D {
        self.dataset
    }

    /// Shuffles every epoch from the loader's own generator seeded with `seed`
    /// (`DataLoader(..., shuffle=True, generator=torch.Generator().manual_seed(seed))`).
    /// Panics if a sampler or an order is set (PyTorch: "sampler option is mutually exclusive
    /// with shuffle").
    pub fn shuffle(self, seed: u64) -> Self {
        self.generator(Generator::new().manual_seed(seed))
            .shuffled()
    }

    /// Shuffles every epoch (`shuffle=True`): from the loader's [`generator`](Self::generator)
    /// if one is set, else from the default generator ([`manual_seed`]) as PyTorch's
    /// `RandomSampler` does. Panics if a sampler or an order is set.
    ///
    /// [`manual_seed`]: tapegrad_autograd::manual_seed
    pub fn shuffled(mut self) -> Self {
        assert!(
            self.sampler.is_none(),
            "DataLoader::shuffle: sampler option is mutually exclusive with shuffle"
        );
        self.shuffle = true;
        self
    }

    /// The loader's generator (`generator=g`): the epochs' base seeds and, when shuffling, the
    /// permutations are drawn from it instead of the default generator. The handle is shared:
    /// draws advance `g`.
    pub fn generator(mut self, g: Generator) -> Self {
        self.generator = Some(g);
        self
    }

    /// Visits the samples in this order every epoch (`sampler=order`, a list of indices):
    /// indices may repeat or leave samples out. Panics if the loader shuffles; an index at or
    /// above the data set's length panics when an epoch starts.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{DataLoader, TensorDataset};
    /// let x = Tensor::from_vec((0..5).map(|i| i as f32).collect(), &[5, 1]);
    /// let ds = TensorDataset::new(x.clone(), x);
    /// let loader = DataLoader::new(&ds, 2).order(vec![4, 0, 0, 3]);
    /// assert_eq!(loader.len(), 2);
    /// let batches: Vec<Vec<f32>> = loader.iter().map(|(xb, _)| xb.to_vec()).collect();
    /// assert_eq!(batches, [vec![4.0, 0.0], vec![0.0, 3.0]]);
    /// ```
    pub fn order(self, order: Vec<usize>) -> Self {
        self.sampler(order)
    }

    /// Takes each epoch's index order from `sampler` (`sampler=`; see [`Sampler`]). Panics if
    /// the loader shuffles (PyTorch: "sampler option is mutually exclusive with shuffle").
    pub fn sampler(mut self, sampler: impl Sampler + 'a) -> Self {
        assert!(
            !self.shuffle,
            "DataLoader::sampler: sampler option is mutually exclusive with shuffle"
        );
        self.sampler = Some(Mutex::new(Box::new(sampler)));
        self
    }

    /// Drops the last batch when it is smaller than `batch_size` (`drop_last=True`).
    pub fn drop_last(mut self, drop_last: bool) -> Self {
        self.drop_last = drop_last;
        self
    }

    /// The loader's own generator's exact state (`None` without one: a loader drawing from the
    /// default generator is restored with it), for a checkpoint:
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
        self.generator.as_ref().map(Generator::get_state)
    }

    /// Restores a [`shuffle_state`](DataLoader::shuffle_state). Panics if this loader has no
    /// generator of its own (call [`shuffle`](DataLoader::shuffle) or
    /// [`generator`](DataLoader::generator) first).
    pub fn set_shuffle_state(&mut self, state: RngState) {
        let g = self.generator.as_ref().unwrap_or_else(|| {
            panic!("DataLoader::set_shuffle_state: this loader has no generator of its own; call .shuffle(seed) first")
        });
        g.set_state(&state);
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// Number of batches per epoch (`len(loader)`).
    pub fn len(&self) -> usize {
        let n = match &self.sampler {
            Some(s) => s.lock().unwrap_or_else(|e| e.into_inner()).len(),
            None => self.dataset.len(),
        };
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

    /// The number of worker threads batches are loaded on (0: on the calling thread).
    pub fn workers(&self) -> usize {
        self.workers.map_or(0, |(n, _)| n)
    }

    /// One epoch of batches. With shuffling, each call draws the next epoch's permutation; with
    /// a sampler, each call asks it for the next epoch's order.
    pub fn iter(&self) -> Batches<'a, D, B> {
        let n = self.dataset.len();
        let mut order: Vec<usize> = match &self.sampler {
            Some(s) => {
                let order = s.lock().unwrap_or_else(|e| e.into_inner()).indices();
                if let Some(&bad) = order.iter().find(|&&i| i >= n) {
                    panic!(
                        "DataLoader: the sampler gave index {bad}, but the data set has {n} samples"
                    );
                }
                order
            }
            None => (0..n).collect(),
        };
        let g = self.generator.as_ref();
        // `_BaseDataLoaderIter.__init__`: `_base_seed = torch.empty((), dtype=torch.int64)
        // .random_(generator=loader.generator)`, drawn with or without shuffling.
        with_generator(g, |r| r.random64());
        if self.shuffle {
            let perm = match g {
                Some(g) => {
                    let perm = randperm_vec(n, Some(g));
                    // RandomSampler's `randperm(n)[:num_samples % n]` when the epoch ends.
                    randperm_vec(n, Some(g));
                    perm
                }
                None => {
                    let seed = tapegrad_autograd::default_generator().random_int64();
                    randperm_vec(n, Some(&Generator::new().manual_seed(seed as u64)))
                }
            };
            order = perm.into_iter().map(|i| i as usize).collect();
        }
        if self.drop_last {
            order.truncate(order.len() / self.batch_size * self.batch_size);
        }
        Batches {
            dataset: self.dataset,
            collate: Arc::clone(&self.collate),
            order,
            batch_size: self.batch_size,
            pos: 0,
            workers: self.workers,
            ready: VecDeque::new(),
        }
    }
}

impl<'a, D: Dataset + Sync + ?Sized, B: Send> DataLoader<'a, D, B> {
    /// Loads batches on `num_workers` threads (`num_workers=`); 0 (the default) loads each batch
    /// on the calling thread when it is asked for. The batches and their order do not depend on
    /// the count: the epoch's order is drawn first, and batch `i` is always made of the same
    /// indices by the same collate function.
    ///
    /// The workers are scoped threads that borrow the data set: each time the loader runs out of
    /// loaded batches, `num_workers` threads load the next `2·num_workers` batches (two each,
    /// PyTorch's default `prefetch_factor`, batch `i` on worker `i mod num_workers`), and the
    /// iterator then hands them out in order, so with [`iter`](DataLoader::iter) loading does
    /// not overlap the training step that consumes the batches;
    /// [`iter_prefetched`](DataLoader::iter_prefetched) loads in the background while the step
    /// runs, as PyTorch's worker processes do. A data set whose `get` draws from the
    /// process-wide generator (random augmentation) would draw in a thread-dependent order: such
    /// data sets give reproducible batches only with 0 workers. A panic in a worker is re-raised
    /// on the calling thread.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{DataLoader, TensorDataset};
    /// let x = Tensor::from_vec((0..10).map(|i| i as f32).collect(), &[10, 1]);
    /// let ds = TensorDataset::new(x.clone(), x);
    /// let serial: Vec<Vec<f32>> = DataLoader::new(&ds, 3).shuffle(7).iter().map(|(xb, _)| xb.to_vec()).collect();
    /// let loader = DataLoader::new(&ds, 3).shuffle(7).num_workers(2);
    /// let threaded: Vec<Vec<f32>> = loader.iter().map(|(xb, _)| xb.to_vec()).collect();
    /// assert_eq!(serial, threaded);
    /// ```
    pub fn num_workers(mut self, num_workers: usize) -> Self {
        self.workers =
            (num_workers > 0).then_some((num_workers, load_round::<D, B> as RoundFn<D, B>));
        self
    }
}

impl<'a, D: Dataset + Sync + ?Sized, B: Send> DataLoader<'a, D, B> {
    /// Runs `f` on one epoch of batches while the [`num_workers`](DataLoader::num_workers)
    /// threads load the following ones in the background, as PyTorch's worker processes do:
    /// each worker keeps up to 2 batches ready (`prefetch_factor`), batch `i` on worker
    /// `i mod num_workers`, and `f`'s iterator hands them out in order, so the batches are those
    /// of [`iter`](DataLoader::iter) (the same epoch order is drawn) whatever the count. With 0
    /// workers `f` simply gets [`iter`](DataLoader::iter). The workers are scoped threads: they
    /// stop when `f` returns (even if it did not finish the epoch), and a panic in one is
    /// re-raised in the calling thread when its batch is due.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{DataLoader, TensorDataset};
    /// let x = Tensor::from_vec((0..10).map(|i| i as f32).collect(), &[10, 1]);
    /// let ds = TensorDataset::new(x.clone(), x);
    /// let loader = DataLoader::new(&ds, 4).shuffle(3).num_workers(2);
    /// let total = loader.iter_prefetched(|batches| {
    ///     let mut total = 0.0;
    ///     for (xb, _yb) in batches {
    ///         total += xb.sum().item(); // the training step; the next batches load meanwhile
    ///     }
    ///     total
    /// });
    /// assert_eq!(total, 45.0);
    /// ```
    pub fn iter_prefetched<R>(&self, f: impl FnOnce(&mut dyn Iterator<Item = B>) -> R) -> R {
        let mut epoch = self.iter();
        let workers = self.workers();
        if workers == 0 {
            return f(&mut epoch);
        }
        let chunks: Vec<&[usize]> = epoch.order.chunks(self.batch_size).collect();
        let (dataset, collate) = (self.dataset, &*self.collate);
        std::thread::scope(|scope| {
            let k = workers.min(chunks.len()).max(1);
            let chunks = &chunks;
            let receivers: Vec<_> = (0..k)
                .map(|w| {
                    let (tx, rx) = std::sync::mpsc::sync_channel(PREFETCH_FACTOR);
                    scope.spawn(move || {
                        for idx in chunks.iter().skip(w).step_by(k) {
                            let batch =
                                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                    collate(dataset, idx)
                                }));
                            let failed = batch.is_err();
                            if tx.send(batch).is_err() || failed {
                                break; // the epoch was abandoned, or this worker failed
                            }
                        }
                    });
                    rx
                })
                .collect();
            let mut next = 0;
            let mut batches = std::iter::from_fn(move || {
                if next >= chunks.len() {
                    return None;
                }
                let batch = receivers[next % k]
                    .recv()
                    .expect("a DataLoader worker sends every batch it is given");
                next += 1;
                Some(batch.unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            });
            f(&mut batches)
        })
    }
}

/// Loads the batches of `batches` (index lists) on `workers` scoped threads, batch `i` on
/// worker `i mod workers`, and returns them in order.
fn load_round<D: Dataset + Sync + ?Sized, B: Send>(
    dataset: &D,
    collate: &(dyn Fn(&D, &[usize]) -> B + Send + Sync),
    batches: &[&[usize]],
    workers: usize,
) -> Vec<B> {
    let workers = workers.min(batches.len()).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                scope.spawn(move || {
                    batches
                        .iter()
                        .enumerate()
                        .skip(w)
                        .step_by(workers)
                        .map(|(i, idx)| (i, collate(dataset, idx)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut out: Vec<Option<B>> = (0..batches.len()).map(|_| None).collect();
        for handle in handles {
            let loaded = handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (i, batch) in loaded {
                out[i] = Some(batch);
            }
        }
        out.into_iter()
            .map(|b| b.expect("every batch of a round is loaded by one worker"))
            .collect()
    })
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
    /// Start of the first batch not loaded yet.
    pos: usize,
    workers: Option<(usize, RoundFn<D, B>)>,
    /// Batches loaded by the workers and not handed out yet, in order.
    ready: VecDeque<B>,
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
        if let Some(batch) = self.ready.pop_front() {
            return Some(batch);
        }
        if self.pos >= self.order.len() {
            return None;
        }
        if let Some((workers, load)) = self.workers {
            let chunks: Vec<&[usize]> = self.order[self.pos..]
                .chunks(self.batch_size)
                .take(workers * PREFETCH_FACTOR)
                .collect();
            self.pos += chunks.iter().map(|c| c.len()).sum::<usize>();
            self.ready = load(self.dataset, &*self.collate, &chunks, workers).into();
            return self.ready.pop_front();
        }
        let end = (self.pos + self.batch_size).min(self.order.len());
        let batch = (self.collate)(self.dataset, &self.order[self.pos..end]);
        self.pos = end;
        Some(batch)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.ready.len() + (self.order.len() - self.pos).div_ceil(self.batch_size);
        (n, Some(n))
    }
}

impl<D: Dataset + ?Sized, B> ExactSizeIterator for Batches<'_, D, B> {}
