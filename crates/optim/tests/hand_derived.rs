//! Two steps of every option the golden runs do not exercise, against values worked out by hand
//! from PyTorch's documented pseudo-code. The parameter is one f64 θ₀ = 1 with the quadratic loss
//! f(θ) = (θ − 3)², so ∇f = 2(θ − 3) (through `backward`), unless a test sets the gradients
//! directly. Expected values are written as the arithmetic of the pseudo-code.

use tapegrad_autograd::Tensor;
use tapegrad_optim::*;

/// Runs `steps` steps of `opt` on (θ − 3)² from θ₀ and returns θ after each.
fn trajectory(theta: &Tensor<f64>, opt: &mut dyn Optimizer<f64>, steps: usize) -> Vec<f64> {
    (0..steps)
        .map(|_| {
            opt.zero_grad();
            (theta - 3.0).pow(2.0).sum().backward();
            opt.step();
            theta.item()
        })
        .collect()
}

fn param(v: f64) -> Tensor<f64> {
    Tensor::from_vec(vec![v], &[1]).requires_grad_(true)
}

fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= 1e-12 * (1.0 + w.abs()),
            "got {got:?}, want {want:?}"
        );
    }
}

// ------------------------------------------------------------------------------------ SGD

#[test]
fn sgd_nesterov() {
    let th = param(1.0);
    let cfg = SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        nesterov: true,
        ..Default::default()
    };
    let mut opt = SGD::new(vec![th.clone()], cfg).unwrap();
    // step 1: g = 2(1−3) = −4; b = g = −4; d = g + 0.9·b = −7.6; θ = 1 − 0.1·(−7.6) = 1.76
    // step 2: g = 2(1.76−3) = −2.48; b = 0.9·(−4) + (−2.48) = −6.08;
    //         d = −2.48 + 0.9·(−6.08) = −7.952; θ = 1.76 + 0.7952 = 2.5552
    close(&trajectory(&th, &mut opt, 2), &[1.76, 2.5552]);
}

#[test]
fn sgd_dampening() {
    let th = param(1.0);
    let cfg = SgdConfig {
        lr: 0.1,
        momentum: 0.9,
        dampening: 0.5,
        ..Default::default()
    };
    let mut opt = SGD::new(vec![th.clone()], cfg).unwrap();
    // step 1: g = −4; b = g = −4 (no dampening on the first step); θ = 1 + 0.4 = 1.4
    // step 2: g = 2(1.4−3) = −3.2; b = 0.9·(−4) + (1−0.5)·(−3.2) = −5.2; θ = 1.4 + 0.52 = 1.92
    close(&trajectory(&th, &mut opt, 2), &[1.4, 1.92]);
}

#[test]
fn sgd_weight_decay() {
    let th = param(1.0);
    let cfg = SgdConfig {
        lr: 0.1,
        weight_decay: 0.1,
        ..Default::default()
    };
    let mut opt = SGD::new(vec![th.clone()], cfg).unwrap();
    // step 1: g = −4 + 0.1·1 = −3.9; θ = 1 + 0.39 = 1.39
    // step 2: g = 2(1.39−3) + 0.1·1.39 = −3.22 + 0.139 = −3.081; θ = 1.39 + 0.3081 = 1.6981
    close(&trajectory(&th, &mut opt, 2), &[1.39, 1.6981]);
}

#[test]
fn sgd_maximize() {
    let th = param(1.0);
    let cfg = SgdConfig {
        lr: 0.1,
        maximize: true,
        ..Default::default()
    };
    let mut opt = SGD::new(vec![th.clone()], cfg).unwrap();
    // step 1: g = −(−4) = 4; θ = 1 − 0.4 = 0.6
    // step 2: g = −2(0.6−3) = 4.8; θ = 0.6 − 0.48 = 0.12
    close(&trajectory(&th, &mut opt, 2), &[0.6, 0.12]);
}

#[test]
fn sgd_momentum_with_weight_decay_and_maximize() {
    let th = param(1.0);
    let cfg = SgdConfig {
        lr: 0.1,
        momentum: 0.5,
        weight_decay: 0.2,
        maximize: true,
        ..Default::default()
    };
    let mut opt = SGD::new(vec![th.clone()], cfg).unwrap();
    // step 1: g = 4 (maximize) + 0.2·1 = 4.2; b = 4.2; θ = 1 − 0.42 = 0.58
    // step 2: g = −2(0.58−3) + 0.2·0.58 = 4.84 + 0.116 = 4.956; b = 0.5·4.2 + 4.956 = 7.056;
    //         θ = 0.58 − 0.7056 = −0.1256
    close(&trajectory(&th, &mut opt, 2), &[0.58, -0.1256]);
}

