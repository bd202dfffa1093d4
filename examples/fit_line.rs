//! Fits y = 2x with one weight and autograd: the smallest complete training loop.
//!
//! ```text
//! cargo run --release --example fit_line
//! ```

use tapegrad::prelude::*;

fn main() {
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    let y = Tensor::from_vec(vec![2.0f32, 4.0, 6.0], &[3]);
    let w = Tensor::from_vec(vec![1.0f32], &[1]).requires_grad_(true);
    for epoch in 0..20 {
        let loss = (&x * &w - &y).pow(2.0).mean();
        loss.backward();
        no_grad(|| {
            let g = w.grad().expect("w requires grad");
            *w.data_mut() -= &(&*g.data() * 0.05);
        });
        w.zero_grad();
        println!(
            "epoch {epoch:2}: loss = {:.6}, w = {:.6}",
            loss.item(),
            w.item()
        );
    }
}
