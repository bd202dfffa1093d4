//! Integer and boolean tensors: creation, printing as PyTorch prints them, comparisons and
//! logic, conversions (differentiable between float types), index tensors feeding `gather`,
//! `index_select`, `cross_entropy` and friends, and PyTorch's error messages. Expected values
//! are derived by hand in the comments; the PyTorch golden cases are in `golden_ops_v2.rs`.

mod common;

use common::panic_message;
use tapegrad_autograd::functional::{cross_entropy, embedding, nll_loss, Reduction};
use tapegrad_autograd::{gradcheck, DType, Tensor};

#[test]
fn integer_and_boolean_tensors_print_as_pytorch_prints_them() {
    // torch.tensor([1, -20, 3]) -> "tensor([  1, -20,   3])": right-aligned to the widest.
    let i = Tensor::from_vec(vec![1i64, -20, 3], &[3]);
    assert_eq!(i.to_string(), "tensor([  1, -20,   3])");
    // torch.tensor([True, False]) -> "tensor([ True, False])"; no dtype suffix for int64/bool.
    let b = Tensor::from_vec(vec![true, false], &[2]);
    assert_eq!(b.to_string(), "tensor([ True, False])");
    assert_eq!(
        Tensor::from_vec(vec![0i64, 1, 2, 3], &[2, 2]).to_string(),
        "tensor([[0, 1],\n        [2, 3]])"
    );
    assert_eq!((i.dtype(), b.dtype()), (DType::I64, DType::Bool));
}

#[test]
fn arange_makes_exact_integer_tensors() {
    let a = Tensor::<i64>::arange(-3, 7, 2);
    assert_eq!(a.to_vec(), vec![-3, -1, 1, 3, 5]);
    // Views of integer tensors share storage as float views do.
    let m = Tensor::<i64>::arange(0, 6, 1).reshape(&[2, 3]);
    assert!(m.t().shares_storage(&m));
    assert_eq!(m.t().contiguous().to_vec(), vec![0, 3, 1, 4, 2, 5]);
    assert_eq!(m.i((.., 1..)).to_vec(), vec![1, 2, 4, 5]);
    assert_eq!(Tensor::cat(&[&m, &m], 0).shape().as_slice(), &[4, 3]);
}

#[test]
fn accuracy_reads_as_in_pytorch() {
    // (pred.argmax(1) == y).float().mean(): rows pick classes 1, 0, 2; y = 1, 2, 2 -> 2 of 3.
    let logits = Tensor::from_vec(
        vec![0.1f32, 0.9, 0.0, 2.0, 1.0, 0.5, -1.0, 0.0, 3.0],
        &[3, 3],
    );
    let y = Tensor::from_vec(vec![1i64, 2, 2], &[3]);
    let pred = logits.argmax(Some(1), false);
    assert_eq!(pred.to_vec(), vec![1, 0, 2]);
    let acc = pred.eq(&y).float().mean();
    assert_eq!(acc.item(), 2.0 / 3.0);
    assert_eq!(pred.eq(&y).sum().item(), 2);
}

#[test]
fn comparisons_broadcast_and_take_scalars() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    let row = Tensor::from_vec(vec![2.0f32, 2.0], &[2]);
    // [[1 < 2, 2 < 2], [3 < 2, 4 < 2]]
    assert_eq!(a.lt(&row).to_vec(), vec![true, false, false, false]);
    assert_eq!(a.ge(3.0).to_vec(), vec![false, false, true, true]);
    assert_eq!(a.ne(2.0).to_vec(), vec![true, false, true, true]);
    // NaN compares unequal to everything, itself included.
    let n = Tensor::from_vec(vec![f32::NAN], &[1]);
    assert_eq!(
        (n.eq(&n).to_vec(), n.ne(&n).to_vec()),
        (vec![false], vec![true])
    );
    let m = a.gt(1.5).logical_and(&a.lt(3.5));
    assert_eq!(m.to_vec(), vec![false, true, true, false]);
    assert_eq!(m.logical_not().to_vec(), vec![true, false, false, true]);
    assert!(m.any().item() && !m.all().item());
    // Empty: any() is false and all() is true, as in PyTorch.
    let e = Tensor::<bool>::zeros(&[0, 3]);
    assert!(!e.any().item() && e.all().item());
}

#[test]
fn only_float_tensors_can_require_grad() {
    let msg = panic_message(|| {
        Tensor::from_vec(vec![1i64], &[1]).requires_grad_(true);
    });
    assert!(
        msg.contains("only Tensors of floating point dtype can require gradients"),
        "{msg}"
    );
}

