//! The machine's `f32` FMA peak, the yardstick of issue 15's "≥ 90 % of the measured FMA peak"
//! (docs/performance.md): each thread runs 12 independent chains of fused multiply-adds
//! (enough to hide their latency) on the widest vectors the GEMM kernels use here (512-bit
//! with AVX-512, else 256-bit with AVX2 + FMA), on 1 and then 2 threads (or the thread counts
//! given), and prints GFLOP/s (an FMA counts as two operations). Without either it says so and
//! exits. `benches/pytorch/compare.sh` runs it around each round of products.
//!
//! ```text
//! cargo run --release --example fma_peak [-- MILLIONS_OF_ITERATIONS [THREADS,...]]
//! #                                            default 200 and 1,2
//! ```

use std::time::Instant;

fn main() {
    let iters: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200)
        * 1_000_000;
    let thread_counts: Vec<u64> = std::env::args()
        .nth(2)
        .map(|a| a.split(',').filter_map(|t| t.parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 2]);
    let Some((name, lanes, chains)) = simd::widest() else {
        println!("fma_peak: this CPU has neither AVX-512 nor AVX2 + FMA; nothing measured");
        return;
    };
    for threads in thread_counts {
        let start = Instant::now();
        let runs: Vec<_> = (0..threads)
            .map(|_| std::thread::spawn(move || chains(iters)))
            .collect();
        let sink: f32 = runs.into_iter().map(|r| r.join().expect("a run")).sum();
        let secs = start.elapsed().as_secs_f64();
        let flops = (threads * iters * simd::CHAINS * lanes * 2) as f64;
        println!(
            "{threads} thread(s): {:.1} GFLOP/s f32, {name} (checksum {sink:e})",
            flops / secs / 1e9
        );
    }
}

#[cfg(target_arch = "x86_64")]
mod simd {
    use std::arch::x86_64::*;

    /// Independent FMA chains per thread.
    pub const CHAINS: u64 = 12;

    /// A SIMD family: its name, its `f32` lanes, and the function running `iters` rounds of
    /// one FMA on each chain (returning the sum of the lanes, so nothing is elided).
    pub type Family = (&'static str, u64, fn(u64) -> f32);

    /// The widest FMA this CPU has.
    pub fn widest() -> Option<Family> {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: AVX-512F is available.
            Some(("AVX-512", 16, |iters| unsafe { run512(iters) }))
        } else if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: AVX2 and FMA are available.
            Some(("AVX2", 8, |iters| unsafe { run256(iters) }))
        } else {
            None
        }
    }

    #[target_feature(enable = "avx512f")]
    unsafe fn run512(iters: u64) -> f32 {
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

    #[target_feature(enable = "avx2,fma")]
    unsafe fn run256(iters: u64) -> f32 {
        let (a, b) = (_mm256_set1_ps(1.000_000_1), _mm256_set1_ps(0.999_999_9));
        let mut acc = [_mm256_setzero_ps(); CHAINS as usize];
        for _ in 0..iters {
            for x in acc.iter_mut() {
                *x = _mm256_fmadd_ps(*x, a, b);
            }
        }
        let sum = acc
            .iter()
            .fold(_mm256_setzero_ps(), |s, &x| _mm256_add_ps(s, x));
        let mut lanes = [0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), sum);
        lanes.iter().sum()
    }
}

#[cfg(not(target_arch = "x86_64"))]
mod simd {
    pub const CHAINS: u64 = 12;
    pub type Family = (&'static str, u64, fn(u64) -> f32);
    pub fn widest() -> Option<Family> {
        None
    }
}
