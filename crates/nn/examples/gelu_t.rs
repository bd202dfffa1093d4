use std::time::Instant;
use tapegrad_autograd::{manual_seed, no_grad, Tensor};
fn main() {
    let _ = tapegrad_autograd::init_threads(0);
    manual_seed(0);
    let h: Tensor = Tensor::randn(&[32, 32, 256]);
    let reps: usize = std::env::args().nth(1).map_or(100, |a| a.parse().unwrap());
    let mut best = f64::MAX;
    for _ in 0..15 {
        let t = Instant::now();
        for _ in 0..reps {
            no_grad(|| std::hint::black_box(h.gelu(false)));
        }
        best = best.min(t.elapsed().as_secs_f64() / reps as f64);
    }
    println!("gelu fwd: {:.2} us", best * 1e6);
}
