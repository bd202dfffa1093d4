use std::time::Instant;
use tapegrad_autograd::{manual_seed, no_grad, Tensor};
use tapegrad_nn::{BatchNorm2d, Module};
fn main() {
    let _ = tapegrad_autograd::init_threads(0);
    manual_seed(0);
    let bn = BatchNorm2d::<f32>::new_2d(64);
    let params = bn.parameters();
    let x: Tensor = Tensor::randn(&[32, 64, 32, 32]).requires_grad_(true);
    for bwd in [false, true] {
        let mut best = f64::MAX;
        for _ in 0..15 {
            let t = Instant::now();
            for _ in 0..10 {
                if bwd {
                    for p in &params {
                        p.set_grad(None);
                    }
                    x.set_grad(None);
                    bn.forward(&x).sum().backward();
                } else {
                    no_grad(|| std::hint::black_box(bn.forward(&x)));
                }
            }
            best = best.min(t.elapsed().as_secs_f64() / 10.0);
        }
        print!(
            "bn {}: {:.0} us  ",
            if bwd { "fwd+bwd" } else { "fwd" },
            best * 1e6
        );
    }
    println!();
}
