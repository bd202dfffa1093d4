//! PyTorch's CPU generator, bit for bit: the `mt19937` engine of
//! `aten/src/ATen/core/MT19937RNGEngine.h`, the state of `aten/src/ATen/CPUGeneratorImpl.cpp`
//! (the engine plus the cached second Box–Muller normals) and the per-value recipes of
//! `aten/src/ATen/core/TransformationHelper.h` / `DistributionsHelper.h` and the CPU kernels of
//! `aten/src/ATen/native/cpu/DistributionTemplates.h`.
//!
//! This file has no dependency on the rest of the crate so the recipes can be read (and
//! tested) on their own.

/// Number of 32-bit words in the Mersenne Twister state (`MERSENNE_STATE_N`).
pub const MT_N: usize = 624;
const MT_M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// The seed of PyTorch's default CPU generator when it is never seeded
/// (`default_rng_seed_val` in `c10/core/GeneratorImpl.h`).
pub const DEFAULT_SEED: u64 = 67_280_421_310_721;

/// `at::mt19937`: the 32-bit Mersenne Twister, seeded from the low 32 bits of a `u64`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mt19937 {
    /// The seed it was seeded with (all 64 bits, as `initial_seed()` reports).
    pub seed: u64,
    /// Draws left before the next twist (`left_`).
    pub left: i32,
    /// Whether it has been seeded (`seeded_`, always true here).
    pub seeded: bool,
    /// Index of the next word to temper (`next_`).
    pub next: u32,
    /// The 624 words of state.
    pub state: [u32; MT_N],
}

impl Mt19937 {
    /// `mt19937(seed)` → `init_with_uint32(seed)`: only `seed & 0xffffffff` enters the state.
    pub fn new(seed: u64) -> Self {
        let mut state = [0u32; MT_N];
        state[0] = (seed & 0xffff_ffff) as u32;
        for j in 1..MT_N {
            let prev = state[j - 1];
            state[j] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(j as u32);
        }
        Mt19937 {
            seed,
            left: 1,
            seeded: true,
            next: 0,
            state,
        }
    }

    /// The next 624 words (`next_state`), in place and in order: word `i` mixes words `i` and
    /// `i + 1` with word `i + 397` (indices modulo 624), the last 397 with words already
    /// renewed. In runs of [`RUN`] words where all three runs lie inside the state and on one
    /// side of word 227 (a loop that vectorises): before it, a run reads words not renewed
    /// yet; from it on, words renewed 227 places back, never its own. The same words as one
    /// at a time.
    #[inline(always)]
    fn twist(&mut self) {
        let s = &mut self.state;
        let mut i = 0;
        while i < MT_N {
            let far = (i + MT_M) % MT_N;
            let before = i < MT_N - MT_M;
            let whole = if before {
                i + RUN <= MT_N - MT_M
            } else {
                i + RUN < MT_N
            };
            if whole {
                let (a, b, f) = (run(s, i), run(s, i + 1), run(s, far));
                let mut out = [0u32; RUN];
                for (o, ((a, b), f)) in out.iter_mut().zip(a.into_iter().zip(b).zip(f)) {
                    *o = mix(a, b, f);
                }
                s[i..i + RUN].copy_from_slice(&out);
                i += RUN;
            } else {
                s[i] = mix(s[i], s[(i + 1) % MT_N], s[far]);
                i += 1;
            }
        }
        self.left = MT_N as i32;
        self.next = 0;
    }

    /// One 32-bit draw (`mt19937::operator()`).
    pub fn next_u32(&mut self) -> u32 {
        self.left -= 1;
        if self.left == 0 {
            vectorised(
                #[inline(always)]
                || self.twist(),
            );
        }
        let y = self.state[self.next as usize];
        self.next += 1;
        temper(y)
    }

    /// `out.len()` draws in a row, exactly those of as many [`Mt19937::next_u32`] calls, read
    /// from the state a block at a time (a loop that vectorises).
    pub fn fill(&mut self, out: &mut [u32]) {
        vectorised(
            #[inline(always)]
            || self.fill_words(out),
        );
    }

