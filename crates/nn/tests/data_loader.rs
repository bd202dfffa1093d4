//! `TensorDataset` and `DataLoader`: batch sizes, the last partial batch, drop_last, every
//! sample exactly once per epoch, seeded determinism and a new order every epoch.

use tapegrad_autograd::Tensor;
use tapegrad_nn::{targets_as_indices, DataLoader, TensorDataset};

/// 10 samples: input row i = [i, 100 + i], target = [2i].
fn dataset(n: usize) -> TensorDataset {
    let x: Vec<f32> = (0..n).flat_map(|i| [i as f32, 100.0 + i as f32]).collect();
    let y: Vec<f32> = (0..n).map(|i| 2.0 * i as f32).collect();
    TensorDataset::new(Tensor::from_vec(x, &[n, 2]), Tensor::from_vec(y, &[n, 1]))
}

/// Sample ids of one epoch, checking each batch's inputs and targets belong together.
fn epoch_ids(loader: &DataLoader) -> (Vec<usize>, Vec<usize>) {
    let mut ids = vec![];
    let mut sizes = vec![];
    for (xb, yb) in loader {
        let (x, y) = (xb.to_vec(), yb.to_vec());
        sizes.push(xb.shape()[0]);
        assert_eq!(xb.shape()[1], 2);
        assert_eq!(yb.shape().as_slice(), &[xb.shape()[0], 1]);
        for (k, row) in x.chunks(2).enumerate() {
            assert_eq!(row[1], row[0] + 100.0);
            assert_eq!(y[k], 2.0 * row[0]);
            ids.push(row[0] as usize);
        }
    }
    (ids, sizes)
}

#[test]
fn sequential_batches_keep_order_and_last_partial_batch() {
    let ds = dataset(10);
    let loader = DataLoader::new(&ds, 4);
    assert_eq!(loader.len(), 3);
    let (ids, sizes) = epoch_ids(&loader);
    assert_eq!(sizes, [4, 4, 2]);
    assert_eq!(ids, (0..10).collect::<Vec<_>>());
    assert_eq!(epoch_ids(&loader).0, ids, "unshuffled epochs repeat");
    assert_eq!(loader.iter().len(), 3);

    let exact = DataLoader::new(&ds, 5);
    assert_eq!(epoch_ids(&exact).1, [5, 5]);
    let one = DataLoader::new(&ds, 32);
    assert_eq!(epoch_ids(&one).1, [10]);
}

#[test]
fn drop_last_drops_only_a_partial_batch() {
    let ds = dataset(10);
    let loader = DataLoader::new(&ds, 4).drop_last(true);
    assert_eq!(loader.len(), 2);
    let (ids, sizes) = epoch_ids(&loader);
    assert_eq!(sizes, [4, 4]);
    assert_eq!(ids, (0..8).collect::<Vec<_>>());
    assert_eq!(
        epoch_ids(&DataLoader::new(&ds, 5).drop_last(true)).1,
        [5, 5]
    );
    let none = DataLoader::new(&ds, 11).drop_last(true);
    assert!(none.is_empty() && none.iter().next().is_none());

    // Shuffled with drop_last: 8 distinct samples per epoch.
    let sh = DataLoader::new(&ds, 4).shuffle(1).drop_last(true);
    let (mut ids, sizes) = epoch_ids(&sh);
    assert_eq!(sizes, [4, 4]);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 8);
}

#[test]
fn shuffled_epochs_visit_every_sample_once_in_new_orders() {
    let ds = dataset(10);
    let loader = DataLoader::new(&ds, 3).shuffle(42);
    let mut orders = vec![];
    for _ in 0..5 {
        let (ids, sizes) = epoch_ids(&loader);
        assert_eq!(sizes, [3, 3, 3, 1]);
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            (0..10).collect::<Vec<_>>(),
            "every sample exactly once"
        );
        orders.push(ids);
    }
    assert_ne!(orders[0], (0..10).collect::<Vec<_>>(), "shuffled");
    for i in 0..5 {
        for j in i + 1..5 {
            assert_ne!(
                orders[i], orders[j],
                "epochs {i} and {j} have the same order"
            );
        }
    }

    // Determinism: a fresh loader with the same seed replays the same epochs.
    let again = DataLoader::new(&ds, 3).shuffle(42);
    for (k, want) in orders.iter().enumerate() {
        assert_eq!(&epoch_ids(&again).0, want, "epoch {k}");
    }
    // Another seed gives another stream.
    let other = DataLoader::new(&ds, 3).shuffle(43);
    assert_ne!(epoch_ids(&other).0, orders[0]);
    // The batch iterator exposes its order.
    assert_eq!(
        DataLoader::new(&ds, 3).shuffle(42).iter().order(),
        orders[0].as_slice()
    );
}

#[test]
fn dataset_indexing_and_class_targets() {
    let ds = dataset(4);
    let (x, y) = ds.get(3);
    assert_eq!(x.to_vec(), [3.0, 103.0]);
    assert_eq!(x.shape().as_slice(), &[2]);
    assert_eq!(y.to_vec(), [6.0]);
    let (xb, yb) = ds.batch(&[2, 0]);
    assert_eq!(xb.to_vec(), [2.0, 102.0, 0.0, 100.0]);
    assert_eq!(targets_as_indices(&yb), [4, 0]);
    assert!(!xb.requires_grad());
}

#[test]
#[should_panic(expected = "same first dimension")]
fn mismatched_sample_counts_panic() {
    TensorDataset::new(Tensor::<f32>::zeros(&[3, 2]), Tensor::zeros(&[4]));
}

#[test]
#[should_panic(expected = "not a class index")]
fn fractional_class_index_panics() {
    targets_as_indices(&Tensor::from_vec(vec![0.5f32], &[1]));
}

#[test]
#[should_panic(expected = "batch_size should be a positive integer")]
fn zero_batch_size_panics() {
    let ds = dataset(2);
    DataLoader::new(&ds, 0);
}
