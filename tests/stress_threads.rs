//! Thread stress test with a watchdog: one thread trains a small `Linear` with Adam while other
//! threads, on the same parameters, run forward passes under `no_grad`, take `state_dict()`s,
//! read `.grad()`, and compute `&w * &w` and `mse_loss(&w, &w)` (an op whose two operands are
//! the same tensor: the read-lock-twice deadlock of the reliability review). Every worker runs
//! for a bounded time (about 1.5 s) and counts its iterations; a watchdog thread fails the test,
//! naming the stalled workers, if any of them makes no progress for 10 s. The outcome does not
//! depend on the interleaving: readers never write, so training follows the same arithmetic as
//! alone, and every reader checks values that hold whatever the trainer is doing.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};
use tapegrad::prelude::*;

/// How long the workers run.
const RUN: Duration = Duration::from_millis(1500);
/// How long a worker may go without finishing an iteration before the watchdog fails the test.
const STALL: Duration = Duration::from_secs(10);

/// One worker's progress: iterations done, and whether it has finished.
struct Progress {
    name: &'static str,
    count: AtomicU64,
    done: AtomicBool,
}

impl Progress {
    fn new(name: &'static str) -> Arc<Self> {
        Arc::new(Progress {
            name,
            count: AtomicU64::new(0),
            done: AtomicBool::new(false),
        })
    }
}

/// Runs `body` until the deadline (and at least `min_iters` times), counting iterations.
fn worker(
    p: Arc<Progress>,
    deadline: Instant,
    min_iters: u64,
    mut body: impl FnMut() + Send + 'static,
) -> thread::JoinHandle<()> {
    thread::Builder::new()
        .name(p.name.to_string())
        .spawn(move || {
            let mut n = 0u64;
            while n < min_iters || Instant::now() < deadline {
                body();
                n += 1;
                p.count.store(n, Ordering::Release);
            }
            p.done.store(true, Ordering::Release);
        })
        .expect("spawn a worker")
}

/// Watches every worker until all are done; `Err` naming the stalled ones if any makes no
/// progress for `STALL`.
fn watchdog(workers: Vec<Arc<Progress>>) -> thread::JoinHandle<Result<(), String>> {
    thread::spawn(move || {
        let mut last: Vec<(u64, Instant)> = workers.iter().map(|_| (0, Instant::now())).collect();
        loop {
            if workers.iter().all(|w| w.done.load(Ordering::Acquire)) {
                return Ok(());
            }
            let now = Instant::now();
            let mut stalled = Vec::new();
            for (w, (count, since)) in workers.iter().zip(last.iter_mut()) {
                let c = w.count.load(Ordering::Acquire);
                if c != *count || w.done.load(Ordering::Acquire) {
                    *count = c;
                    *since = now;
                } else if now - *since >= STALL {
                    stalled.push(format!("{} (stuck after {c} iterations)", w.name));
                }
            }
            if !stalled.is_empty() {
                return Err(format!(
                    "watchdog: no progress for {STALL:?} in: {}; a deadlock",
                    stalled.join(", ")
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    })
}

#[test]
fn training_against_readers_on_other_threads_never_stalls() {
    manual_seed(7);
    let model = Arc::new(Linear::<f32>::new(8, 4));
    let x = Tensor::<f32>::randn(&[16, 8]);
    let y = Tensor::<f32>::randn(&[16, 4]);
    let initial_loss = no_grad(|| F::mse_loss(&model.forward(&x), &y, Reduction::Mean).item());
    let (w, b) = (model.weight.clone(), model.bias.clone().expect("a bias"));
    let deadline = Instant::now() + RUN;
    let progress: Vec<Arc<Progress>> = [
        "trainer",
        "forward under no_grad",
        "state_dict",
        ".grad() reads",
        "&w * &w",
    ]
    .into_iter()
    .map(Progress::new)
    .collect();
    let mut handles = Vec::new();

    let (m, xs, ys) = (model.clone(), x.clone(), y.clone());
    let mut opt = Adam::new(
        model.parameters(),
        AdamConfig {
            lr: 0.01,
            ..Default::default()
        },
    )
    .expect("Adam accepts the leaves");
    let final_loss = Arc::new(std::sync::Mutex::new(f32::NAN));
    let fl = final_loss.clone();
    handles.push(worker(progress[0].clone(), deadline, 20, move || {
        let loss = F::mse_loss(&m.forward(&xs), &ys, Reduction::Mean);
        opt.zero_grad();
        loss.backward();
        opt.step();
        *fl.lock().unwrap() = loss.item();
    }));

    let (m, xs) = (model.clone(), x.clone());
    handles.push(worker(progress[1].clone(), deadline, 1, move || {
        let out = no_grad(|| m.forward(&xs));
        assert_eq!(out.shape().as_slice(), &[16, 4]);
        assert!(!out.requires_grad(), "no_grad output records a graph");
        assert!(out.to_vec().iter().all(|v| v.is_finite()));
    }));

    let m = model.clone();
    handles.push(worker(progress[2].clone(), deadline, 1, move || {
        let sd = m.state_dict();
        let shapes: Vec<(String, Vec<usize>)> = sd
            .iter()
            .map(|(k, t)| (k.to_string(), t.shape().to_vec()))
            .collect();
        assert_eq!(
            shapes,
            vec![
                ("weight".to_string(), vec![4, 8]),
                ("bias".to_string(), vec![4])
            ]
        );
    }));

    let (wg, bg) = (w.clone(), b.clone());
    handles.push(worker(progress[3].clone(), deadline, 1, move || {
        // Between zero_grad and backward the gradient is absent (set_to_none), else whole.
        if let Some(g) = wg.grad() {
            assert_eq!(g.shape().as_slice(), &[4, 8]);
            assert!(g.to_vec().iter().all(|v| v.is_finite()));
        }
        if let Some(g) = bg.grad() {
            assert_eq!(g.shape().as_slice(), &[4]);
        }
    }));

    let (ww, bb) = (w.clone(), b.clone());
    handles.push(worker(progress[4].clone(), deadline, 1, move || {
        no_grad(|| {
            // The same tensor twice in one op: must not take its lock twice.
            let sq = (&ww * &ww).sum().item();
            assert!(sq > 0.0 && sq.is_finite(), "{sq}");
            assert_eq!(F::mse_loss(&bb, &bb, Reduction::Sum).item(), 0.0);
        });
    }));

    let verdict = watchdog(progress.clone())
        .join()
        .expect("the watchdog never panics");
    if let Err(stall) = verdict {
        // The stuck threads are left detached; the test fails instead of hanging.
        panic!("{stall}");
    }
    for h in handles {
        h.join().expect("a worker's check failed");
    }
    for p in &progress {
        assert!(p.count.load(Ordering::Acquire) >= 1, "{} never ran", p.name);
    }
    let trained = *final_loss.lock().unwrap();
    assert!(
        trained < initial_loss,
        "training against readers did not reduce the loss: {initial_loss} -> {trained}"
    );
}
