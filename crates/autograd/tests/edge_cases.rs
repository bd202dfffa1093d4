//! Edge cases from the reliability review, each against PyTorch's behaviour: sums and means of
//! empty tensors, clamp with NaN bounds and its gradient, losses and `gather_last` over zero
//! classes, `linear` over zero in-features, reshape to overflowing sizes, `sum_to` onto a
//! lower rank and `rand` of too many elements.

use tapegrad_autograd::functional::{
    cross_entropy, cross_entropy_with, mse_loss, nll_loss, nll_loss_with, CrossEntropyOptions,
    NllLossOptions, Reduction,
};
use tapegrad_autograd::Tensor;

fn panic_message(f: impl FnOnce()) -> String {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(()) => panic!("expected a panic"),
        Err(e) => e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    }
}

/// +0.0 exactly (not -0.0).
fn is_pos_zero(v: f32) -> bool {
    v.to_bits() == 0
}

// ------------------------------------------------------------------ empty reductions

#[test]
fn sums_of_empty_tensors_are_positive_zero_as_pytorch() {
    // torch.zeros(0, 3).sum() is tensor(0.), not tensor(-0.)
    let z = Tensor::<f32>::zeros(&[0, 3]);
    assert!(is_pos_zero(z.sum().item()), "{:?}", z.sum().item());
    assert!(is_pos_zero(Tensor::<f32>::zeros(&[0]).sum().item()));
    let z64 = Tensor::<f64>::zeros(&[2, 0]);
    assert_eq!(z64.sum().item().to_bits(), 0);
    // per dim: z.sum(0) is three +0.0, z.sum(1) is an empty [0]
    let s0 = z.sum_dim(0, false);
    assert_eq!(s0.shape().as_slice(), &[3]);
    assert!(
        s0.to_vec().into_iter().all(is_pos_zero),
        "{:?}",
        s0.to_vec()
    );
    assert_eq!(z.sum_dim(1, false).shape().as_slice(), &[0]);
    assert_eq!(z.sum_dim(-2, true).shape().as_slice(), &[1, 3]);
    // several dims, and all of them
    assert!(is_pos_zero(z.sum_dims(&[], false).item()));
    assert!(is_pos_zero(z.sum_dims(&[0, 1], false).item()));
    assert!(is_pos_zero(z.sum_dims(&[-1, 0], true).item()));
    assert_eq!(z.sum_dims(&[0, 1], true).shape().as_slice(), &[1, 1]);
    // MSELoss(reduction='sum') over nothing is 0.
    assert!(is_pos_zero(mse_loss(&z, &z, Reduction::Sum).item()));
    // the gradient of an empty sum is empty, and backward runs
    let x = Tensor::<f32>::zeros(&[0, 3]).requires_grad_(true);
    x.sum().backward();
    assert_eq!(x.grad().unwrap().shape().as_slice(), &[0, 3]);
}

#[test]
fn means_of_empty_tensors_are_nan_as_pytorch() {
    // torch.zeros(0, 3).mean() is nan; .mean(0) is three nans; .mean(1) is empty
    let z = Tensor::<f32>::zeros(&[0, 3]);
    assert!(z.mean().item().is_nan());
    let m0 = z.mean_dim(0, false);
    assert_eq!(m0.shape().as_slice(), &[3]);
    assert!(m0.to_vec().iter().all(|v| v.is_nan()));
    assert_eq!(z.mean_dim(1, true).shape().as_slice(), &[0, 1]);
    assert!(z.mean_dims(&[], false).item().is_nan());
    assert!(z.mean_dims(&[0, -1], true).item().is_nan());
    assert!(mse_loss(&z, &z, Reduction::Mean).item().is_nan());
    // a non-empty tensor is unaffected: the mean of [1, 2, 3, 4] is 2.5
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    assert_eq!(x.mean().item(), 2.5);
    assert_eq!(x.mean_dim(1, false).to_vec(), vec![1.5, 3.5]);
}

#[test]
fn a_sum_of_negative_zeros_is_positive_zero_as_pytorchs_accumulator() {
    // PyTorch's sum starts from 0.0: -0.0 + 0.0 = +0.0 (Rust's `Iterator::sum` gives -0.0).
    let x = Tensor::from_vec(vec![-0.0f32, -0.0], &[2]);
    assert!(is_pos_zero(x.sum().item()));
    assert!(is_pos_zero(x.mean().item()));
}

