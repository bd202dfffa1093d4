//! PyTorch's CPU random number generator, bit for bit (`torch.manual_seed`, `torch.Generator`).
//!
//! Every random draw in tapegrad (`Tensor::rand`, `randn`, `uniform`, `randint`, `randperm`,
//! `bernoulli`, `multinomial`, dropout masks, layer initialisation, `DataLoader` shuffling)
//! comes from a [`Generator`]: the process-wide default one ([`default_generator`], seeded by
//! [`manual_seed`]) or one you pass explicitly (the `_with` forms, PyTorch's `generator=`
//! keyword). The generator is PyTorch's `CPUGeneratorImpl`: a 32-bit Mersenne Twister
//! (`mt19937`) seeded from the low 32 bits of the seed, plus the cached second value of the last
//! scalar Box–Muller pair. The recipes that turn its 32-bit words into values are PyTorch 2.x's
//! CPU kernels, so `manual_seed(s)` gives the numbers `torch.manual_seed(s)` gives: the same
//! weights, batches and dropout masks. `docs/09_random_numbers.md` explains each recipe.
//!
//! The state ([`RngState`], 5056 bytes in PyTorch's layout) can be saved and restored exactly
//! ([`rng_state`], [`set_rng_state`], [`RngState::to_bytes`], [`RngState::from_bytes`]).

pub mod engine;

use engine::{CpuGenerator, Mt19937, MT_N};
use once_cell::sync::Lazy;
use std::sync::{Arc, Mutex, MutexGuard};
use thiserror::Error;

pub use engine::DEFAULT_SEED;

/// A random number generator handle (`torch.Generator()` on the CPU).
///
/// Cloning gives another handle to the *same* generator (as passing a `torch.Generator`
/// around does); draws through any handle advance it. Use [`Generator::new`] for an
/// independent one.
///
/// ```
/// use tapegrad_autograd::{rng::Generator, Tensor};
/// // torch.rand(3, generator=torch.Generator().manual_seed(42))
/// let g = Generator::new().manual_seed(42);
/// let a = Tensor::<f32>::rand_with(&[3], &g);
/// assert_eq!(a.to_vec(), vec![0.88226926, 0.91500396, 0.38286376]);
/// ```
#[derive(Clone, Debug)]
pub struct Generator(Arc<Mutex<CpuGenerator>>);

impl Default for Generator {
    fn default() -> Self {
        Self::new()
    }
}

impl Generator {
    /// A new generator seeded with PyTorch's default seed `67280421310721`
    /// (`torch.Generator()`).
    pub fn new() -> Self {
        Generator(Arc::new(Mutex::new(CpuGenerator::new(DEFAULT_SEED))))
    }

    /// Reseeds this generator and returns a handle to it (`g.manual_seed(seed)`), so
    /// `Generator::new().manual_seed(s)` reads as `torch.Generator().manual_seed(s)`.
    /// Only the low 32 bits enter the Mersenne Twister, as in PyTorch;
    /// [`initial_seed`](Self::initial_seed) reports all 64.
    pub fn manual_seed(&self, seed: u64) -> Generator {
        *self.lock() = CpuGenerator::new(seed);
        self.clone()
    }

    /// The seed this generator was last seeded with (`g.initial_seed()`).
    pub fn initial_seed(&self) -> u64 {
        self.lock().engine.seed
    }

    /// Reseeds from the clock and returns the new seed (`g.seed()`; not reproducible).
    pub fn seed(&self) -> u64 {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let s = t ^ (std::process::id() as u64).rotate_left(32);
        self.manual_seed(s);
        s
    }

    /// The generator's exact state (`g.get_state()`).
    pub fn get_state(&self) -> RngState {
        RngState(self.lock().clone())
    }

    /// Restores a state read by [`get_state`](Self::get_state) (`g.set_state(state)`).
    pub fn set_state(&self, state: &RngState) {
        *self.lock() = state.0.clone();
    }

    /// One draw of `torch.empty((), dtype=torch.int64).random_(generator=g).item()`: a
    /// `random64()` reduced modulo `2⁶³` (how `RandomSampler` seeds its shuffling generator).
    pub fn random_int64(&self) -> i64 {
        (self.lock().random64() % (1u64 << 63)) as i64
    }

