//! Adamax, NAdam, RAdam, Adadelta, Rprop and ASGD beyond their PyTorch trajectories
//! (golden_optim_v2.rs): PyTorch's validation messages, state dicts that resume a run bit for
//! bit (directly and through named tensors), hyper-parameters saved by name.

use tapegrad_autograd::Tensor;
use tapegrad_optim::*;

type Make = fn(Vec<Tensor>) -> Box<dyn Optimizer>;

fn makers() -> Vec<(&'static str, Make)> {
    vec![
        ("Adamax", |p| {
            Box::new(Adamax::new(p, AdamaxConfig::default()).unwrap())
        }),
        ("NAdam", |p| {
            let c = NAdamConfig {
                weight_decay: 0.01,
                decoupled_weight_decay: true,
                ..Default::default()
            };
            Box::new(NAdam::new(p, c).unwrap())
        }),
        ("RAdam", |p| {
            let c = RAdamConfig {
                lr: 0.01,
                ..Default::default()
            };
            Box::new(RAdam::new(p, c).unwrap())
        }),
        ("Adadelta", |p| {
            Box::new(Adadelta::new(p, AdadeltaConfig::default()).unwrap())
        }),
        ("Rprop", |p| {
            Box::new(Rprop::new(p, RpropConfig::default()).unwrap())
        }),
        ("ASGD", |p| {
            let c = AsgdConfig {
                t0: 3.0,
                ..Default::default()
            };
            Box::new(ASGD::new(p, c).unwrap())
        }),
    ]
}

fn problem() -> (Tensor, Tensor) {
    (
        Tensor::from_vec(vec![0.3f32, -0.7, 0.2, 0.9, -0.4, 0.1], &[2, 3]).requires_grad_(true),
        Tensor::from_vec(vec![0.05f32, -0.02], &[2]).requires_grad_(true),
    )
}

fn train(opt: &mut dyn Optimizer, w: &Tensor, b: &Tensor, steps: usize) {
    let x = Tensor::from_vec(
        vec![0.5f32, 0.1, -0.3, 0.05, 0.18, 0.31, 0.9, -0.6, 0.2],
        &[3, 3],
    );
    let y = Tensor::from_vec(vec![1.0f32, 0.0, 0.5, -0.5, 0.2, 0.8], &[3, 2]);
    for _ in 0..steps {
        opt.zero_grad();
        ((x.matmul(&w.t()) + b).tanh() - &y)
            .pow(2.0)
            .mean()
            .backward();
        opt.step();
    }
}

#[test]
fn state_dict_resumes_every_new_optimizer_bit_for_bit() {
    let bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    for (name, make) in makers() {
        let (w, b) = problem();
        let mut opt = make(vec![w.clone(), b.clone()]);
        assert_eq!(opt.name(), name);
        train(opt.as_mut(), &w, &b, 6);
        let saved = opt.state_dict();
        let named = saved.to_named_tensors();
        let (w_mid, b_mid) = (w.to_vec(), b.to_vec());
        train(opt.as_mut(), &w, &b, 6);
        for via_named in [false, true] {
            let w2 = Tensor::from_vec(w_mid.clone(), &[2, 3]).requires_grad_(true);
            let b2 = Tensor::from_vec(b_mid.clone(), &[2]).requires_grad_(true);
            let mut fresh = make(vec![w2.clone(), b2.clone()]);
            let state = if via_named {
                OptimizerStateDict::from_named_tensors(&named).unwrap()
            } else {
                saved.clone()
            };
            fresh.load_state_dict(&state).unwrap();
            train(fresh.as_mut(), &w2, &b2, 6);
            assert_eq!(bits(&w2), bits(&w), "{name} (named: {via_named})");
            assert_eq!(bits(&b2), bits(&b), "{name} (named: {via_named})");
        }
        // Without the state the run differs: the state is what made the resume exact.
        let w3 = Tensor::from_vec(w_mid, &[2, 3]).requires_grad_(true);
        let b3 = Tensor::from_vec(b_mid, &[2]).requires_grad_(true);
        let mut cold = make(vec![w3.clone(), b3.clone()]);
        train(cold.as_mut(), &w3, &b3, 6);
        assert_ne!(bits(&w3), bits(&w), "{name}: state must matter");
    }
}

