//! In-place operations with PyTorch's rules: the leaf error, recorded in-place ops on tensors in
//! the graph (hand-derived gradients and finite differences), version-counter errors, and no
//! deadlock when a tensor is read and written in one expression or by two threads.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tapegrad_autograd::{gradcheck, gradgradcheck, no_grad, Tensor};

fn t(v: &[f32]) -> Tensor<f32> {
    Tensor::from_vec(v.to_vec(), &[v.len()])
}

fn panic_message(f: impl FnOnce()) -> String {
    let err = catch_unwind(AssertUnwindSafe(f)).expect_err("should panic");
    err.downcast_ref::<String>()
        .cloned()
        .or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn in_place_on_a_leaf_that_requires_grad_is_refused_outside_no_grad() {
    let w = t(&[1.0, 2.0]).requires_grad_(true);
    let msg = panic_message(|| {
        w.add_(1.0);
    });
    assert!(
        msg.contains("a leaf Variable that requires grad is being used in an in-place operation."),
        "{msg}"
    );
    // The tutorial's manual update: under no_grad it is allowed and bumps the version.
    (&w * &w).sum().backward(); // grad = 2w = [2, 4]
    let v0 = w.version();
    no_grad(|| {
        let mut p = w.clone();
        p -= &(&w.grad().unwrap() * 0.1);
    });
    assert_eq!(w.to_vec(), vec![0.8, 1.6]);
    assert_eq!(w.version(), v0 + 1);
    assert!(w.is_leaf() && w.requires_grad());
}

#[test]
fn in_place_ops_on_non_leaves_are_recorded() {
    // y = a * 3; y *= b; y += 1  =>  y = 3ab + 1: dy/da = 3b, dy/db = 3a.
    let a = t(&[1.0, -2.0]).requires_grad_(true);
    let b = t(&[0.5, 4.0]).requires_grad_(true);
    let y = &a * 3.0;
    y.mul_(&b).add_(1.0);
    assert_eq!(y.to_vec(), vec![2.5, -23.0]);
    assert_eq!(y.grad_fn_name(), Some("AddBackward0"));
    y.sum().backward();
    assert_eq!(a.grad().unwrap().to_vec(), vec![1.5, 12.0]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![3.0, -6.0]);
}

#[test]
fn in_place_with_a_grad_requiring_operand_makes_a_leaf_a_non_leaf() {
    // x = zeros(2); x.add_(w) records AddBackward0, as in PyTorch.
    let w = t(&[1.0, 2.0]).requires_grad_(true);
    let x = Tensor::<f32>::zeros(&[2]);
    x.add_(&w);
    assert!(!x.is_leaf() && x.requires_grad());
    (&x * &x).sum().backward(); // d/dw Σ w² = 2w
    assert_eq!(w.grad().unwrap().to_vec(), vec![2.0, 4.0]);
}

#[test]
fn recorded_in_place_ops_pass_gradcheck_and_gradgradcheck() {
    let f = |v: &[Tensor<f64>]| {
        let y = &v[0] * 2.0;
        y.mul_(&v[1]);
        y.sub_(&v[0]);
        y.div_(&(&v[1] * &v[1] + 1.0));
        y.clamp_(Some(-0.9), Some(0.9));
        let z = &y.tanh() * 1.5; // (tanh saves its output: z.add_ on it would be refused)
        z.add_(&v[1]);
        z
    };
    let x = Tensor::from_vec(vec![0.3, -0.7, 0.2, 1.1], &[4]);
    let b = Tensor::from_vec(vec![0.5, 0.25, -1.5, 0.8], &[4]);
    assert!(gradcheck(f, &[x.clone(), b.clone()], 1e-6, 1e-7, 1e-5).is_ok());
    assert!(gradgradcheck(f, &[x, b], 1e-6, 1e-6, 1e-4).is_ok());
}

#[test]
fn compound_assignment_operators_are_in_place() {
    let mut x = t(&[1.0, 2.0, 3.0]);
    let alias = x.clone();
    x += &t(&[1.0, 1.0, 1.0]);
    x *= 2.0;
    x -= t(&[0.0, 1.0, 2.0]);
    x /= 2.0;
    assert_eq!(alias.to_vec(), vec![2.0, 2.5, 3.0]); // same storage as x

    // a row broadcast into a matrix, through a view
    let m = Tensor::<f32>::zeros(&[2, 3]);
    m.i(1).add_(&t(&[1.0, 2.0, 3.0]));
    m.fill_(0.5);
    m.i((.., 0)).zero_();
    assert_eq!(m.to_vec(), vec![0.0, 0.5, 0.5, 0.0, 0.5, 0.5]);
    let r = t(&[-1.0, 2.0]);
    r.relu_();
    assert_eq!(r.to_vec(), vec![0.0, 2.0]);
    r.sigmoid_();
    assert_eq!(r.to_vec()[0], 0.5);
    let msg = panic_message(|| {
        t(&[1.0, 2.0]).add_(&Tensor::zeros(&[2, 2]));
    });
    assert!(
        msg.contains("output with shape [2] doesn't match the broadcast shape"),
        "{msg}"
    );
}

#[test]
fn changing_a_saved_input_in_place_is_reported_by_backward() {
    let w = t(&[1.0, 2.0]).requires_grad_(true);
    let x = t(&[3.0, 4.0]);
    let y = (&w * &x).sum(); // MulBackward0 saves x (version 0)
    x.add_(1.0);
    let msg = panic_message(|| y.backward());
    assert!(
        msg.contains(
            "modified by an inplace operation: [torch.FloatTensor [2]] is at version 1; \
             expected version 0 instead."
        ),
        "{msg}"
    );
}

#[test]
fn a_gradient_is_never_routed_through_a_history_that_replaced_the_one_used() {
    // z used y before y.add_(w): PyTorch routes z's gradient to y's old history; tapegrad
    // refuses with a message rather than give w a gradient it should not get.
    let a = t(&[1.0, 2.0]).requires_grad_(true);
    let w = t(&[5.0, 5.0]).requires_grad_(true);
    let y = &a * 2.0;
    let z = (&y + 1.0).sum();
    y.add_(&w);
    let msg = panic_message(|| z.backward());
    assert!(
        msg.contains("was changed by an in-place operation after this op used it"),
        "{msg}"
    );
}

// ---------------------------------------------------------------- in place on a view: CopySlices
// Expected values below were computed with PyTorch 2 (same statements) and derived by hand.

#[test]
fn in_place_on_a_view_in_the_graph_rebases_the_base_as_copy_slices() {
    let a = t(&[1.0, 2.0, 3.0, 4.0]).requires_grad_(true);
    let y = &a * 2.0;
    let v = y.narrow(0, 1, 2);
    v.mul_(3.0);
    // y = [2a0, 6a1, 6a2, 2a3] = [2, 12, 18, 8]
    assert_eq!(y.to_vec(), vec![2.0, 12.0, 18.0, 8.0]);
    assert_eq!(y.grad_fn_name(), Some("CopySlices"));
    assert_eq!(v.grad_fn_name(), Some("AsStridedBackward0"));
    (&y * &y).sum().backward();
    // d Σy²/da = 2y · dy/da = [2·2·2, 2·12·6, 2·18·6, 2·8·2]
    assert_eq!(a.grad().unwrap().to_vec(), vec![8.0, 144.0, 216.0, 32.0]);
}

#[test]
fn copy_slices_reads_an_expanded_incoming_gradient() {
    let a = t(&[1.0, 2.0, 3.0, 4.0]).requires_grad_(true);
    let y = &a * 2.0;
    y.narrow(0, 1, 2).mul_(3.0);
    // sum's gradient arrives expanded (stride 0); dy/da = [2, 6, 6, 2].
    y.sum().backward();
    assert_eq!(a.grad().unwrap().to_vec(), vec![2.0, 6.0, 6.0, 2.0]);
}

#[test]
fn the_view_itself_stays_differentiable_after_the_in_place_op() {
    let a = t(&[1.0, 2.0, 3.0, 4.0]).requires_grad_(true);
    let y = &a * 2.0;
    let v = y.narrow(0, 1, 2);
    v.mul_(3.0);
    // 10·Σv + Σy²: v = [6a1, 6a2] adds 60 to the gradient of a1 and a2.
    (&(v.sum() * 10.0) + &(&y * &y).sum()).backward();
    assert_eq!(a.grad().unwrap().to_vec(), vec![8.0, 204.0, 276.0, 32.0]);
}

#[test]
fn copy_into_a_view_of_a_constant_makes_the_base_require_grad() {
    let base = Tensor::<f32>::zeros(&[2, 3]);
    let w = t(&[1.0, 2.0, 3.0]).requires_grad_(true);
    base.select(0, 1).copy_(&w); // base[1] = w
    assert!(base.requires_grad());
    assert_eq!(base.grad_fn_name(), Some("CopySlices"));
    let k = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    (&base * &k).sum().backward();
    // d Σ base·k / dw = k[1]
    assert_eq!(w.grad().unwrap().to_vec(), vec![4.0, 5.0, 6.0]);
}

#[test]
fn in_place_through_a_transposed_view_routes_both_gradients() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]).requires_grad_(true);
    let b = t(&[5.0, 7.0]).requires_grad_(true);
    let y = &a * &a;
    // y.t()[1] is column 1 of y: y[0][1] += b0², y[1][1] += b1².
    y.t().select(0, 1).add_(&(&b * &b));
    assert_eq!(y.to_vec(), vec![1.0, 29.0, 9.0, 65.0]);
    let k = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[2, 2]);
    (&y * &k).sum().backward();
    // dy/da = 2a everywhere (the add does not touch a): 2a·k; dy/db = 2b·k[:, 1].
    assert_eq!(a.grad().unwrap().to_vec(), vec![2.0, 8.0, 18.0, 32.0]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![20.0, 56.0]);
}