    /// `out[i] = f(random64())` for every `i` in turn: the draws of as many pairs of
    /// [`Mt19937::next_u32`] calls (the first the high half, as `random64()`), filled 512
    /// words at a time. Inlined into its caller's [`vectorised`] code.
    #[inline(always)]
    fn fill_pairs<T>(&mut self, out: &mut [T], f: impl Fn(u64) -> T) {
        let mut words = [0u32; 512];
        for chunk in out.chunks_mut(words.len() / 2) {
            let words = &mut words[..2 * chunk.len()];
            self.fill_words(words);
            for (o, pair) in chunk.iter_mut().zip(words.chunks_exact(2)) {
                *o = f(join(pair[0], pair[1]));
            }
        }
    }

    /// [`Mt19937::fill`], inlined into its caller's [`vectorised`] code.
    #[inline(always)]
    fn fill_words(&mut self, out: &mut [u32]) {
        let mut i = 0;
        while i < out.len() {
            let next = self.next as usize;
            let ready = if self.left > 1 {
                ((self.left - 1) as usize).min(MT_N.saturating_sub(next))
            } else {
                0
            };
            if ready == 0 {
                // The next draw twists first (or the state is one draw handles alone).
                self.left -= 1;
                if self.left == 0 {
                    self.twist();
                }
                out[i] = temper(self.state[self.next as usize]);
                self.next += 1;
                i += 1;
                continue;
            }
            let take = ready.min(out.len() - i);
            for (o, &y) in out[i..i + take]
                .iter_mut()
                .zip(&self.state[next..next + take])
            {
                *o = temper(y);
            }
            self.next += take as u32;
            self.left -= take as i32;
            i += take;
        }
    }
}

/// Words the twist renews at a time (one 512-bit vector).
const RUN: usize = 16;

/// `s[at .. at + RUN]`.
#[inline(always)]
fn run(s: &[u32; MT_N], at: usize) -> [u32; RUN] {
    s[at..at + RUN].try_into().expect("RUN words")
}

/// A renewed word from word `a`'s top bit, word `b`'s other 31 and the word `far` 397 on:
/// `far ^ (y >> 1)`, and `MATRIX_A` too when `y` is odd.
#[inline(always)]
fn mix(a: u32, b: u32, far: u32) -> u32 {
    let y = (a & UPPER_MASK) | (b & LOWER_MASK);
    far ^ (y >> 1) ^ ((y & 1).wrapping_neg() & MATRIX_A)
}

/// `random64()` from its two draws: the first is the high half.
#[inline(always)]
fn join(hi: u32, lo: u32) -> u64 {
    ((hi as u64) << 32) | lo as u64
}

/// The integer `t` with `unit_f64(r) < p` exactly when `r`'s low 53 bits `m` are below `t`:
/// `unit_f64(r)` is `m·2⁻⁵³` exactly and `p·2⁵³` is exact, so `m·2⁻⁵³ < p` is `m < p·2⁵³`,
/// which for an integer `m` is `m < ⌈p·2⁵³⌉` (the conversion saturates: 0 for a negative or
/// NaN `p`, never true; at least 2⁵³ for `p ≥ 1`, always true). The comparison of
/// `uniform_real_distribution<double>`'s uniform with `p`, without the conversion to `f64`.
#[inline]
fn below_threshold(p: f64) -> u64 {
    (p * (1u64 << 53) as f64).ceil() as u64
}