#[test]
fn reductions_of_a_0d_tensor_over_its_dim_0_and_repeated_dims_follow_pytorch() {
    // torch.tensor(5.).mean(0) and .mean([0]) are tensor(5.); .sum([]) of -0.0 is +0.0
    let x = Tensor::scalar(5.0f32);
    assert_eq!(x.mean_dims(&[0], false).item(), 5.0);
    assert_eq!(x.mean_dims(&[-1], true).shape().as_slice(), &[] as &[usize]);
    assert_eq!(x.var(&[0], 0.0, false).item(), 0.0);
    assert!(is_pos_zero(
        Tensor::scalar(-0.0f32).sum_dims(&[], false).item()
    ));
    // dims are checked in order: [-2, 1, -4] on a 3-d tensor repeats dim 1 before -4 is
    // reached ("dim 1 appears multiple times in the list of dims")
    let msg = panic_message(|| {
        Tensor::<f32>::zeros(&[2, 2, 2]).sum_dims(&[-2, 1, -4], true);
    });
    assert!(
        msg.contains("dim 1 appears multiple times in the list of dims"),
        "{msg}"
    );
}

// ------------------------------------------------------------------ clamp

#[test]
fn clamp_with_a_nan_bound_is_all_nan_as_pytorch() {
    let x = Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]);
    for (lo, hi) in [
        (Some(f64::NAN), None),
        (None, Some(f64::NAN)),
        (Some(f64::NAN), Some(1.0)),
        (Some(0.0), Some(f64::NAN)),
    ] {
        let y = x.clamp(lo, hi);
        assert!(
            y.to_vec().iter().all(|v| v.is_nan()),
            "{lo:?} {hi:?}: {:?}",
            y.to_vec()
        );
        let z = Tensor::from_vec(vec![-2.0f32, 0.5, 3.0], &[3]);
        z.clamp_(lo, hi);
        assert!(
            z.to_vec().iter().all(|v| v.is_nan()),
            "clamp_ {lo:?} {hi:?}"
        );
    }
    // NaN elements stay NaN; min > max gives max everywhere (torch.clamp's documentation)
    let x = Tensor::from_vec(vec![f32::NAN, -5.0, 5.0], &[3]);
    let y = x.clamp(Some(-1.0), Some(1.0)).to_vec();
    assert!(y[0].is_nan());
    assert_eq!(&y[1..], &[-1.0, 1.0]);
    assert_eq!(
        Tensor::from_vec(vec![-5.0f32, 0.0, 5.0], &[3])
            .clamp(Some(2.0), Some(1.0))
            .to_vec(),
        vec![1.0, 1.0, 1.0]
    );
    let msg = panic_message(|| {
        x.clamp(None, None);
    });
    assert!(
        msg.contains("At least one of 'min' or 'max' must not be None"),
        "{msg}"
    );
}

#[test]
fn clamp_gradient_is_where_inside_else_zero_as_pytorch() {
    // ATen: where(min <= x <= max, grad, 0): the bounds themselves pass the gradient.
    let x = Tensor::from_vec(vec![-2.0f64, 0.0, 0.5, 1.0, 3.0], &[5]).requires_grad_(true);
    (&x.clamp(Some(0.0), Some(1.0)) * 3.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 3.0, 3.0, 3.0, 0.0]);
    // A NaN bound: no element is inside, every gradient is 0.
    let x = Tensor::from_vec(vec![-1.0f64, 2.0], &[2]).requires_grad_(true);
    x.clamp(Some(f64::NAN), None).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0]);
    // A NaN element gets 0, and an infinite incoming gradient is dropped, not 0·inf = NaN.
    let x = Tensor::from_vec(vec![f64::NAN, -3.0, 0.5], &[3]).requires_grad_(true);
    let y = x.clamp(Some(0.0), None);
    y.backward_with(
        tapegrad_autograd::BackwardOptions::new()
            .gradient(Tensor::from_vec(vec![f64::INFINITY; 3], &[3])),
    );
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, f64::INFINITY]);
    // min > max: nothing is inside
    let x = Tensor::from_vec(vec![1.5f64], &[1]).requires_grad_(true);
    x.clamp(Some(2.0), Some(1.0)).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0]);
}

// ------------------------------------------------------------------ zero classes

