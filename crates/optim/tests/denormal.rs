//! No denormal cliff (issue 13 §3): the values an update stores in the optimizer's state are
//! flushed to zero where they would be subnormal, and `set_flush_denormal` switches FTZ/DAZ on
//! for the calling thread and rayon's pool.

use std::hint::black_box;
use tapegrad_autograd::Tensor;
use tapegrad_optim::*;

/// The f32 state entry `name` of parameter 0.
fn state_value(sd: &OptimizerStateDict, name: &str) -> f32 {
    sd.state[0]
        .values
        .iter()
        .find(|(n, _)| n == name)
        .unwrap()
        .1
        .to_vec()[0]
}

#[test]
fn adam_first_moment_of_a_dead_unit_is_flushed_not_subnormal() {
    // One gradient of 1, then exact zeros (a dead ReLU unit). exp_avg = lerp(m, 0, 0.1)
    // = fma(0.1, 0 − m, m): m₁ = 0.1, then m ← m − 0.1·m (one rounding), ≈ 0.1·0.9^(t−1). It
    // drops below f32's smallest normal 2^-126 ≈ 1.18e-38 at t ≈ 809; without the flush it
    // would then be subnormal for ~200 more steps.
    let w: Tensor = Tensor::from_vec(vec![1.0], &[1]).requires_grad_(true);
    let mut opt = Adam::new(vec![w.clone()], AdamConfig::default()).unwrap();
    let w1 = (1.0 - 0.9f64) as f32;
    let update = |m: f32, g: f32| w1.mul_add(g - m, m);
    let (mut ours, mut theirs) = (0.0f32, 0.0f32);
    let (mut first_flushed, mut subnormal_steps) = (None, 0);
    for t in 1..=1000 {
        let g = if t == 1 { 1.0 } else { 0.0 };
        w.set_grad(Some(Tensor::from_vec(vec![g], &[1])));
        opt.step();
        let got = state_value(&opt.state_dict(), "exp_avg");
        // What PyTorch without set_flush_denormal stores: subnormals included.
        theirs = update(theirs, g);
        if theirs != 0.0 && !theirs.is_normal() {
            subnormal_steps += 1;
        }
        let candidate = update(ours, g);
        ours = if candidate != 0.0 && !candidate.is_normal() {
            first_flushed.get_or_insert(t);
            0.0
        } else {
            candidate
        };
        assert_eq!(
            got.to_bits(),
            ours.to_bits(),
            "step {t}: {got:e} vs {ours:e}"
        );
        assert!(
            got == 0.0 || got.is_normal(),
            "step {t}: {got:e} is subnormal"
        );
    }
    let t = first_flushed.expect("the moment must reach the subnormal range");
    assert!((800..=820).contains(&t), "first flushed at step {t}");
    assert!(
        subnormal_steps > 100,
        "unflushed, {subnormal_steps} steps would be subnormal"
    );
}

#[test]
fn sgd_momentum_buffer_is_flushed_and_rmsprop_square_avg_too() {
    // SGD momentum 0.5: b₁ = 1, then b ← 0.5·b + 0 = 2^-(t-1), exact: 2^-126 is the smallest
    // normal (t = 127), 2^-127 (t = 128) would be subnormal and is stored as 0.
    let w: Tensor = Tensor::from_vec(vec![0.0], &[1]).requires_grad_(true);
    let mut opt = SGD::new(
        vec![w.clone()],
        SgdConfig {
            lr: 0.1,
            momentum: 0.5,
            ..Default::default()
        },
    )
    .unwrap();
    for t in 1..=128 {
        let g = if t == 1 { 1.0 } else { 0.0 };
        w.set_grad(Some(Tensor::from_vec(vec![g], &[1])));
        opt.step();
        let b = state_value(&opt.state_dict(), "momentum_buffer");
        match t {
            127 => assert_eq!(b, 2f32.powi(-126)),
            128 => assert_eq!(b.to_bits(), 0),
            _ => assert_eq!(b, 2f32.powi(1 - t)),
        }
    }
    // RMSprop alpha 0.5: v₁ = 0.5·1², then v ← 0.5·v = 2^-t; 2^-127 is flushed.
    let w: Tensor = Tensor::from_vec(vec![0.0], &[1]).requires_grad_(true);
    let mut opt = RMSprop::new(
        vec![w.clone()],
        RmsPropConfig {
            alpha: 0.5,
            ..Default::default()
        },
    )
    .unwrap();
    for t in 1..=127 {
        let g = if t == 1 { 1.0 } else { 0.0 };
        w.set_grad(Some(Tensor::from_vec(vec![g], &[1])));
        opt.step();
        let v = state_value(&opt.state_dict(), "square_avg");
        if t < 127 {
            assert_eq!(v, 2f32.powi(-t), "step {t}");
        } else {
            assert_eq!(v.to_bits(), 0);
        }
    }
}

#[test]
fn set_flush_denormal_switches_ftz_and_daz() {
    let tiny = || black_box(1e-30f32) * black_box(1e-10f32);
    let subnormal_input = || black_box(f32::from_bits(1)) * black_box(2.0f32);
    assert!(tiny() > 0.0 && subnormal_input() > 0.0, "IEEE by default");
    let supported = set_flush_denormal(true);
    assert_eq!(
        supported,
        cfg!(target_arch = "x86_64"),
        "x86-64 supports FTZ/DAZ"
    );
    if supported {
        assert_eq!(tiny(), 0.0, "FTZ: a subnormal result is 0");
        assert_eq!(subnormal_input(), 0.0, "DAZ: a subnormal input is 0");
        // The rayon pool threads were switched too.
        let on_pool = rayon_pool_result();
        assert_eq!(on_pool, 0.0);
        assert!(set_flush_denormal(false));
        assert!(tiny() > 0.0 && subnormal_input() > 0.0);
        assert!(rayon_pool_result() > 0.0);
    }
}

/// `tiny()` computed on a thread of rayon's global pool.
fn rayon_pool_result() -> f32 {
    let (tx, rx) = std::sync::mpsc::channel();
    rayon::spawn(move || tx.send(black_box(1e-30f32) * black_box(1e-10f32)).unwrap());
    rx.recv().unwrap()
}
