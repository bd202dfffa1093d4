//! Storage, views and the version counter: views share storage (writes go both ways), `view`
//! fails where PyTorch's does, gradients flow through every view (hand-derived values and
//! finite differences), saved tensors changed in place are reported, and reading a tensor
//! while writing it panics instead of hanging.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tapegrad_autograd::{gradcheck, gradgradcheck, SliceArg, Tensor};

fn ar(n: usize, shape: &[isize]) -> Tensor<f32> {
    Tensor::<f32>::arange(0.0, n as f32, 1.0).reshape(shape)
}

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("should panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn views_share_storage_and_do_not_copy() {
    let x = ar(12, &[3, 4]);
    for v in [
        x.t(),
        x.view(&[4, 3]),
        x.narrow(1, 1, 2),
        x.select(0, 1),
        x.i((.., 1..3)),
        x.unsqueeze(0),
        x.flatten(0),
        x.detach(),
        x.diagonal(0, 0, 1),
        x.permute(&[1, 0]),
    ] {
        assert!(v.shares_storage(&x));
    }
    let e = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]).broadcast_to(&[2, 3]);
    assert_eq!(e.stride(), vec![1, 0]);
    assert!(!x.copy().shares_storage(&x));
}

#[test]
fn strides_offsets_and_contiguity_follow_pytorch() {
    let x = ar(24, &[2, 3, 4]);
    assert_eq!(x.stride(), vec![12, 4, 1]);
    assert!(x.is_contiguous());
    let p = x.permute(&[2, 0, 1]);
    assert_eq!(p.stride(), vec![1, 12, 4]);
    assert!(!p.is_contiguous());
    let n = x.narrow(2, 1, 2);
    assert_eq!((n.stride(), n.storage_offset()), (vec![12, 4, 1], 1));
    let s = x.i((1, SliceArg::step(.., 2)));
    assert_eq!((s.shape().to_vec(), s.stride()), (vec![2, 4], vec![8, 1]));
    assert_eq!(s.storage_offset(), 12);
    assert_eq!(s.to_vec(), vec![12.0, 13., 14., 15., 20., 21., 22., 23.]);
    // x[0, :, ::3] and the diagonal of the last two dims
    assert_eq!(
        x.i((0, .., SliceArg::step(.., 3))).to_vec(),
        vec![0.0, 3., 4., 7., 8., 11.]
    );
    assert_eq!(
        x.diagonal(1, 1, 2).to_vec(),
        vec![1.0, 6., 11., 13., 18., 23.]
    );
    assert_eq!(x.diagonal(-1, 1, 2).to_vec(), vec![4.0, 9., 16., 21.]);
    let c = p.contiguous();
    assert!(c.is_contiguous() && !c.shares_storage(&x));
    assert_eq!(c.to_vec(), p.to_vec());
}

#[test]
fn writing_through_a_view_changes_the_base_and_the_reverse() {
    let x = ar(6, &[2, 3]);
    let col = x.select(1, 1); // x[:, 1]
    col.data_mut().fill(-1.0);
    assert_eq!(x.to_vec(), vec![0.0, -1.0, 2.0, 3.0, -1.0, 5.0]);
    x.data_mut()[[1, 1]] = 7.0;
    assert_eq!(col.to_vec(), vec![-1.0, 7.0]);
    let d = x.detach();
    d.data_mut()[[0, 0]] = 9.0;
    assert_eq!(x.to_vec()[0], 9.0);
}