/// A uniform in `[0, 1)` from the low 53 bits of a 64-bit draw (`uniform_real_distribution`).
#[inline(always)]
fn unit_f64(r: u64) -> f64 {
    (r & ((1u64 << 53) - 1)) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The float in `[0, 1)` of one 32-bit draw: its low 24 bits over 2²⁴, as
/// `uniform_real_distribution<float>` takes it.
#[inline(always)]
fn unit_f32(w: u32) -> f32 {
    (w & ((1 << 24) - 1)) as f32 * (1.0 / (1u64 << 24) as f32)
}

/// The Mersenne Twister's output tempering of one state word.
#[inline(always)]
fn temper(mut y: u32) -> u32 {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c_5680;
    y ^= (y << 15) & 0xefc6_0000;
    y ^ (y >> 18)
}

/// `CPUGeneratorImpl`'s whole state: the engine and the two cached normals.
#[derive(Clone, Debug, PartialEq)]
pub struct CpuGenerator {
    /// The Mersenne Twister.
    pub engine: Mt19937,
    /// `next_float_normal_sample_` (used by `normal_distribution<float>`, i.e. never by the
    /// CPU tensor kernels, but part of the state).
    pub next_float_normal: Option<f32>,
    /// `next_double_normal_sample_`: the cached `r·sin θ` of the last scalar Box–Muller pair.
    pub next_double_normal: Option<f64>,
}

impl CpuGenerator {
    /// A generator seeded with `seed` (`torch.Generator().manual_seed(seed)`).
    pub fn new(seed: u64) -> Self {
        CpuGenerator {
            engine: Mt19937::new(seed),
            next_float_normal: None,
            next_double_normal: None,
        }
    }

    /// `CPUGeneratorImpl::random()`: one 32-bit draw.
    pub fn random(&mut self) -> u32 {
        self.engine.next_u32()
    }

    /// `CPUGeneratorImpl::random64()`: two draws, the first is the high half.
    pub fn random64(&mut self) -> u64 {
        let hi = self.engine.next_u32();
        join(hi, self.engine.next_u32())
    }

    /// `uniform_real_distribution<float>(from, to)`: 24 bits of one `random()`, float math,
    /// `x·(to−from)+from` as one fused multiply–add.
    pub fn uniform_f32(&mut self, from: f32, to: f32) -> f32 {
        // `x * (to - from) + from`, contracted to one fused multiply–add by the AVX2/AVX512
        // builds of the kernel.
        unit_f32(self.random()).mul_add(to - from, from)
    }

    /// `uniform_real_distribution<double>(from, to)`: 53 bits of one `random64()`.
    pub fn uniform_f64(&mut self, from: f64, to: f64) -> f64 {
        unit_f64(self.random64()).mul_add(to - from, from)
    }

    /// [`CpuGenerator::uniform_f32`] for every element of `out` in turn: the same draws, taken
    /// a block at a time ([`Mt19937::fill`]), and the same values: the fused multiply–adds run
    /// as FMA instructions where the CPU has them (a call into libm's software `fmaf` each
    /// otherwise).
    pub fn uniform_f32_fill(&mut self, out: &mut [f32], from: f32, to: f32) {
        let mut words = [0u32; 256];
        vectorised(
            #[inline(always)]
            move || {
                for chunk in out.chunks_mut(words.len()) {
                    let words = &mut words[..chunk.len()];
                    self.engine.fill_words(words);
                    for (o, &w) in chunk.iter_mut().zip(words.iter()) {
                        *o = unit_f32(w).mul_add(to - from, from);
                    }
                }
            },
        );
    }

    /// [`CpuGenerator::uniform_f64`] for every element of `out` in turn, as
    /// [`CpuGenerator::uniform_f32_fill`]: the same draws (two engine words each) and values.
    pub fn uniform_f64_fill(&mut self, out: &mut [f64], from: f64, to: f64) {
        vectorised(
            #[inline(always)]
            move || {
                self.engine
                    .fill_pairs(out, move |r| unit_f64(r).mul_add(to - from, from));
            },
        );
    }

    /// `normal_distribution<double>(mean, std)`: Box–Muller on two `random64()` uniforms,
    /// returning `r·cos θ` and caching `r·sin θ` for the next call.
    pub fn normal_f64(&mut self, mean: f64, std: f64) -> f64 {
        if let Some(v) = self.next_double_normal.take() {
            return v * std + mean;
        }
        let u1 = self.uniform_f64(0.0, 1.0);
        let u2 = self.uniform_f64(0.0, 1.0);
        let r = (-2.0 * (-u2).ln_1p()).sqrt();
        let theta = 2.0 * std::f64::consts::PI * u1;
        self.next_double_normal = Some(r * theta.sin());
        r * theta.cos() * std + mean
    }

    /// `bernoulli_distribution<double>(p)`: `uniform_f64 < p`.
    pub fn bernoulli_f64(&mut self, p: f64) -> bool {
        self.uniform_f64(0.0, 1.0) < p
    }

    /// [`CpuGenerator::bernoulli_f64`] for every element of `out` in turn (`one` or `zero`):
    /// the same draws, two engine words each, taken a block at a time
    /// ([`Mt19937::fill`]), and the same outcomes, decided on the integers
    /// ([`below_threshold`]).
    pub fn bernoulli_f64_fill<T: Copy>(&mut self, p: f64, out: &mut [T], one: T, zero: T) {
        let threshold = below_threshold(p);
        vectorised(
            #[inline(always)]
            move || {
                self.engine.fill_pairs(out, move |r| {
                    if r & ((1u64 << 53) - 1) < threshold {
                        one
                    } else {
                        zero
                    }
                });
            },
        );
    }

    /// `bernoulli_distribution<float>(p)`: `uniform_f32 < p`.
    pub fn bernoulli_f32(&mut self, p: f32) -> bool {
        self.uniform_f32(0.0, 1.0) < p
    }

    /// `exponential_distribution<double>(lambda)`: `-1/λ · log1p(-u)`.
    pub fn exponential_f64(&mut self, lambda: f64) -> f64 {
        let u = self.uniform_f64(0.0, 1.0);
        -1.0 / lambda * (-u).ln_1p()
    }

    /// `uniform_int_from_to_distribution`: `random() % range + base`, or `random64()` when
    /// `range >= 2³²` (for 64-bit and floating destinations; `wide` says which).
    pub fn random_from_to(&mut self, range: u64, base: i64, wide: bool) -> i64 {
        let v = if wide && range >= 1u64 << 32 {
            self.random64()
        } else {
            self.random() as u64
        };
        ((v % range) as i64).wrapping_add(base)
    }

    /// `normal_fill<double>`: uniforms for the whole buffer, Box–Muller in blocks of 16
    /// (`u1` from the first 8, `u2` from the last 8), the tail block redrawn over the last 16.
    /// The final `·std + mean` is one fused multiply–add, as the AVX2 build compiles it.
    pub fn normal_fill_f64(&mut self, data: &mut [f64], mean: f64, std: f64) {
        let n = data.len();
        debug_assert!(n >= 16);
        self.uniform_f64_fill(data, 0.0, 1.0);
        let blocks = |d: &mut [f64]| {
            vectorised(
                #[inline(always)]
                || {
                    for d in d.chunks_exact_mut(16) {
                        for j in 0..8 {
                            let u1 = 1.0 - d[j];
                            let u2 = d[j + 8];
                            let radius = (-2.0 * u1.ln()).sqrt();
                            let theta = 2.0 * std::f64::consts::PI * u2;
                            d[j] = (radius * theta.cos()).mul_add(std, mean);
                            d[j + 8] = (radius * theta.sin()).mul_add(std, mean);
                        }
                    }
                },
            )
        };
        blocks(&mut data[..n / 16 * 16]);
        if !n.is_multiple_of(16) {
            let tail = &mut data[n - 16..];
            self.uniform_f64_fill(tail, 0.0, 1.0);
            blocks(tail);
        }
    }

    /// `normal_fill_AVX2` (float, size ≥ 16, contiguous): float uniforms, then Box–Muller with
    /// the Cephes-style `log256_ps` / `sincos256_ps` of `aten/src/ATen/native/cpu/avx_mathfun.h`,
    /// emulated lane by lane with the same float operations and fused multiply–adds.
    pub fn normal_fill_f32(&mut self, data: &mut [f32], mean: f32, std: f32) {
        let n = data.len();
        debug_assert!(n >= 16);
        self.uniform_f32_fill(data, 0.0, 1.0);
        normal_blocks_f32(&mut data[..n / 16 * 16], mean, std);
        if !n.is_multiple_of(16) {
            let tail = &mut data[n - 16..];
            self.uniform_f32_fill(tail, 0.0, 1.0);
            normal_blocks_f32(tail, mean, std);
        }
    }
}

/// Runs `f` compiled for the widest vectors this CPU has (AVX-512, else AVX2) and with FMA
/// instructions, so that an `#[inline(always)]` closure's loops over words vectorise at that
/// width and its `mul_add`s are one instruction each. Integer work gives the same words at any
/// width, and a fused multiply–add rounds once either way, so the values are the same; without
/// the instruction each `mul_add` is a call into `fmaf`, in software (a 4 Mi-element `randn`
/// took 5.5 times PyTorch's time on Emerald Rapids), and without the wide vectors the twist
/// and the tempering ran four words at a time (SSE2).
#[inline(always)]
fn vectorised<R>(f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("fma") {
            if has!("avx512f") {
                // SAFETY: the CPU supports AVX-512F and FMA.
                return unsafe { avx512_enabled(f) };
            }
            if has!("avx2") {
                // SAFETY: the CPU supports AVX2 and FMA.
                return unsafe { avx2_enabled(f) };
            }
            // SAFETY: the CPU supports FMA.
            return unsafe { fma_enabled(f) };
        }
    }
    f()
}

