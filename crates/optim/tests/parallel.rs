//! Large models (issue 13 §4): with at least `PARALLEL_MIN_NUMEL` elements in several
//! parameters, a step updates the parameters in parallel on rayon's pool. Each update reads and
//! writes only its own parameter, gradient and state, so the result must be bit-identical with
//! 1 or 4 threads, and to updating each parameter alone (the sequential path).

use tapegrad_autograd::Tensor;
use tapegrad_optim::optimizer::PARALLEL_MIN_NUMEL;
use tapegrad_optim::*;

const PARAMS: usize = 6;
const NUMEL: usize = 20_000;

/// Deterministic values in about [-1, 1): a fixed linear congruential sequence.
fn values(seed: u64, n: usize) -> Vec<f32> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

fn params() -> Vec<Tensor> {
    (0..PARAMS)
        .map(|i| Tensor::from_vec(values(i as u64, NUMEL), &[NUMEL]).requires_grad_(true))
        .collect()
}

/// Five steps with gradients that depend on the step and the parameter (g = θ·(step + 1) +
/// noise), the last parameter without a gradient at step 2.
fn train(opt: &mut dyn Optimizer, ps: &[Tensor]) {
    for step in 0..5u64 {
        for (i, p) in ps.iter().enumerate() {
            if step == 2 && i == PARAMS - 1 {
                p.set_grad(None);
                continue;
            }
            let noise = values(100 * step + i as u64, NUMEL);
            let g: Vec<f32> = p
                .to_vec()
                .iter()
                .zip(&noise)
                .map(|(v, n)| v * (step + 1) as f32 + n)
                .collect();
            p.set_grad(Some(Tensor::from_vec(g, &[NUMEL])));
        }
        opt.step();
    }
}

fn bits(ps: &[Tensor]) -> Vec<Vec<u32>> {
    ps.iter()
        .map(|p| p.to_vec().iter().map(|v| v.to_bits()).collect())
        .collect()
}

type Make = fn(Vec<Tensor>) -> Box<dyn Optimizer>;

#[test]
fn parallel_steps_are_bit_identical_whatever_the_thread_count() {
    const { assert!(PARAMS * NUMEL >= PARALLEL_MIN_NUMEL && NUMEL < PARALLEL_MIN_NUMEL) };
    let makers: [(&str, Make); 4] = [
        ("Adam", |p| {
            Box::new(Adam::new(p, AdamConfig::default()).unwrap())
        }),
        ("SGD", |p| {
            let c = SgdConfig {
                lr: 0.01,
                momentum: 0.9,
                nesterov: true,
                ..Default::default()
            };
            Box::new(SGD::new(p, c).unwrap())
        }),
        ("NAdam", |p| {
            Box::new(NAdam::new(p, NAdamConfig::default()).unwrap())
        }),
        ("Rprop", |p| {
            Box::new(Rprop::new(p, RpropConfig::default()).unwrap())
        }),
    ];
    for (name, make) in makers {
        // Reference: each parameter alone in its own optimizer (below the threshold: the
        // sequential loop).
        let reference = params();
        let mut alone: Vec<Box<dyn Optimizer>> =
            reference.iter().map(|p| make(vec![p.clone()])).collect();
        for step in 0..5u64 {
            for (i, p) in reference.iter().enumerate() {
                if step == 2 && i == PARAMS - 1 {
                    p.set_grad(None);
                } else {
                    let noise = values(100 * step + i as u64, NUMEL);
                    let g: Vec<f32> = p
                        .to_vec()
                        .iter()
                        .zip(&noise)
                        .map(|(v, n)| v * (step + 1) as f32 + n)
                        .collect();
                    p.set_grad(Some(Tensor::from_vec(g, &[NUMEL])));
                }
                alone[i].step();
            }
        }
        let want = bits(&reference);
        assert_ne!(
            want,
            bits(&params()),
            "{name}: the steps must move the parameters"
        );
        for threads in [1, 4] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let ps = params();
            pool.install(|| {
                let mut opt = make(ps.clone());
                train(opt.as_mut(), &ps);
            });
            assert_eq!(bits(&ps), want, "{name} with {threads} threads");
        }
    }
}
