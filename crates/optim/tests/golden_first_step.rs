//! One optimizer update in isolation: PyTorch's own first-epoch gradients (`grads_first`) applied
//! to the initial weights must give PyTorch's `params_after_first_step`, to the last bit where the
//! arithmetic order matches.

mod common;
use common::*;
use tapegrad_optim::*;

fn first_step(
    name: &str,
    make: impl FnOnce(Vec<tapegrad_autograd::Tensor>) -> Box<dyn Optimizer>,
) -> (usize, usize, u32) {
    let fx = fixture(name);
    let params = params_from(&fx, "init");
    for (n, p) in &params {
        p.set_grad(Some(tensor(&fx["grads_first"][n])));
    }
    let mut opt = make(params.iter().map(|(_, p)| p.clone()).collect());
    opt.step();
    let (mut exact, mut total, mut worst) = (0, 0, 0);
    for (n, p) in &params {
        let (want, _) = flat(&fx["params_after_first_step"][n]);
        for (a, b) in p.to_vec().iter().zip(&want) {
            let u = ulps(*a, *b);
            total += 1;
            exact += (u == 0) as usize;
            worst = worst.max(u);
            assert!(
                (a - b).abs() <= 1e-6 + 1e-5 * b.abs(),
                "{name} {n}: {a} vs {b}"
            );
        }
    }
    eprintln!("{name}: {exact}/{total} bit-identical, worst {worst} ulp");
    (exact, total, worst)
}

#[test]
fn sgd_plain_first_step_is_bit_identical() {
    let (exact, total, _) = first_step("sgd_plain", |p| {
        Box::new(
            SGD::new(
                p,
                SgdConfig {
                    lr: 0.1,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    });
    assert_eq!(exact, total);
}

#[test]
fn sgd_momentum_first_step_is_bit_identical() {
    let (exact, total, _) = first_step("sgd_momentum", |p| {
        Box::new(
            SGD::new(
                p,
                SgdConfig {
                    lr: 0.1,
                    momentum: 0.6,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    });
    assert_eq!(exact, total);
}

#[test]
fn adagrad_first_step_is_bit_identical() {
    let (exact, total, _) = first_step("adagrad", |p| {
        Box::new(
            Adagrad::new(
                p,
                AdagradConfig {
                    lr: 0.1,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    });
    assert_eq!(exact, total);
}

#[test]
fn rmsprop_first_step_is_bit_identical() {
    let (exact, total, _) = first_step("rmsprop_momentum", |p| {
        Box::new(
            RMSprop::new(
                p,
                RmsPropConfig {
                    lr: 0.01,
                    momentum: 0.8,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    });
    assert_eq!(exact, total);
}

#[test]
fn adam_first_step_is_bit_identical() {
    let (exact, total, _) = first_step("adam", |p| {
        Box::new(
            Adam::new(
                p,
                AdamConfig {
                    lr: 0.1,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    });
    assert_eq!(exact, total);
}
