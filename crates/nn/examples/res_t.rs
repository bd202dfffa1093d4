use std::time::Instant;
use tapegrad_autograd::{manual_seed, Tensor};
use tapegrad_nn::{BatchNorm2d, Conv2d, ConvOptions, Module};
fn conv3x3(cin: usize, cout: usize) -> Conv2d {
    Conv2d::with_options(
        cin,
        cout,
        [3, 3],
        ConvOptions::default().padding(1).bias(false),
    )
}
fn main() {
    let _ = tapegrad_autograd::init_threads(0);
    let iters: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20);
    manual_seed(0);
    let (conv_a, bn_a, conv_b, bn_b) = (
        conv3x3(64, 64),
        BatchNorm2d::<f32>::new_2d(64),
        conv3x3(64, 64),
        BatchNorm2d::<f32>::new_2d(64),
    );
    let params: Vec<Tensor> = [
        conv_a.parameters(),
        bn_a.parameters(),
        conv_b.parameters(),
        bn_b.parameters(),
    ]
    .concat();
    let x: Tensor = Tensor::randn(&[32, 64, 32, 32]).requires_grad_(true);
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        for _ in 0..iters / 5 {
            for p in &params {
                p.set_grad(None);
            }
            x.set_grad(None);
            let h = bn_a.forward(&conv_a.forward(&x)).relu();
            let y = bn_b.forward(&conv_b.forward(&h)).add(&x).relu();
            y.sum().backward();
        }
        best = best.min(t.elapsed().as_secs_f64() / (iters / 5) as f64);
    }
    println!("resnet fwd+bwd: {:.2} ms", best * 1e3);
}
