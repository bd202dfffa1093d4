//! PyTorch semantics of the tape: gradient accumulation, `no_grad`, `retain_grad`, hooks,
//! `detach`, the error messages a PyTorch user expects, `try_` errors, `Display`, the seeded
//! generator, f64 tensors and thread safety.

use std::sync::{Arc, Mutex};
use tapegrad_autograd::{
    manual_seed, no_grad, rng_state, set_rng_state, BackwardOptions, Generator, GradModeGuard,
    Tensor, TensorError,
};

/// The generator is process-wide and tests run on parallel threads: tests that draw random
/// numbers take this lock so no other test draws between their seed and their draws.
static RNG_LOCK: Mutex<()> = Mutex::new(());

fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    RNG_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

fn v32(values: &[f32], shape: &[usize]) -> Tensor<f32> {
    Tensor::from_vec(values.to_vec(), shape)
}

fn leaf(values: &[f32], shape: &[usize]) -> Tensor<f32> {
    v32(values, shape).requires_grad_(true)
}

// ------------------------------------------------------------------ accumulation

#[test]
fn a_tensor_used_several_times_sums_its_gradients() {
    let x = leaf(&[2.0, -3.0, 0.5], &[3]);
    (&x * &x + &x).sum().backward();
    // d(x² + x)/dx = 2x + 1
    assert_eq!(x.grad().unwrap().to_vec(), vec![5.0, -5.0, 2.0]);
}

#[test]
fn a_diamond_graph_sums_both_paths() {
    // y = x·2, z = y·y + y·3 → dz/dx = (2y + 3)·2 = 8x + 6
    let x = leaf(&[1.0, -2.0], &[2]);
    let y = &x * 2.0;
    (&y * &y + &y * 3.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![14.0, -10.0]);
}

#[test]
fn gradients_accumulate_across_backward_calls_until_zeroed() {
    let x = leaf(&[1.0, 2.0], &[2]);
    (&x * 3.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, 3.0]);
    (&x * &x).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![5.0, 7.0]); // 3 + 2x

    let buffer = x.grad().unwrap();
    x.zero_grad();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.0]);
    assert!(
        buffer.same(&x.grad().unwrap()),
        "zero_grad keeps the buffer"
    );
    (&x * 4.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![4.0, 4.0]);

    x.set_grad(None);
    assert!(x.grad().is_none());
    x.zero_grad(); // a no-op without a gradient
    assert!(x.grad().is_none());
    (&x * 5.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![5.0, 5.0]);
}

#[test]
fn broadcast_operands_get_gradients_of_their_own_shape() {
    let a = leaf(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let b = leaf(&[10.0, 20.0, 30.0], &[3]);
    let c = Tensor::scalar(2.0f32).requires_grad_(true);
    ((&a * &b) * &c).sum().backward();
    // d/db = c · Σ_rows a = 2·[5, 7, 9]; d/dc = Σ a·b = 10+40+90+40+100+180 = 460
    assert_eq!(b.grad().unwrap().to_vec(), vec![10.0, 14.0, 18.0]);
    assert_eq!(c.grad().unwrap().shape().as_slice(), &[] as &[usize]);
    assert_eq!(c.grad().unwrap().item(), 460.0);
    assert_eq!(
        a.grad().unwrap().to_vec(),
        vec![20.0, 40.0, 60.0, 20.0, 40.0, 60.0]
    );
}

// ------------------------------------------------------------------ no_grad

#[test]
fn no_grad_closure_records_nothing() {
    let w = leaf(&[1.0, 2.0], &[2]);
    let y = no_grad(|| (&w * 3.0).exp().sum());
    assert!(!y.requires_grad());
    assert!(y.is_leaf());
    assert_eq!(y.grad_fn_name(), None);
    // Recording is back on outside.
    let z = (&w * 3.0).sum();
    assert!(z.requires_grad());
    assert_eq!(z.grad_fn_name(), Some("SumBackward0"));
}

#[test]
fn no_grad_guard_restores_the_previous_mode() {
    let w = leaf(&[1.0], &[1]);
    {
        let _outer = GradModeGuard::no_grad();
        assert!(!(&w * 2.0).requires_grad());
        {
            let _inner = GradModeGuard::enable_grad();
            assert!((&w * 2.0).requires_grad());
        }
        assert!(!(&w * 2.0).requires_grad());
    }
    assert!((&w * 2.0).requires_grad());
}

#[test]
fn grad_mode_is_per_thread() {
    let _g = GradModeGuard::no_grad();
    let w = leaf(&[1.0], &[1]);
    let other = {
        let w = w.clone();
        std::thread::spawn(move || (&w * 2.0).requires_grad())
            .join()
            .unwrap()
    };
    assert!(other, "another thread still records");
    assert!(!(&w * 2.0).requires_grad());
}

// ------------------------------------------------------------------ retain_grad, hooks, detach

#[test]
fn retain_grad_keeps_an_intermediate_gradient() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let y = &x * 3.0; // [3, 6]
    let h = &x + 1.0;
    y.retain_grad();
    (&y * &y + &h).sum().backward();
    assert_eq!(y.grad().unwrap().to_vec(), vec![6.0, 12.0]); // 2y
    assert!(
        h.grad().is_none(),
        "intermediates don't keep gradients by default"
    );
    assert_eq!(x.grad().unwrap().to_vec(), vec![19.0, 37.0]); // 2y·3 + 1
}

