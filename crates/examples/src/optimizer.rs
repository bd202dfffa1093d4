//! The optimizer `sigmoid_net`'s flags describe: PyTorch's class with the lecture's defaults
//! (SGD 0.1 with momentum 0.6, Adagrad 0.1, RMSprop 0.01 with momentum 0.8, Adam 0.1) and
//! PyTorch's for every other option; an option the optimizer does not have is a usage error.

use crate::cli::{Cli, OptimizerKind};
use crate::parse::{Betas, Pair};
use crate::AppError;
use tapegrad_autograd::Tensor;
use tapegrad_optim::{
    Adadelta, AdadeltaConfig, Adagrad, AdagradConfig, Adam, AdamConfig, AdamW, AdamWConfig, Adamax,
    AdamaxConfig, AsgdConfig, NAdam, NAdamConfig, Optimizer, RAdam, RAdamConfig, RMSprop,
    RmsPropConfig, Rprop, RpropConfig, SgdConfig, ASGD, SGD,
};

/// Refuses options the chosen optimizer does not have (PyTorch: an unexpected keyword argument).
fn check_applicable(cli: &Cli) -> Result<(), AppError> {
    use OptimizerKind::*;
    let given: [(&str, bool, &[OptimizerKind]); 18] = [
        ("--momentum", cli.momentum.is_some(), &[Sgd, Rmsprop]),
        ("--dampening", cli.dampening.is_some(), &[Sgd]),
        ("--nesterov", cli.nesterov, &[Sgd]),
        ("--alpha", cli.alpha.is_some(), &[Rmsprop, Asgd]),
        (
            "--eps",
            cli.eps.is_some(),
            &[
                Adagrad, Rmsprop, Adam, Adamw, Adamax, Nadam, Radam, Adadelta,
            ],
        ),
        ("--centered", cli.centered, &[Rmsprop]),
        (
            "--betas",
            cli.betas.is_some(),
            &[Adam, Adamw, Adamax, Nadam, Radam],
        ),
        ("--amsgrad", cli.amsgrad, &[Adam, Adamw]),
        (
            "--weight-decay",
            cli.weight_decay.is_some(),
            &[
                Sgd, Adagrad, Rmsprop, Adam, Adamw, Adamax, Nadam, Radam, Adadelta, Asgd,
            ],
        ),
        ("--momentum-decay", cli.momentum_decay.is_some(), &[Nadam]),
        (
            "--decoupled-weight-decay",
            cli.decoupled_weight_decay,
            &[Nadam, Radam],
        ),
        ("--rho", cli.rho.is_some(), &[Adadelta]),
        ("--etas", cli.etas.is_some(), &[Rprop]),
        ("--step-sizes", cli.step_sizes.is_some(), &[Rprop]),
        ("--lambd", cli.lambd.is_some(), &[Asgd]),
        ("--t0", cli.t0.is_some(), &[Asgd]),
        ("--lr-decay", cli.lr_decay.is_some(), &[Adagrad]),
        (
            "--initial-accumulator-value",
            cli.initial_accumulator_value.is_some(),
            &[Adagrad],
        ),
    ];
    for (flag, is_given, valid) in given {
        if is_given && !valid.contains(&cli.optimizer) {
            let names: Vec<&str> = valid.iter().map(|k| k.flag()).collect();
            return Err(AppError::Usage(format!(
                "{flag} is not an option of --optimizer {} (it applies to: {})",
                cli.optimizer.flag(),
                names.join(", ")
            )));
        }
    }
    Ok(())
}