#[test]
fn state_dicts_use_pytorchs_names() {
    let expect: [(&str, &[&str], &[&str]); 6] = [
        (
            "Adamax",
            &["step", "exp_avg", "exp_inf"],
            &["beta1", "beta2", "eps"],
        ),
        (
            "NAdam",
            &["step", "mu_product", "exp_avg", "exp_avg_sq"],
            &["momentum_decay", "decoupled_weight_decay"],
        ),
        (
            "RAdam",
            &["step", "exp_avg", "exp_avg_sq"],
            &["decoupled_weight_decay"],
        ),
        ("Adadelta", &["step", "square_avg", "acc_delta"], &["rho"]),
        (
            "Rprop",
            &["step", "prev", "step_size"],
            &["eta1", "eta2", "step_size_min", "step_size_max"],
        ),
        (
            "ASGD",
            &["step", "eta", "mu", "ax"],
            &["lambd", "alpha", "t0"],
        ),
    ];
    for ((name, make), (want_name, state, hyper)) in makers().into_iter().zip(expect) {
        assert_eq!(name, want_name);
        let (w, b) = problem();
        let mut opt = make(vec![w.clone(), b.clone()]);
        train(opt.as_mut(), &w, &b, 1);
        let sd = opt.state_dict();
        let keys: Vec<&str> = sd.state[0].values.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, state, "{name}");
        let names: Vec<&str> = sd.param_groups[0]
            .hyper
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(names[0], "lr", "{name}");
        for h in hyper {
            assert!(names.contains(h), "{name}: {h} missing from {names:?}");
        }
    }
}

#[test]
fn hyperparameters_are_checked_with_pytorchs_messages() {
    let p = || vec![Tensor::<f32>::zeros(&[1]).requires_grad_(true)];
    let msg = |e: OptimError| e.to_string();
    let cases: Vec<(OptimError, &str)> = vec![
        (
            Adamax::new(
                p(),
                AdamaxConfig {
                    lr: -1.0,
                    ..Default::default()
                },
            )
            .err()
            .unwrap(),
            "Invalid learning rate: -1.0",
        ),
        (
            Adamax::new(
                p(),
                AdamaxConfig {
                    betas: (0.9, 1.0),
                    ..Default::default()
                },
            )
            .err()
            .unwrap(),
            "Invalid beta parameter at index 1: 1.0",
        ),
        (
            NAdam::new(
                p(),
                NAdamConfig {
                    momentum_decay: -0.1,
                    ..Default::default()
                },
            )
            .err()
            .unwrap(),
            "Invalid momentum_decay value: -0.1",
        ),
        (
            RAdam::new(
                p(),
                RAdamConfig {
                    eps: f64::NAN,
                    ..Default::default()
                },
            )
            .err()
            .unwrap(),
            "Invalid epsilon value: NaN",
        ),
        (
            Adadelta::new(
                p(),
                AdadeltaConfig {
                    rho: 1.5,
                    ..Default::default()
                },
            )
            .err()
            .unwrap(),
            "Invalid rho value: 1.5",
        ),
        (
            Rprop::new(
                p(),
                RpropConfig {
                    etas: (0.5, 0.9),
                    ..Default::default()
                },
            )
            .err()
            .unwrap(),
            "Invalid eta values: 0.5, 0.9",
        ),
        (
            ASGD::new(
                p(),
                AsgdConfig {
                    lambd: -1e-4,
                    ..Default::default()
                },
            )
            .err()
            .unwrap(),
            "Invalid lambd value: -0.0001",
        ),
        (
            ASGD::new(
                p(),
                AsgdConfig {
                    alpha: -0.75,
                    ..Default::default()
                },
            )
            .err()
            .unwrap(),
            "Invalid alpha value: -0.75",
        ),
    ];
    for (err, want) in cases {
        assert_eq!(msg(err), want);
    }
}