/// # Safety
/// The CPU must support AVX-512F and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn avx512_enabled<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2_enabled<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// # Safety
/// The CPU must support FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn fma_enabled<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// [`avx2_block`] over each whole block of 16 in `d` ([`vectorised`]).
fn normal_blocks_f32(d: &mut [f32], mean: f32, std: f32) {
    vectorised(
        #[inline(always)]
        || {
            for block in d.chunks_exact_mut(16) {
                avx2_block(block, mean, std);
            }
        },
    );
}

#[inline(always)]
fn avx2_block(d: &mut [f32], mean: f32, std: f32) {
    let two_pi = (2.0f64 * std::f64::consts::PI) as f32;
    for j in 0..8 {
        let u1 = 1.0 - d[j];
        let u2 = d[j + 8];
        let radius = (-2.0 * log_ps(u1)).sqrt();
        let theta = two_pi * u2;
        let (s, c) = sincos_ps(theta);
        d[j] = (radius * c).mul_add(std, mean);
        d[j + 8] = (radius * s).mul_add(std, mean);
    }
}

/// One lane of `log256_ps` (Cephes `logf`), with the multiply–adds GCC fuses. The constants
/// are `avx_mathfun.h`'s, digit for digit.
#[allow(clippy::excessive_precision)]
#[inline(always)]
pub fn log_ps(x0: f32) -> f32 {
    const P: [f32; 9] = [
        7.037_683_6E-2,
        -1.151_461_031E-1,
        1.167_699_874E-1,
        -1.242_014_084_6E-1,
        1.424_932_278_7E-1,
        -1.666_805_766_5E-1,
        2.000_071_476_5E-1,
        -2.499_999_399_3E-1,
        3.333_333_117_4E-1,
    ];
    const Q1: f32 = -2.121_944_4e-4;
    const Q2: f32 = 0.693_359_375;
    const SQRTHF: f32 = std::f32::consts::FRAC_1_SQRT_2;
    let invalid = x0 <= 0.0;
    let x = x0.max(f32::from_bits(0x0080_0000));
    let bits = x.to_bits();
    let imm0 = (bits >> 23) as i32 - 0x7f;
    let mut x = f32::from_bits((bits & !0x7f80_0000) | 0.5f32.to_bits());
    let mut e = imm0 as f32 + 1.0;
    let tmp = if x < SQRTHF { x } else { 0.0 };
    x -= 1.0;
    if tmp != 0.0 {
        e -= 1.0;
    }
    x += tmp;
    let z = x * x;
    let mut y = P[0];
    for &p in &P[1..] {
        y = y.mul_add(x, p);
    }
    y *= x;
    y = y.mul_add(z, e * Q1);
    y = (-z).mul_add(0.5, y);
    let x = x + y;
    let r = e.mul_add(Q2, x);
    if invalid {
        f32::NAN
    } else {
        r
    }
}