#[test]
fn losses_over_zero_classes_panic_with_pytorchs_target_message() {
    // F.cross_entropy(torch.zeros(3, 0), torch.zeros(3, dtype=long)):
    // IndexError: Target 0 is out of bounds.
    let logits = Tensor::<f32>::zeros(&[3, 0]);
    let msg = panic_message(|| {
        cross_entropy(&logits, &[0, 0, 0], Reduction::Mean);
    });
    assert!(msg.contains("nll_loss: Target 0 is out of bounds"), "{msg}");
    assert!(msg.contains("[3, 0]") && msg.contains("0 classes"), "{msg}");
    let msg = panic_message(|| {
        nll_loss(&logits, &[0, 0, 0], Reduction::Sum);
    });
    assert!(msg.contains("Target 0 is out of bounds"), "{msg}");
    // a wrong number of targets names both batch sizes
    let msg = panic_message(|| {
        nll_loss(&Tensor::<f32>::zeros(&[3, 2]), &[0, 1], Reduction::Mean);
    });
    assert!(
        msg.contains("Expected input batch_size (3) to match target batch_size (2)"),
        "{msg}"
    );
    // zero rows of zero classes is fine: the mean of nothing is NaN, the sum 0
    let none = Tensor::<f32>::zeros(&[0, 0]);
    assert!(cross_entropy(&none, &[], Reduction::Mean).item().is_nan());
    assert!(is_pos_zero(nll_loss(&none, &[], Reduction::Sum).item()));
    assert_eq!(
        nll_loss(&none, &[], Reduction::None).shape().as_slice(),
        &[0]
    );
}