#[test]
fn in_place_on_a_view_of_a_leaf_that_requires_grad_is_refused() {
    let l = t(&[1.0, 1.0, 1.0]).requires_grad_(true);
    let msg = panic_message(|| {
        l.narrow(0, 0, 1).mul_(2.0);
    });
    assert!(
        msg.contains(
            "a view of a leaf Variable that requires grad is being used in an in-place operation."
        ),
        "{msg}"
    );
    // Outside the graph, writing through a view is fine, and the base sees it.
    no_grad(|| {
        l.narrow(0, 0, 2).add_(1.0);
    });
    assert_eq!(l.to_vec(), vec![2.0, 2.0, 1.0]);
}

#[test]
fn in_place_on_a_view_of_a_saved_output_is_a_version_error() {
    let a = t(&[1.0, 2.0, 3.0, 4.0]).requires_grad_(true);
    let y = a.exp(); // ExpBackward0 reads y itself
    y.narrow(0, 1, 2).mul_(2.0);
    let msg = panic_message(|| y.sum().backward());
    assert!(
        msg.contains("one of the variables needed for gradient computation has been modified"),
        "{msg}"
    );
}

#[test]
fn copy_slices_passes_gradcheck_and_gradgradcheck() {
    // f(x) = Σ y², y = x·x with y[1..3] *= x[0..2] in place: smooth in x.
    let f = |xs: &[Tensor<f64>]| {
        let x = &xs[0];
        let y = x * x;
        y.narrow(0, 1, 2).mul_(&x.narrow(0, 0, 2));
        (&y * &y).sum()
    };
    let x = Tensor::from_vec(vec![0.3f64, -0.7, 1.1, 0.5], &[4]);
    gradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-5, 1e-4).unwrap();
    gradgradcheck(f, &[x], 1e-6, 1e-4, 1e-3).unwrap();
}

