//! Learning-rate sequences of every scheduler, epoch by epoch, against PyTorch's formulas written
//! out in each test (PyTorch's recursive `get_lr` where it uses one, so the floats agree exactly).

use std::f64::consts::PI;
use tapegrad_autograd::Tensor;
use tapegrad_optim::*;

fn sgd(lr: f64) -> SGD {
    SGD::new(
        vec![Tensor::zeros(&[1])],
        SgdConfig {
            lr,
            ..Default::default()
        },
    )
    .unwrap()
}

/// The rate each of `epochs` epochs' `opt.step()` would use (read before `sched.step`).
fn lrs(opt: &mut SGD, sched: &mut dyn LRScheduler, epochs: usize) -> Vec<f64> {
    (0..epochs)
        .map(|_| {
            let lr = opt.lr();
            sched.step(opt);
            assert_eq!(sched.get_last_lr(), &[opt.lr()]);
            lr
        })
        .collect()
}

#[test]
fn step_lr() {
    let mut opt = sgd(0.1);
    let mut s = StepLR::new(&mut opt, 3, 0.5).unwrap();
    assert_eq!(s.last_epoch(), 0);
    // lr_e = lr_{e-1}·γ when e > 0 and e % 3 == 0, else lr_{e-1}
    let mut want = vec![0.1];
    for e in 1..15 {
        let prev = want[e - 1];
        want.push(if e % 3 == 0 { prev * 0.5 } else { prev });
    }
    assert_eq!(lrs(&mut opt, &mut s, 15), want);
    assert_eq!(want[14], 0.1 * 0.5 * 0.5 * 0.5 * 0.5); // ⌊14/3⌋ = 4 cuts
}

#[test]
fn multi_step_lr() {
    let mut opt = sgd(1.0);
    let mut s = MultiStepLR::new(&mut opt, &[2, 5, 5, 9], 0.1).unwrap();
    // ×0.1 at epoch 2, ×0.1² at epoch 5 (listed twice), ×0.1 at epoch 9
    let mut want = vec![];
    let mut lr = 1.0f64;
    for e in 0..12 {
        match e {
            2 | 9 => lr *= 0.1,
            5 => lr *= 0.1f64.powf(2.0),
            _ => {}
        }
        want.push(lr);
    }
    assert_eq!(lrs(&mut opt, &mut s, 12), want);
}

#[test]
fn exponential_lr() {
    let mut opt = sgd(0.1);
    let mut s = ExponentialLR::new(&mut opt, 0.9).unwrap();
    // lr_0 = 0.1, lr_e = lr_{e-1}·0.9 (recursive products, as PyTorch)
    let mut want = vec![0.1f64];
    for e in 1..20 {
        want.push(want[e - 1] * 0.9);
    }
    let got = lrs(&mut opt, &mut s, 20);
    assert_eq!(got, want);
    assert!((got[19] - 0.1 * 0.9f64.powi(19)).abs() < 1e-16);
}

#[test]
fn cosine_annealing_lr_recursive_form() {
    let (base, eta_min, t_max) = (0.1, 0.001, 5usize);
    let mut opt = sgd(base);
    let mut s = CosineAnnealingLR::new(&mut opt, t_max, eta_min).unwrap();
    let tm = t_max as f64;
    // PyTorch's get_lr for e ≥ 1 (the scheduler is stepped every epoch, so _step_count > 1):
    //   (e − 1 − T) % 2T == 0:  lr + (base − η)(1 − cos(π/T))/2
    //   else:                   (1 + cos(πe/T)) / (1 + cos(π(e−1)/T)) · (lr − η) + η
    let mut want = vec![base];
    for e in 1..20i64 {
        let lr = want[e as usize - 1];
        let ef = e as f64;
        want.push(
            if (e - 1 - t_max as i64).rem_euclid(2 * t_max as i64) == 0 {
                lr + (base - eta_min) * (1.0 - (PI / tm).cos()) / 2.0
            } else {
                (1.0 + (PI * ef / tm).cos()) / (1.0 + (PI * (ef - 1.0) / tm).cos()) * (lr - eta_min)
                    + eta_min
            },
        );
    }
    let got = lrs(&mut opt, &mut s, 20);
    assert_eq!(got, want);
    // ... which follows the closed form η + (base − η)(1 + cos(πe/T))/2 up to rounding,
    // including the restart after 2T epochs.
    for (e, lr) in got.iter().enumerate() {
        let closed = eta_min + (base - eta_min) * (1.0 + (PI * e as f64 / tm).cos()) / 2.0;
        assert!((lr - closed).abs() < 1e-12, "epoch {e}: {lr} vs {closed}");
    }
    assert!((got[5] - eta_min).abs() < 1e-12 && (got[10] - base).abs() < 1e-12);
}