#[test]
fn conversions_round_truncate_and_carry_gradients_between_float_types() {
    let x = Tensor::from_vec(vec![-1.5f32, 0.0, 2.7], &[3]);
    assert_eq!(x.long().to_vec(), vec![-1, 0, 2]); // toward zero
    assert_eq!(x.bool().to_vec(), vec![true, false, true]);
    assert_eq!(x.bool().long().to_vec(), vec![1, 0, 1]);
    // f64 -> f32 rounds to nearest: 0.1 becomes the nearest f32.
    assert_eq!(Tensor::from_vec(vec![0.1f64], &[1]).float().item(), 0.1f32);
    // y = Σ (x as f64)³ / 3 -> dy/dx = x², computed in f64 and converted back.
    let x = Tensor::from_vec(vec![1.0f32, -2.0], &[2]).requires_grad_(true);
    let y = x.double().pow(3).sum().div_scalar(3.0);
    assert_eq!(y.grad_fn_name(), Some("DivBackward0"));
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![1.0, 4.0]);
    // Used twice: the two paths' gradients add up (d/dx (2x + 3x) = 5).
    let x = Tensor::from_vec(vec![1.0f64], &[1]).requires_grad_(true);
    let f = x.float();
    (&f * 2.0 + &(&f * 3.0)).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![5.0]);
    // An integer result has no gradient.
    assert!(!x.long().requires_grad());
}

#[test]
fn index_select_and_index_add_along_a_middle_dimension_move_whole_runs() {
    // x = arange(24) as [2, 3, 4]: x[i, j, k] = 12i + 4j + k. index_select(1, [2, 0, 2]):
    // out[i, m, k] = x[i, idx[m], k], runs of 4 copied whole for each i.
    let x = Tensor::<f64>::arange(0.0, 24.0, 1.0)
        .reshape(&[2, 3, 4])
        .requires_grad_(true);
    let idx = Tensor::from_vec(vec![2i64, 0, 2], &[3]);
    let out = x.index_select(1, &idx);
    assert_eq!(out.shape().as_slice(), &[2, 3, 4]);
    let want: Vec<f64> = (0..24)
        .map(|f| {
            let (i, m, k) = (f / 12, f / 4 % 3, f % 4);
            (12 * i + 4 * [2, 0, 2][m] + k) as f64
        })
        .collect();
    assert_eq!(out.to_vec(), want);
    // Backward with g = 100·m + k + 1 at out[i, m, k]: row j = 2 of x gets m = 0 and m = 2
    // added in that order (1 + k + 201 + k = 202 + 2k), row 0 gets m = 1 (101 + k), row 1
    // nothing; the same for both i.
    let g = Tensor::from_vec(
        (0..24)
            .map(|f| (100 * (f / 4 % 3) + f % 4 + 1) as f64)
            .collect(),
        &[2, 3, 4],
    );
    out.backward_with(tapegrad_autograd::BackwardOptions::new().gradient(g.clone()));
    let row = |j: usize, k: usize| match j {
        0 => 101.0 + k as f64,
        1 => 0.0,
        _ => 202.0 + 2.0 * k as f64,
    };
    let dx: Vec<f64> = (0..24).map(|f| row(f / 4 % 3, f % 4)).collect();
    assert_eq!(x.grad().unwrap().to_vec(), dx);
    // index_add onto ones: the same sums plus 1; a strided source (the same values through a
    // double transpose) takes the general path and gives the same result.
    let base = Tensor::<f64>::ones(&[2, 3, 4]);
    let plus_one: Vec<f64> = dx.iter().map(|v| v + 1.0).collect();
    assert_eq!(base.index_add(1, &idx, &g).to_vec(), plus_one);
    let strided = g.transpose(0, 2).contiguous().transpose(0, 2);
    assert!(!strided.is_contiguous());
    assert_eq!(base.index_add(1, &idx, &strided).to_vec(), plus_one);
}

#[test]
fn index_ops_pick_and_route_gradients_by_hand() {
    // gather(1): out[i][j] = x[i][idx[i][j]]; gradient of Σ out adds 1 per pick.
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).requires_grad_(true);
    let idx = Tensor::from_vec(vec![2i64, 2, 0, 1], &[2, 2]);
    let g = x.gather(1, &idx);
    assert_eq!(g.to_vec(), vec![3.0, 3.0, 4.0, 5.0]);
    g.sum().backward();
    assert_eq!(
        x.grad().unwrap().to_vec(),
        vec![0.0, 0.0, 2.0, 1.0, 1.0, 0.0]
    );
    // index_select(0, [1, 1]) twice row 1: its gradient is 2 per element.
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0, 4.0], &[2, 2]).requires_grad_(true);
    let rows = x.index_select(0, &Tensor::from_vec(vec![1i64, 1], &[2]));
    assert_eq!(rows.to_vec(), vec![3.0, 4.0, 3.0, 4.0]);
    rows.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, 2.0, 2.0]);
    // Finite differences through gather, scatter_add, masked_fill and where.
    let a = Tensor::from_vec(vec![0.3f64, -0.7, 1.1, 0.2, 0.5, -0.4], &[2, 3]).requires_grad_(true);
    let s = Tensor::from_vec(vec![0.9f64, -0.1], &[1, 2]).requires_grad_(true);
    let i = Tensor::from_vec(vec![2i64, 0], &[1, 2]);
    let mask = a.gt(0.25);
    gradcheck(
        |v| {
            let y = v[0]
                .scatter_add(1, &i, &v[1])
                .gather(0, &Tensor::from_vec(vec![1i64, 0, 1], &[1, 3]));
            Tensor::where_(&mask.select(0, 0), &y, &v[0].select(0, 1))
                .masked_fill(&mask.select(0, 1), 0.0)
                .square()
                .sum()
        },
        &[a, s],
        1e-6,
        1e-7,
        1e-5,
    )
    .unwrap();
}

