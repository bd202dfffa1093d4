//! `DataLoader::num_workers` (batches loaded on scoped worker threads, the same batches in the
//! same order whatever the count) and explicit index orders / samplers (`order`, `Sampler`).

use std::collections::HashSet;
use std::sync::Mutex;
use std::thread::ThreadId;
use tapegrad_autograd::Tensor;
use tapegrad_nn::data::{Dataset, Sampler};
use tapegrad_nn::{DataLoader, TensorDataset};

/// Input row i = [i, 100 + i], target = [2i].
fn dataset(n: usize) -> TensorDataset {
    let x: Vec<f32> = (0..n).flat_map(|i| [i as f32, 100.0 + i as f32]).collect();
    let y: Vec<f32> = (0..n).map(|i| 2.0 * i as f32).collect();
    TensorDataset::new(Tensor::from_vec(x, &[n, 2]), Tensor::from_vec(y, &[n, 1]))
}

/// The batches of `epochs` epochs as (inputs, targets) value lists.
fn epochs(loader: &DataLoader, epochs: usize) -> Vec<Vec<(Vec<f32>, Vec<f32>)>> {
    (0..epochs)
        .map(|_| {
            let it = loader.iter();
            let n = it.len();
            let batches: Vec<_> = it.map(|(x, y)| (x.to_vec(), y.to_vec())).collect();
            assert_eq!(batches.len(), n, "size_hint matches the batches yielded");
            assert_eq!(batches.len(), loader.len());
            batches
        })
        .collect()
}

#[test]
fn zero_one_and_three_workers_give_identical_batches_with_shuffle() {
    let ds = dataset(53);
    for (batch, drop_last) in [(4, false), (4, true), (7, false), (1, false), (60, false)] {
        let make = |workers| {
            DataLoader::new(&ds, batch)
                .shuffle(2024)
                .drop_last(drop_last)
                .num_workers(workers)
        };
        let reference = epochs(&make(0), 3);
        // Every epoch is a permutation (or its batch-aligned prefix), epochs differ.
        let ids: Vec<usize> = reference[0]
            .iter()
            .flat_map(|(x, _)| x.chunks(2).map(|r| r[0] as usize).collect::<Vec<_>>())
            .collect();
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        if batch < 53 {
            assert_ne!(reference[0], reference[1]);
        }
        for workers in [1, 3] {
            let loader = make(workers);
            assert_eq!(loader.workers(), workers);
            assert_eq!(
                epochs(&loader, 3),
                reference,
                "batch {batch}, {workers} workers"
            );
        }
    }
}

#[test]
fn workers_with_explicit_order_and_collate_fn() {
    let ds = dataset(10);
    let order = vec![9, 0, 0, 5, 3, 3, 3, 8, 1];
    let sums = |workers| {
        DataLoader::new(&ds, 2)
            .order(order.clone())
            .collate_fn(|s: Vec<(Tensor, Tensor)>| s.iter().map(|(_, y)| y.item()).sum::<f32>())
            .num_workers(workers)
            .iter()
            .collect::<Vec<f32>>()
    };
    let want = vec![18.0, 10.0, 12.0, 22.0, 2.0]; // [9, 0], [0, 5], [3, 3], [3, 8], [1]
    assert_eq!(sums(0), want);
    assert_eq!(sums(1), want);
    assert_eq!(sums(3), want);
    assert_eq!(sums(8), want);
}

/// A data set that records which threads fetched samples.
struct Recording {
    inner: TensorDataset,
    threads: Mutex<HashSet<ThreadId>>,
}

impl Dataset for Recording {
    type Item = (Tensor, Tensor);
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn get(&self, index: usize) -> (Tensor, Tensor) {
        self.threads
            .lock()
            .unwrap()
            .insert(std::thread::current().id());
        self.inner.get(index)
    }
}

#[test]
fn batches_are_loaded_on_worker_threads() {
    let ds = Recording {
        inner: dataset(40),
        threads: Mutex::new(HashSet::new()),
    };
    let serial: Vec<Vec<f32>> = DataLoader::new(&ds, 4)
        .iter()
        .map(|(x, _)| x.to_vec())
        .collect();
    assert_eq!(
        *ds.threads.lock().unwrap(),
        HashSet::from([std::thread::current().id()])
    );
    ds.threads.lock().unwrap().clear();
    let threaded: Vec<Vec<f32>> = DataLoader::new(&ds, 4)
        .num_workers(3)
        .iter()
        .map(|(x, _)| x.to_vec())
        .collect();
    assert_eq!(serial, threaded);
    let threads = ds.threads.lock().unwrap();
    assert!(threads.len() > 1, "several workers: {threads:?}");
    assert!(!threads.contains(&std::thread::current().id()));
}

/// Reverses the order every other epoch.
struct Alternating {
    n: usize,
    epoch: usize,
}