#[test]
fn linear_lr() {
    let mut opt = sgd(0.1);
    let (s0, s1, n) = (0.25, 1.0, 4usize);
    let mut s = LinearLR::new(&mut opt, s0, s1, n).unwrap();
    // e = 0: lr·start; 1 ≤ e ≤ n: lr·(1 + (end − start)/(n·start + (e − 1)(end − start))); then flat
    let mut want = vec![0.1 * s0];
    for e in 1..10 {
        let lr = want[e - 1];
        want.push(if e > n {
            lr
        } else {
            lr * (1.0 + (s1 - s0) / (n as f64 * s0 + (e as f64 - 1.0) * (s1 - s0)))
        });
    }
    let got = lrs(&mut opt, &mut s, 10);
    assert_eq!(got, want);
    // factor goes 0.25, 0.4375, 0.625, 0.8125, 1.0
    for (e, f) in [0.25, 0.4375, 0.625, 0.8125, 1.0, 1.0].iter().enumerate() {
        assert!((got[e] - 0.1 * f).abs() < 1e-15, "epoch {e}");
    }
    assert_eq!(
        LinearLR::new(&mut sgd(0.1), 0.0, 1.0, 5)
            .unwrap_err()
            .to_string(),
        "Starting multiplicative factor expected to be greater than 0 and less or equal to 1."
    );
    assert_eq!(
        LinearLR::new(&mut sgd(0.1), 0.5, 1.5, 5)
            .unwrap_err()
            .to_string(),
        "Ending multiplicative factor expected to be between 0 and 1."
    );
    let mut opt = sgd(0.3);
    LinearLR::with_defaults(&mut opt).unwrap();
    assert_eq!(opt.lr(), 0.3 * (1.0 / 3.0));
}

#[test]
fn lambda_lr() {
    let mut opt = sgd(0.5);
    let mut s = LambdaLR::new(&mut opt, |e| 1.0 / (1.0 + e as f64)).unwrap();
    // lr_e = base · λ(e)
    let want: Vec<f64> = (0..12).map(|e| 0.5 * (1.0 / (1.0 + e as f64))).collect();
    assert_eq!(lrs(&mut opt, &mut s, 12), want);
    // one function per group
    let mut two = SGD::with_groups(vec![
        (
            vec![Tensor::<f32>::zeros(&[1])],
            SgdConfig {
                lr: 1.0,
                ..Default::default()
            },
        ),
        (
            vec![Tensor::zeros(&[1])],
            SgdConfig {
                lr: 2.0,
                ..Default::default()
            },
        ),
    ])
    .unwrap();
    let mut s = LambdaLR::with_lambdas(
        &mut two,
        vec![
            Box::new(|e| 0.5f64.powi(e as i32)),
            Box::new(|e| e as f64 + 1.0),
        ],
    )
    .unwrap();
    s.step(&mut two);
    s.step(&mut two);
    assert_eq!(s.get_last_lr(), &[0.25, 6.0]);
}

#[test]
fn schedulers_change_the_rate_opt_step_uses_and_chain_through_initial_lr() {
    let w: Tensor<f64> = Tensor::from_vec(vec![0.0], &[1]).requires_grad_(true);
    let mut opt = SGD::new(
        vec![w.clone()],
        SgdConfig {
            lr: 1.0,
            ..Default::default()
        },
    )
    .unwrap();
    let mut s = StepLR::new(&mut opt, 1, 0.5).unwrap();
    let mut moves = vec![];
    for _ in 0..3 {
        let before = w.item();
        w.set_grad(Some(Tensor::from_vec(vec![-1.0], &[1])));
        opt.step();
        moves.push(w.item() - before);
        s.step(&mut opt);
    }
    assert_eq!(moves, vec![1.0, 0.5, 0.25]);
    // a second scheduler takes its base rate from initial_lr (1.0), not the current 0.125
    let s2 = LambdaLR::new(&mut opt, |_| 1.0).unwrap();
    assert_eq!(s2.get_last_lr(), &[1.0]);
}