#[test]
fn out_of_range_indices_fail_with_pytorchs_words() {
    let x = Tensor::<f32>::zeros(&[3, 2]);
    let msg = panic_message(|| {
        x.index_select(0, &Tensor::from_vec(vec![5i64], &[1]));
    });
    assert!(
        msg.contains("index 5 is out of bounds for dimension 0 with size 3"),
        "{msg}"
    );
    let msg = panic_message(|| {
        x.gather(1, &Tensor::from_vec(vec![0i64, -1, 0], &[3, 1]));
    });
    assert!(
        msg.contains("index -1 is out of bounds for dimension 1 with size 2"),
        "{msg}"
    );
    let msg = panic_message(|| {
        cross_entropy(
            &x,
            Tensor::from_vec(vec![0i64, -3, 1], &[3]),
            Reduction::Mean,
        );
    });
    assert!(msg.contains("Target -3 is out of bounds."), "{msg}");
}

#[test]
fn losses_take_index_tensors_and_ignore_minus_100() {
    // Two samples of two equal logits: each loss is ln 2.
    let logits = Tensor::from_vec(vec![0.0f64, 0.0, 5.0, 5.0], &[2, 2]).requires_grad_(true);
    let y = Tensor::from_vec(vec![1i64, 0], &[2]);
    let l = cross_entropy(&logits, &y, Reduction::Mean);
    assert!((l.item() - 2f64.ln()).abs() < 1e-12);
    // ignore_index = -100: the second sample is left out of the loss, the mean and the gradient.
    let y = Tensor::from_vec(vec![1i64, -100], &[2]);
    let l = nll_loss(&logits.log_softmax(-1), &y, Reduction::Mean);
    assert!((l.item() - 2f64.ln()).abs() < 1e-12);
    l.backward();
    // d/dz of -log softmax(z)_1 = softmax(z) - onehot(1) = [0.5, -0.5]; row 2 gets nothing.
    assert_eq!(logits.grad().unwrap().to_vec(), vec![0.5, -0.5, 0.0, 0.0]);
}

#[test]
fn embedding_and_one_hot() {
    let w =
        Tensor::from_vec(vec![0.0f64, 1.0, 10.0, 11.0, 20.0, 21.0], &[3, 2]).requires_grad_(true);
    let ids = Tensor::from_vec(vec![2i64, 0, 2, 2], &[2, 2]);
    let e = embedding(&ids, &w);
    assert_eq!(e.shape().as_slice(), &[2, 2, 2]);
    assert_eq!(
        e.to_vec(),
        vec![20.0, 21.0, 0.0, 1.0, 20.0, 21.0, 20.0, 21.0]
    );
    e.sum().backward();
    // Row 2 was used three times, row 0 once, row 1 never.
    assert_eq!(
        w.grad().unwrap().to_vec(),
        vec![1.0, 1.0, 0.0, 0.0, 3.0, 3.0]
    );
    let msg = panic_message(|| {
        Tensor::from_vec(vec![3i64], &[1]).one_hot(Some(3));
    });
    assert!(
        msg.contains("Class values must be smaller than num_classes"),
        "{msg}"
    );
}

#[test]
fn sort_topk_and_max_by_dim_return_index_tensors() {
    let x = Tensor::from_vec(vec![3.0f64, f64::NAN, 1.0, 2.0], &[4]).requires_grad_(true);
    // NaN sorts last (largest), as in PyTorch.
    let (v, i) = x.sort(0, false);
    assert_eq!(i.to_vec(), vec![2, 3, 0, 1]);
    assert!(v.to_vec()[3].is_nan());
    let (v, i) = x.topk(2, 0, false);
    assert_eq!((v.to_vec(), i.to_vec()), (vec![1.0, 2.0], vec![2, 3]));
    // The gradient of the two smallest goes back to positions 2 and 3.
    v.sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0, 1.0, 1.0]);
    let m = Tensor::from_vec(vec![1.0f32, 7.0, 7.0, 0.0], &[2, 2]);
    let (v, i) = m.min_dim(1, true);
    assert_eq!((v.to_vec(), i.to_vec()), (vec![1.0, 0.0], vec![0, 1]));
    assert_eq!(i.shape().as_slice(), &[2, 1]);
    // Ties: the first maximum wins.
    assert_eq!(m.argmax(None, false).item(), 1);
}

#[test]
fn tensor_exponents_read_almost_as_in_pytorch() {
    // x.unsqueeze(-1).pow(p) with p = tensor([1, 2, 3]) (the tutorial's polynomial features).
    let x = Tensor::from_vec(vec![2.0f32, -1.0], &[2]);
    let p = Tensor::<i64>::arange(1, 4, 1);
    let xx = x.unsqueeze(-1).pow_tensor(&p.float());
    assert_eq!(xx.to_vec(), vec![2.0, 4.0, 8.0, -1.0, 1.0, -1.0]);
}
