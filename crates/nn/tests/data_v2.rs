//! The data utilities of nn v2: a custom `Dataset`, `TensorDataset` over several tensors of
//! several dtypes, `Subset`, `random_split` (seeded, a partition), and `DataLoader` over any
//! data set with the default collate (stack), a collate function, shuffle and drop_last.

use tapegrad_autograd::Tensor;
use tapegrad_nn::data::{random_split, Dataset, Stack, Subset};
use tapegrad_nn::{DataLoader, TensorDataset};

/// Sample i of a computed data set: an image-like [2, 2] tensor filled with i, and the label
/// i % 3 as an i64 scalar.
struct Computed(usize);
impl Dataset for Computed {
    type Item = (Tensor<f32>, Tensor<i64>);
    fn len(&self) -> usize {
        self.0
    }
    fn get(&self, i: usize) -> Self::Item {
        (
            Tensor::full(&[2, 2], i as f32),
            Tensor::scalar((i % 3) as i64),
        )
    }
}

#[test]
fn a_custom_dataset_is_batched_by_stacking() {
    let ds = Computed(7);
    let loader = DataLoader::new(&ds, 3);
    assert_eq!(loader.len(), 3);
    let batches: Vec<(Tensor<f32>, Tensor<i64>)> = loader.iter().collect();
    assert_eq!(batches[0].0.shape().as_slice(), &[3, 2, 2]);
    assert_eq!(batches[0].1.to_vec(), [0, 1, 2]);
    assert_eq!(batches[2].0.shape().as_slice(), &[1, 2, 2]);
    assert_eq!(batches[2].1.to_vec(), [0]);
    let dropped = DataLoader::new(&ds, 3).drop_last(true);
    assert_eq!(dropped.iter().count(), 2);
    // Shuffled: every sample once per epoch, seeded, a new order each epoch.
    let sh = DataLoader::new(&ds, 2).shuffle(9);
    let ids = |l: &DataLoader<'_, Computed>| -> Vec<usize> {
        l.iter()
            .flat_map(|(x, _)| {
                x.to_vec()
                    .chunks(4)
                    .map(|c| c[0] as usize)
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let (e0, e1) = (ids(&sh), ids(&sh));
    let mut sorted = e0.clone();
    sorted.sort();
    assert_eq!(sorted, (0..7).collect::<Vec<_>>());
    assert_ne!(e0, e1);
    assert_eq!(ids(&DataLoader::new(&ds, 2).shuffle(9)), e0);
}

#[test]
fn tensor_dataset_holds_any_number_of_tensors_of_any_dtype() {
    let x = Tensor::from_vec((0..12).map(|v| v as f64).collect(), &[4, 3]);
    let y = Tensor::from_vec(vec![3i64, 1, 4, 1], &[4]);
    let m = Tensor::from_vec(vec![true, false, false, true], &[4, 1]);
    let ds = TensorDataset::from_tensors((x, y.clone(), m));
    assert_eq!(ds.len(), 4);
    let (xi, yi, mi) = ds.get(2);
    assert_eq!(
        (xi.to_vec(), yi.item(), mi.to_vec()),
        (vec![6.0, 7.0, 8.0], 4, vec![false])
    );
    let loader = DataLoader::new(&ds, 3);
    let (xb, yb, mb) = loader.iter().next().unwrap();
    assert_eq!(xb.shape().as_slice(), &[3, 3]);
    assert_eq!(yb.to_vec(), [3, 1, 4]);
    assert_eq!(mb.shape().as_slice(), &[3, 1]);
    // One tensor alone.
    let single = TensorDataset::from_tensors(y);
    assert_eq!(
        DataLoader::new(&single, 4).iter().next().unwrap().to_vec(),
        [3, 1, 4, 1]
    );
    // Inputs and class indices of different dtypes.
    let pair = TensorDataset::from_tensors((
        Tensor::<f32>::zeros(&[2, 5]),
        Tensor::from_vec(vec![0i64, 1], &[2]),
    ));
    assert_eq!(pair.targets().to_vec(), [0, 1]);
    let msg = std::panic::catch_unwind(|| {
        TensorDataset::from_tensors((Tensor::<f32>::zeros(&[3, 2]), Tensor::<i64>::zeros(&[4])))
    })
    .map(|_| ())
    .expect_err("mismatch");
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("Size mismatch between tensors") && msg.contains("[3, 2]"),
        "{msg}"
    );
}

#[test]
fn subset_and_random_split() {
    let ds = Computed(10);
    let parts = random_split(&ds, &[6, 3, 1], 5);
    assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [6, 3, 1]);
    let mut all: Vec<usize> = parts.iter().flat_map(|p| p.indices.clone()).collect();
    all.sort();
    assert_eq!(all, (0..10).collect::<Vec<_>>(), "a partition");
    assert_eq!(
        random_split(&ds, &[6, 3, 1], 5)[0].indices,
        parts[0].indices
    );
    assert_ne!(
        random_split(&ds, &[6, 3, 1], 6)[0].indices,
        parts[0].indices
    );
    // A subset is a data set: loaders batch it, samples map through the indices.
    let sub = Subset::new(&ds, vec![8, 2, 5]);
    assert_eq!(sub.get(0).1.item(), 2);
    let (xb, yb) = DataLoader::new(&sub, 3).iter().next().unwrap();
    assert_eq!(yb.to_vec(), [2, 2, 2]);
    assert_eq!(xb.to_vec()[4], 2.0);
    // Over a TensorDataset the subset's batch is gathered in one go.
    let t = TensorDataset::from_tensors((
        Tensor::from_vec((0..5).map(|v| v as f32).collect(), &[5, 1]),
        Tensor::from_vec((0..5).collect::<Vec<i64>>(), &[5]),
    ));
    let s = Subset::new(&t, vec![4, 0]);
    assert_eq!(s.get_batch(&[0, 1]).1.to_vec(), [4, 0]);
    let msg = std::panic::catch_unwind(|| random_split(&Computed(4), &[2, 1], 0).len())
        .expect_err("lengths");
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains(
            "Sum of input lengths (3) does not equal the length of the input dataset (4)!"
        ),
        "{msg}"
    );
}

