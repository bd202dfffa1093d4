use std::time::Instant;
use tapegrad_autograd::{manual_seed, no_grad, BackwardOptions, Tensor};
use tapegrad_nn::functional as F;
fn time(name: &str, reps: usize, mut f: impl FnMut()) {
    let mut best = f64::MAX;
    for _ in 0..15 {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        best = best.min(t.elapsed().as_secs_f64() / reps as f64);
    }
    println!("{name}: {:.2} us", best * 1e6);
}
fn main() {
    let _ = tapegrad_autograd::init_threads(0);
    manual_seed(0);
    let bwd = std::env::args().nth(1).map_or(false, |a| a == "b");
    let leaf = |s: &[usize]| -> Tensor {
        let t: Tensor = Tensor::randn(s);
        if bwd {
            t.requires_grad_(true)
        } else {
            t
        }
    };
    let att = leaf(&[32, 4, 32, 32]);
    let logits = leaf(&[1024, 65]);
    let h = leaf(&[32, 32, 256]);
    let h2 = leaf(&[32, 32, 256]);
    let e = leaf(&[32, 32, 64]);
    let e2 = leaf(&[32, 32, 64]);
    let w = leaf(&[64]);
    let b = leaf(&[64]);
    let heads = leaf(&[32, 4, 32, 16]);
    let mask: Tensor<bool> = Tensor::<f32>::ones(&[32, 32]).tril(0).eq(0.0);
    let targets: Tensor<i64> =
        Tensor::from_vec((0..1024).map(|i| (i * 7 % 65) as i64).collect(), &[1024]);
    let run = |y: Tensor| {
        if bwd {
            let g = Tensor::ones(&y.shape());
            y.backward_with(BackwardOptions::new().gradient(g));
        } else {
            std::hint::black_box(y);
        }
    };
    let go = |name: &str, f: &dyn Fn() -> Tensor| {
        time(
            name,
            100,
            || {
                if bwd {
                    run(f())
                } else {
                    no_grad(|| run(f()))
                }
            },
        );
    };
    go("softmax [32,4,32,32]", &|| att.softmax(-1));
    go("log_softmax [1024,65]", &|| logits.log_softmax(-1));
    go("cross_entropy [1024,65]", &|| {
        F::cross_entropy(&logits, &targets, F::Reduction::Mean)
    });
    go("gelu [32,32,256]", &|| h.gelu(false));
    go("layer_norm [32,32,64]", &|| {
        F::layer_norm(&e, &[64], Some(&w), Some(&b), 1e-5)
    });
    go("add [32,32,64]", &|| e.add(&e2));
    go("mul [32,32,256]", &|| h.mul(&h2));
    go("masked_fill [32,4,32,32]", &|| {
        att.masked_fill(&mask, f32::NEG_INFINITY)
    });
    go("dropout 0.1 [32,32,256]", &|| F::dropout(&h, 0.1, true));
    go("heads->rows [32,4,32,16]", &|| {
        heads.transpose(1, 2).reshape(&[32, 32, 64])
    });
    go("tanh [32,32,256]", &|| h.tanh());
    go("exp [32,32,256]", &|| h.exp());
    go("sum [32,32,256]", &|| h.sum());
}