#[test]
fn reading_and_writing_one_tensor_in_one_expression_works() {
    let mut p = t(&[1.0, 2.0]);
    let q = p.clone();
    p -= &(&q * 0.5); // reads p while updating it
    assert_eq!(p.to_vec(), vec![0.5, 1.0]);
    p.add_(&q); // the operand is the same storage: read from a copy first
    assert_eq!(p.to_vec(), vec![1.0, 2.0]);
}

#[test]
fn two_threads_updating_each_other_never_deadlock() {
    let a = Tensor::from_vec(vec![1.0f64; 256], &[256]);
    let b = Tensor::from_vec(vec![2.0f64; 256], &[256]);
    let (a2, b2) = (a.clone(), b.clone());
    let th = std::thread::spawn(move || {
        for _ in 0..20_000 {
            a2.copy_(&b2).add_(1.0);
        }
    });
    for _ in 0..20_000 {
        b.copy_(&a).sub_(1.0);
    }
    th.join().unwrap();
    // Each op reads its whole operand under one lock: neither tensor ever holds a mix of two
    // states, so every element of each is equal.
    for x in [a, b] {
        let v = x.to_vec();
        assert!(v.iter().all(|e| *e == v[0]), "torn update: {v:?}");
    }
}

/// What `worker` sends within 15 s; a panic naming the wait `what` as a deadlock when nothing
/// comes, and the worker's own panic when it failed before sending.
fn within_15_s<V>(
    rx: &std::sync::mpsc::Receiver<V>,
    worker: std::thread::JoinHandle<()>,
    what: &str,
) -> V {
    match rx.recv_timeout(std::time::Duration::from_secs(15)) {
        Ok(v) => v,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: a deadlock")
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => match worker.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => panic!("the worker ended without sending"),
        },
    }
}