/// The optimizer the options describe, over `params` (PyTorch's validation errors become usage
/// errors).
pub fn build_optimizer(cli: &Cli, params: Vec<Tensor>) -> Result<Box<dyn Optimizer>, AppError> {
    check_applicable(cli)?;
    let lr = cli.lr.unwrap_or(cli.optimizer.default_lr());
    let betas = cli.betas.map(|Betas(b1, b2)| (b1, b2));
    Ok(match cli.optimizer {
        OptimizerKind::Sgd => {
            let d = SgdConfig::default();
            Box::new(SGD::new(
                params,
                SgdConfig {
                    lr,
                    momentum: cli.momentum.unwrap_or(0.6),
                    dampening: cli.dampening.unwrap_or(d.dampening),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    nesterov: cli.nesterov,
                    maximize: false,
                },
            )?)
        }
        OptimizerKind::Adagrad => {
            let d = AdagradConfig::default();
            Box::new(Adagrad::new(
                params,
                AdagradConfig {
                    lr,
                    lr_decay: cli.lr_decay.unwrap_or(d.lr_decay),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    initial_accumulator_value: cli
                        .initial_accumulator_value
                        .unwrap_or(d.initial_accumulator_value),
                    eps: cli.eps.unwrap_or(d.eps),
                    maximize: false,
                },
            )?)
        }
        OptimizerKind::Rmsprop => {
            let d = RmsPropConfig::default();
            Box::new(RMSprop::new(
                params,
                RmsPropConfig {
                    lr,
                    alpha: cli.alpha.unwrap_or(d.alpha),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    momentum: cli.momentum.unwrap_or(0.8),
                    centered: cli.centered,
                    maximize: false,
                },
            )?)
        }
        OptimizerKind::Adam => {
            let d = AdamConfig::default();
            Box::new(Adam::new(
                params,
                AdamConfig {
                    lr,
                    betas: betas.unwrap_or(d.betas),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    amsgrad: cli.amsgrad,
                    ..d
                },
            )?)
        }
        OptimizerKind::Adamw => {
            let d = AdamWConfig::default();
            Box::new(AdamW::new(
                params,
                AdamWConfig {
                    lr,
                    betas: betas.unwrap_or(d.betas),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    amsgrad: cli.amsgrad,
                    maximize: false,
                },
            )?)
        }
        OptimizerKind::Adamax => {
            let d = AdamaxConfig::default();
            Box::new(Adamax::new(
                params,
                AdamaxConfig {
                    lr,
                    betas: betas.unwrap_or(d.betas),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    ..d
                },
            )?)
        }
        OptimizerKind::Nadam => {
            let d = NAdamConfig::default();
            Box::new(NAdam::new(
                params,
                NAdamConfig {
                    lr,
                    betas: betas.unwrap_or(d.betas),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    momentum_decay: cli.momentum_decay.unwrap_or(d.momentum_decay),
                    decoupled_weight_decay: cli.decoupled_weight_decay,
                    ..d
                },
            )?)
        }
        OptimizerKind::Radam => {
            let d = RAdamConfig::default();
            Box::new(RAdam::new(
                params,
                RAdamConfig {
                    lr,
                    betas: betas.unwrap_or(d.betas),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    decoupled_weight_decay: cli.decoupled_weight_decay,
                    ..d
                },
            )?)
        }
        OptimizerKind::Adadelta => {
            let d = AdadeltaConfig::default();
            Box::new(Adadelta::new(
                params,
                AdadeltaConfig {
                    lr,
                    rho: cli.rho.unwrap_or(d.rho),
                    eps: cli.eps.unwrap_or(d.eps),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    ..d
                },
            )?)
        }
        OptimizerKind::Rprop => {
            let d = RpropConfig::default();
            Box::new(Rprop::new(
                params,
                RpropConfig {
                    lr,
                    etas: cli.etas.map_or(d.etas, |Pair(a, b)| (a, b)),
                    step_sizes: cli.step_sizes.map_or(d.step_sizes, |Pair(a, b)| (a, b)),
                    ..d
                },
            )?)
        }
        OptimizerKind::Asgd => {
            let d = AsgdConfig::default();
            Box::new(ASGD::new(
                params,
                AsgdConfig {
                    lr,
                    lambd: cli.lambd.unwrap_or(d.lambd),
                    alpha: cli.alpha.unwrap_or(d.alpha),
                    t0: cli.t0.unwrap_or(d.t0),
                    weight_decay: cli.weight_decay.unwrap_or(d.weight_decay),
                    ..d
                },
            )?)
        }
    })
}

/// The lecture's optimizer `kind` with the lecture's settings: `sigmoid_net --optimizer KIND`
/// and no other flag (`SGD(lr=0.1, momentum=0.6)`, `Adagrad(lr=0.1)`, `RMSprop(lr=0.01,
/// momentum=0.8)`, `Adam(lr=0.1)`; PyTorch's defaults for the other classes).
pub fn lecture_optimizer(kind: OptimizerKind, params: Vec<Tensor>) -> Box<dyn Optimizer> {
    let mut cli = <Cli as clap::Parser>::parse_from(["sigmoid_net"]);
    cli.optimizer = kind;
    build_optimizer(&cli, params).expect("the lecture's settings are valid")
}

/// `torch.optim.SGD([w], lr=lr)`: plain gradient descent on one tensor, `w -= lr * dL/dw`
/// (`learning_rates`' and `feature_scaling`'s optimizer).
pub fn plain_sgd<T: tapegrad::prelude::Element>(w: &Tensor<T>, lr: f64) -> SGD<T> {
    let config = SgdConfig {
        lr,
        ..Default::default()
    };
    SGD::new([w.clone()], config).expect("a positive learning rate is a valid SGD config")
}