// -------------------------------------------------------------------------------- Adagrad

#[test]
fn adagrad_lr_decay() {
    let th = param(1.0);
    let cfg = AdagradConfig {
        lr: 0.1,
        lr_decay: 0.5,
        ..Default::default()
    };
    let mut opt = Adagrad::new(vec![th.clone()], cfg).unwrap();
    // step 1: g = −4; clr = 0.1/(1 + 0·0.5) = 0.1; sum = 16; θ₁ = 1 + 0.1·4/(√16 + 1e−10)
    let t1: f64 = 1.0 + 0.1 * 4.0 / (4.0 + 1e-10);
    // step 2: g = 2(θ₁−3); clr = 0.1/(1 + 1·0.5); sum = 16 + g²; θ₂ = θ₁ − clr·g/(√sum + 1e−10)
    let g = 2.0 * (t1 - 3.0);
    let t2 = t1 - (0.1 / 1.5) * g / ((16.0 + g * g).sqrt() + 1e-10);
    close(&trajectory(&th, &mut opt, 2), &[t1, t2]);
}

#[test]
fn adagrad_initial_accumulator_value() {
    let th = param(1.0);
    let cfg = AdagradConfig {
        lr: 0.1,
        initial_accumulator_value: 9.0,
        ..Default::default()
    };
    let mut opt = Adagrad::new(vec![th.clone()], cfg).unwrap();
    // step 1: sum = 9 + 16 = 25; θ₁ = 1 + 0.1·4/(5 + 1e−10)
    let t1: f64 = 1.0 + 0.4 / (5.0 + 1e-10);
    // step 2: g = 2(θ₁−3); sum = 25 + g²
    let g = 2.0 * (t1 - 3.0);
    let t2 = t1 - 0.1 * g / ((25.0 + g * g).sqrt() + 1e-10);
    close(&trajectory(&th, &mut opt, 2), &[t1, t2]);
}

#[test]
fn adagrad_weight_decay_and_maximize() {
    let th = param(1.0);
    let cfg = AdagradConfig {
        lr: 0.1,
        weight_decay: 0.5,
        maximize: true,
        ..Default::default()
    };
    let mut opt = Adagrad::new(vec![th.clone()], cfg).unwrap();
    // step 1: g = 4 (maximize) + 0.5·1 = 4.5; sum = 20.25; θ₁ = 1 − 0.1·4.5/(4.5 + 1e−10)
    let t1: f64 = 1.0 - 0.45 / (4.5 + 1e-10);
    // step 2: g = −2(θ₁−3) + 0.5·θ₁; sum = 20.25 + g²
    let g = -2.0 * (t1 - 3.0) + 0.5 * t1;
    let t2 = t1 - 0.1 * g / ((20.25 + g * g).sqrt() + 1e-10);
    close(&trajectory(&th, &mut opt, 2), &[t1, t2]);
}

// -------------------------------------------------------------------------------- RMSprop

#[test]
fn rmsprop_plain() {
    let th = param(1.0);
    let mut opt = RMSprop::new(vec![th.clone()], RmsPropConfig::default()).unwrap();
    // step 1: v = 0.01·16 = 0.16; θ₁ = 1 + 0.01·4/(0.4 + 1e−8)
    let t1 = 1.0 + 0.04 / (0.16f64.sqrt() + 1e-8);
    // step 2: g = 2(θ₁−3); v = 0.99·0.16 + 0.01·g²
    let g = 2.0 * (t1 - 3.0);
    let v = 0.99 * 0.16 + 0.01 * g * g;
    let t2 = t1 - 0.01 * g / (v.sqrt() + 1e-8);
    close(&trajectory(&th, &mut opt, 2), &[t1, t2]);
}

#[test]
fn rmsprop_centered() {
    let th = param(1.0);
    let cfg = RmsPropConfig {
        centered: true,
        ..Default::default()
    };
    let mut opt = RMSprop::new(vec![th.clone()], cfg).unwrap();
    // step 1: v = 0.16; ḡ = 0 + 0.01·(−4 − 0) = −0.04; ṽ = 0.16 − 0.0016 = 0.1584
    let t1 = 1.0 + 0.01 * 4.0 / (0.1584f64.sqrt() + 1e-8);
    // step 2: g = 2(θ₁−3); v = 0.99·0.16 + 0.01·g²; ḡ = −0.04 + 0.01·(g + 0.04); ṽ = v − ḡ²
    let g = 2.0 * (t1 - 3.0);
    let v = 0.99 * 0.16 + 0.01 * g * g;
    let ga = -0.04 + 0.01 * (g + 0.04);
    let t2 = t1 - 0.01 * g / ((v - ga * ga).sqrt() + 1e-8);
    close(&trajectory(&th, &mut opt, 2), &[t1, t2]);
}