#[test]
fn asgd_averages_the_iterates_after_t0() {
    // f64, λ = 0 (no decay of η or θ), t0 = 2: ax follows θ for steps 1–3 (μ = 1), then
    // ax ← ax + μ(θ − ax) with μ = 1/(t − t0) set after step t: μ = 1 at step 4 (set after step
    // 3: 1/max(1, 1)), 1/2 at step 5.
    let w: Tensor<f64> = Tensor::from_vec(vec![0.0], &[1]).requires_grad_(true);
    let c = AsgdConfig {
        lr: 0.5,
        lambd: 0.0,
        t0: 2.0,
        ..Default::default()
    };
    let mut opt = ASGD::new(vec![w.clone()], c).unwrap();
    let mut theta = 0.0;
    let mut ax = 0.0;
    for t in 1..=5 {
        w.set_grad(Some(Tensor::from_vec(vec![1.0], &[1])));
        opt.step();
        theta -= 0.5;
        let mu = if t <= 4 { 1.0 } else { 0.5 };
        ax = if mu == 1.0 {
            theta
        } else {
            ax + mu * (theta - ax)
        };
        let sd = opt.state_dict();
        let got = sd.state[0]
            .values
            .iter()
            .find(|(k, _)| k == "ax")
            .unwrap()
            .1
            .item();
        assert_eq!(got, ax, "step {t}");
    }
    assert_eq!(ax, -2.25); // θ₄ = −2 kept, then (−2 + −2.5)/2
}

#[test]
fn lbfgs_resumes_from_its_state_dict_and_needs_a_closure() {
    let run = |opt: &mut LBFGS, w: &Tensor, b: &Tensor, calls: usize| {
        let x = Tensor::from_vec(vec![0.5f32, 0.1, -0.3, 0.05, 0.18, 0.31], &[2, 3]);
        let y = Tensor::from_vec(vec![1.0f32, 0.0, 0.5, -0.5], &[2, 2]);
        for _ in 0..calls {
            opt.step_with(|| {
                w.set_grad(None);
                b.set_grad(None);
                let loss = ((x.matmul(&w.t()) + b).tanh() - &y).pow(2.0).mean();
                loss.backward();
                loss
            });
        }
    };
    let c = LbfgsConfig {
        line_search_fn: Some(LineSearch::StrongWolfe),
        max_iter: 3,
        history_size: 4,
        ..Default::default()
    };
    let (w, b) = problem();
    let mut opt = LBFGS::new(vec![w.clone(), b.clone()], c).unwrap();
    run(&mut opt, &w, &b, 2);
    let named = opt.state_dict().to_named_tensors();
    assert!(named.iter().any(|(n, _)| n == "state.0.old_dirs.1"));
    let (w_mid, b_mid) = (w.to_vec(), b.to_vec());
    run(&mut opt, &w, &b, 2);
    let w2 = Tensor::from_vec(w_mid, &[2, 3]).requires_grad_(true);
    let b2 = Tensor::from_vec(b_mid, &[2]).requires_grad_(true);
    let mut fresh = LBFGS::new(vec![w2.clone(), b2.clone()], c).unwrap();
    fresh
        .load_state_dict(&OptimizerStateDict::from_named_tensors(&named).unwrap())
        .unwrap();
    run(&mut fresh, &w2, &b2, 2);
    assert_eq!(w2.to_vec(), w.to_vec());
    assert_eq!(b2.to_vec(), b.to_vec());
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| opt.step())).unwrap_err();
    let msg = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap();
    assert!(
        msg.contains("missing 1 required positional argument: 'closure'"),
        "{msg}"
    );
    assert_eq!(
        LBFGS::<f32>::new(vec![Tensor::zeros(&[1])], LbfgsConfig { lr: -1.0, ..c })
            .err()
            .unwrap()
            .to_string(),
        "Invalid learning rate: -1.0"
    );
}