#[test]
fn view_fails_where_pytorch_fails_and_reshape_copies_there() {
    let x = ar(6, &[2, 3]);
    let msg = panic_message(|| {
        x.t().view(&[-1]);
    });
    assert!(
        msg.contains("view size is not compatible with input tensor's size and stride")
            && msg.contains("Use .reshape(...) instead."),
        "{msg}"
    );
    let r = x.t().reshape(&[-1]);
    assert!(!r.shares_storage(&x));
    assert_eq!(r.to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    // A transposed tensor can still be viewed where the strides allow: [3, 2] -> [3, 2, 1].
    assert!(x.t().view(&[3, 2, 1]).shares_storage(&x));
    // Splitting a dimension of a non-contiguous tensor is a view too (PyTorch's computeStride).
    let y = ar(24, &[4, 6]).narrow(1, 0, 4);
    let v = y.view(&[2, 2, 4]);
    assert_eq!(v.stride(), vec![12, 6, 1]);
    assert_eq!(v.to_vec(), y.to_vec());
}

#[test]
fn expanded_views_read_their_repeated_values() {
    // A broadcast column (innermost stride 0), a broadcast row (outer stride 0), one value
    // everywhere (every stride 0) and an expanded offset view, each read into a new buffer.
    let col = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]).expand(&[-1, 3]);
    assert_eq!(col.to_vec(), [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]);
    let row = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]).expand(&[3, -1]);
    assert_eq!(row.to_vec(), [1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    let one = Tensor::from_vec(vec![7.0f32], &[1, 1, 1]).expand(&[2, 2, 2]);
    assert_eq!(one.to_vec(), [7.0; 8]);
    let picked = ar(6, &[2, 3]).i((1, 2..3)).expand(&[2, 2, -1]);
    assert_eq!(picked.to_vec(), [5.0; 4]);
    let mid = ar(6, &[2, 1, 3]).expand(&[2, 2, 3]);
    assert_eq!(
        mid.to_vec(),
        [0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 3.0, 4.0, 5.0]
    );
}

#[test]
fn expanded_views_are_read_only() {
    let e = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]).expand(&[-1, 3]);
    let msg = panic_message(|| {
        e.data_mut().fill(0.0);
    });
    assert!(
        msg.contains(
            "more than one element of the written-to tensor refers to a single memory location"
        ),
        "{msg}"
    );
}

#[test]
fn gradients_flow_back_through_selecting_views() {
    // y = 2·x[1, 1:3] + 3·x[:, 0] summed: ∂y/∂x is 2 at [1,1],[1,2] and 3 at [0,0],[1,0].
    let x = ar(6, &[2, 3]).detach().requires_grad_(true);
    let y = (x.i((1, 1..3)) * 2.0).sum() + (x.select(1, 0) * 3.0).sum();
    y.backward();
    assert_eq!(
        x.grad().unwrap().to_vec(),
        vec![3.0, 0.0, 0.0, 3.0, 2.0, 2.0]
    );
    // diagonal: d(Σ diag)/dx = identity; expand: d(Σ expand)/dx = number of copies
    let m = ar(9, &[3, 3]).detach().requires_grad_(true);
    m.diagonal(0, 0, 1).sum().backward();
    assert_eq!(
        m.grad().unwrap().to_vec(),
        vec![1.0, 0., 0., 0., 1., 0., 0., 0., 1.]
    );
    let v = Tensor::from_vec(vec![1.0f32, 2.0], &[2, 1]).requires_grad_(true);
    v.expand(&[-1, 4]).sum().backward();
    assert_eq!(v.grad().unwrap().to_vec(), vec![4.0, 4.0]);
    assert_eq!(x.i((1, 1..3)).grad_fn_name(), Some("SliceBackward0"));
    assert_eq!(x.select(1, 0).grad_fn_name(), Some("SelectBackward0"));
}

#[test]
fn views_pass_gradcheck_and_gradgradcheck() {
    let x = Tensor::<f64>::from_vec(
        (0..24).map(|i| (i as f64 * 0.37).sin()).collect(),
        &[2, 3, 4],
    );
    type F = fn(&[Tensor<f64>]) -> Tensor<f64>;
    let cases: Vec<(&str, F)> = vec![
        ("narrow", |v| v[0].narrow(2, 1, 2).pow(2.0)),
        ("select", |v| v[0].select(-1, 3).sigmoid()),
        ("slice step", |v| {
            v[0].i((.., SliceArg::step(.., 2))).pow(3.0)
        }),
        ("diagonal", |v| v[0].diagonal(1, 1, 2).tanh()),
        ("permute+view", |v| {
            v[0].permute(&[2, 0, 1]).reshape(&[4, 6]).pow(2.0)
        }),
        ("expand", |v| {
            v[0].narrow(0, 0, 1).expand(&[3, -1, -1]).pow(2.0)
        }),
        ("unbind", |v| v[0].unbind(1)[2].exp()),
        ("split", |v| {
            &v[0].split(3, 2)[0].pow(2.0).sum() * &v[0].split(3, 2)[1].sum()
        }),
        ("chunk", |v| v[0].chunk(2, 0)[1].pow(2.0)),
        ("mt matmul", |v| v[0].mt().matmul(&v[0])),
    ];
    for (name, f) in cases {
        assert!(
            gradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-7, 1e-5).is_ok(),
            "{name}"
        );
        assert!(
            gradgradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-6, 1e-4).is_ok(),
            "{name}"
        );
    }
}