#[test]
fn hook_on_a_leaf_sees_and_replaces_its_gradient() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let seen: Arc<Mutex<Vec<Vec<f32>>>> = Arc::default();
    let s = seen.clone();
    x.register_hook(move |g| {
        s.lock().unwrap().push(g.to_vec());
        Some(g * 10.0)
    });
    (&x * &x).sum().backward();
    assert_eq!(*seen.lock().unwrap(), vec![vec![2.0, 4.0]]);
    assert_eq!(x.grad().unwrap().to_vec(), vec![20.0, 40.0]);
}

#[test]
fn hook_returning_none_leaves_the_gradient() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let calls = Arc::new(Mutex::new(0));
    let c = calls.clone();
    x.register_hook(move |_| {
        *c.lock().unwrap() += 1;
        None
    });
    (&x * 2.0).sum().backward();
    assert_eq!(*calls.lock().unwrap(), 1);
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 2.0]);
}

#[test]
fn hook_on_an_intermediate_changes_what_flows_below_it() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let y = &x * 3.0;
    let seen: Arc<Mutex<Vec<f32>>> = Arc::default();
    let s = seen.clone();
    y.register_hook(move |g| {
        s.lock().unwrap().extend(g.to_vec());
        Some(g.zeros_like().add_scalar(1.0)) // replace dL/dy by ones
    });
    (&y * &y).sum().backward();
    assert_eq!(*seen.lock().unwrap(), vec![6.0, 12.0]); // 2y, the gradient arriving
    assert_eq!(x.grad().unwrap().to_vec(), vec![3.0, 3.0]); // ones · 3
}

#[test]
fn detach_cuts_the_graph() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let y = &x * 2.0;
    let d = y.detach();
    assert!(d.is_leaf() && !d.requires_grad());
    assert_eq!(d.to_vec(), y.to_vec());
    // Only the attached branch contributes: d(y·d)/dx = 2·d = [4, 8]
    (&y * &d).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![4.0, 8.0]);
    assert!(d.grad().is_none());
}

#[test]
fn leaves_and_grad_fn_names() {
    let x = leaf(&[1.0, 2.0], &[2]);
    assert!(x.is_leaf() && x.requires_grad());
    let y = &x * &x;
    assert!(!y.is_leaf());
    assert_eq!(y.grad_fn_name(), Some("MulBackward0"));
    assert_eq!(y.grad_fn_inputs().len(), 2);
    let c = v32(&[1.0], &[1]);
    assert!(
        !(&c * 2.0).requires_grad(),
        "no input requires grad: nothing recorded"
    );
}

// ------------------------------------------------------------------ backward errors

#[test]
#[should_panic(expected = "grad can be implicitly created only for scalar outputs")]
fn backward_on_a_non_scalar_panics() {
    let x = leaf(&[1.0, 2.0], &[2]);
    (&x * 2.0).backward();
}