#[test]
fn scheduler_state_dict_resumes() {
    let mut opt = sgd(0.1);
    let mut s = CosineAnnealingLR::new(&mut opt, 7, 0.0).unwrap();
    for _ in 0..4 {
        s.step(&mut opt);
    }
    let saved = s.state_dict();
    assert_eq!(saved.get("last_epoch"), Some(4.0));
    let cont: Vec<f64> = (0..6)
        .map(|_| {
            s.step(&mut opt);
            opt.lr()
        })
        .collect();
    // fresh optimizer at the saved rate, fresh scheduler, load
    let mut opt2 = sgd(0.1);
    let mut s2 = CosineAnnealingLR::new(&mut opt2, 7, 0.0).unwrap();
    s2.load_state_dict(&saved).unwrap();
    opt2.set_lr(saved.get("_last_lr.0").unwrap());
    let resumed: Vec<f64> = (0..6)
        .map(|_| {
            s2.step(&mut opt2);
            opt2.lr()
        })
        .collect();
    assert_eq!(cont, resumed);
}

#[test]
fn schedulers_work_as_trait_objects() {
    let mut opt = sgd(1.0);
    let mut list: Vec<Box<dyn LRScheduler>> =
        vec![Box::new(ExponentialLR::new(&mut opt, 0.5).unwrap())];
    list[0].step(&mut opt);
    assert_eq!(opt.lr(), 0.5);
}

// ------------------------------------------------------------------------ ReduceLROnPlateau

fn plateau(metrics: &[f64], cfg: ReduceLROnPlateauConfig) -> Vec<f64> {
    let mut opt = sgd(1.0);
    let mut s = ReduceLROnPlateau::new(&mut opt, cfg).unwrap();
    metrics
        .iter()
        .map(|m| {
            s.step(&mut opt, *m);
            assert_eq!(s.get_last_lr(), &[opt.lr()]);
            opt.lr()
        })
        .collect()
}

#[test]
fn plateau_min_rel_patience() {
    // best 1.0 at epoch 1; then 4 epochs not below 1.0·(1 − 1e-4): bad = 1,2,3 → cut when 3 > 2
    let cfg = ReduceLROnPlateauConfig {
        patience: 2,
        factor: 0.5,
        ..Default::default()
    };
    let got = plateau(&[1.0, 0.99995, 1.0, 1.2, 0.5, 0.6, 0.6, 0.6], cfg);
    // epoch 2: 0.99995 is not < 0.9999 → bad 1; epoch 3 bad 2; epoch 4 bad 3 > 2 → lr 0.5, bad 0;
    // epoch 5: 0.5 better → best; 6, 7, 8: bad 1, 2, 3 → cut at epoch 8
    assert_eq!(got, vec![1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25]);
}

#[test]
fn plateau_max_abs_cooldown_min_lr() {
    let cfg = ReduceLROnPlateauConfig {
        mode: PlateauMode::Max,
        threshold_mode: ThresholdMode::Abs,
        threshold: 0.1,
        patience: 0,
        cooldown: 2,
        factor: 0.1,
        min_lr: 0.005,
        ..Default::default()
    };
    // max/abs: better means > best + 0.1. epoch 1: 0.5 best. epoch 2: 0.55 not better → bad 1 > 0
    // → cut to 0.1, cooldown 2. epochs 3, 4: in cooldown (bad held at 0). epoch 5: bad 1 → cut to
    // 0.01, cooldown 2. epochs 6, 7 cooldown. epoch 8: cut to max(0.001, 0.005) = 0.005.
    // epoch 9-10 cooldown; epoch 11: 0.005·0.1 < min_lr → stays 0.005 (change 0 ≤ eps).
    let got = plateau(
        &[0.5, 0.55, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
        cfg,
    );
    let want = [
        1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005,
    ];
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() < 1e-15, "{got:?}");
    }
}

