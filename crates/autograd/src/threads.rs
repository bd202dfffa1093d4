//! The threads that run tapegrad's parallel work (large products, convolutions, elementwise
//! loops from 32 768 elements): rayon's global pool.
//!
//! By default rayon starts its own threads and a thread outside the pool, such as `main`, that
//! calls a parallel op hands the work to the pool and sleeps until it is done: two context
//! switches (about 10 µs) per op, which a network of small ops pays hundreds of times a step.
//! [`init_threads`] makes the calling thread one of the pool's threads instead, as PyTorch's
//! intra-op pool does, so that it does its share of each op and meets the others without
//! sleeping. The results are the same either way: every parallel op splits its work by size,
//! never by thread count.
//!
//! With one thread, parallel ops do not use the pool at all ([`use_pool`]): the caller runs the
//! same chunks in the same order itself, so one thread never pays a hand-over. With more, each
//! parallel op keeps one pool thread awake for a moment after it ([`keep_warm`]), so that the
//! next op finds it looking for work rather than asleep.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Why [`init_threads`] could not make the calling thread part of the pool.
#[derive(Debug)]
pub struct ThreadsError(rayon::ThreadPoolBuildError);

impl fmt::Display for ThreadsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "init_threads: the thread pool could not be set up ({}); call init_threads once, \
             first thing in main, before any parallel op",
            self.0
        )
    }
}

impl std::error::Error for ThreadsError {}

/// Builds the global pool with `num_threads` threads, the calling thread being one of them
/// (PyTorch: `torch.set_num_threads(num_threads)`; the calling thread is one of PyTorch's
/// intra-op threads too). `0` takes `RAYON_NUM_THREADS`, else the number of CPUs. Call it
/// once, first thing in `main`, and keep calling tapegrad from that thread: the pool counts
/// on it whenever it calls a parallel op.
///
/// With one thread the pool keeps a thread of its own, which parallel ops then never use: every
/// caller runs its op's chunks itself. (A pool made of the caller alone would leave a parallel
/// op called from another thread, a data-loading worker's, waiting for as long as the caller is
/// busy outside tapegrad.)
///
/// # Errors
/// If the pool already exists (an earlier call, or any parallel op ran before): the pool then
/// stays as it is, and everything still works, only with a hand-over per parallel op.
///
/// ```
/// use tapegrad_autograd::{init_threads, Tensor};
/// // The doctest's thread joins the pool; a second call finds it built.
/// init_threads(2).unwrap();
/// assert!(init_threads(2).is_err());
/// let a = Tensor::<f32>::ones(&[256, 256]);
/// assert_eq!(a.matmul(&a).to_vec()[0], 256.0);
/// ```
pub fn init_threads(num_threads: usize) -> Result<(), ThreadsError> {
    let n = match num_threads {
        0 => std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        n => n,
    };
    let builder = rayon::ThreadPoolBuilder::new().num_threads(n);
    let builder = if n > 1 {
        builder.use_current_thread()
    } else {
        builder
    };
    builder.build_global().map_err(ThreadsError)
}

/// The number of threads parallel ops use (PyTorch: `torch.get_num_threads()`): the size of
/// rayon's pool, as set by [`init_threads`] or `RAYON_NUM_THREADS`. Unlike PyTorch, asking
/// first builds the pool at its default size (as any parallel op does), after which
/// [`init_threads`] returns an error: call [`init_threads`] first.
///
/// ```
/// assert!(tapegrad_autograd::get_num_threads() >= 1);
/// ```
pub fn get_num_threads() -> usize {
    rayon::current_num_threads()
}

/// Whether parallel work goes to rayon's pool: only when it has more than one thread. With one,
/// the caller runs the chunks itself, in the order the pool would have combined them; handing
/// them to the pool's single thread would only add two context switches per op (10 % of a
/// one-thread `char_gpt` profile was the kernel's scheduler). Asked right before an op hands
/// out its work: when the answer is yes, a pool thread is also kept awake ([`keep_warm`]).
pub(crate) fn use_pool() -> bool {
    let pool = get_num_threads() > 1;
    if pool {
        keep_warm();
    }
    pool
}

/// How long a pool thread kept awake by [`keep_warm`] goes on looking for work after it last
/// found some.
const LINGER: Duration = Duration::from_micros(100);

/// Whether a [`keep_warm`] task is queued or running.
static WARM: AtomicBool = AtomicBool::new(false);

/// Keeps one pool thread awake, looking for work, until [`LINGER`] has passed without any: a
/// parallel op is about to start, and more are likely to follow it after a short serial stretch.
///
/// Left alone, rayon puts an idle thread to sleep after a few rounds of looking, and waking it
/// for the next op is a system call on the caller's side and a context switch on the sleeper's
/// (tens of µs under a hypervisor). An attention layer's step hands out dozens of ops a few µs
/// apart, and on 2 threads it was slower than on 1 (2.30 ms against 2.15, Sapphire Rapids under
/// KVM), 20 % of its profile in the scheduler; kept awake, 1.59 ms. PyTorch's OpenMP threads
/// spin-wait the same way (`OMP_WAIT_POLICY`, `KMP_BLOCKTIME`) before they sleep.
///
/// The task runs other pool work as it finds it (`rayon::yield_now`), so it never holds up an
/// op; it is bounded by [`LINGER`], so it never hangs; it changes how the work is shared, never
/// how it is cut, so results stay the same. The thread that queued it skips it (it would only
/// wait for its own next op).
pub(crate) fn keep_warm() {
    if WARM.swap(true, Ordering::AcqRel) {
        return;
    }
    let from = rayon::current_thread_index();
    rayon::spawn(move || {
        if from.is_none() || rayon::current_thread_index() != from {
            let mut last = Instant::now();
            while last.elapsed() < LINGER {
                match rayon::yield_now() {
                    Some(rayon::Yield::Executed) => last = Instant::now(),
                    _ => std::hint::spin_loop(),
                }
            }
        }
        WARM.store(false, Ordering::Release);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn a_thread_kept_warm_still_runs_the_work_and_then_stops() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            keep_warm();
            // Work handed out while the task looks for more is done, all of it.
            let v: Vec<u64> = (0..10_000u64).into_par_iter().map(|i| i * i).collect();
            assert_eq!(v.iter().sum::<u64>(), (0..10_000u64).map(|i| i * i).sum());
        });
        // The task ends once LINGER (100 µs) passes without work; other tests of this binary
        // may start one again, but none keeps one going for seconds.
        let start = Instant::now();
        while WARM.load(Ordering::Acquire) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "keep_warm: the task did not stop"
            );
            std::thread::yield_now();
        }
    }
}