/// One lane of `sincos256_ps` (Cephes `sinf`/`cosf`), with the multiply–adds GCC fuses.
#[allow(clippy::excessive_precision)]
#[inline(always)]
pub fn sincos_ps(x0: f32) -> (f32, f32) {
    const DP1: f32 = -0.785_156_25;
    const DP2: f32 = -2.418_756_484_985_351_562_5e-4;
    const DP3: f32 = -3.774_894_977_445_941_08e-8;
    const SINCOF: [f32; 3] = [-1.951_529_589_1E-4, 8.332_160_873_6E-3, -1.666_665_461_1E-1];
    const COSCOF: [f32; 3] = [
        2.443_315_711_809_948E-5,
        -1.388_731_625_493_765E-3,
        4.166_664_568_298_827E-2,
    ];
    const FOPI: f32 = 1.273_239_544_735_16;
    let sign_sin = x0.is_sign_negative();
    let mut x = x0.abs();
    let y = x * FOPI;
    let mut j = y as i32;
    j = (j + 1) & !1;
    let yf = j as f32;
    let swap_sin = j & 4 != 0;
    let poly_sin = j & 2 == 0;
    x = yf.mul_add(DP1, x);
    x = yf.mul_add(DP2, x);
    x = yf.mul_add(DP3, x);
    let j4 = j - 2;
    let sign_cos = (!j4) & 4 != 0;
    let sign_sin = sign_sin ^ swap_sin;
    let z = x * x;
    let mut yc = COSCOF[0];
    yc = yc.mul_add(z, COSCOF[1]);
    yc = yc.mul_add(z, COSCOF[2]);
    yc *= z;
    // GCC fuses the first of the two products feeding the subtraction.
    yc = yc.mul_add(z, -(z * 0.5));
    yc += 1.0;
    let mut ys = SINCOF[0];
    ys = ys.mul_add(z, SINCOF[1]);
    ys = ys.mul_add(z, SINCOF[2]);
    ys *= z;
    ys = ys.mul_add(x, x);
    // poly_sin: the sine is the sine polynomial, the cosine the cosine polynomial.
    let (s, c) = if poly_sin { (ys, yc) } else { (yc, ys) };
    let s = if sign_sin { -s } else { s };
    let c = if sign_cos { -c } else { c };
    (s, c)
}

