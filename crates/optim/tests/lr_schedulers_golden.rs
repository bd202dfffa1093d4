//! Every scheduler of tests/fixtures/lr_schedulers/ (made by tools/golden/schedulers.py) against
//! PyTorch's sequence: each group's `lr` after construction and after every step, the same from
//! `get_last_lr()`, and the `momentum` / `beta1` OneCycleLR and CyclicLR cycle. PyTorch computes
//! these in Python floats and so does tapegrad, in the same order and with the same `cos`/`pow`
//! (the C library's): every value must be bit-identical. Each case prints its worst relative
//! deviation (`--nocapture`; 0 on the machine the fixtures were made on).

use serde_json::Value;
use tapegrad_autograd::Tensor;
use tapegrad_optim::*;

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../../tests/fixtures/lr_schedulers/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn f(v: &Value, k: &str) -> Option<f64> {
    v.get(k).and_then(Value::as_f64)
}

fn u(v: &Value, k: &str) -> Option<u64> {
    v.get(k).and_then(Value::as_u64)
}

/// A one-or-per-group float (PyTorch's `float | list[float]`).
fn per_group(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_f64().unwrap()).collect(),
        x => vec![x.as_f64().unwrap()],
    }
}

/// The fixture's optimizer: one one-element parameter per group.
fn optimizer(spec: &Value) -> Box<dyn Optimizer> {
    let groups = spec["groups"].as_array().unwrap();
    let params = || vec![Tensor::zeros(&[1]).requires_grad_(true)];
    match spec["class"].as_str().unwrap() {
        "SGD" => Box::new(
            SGD::with_groups(
                groups
                    .iter()
                    .map(|g| {
                        let c = SgdConfig {
                            lr: f(g, "lr").unwrap(),
                            momentum: f(g, "momentum").unwrap_or(0.0),
                            ..Default::default()
                        };
                        (params(), c)
                    })
                    .collect(),
            )
            .unwrap(),
        ),
        "Adam" => Box::new(
            Adam::with_groups(
                groups
                    .iter()
                    .map(|g| {
                        let c = AdamConfig {
                            lr: f(g, "lr").unwrap(),
                            ..Default::default()
                        };
                        (params(), c)
                    })
                    .collect(),
            )
            .unwrap(),
        ),
        "AdamW" => Box::new(
            AdamW::with_groups(
                groups
                    .iter()
                    .map(|g| {
                        let c = AdamWConfig {
                            lr: f(g, "lr").unwrap(),
                            weight_decay: f(g, "weight_decay").unwrap_or(1e-2),
                            ..Default::default()
                        };
                        (params(), c)
                    })
                    .collect(),
            )
            .unwrap(),
        ),
        other => panic!("optimizer {other}"),
    }
}

