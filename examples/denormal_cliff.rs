//! The denormal cliff of issue 13 §3, measured: a 784-512-512-10 ReLU MLP trained with Adam
//! (lr 1e-3) on one batch of 128 uniform inputs (labels `(i·7) mod 10`) for `blocks × 200`
//! steps (default 15 × 200 = 3000), printing for each block of 200 steps the median and mean
//! wall-clock step time and (on Linux) the process's CPU time per step, and the ratio slowest /
//! fastest block. On a shared machine wall-clock times jump with the other processes' load; CPU
//! time (user + system of every thread, from `/proc/self/stat`, 10 ms ticks: ~1% of a block)
//! does not, so the ratio is taken over CPU time where it is available, else over the medians. The
//! workload (`tapegrad_examples::workload`) is also `benches/train_step.rs`' MLP step; PyTorch's
//! script of it is `shared/bench/mlp_long.py`.
//!
//! A quarter of the gradients are exactly zero (dead ReLU units); their Adam moments decay by β
//! each step and after ~700 steps would be subnormal floats, on which x86 arithmetic is ~100×
//! slower. tapegrad's optimizers flush state values that would be subnormal to zero, so the
//! block times stay flat.
//!
//! ```text
//! cargo run --release --example denormal_cliff [-- BLOCKS]
//! ```

use std::time::Instant;
use tapegrad_examples::workload::MlpWorkload;

fn main() {
    let blocks: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("BLOCKS must be a positive integer"))
        .unwrap_or(15);
    let mut workload = MlpWorkload::new();
    let mut ms = Vec::with_capacity(blocks);
    let mut loss = 0.0;
    let mut cpu = Vec::with_capacity(blocks);
    let mut fast = Vec::with_capacity(blocks);
    for b in 0..blocks {
        let cpu_start = process_cpu_seconds();
        let mut times = Vec::with_capacity(200);
        for _ in 0..200 {
            let t = Instant::now();
            loss = workload.step().item();
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        // A subnormal cliff slows every step of a block, its fastest ones too; another
        // process's load slows only some: the 10th percentile sees the first, not the second.
        let p10 = times[times.len() / 10];
        let cpu_ms = cpu_start
            .zip(process_cpu_seconds())
            .map(|(a, b)| (b - a) / 200.0 * 1e3);
        println!(
            "block {b:2} (steps {:4}..{:4}): p10 {p10:.3} ms/step, median {median:.3}, mean \
             {mean:.3}{}",
            b * 200,
            (b + 1) * 200,
            cpu_ms.map_or(String::new(), |c| format!(", cpu {c:.3}"))
        );
        ms.push(median);
        fast.push(p10);
        cpu.extend(cpu_ms);
    }
    let (what, per_block) = if cpu.len() == blocks {
        ("cpu time", &cpu)
    } else {
        ("median", &ms)
    };
    let ratio = |v: &[f64]| {
        let max = v.iter().cloned().fold(f64::MIN, f64::max);
        let min = v.iter().cloned().fold(f64::MAX, f64::min);
        (max, min)
    };
    let (max, min) = ratio(per_block);
    let (fmax, fmin) = ratio(&fast);
    println!(
        "{} steps, final loss {loss:.3e}; slowest/fastest block ({what}) = {max:.3}/{min:.3} = \
         {:.3}; by the blocks' 10th-percentile step = {fmax:.3}/{fmin:.3} = {:.3}",
        blocks * 200,
        max / min,
        fmax / fmin
    );
}

/// User + system CPU time of the whole process (every thread), from `/proc/self/stat` (fields 14
/// and 15, in clock ticks of 1/100 s); `None` where there is no procfs.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}