#[test]
fn collate_functions() {
    // Samples that do not stack (different lengths): pad them in the collate function.
    struct Ragged;
    impl Dataset for Ragged {
        type Item = Vec<f32>;
        fn len(&self) -> usize {
            4
        }
        fn get(&self, i: usize) -> Vec<f32> {
            vec![1.0; i + 1]
        }
    }
    let loader = DataLoader::with_collate_fn(&Ragged, 2, |samples: Vec<Vec<f32>>| {
        let width = samples.iter().map(|s| s.len()).max().unwrap();
        let mut flat = vec![];
        for s in &samples {
            flat.extend(s.iter().copied());
            flat.extend(std::iter::repeat_n(0.0, width - s.len()));
        }
        Tensor::from_vec(flat, &[samples.len(), width])
    });
    let b: Vec<Tensor> = loader.iter().collect();
    assert_eq!(b[0].to_vec(), [1.0, 0.0, 1.0, 1.0]);
    assert_eq!(b[1].shape().as_slice(), &[2, 4]);
    // Replacing the default collate of a loader; the default equals Stack.
    let ds = Computed(4);
    let labels = DataLoader::new(&ds, 4).collate_fn(|s: Vec<(Tensor, Tensor<i64>)>| {
        s.into_iter().map(|(_, y)| y.item()).collect::<Vec<i64>>()
    });
    assert_eq!(labels.iter().next().unwrap(), [0, 1, 2, 0]);
    let stacked = <(Tensor, Tensor<i64>)>::stack((0..4).map(|i| ds.get(i)).collect());
    let (x0, y0) = DataLoader::new(&ds, 4).iter().next().unwrap();
    assert_eq!(
        (x0.to_vec(), y0.to_vec()),
        (stacked.0.to_vec(), stacked.1.to_vec())
    );
}
