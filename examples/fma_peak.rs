//! The machine's `f32` FMA peak, the yardstick of issue 15's "≥ 90 % of the measured FMA peak"
//! (docs/performance.md): each thread runs 12 independent chains of 512-bit fused
//! multiply-adds (enough to hide their latency), on 1 and then 2 threads, and prints GFLOP/s
//! (an FMA counts as two operations). Without AVX-512 it says so and exits.
//!
//! ```text
//! cargo run --release --example fma_peak [-- MILLIONS_OF_ITERATIONS]   # default 200
//! ```

use std::time::Instant;

fn main() {
    let iters: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200)
        * 1_000_000;
    if !avx512::available() {
        println!("fma_peak: this CPU has no AVX-512; nothing measured");
        return;
    }
    for threads in [1u64, 2] {
        let start = Instant::now();
        let runs: Vec<_> = (0..threads)
            .map(|_| std::thread::spawn(move || avx512::chains(iters)))
            .collect();
        let sink: f32 = runs.into_iter().map(|r| r.join().expect("a run")).sum();
        let secs = start.elapsed().as_secs_f64();
        let flops = (threads * iters * avx512::CHAINS * 16 * 2) as f64;
        println!(
            "{threads} thread(s): {:.1} GFLOP/s f32 (checksum {sink:e})",
            flops / secs / 1e9
        );
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    /// Independent FMA chains per thread.
    pub const CHAINS: u64 = 12;

    pub fn available() -> bool {
        is_x86_feature_detected!("avx512f")
    }

    /// `iters` rounds of one FMA on each chain; the sum of the lanes, so nothing is elided.
    pub fn chains(iters: u64) -> f32 {
        // SAFETY: `main` runs this only where AVX-512F is available.
        unsafe { run(iters) }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn run(iters: u64) -> f32 {
        let (a, b) = (_mm512_set1_ps(1.000_000_1), _mm512_set1_ps(0.999_999_9));
        let mut acc = [_mm512_setzero_ps(); CHAINS as usize];
        for _ in 0..iters {
            for x in acc.iter_mut() {
                *x = _mm512_fmadd_ps(*x, a, b);
            }
        }
        let sum = acc
            .iter()
            .fold(_mm512_setzero_ps(), |s, &x| _mm512_add_ps(s, x));
        _mm512_reduce_add_ps(sum)
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod avx512 {
    pub const CHAINS: u64 = 12;
    pub fn available() -> bool {
        false
    }
    pub fn chains(_iters: u64) -> f32 {
        0.0
    }
}