#[test]
fn plateau_improvement_resets_and_eps_skips_tiny_cuts() {
    // min/abs: better means < best − 0.5
    let cfg = ReduceLROnPlateauConfig {
        threshold_mode: ThresholdMode::Abs,
        threshold: 0.5,
        patience: 1,
        factor: 0.5,
        eps: 0.6, // a cut of 1.0 → 0.5 changes the rate by 0.5 ≤ eps: skipped
        ..Default::default()
    };
    assert_eq!(plateau(&[3.0, 2.8, 2.9, 2.0, 1.9], cfg), vec![1.0; 5]);
    let cfg = ReduceLROnPlateauConfig {
        threshold_mode: ThresholdMode::Abs,
        threshold: 0.5,
        patience: 1,
        factor: 0.5,
        ..Default::default()
    };
    // 3.0 best; 2.8 bad 1; 2.0 better (< 2.5) → reset; 1.9 bad 1; 1.8 bad 2 > 1 → cut
    assert_eq!(
        plateau(&[3.0, 2.8, 2.0, 1.9, 1.8], cfg),
        vec![1.0, 1.0, 1.0, 1.0, 0.5]
    );
}

#[test]
fn plateau_validation_and_state() {
    let e = ReduceLROnPlateau::new(
        &mut sgd(1.0),
        ReduceLROnPlateauConfig {
            factor: 1.0,
            ..Default::default()
        },
    );
    assert_eq!(e.unwrap_err().to_string(), "Factor should be < 1.0.");
    let e = ReduceLROnPlateau::new(
        &mut sgd(1.0),
        ReduceLROnPlateauConfig {
            min_lrs: vec![0.0, 0.1],
            ..Default::default()
        },
    );
    assert!(e.is_err());
    let mut opt = sgd(1.0);
    let cfg = ReduceLROnPlateauConfig {
        patience: 1,
        ..Default::default()
    };
    let mut s = ReduceLROnPlateau::new(&mut opt, cfg.clone()).unwrap();
    s.step(&mut opt, 1.0);
    s.step(&mut opt, 1.0);
    let saved = s.state_dict();
    let mut s2 = ReduceLROnPlateau::new(&mut opt, cfg).unwrap();
    s2.load_state_dict(&saved).unwrap();
    assert_eq!(
        (s2.best(), s2.num_bad_epochs(), s2.last_epoch()),
        (1.0, 1, 2)
    );
    s2.step(&mut opt, 1.0); // bad 2 > 1 → cut
    assert!((opt.lr() - 0.1).abs() < 1e-15);
}

#[test]
fn a_huge_period_is_arithmetic_not_a_panic() {
    // CosineAnnealingLR(T_max = 2^63) used to compute 2·T_max in i64 (0) and divide by it.
    for t_max in [1usize << 63, usize::MAX, (1 << 62) + 1] {
        let mut opt = sgd(0.1);
        let mut s = CosineAnnealingLR::new(&mut opt, t_max, 0.0).unwrap();
        let got = lrs(&mut opt, &mut s, 5);
        // cos(π e / T_max) is 1 to the last bit: the rate stays at the base rate, as in PyTorch.
        assert_eq!(got, [0.1; 5], "T_max = {t_max}");
    }
    // StepLR(step_size = usize::MAX) used to divide by -1 (the wrapped i64) and decay every
    // epoch; LinearLR(total_iters = usize::MAX) used to stop after epoch 0.
    let mut opt = sgd(0.1);
    let mut s = StepLR::new(&mut opt, usize::MAX, 0.5).unwrap();
    assert_eq!(lrs(&mut opt, &mut s, 4), [0.1; 4]);
    let mut opt = sgd(0.1);
    let mut s = MultiStepLR::new(&mut opt, &[usize::MAX, 2], 0.5).unwrap();
    assert_eq!(lrs(&mut opt, &mut s, 4), [0.1, 0.1, 0.05, 0.05]);
}