impl Sampler for Alternating {
    fn indices(&mut self) -> Vec<usize> {
        self.epoch += 1;
        if self.epoch % 2 == 1 {
            (0..self.n).collect()
        } else {
            (0..self.n).rev().collect()
        }
    }
    fn len(&self) -> usize {
        self.n
    }
}

#[test]
fn a_sampler_is_asked_once_per_epoch() {
    let ds = dataset(7);
    for workers in [0, 2] {
        let loader = DataLoader::new(&ds, 3)
            .sampler(Alternating { n: 7, epoch: 0 })
            .num_workers(workers);
        assert_eq!(loader.len(), 3);
        assert_eq!(loader.iter().order(), [0, 1, 2, 3, 4, 5, 6]);
        assert_eq!(loader.iter().order(), [6, 5, 4, 3, 2, 1, 0]);
        let firsts: Vec<f32> = loader.iter().map(|(x, _)| x.to_vec()[0]).collect();
        assert_eq!(firsts, [0.0, 3.0, 6.0]);
        assert_eq!(loader.shuffle_state(), None);
    }
}

#[test]
fn explicit_order_with_drop_last_and_a_subset() {
    let ds = dataset(10);
    let loader = DataLoader::new(&ds, 3)
        .order(vec![2, 4, 6, 8, 1])
        .drop_last(true);
    assert_eq!(loader.len(), 1);
    assert_eq!(loader.iter().order(), [2, 4, 6]);
    let (x, y) = loader.iter().next().unwrap();
    assert_eq!(x.to_vec(), [2.0, 102.0, 4.0, 104.0, 6.0, 106.0]);
    assert_eq!(y.to_vec(), [4.0, 8.0, 12.0]);
    let empty = DataLoader::new(&ds, 3).order(vec![]);
    assert!(empty.is_empty());
    assert_eq!(empty.iter().count(), 0);
}

#[test]
#[should_panic(expected = "sampler option is mutually exclusive with shuffle")]
fn shuffle_and_order_are_exclusive() {
    let ds = dataset(4);
    let _ = DataLoader::new(&ds, 2).shuffle(0).order(vec![0, 1]);
}

#[test]
#[should_panic(expected = "sampler option is mutually exclusive with shuffle")]
fn order_then_shuffle_is_refused_too() {
    let ds = dataset(4);
    let _ = DataLoader::new(&ds, 2).order(vec![0, 1]).shuffle(0);
}

#[test]
#[should_panic(expected = "the sampler gave index 4, but the data set has 4 samples")]
fn out_of_range_order_panics_at_the_epoch_start() {
    let ds = dataset(4);
    let _ = DataLoader::new(&ds, 2).order(vec![0, 4]).iter();
}

#[test]
#[should_panic(expected = "bad sample 5")]
fn a_worker_panic_reaches_the_caller() {
    let ds = dataset(8);
    let loader = DataLoader::new(&ds, 2)
        .collate_fn(|s: Vec<(Tensor, Tensor)>| {
            for (x, _) in &s {
                if x.to_vec()[0] == 5.0 {
                    panic!("bad sample 5");
                }
            }
            s.len()
        })
        .num_workers(2);
    let _: Vec<usize> = loader.iter().collect();
}

#[test]
fn prefetched_epochs_match_iter_for_any_worker_count() {
    let ds = dataset(41);
    let reference = epochs(&DataLoader::new(&ds, 5).shuffle(9).drop_last(false), 3);
    for workers in [0, 1, 3, 16] {
        let loader = DataLoader::new(&ds, 5).shuffle(9).num_workers(workers);
        let got: Vec<Vec<(Vec<f32>, Vec<f32>)>> = (0..3)
            .map(|_| {
                loader.iter_prefetched(|batches| {
                    batches.map(|(x, y)| (x.to_vec(), y.to_vec())).collect()
                })
            })
            .collect();
        assert_eq!(got, reference, "{workers} workers");
    }
}

#[test]
fn prefetch_runs_on_workers_and_stops_when_the_epoch_is_abandoned() {
    let ds = Recording {
        inner: dataset(200),
        threads: Mutex::new(HashSet::new()),
    };
    let loader = DataLoader::new(&ds, 2).num_workers(2);
    let first: Vec<Vec<f32>> =
        loader.iter_prefetched(|batches| batches.take(3).map(|(x, _)| x.to_vec()).collect());
    assert_eq!(first[2], [4.0, 104.0, 5.0, 105.0]);
    let threads = ds.threads.lock().unwrap();
    assert!(!threads.contains(&std::thread::current().id()));
    assert!(!threads.is_empty());
}

#[test]
#[should_panic(expected = "bad sample 5")]
fn a_prefetch_worker_panic_reaches_the_caller() {
    let ds = dataset(8);
    let loader = DataLoader::new(&ds, 2)
        .collate_fn(|s: Vec<(Tensor, Tensor)>| {
            for (x, _) in &s {
                if x.to_vec()[0] == 5.0 {
                    panic!("bad sample 5");
                }
            }
            s.len()
        })
        .num_workers(3);
    loader.iter_prefetched(|batches| batches.count());
}
