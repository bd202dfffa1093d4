use std::time::Instant;
use tapegrad_autograd::{functional::native_batch_norm, Tensor};
fn main() {
    let threads: usize = std::env::args().nth(1).map_or(1, |s| s.parse().unwrap());
    std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
    tapegrad_autograd::init_threads(0).ok();
    for shape in [vec![32usize, 200], vec![128, 512], vec![32, 16, 8, 8]] {
        let n: usize = shape.iter().product();
        let c = shape[1];
        let x = Tensor::from_vec(
            (0..n).map(|i| ((i * 7919) % 1000) as f32 / 100.0).collect(),
            &shape,
        )
        .requires_grad_(true);
        let w = Tensor::from_vec((0..c).map(|i| 1.0 + i as f32 / 100.0).collect(), &[c])
            .requires_grad_(true);
        let b = Tensor::from_vec(vec![0.5f32; c], &[c]).requires_grad_(true);
        let g = Tensor::from_vec(
            (0..n).map(|i| ((i * 31) % 17) as f32 / 10.0).collect(),
            &shape,
        );
        let mut best_f = f64::MAX;
        let mut best_fb = f64::MAX;
        let mut chk = 0.0f64;
        for _ in 0..30 {
            let reps = 200;
            let t = Instant::now();
            for _ in 0..reps {
                let (y, _, _) = native_batch_norm(&x, Some(&w), Some(&b), 1e-5);
                chk += y.to_vec()[3] as f64;
            }
            best_f = best_f.min(t.elapsed().as_secs_f64() / reps as f64);
            let t = Instant::now();
            for _ in 0..reps {
                let (y, _, _) = native_batch_norm(&x, Some(&w), Some(&b), 1e-5);
                y.mul(&g).sum().backward();
                x.zero_grad();
                w.zero_grad();
                b.zero_grad();
            }
            best_fb = best_fb.min(t.elapsed().as_secs_f64() / reps as f64);
        }
        let (y, _, _) = native_batch_norm(&x, Some(&w), Some(&b), 1e-5);
        y.mul(&g).sum().backward();
        let h = |v: Vec<f32>| {
            v.iter().fold(0u64, |a, x| {
                a.wrapping_mul(31).wrapping_add(x.to_bits() as u64)
            })
        };
        println!("{shape:?} {threads} thr: fwd {:.2} us, fwd+bwd {:.2} us  bits y {:x} dx {:x} dw {:x} db {:x} {chk:.0}",
            best_f * 1e6, best_fb * 1e6, h(y.to_vec()), h(x.grad().unwrap().to_vec()), h(w.grad().unwrap().to_vec()), h(b.grad().unwrap().to_vec()));
    }
}