/// `state_dict` / `load_state_dict` of the epoch schedulers and of `ReduceLROnPlateau` (which
/// is no `LRScheduler`: its step takes the metric).
trait Saved {
    fn save(&self) -> SchedulerStateDict;
    fn load(&mut self, state: &SchedulerStateDict) -> Result<(), OptimError>;
}

impl Saved for StepLR {
    fn save(&self) -> SchedulerStateDict {
        self.state_dict()
    }
    fn load(&mut self, state: &SchedulerStateDict) -> Result<(), OptimError> {
        self.load_state_dict(state)
    }
}

impl Saved for ReduceLROnPlateau {
    fn save(&self) -> SchedulerStateDict {
        self.state_dict()
    }
    fn load(&mut self, state: &SchedulerStateDict) -> Result<(), OptimError> {
        self.load_state_dict(state)
    }
}

/// Loads `state` with `key` set to `value` into `sched`, expecting an `InvalidValue` naming
/// `key`; returns its message.
fn refused(sched: &mut dyn Saved, state: &SchedulerStateDict, key: &str, value: f64) -> String {
    let mut edited = state.clone();
    edited
        .values
        .iter_mut()
        .find(|(n, _)| n == key)
        .unwrap_or_else(|| panic!("no {key} in {state:?}"))
        .1 = value;
    let before = sched.save();
    let err = sched.load(&edited).unwrap_err();
    assert!(
        matches!(&err, OptimError::InvalidValue { key: k, .. } if k == key),
        "{key} = {value}: {err:?}"
    );
    assert_eq!(sched.save(), before, "{key} = {value}: nothing changed");
    err.to_string()
}

#[test]
fn saved_scheduler_numbers_are_checked_and_named() {
    let mut opt = sgd(0.1);
    let mut s = StepLR::new(&mut opt, 2, 0.5).unwrap();
    s.step(&mut opt);
    let saved = s.state_dict();
    // last_epoch NaN used to load as 0, inf / 1e300 as i64::MAX (i64::MIN after a step), 2.7
    // as 2.
    for bad in [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e300,
        2.7,
        -2.0,
        9007199254740992.0,
    ] {
        let m = refused(&mut s, &saved, "last_epoch", bad);
        assert!(
            m.ends_with(&format!(
                "'last_epoch' = {bad:?} is not a whole number in -1..=2^53-1; the saved state is \
                 corrupt or was edited"
            )),
            "{m}"
        );
    }
    for bad in [f64::NAN, -1.0, 0.5, 1e20] {
        refused(&mut s, &saved, "_step_count", bad);
    }
    for key in ["base_lrs.0", "_last_lr.0"] {
        for bad in [f64::NAN, f64::INFINITY, -0.1] {
            let m = refused(&mut s, &saved, key, bad);
            assert!(m.contains("is not a finite number >= 0"), "{m}");
        }
    }
    // The valid extremes load, and stepping from them is plain arithmetic.
    let mut edge = saved.clone();
    edge.values
        .iter_mut()
        .find(|(n, _)| n == "last_epoch")
        .unwrap()
        .1 = 9007199254740990.0;
    s.load_state_dict(&edge).unwrap();
    s.step(&mut opt);
    assert_eq!(s.last_epoch(), 9007199254740991);

    // ReduceLROnPlateau's counters, and its best metric (±inf is its initial value, NaN is not).
    let mut opt = sgd(1.0);
    let mut p = ReduceLROnPlateau::new(&mut opt, ReduceLROnPlateauConfig::default()).unwrap();
    let fresh = p.state_dict();
    assert_eq!(fresh.get("best"), Some(f64::INFINITY));
    p.load_state_dict(&fresh).unwrap();
    p.step(&mut opt, 1.0);
    let saved = p.state_dict();
    let m = refused(&mut p, &saved, "best", f64::NAN);
    assert!(m.contains("'best' = NaN is not a number"), "{m}");
    for key in ["num_bad_epochs", "cooldown_counter", "last_epoch"] {
        for bad in [f64::NAN, 1e300, 2.7, -1.0] {
            let m = refused(&mut p, &saved, key, bad);
            assert!(m.contains("is not a whole number in 0..=2^53-1"), "{m}");
        }
    }
    refused(&mut p, &saved, "_last_lr.0", f64::NAN);
}
