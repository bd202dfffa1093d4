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
//! same chunks in the same order itself, so one thread never pays a hand-over.

use std::fmt;

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
/// one-thread `char_gpt` profile was the kernel's scheduler).
pub(crate) fn use_pool() -> bool {
    get_num_threads() > 1
}