    /// Runs `f` with exclusive access to the underlying PyTorch generator (for the kernels).
    ///
    /// Panics, instead of waiting forever, if `f` uses this generator itself (a draw, a seed,
    /// a state read through any handle to it): `f` must draw from the `&mut CpuGenerator` it
    /// is given.
    pub fn with<R>(&self, f: impl FnOnce(&mut CpuGenerator) -> R) -> R {
        let mut guard = self.lock();
        let _held = Held::enter(self.key());
        f(&mut guard)
    }

    /// This generator's identity (shared by its clones).
    fn key(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    fn lock(&self) -> MutexGuard<'_, CpuGenerator> {
        let key = self.key();
        // (`try_with`: a generator used while the thread's locals are being destroyed is not
        // checked rather than refused.)
        if HELD.try_with(|held| held.borrow().contains(&key)) == Ok(true) {
            panic!(
                "Generator::with: this thread already holds this generator inside a `with` \
                 closure, so waiting for it would never end; inside the closure, draw from the \
                 `&mut CpuGenerator` it is given, not through a handle to the same generator"
            );
        }
        // A panic while holding the lock cannot leave the generator in a broken state.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

thread_local! {
    /// The generators this thread holds inside [`Generator::with`] closures, innermost last.
    static HELD: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// One entry of [`HELD`], removed when the `with` call it belongs to ends (or unwinds).
struct Held;

impl Held {
    fn enter(key: usize) -> Held {
        let _ = HELD.try_with(|held| held.borrow_mut().push(key));
        Held
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = HELD.try_with(|held| held.borrow_mut().pop());
    }
}

static DEFAULT: Lazy<Generator> = Lazy::new(Generator::new);

/// The process-wide default generator (`torch.default_generator`).
pub fn default_generator() -> Generator {
    DEFAULT.clone()
}

/// Seeds the process-wide default generator (`torch.manual_seed(seed)`).
///
/// ```
/// use tapegrad_autograd::{manual_seed, Tensor};
/// manual_seed(0);
/// let a: Tensor = Tensor::rand(&[3]);
/// // torch.manual_seed(0); torch.rand(3)
/// assert_eq!(a.to_vec(), vec![0.4962566, 0.7682218, 0.08847743]);
/// ```
pub fn manual_seed(seed: u64) {
    DEFAULT.manual_seed(seed);
}

/// The seed the default generator was last seeded with (`torch.initial_seed()`).
pub fn initial_seed() -> u64 {
    DEFAULT.initial_seed()
}

/// Reads the default generator's state (`torch.get_rng_state()`).
pub fn rng_state() -> RngState {
    DEFAULT.get_state()
}

/// Restores the default generator's state (`torch.set_rng_state(state)`).
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
    DEFAULT.set_state(&state);
}

/// Runs `f` on `generator`, or on the default generator when `None` (how every kernel draws:
/// PyTorch's `get_generator_or_default`).
pub fn with_generator<R>(
    generator: Option<&Generator>,
    f: impl FnOnce(&mut CpuGenerator) -> R,
) -> R {
    match generator {
        Some(g) => g.with(f),
        None => DEFAULT.with(f),
    }
}

/// A generator's exact state (`torch.get_rng_state()` / `g.get_state()`): the Mersenne Twister
/// words and position, the seed, and the cached Box–Muller normals.
///
/// [`to_bytes`](Self::to_bytes) gives PyTorch's 5056-byte `CPUGeneratorImplState` (the
/// `torch.ByteTensor` that `get_rng_state` returns), [`from_bytes`](Self::from_bytes) reads it
/// back (or the legacy 5048-byte form), so states move between tapegrad and PyTorch.
#[derive(Clone, Debug, PartialEq)]
pub struct RngState(pub CpuGenerator);

/// Size of PyTorch's `CPUGeneratorImplState` in bytes.
pub const STATE_BYTES: usize = 5056;
/// Size of the legacy `THGeneratorState` (without the cached float normal).
pub const LEGACY_STATE_BYTES: usize = 5048;

/// Why bytes are not a generator state ([`RngState::from_bytes`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RngStateError {
    /// Neither 5056 nor 5048 bytes (e.g. a checkpoint written before tapegrad used PyTorch's
    /// generator, whose state was a ChaCha position).
    #[error("set_rng_state: Expected either a THGeneratorState of size 5048 or a CPUGeneratorImplState of size 5056 but found the input RNG state size to be {found}; pass the bytes of torch.get_rng_state() or RngState::to_bytes()")]
    WrongSize {
        /// The number of bytes given.
        found: usize,
    },
    /// The Mersenne Twister position is impossible (`mt19937::is_valid`).
    #[error("set_rng_state: Invalid mt19937 state: seeded={seeded}, left={left}, next={next} (need seeded, 0 < left <= 624 and next <= 624); the bytes are not a generator state")]
    InvalidEngine {
        /// The `seeded_` flag.
        seeded: i32,
        /// The `left_` counter.
        left: i32,
        /// The `next_` index.
        next: u64,
    },
}

impl RngState {
    /// The seed of the generator this state came from (`initial_seed`).
    pub fn initial_seed(&self) -> u64 {
        self.0.engine.seed
    }