#[cfg(test)]
mod tests {
    use super::{CpuGenerator, Mt19937, MT_N};

    #[test]
    fn the_ten_thousandth_draw_is_the_standards() {
        // C++ [rand.predef]: the 10000th consecutive invocation of a default-constructed
        // `std::mt19937` (seed 5489) produces 4123659995. Sixteen twists, one draw at a time
        // and in one fill.
        let mut one_by_one = Mt19937::new(5489);
        let last = (0..10_000).map(|_| one_by_one.next_u32()).last();
        assert_eq!(last, Some(4_123_659_995));
        let mut filled = Mt19937::new(5489);
        let mut words = vec![0u32; 10_000];
        filled.fill(&mut words);
        assert_eq!(words[9_999], 4_123_659_995);
        assert_eq!(filled, one_by_one);
    }

    #[test]
    fn the_twist_renews_the_words_of_the_textbook_loop() {
        // Matsumoto and Nishimura's `genrand` loop, indices modulo 624, one word at a time.
        let textbook = |s: &mut [u32; MT_N]| {
            for i in 0..MT_N {
                let y = (s[i] & 0x8000_0000) | (s[(i + 1) % MT_N] & 0x7fff_ffff);
                let odd = if y & 1 == 1 { 0x9908_b0df } else { 0 };
                s[i] = s[(i + 397) % MT_N] ^ (y >> 1) ^ odd;
            }
        };
        let mut mt = Mt19937::new(42);
        let mut want = mt.state;
        for round in 0..3 {
            textbook(&mut want);
            mt.twist();
            assert_eq!(mt.state, want, "twist {round}");
        }
    }

