//! The recorded graph is freed: long chains backpropagate and drop without recursion, and
//! training loops (or forward passes never backpropagated) keep both the live graph-node count
//! and the resident memory flat.
//!
//! `live_graph_nodes()` is process-global and the tests of one binary run on parallel threads,
//! so this file is its own test binary and every test holds `SERIAL` for its whole run.

use std::sync::Mutex;
use tapegrad_autograd::functional::{mse_loss, Reduction};
use tapegrad_autograd::{
    grad, live_graph_nodes, manual_seed, no_grad, warning_count, warnings_printed, BackwardOptions,
    Tensor, Warning,
};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` on a thread with a 1 MiB stack (half the default test-thread stack): a recursive
/// walk or drop over 100 000 nodes would overflow it.
fn on_small_stack<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the small-stack thread panicked")
}

/// Resident memory in bytes, from `/proc/self/status` (`VmRSS`, in kB, the same number as the
/// resident pages of `/proc/self/statm` times the page size); `None` where `/proc` is absent.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

const CHAIN: usize = 100_000;

#[test]
fn backward_through_a_100k_op_chain_does_not_overflow_the_stack() {
    let _s = serial();
    let base = live_graph_nodes();
    let (g, nodes_while_alive) = on_small_stack(|| {
        let x = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad_(true);
        let mut y = x.clone();
        for _ in 0..CHAIN {
            y = &y * 1.0000001;
        }
        let alive = live_graph_nodes();
        y.sum().backward();
        (x.grad().unwrap().to_vec(), alive)
    });
    assert!(nodes_while_alive >= base + CHAIN as u64);
    let want = 1.0000001f64.powi(CHAIN as i32); // ≈ e^0.01
    for gi in g {
        assert!((gi - want).abs() < 1e-12, "{gi} vs {want}");
    }
    assert_eq!(live_graph_nodes(), base);
}

#[test]
fn dropping_a_100k_op_graph_never_backpropagated_does_not_overflow_the_stack() {
    let _s = serial();
    let base = live_graph_nodes();
    on_small_stack(move || {
        let x = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad_(true);
        let w = Tensor::from_vec(vec![0.5f32], &[1]).requires_grad_(true);
        let mut y = x.clone();
        for i in 0..CHAIN {
            // Mix shared leaves into the chain: a DAG, not only a list.
            y = if i % 2 == 0 { &y + 0.0 } else { &y * &w };
        }
        assert!(live_graph_nodes() >= base + CHAIN as u64);
        drop(y);
    });
    assert_eq!(live_graph_nodes(), base);
}

#[test]
fn no_grad_records_nothing() {
    let _s = serial();
    let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    let base = live_graph_nodes();
    let y = no_grad(|| (&w * 3.0).exp().sum());
    assert_eq!(live_graph_nodes(), base);
    {
        let _g = tapegrad_autograd::GradModeGuard::no_grad();
        let z = (&w * &w).sigmoid().mean();
        assert!(!z.requires_grad());
        assert_eq!(live_graph_nodes(), base);
    }
    let recorded = (&w * 3.0).sum();
    assert_eq!(live_graph_nodes(), base + 2);
    drop((y, recorded));
    assert_eq!(live_graph_nodes(), base);
}

/// A tiny model `y = sigmoid(x @ W + b)` with an MSE loss.
struct Model {
    w: Tensor,
    b: Tensor,
    x: Tensor,
    t: Tensor,
}

impl Model {
    fn new() -> Model {
        manual_seed(3);
        Model {
            w: Tensor::randn(&[4, 3]).requires_grad_(true),
            b: Tensor::zeros(&[3]).requires_grad_(true),
            x: Tensor::randn(&[16, 4]),
            t: Tensor::rand(&[16, 3]),
        }
    }
    fn loss(&self) -> Tensor {
        let y = (self.x.matmul(&self.w) + &self.b).sigmoid();
        mse_loss(&y, &self.t, Reduction::Mean)
    }
    fn step(&self) -> f32 {
        let loss = self.loss();
        loss.backward();
        no_grad(|| {
            for p in [&self.w, &self.b] {
                let g = p.grad().unwrap();
                *p.data_mut() -= &(&*g.data() * 0.5);
                p.zero_grad();
            }
        });
        loss.item()
    }
}

const STEPS: usize = 10_000;
const RSS_BOUND: u64 = 2 << 20;

#[test]
fn ten_thousand_training_steps_keep_memory_flat() {
    let _s = serial();
    let m = Model::new();
    let first = m.step();
    for _ in 0..500 {
        m.step(); // warm-up: the allocator reaches its steady state
    }
    let base_nodes = live_graph_nodes();
    let base_rss = resident_bytes();
    let mut last = 0.0;
    for _ in 0..STEPS {
        last = m.step();
        assert_eq!(
            live_graph_nodes(),
            base_nodes,
            "a training step leaked graph nodes"
        );
    }
    assert!(
        last < first,
        "training must reduce the loss ({first} -> {last})"
    );
    if let (Some(before), Some(after)) = (base_rss, resident_bytes()) {
        let growth = after.saturating_sub(before);
        eprintln!("resident memory: {before} -> {after} bytes (growth {growth})");
        assert!(
            growth < RSS_BOUND,
            "resident memory grew by {growth} bytes over {STEPS} steps"
        );
    }
}

#[test]
fn ten_thousand_forward_passes_never_backpropagated_keep_memory_flat() {
    let _s = serial();
    let m = Model::new();
    for _ in 0..500 {
        let _ = m.loss();
    }
    let base_nodes = live_graph_nodes();
    let base_rss = resident_bytes();
    let mut total = 0.0;
    for _ in 0..STEPS {
        let loss = m.loss();
        assert!(loss.requires_grad(), "recording is on");
        assert!(live_graph_nodes() > base_nodes);
        total += loss.item();
    }
    assert_eq!(
        live_graph_nodes(),
        base_nodes,
        "an unused graph was not freed"
    );
    assert!(total.is_finite());
    if let (Some(before), Some(after)) = (base_rss, resident_bytes()) {
        let growth = after.saturating_sub(before);
        eprintln!("resident memory: {before} -> {after} bytes (growth {growth})");
        assert!(
            growth < RSS_BOUND,
            "resident memory grew by {growth} bytes over {STEPS} forward passes"
        );
    }
}

#[test]
fn backward_frees_saved_inputs_unless_retained() {
    let _s = serial();
    let base = live_graph_nodes();
    let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
    let h = &x * 2.0;
    let y = (&h * &h).sum();
    // y's inputs are gone after backward; h stays alive only through our handle.
    y.backward_with(BackwardOptions::new().retain_graph(true));
    assert_eq!(y.grad_fn_inputs().len(), 1);
    y.backward();
    assert!(y.grad_fn_inputs().is_empty());
    assert!(h.grad_fn_inputs().is_empty());
    drop((h, y));
    assert_eq!(live_graph_nodes(), base);
}

#[test]
fn higher_order_graphs_are_freed_too() {
    let _s = serial();
    let base = live_graph_nodes();
    {
        let x = Tensor::from_vec(vec![0.5f64, -1.5], &[2]).requires_grad_(true);
        for _ in 0..100 {
            let y = (x.pow(3.0) * x.sigmoid()).sum();
            let g = grad(&[y], std::slice::from_ref(&x), None, true)[0]
                .clone()
                .unwrap();
            let h = grad(&[g.sum()], std::slice::from_ref(&x), None, false)[0]
                .clone()
                .unwrap();
            assert!(h.to_vec().iter().all(|v| v.is_finite()));
        }
        // backward(create_graph) stores a gradient whose graph refers back to x (a cycle
        // through x.grad, as in PyTorch); clearing the gradient releases it.
        (x.pow(3.0))
            .sum()
            .backward_with(BackwardOptions::new().create_graph(true));
        assert!(live_graph_nodes() > base);
        x.set_grad(None);
    }
    assert_eq!(live_graph_nodes(), base);
}

/// Counts the drops of the values a hook captured: shows whether the hook itself was freed.
struct DropFlag(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

fn drop_counter() -> std::sync::Arc<std::sync::atomic::AtomicUsize> {
    std::sync::Arc::default()
}

#[test]
fn a_hook_capturing_its_own_non_leaf_is_freed_by_backward_every_training_step() {
    // Issue 18: a hook capturing its own tensor leaked the whole graph each step (the tensor
    // owned the hook, the hook owned the tensor). Hooks on a non-leaf now belong to the graph
    // node, and a backward that frees the graph drops them.
    let _s = serial();
    let m = Model::new();
    let dropped = drop_counter();
    let step = |flag: DropFlag| {
        let h = m.x.matmul(&m.w) + &m.b; // a non-leaf with a two-node history
        let h2 = h.clone();
        h.register_hook(move |g| {
            let _ = &flag;
            assert_eq!(h2.shape(), g.shape());
            Some(g * 1.0)
        });
        let loss = mse_loss(&h.sigmoid(), &m.t, Reduction::Mean);
        loss.backward();
        no_grad(|| {
            for p in [&m.w, &m.b] {
                let g = p.grad().unwrap();
                *p.data_mut() -= &(&*g.data() * 0.5);
                p.zero_grad();
            }
        });
        loss.item()
    };
    let first = step(DropFlag(dropped.clone()));
    let base_nodes = live_graph_nodes();
    let base_rss = resident_bytes();
    const HOOK_STEPS: usize = 2_000;
    let mut last = first;
    for i in 0..HOOK_STEPS {
        last = step(DropFlag(dropped.clone()));
        assert_eq!(
            live_graph_nodes(),
            base_nodes,
            "step {i}: a hook capturing its own tensor leaked graph nodes"
        );
    }
    assert_eq!(
        dropped.load(std::sync::atomic::Ordering::SeqCst),
        HOOK_STEPS + 1,
        "every step's hook (and what it captured) is dropped"
    );
    assert!(last < first, "the hooked model trains ({first} -> {last})");
    if let (Some(before), Some(after)) = (base_rss, resident_bytes()) {
        let growth = after.saturating_sub(before);
        eprintln!("resident memory: {before} -> {after} bytes (growth {growth})");
        assert!(growth < RSS_BOUND, "resident memory grew by {growth} bytes");
    }
}

#[test]
fn a_self_capturing_hook_survives_retain_graph_and_is_freed_by_the_last_backward() {
    let _s = serial();
    let base = live_graph_nodes();
    let dropped = drop_counter();
    {
        let w = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad_(true);
        let y = &(&w * 2.0) + 1.0;
        let y2 = y.clone();
        let flag = DropFlag(dropped.clone());
        y.register_hook(move |g| {
            let _ = (&flag, y2.shape());
            Some(g * 3.0)
        });
        let loss = y.sum();
        loss.backward_with(BackwardOptions::new().retain_graph(true));
        assert_eq!(w.grad().unwrap().to_vec(), vec![6.0, 6.0]);
        assert_eq!(dropped.load(std::sync::atomic::Ordering::SeqCst), 0);
        loss.backward(); // the hook runs again, then the graph and the hook are freed
        assert_eq!(w.grad().unwrap().to_vec(), vec![12.0, 12.0]);
        assert_eq!(dropped.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
    assert_eq!(live_graph_nodes(), base);
}

#[test]
fn a_hook_keeps_following_its_tensor_through_an_in_place_op() {
    let _s = serial();
    let base = live_graph_nodes();
    {
        let w = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad_(true);
        let y = &w * 2.0;
        let y2 = y.clone();
        y.register_hook(move |g| {
            let _ = y2.shape();
            Some(g * 10.0)
        });
        y.mul_(3.0); // y's history is now MulBackward0 of the in-place op; the hook moves along
        y.sum().backward();
        assert_eq!(w.grad().unwrap().to_vec(), vec![60.0, 60.0]);
    }
    assert_eq!(live_graph_nodes(), base);
}

#[test]
fn documented_cycles_a_self_capturing_hook_never_backpropagated_and_on_a_leaf() {
    // docs/design.md, known limits: without a backward that frees the graph, a non-leaf's hook
    // capturing the tensor is a cycle (tensor -> graph node -> hook -> tensor), and a leaf's
    // hooks live as long as the leaf. Rust has no cycle collector; capture a detached tensor.
    let _s = serial();
    let base = live_graph_nodes();
    let dropped = drop_counter();
    {
        let w = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad_(true);
        let y = &(&w * 2.0) + 1.0; // two nodes
        let y2 = y.clone();
        let flag = DropFlag(dropped.clone());
        y.register_hook(move |g| {
            let _ = (&flag, y2.shape());
            Some(g.clone())
        });
    }
    assert_eq!(
        live_graph_nodes() - base,
        2,
        "the never-backpropagated cycle"
    );
    {
        let w = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad_(true);
        let w2 = w.clone();
        let flag = DropFlag(dropped.clone());
        w.register_hook(move |g| {
            let _ = (&flag, w2.shape());
            Some(g.clone())
        });
        (&w * 2.0).sum().backward();
    }
    assert_eq!(
        dropped.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "both hooks are in a cycle"
    );
    let base = live_graph_nodes();
    {
        let w = Tensor::from_vec(vec![1.0f64, 2.0], &[2]).requires_grad_(true);
        let y = &(&w * 2.0) + 1.0;
        let values = y.detach();
        let flag = DropFlag(dropped.clone());
        y.register_hook(move |g| {
            let _ = &flag;
            assert_eq!(values.to_vec(), vec![3.0, 5.0]);
            Some(g.clone())
        });
        let wv = w.detach();
        let flag = DropFlag(dropped.clone());
        w.register_hook(move |g| {
            let _ = (&flag, wv.shape());
            Some(g.clone())
        });
        // Never backpropagated: a detached capture keeps no graph either.
        let _unused = &y * 2.0;
    }
    assert_eq!(
        live_graph_nodes(),
        base,
        "a detached capture keeps no graph"
    );
    assert_eq!(dropped.load(std::sync::atomic::Ordering::SeqCst), 2);
}

const WARNING_CHILD: &str = "TAPEGRAD_MEMORY_TEST_WARNING_CHILD";

#[test]
fn backward_with_create_graph_into_grad_warns_once_per_process() {
    let _s = serial();
    let kind = Warning::BackwardCreateGraphCycle;
    let before = warning_count(kind);
    let x = Tensor::from_vec(vec![0.5f64, -1.5], &[2]).requires_grad_(true);
    // grad(.., create_graph) and a plain backward make no cycle: no warning.
    let g = grad(&[x.pow(3.0).sum()], std::slice::from_ref(&x), None, true)[0]
        .clone()
        .unwrap();
    g.sum().backward();
    x.set_grad(None);
    assert_eq!(warning_count(kind), before);
    for i in 1..=3u64 {
        x.pow(3.0)
            .sum()
            .backward_with(BackwardOptions::new().create_graph(true));
        assert!(x.grad().unwrap().requires_grad());
        x.set_grad(None);
        assert_eq!(warning_count(kind), before + i);
    }
    assert_eq!(warnings_printed(kind), 1, "printed once per process");
    if std::env::var_os(WARNING_CHILD).is_some() {
        return;
    }
    // The text on standard error, once: rerun this test alone in a child process.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "backward_with_create_graph_into_grad_warns_once_per_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(WARNING_CHILD, "1")
        .output()
        .expect("run the test binary");
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let text =
        "UserWarning: Using backward() with create_graph=True will create a reference cycle \
                between the parameter and its gradient which can cause a memory leak. We \
                recommend using autograd.grad when creating the graph to avoid this. If you have \
                to use this function, make sure to reset the .grad fields of your parameters to \
                None after use to break the cycle and avoid the leak.";
    assert_eq!(stderr.matches(text).count(), 1, "{stderr}");
}

#[test]
fn an_in_place_op_with_itself_as_operand_frees_its_graph() {
    // Found by the tensor_api fuzz target (LeakSanitizer): `y.copy_(&y)` / `y.mul_(&y)` on a
    // tensor in the graph recorded y itself as the new node's operand, a cycle y -> node -> y.
    let _s = serial();
    let base = live_graph_nodes();
    {
        let w = Tensor::from_vec(vec![1.0f64, -2.0], &[2]).requires_grad_(true);
        let y = &w * 2.0;
        y.mul_(&y); // y = (2w)², reading the old values twice
        assert_eq!(y.to_vec(), vec![4.0, 16.0]);
        y.sum().backward();
        assert_eq!(w.grad().unwrap().to_vec(), vec![8.0, -16.0]); // 8w
        let z = &w * 3.0;
        z.copy_(&z);
        z.add_(&z);
        assert_eq!(z.to_vec(), vec![6.0, -12.0]);
        let v = &w * 1.0;
        let view = v.narrow(0, 0, 1);
        let msg = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            v.add_(&view);
        }))
        .err()
        .and_then(|p| p.downcast_ref::<String>().cloned())
        .unwrap_or_default();
        assert!(msg.contains("shares this tensor's storage"), "{msg}");
    }
    assert_eq!(live_graph_nodes(), base, "the in-place graphs were freed");
}

#[test]
fn documented_cycle_an_in_place_op_whose_operand_was_computed_from_its_tensor() {
    // OPEN (docs/reliability.md, M2; docs/design.md, known limits): `y.add_(&(&y * 2.0))`
    // records the operand, whose graph node holds y, as an input of y's new history: a cycle
    // (y -> AddBackward0 -> operand -> MulBackward0 -> y). Nodes hold tensors, and an in-place
    // op re-points the tensor at its new node; breaking this needs the old nodes to hold y's
    // previous version instead (the core's design). Compute out of place instead.
    let _s = serial();
    let base = live_graph_nodes();
    {
        let w = Tensor::from_vec(vec![1.0f64, -2.0], &[2]).requires_grad_(true);
        let y = &w * 1.0;
        y.add_(&(&y * 2.0));
        assert_eq!(y.to_vec(), vec![3.0, -6.0]);
    }
    assert!(
        live_graph_nodes() > base,
        "pinned: the cycle is still there"
    );
    let base = live_graph_nodes();
    {
        let w = Tensor::from_vec(vec![1.0f64, -2.0], &[2]).requires_grad_(true);
        let y = &w * 1.0;
        let y = &y + &(&y * 2.0); // out of place: no cycle
        y.sum().backward();
        assert_eq!(w.grad().unwrap().to_vec(), vec![3.0, 3.0]);
    }
    assert_eq!(live_graph_nodes(), base);
}

#[test]
fn the_backward_walk_frees_each_intermediate_node_once_it_is_past_it() {
    // x -> ten `* 2` -> sum: eleven nodes. Only x and the loss are held here, so when the walk
    // reaches the leaf x (last in its order) every intermediate tensor and its node is gone,
    // and only the loss's own node (held by the loss) is alive. Freeing them all when the walk
    // returned instead (a burst of same-sized frees: docs/performance.md, "The small-op path")
    // would leave all eleven. d loss / dx = 2^10 for each element.
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    let _s = serial();
    let base = live_graph_nodes();
    let at_leaf = Arc::new(AtomicU64::new(u64::MAX));
    {
        let x = Tensor::from_vec(vec![1.0f64, -3.0], &[2]).requires_grad_(true);
        let seen = Arc::clone(&at_leaf);
        x.register_hook(move |_| {
            seen.store(live_graph_nodes(), Ordering::SeqCst);
            None
        });
        let mut y = x.clone();
        for _ in 0..10 {
            y = &y * 2.0;
        }
        let loss = y.sum();
        drop(y);
        assert_eq!(live_graph_nodes(), base + 11);
        loss.backward();
        assert_eq!(at_leaf.load(Ordering::SeqCst), base + 1);
        assert_eq!(x.grad().unwrap().to_vec(), vec![1024.0, 1024.0]);
    }
    assert_eq!(live_graph_nodes(), base);
}

#[test]
fn nodes_made_on_one_thread_and_freed_on_another_are_counted_exactly() {
    // Each thread counts its own nodes; a node freed on another thread than its maker, after
    // the maker has exited, must still leave the process-wide count exact.
    let _s = serial();
    let base = live_graph_nodes();
    let made = std::thread::spawn(move || {
        let w = Tensor::from_vec(vec![1.0f32, 2.0], &[2]).requires_grad_(true);
        // Two nodes: MulBackward0 and SumBackward0.
        let y = (&w * 3.0).sum();
        assert_eq!(live_graph_nodes(), base + 2);
        y
    })
    .join()
    .expect("the maker thread panicked");
    // The maker has exited; its count moved into the exited threads' sum.
    assert_eq!(live_graph_nodes(), base + 2);
    let freer = std::thread::spawn(move || {
        drop(made);
        live_graph_nodes()
    });
    assert_eq!(freer.join().expect("the freeing thread panicked"), base);
    assert_eq!(live_graph_nodes(), base);
}

#[test]
fn tensor_ids_are_unique_across_threads() {
    // Ids come from per-thread blocks; four threads making 3 000 tensors each (more than two
    // blocks apiece) must never hand out one id twice.
    let ids: Vec<u64> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                (0..3000)
                    .map(|i| Tensor::from_vec(vec![i as f32], &[1]).id())
                    .collect::<Vec<_>>()
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .flat_map(|h| h.join().expect("a thread panicked"))
        .collect();
    let distinct: std::collections::HashSet<u64> = ids.iter().copied().collect();
    assert_eq!(ids.len(), 12_000);
    assert_eq!(distinct.len(), 12_000);
}
