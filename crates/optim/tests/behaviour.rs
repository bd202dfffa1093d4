//! Optimizer behaviour beyond the update rules: validation messages, skipped parameters,
//! parameter groups, zero_grad, learning-rate access, and exact resume through state_dict.

use tapegrad_autograd::Tensor;
use tapegrad_optim::*;

fn p1() -> Vec<Tensor> {
    vec![Tensor::from_vec(vec![1.0f32], &[1]).requires_grad_(true)]
}

fn msg<O>(r: Result<O, OptimError>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn invalid_hyperparameters_are_refused_with_pytorchs_messages() {
    let sgd = |c: SgdConfig| msg(SGD::new(p1(), c));
    assert_eq!(
        sgd(SgdConfig {
            lr: -0.1,
            ..Default::default()
        }),
        "Invalid learning rate: -0.1"
    );
    assert_eq!(
        sgd(SgdConfig {
            momentum: -0.5,
            ..Default::default()
        }),
        "Invalid momentum value: -0.5"
    );
    assert_eq!(
        sgd(SgdConfig {
            weight_decay: -1.0,
            ..Default::default()
        }),
        "Invalid weight_decay value: -1.0"
    );
    assert_eq!(
        sgd(SgdConfig {
            nesterov: true,
            ..Default::default()
        }),
        "Nesterov momentum requires a momentum and zero dampening"
    );
    assert_eq!(
        sgd(SgdConfig {
            nesterov: true,
            momentum: 0.9,
            dampening: 0.1,
            ..Default::default()
        }),
        "Nesterov momentum requires a momentum and zero dampening"
    );

    let ada = |c: AdagradConfig| msg(Adagrad::new(p1(), c));
    assert_eq!(
        ada(AdagradConfig {
            lr: -1.0,
            ..Default::default()
        }),
        "Invalid learning rate: -1.0"
    );
    assert_eq!(
        ada(AdagradConfig {
            lr_decay: -0.1,
            ..Default::default()
        }),
        "Invalid lr_decay value: -0.1"
    );
    assert_eq!(
        ada(AdagradConfig {
            weight_decay: -0.1,
            ..Default::default()
        }),
        "Invalid weight_decay value: -0.1"
    );
    assert_eq!(
        ada(AdagradConfig {
            initial_accumulator_value: -0.1,
            ..Default::default()
        }),
        "Invalid initial_accumulator_value value: -0.1"
    );
    assert_eq!(
        ada(AdagradConfig {
            eps: -1e-10,
            ..Default::default()
        }),
        "Invalid epsilon value: -1e-10"
    );

    let rms = |c: RmsPropConfig| msg(RMSprop::new(p1(), c));
    assert_eq!(
        rms(RmsPropConfig {
            lr: -0.01,
            ..Default::default()
        }),
        "Invalid learning rate: -0.01"
    );
    assert_eq!(
        rms(RmsPropConfig {
            eps: -1.0,
            ..Default::default()
        }),
        "Invalid epsilon value: -1.0"
    );
    assert_eq!(
        rms(RmsPropConfig {
            momentum: -0.8,
            ..Default::default()
        }),
        "Invalid momentum value: -0.8"
    );
    assert_eq!(
        rms(RmsPropConfig {
            weight_decay: -0.8,
            ..Default::default()
        }),
        "Invalid weight_decay value: -0.8"
    );
    assert_eq!(
        rms(RmsPropConfig {
            alpha: -0.99,
            ..Default::default()
        }),
        "Invalid alpha value: -0.99"
    );

    let adam = |c: AdamConfig| msg(Adam::new(p1(), c));
    assert_eq!(
        adam(AdamConfig {
            lr: -0.1,
            ..Default::default()
        }),
        "Invalid learning rate: -0.1"
    );
    assert_eq!(
        adam(AdamConfig {
            eps: -1e-8,
            ..Default::default()
        }),
        "Invalid epsilon value: -1e-8"
    );
    assert_eq!(
        adam(AdamConfig {
            betas: (1.0, 0.999),
            ..Default::default()
        }),
        "Invalid beta parameter at index 0: 1.0"
    );
    assert_eq!(
        adam(AdamConfig {
            betas: (0.9, -0.1),
            ..Default::default()
        }),
        "Invalid beta parameter at index 1: -0.1"
    );
    assert_eq!(
        adam(AdamConfig {
            weight_decay: -0.1,
            ..Default::default()
        }),
        "Invalid weight_decay value: -0.1"
    );
    assert_eq!(
        msg(AdamW::new(
            p1(),
            AdamWConfig {
                betas: (0.9, 1.5),
                ..Default::default()
            }
        )),
        "Invalid beta parameter at index 1: 1.5"
    );
    assert_eq!(
        msg(SGD::new(Vec::<Tensor>::new(), SgdConfig::default())),
        "optimizer got an empty parameter list"
    );
    let p = p1();
    assert_eq!(
        msg(SGD::with_groups(vec![
            (p.clone(), SgdConfig::default()),
            (p, SgdConfig::default())
        ])),
        "some parameters appear in more than one parameter group"
    );
    // NaN is refused too (`not 0.0 <= lr` in PyTorch).
    assert!(SGD::new(
        p1(),
        SgdConfig {
            lr: f64::NAN,
            ..Default::default()
        }
    )
    .is_err());
}

#[test]
fn defaults_are_pytorchs() {
    assert_eq!(
        SgdConfig::default(),
        SgdConfig {
            lr: 1e-3,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            maximize: false
        }
    );
    let a = AdagradConfig::default();
    assert_eq!(
        (
            a.lr,
            a.lr_decay,
            a.weight_decay,
            a.initial_accumulator_value,
            a.eps,
            a.maximize
        ),
        (0.01, 0.0, 0.0, 0.0, 1e-10, false)
    );
    let r = RmsPropConfig::default();
    assert_eq!(
        (
            r.lr,
            r.alpha,
            r.eps,
            r.weight_decay,
            r.momentum,
            r.centered,
            r.maximize
        ),
        (0.01, 0.99, 1e-8, 0.0, 0.0, false, false)
    );
    let m = AdamConfig::default();
    assert_eq!(
        (
            m.lr,
            m.betas,
            m.eps,
            m.weight_decay,
            m.amsgrad,
            m.decoupled_weight_decay
        ),
        (1e-3, (0.9, 0.999), 1e-8, 0.0, false, false)
    );
    let w: AdamConfig = AdamWConfig::default().into();
    assert_eq!(
        (w.lr, w.weight_decay, w.decoupled_weight_decay),
        (1e-3, 1e-2, true)
    );
}

#[test]
fn parameters_without_gradient_are_skipped_and_keep_no_state() {
    let a: Tensor = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad_(true);
    let b: Tensor = Tensor::from_vec(vec![3.0], &[1]).requires_grad_(true);
    let mut opt = Adam::new(
        vec![a.clone(), b.clone()],
        AdamConfig {
            lr: 0.1,
            ..Default::default()
        },
    )
    .unwrap();
    a.sum().backward(); // only `a` gets a gradient
    opt.step();
    opt.step();
    assert_eq!(b.to_vec(), vec![3.0]);
    let sd = opt.state_dict();
    assert_eq!(sd.state.len(), 1);
    assert_eq!(sd.state[0].index, 0);
    // Now `b` gets a gradient: its own step count starts at 1 (full-size first Adam step).
    b.set_grad(Some(Tensor::from_vec(vec![1.0], &[1])));
    opt.step();
    assert!((b.item() - 2.9).abs() < 1e-6);
    let sd = opt.state_dict();
    let step = |i: usize| {
        sd.state
            .iter()
            .find(|e| e.index == i)
            .unwrap()
            .values
            .iter()
            .find(|(n, _)| n == "step")
            .unwrap()
            .1
            .item()
    };
    assert_eq!((step(0), step(1)), (3.0, 1.0));
}

#[test]
fn adagrad_creates_its_state_at_construction_like_pytorch() {
    let p = p1();
    let opt = Adagrad::new(
        p.clone(),
        AdagradConfig {
            initial_accumulator_value: 0.5,
            ..Default::default()
        },
    )
    .unwrap();
    let sd = opt.state_dict();
    assert_eq!(sd.state.len(), 1);
    let get = |n: &str| {
        sd.state[0]
            .values
            .iter()
            .find(|(k, _)| k == n)
            .unwrap()
            .1
            .to_vec()
    };
    assert_eq!((get("step"), get("sum")), (vec![0.0], vec![0.5]));
    assert_eq!(p[0].to_vec(), vec![1.0]);
}

#[test]
fn no_weight_decay_on_biases_changes_only_the_weights_trajectory() {
    let make = || {
        (
            Tensor::<f64>::from_vec(vec![0.5, -0.3], &[2]).requires_grad_(true),
            Tensor::<f64>::from_vec(vec![0.2], &[1]).requires_grad_(true),
        )
    };
    let train = |opt: &mut dyn Optimizer<f64>, w: &Tensor<f64>, b: &Tensor<f64>| {
        let x = Tensor::<f64>::from_vec(vec![1.0, 2.0], &[2]);
        for _ in 0..5 {
            opt.zero_grad();
            ((w * &x).sum() + b.sum() - 1.0).pow(2.0).backward();
            opt.step();
        }
    };
    let base = SgdConfig {
        lr: 0.05,
        momentum: 0.5,
        ..Default::default()
    };
    let decayed = SgdConfig {
        weight_decay: 0.1,
        ..base
    };
    // (1) decay everywhere
    let (w1, b1) = make();
    let mut all = SGD::new(vec![w1.clone(), b1.clone()], decayed).unwrap();
    train(&mut all, &w1, &b1);
    // (2) decay on the weight only, through groups
    let (w2, b2) = make();
    let mut groups =
        SGD::with_groups(vec![(vec![w2.clone()], decayed), (vec![b2.clone()], base)]).unwrap();
    train(&mut groups, &w2, &b2);
    // (3) by hand: b's own update never sees λ·b; the weight's update does.
    let (w3, b3) = make();
    let x = [1.0, 2.0];
    let (mut w, mut b) = (w3.to_vec(), b3.item());
    let (mut bw, mut bb) = (vec![0.0; 2], 0.0);
    for t in 0..5 {
        let r = w[0] * x[0] + w[1] * x[1] + b - 1.0;
        for i in 0..2 {
            let g = 2.0 * r * x[i] + 0.1 * w[i];
            bw[i] = if t == 0 { g } else { 0.5 * bw[i] + g };
            w[i] -= 0.05 * bw[i];
        }
        let g = 2.0 * r;
        bb = if t == 0 { g } else { 0.5 * bb + g };
        b -= 0.05 * bb;
    }
    for (got, want) in w2.to_vec().iter().zip(&w) {
        assert!((got - want).abs() < 1e-12);
    }
    assert!((b2.item() - b).abs() < 1e-12);
    assert!(
        (b1.item() - b2.item()).abs() > 1e-6,
        "decaying the bias must change its trajectory"
    );
    assert_eq!(groups.param_groups()[1].weight_decay(), 0.0);
}

#[test]
fn zero_grad_sets_to_none_or_zeroes() {
    let p = p1();
    let mut opt = SGD::new(p.clone(), SgdConfig::default()).unwrap();
    (&p[0] * 2.0).sum().backward();
    opt.zero_grad_with(false);
    assert_eq!(p[0].grad().unwrap().to_vec(), vec![0.0]);
    opt.zero_grad();
    assert!(p[0].grad().is_none());
}

#[test]
fn lr_reads_group_zero_and_set_lr_sets_all_groups() {
    let (a, b) = (p1(), p1());
    let mut opt = SGD::with_groups(vec![
        (
            a,
            SgdConfig {
                lr: 0.1,
                ..Default::default()
            },
        ),
        (
            b,
            SgdConfig {
                lr: 0.2,
                ..Default::default()
            },
        ),
    ])
    .unwrap();
    assert_eq!(opt.lr(), 0.1);
    opt.set_lr(0.5);
    assert_eq!(
        opt.param_groups()
            .iter()
            .map(|g| g.lr())
            .collect::<Vec<_>>(),
        vec![0.5, 0.5]
    );
    opt.add_param_group(
        p1(),
        SgdConfig {
            lr: 0.3,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(opt.param_groups().len(), 3);
    assert_eq!(opt.name(), "SGD");
}

// ------------------------------------------------------------------------ state_dict resume

/// A small f32 regression problem with two parameter tensors.
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
        let pred = (x.matmul(&w.t()) + b).tanh();
        (pred - &y).pow(2.0).mean().backward();
        opt.step();
    }
}

fn resume_is_bit_identical(make: &dyn Fn(Vec<Tensor>) -> Box<dyn Optimizer>) {
    // Continuous run: 10 steps.
    let (w, b) = problem();
    let mut opt = make(vec![w.clone(), b.clone()]);
    train(opt.as_mut(), &w, &b, 5);
    let saved = opt.state_dict();
    let named = saved.to_named_tensors();
    let (w_mid, b_mid) = (w.to_vec(), b.to_vec());
    train(opt.as_mut(), &w, &b, 5);
    // Resumed run: fresh parameters with the step-5 values, fresh optimizer, loaded state.
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
        train(fresh.as_mut(), &w2, &b2, 5);
        let bits = |t: &Tensor| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&w2), bits(&w), "{} (named: {via_named})", opt.name());
        assert_eq!(bits(&b2), bits(&b), "{} (named: {via_named})", opt.name());
    }
    // A fresh optimizer *without* the state diverges (the test can fail).
    let w3 = Tensor::from_vec(w_mid, &[2, 3]).requires_grad_(true);
    let b3 = Tensor::from_vec(b_mid, &[2]).requires_grad_(true);
    let mut cold = make(vec![w3.clone(), b3.clone()]);
    train(cold.as_mut(), &w3, &b3, 5);
    assert_ne!(w3.to_vec(), w.to_vec(), "{}: state must matter", opt.name());
}