#[test]
fn rmsprop_momentum_centered_weight_decay() {
    let th = param(1.0);
    let cfg = RmsPropConfig {
        lr: 0.01,
        momentum: 0.8,
        centered: true,
        weight_decay: 0.1,
        ..Default::default()
    };
    let mut opt = RMSprop::new(vec![th.clone()], cfg).unwrap();
    // step 1: g = −4 + 0.1·1 = −3.9; v = 0.01·3.9²; ḡ = 0.01·(−3.9); b = g/(√(v − ḡ²) + 1e−8);
    //         θ₁ = 1 − 0.01·b
    let g1: f64 = -3.9;
    let v1 = 0.01 * g1 * g1;
    let ga1 = 0.01 * g1;
    let b1 = g1 / ((v1 - ga1 * ga1).sqrt() + 1e-8);
    let t1 = 1.0 - 0.01 * b1;
    // step 2: g = 2(θ₁−3) + 0.1·θ₁; v = 0.99·v₁ + 0.01·g²; ḡ = ḡ₁ + 0.01·(g − ḡ₁);
    //         b = 0.8·b₁ + g/(√(v − ḡ²) + 1e−8); θ₂ = θ₁ − 0.01·b
    let g2 = 2.0 * (t1 - 3.0) + 0.1 * t1;
    let v2 = 0.99 * v1 + 0.01 * g2 * g2;
    let ga2 = ga1 + 0.01 * (g2 - ga1);
    let b2 = 0.8 * b1 + g2 / ((v2 - ga2 * ga2).sqrt() + 1e-8);
    let t2 = t1 - 0.01 * b2;
    close(&trajectory(&th, &mut opt, 2), &[t1, t2]);
}

#[test]
fn rmsprop_maximize() {
    let th = param(1.0);
    let cfg = RmsPropConfig {
        maximize: true,
        ..Default::default()
    };
    let mut opt = RMSprop::new(vec![th.clone()], cfg).unwrap();
    // step 1: g = 4; v = 0.16; θ₁ = 1 − 0.01·4/(0.4 + 1e−8)
    let t1 = 1.0 - 0.04 / (0.4 + 1e-8);
    close(&trajectory(&th, &mut opt, 1), &[t1]);
}

// ----------------------------------------------------------------------------- Adam/AdamW

/// Adam's two steps from θ₀ = 1 with gradients g₁, g₂ (L2 decay λ added to them, or decoupled).
fn adam_by_hand(g: [f64; 2], lr: f64, wd: f64, decoupled: bool, amsgrad: bool) -> [f64; 2] {
    let (b1, b2, eps) = (0.9, 0.999, 1e-8);
    let (mut th, mut m, mut v, mut vmax) = (1.0f64, 0.0, 0.0, 0.0f64);
    let mut out = [0.0; 2];
    for t in 1..=2 {
        let mut gt = g[t - 1];
        if wd != 0.0 {
            if decoupled {
                th *= 1.0 - lr * wd; // θ ← θ(1 − γλ)
            } else {
                gt += wd * th; // g ← g + λθ
            }
        }
        m = b1 * m + (1.0 - b1) * gt;
        v = b2 * v + (1.0 - b2) * gt * gt;
        vmax = vmax.max(v);
        let vhat = if amsgrad { vmax } else { v };
        let bc1 = 1.0 - b1.powi(t as i32);
        let bc2 = 1.0 - b2.powi(t as i32);
        th -= lr / bc1 * m / (vhat.sqrt() / bc2.sqrt() + eps);
        out[t - 1] = th;
    }
    out
}

/// Steps `opt` with the given gradients set directly.
fn with_grads(th: &Tensor<f64>, opt: &mut dyn Optimizer<f64>, grads: &[f64]) -> Vec<f64> {
    grads
        .iter()
        .map(|g| {
            th.set_grad(Some(Tensor::from_vec(vec![*g], &[1])));
            opt.step();
            th.item()
        })
        .collect()
}