    #[test]
    fn fill_gives_the_draws_of_next_u32_across_twists() {
        // From a fresh seed (the first draw twists), mid-block, and at each block edge.
        for skip in [0, 1, 5, MT_N - 2, MT_N - 1, MT_N, MT_N + 1, 1000] {
            let mut a = Mt19937::new(7);
            for _ in 0..skip {
                a.next_u32();
            }
            let mut b = a.clone();
            let mut got = vec![0u32; 2 * MT_N + 3];
            a.fill(&mut got);
            let expected: Vec<u32> = (0..got.len()).map(|_| b.next_u32()).collect();
            assert_eq!(got, expected, "after {skip} draws");
            assert_eq!(a, b, "the state after {skip} draws and a fill");
        }
    }

    #[test]
    fn uniform_fills_give_the_draws_of_uniform() {
        // Across chunk edges (256 floats, 256 doubles) and twists (624 words).
        for (n, from, to) in [(1, 0.0, 1.0), (300, -0.25, 0.75), (1500, -3.0, 5.5)] {
            let mut a = CpuGenerator::new(5);
            let mut b = a.clone();
            let mut got = vec![0f32; n];
            a.uniform_f32_fill(&mut got, from as f32, to as f32);
            let expected: Vec<f32> = (0..n)
                .map(|_| b.uniform_f32(from as f32, to as f32))
                .collect();
            assert_eq!(got, expected, "f32, n = {n}");
            assert_eq!(a, b);
            let mut got = vec![0f64; n];
            a.uniform_f64_fill(&mut got, from, to);
            let expected: Vec<f64> = (0..n).map(|_| b.uniform_f64(from, to)).collect();
            assert_eq!(got, expected, "f64, n = {n}");
            assert_eq!(a, b);
        }
    }

    #[test]
    fn bernoulli_fill_gives_the_draws_of_bernoulli_f64() {
        for (n, p) in [(1, 0.5), (300, 0.9), (1500, 0.1)] {
            let mut a = CpuGenerator::new(3);
            let mut b = a.clone();
            let mut got = vec![0u8; n];
            a.bernoulli_f64_fill(p, &mut got, 1, 0);
            let expected: Vec<u8> = (0..n).map(|_| u8::from(b.bernoulli_f64(p))).collect();
            assert_eq!(got, expected, "n = {n}, p = {p}");
            assert_eq!(a, b);
        }
    }

    #[test]
    fn the_integer_threshold_decides_as_the_uniform_does() {
        use super::{below_threshold, unit_f64};
        let top = (1u64 << 53) - 1;
        let ps = [
            0.0,
            1.0,
            0.5,
            0.9,
            0.1,
            1.0 / 3.0,
            1.0 - f64::EPSILON / 2.0,
            f64::MIN_POSITIVE,
            5e-324,
            1.5,
            -0.25,
            f64::NAN,
            f64::INFINITY,
        ];
        for p in ps {
            let t = below_threshold(p);
            // Around the threshold (where the two could disagree), and at both ends.
            let near = [
                t.saturating_sub(2),
                t.saturating_sub(1),
                t,
                t.saturating_add(1),
                t.saturating_add(2),
            ];
            for m in near
                .into_iter()
                .chain([0, 1, top - 1, top])
                .filter(|&m| m <= top)
            {
                // A high word above bit 53 must not matter.
                let r = m | (0x7ff << 53);
                assert_eq!(m < t, unit_f64(r) < p, "p = {p:e}, m = {m}");
            }
        }
    }
}