#[test]
fn loss_options_panic_with_pytorchs_words_and_handle_empty_inputs() {
    let x = Tensor::<f32>::zeros(&[2, 3, 4]);
    // (N, C, d) input: the target must be (N, d)
    let msg = panic_message(|| {
        cross_entropy_with(
            &x,
            Tensor::<i64>::zeros(&[2, 3]),
            CrossEntropyOptions::new(),
        );
    });
    assert!(
        msg.contains("cross_entropy: Expected target size [2, 4], got [2, 3]"),
        "{msg}"
    );
    // one weight per class
    let msg = panic_message(|| {
        let w = Tensor::<f32>::ones(&[4]);
        nll_loss_with(
            &x,
            Tensor::<i64>::zeros(&[2, 4]),
            NllLossOptions::new().weight(&w),
        );
    });
    assert!(
        msg.contains("nll_loss: weight tensor should be defined either for all 3 classes"),
        "{msg}"
    );
    // class indices in range unless ignored
    let y = Tensor::from_vec(vec![3i64, -100], &[2]);
    let msg = panic_message(|| {
        nll_loss_with(&Tensor::<f32>::zeros(&[2, 3]), &y, NllLossOptions::new());
    });
    assert!(msg.contains("nll_loss: Target 3 is out of bounds"), "{msg}");
    let sum = NllLossOptions::new()
        .ignore_index(3)
        .reduction(Reduction::Sum);
    assert_eq!(
        nll_loss_with(&Tensor::<f32>::zeros(&[2, 3]), &[3, 0], sum).item(),
        0.0
    );
    // label smoothing in [0, 1]; probabilities of the input's shape, no ignore_index
    let msg = panic_message(|| {
        let y = Tensor::<i64>::zeros(&[2]);
        let o = CrossEntropyOptions::new().label_smoothing(1.5);
        cross_entropy_with(&Tensor::<f32>::zeros(&[2, 3]), &y, o);
    });
    assert!(
        msg.contains("label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
        "{msg}"
    );
    let msg = panic_message(|| {
        let p = Tensor::<f32>::zeros(&[2, 4]);
        cross_entropy_with(
            &Tensor::<f32>::zeros(&[2, 3]),
            &p,
            CrossEntropyOptions::new(),
        );
    });
    assert!(msg.contains("[2, 3]") && msg.contains("[2, 4]"), "{msg}");
    let msg = panic_message(|| {
        let p = Tensor::<f32>::zeros(&[2, 3]);
        let o = CrossEntropyOptions::new().ignore_index(1);
        cross_entropy_with(&Tensor::<f32>::zeros(&[2, 3]), &p, o);
    });
    assert!(
        msg.contains("ignore_index is not supported for floating point target"),
        "{msg}"
    );
    // every target ignored: the mean is 0/0 = NaN (PyTorch too), the sum 0
    let all = Tensor::from_vec(vec![-100i64, -100], &[2]);
    let logits = Tensor::<f32>::zeros(&[2, 3]);
    let o = CrossEntropyOptions::new().label_smoothing(0.1);
    assert!(cross_entropy_with(&logits, &all, o).item().is_nan());
    let o = CrossEntropyOptions::new().reduction(Reduction::Sum);
    assert_eq!(cross_entropy_with(&logits, &all, o).item(), 0.0);
    // zero rows of zero classes
    let none = Tensor::<f32>::zeros(&[0, 0]);
    let y = Tensor::<i64>::zeros(&[0]);
    assert!(cross_entropy_with(&none, &y, CrossEntropyOptions::new())
        .item()
        .is_nan());
    let o = NllLossOptions::new().reduction(Reduction::None);
    assert_eq!(nll_loss_with(&none, &y, o).shape().as_slice(), &[0]);
}

#[test]
fn gather_last_over_zero_classes_names_the_index_and_size() {
    let msg = panic_message(|| {
        Tensor::<f32>::zeros(&[3, 0]).gather_last(&[0, 0, 0]);
    });
    assert!(
        msg.contains("index 0 at position 0 is out of bounds for dimension -1 with size 0"),
        "{msg}"
    );
    // three rows need three indices
    let msg = panic_message(|| {
        Tensor::<f32>::zeros(&[3, 0]).gather_last(&[0]);
    });
    assert!(
        msg.contains("expected 3 indices (one per row), got 1"),
        "{msg}"
    );
}

// ------------------------------------------------------------------ zero in-features

#[test]
fn linear_over_zero_in_features_is_the_bias_as_pytorch() {
    // F.linear(torch.zeros(4, 0), w[2, 0], b) is b broadcast to [4, 2]; dW is an empty [2, 0],
    // db sums the 4 rows of the incoming gradient.
    let x = Tensor::<f32>::zeros(&[4, 0]);
    let w = Tensor::<f32>::zeros(&[2, 0]).requires_grad_(true);
    let b = Tensor::from_vec(vec![1.0f32, -2.0], &[2]).requires_grad_(true);
    let y = x.linear(&w, Some(&b));
    assert_eq!(y.shape().as_slice(), &[4, 2]);
    assert_eq!(y.to_vec(), [1.0, -2.0].repeat(4));
    y.sum().backward();
    assert_eq!(w.grad().unwrap().shape().as_slice(), &[2, 0]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![4.0, 4.0]);
    // leading batch dims, no bias: zeros of [2, 3, 2]
    let x = Tensor::<f32>::zeros(&[2, 3, 0]).requires_grad_(true);
    let y = x.linear(&w, None);
    assert_eq!(y.shape().as_slice(), &[2, 3, 2]);
    assert!(y.to_vec().into_iter().all(is_pos_zero));
    y.sum().backward();
    assert_eq!(x.grad().unwrap().shape().as_slice(), &[2, 3, 0]);
    // matmul with an empty inner dimension: zeros, as torch.zeros(4, 0) @ torch.zeros(0, 2)
    let m = Tensor::<f32>::zeros(&[4, 0]).matmul(&Tensor::<f32>::zeros(&[0, 2]));
    assert_eq!(m.shape().as_slice(), &[4, 2]);
    assert!(m.to_vec().into_iter().all(is_pos_zero));
}

#[test]
fn linear_over_an_empty_batch_has_zero_weight_and_bias_gradients_as_pytorch() {
    // F.linear(torch.zeros(0, 3), w[2, 3], b) is an empty [0, 2]; its sum is 0, and backward
    // gives dW = zeros [2, 3] (an empty sum over rows) and db = zeros [2].
    let x = Tensor::<f32>::zeros(&[0, 3]).requires_grad_(true);
    let w = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).requires_grad_(true);
    let b = Tensor::from_vec(vec![1.0f32, -2.0], &[2]).requires_grad_(true);
    let y = x.linear(&w, Some(&b));
    assert_eq!(y.shape().as_slice(), &[0, 2]);
    y.sum().backward();
    assert_eq!(x.grad().unwrap().shape().as_slice(), &[0, 3]);
    assert_eq!(w.grad().unwrap().to_vec(), vec![0.0; 6]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![0.0, 0.0]);
    assert!(b.grad().unwrap().to_vec().into_iter().all(is_pos_zero));
}