/// The fixture's scheduler spec (PyTorch's class name and keyword arguments).
fn scheduler(opt: &mut dyn Optimizer, spec: &Value) -> Box<dyn LRScheduler> {
    let kw = spec.get("kwargs").cloned().unwrap_or(Value::Null);
    let nested = |opt: &mut dyn Optimizer| -> Vec<Box<dyn LRScheduler>> {
        spec["schedulers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| scheduler(opt, s))
            .collect()
    };
    match spec["class"].as_str().unwrap() {
        "OneCycleLR" => {
            let max = per_group(&kw["max_lr"]);
            let d = OneCycleLRConfig::default();
            let c = OneCycleLRConfig {
                max_lr: max[0],
                max_lrs: if max.len() > 1 { max } else { vec![] },
                total_steps: u(&kw, "total_steps").map(|v| v as usize),
                epochs: u(&kw, "epochs").map(|v| v as usize),
                steps_per_epoch: u(&kw, "steps_per_epoch").map(|v| v as usize),
                pct_start: f(&kw, "pct_start").unwrap_or(d.pct_start),
                anneal_strategy: match kw.get("anneal_strategy").and_then(Value::as_str) {
                    Some("linear") => AnnealStrategy::Linear,
                    _ => AnnealStrategy::Cos,
                },
                cycle_momentum: kw
                    .get("cycle_momentum")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
                base_momentum: f(&kw, "base_momentum").unwrap_or(d.base_momentum),
                max_momentum: f(&kw, "max_momentum").unwrap_or(d.max_momentum),
                div_factor: f(&kw, "div_factor").unwrap_or(d.div_factor),
                final_div_factor: f(&kw, "final_div_factor").unwrap_or(d.final_div_factor),
                three_phase: kw
                    .get("three_phase")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            };
            Box::new(OneCycleLR::with_config(opt, c).unwrap())
        }
        "CosineAnnealingWarmRestarts" => Box::new(
            CosineAnnealingWarmRestarts::new(
                opt,
                u(&kw, "T_0").unwrap(),
                u(&kw, "T_mult").unwrap_or(1),
                f(&kw, "eta_min").unwrap_or(0.0),
            )
            .unwrap(),
        ),
        "CyclicLR" => {
            let d = CyclicLRConfig::default();
            let c = CyclicLRConfig {
                base_lr: f(&kw, "base_lr").unwrap(),
                max_lr: f(&kw, "max_lr").unwrap(),
                step_size_up: u(&kw, "step_size_up").unwrap_or(d.step_size_up),
                step_size_down: u(&kw, "step_size_down"),
                mode: match kw.get("mode").and_then(Value::as_str) {
                    Some("triangular2") => CyclicMode::Triangular2,
                    Some("exp_range") => CyclicMode::ExpRange {
                        gamma: f(&kw, "gamma").unwrap_or(1.0),
                    },
                    _ => CyclicMode::Triangular,
                },
                cycle_momentum: kw
                    .get("cycle_momentum")
                    .and_then(Value::as_bool)
                    .unwrap_or(true),
                base_momentum: f(&kw, "base_momentum").unwrap_or(d.base_momentum),
                max_momentum: f(&kw, "max_momentum").unwrap_or(d.max_momentum),
            };
            Box::new(CyclicLR::new(opt, c).unwrap())
        }
        "ConstantLR" => Box::new(
            ConstantLR::new(
                opt,
                f(&kw, "factor").unwrap_or(1.0 / 3.0),
                u(&kw, "total_iters").unwrap_or(5),
            )
            .unwrap(),
        ),
        "PolynomialLR" => Box::new(
            PolynomialLR::new(
                opt,
                u(&kw, "total_iters").unwrap_or(5),
                f(&kw, "power").unwrap_or(1.0),
            )
            .unwrap(),
        ),
        "MultiplicativeLR" => match spec["lambda"].as_str().unwrap() {
            "const_0.95" => Box::new(MultiplicativeLR::new(opt, |_| 0.95).unwrap()),
            "every_3rd_halves" => Box::new(
                MultiplicativeLR::new(opt, |e| if e % 3 == 0 { 0.5 } else { 1.0 }).unwrap(),
            ),
            other => panic!("lambda {other}"),
        },
        "ExponentialLR" => Box::new(ExponentialLR::new(opt, f(&kw, "gamma").unwrap()).unwrap()),
        "StepLR" => Box::new(
            StepLR::new(
                opt,
                u(&kw, "step_size").unwrap() as usize,
                f(&kw, "gamma").unwrap_or(0.1),
            )
            .unwrap(),
        ),
        "MultiStepLR" => {
            let m: Vec<usize> = kw["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as usize)
                .collect();
            Box::new(MultiStepLR::new(opt, &m, f(&kw, "gamma").unwrap_or(0.1)).unwrap())
        }
        "LinearLR" => Box::new(
            LinearLR::new(
                opt,
                f(&kw, "start_factor").unwrap_or(1.0 / 3.0),
                f(&kw, "end_factor").unwrap_or(1.0),
                u(&kw, "total_iters").unwrap_or(5) as usize,
            )
            .unwrap(),
        ),
        "CosineAnnealingLR" => Box::new(
            CosineAnnealingLR::new(
                opt,
                u(&kw, "T_max").unwrap() as usize,
                f(&kw, "eta_min").unwrap_or(0.0),
            )
            .unwrap(),
        ),
        "SequentialLR" => {
            let subs = nested(opt);
            let m = spec["milestones"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .collect();
            Box::new(SequentialLR::new(opt, subs, m).unwrap())
        }
        "ChainedScheduler" => {
            let subs = nested(opt);
            Box::new(ChainedScheduler::new(opt, subs).unwrap())
        }
        other => panic!("scheduler {other}"),
    }
}

fn rows(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(per_group).collect()
}

/// Runs the case; returns the worst relative deviation over lrs and momentums.
fn run(name: &str) -> f64 {
    let fx = fixture(name);
    let mut opt = optimizer(&fx["optimizer"]);
    let mut sched = scheduler(opt.as_mut(), &fx["scheduler"]);
    let key = fx["momentum_key"].as_str();
    let (want_lrs, want_last) = (rows(&fx["lrs"]), rows(&fx["last_lrs"]));
    let want_mom = key.map(|_| rows(&fx["momentums"]));
    let groups = want_lrs[0].len();
    let mut worst: f64 = 0.0;
    let mut check = |what: &str, step: usize, got: &[f64], want: &[f64]| {
        assert_eq!(got.len(), want.len(), "{name} {what} step {step}");
        for (g, (a, b)) in got.iter().zip(want).enumerate() {
            let rel = (a - b).abs() / b.abs().max(f64::MIN_POSITIVE);
            worst = worst.max(rel);
            assert!(
                a.to_bits() == b.to_bits(),
                "{name} step {step} group {g} {what}: {a:e} vs PyTorch {b:e} (rel {rel:.1e})"
            );
        }
    };
    for step in 0..want_lrs.len() {
        if step > 0 {
            opt.step();
            sched.step(opt.as_mut());
        }
        let lrs: Vec<f64> = (0..groups)
            .map(|g| opt.group_hyper(g, "lr").unwrap())
            .collect();
        check("lr", step, &lrs, &want_lrs[step]);
        check("get_last_lr", step, sched.get_last_lr(), &want_last[step]);
        if let (Some(key), Some(m)) = (key, &want_mom) {
            let got: Vec<f64> = (0..groups)
                .map(|g| opt.group_hyper(g, key).unwrap())
                .collect();
            check(key, step, &got, &m[step]);
        }
    }
    eprintln!(
        "{name}: {} steps, worst rel deviation {worst:.2e}",
        want_lrs.len() - 1
    );
    worst
}

#[test]
fn every_scheduler_case_matches_pytorch() {
    let index = {
        let path = format!(
            "{}/../../tests/fixtures/lr_schedulers/index.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["cases"].clone()
    };
    let names: Vec<&str> = index
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 21);
    for name in names {
        run(name);
    }
}

#[test]
fn scheduler_state_dict_resumes_the_sequence() {
    // Run 17 of 40 steps, save, build a fresh optimizer + scheduler, load, continue: the rest of
    // the sequence is PyTorch's.
    let fx = fixture("onecycle_sgd_defaults");
    let want = rows(&fx["lrs"]);
    let want_mom = rows(&fx["momentums"]);
    let mut opt = optimizer(&fx["optimizer"]);
    let mut s = scheduler(opt.as_mut(), &fx["scheduler"]);
    for _ in 0..17 {
        s.step(opt.as_mut());
    }
    let saved = s.state_dict();
    assert_eq!(saved.get("last_epoch"), Some(17.0));
    let mut opt2 = optimizer(&fx["optimizer"]);
    let mut s2 = scheduler(opt2.as_mut(), &fx["scheduler"]);
    s2.load_state_dict(&saved).unwrap();
    for step in 18..=40 {
        s2.step(opt2.as_mut());
        assert_eq!(
            opt2.group_hyper(1, "lr").unwrap(),
            want[step][1],
            "step {step}"
        );
        assert_eq!(
            opt2.group_hyper(0, "momentum").unwrap(),
            want_mom[step][0],
            "step {step}"
        );
    }
    // The warm-restart counters follow from last_epoch too.
    let fx = fixture("cawr_t0_10_tmult_2");
    let want = rows(&fx["lrs"]);
    let mut opt = optimizer(&fx["optimizer"]);
    let mut s = scheduler(opt.as_mut(), &fx["scheduler"]);
    for _ in 0..33 {
        s.step(opt.as_mut());
    }
    let saved = s.state_dict();
    let mut opt2 = optimizer(&fx["optimizer"]);
    let mut s2 = scheduler(opt2.as_mut(), &fx["scheduler"]);
    s2.load_state_dict(&saved).unwrap();
    s2.step(opt2.as_mut());
    assert_eq!(opt2.group_hyper(0, "lr").unwrap(), want[34][0]);
}

#[test]
fn one_cycle_refuses_a_step_past_total_steps() {
    let mut opt: SGD = SGD::new(
        vec![Tensor::zeros(&[1])],
        SgdConfig {
            lr: 0.1,
            momentum: 0.9,
            ..Default::default()
        },
    )
    .unwrap();
    let mut s = OneCycleLR::new(&mut opt, 0.5, 3).unwrap();
    for _ in 0..3 {
        s.step(&mut opt);
    }
    let err =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.step(&mut opt))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains("Tried to step 4 times. The specified number of total steps is 3"),
        "{msg}"
    );
}

#[test]
fn scheduler_arguments_are_checked_with_pytorchs_messages() {
    let mut sgd: SGD = SGD::new(vec![Tensor::zeros(&[1])], SgdConfig::default()).unwrap();
    let msg = |r: Result<(), OptimError>| r.unwrap_err().to_string();
    assert_eq!(
        msg(OneCycleLR::new(&mut sgd, 0.1, 0).map(|_| ())),
        "Expected positive integer total_steps, but got 0"
    );
    assert_eq!(
        msg(OneCycleLR::with_config(&mut sgd, OneCycleLRConfig::default()).map(|_| ())),
        "You must define either total_steps OR (epochs AND steps_per_epoch)"
    );
    let c = OneCycleLRConfig {
        total_steps: Some(10),
        pct_start: 1.5,
        ..Default::default()
    };
    assert_eq!(
        msg(OneCycleLR::with_config(&mut sgd, c).map(|_| ())),
        "Expected float between 0 and 1 pct_start, but got 1.5"
    );
    let mut adagrad: Adagrad =
        Adagrad::new(vec![Tensor::zeros(&[1])], AdagradConfig::default()).unwrap();
    assert_eq!(
        msg(OneCycleLR::new(&mut adagrad, 0.1, 10).map(|_| ())),
        "optimizer must support momentum or beta1 with `cycle_momentum` option enabled"
    );
    assert_eq!(
        msg(CosineAnnealingWarmRestarts::new(&mut sgd, 0, 1, 0.0).map(|_| ())),
        "Expected positive integer T_0, but got 0"
    );
    assert_eq!(
        msg(CosineAnnealingWarmRestarts::new(&mut sgd, 3, 0, 0.0).map(|_| ())),
        "Expected integer T_mult >= 1, but got 0"
    );
    assert_eq!(
        msg(ConstantLR::new(&mut sgd, 1.5, 3).map(|_| ())),
        "Constant multiplicative factor expected to be between 0 and 1."
    );
    assert_eq!(
        msg(SequentialLR::new(&mut sgd, vec![], vec![]).map(|_| ())),
        "SequentialLR expects at least one scheduler, but got no scheduler."
    );
}