#[test]
fn backward_on_a_non_scalar_with_a_gradient_works() {
    let x = leaf(&[1.0, 2.0], &[2]);
    (&x * &x).backward_with(BackwardOptions::new().gradient(v32(&[1.0, 0.5], &[2])));
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 2.0]); // 2x · v
}

#[test]
#[should_panic(expected = "Trying to backward through the graph a second time")]
fn backward_twice_without_retain_graph_panics() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let y = (&x * &x).sum();
    y.backward();
    y.backward();
}

#[test]
fn retain_graph_allows_a_second_backward_and_gradients_double() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let y = (&x * &x).sum();
    y.backward_with(BackwardOptions::new().retain_graph(true));
    assert_eq!(x.grad().unwrap().to_vec(), vec![2.0, 4.0]);
    assert_eq!(y.grad_fn_inputs().len(), 1, "the graph is still there");
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![4.0, 8.0]);
    assert!(
        y.grad_fn_inputs().is_empty(),
        "freed by the second backward"
    );
}

#[test]
#[should_panic(expected = "does not require grad")]
fn backward_on_a_constant_panics() {
    v32(&[1.0], &[1]).sum().backward();
}

// ------------------------------------------------------------------ shape errors

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn mismatched_add_panics_naming_the_op_and_shapes() {
    let msg = panic_message(|| {
        let _ = Tensor::<f32>::zeros(&[2, 3]).add(&Tensor::zeros(&[4]));
    });
    assert!(msg.contains("add"), "{msg}");
    assert!(msg.contains("[2, 3]") && msg.contains("[4]"), "{msg}");
    assert!(msg.contains("must match the size"), "{msg}");

    let msg = panic_message(|| {
        let _ = Tensor::<f32>::zeros(&[3]) * Tensor::zeros(&[2]);
    });
    assert!(
        msg.contains("mul") && msg.contains("[3]") && msg.contains("[2]"),
        "{msg}"
    );
}

#[test]
fn matmul_inner_mismatch_panics_naming_the_op_and_shapes() {
    let msg = panic_message(|| {
        let _ = Tensor::<f32>::zeros(&[2, 3]).matmul(&Tensor::zeros(&[4, 5]));
    });
    assert!(msg.contains("matmul"), "{msg}");
    assert!(msg.contains("[2, 3]") && msg.contains("[4, 5]"), "{msg}");
}

#[test]
fn try_forms_return_typed_errors() {
    let a = Tensor::<f32>::zeros(&[2, 3]);
    match a.try_add(&Tensor::zeros(&[4])) {
        Err(TensorError::Broadcast {
            op,
            a,
            b,
            a_dim,
            b_dim,
            ..
        }) => {
            assert_eq!(op, "add");
            assert_eq!((a, b), (vec![2, 3], vec![4]));
            assert_eq!((a_dim, b_dim), (3, 4));
        }
        other => panic!("expected a Broadcast error, got {other:?}"),
    }
    match a.try_matmul(&Tensor::zeros(&[4, 5])) {
        Err(TensorError::MatmulShape { a, b, k1, k2 }) => {
            assert_eq!((a, b, k1, k2), (vec![2, 3], vec![4, 5], 3, 4));
        }
        other => panic!("expected a MatmulShape error, got {other:?}"),
    }
    match a.try_reshape(&[4, -1]) {
        Err(TensorError::Reshape { from, to, numel }) => {
            assert_eq!((from, to, numel), (vec![2, 3], vec![4, -1], 6));
        }
        other => panic!("expected a Reshape error, got {other:?}"),
    }
    assert!(matches!(
        a.try_matmul(&Tensor::scalar(1.0)),
        Err(TensorError::Invalid(_))
    ));
    // The successful forms give the values.
    assert_eq!(a.try_reshape(&[3, -1]).unwrap().shape().as_slice(), &[3, 2]);
    assert_eq!(
        a.try_add(&Tensor::ones(&[3])).unwrap().to_vec(),
        vec![1.0; 6]
    );
    assert!(matches!(
        Tensor::<f32>::try_from_vec(vec![1.0, 2.0], &[3]),
        Err(TensorError::DataLength {
            len: 2,
            numel: 3,
            ..
        })
    ));
}