#[test]
fn zero_grad_does_not_hold_the_grad_lock_while_it_waits_to_write() {
    // Thread 1 reads the gradient's values and, while it holds that guard, asks for `p.grad()`;
    // thread 2 zeroes the gradient meanwhile, so it waits for thread 1's guard to go. Thread 2
    // used to wait with `p`'s `.grad` lock held, and thread 1 then waited for that lock forever.
    let p = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    (&p * 3.0).sum().backward();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let p1 = p.clone();
    let reader = std::thread::spawn(move || {
        let g = p1.grad().unwrap();
        let values = g.data();
        let (p2, started) = (p1.clone(), std::sync::mpsc::channel());
        let zeroer = std::thread::spawn(move || {
            started.0.send(()).unwrap();
            p2.zero_grad();
        });
        started.1.recv().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(200)); // the zeroer now waits
        let again = p1.grad().unwrap(); // the call that used to wait forever
        let seen: Vec<f32> = values.iter().copied().collect();
        drop(values);
        assert!(again.shares_storage(&g));
        zeroer.join().unwrap();
        done_tx.send((seen, p1.grad().unwrap().to_vec())).unwrap();
    });
    let (seen, after) = within_15_s(
        &done_rx,
        reader,
        "p.grad() waited for a zero_grad that waited for it",
    );
    assert_eq!(
        seen,
        vec![3.0, 3.0],
        "the gradient before zero_grad: d(3p)/dp"
    );
    assert_eq!(after, vec![0.0, 0.0]);
}