// ------------------------------------------------------------------ sizes

#[test]
fn reshape_to_an_overflowing_size_panics_with_pytorchs_words() {
    // torch: shape '[4611686018427387904, 4611686018427387904, 4]' is invalid for input of size 4
    let x = Tensor::<f32>::zeros(&[4]);
    for target in [
        vec![1isize << 62, 1 << 62, 4],
        vec![1 << 62, 1 << 62, -1],
        vec![isize::MAX, 2],
        vec![1 << 62, 1 << 62, 0],
    ] {
        let msg = panic_message(|| {
            x.reshape(&target);
        });
        assert!(
            msg.contains("is invalid for input of size 4"),
            "{target:?}: {msg}"
        );
        let msg = panic_message(|| {
            x.view(&target);
        });
        assert!(
            msg.contains("is invalid for input of size 4"),
            "{target:?}: {msg}"
        );
        assert!(x.try_reshape(&target).is_err());
    }
    // an empty tensor with sizes whose non-zero product overflows cannot be indexed either
    let e = Tensor::<f32>::zeros(&[0]);
    assert!(e.try_reshape(&[1 << 62, 1 << 62, 0]).is_err());
    // valid targets still work, the -1 inferred
    assert_eq!(x.reshape(&[2, -1]).shape().as_slice(), &[2, 2]);
    assert_eq!(e.reshape(&[3, 0, 5]).shape().as_slice(), &[3, 0, 5]);
}

#[test]
fn sum_to_a_lower_rank_sums_the_leading_dims_as_sum_to_size() {
    // x.sum_to_size(3) of ones(2, 3) is [2, 2, 2]; sum_to_size(()) is 6
    let x = Tensor::<f32>::ones(&[2, 3]);
    assert_eq!(x.sum_to(&[3]).to_vec(), vec![2.0, 2.0, 2.0]);
    assert_eq!(x.sum_to(&[1]).to_vec(), vec![6.0]);
    let s = x.sum_to(&[]);
    assert_eq!(s.shape().as_slice(), &[] as &[usize]);
    assert_eq!(s.item(), 6.0);
    assert_eq!(Tensor::<f32>::ones(&[3]).sum_to(&[]).item(), 3.0);
    assert!(is_pos_zero(Tensor::<f32>::ones(&[0, 3]).sum_to(&[]).item()));
    // y = arange(24) as [2, 3, 4]: y[i, j, k] = 12i + 4j + k.
    // sum_to([4]): Σ_{i,j} (12i + 4j + k) = 3·12 + 2·12 + 6k = 60 + 6k;
    // sum_to([3, 1]): Σ_{i,k} = 48 + 32j + 12 = 60 + 32j; the same through a transpose
    // (a strided gradient, copied first): yᵀ[k, j, i] summed to [i] = Σ_{j,k} = 144i + 48 + 18.
    let y = Tensor::<f32>::arange(0.0, 24.0, 1.0).reshape(&[2, 3, 4]);
    assert_eq!(y.sum_to(&[4]).to_vec(), vec![60.0, 66.0, 72.0, 78.0]);
    assert_eq!(y.sum_to(&[3, 1]).to_vec(), vec![60.0, 92.0, 124.0]);
    assert_eq!(
        y.permute(&[2, 1, 0]).sum_to(&[2]).to_vec(),
        vec![66.0, 210.0]
    );
    // a 0-d tensor cannot be summed to [1] (more dims): PyTorch's sum_to_size says
    // "size {1} is not expandable to size {}"
    let msg = panic_message(|| {
        Tensor::<f32>::scalar(1.0).sum_to(&[1]);
    });
    assert!(
        msg.contains("sum_to_size: size {1} is not expandable to size {}"),
        "{msg}"
    );
}

#[test]
fn rand_of_too_many_elements_panics_instead_of_wrapping_to_empty() {
    // [1<<40, 1<<40] is 2^80 elements: the count used to wrap to 0 and give an empty tensor
    let msg = panic_message(|| {
        Tensor::<f32>::rand(&[1 << 40, 1 << 40]);
    });
    assert!(msg.contains("Trying to create tensor of shape"), "{msg}");
    assert!(msg.contains("rand") || msg.contains("uniform"), "{msg}");
}