#[test]
#[should_panic(expected = "cannot be converted to a scalar")]
fn item_on_several_elements_panics() {
    v32(&[1.0, 2.0], &[2]).item();
}

#[test]
fn item_on_one_element_of_any_rank() {
    assert_eq!(v32(&[2.5], &[1, 1, 1]).item(), 2.5);
    assert_eq!(Tensor::scalar(-1.5f64).item(), -1.5);
}

// ------------------------------------------------------------------ Display

#[test]
fn display_matches_pytorch() {
    let m = leaf(&[0.5, 0.1, 0.05, 0.18], &[2, 2]);
    assert_eq!(
        m.to_string(),
        "tensor([[0.5000, 0.1000],\n        [0.0500, 0.1800]], requires_grad=true)"
    );
    assert_eq!(
        v32(&[1.0, 2.0, 3.0], &[3]).to_string(),
        "tensor([1., 2., 3.])"
    );
    assert_eq!(Tensor::scalar(2.5f32).to_string(), "tensor(2.5000)");
    assert_eq!(
        v32(&[1e-5, 1.0], &[2]).to_string(),
        "tensor([1.0000e-05, 1.0000e+00])"
    );
    assert_eq!(
        v32(&[-1.0, 2.5], &[2]).to_string(),
        "tensor([-1.0000,  2.5000])"
    );
    assert_eq!(
        v32(&[1.0, -2.0, 30.0], &[3]).to_string(),
        "tensor([ 1., -2., 30.])"
    );
    // Whole numbers spanning more than 1000x print in scientific form, as in PyTorch.
    assert_eq!(
        v32(&[1.0, 2000.0], &[2]).to_string(),
        "tensor([1.0000e+00, 2.0000e+03])"
    );
    assert_eq!(
        Tensor::<f32>::arange(1.0, 9.0, 1.0)
            .reshape(&[2, 2, 2])
            .to_string(),
        "tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]])"
    );
    let y = &m * 2.0;
    assert_eq!(
        y.to_string(),
        "tensor([[1.0000, 0.2000],\n        [0.1000, 0.3600]], grad_fn=<MulBackward0>)"
    );
    assert_eq!(
        Tensor::from_vec(vec![0.5f64, 1.0], &[2]).to_string(),
        "tensor([0.5000, 1.0000], dtype=torch.float64)"
    );
    assert_eq!(Tensor::<f32>::zeros(&[0]).to_string(), "tensor([])");
    assert_eq!(
        v32(&[f32::NAN, 1.0, f32::INFINITY], &[3]).to_string(),
        "tensor([nan, 1., inf])"
    );
    assert_eq!(format!("{:?}", Tensor::scalar(3.0f32)), "tensor(3.)");
}

#[test]
fn display_wraps_long_rows_at_80_columns() {
    // torch.arange(20.)
    assert_eq!(
        Tensor::<f32>::arange(0.0, 20.0, 1.0).to_string(),
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n        \
         14., 15., 16., 17., 18., 19.])"
    );
    // An empty tensor that is not 1-D shows its size.
    assert_eq!(
        Tensor::<f32>::zeros(&[2, 0]).to_string(),
        "tensor([], size=(2, 0))"
    );
    // A suffix that would pass column 80 goes on its own line.
    let x = Tensor::<f32>::arange(0.0, 13.0, 1.0).requires_grad_(true);
    assert_eq!(
        x.to_string(),
        "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12.],\n       \
         requires_grad=true)"
    );
}

#[test]
fn display_summarizes_large_tensors() {
    let t = Tensor::<f32>::arange(0.0, 2000.0, 1.0);
    assert_eq!(
        t.to_string(),
        "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n        1.9990e+03])"
    );
}

// ------------------------------------------------------------------ random generator