#[test]
fn adam_amsgrad_keeps_the_larger_second_moment() {
    // g₁ = 10, g₂ = 0.1: v₁ = 0.001·100 = 0.1, v₂ = 0.999·0.1 + 0.001·0.01 = 0.09991 < v₁,
    // so AMSGrad divides by √(0.1/(1−0.999²)) instead of √(0.09991/(1−0.999²)).
    let th = param(1.0);
    let cfg = AdamConfig {
        lr: 0.1,
        amsgrad: true,
        ..Default::default()
    };
    let mut opt = Adam::new(vec![th.clone()], cfg).unwrap();
    let got = with_grads(&th, &mut opt, &[10.0, 0.1]);
    close(&got, &adam_by_hand([10.0, 0.1], 0.1, 0.0, false, true));
    let plain = adam_by_hand([10.0, 0.1], 0.1, 0.0, false, false);
    assert!(
        (got[1] - plain[1]).abs() > 1e-6,
        "amsgrad must differ from Adam here"
    );
    let sd = opt.state_dict();
    let max = &sd.state[0]
        .values
        .iter()
        .find(|(n, _)| n == "max_exp_avg_sq")
        .unwrap()
        .1;
    assert!((max.item() - 0.1).abs() < 1e-15); // the raw v, not bias-corrected
}

#[test]
fn adam_weight_decay_is_l2() {
    let th = param(1.0);
    let cfg = AdamConfig {
        lr: 0.1,
        weight_decay: 0.5,
        ..Default::default()
    };
    let mut opt = Adam::new(vec![th.clone()], cfg).unwrap();
    let got = with_grads(&th, &mut opt, &[2.0, -1.0]);
    close(&got, &adam_by_hand([2.0, -1.0], 0.1, 0.5, false, false));
}

#[test]
fn adam_maximize() {
    // maximize negates the gradient: the same as Adam on −g.
    let th = param(1.0);
    let cfg = AdamConfig {
        lr: 0.1,
        maximize: true,
        ..Default::default()
    };
    let mut opt = Adam::new(vec![th.clone()], cfg).unwrap();
    let got = with_grads(&th, &mut opt, &[2.0, -1.0]);
    close(&got, &adam_by_hand([-2.0, 1.0], 0.1, 0.0, false, false));
}

#[test]
fn adam_through_backward() {
    let th = param(1.0);
    let cfg = AdamConfig {
        lr: 0.1,
        ..Default::default()
    };
    let mut opt = Adam::new(vec![th.clone()], cfg).unwrap();
    // step 1: g = −4: m = −0.4, v = 0.016, m̂ = −4, v̂ = 16, θ₁ = 1 + 0.1·4/(4 + 1e−8)
    let t1 = 1.0 + 0.1 * 4.0 / (4.0 + 1e-8);
    let g2 = 2.0 * (t1 - 3.0);
    let want = adam_by_hand([-4.0, g2], 0.1, 0.0, false, false);
    assert!((want[0] - t1).abs() < 1e-15);
    close(&trajectory(&th, &mut opt, 2), &want);
}

#[test]
fn adamw_decays_decoupled() {
    let th = param(1.0);
    let cfg = AdamWConfig {
        lr: 0.1,
        weight_decay: 0.5,
        ..Default::default()
    };
    let mut opt = AdamW::new(vec![th.clone()], cfg).unwrap();
    // step 1: θ ← 1·(1 − 0.1·0.5) = 0.95, then Adam with g = 2 (the gradient is not changed)
    let got = with_grads(&th, &mut opt, &[2.0, -1.0]);
    let want = adam_by_hand([2.0, -1.0], 0.1, 0.5, true, false);
    close(&got, &want);
    assert_ne!(want, adam_by_hand([2.0, -1.0], 0.1, 0.5, false, false));
    assert_eq!(opt.name(), "AdamW");
}

#[test]
fn adamw_amsgrad_maximize() {
    let th = param(1.0);
    let cfg = AdamWConfig {
        lr: 0.1,
        amsgrad: true,
        maximize: true,
        ..Default::default()
    };
    let mut opt = AdamW::new(vec![th.clone()], cfg).unwrap();
    let got = with_grads(&th, &mut opt, &[-10.0, -0.1]);
    close(&got, &adam_by_hand([10.0, 0.1], 0.1, 1e-2, true, true));
}

#[test]
fn adam_two_elements_are_independent() {
    let th: Tensor<f64> = Tensor::from_vec(vec![1.0, 1.0], &[2]).requires_grad_(true);
    let mut opt = Adam::new(
        vec![th.clone()],
        AdamConfig {
            lr: 0.1,
            ..Default::default()
        },
    )
    .unwrap();
    for g in [[2.0, 10.0], [-1.0, 0.1]] {
        th.set_grad(Some(Tensor::from_vec(g.to_vec(), &[2])));
        opt.step();
    }
    let got = th.to_vec();
    close(
        &[got[0]],
        &[adam_by_hand([2.0, -1.0], 0.1, 0.0, false, false)[1]],
    );
    close(
        &[got[1]],
        &[adam_by_hand([10.0, 0.1], 0.1, 0.0, false, false)[1]],
    );
}
