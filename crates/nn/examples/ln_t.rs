use std::time::Instant;
use tapegrad_autograd::{manual_seed, no_grad, BackwardOptions, Tensor};
use tapegrad_nn::functional as F;
fn main() {
    let _ = tapegrad_autograd::init_threads(0);
    manual_seed(0);
    let bwd = std::env::args().nth(1).map_or(false, |a| a == "b");
    let reps: usize = std::env::args().nth(2).map_or(20, |s| s.parse().unwrap());
    let leaf = |s: &[usize]| -> Tensor {
        let t: Tensor = Tensor::randn(s);
        if bwd {
            t.requires_grad_(true)
        } else {
            t
        }
    };
    let (e, w, b) = (leaf(&[32, 32, 64]), leaf(&[64]), leaf(&[64]));
    let mut best = f64::MAX;
    for _ in 0..reps {
        let t = Instant::now();
        for _ in 0..100 {
            if bwd {
                let y = F::layer_norm(&e, &[64], Some(&w), Some(&b), 1e-5);
                y.backward_with(BackwardOptions::new().gradient(Tensor::ones(&y.shape())));
            } else {
                no_grad(|| {
                    std::hint::black_box(F::layer_norm(&e, &[64], Some(&w), Some(&b), 1e-5));
                });
            }
        }
        best = best.min(t.elapsed().as_secs_f64() / 100.0);
    }
    println!(
        "layer_norm {}: {:.2} us",
        if bwd { "fwd+bwd" } else { "fwd" },
        best * 1e6
    );
}
