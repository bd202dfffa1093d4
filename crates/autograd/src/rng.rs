//! The process-wide seeded random generator (`torch.manual_seed`).
//!
//! Every random draw in tapegrad (`Tensor::rand`, `randn`, `uniform`, layer initialisation,
//! `DataLoader` shuffling when not given its own seed) comes from one generator, a ChaCha8
//! stream, so a run started with `manual_seed(s)` is reproducible. Its state can be saved and
//! restored exactly ([`rng_state`], [`set_rng_state`]) for checkpoints.

use once_cell::sync::Lazy;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Mutex;

/// The seed the generator starts from when `manual_seed` is never called.
pub const DEFAULT_SEED: u64 = 0x5EED;

static GENERATOR: Lazy<Mutex<ChaCha8Rng>> =
    Lazy::new(|| Mutex::new(ChaCha8Rng::seed_from_u64(DEFAULT_SEED)));

/// Seeds the process-wide generator (`torch.manual_seed(seed)`).
///
/// ```
/// use tapegrad_autograd::{manual_seed, Tensor};
/// manual_seed(7);
/// let a: Tensor = Tensor::rand(&[3]);
/// manual_seed(7);
/// let b: Tensor = Tensor::rand(&[3]);
/// assert_eq!(a.to_vec(), b.to_vec());
/// ```
pub fn manual_seed(seed: u64) {
    *lock() = ChaCha8Rng::seed_from_u64(seed);
}

/// The generator's exact position, to store in a checkpoint: `(seed, stream, word_pos)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngState {
    /// The 32-byte ChaCha key.
    pub seed: [u8; 32],
    /// The ChaCha stream number.
    pub stream: u64,
    /// The position in the stream, in 32-bit words.
    pub word_pos: u128,
}

/// Reads the generator's state (`torch.get_rng_state()`).
pub fn rng_state() -> RngState {
    let g = lock();
    RngState {
        seed: g.get_seed(),
        stream: g.get_stream(),
        word_pos: g.get_word_pos(),
    }
}

/// Restores a state read by [`rng_state`] (`torch.set_rng_state`).
///
/// ```
/// use tapegrad_autograd::{rng_state, set_rng_state, Tensor};
/// let s = rng_state();
/// let a: Tensor = Tensor::randn(&[4]);
/// set_rng_state(s);
/// let b: Tensor = Tensor::randn(&[4]);
/// assert_eq!(a.to_vec(), b.to_vec());
/// ```
pub fn set_rng_state(state: RngState) {
    let mut g = ChaCha8Rng::from_seed(state.seed);
    g.set_stream(state.stream);
    g.set_word_pos(state.word_pos);
    *lock() = g;
}

/// Runs `f` with exclusive access to the generator (for draws that need many values at once).
pub fn with_rng<R>(f: impl FnOnce(&mut dyn RngCore) -> R) -> R {
    let mut g = lock();
    f(&mut *g)
}

fn lock() -> std::sync::MutexGuard<'static, ChaCha8Rng> {
    // A panic while holding the lock cannot leave the generator in a broken state.
    GENERATOR.lock().unwrap_or_else(|e| e.into_inner())
}