#[test]
fn manual_seed_makes_runs_reproducible() {
    let _l = rng_lock();
    manual_seed(1234);
    let a: Tensor = Tensor::randn(&[5]);
    let b: Tensor = Tensor::rand(&[3]);
    let c: Tensor<f64> = Tensor::uniform(&[4], -2.0, 2.0);
    manual_seed(1234);
    assert_eq!(Tensor::<f32>::randn(&[5]).to_vec(), a.to_vec());
    assert_eq!(Tensor::<f32>::rand(&[3]).to_vec(), b.to_vec());
    assert_eq!(Tensor::<f64>::uniform(&[4], -2.0, 2.0).to_vec(), c.to_vec());
    assert!(b.to_vec().iter().all(|&v| (0.0..1.0).contains(&v)));
    assert!(c.to_vec().iter().all(|&v| (-2.0..2.0).contains(&v)));
    manual_seed(1235);
    assert_ne!(Tensor::<f32>::randn(&[5]).to_vec(), a.to_vec());
}

#[test]
fn rng_state_round_trips() {
    let _l = rng_lock();
    manual_seed(99);
    let _ = Tensor::<f32>::rand(&[7]); // move somewhere in the stream
    let state = rng_state();
    let a: Vec<f32> = Tensor::randn(&[6]).to_vec();
    let after_a = rng_state();
    assert_ne!(state, after_a, "drawing advances the state");
    set_rng_state(state.clone());
    assert_eq!(rng_state(), state);
    assert_eq!(Tensor::<f32>::randn(&[6]).to_vec(), a);
    assert_eq!(rng_state(), after_a);
}

#[test]
fn same_seed_same_numbers_whatever_the_rayon_thread_count() {
    let _l = rng_lock();
    let draw = |threads: usize| -> (Vec<f32>, Vec<f32>) {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            manual_seed(2024);
            let w: Tensor = Tensor::randn(&[64, 32]);
            let x: Tensor = Tensor::rand(&[16, 64]);
            (w.to_vec(), x.matmul(&w).to_vec())
        })
    };
    let one = draw(1);
    assert_eq!(draw(4), one);
    assert_eq!(draw(2), one);
}

// ------------------------------------------------------------------ f64, threads

#[test]
fn f64_tensors_keep_python_float_arithmetic() {
    let a = Tensor::from_vec(vec![0.1f64, 1.0 / 3.0], &[2]).requires_grad_(true);
    let b = Tensor::from_vec(vec![0.2f64, 1e-17], &[2]);
    let s = &a + &b;
    assert_eq!(s.to_vec(), vec![0.30000000000000004, 1.0 / 3.0 + 1e-17]);
    (&s * &s).sum().backward();
    let g = a.grad().unwrap().to_vec();
    assert_eq!(g[0], 2.0 * 0.30000000000000004);
    assert_eq!(a.dtype(), tapegrad_autograd::DType::F64);
    // cast round trip
    let f: Tensor<f32> = a.cast();
    assert_eq!(f.to_vec(), vec![0.1f32, 1.0f32 / 3.0]);
}

fn is_send_sync<T: Send + Sync>() {}

