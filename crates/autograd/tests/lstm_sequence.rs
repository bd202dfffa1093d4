//! `lstm_sequence` (one LSTM layer's recurrence as one op): values and gradients against the
//! same recurrence written step by step with `linear` and `lstm_cell`, the forward's bits in
//! `f32`, and first and second derivatives against finite differences.

mod common;

use tapegrad_autograd::functional::{lstm_cell, lstm_sequence};
use tapegrad_autograd::{gradcheck, gradgradcheck, Element, Tensor};

/// The recurrence step by step, as the LSTM layer ran it before the fused op.
fn step_by_step<T: Element>(
    x: &Tensor<T>,
    h0: &Tensor<T>,
    c0: &Tensor<T>,
    w: &Tensor<T>,
    b: Option<&Tensor<T>>,
    reverse: bool,
) -> (Tensor<T>, Tensor<T>, Tensor<T>) {
    let len = x.shape()[0];
    let order: Vec<usize> = if reverse {
        (0..len).rev().collect()
    } else {
        (0..len).collect()
    };
    let (mut h, mut c) = (h0.clone(), c0.clone());
    let mut hs = vec![None; len];
    for t in order {
        let (h2, c2) = lstm_cell(&x.select(0, t as isize).add(&h.linear(w, b)), &c);
        (h, c) = (h2, c2);
        hs[t] = Some(h.clone());
    }
    let hs: Vec<Tensor<T>> = hs.into_iter().map(Option::unwrap).collect();
    let refs: Vec<&Tensor<T>> = hs.iter().collect();
    (Tensor::stack(&refs, 0), h, c)
}

/// Inputs `[x_proj, h0, c0, w_hh, b_hh]` for `T` steps, batch `b`, hidden `h`.
fn inputs(len: usize, b: usize, h: usize, salt: u64) -> Vec<Tensor<f64>> {
    vec![
        common::wave(&[len, b, 4 * h], salt).mul_scalar(2.0),
        common::wave(&[b, h], salt + 1),
        common::wave(&[b, h], salt + 2),
        common::wave(&[4 * h, h], salt + 3),
        common::wave(&[4 * h], salt + 4),
    ]
}

/// Shapes `(T, B, H)`: one part of the batch, and two on two threads (from `T·B·4H·H` = 2²⁰
/// multiply-adds and 8 rows a part, the op runs parts of the batch side by side).
const SHAPES: [(usize, usize, usize); 2] = [(5, 3, 4), (3, 16, 128)];

#[test]
fn matches_the_recurrence_written_step_by_step() {
    let cases = [(false, true), (true, true), (false, false)];
    for ((reverse, bias), (len, b, h)) in cases.into_iter().flat_map(|c| SHAPES.map(|s| (c, s))) {
        let ins = inputs(len, b, h, 10);
        // Weights for the three outputs, so that every output's gradient reaches the inputs.
        let (wo, wh, wc) = (
            common::wave(&[len, b, h], 20),
            common::wave(&[b, h], 21),
            common::wave(&[b, h], 22),
        );
        let run = |fused: bool| {
            let t: Vec<Tensor<f64>> = ins
                .iter()
                .map(|t| t.detach().requires_grad_(true))
                .collect();
            let b = bias.then_some(&t[4]);
            let (out, h, c) = if fused {
                lstm_sequence(&t[0], &t[1], &t[2], &t[3], b, reverse)
            } else {
                step_by_step(&t[0], &t[1], &t[2], &t[3], b, reverse)
            };
            let loss = &(&(&out * &wo).sum() + &(&h * &wh).sum()) + &(&c * &wc).sum();
            loss.backward();
            let mut got = vec![out.to_vec(), h.to_vec(), c.to_vec()];
            for x in &t[..if bias { 5 } else { 4 }] {
                got.push(x.grad().expect("every input gets a gradient").to_vec());
            }
            got
        };
        let (fused, composed) = (run(true), run(false));
        assert_eq!(fused.len(), composed.len());
        for (x, y) in fused.iter().zip(&composed) {
            assert_eq!(x.len(), y.len());
            for (p, q) in x.iter().zip(y) {
                assert!(
                    (p - q).abs() <= 1e-14 * (1.0 + q.abs()),
                    "reverse {reverse}, bias {bias}: {p} vs {q}"
                );
            }
        }
    }
}

