use std::time::Instant;
use tapegrad_autograd::{manual_seed, no_grad, Tensor};
fn time(name: &str, f: impl Fn() -> Tensor) {
    let mut best = f64::MAX;
    for _ in 0..15 {
        let t = Instant::now();
        for _ in 0..20 {
            no_grad(|| std::hint::black_box(f()));
        }
        best = best.min(t.elapsed().as_secs_f64() / 20.0);
    }
    println!("{name}: {:.1} us", best * 1e6);
}
fn main() {
    let _ = tapegrad_autograd::init_threads(0);
    manual_seed(0);
    let h: Tensor = Tensor::randn(&[32, 32, 256]);
    let p = h.abs().add_scalar(0.1);
    time("log", || p.log());
    time("sqrt", || p.sqrt());
    time("sin", || h.sin());
    time("cos", || h.cos());
    time("erf", || h.erf());
    time("sigmoid", || h.sigmoid());
    time("tanh", || h.tanh());
    time("exp", || h.exp());
    time("pow 2.5", || p.pow(2.5));
    time("reciprocal", || p.reciprocal());
}