#[test]
fn tensors_are_send_and_sync_and_move_between_threads() {
    is_send_sync::<Tensor<f32>>();
    is_send_sync::<Tensor<f64>>();
    is_send_sync::<TensorError>();

    // A "model" built on this thread trains one step on another and comes back.
    let w = leaf(&[1.0, -1.0], &[2]);
    let handle = {
        let w = w.clone();
        std::thread::spawn(move || {
            let x = v32(&[2.0, 3.0], &[2]);
            let loss = (&w * &x).sum().pow(2.0); // (2 - 3)² = 1
            loss.backward();
            no_grad(|| {
                let g = w.grad().unwrap();
                *w.data_mut() -= &(&*g.data() * 0.1);
            });
            loss.item()
        })
    };
    assert_eq!(handle.join().unwrap(), 1.0);
    // d/dw (w·x)² = 2(w·x)·x = -2·[2, 3]
    assert_eq!(w.grad().unwrap().to_vec(), vec![-4.0, -6.0]);
    let w_now = w.to_vec();
    assert!(
        (w_now[0] - 1.4).abs() < 1e-6 && (w_now[1] + 0.4).abs() < 1e-6,
        "{w_now:?}"
    );

    // Shared by reference across scoped threads.
    let t = v32(&[1.0, 2.0, 3.0], &[3]);
    let sums: Vec<f32> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..3)
            .map(|k| {
                let t = &t;
                s.spawn(move || (t * (k as f32)).sum().item())
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(sums, vec![0.0, 6.0, 12.0]);
}

// ------------------------------------------------------------------ 0-d reductions over a dim

#[test]
fn dim_reductions_of_a_0d_tensor_follow_pytorch() {
    // PyTorch accepts dim 0 / -1 on a 0-d tensor and returns a 0-d tensor.
    let x = Tensor::scalar(2.5f64).requires_grad_(true);
    for keepdim in [false, true] {
        let s = x.sum_dim(0, keepdim);
        assert_eq!(s.shape().as_slice(), &[] as &[usize]);
        assert_eq!(s.item(), 2.5);
        assert_eq!(x.mean_dim(-1, keepdim).item(), 2.5);
        let (m, i) = x.max_dim(0, keepdim);
        assert_eq!((m.item(), i.to_vec()), (2.5, vec![0]));
    }
    assert_eq!(x.softmax(0).item(), 1.0);
    assert_eq!(x.log_softmax(0).item(), 0.0);
    let y = x.sum_dim(0, false) * 3.0 + x.mean_dim(0, true) + x.max_dim(0, false).0;
    y.backward();
    assert_eq!(x.grad().unwrap().item(), 5.0);
}

// ------------------------------------------------------------------ grad()

#[test]
fn grad_returns_gradients_without_touching_dot_grad() {
    let x = leaf(&[1.0, 2.0], &[2]);
    let y = &x * &x * 3.0;
    let g = tapegrad_autograd::grad(
        &[y],
        std::slice::from_ref(&x),
        Some(&[v32(&[1.0, -1.0], &[2])]),
        false,
    );
    assert_eq!(g[0].as_ref().unwrap().to_vec(), vec![6.0, -12.0]); // 6x · v
    assert!(x.grad().is_none());
}

#[test]
fn grad_with_a_wrong_grad_output_shape_panics_naming_both_shapes() {
    let msg = panic_message(|| {
        let x = leaf(&[1.0, 2.0], &[2]);
        let y = &x * 2.0;
        let _ = tapegrad_autograd::grad(&[y], &[x], Some(&[v32(&[1.0; 3], &[3])]), false);
    });
    assert!(
        msg.contains("Mismatch in shape: grad_output[0] has a shape of [3]")
            && msg.contains("output[0] has a shape of [2]"),
        "{msg}"
    );
}

/// The Mersenne Twister word that tempers to `y` (inverse of `mt19937`'s output tempering).
fn untemper(y: u32) -> u32 {
    let mut y = y ^ (y >> 18);
    y ^= (y << 15) & 0xefc6_0000;
    let mut x = y;
    for _ in 0..5 {
        x = y ^ ((x << 7) & 0x9d2c_5680);
    }
    x ^ (x >> 11) ^ (x >> 22)
}

#[test]
fn rand_f32_stays_below_one_and_uniform_rounds_as_pytorch() {
    // As PyTorch: rand's largest f32 value is 1 − 2⁻²⁴ (24 bits of one 32-bit draw), so [0, 1)
    // holds; uniform_(2, 3) computes u·(3−2)+2 in f32, which rounds 2.99999994 up to 3.0.
    // (The state is set so the next 32-bit draws are all ones.)
    let g = Generator::new().manual_seed(0);
    let _ = Tensor::<f32>::rand_with(&[1], &g); // twists: the next word is state[1]
    let mut st = g.get_state();
    for w in &mut st.0.engine.state[1..3] {
        *w = untemper(u32::MAX);
    }
    g.set_state(&st);
    assert_eq!(
        Tensor::<f32>::rand_with(&[1], &g).item(),
        1.0 - 2f32.powi(-24)
    );
    g.set_state(&st);
    assert_eq!(Tensor::<f32>::uniform_with(&[1], 2.0, 3.0, &g).item(), 3.0);
    // f64 takes 53 bits of the two words.
    g.set_state(&st);
    assert_eq!(
        Tensor::<f64>::rand_with(&[1], &g).item(),
        1.0 - 2f64.powi(-53)
    );
}