#[test]
fn f32_forward_gives_the_bits_of_the_step_by_step_form() {
    // Big enough (4·32·128 multiply-adds per step) for the blocked GEMM, as in a real layer;
    // the last shape's 24 rows are cut in parts of 8 and 16 rows on two threads.
    for (reverse, (len, b, h)) in [false, true]
        .into_iter()
        .flat_map(|r| [(6, 4, 32), (3, 8, 128), (3, 24, 128)].map(|s| (r, s)))
    {
        let ins: Vec<Tensor<f32>> = inputs(len, b, h, 30).iter().map(|t| t.to_dtype()).collect();
        let (a, b) = (
            lstm_sequence(&ins[0], &ins[1], &ins[2], &ins[3], Some(&ins[4]), reverse),
            step_by_step(&ins[0], &ins[1], &ins[2], &ins[3], Some(&ins[4]), reverse),
        );
        assert_eq!(a.0.to_vec(), b.0.to_vec());
        assert_eq!(a.1.to_vec(), b.1.to_vec());
        assert_eq!(a.2.to_vec(), b.2.to_vec());
    }
}

#[test]
fn gradcheck_and_gradgradcheck_both_directions() {
    for reverse in [false, true] {
        let ins = inputs(3, 2, 2, 40);
        let f = move |t: &[Tensor<f64>]| {
            let (out, h, c) = lstm_sequence(&t[0], &t[1], &t[2], &t[3], Some(&t[4]), reverse);
            // Every output reaches the result, weighted differently.
            &(&out.sum_dim(0, false) + &h.mul_scalar(0.5)) + &c.mul_scalar(0.7)
        };
        gradcheck(f, &ins, 1e-6, 1e-7, 1e-5).unwrap();
        gradgradcheck(f, &ins, 1e-6, 1e-6, 1e-4).unwrap();
    }
}

#[test]
#[should_panic(expected = "lstm_sequence: expected x_proj [T > 0, B, 4H], h0 and c0 [B, H]")]
fn a_hidden_state_of_the_wrong_size_is_refused() {
    let ins = inputs(2, 3, 4, 50);
    let h0 = Tensor::<f64>::zeros(&[3, 5]);
    lstm_sequence(&ins[0], &h0, &ins[2], &ins[3], Some(&ins[4]), false);
}

#[test]
fn the_bits_do_not_depend_on_the_thread_count() {
    // 16 rows: two parts of 8 side by side on two threads, one part on one thread. 24 rows of
    // 8 units over 200 steps: parts of 8 and 16 rows, whose own products (8·32·8 multiply-adds)
    // would be tiny, while the whole one (24 rows) is not: all take the GEMM.
    for (len, b, h) in [(4, 16, 128), (200, 24, 8)] {
        let ins: Vec<Tensor<f32>> = inputs(len, b, h, 60).iter().map(|t| t.to_dtype()).collect();
        let weights: Tensor<f32> = common::wave(&[len, b, h], 61).to_dtype();
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .expect("thread pool");
            pool.install(|| {
                let t: Vec<Tensor<f32>> = ins
                    .iter()
                    .map(|t| t.detach().requires_grad_(true))
                    .collect();
                let (out, h, c) = lstm_sequence(&t[0], &t[1], &t[2], &t[3], Some(&t[4]), false);
                (&(&(&out * &weights).sum() + &h.sum()) + &c.sum()).backward();
                let mut bits: Vec<u32> = out.to_vec().iter().map(|v| v.to_bits()).collect();
                for x in &t {
                    bits.extend(
                        x.grad()
                            .expect("a gradient")
                            .to_vec()
                            .iter()
                            .map(|v| v.to_bits()),
                    );
                }
                bits
            })
        };
        assert_eq!(run(1), run(2), "T = {len}, B = {b}, H = {h}");
    }
}
