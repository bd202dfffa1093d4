use std::time::Instant;
use tapegrad_autograd::{manual_seed, Tensor};
use tapegrad_nn::{Conv2d, ConvOptions, Module};
fn conv3x3(cin: usize, cout: usize) -> Conv2d {
    Conv2d::with_options(
        cin,
        cout,
        [3, 3],
        ConvOptions::default().padding(1).bias(true),
    )
}
fn main() {
    let _ = tapegrad_autograd::init_threads(0);
    let iters: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    manual_seed(0);
    let c1 = conv3x3(1, 16);
    let c2 = conv3x3(16, 32);
    let params: Vec<Tensor> = c1.parameters().into_iter().chain(c2.parameters()).collect();
    let x: Tensor = Tensor::randn(&[64, 1, 8, 8]);
    let mut best = f64::MAX;
    for _ in 0..10 {
        let t = Instant::now();
        for _ in 0..iters / 10 {
            for p in &params {
                p.set_grad(None);
            }
            let y = c2.forward(&c1.forward(&x).relu()).sum();
            y.backward();
        }
        best = best.min(t.elapsed().as_secs_f64() / (iters / 10) as f64);
    }
    println!("lenet fwd+bwd: {:.1} us", best * 1e6);
}