#[test]
fn state_dict_resume_sgd() {
    resume_is_bit_identical(&|p| {
        Box::new(
            SGD::new(
                p,
                SgdConfig {
                    lr: 0.1,
                    momentum: 0.6,
                    nesterov: true,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    });
}

#[test]
fn state_dict_resume_adagrad() {
    resume_is_bit_identical(&|p| {
        Box::new(
            Adagrad::new(
                p,
                AdagradConfig {
                    lr: 0.1,
                    lr_decay: 0.01,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    });
}

#[test]
fn state_dict_resume_rmsprop() {
    resume_is_bit_identical(&|p| {
        Box::new(
            RMSprop::new(
                p,
                RmsPropConfig {
                    lr: 0.01,
                    momentum: 0.8,
                    centered: true,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    });
}

#[test]
fn state_dict_resume_adam() {
    resume_is_bit_identical(&|p| {
        Box::new(
            Adam::new(
                p,
                AdamConfig {
                    lr: 0.01,
                    amsgrad: true,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    });
}

#[test]
fn state_dict_resume_adamw() {
    resume_is_bit_identical(&|p| {
        Box::new(
            AdamW::new(
                p,
                AdamWConfig {
                    lr: 0.01,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    });
}

#[test]
fn state_dict_restores_hyperparameters_exactly_and_names_its_entries() {
    let (w, b) = problem();
    let mut opt = Adam::new(
        vec![w.clone(), b.clone()],
        AdamConfig {
            lr: 0.1,
            ..Default::default()
        },
    )
    .unwrap();
    train(&mut opt, &w, &b, 1);
    opt.set_lr(0.0123456789);
    let named = opt.state_dict().to_named_tensors();
    let names: Vec<&str> = named.iter().map(|(n, _)| n.as_str()).collect();
    for n in [
        "state.0.step",
        "state.0.exp_avg",
        "state.1.exp_avg_sq",
        "param_groups.0.lr",
        "param_groups.0.params",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let mut fresh = Adam::new(vec![w.clone(), b.clone()], AdamConfig::default()).unwrap();
    fresh
        .load_state_dict(&OptimizerStateDict::from_named_tensors(&named).unwrap())
        .unwrap();
    assert_eq!(fresh.lr(), 0.0123456789); // exact, though stored in f32 tensors
    assert_eq!(
        fresh.param_groups()[0].options,
        opt.param_groups()[0].options
    );
}

#[test]
fn load_state_dict_refuses_mismatches() {
    let (w, b) = problem();
    let mut adam = Adam::new(vec![w.clone(), b.clone()], AdamConfig::default()).unwrap();
    train(&mut adam, &w, &b, 1);
    let sd = adam.state_dict();
    // another optimizer
    let mut sgd = SGD::new(vec![w.clone(), b.clone()], SgdConfig::default()).unwrap();
    assert!(sgd
        .load_state_dict(&sd)
        .unwrap_err()
        .to_string()
        .contains("saved by Adam"));
    // different group sizes
    let mut one = Adam::new(vec![w.clone()], AdamConfig::default()).unwrap();
    let e = one.load_state_dict(&sd).unwrap_err().to_string();
    assert!(
        e.contains("doesn't match the size of optimizer's group"),
        "{e}"
    );
    // different group count
    let mut two = Adam::with_groups(vec![
        (vec![w.clone()], AdamConfig::default()),
        (vec![b.clone()], AdamConfig::default()),
    ])
    .unwrap();
    let e = two.load_state_dict(&sd).unwrap_err().to_string();
    assert!(e.contains("different number of parameter groups"), "{e}");
    // different shapes (parameters swapped)
    let mut swapped = Adam::new(vec![b.clone(), w.clone()], AdamConfig::default()).unwrap();
    let e = swapped.load_state_dict(&sd).unwrap_err().to_string();
    assert!(e.contains("shape"), "{e}");
    // Adam state into AdamW is refused by name, and an unnamed state by its hyper-parameters.
    let mut sgd2 = SGD::new(vec![w.clone(), b.clone()], SgdConfig::default()).unwrap();
    let unnamed = OptimizerStateDict::from_named_tensors(&sd.to_named_tensors()).unwrap();
    assert!(sgd2.load_state_dict(&unnamed).is_err());
}

#[test]
// PyTorch refuses the assignment itself (`p.grad = torch.zeros(3)`), and so does set_grad now.
#[should_panic(expected = "assigned grad has data of a different size")]
fn a_gradient_of_the_wrong_shape_panics_with_a_message() {
    let p = p1();
    let mut opt = SGD::new(p.clone(), SgdConfig::default()).unwrap();
    p[0].set_grad(Some(Tensor::zeros(&[3])));
    opt.step();
}

#[test]
fn a_non_leaf_tensor_is_refused_like_pytorch() {
    let w: Tensor = Tensor::ones(&[2]).requires_grad_(true);
    let computed = &w * 2.0; // the result of an op: recomputed at every forward pass
    assert!(!computed.is_leaf());
    for e in [
        msg(SGD::new(vec![computed.clone()], SgdConfig::default())),
        msg(Adam::new(
            vec![w.clone(), computed.clone()],
            AdamConfig::default(),
        )),
        msg(Adam::new(vec![w.clone()], AdamConfig::default())
            .unwrap()
            .add_param_group(vec![computed.clone()], AdamConfig::default())),
    ] {
        assert!(e.starts_with("can't optimize a non-leaf Tensor"), "{e}");
    }
    let err = SGD::new(vec![computed.clone()], SgdConfig::default())
        .err()
        .unwrap();
    assert!(matches!(err, OptimError::InvalidParams(_)), "{err:?}");
    // A detached copy is a leaf and can be optimized.
    assert!(SGD::new(
        vec![computed.detach().requires_grad_(true)],
        SgdConfig::default()
    )
    .is_ok());
}

/// An Adam state after one step on two parameters, and a fresh optimizer to load it into.
fn adam_state() -> (OptimizerStateDict, Adam) {
    let (w, b) = problem();
    let mut adam = Adam::new(vec![w.clone(), b.clone()], AdamConfig::default()).unwrap();
    train(&mut adam, &w, &b, 1);
    let fresh = Adam::new(vec![w, b], AdamConfig::default()).unwrap();
    (adam.state_dict(), fresh)
}

/// Loads `sd` into `opt`, expecting an `InvalidValue` for `key`; checks `opt` kept no state.
fn invalid(opt: &mut Adam, sd: &OptimizerStateDict) -> (String, f64, String) {
    let err = opt.load_state_dict(sd).unwrap_err();
    assert!(opt.state_dict().state.is_empty(), "nothing loaded: {err}");
    match err {
        OptimError::InvalidValue {
            key,
            value,
            expected,
        } => (key, value, expected),
        other => panic!("expected InvalidValue, got {other:?}"),
    }
}

#[test]
fn saved_parameter_indices_are_checked_against_the_parameters_before_allocating() {
    // 3e9 and 1e10 used to resize a Vec to the index (72 GB: an abort), 1e30 to panic.
    for bad in [3_000_000_000usize, 10_000_000_000, usize::MAX, 2] {
        let (mut sd, mut opt) = adam_state();
        sd.param_groups[0].params[1] = bad;
        let (key, value, expected) = invalid(&mut opt, &sd);
        assert_eq!(key, "param_groups.0.params");
        assert_eq!(value, bad as f64);
        assert_eq!(
            expected,
            "is not the index of one of the optimizer's 2 parameters (0..2)"
        );
    }
    let (mut sd, mut opt) = adam_state();
    sd.param_groups[0].params = vec![0, 0];
    let (key, value, expected) = invalid(&mut opt, &sd);
    assert_eq!((key.as_str(), value), ("param_groups.0.params", 0.0));
    assert!(expected.contains("listed twice"), "{expected}");
    // In the named-tensor form (a file), a value that is not an exact whole number is refused
    // when read.
    let (sd, _) = adam_state();
    for bad in [1e30f32, 2.5, -1.0, f32::NAN] {
        let named: Vec<(String, Tensor)> = sd
            .to_named_tensors()
            .into_iter()
            .map(|(n, t)| match n.as_str() {
                "param_groups.0.params" => (n, Tensor::from_vec(vec![0.0, bad], &[2])),
                _ => (n, t),
            })
            .collect();
        let err = OptimizerStateDict::from_named_tensors(&named).unwrap_err();
        assert!(
            matches!(&err, OptimError::InvalidValue { key, .. } if key == "param_groups.0.params"),
            "{bad}: {err:?}"
        );
        assert!(
            err.to_string().ends_with(
                "is not a whole number in 0..=2^53-1; the saved state is corrupt or was edited"
            ),
            "{err}"
        );
    }
}

#[test]
fn a_saved_step_must_be_a_whole_number_below_2_pow_53() {
    // A step of 2^64 used to saturate, wrap on the next step and give NaN weights.
    for bad in [
        9007199254740992.0f32,
        1.8446744e19,
        1e30,
        -1.0,
        2.5,
        f32::NAN,
        f32::INFINITY,
    ] {
        let (mut sd, mut opt) = adam_state();
        let step = sd.state[1]
            .values
            .iter_mut()
            .find(|(n, _)| n == "step")
            .unwrap();
        step.1 = Tensor::scalar(bad);
        let (key, value, expected) = invalid(&mut opt, &sd);
        assert_eq!(key, "state.1.step");
        assert!(
            value.to_bits() == (bad as f64).to_bits(),
            "{value} vs {bad}"
        );
        assert_eq!(expected, "is not a whole number in 0..=2^53-1");
    }
    // The largest accepted count (exact in f64) trains on with finite weights.
    let w: Tensor<f64> = Tensor::from_vec(vec![1.0, 2.0], &[2]).requires_grad_(true);
    let mut opt = Adam::new(vec![w.clone()], AdamConfig::default()).unwrap();
    (&w * &w).sum().backward();
    opt.step();
    let mut sd = opt.state_dict();
    let step = sd.state[0]
        .values
        .iter_mut()
        .find(|(n, _)| n == "step")
        .unwrap();
    step.1 = Tensor::scalar(9007199254740991.0);
    opt.load_state_dict(&sd).unwrap();
    opt.step();
    assert!(w.to_vec().iter().all(|v| v.is_finite()), "{:?}", w.to_vec());
    let step = opt.state_dict().state[0].values[0].1.item();
    assert_eq!(step, 9007199254740992.0);
}

#[test]
fn saved_buffers_and_hyperparameters_must_be_finite_and_booleans_0_or_1() {
    let (mut sd, mut opt) = adam_state();
    let buf = sd.state[0]
        .values
        .iter_mut()
        .find(|(n, _)| n == "exp_avg_sq")
        .unwrap();
    let mut v = buf.1.to_vec();
    v[0] = f32::NAN;
    buf.1 = Tensor::from_vec(v, &buf.1.shape());
    let (key, value, expected) = invalid(&mut opt, &sd);
    assert_eq!(key, "state.0.exp_avg_sq");
    assert!(value.is_nan());
    assert_eq!(expected, "(element 0) is not a finite number");
    for (name, bad, says) in [
        ("amsgrad", 2.7, "is not a boolean (0 or 1)"),
        ("maximize", f64::NAN, "is not a boolean (0 or 1)"),
        ("lr", f64::NAN, "is not a finite number"),
        ("beta1", f64::NEG_INFINITY, "is not a finite number"),
    ] {
        let (mut sd, mut opt) = adam_state();
        sd.param_groups[0]
            .hyper
            .iter_mut()
            .find(|(n, _)| n == name)
            .unwrap()
            .1 = bad;
        let (key, value, expected) = invalid(&mut opt, &sd);
        assert_eq!(key, format!("param_groups.0.{name}"));
        assert_eq!(value.to_bits(), bad.to_bits());
        assert_eq!(expected, says);
    }
    // The message names the key and says what is wrong.
    let (mut sd, mut opt) = adam_state();
    sd.param_groups[0].hyper[0].1 = f64::INFINITY;
    assert_eq!(
        opt.load_state_dict(&sd).unwrap_err().to_string(),
        "load_state_dict: 'param_groups.0.lr' = inf is not a finite number; the saved state is \
         corrupt or was edited"
    );
}