#[test]
fn matmul_and_linear_read_transposed_and_sliced_operands() {
    let a = ar(12, &[3, 4]);
    let b = ar(20, &[4, 5]);
    let want = a.matmul(&b).to_vec();
    // aᵀ stored as [4, 3] then transposed back: a non-contiguous operand with a's values.
    let at = a.t().contiguous().t();
    assert!(!at.is_contiguous());
    assert_eq!(at.matmul(&b).to_vec(), want);
    let bt = b.t().contiguous().t();
    assert_eq!(a.matmul(&bt).to_vec(), want);
    let w = ar(8, &[2, 4]);
    let x3 = ar(24, &[3, 2, 4]).permute(&[1, 0, 2]); // [2, 3, 4], not contiguous
    let y = x3.linear(&w, None);
    assert_eq!(y.to_vec(), x3.contiguous().linear(&w, None).to_vec());
}

#[test]
fn backward_reports_a_saved_tensor_changed_in_place() {
    let x = Tensor::from_vec(vec![0.5f32, -1.0, 2.0, 0.0, 1.0, 3.0], &[3, 2]).requires_grad_(true);
    let y = (&x * 2.0).sigmoid(); // SigmoidBackward0 saves its output y
    let z = y.sum();
    y.data_mut().fill(0.0);
    let msg = panic_message(|| z.backward());
    assert!(
        msg.contains(
            "one of the variables needed for gradient computation has been modified by an \
             inplace operation: [torch.FloatTensor [3, 2]], which is output 0 of \
             SigmoidBackward0, is at version 1; expected version 0 instead."
        ),
        "{msg}"
    );
    // An op that only needs shapes (add) does not mind.
    let a = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    let b = a.copy();
    let c = (&b + &a).sum();
    b.data_mut().fill(5.0);
    c.backward();
    assert_eq!(a.grad().unwrap().to_vec(), vec![2.0, 2.0]);
}

#[test]
fn reading_a_tensor_while_writing_it_panics_instead_of_hanging() {
    let p = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).with_label("p");
    let msg = panic_message(|| {
        let mut w = p.data_mut();
        let r = p.data();
        w[[0]] += r[[0]];
    });
    assert!(
        msg.contains("data() on tensor 'p' of shape [2]") && msg.contains("Drop the guard first"),
        "{msg}"
    );
    // Two reads of one tensor in one expression are fine, and a later write still works.
    let w = Tensor::from_vec(vec![3.0f32], &[1]);
    assert_eq!((&w * &w).item(), 9.0);
    w.data_mut()[[0]] = 1.0;
    assert_eq!(w.item(), 1.0);
}

#[test]
fn squaring_in_one_thread_while_another_writes_never_stalls() {
    // The deadlock of the old core: two reads of `w` (`&w * &w`) with a writer queued between
    // them. Both threads must finish their iterations.
    let w = Tensor::from_vec(vec![0.5f32; 64], &[64]);
    let w2 = w.clone();
    let writer = std::thread::spawn(move || {
        for _ in 0..20_000 {
            let mut d = w2.data_mut();
            d.mapv_inplace(|v| v * 0.999_999);
        }
    });
    for _ in 0..20_000 {
        let s = (&w * &w).sum().item();
        assert!(s > 0.0);
    }
    writer.join().unwrap();
}