#[test]
fn replacing_a_gradient_drops_the_old_one_outside_the_grad_lock() {
    // The old gradient's hook captured a value whose drop reads `p.grad()`: the drop used to
    // run under `p`'s `.grad` lock and wait for that lock forever.
    struct ReadsGrad(Tensor<f32>, std::sync::mpsc::Sender<Option<Vec<f32>>>);
    impl Drop for ReadsGrad {
        fn drop(&mut self) {
            let _ = self.1.send(self.0.grad().map(|g| g.to_vec()));
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let p = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    let p1 = p.clone();
    let setter = std::thread::spawn(move || {
        let g = Tensor::from_vec(vec![5.0f32, 6.0], &[2]).requires_grad_(true);
        let reader = ReadsGrad(p1.clone(), tx);
        g.register_hook(move |_| {
            let _ = &reader;
            None
        });
        p1.set_grad(Some(g));
        p1.set_grad(Some(Tensor::from_vec(vec![7.0f32, 8.0], &[2])));
    });
    let seen = within_15_s(
        &rx,
        setter,
        "the old gradient's drop waited for the .grad lock its caller held",
    );
    assert_eq!(seen, Some(vec![7.0, 8.0]), "the drop sees the new gradient");
    assert_eq!(p.grad().unwrap().to_vec(), vec![7.0, 8.0]);
}

#[test]
fn using_a_generator_inside_its_own_with_closure_panics_instead_of_waiting_forever() {
    use tapegrad_autograd::rng::Generator;
    let (tx, rx) = std::sync::mpsc::channel();
    let worker = std::thread::spawn(move || {
        let g = Generator::new().manual_seed(7);
        let inner = g.clone();
        let msg = panic_message(|| {
            g.with(|_| {
                let _ = Tensor::<f32>::rand_with(&[2], &inner); // the same generator, again
            });
        });
        // Still usable afterwards, and untouched by the refused draw: the values of a fresh
        // generator with that seed.
        let after = Tensor::<f32>::rand_with(&[2], &g).to_vec();
        let fresh = Tensor::<f32>::rand_with(&[2], &Generator::new().manual_seed(7)).to_vec();
        // Another generator, or the default one, inside the closure is fine.
        let h = Generator::new().manual_seed(7);
        let nested = g.with(|_| Tensor::<f32>::rand_with(&[2], &h).to_vec());
        tx.send((msg, after, fresh, nested)).unwrap();
    });
    let (msg, after, fresh, nested) = within_15_s(
        &rx,
        worker,
        "a draw inside the generator's own with closure waited",
    );
    assert!(msg.contains("already holds this generator"), "{msg}");
    assert_eq!(after, fresh);
    assert_eq!(nested, fresh);
}

#[test]
fn misuse_found_by_the_reliability_review_panics_with_pytorchs_words() {
    // uniform with a NaN or infinite bound used to draw forever holding the generator's lock
    let msg = panic_message(|| {
        Tensor::<f32>::uniform(&[4], f32::NAN, 1.0);
    });
    assert!(msg.contains("from/to is out of bounds"), "{msg}");
    let msg = panic_message(|| {
        Tensor::<f32>::uniform(&[4], 1.0, 0.0);
    });
    assert!(
        msg.contains("expects to return a [from, to) range, but found from=1 > to=0"),
        "{msg}"
    );
    // the generator is still usable afterwards
    assert_eq!(Tensor::<f32>::rand(&[3]).numel(), 3);
    // shapes too large to hold: a panic with a message, not an abort
    let msg = panic_message(|| {
        Tensor::<f32>::zeros(&[1 << 20, 1 << 20, 1 << 30]);
    });
    assert!(msg.contains("Trying to create tensor of shape"), "{msg}");
    let msg = panic_message(|| {
        Tensor::<f32>::randn(&[3, 1 << 62]);
    });
    assert!(msg.contains("randn"), "{msg}");
    let msg = panic_message(|| {
        Tensor::<f32>::zeros(&[1 << 20, 1 << 20, 1 << 10]);
    });
    assert!(msg.contains("can't allocate memory"), "{msg}");
    // arange with a NaN end or a step of the wrong sign (PyTorch errors; it used to be empty)
    let msg = panic_message(|| {
        Tensor::<f32>::arange(0.0, f32::NAN, 1.0);
    });
    assert!(msg.contains("arange: unsupported range"), "{msg}");
    let msg = panic_message(|| {
        Tensor::<f32>::arange(0.0, 5.0, -1.0);
    });
    assert!(msg.contains("inconsistent with step sign"), "{msg}");
    // sum_to a shape the tensor did not come from used to return shape [3]
    let msg = panic_message(|| {
        Tensor::<f32>::zeros(&[2, 3]).sum_to(&[4]);
    });
    assert!(
        msg.contains("sum_to_size: size {4} is not expandable to size {2, 3}"),
        "{msg}"
    );
    // a hook returning the wrong shape
    let x = t(&[1.0, 2.0]).requires_grad_(true);
    x.register_hook(|_| Some(Tensor::zeros(&[3])));
    let msg = panic_message(|| (&x * 2.0).sum().backward());
    assert!(
        msg.contains("hook 'hook' has changed the size of value"),
        "{msg}"
    );
    // a tensor as its own gradient
    let w = t(&[1.0, 2.0]).requires_grad_(true);
    let msg = panic_message(|| w.set_grad(Some(w.clone())));
    assert!(
        msg.contains("can't assign Variable as its own grad"),
        "{msg}"
    );
    let msg = panic_message(|| w.set_grad(Some(Tensor::zeros(&[3]))));
    assert!(
        msg.contains("assigned grad has data of a different size"),
        "{msg}"
    );
}

#[test]
fn sigmoid_in_place_gives_the_bits_of_sigmoid() {
    // One value function for both (ops/sigmoid.rs): f32 by the call-free form, f64 by libm's
    // exp in the form that cannot overflow; both signs and both tails.
    let v: [f64; 9] = [-100.0, -20.0, -3.5, -0.25, 0.0, 0.25, 3.5, 20.0, 100.0];
    let x32 = Tensor::from_vec(v.iter().map(|&v| v as f32).collect(), &[v.len()]);
    let y32 = x32.sigmoid().to_vec();
    x32.sigmoid_();
    let bits = |v: Vec<f32>| v.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(x32.to_vec()), bits(y32.clone()));
    let x64 = Tensor::from_vec(v.to_vec(), &[v.len()]);
    let y64 = x64.sigmoid().to_vec();
    x64.sigmoid_();
    assert_eq!(x64.to_vec(), y64);
    // σ(±3.5) = 1/(1 + e^∓3.5): 0.970687769248643… and 0.029312230751356…; σ(−100) =
    // 3.7200759760208e-44 in f64, which f32 cannot hold as a normal number (PyTorch's f32
    // kernel gives 0 there too: e^100 overflows to inf).
    assert!((y64[6] - 0.970_687_769_248_643_6).abs() < 1e-15);
    assert!((y64[2] - 0.029_312_230_751_356_32).abs() < 1e-16);
    assert!((y64[0] / 3.720_075_976_020_836e-44 - 1.0).abs() < 1e-12);
    assert!((y32[6] - 0.970_687_8).abs() <= 3.0 * f32::EPSILON);
    assert_eq!((y32[0], y32[4], y32[8]), (0.0, 0.5, 1.0));
}