    /// PyTorch's byte layout (`torch.get_rng_state().numpy().tobytes()`, little-endian):
    /// `u64 seed, i32 left, i32 seeded, u64 next, u64 state[624], f64 normal_x, f64 normal_y,
    /// f64 normal_rho, i32 normal_is_valid, (pad), f32 next_float_normal, bool valid, (pad)`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let g = &self.0;
        let mut b = Vec::with_capacity(STATE_BYTES);
        b.extend_from_slice(&g.engine.seed.to_le_bytes());
        b.extend_from_slice(&g.engine.left.to_le_bytes());
        b.extend_from_slice(&(g.engine.seeded as i32).to_le_bytes());
        b.extend_from_slice(&(g.engine.next as u64).to_le_bytes());
        for w in g.engine.state {
            b.extend_from_slice(&(w as u64).to_le_bytes());
        }
        b.extend_from_slice(&0f64.to_le_bytes()); // normal_x (unused)
        b.extend_from_slice(&g.next_double_normal.unwrap_or(0.0).to_le_bytes()); // normal_y
        b.extend_from_slice(&0f64.to_le_bytes()); // normal_rho (unused)
        b.extend_from_slice(&(g.next_double_normal.is_some() as i32).to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&g.next_float_normal.unwrap_or(0.0).to_le_bytes());
        b.push(g.next_float_normal.is_some() as u8);
        b.extend_from_slice(&[0; 3]);
        debug_assert_eq!(b.len(), STATE_BYTES);
        b
    }

    /// Reads [`to_bytes`](Self::to_bytes)'s layout or PyTorch's (`torch.set_rng_state`),
    /// also the legacy 5048-byte form; checks the engine position as PyTorch does.
    pub fn from_bytes(b: &[u8]) -> Result<RngState, RngStateError> {
        if b.len() != STATE_BYTES && b.len() != LEGACY_STATE_BYTES {
            return Err(RngStateError::WrongSize { found: b.len() });
        }
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap());
        let i32_at = |o: usize| i32::from_le_bytes(b[o..o + 4].try_into().unwrap());
        let seed = u64_at(0);
        let left = i32_at(8);
        let seeded = i32_at(12);
        let next = u64_at(16);
        if seeded == 0 || left <= 0 || left > MT_N as i32 || next > MT_N as u64 {
            return Err(RngStateError::InvalidEngine { seeded, left, next });
        }
        let mut state = [0u32; MT_N];
        for (i, w) in state.iter_mut().enumerate() {
            *w = u64_at(24 + 8 * i) as u32;
        }
        let o = 24 + 8 * MT_N;
        let normal_y = f64::from_le_bytes(b[o + 8..o + 16].try_into().unwrap());
        let normal_valid = i32_at(o + 24) != 0;
        let next_float_normal = if b.len() == STATE_BYTES && b[o + 36] != 0 {
            Some(f32::from_le_bytes(b[o + 32..o + 36].try_into().unwrap()))
        } else {
            None
        };
        Ok(RngState(CpuGenerator {
            engine: Mt19937 {
                seed,
                left,
                seeded: true,
                next: next as u32,
                state,
            },
            next_float_normal,
            next_double_normal: normal_valid.then_some(normal_y),
        }))
    }
}
