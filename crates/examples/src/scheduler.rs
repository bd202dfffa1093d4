//! The learning-rate scheduler `--scheduler` describes, built with PyTorch's defaults for the
//! keywords not given.

use crate::parse::{KwValue, SchedulerSpec};
use crate::AppError;
use tapegrad_optim::{
    AnnealStrategy, ConstantLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR,
    CyclicLRConfig, CyclicMode, ExponentialLR, LRScheduler, LinearLR, MultiStepLR, OneCycleLR,
    OneCycleLRConfig, Optimizer, PolynomialLR, StepLR,
};

/// The scheduler `--scheduler` describes, attached to `optimizer`.
pub fn build_scheduler(
    spec: &SchedulerSpec,
    optimizer: &mut dyn Optimizer,
    epochs: usize,
) -> Result<Box<dyn LRScheduler>, AppError> {
    Ok(match *spec {
        SchedulerSpec::Class { class, ref kwargs } => {
            build_class_scheduler(class, kwargs, optimizer, epochs)?
        }
        SchedulerSpec::Step { step_size, gamma } => {
            Box::new(StepLR::new(optimizer, step_size, gamma)?)
        }
        SchedulerSpec::Exp { gamma } => Box::new(ExponentialLR::new(optimizer, gamma)?),
    })
}

/// `CLASS:key=value,...` built with PyTorch's defaults for the keywords not given.
fn build_class_scheduler(
    class: &str,
    kwargs: &[(&'static str, KwValue)],
    opt: &mut dyn Optimizer,
    epochs: usize,
) -> Result<Box<dyn LRScheduler>, AppError> {
    let get = |k: &str| kwargs.iter().find(|(n, _)| *n == k).map(|(_, v)| v);
    let num = |k: &str, default: f64| match get(k) {
        Some(KwValue::Num(v)) => *v,
        _ => default,
    };
    let int = |k: &str, default: usize| match get(k) {
        Some(KwValue::Num(v)) => *v as usize,
        _ => default,
    };
    let opt_int = |k: &str| match get(k) {
        Some(KwValue::Num(v)) => Some(*v as usize),
        _ => None,
    };
    let flag = |k: &str, default: bool| match get(k) {
        Some(KwValue::Bool(b)) => *b,
        _ => default,
    };
    let word = |k: &str| match get(k) {
        Some(KwValue::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    Ok(match class {
        "StepLR" => Box::new(StepLR::new(opt, int("step_size", 0), num("gamma", 0.1))?),
        "MultiStepLR" => {
            let milestones: Vec<usize> = match get("milestones") {
                Some(KwValue::List(v)) => v.iter().map(|m| *m as usize).collect(),
                _ => Vec::new(),
            };
            Box::new(MultiStepLR::new(opt, &milestones, num("gamma", 0.1))?)
        }
        "ExponentialLR" => Box::new(ExponentialLR::new(opt, num("gamma", 0.0))?),
        "CosineAnnealingLR" => Box::new(CosineAnnealingLR::new(
            opt,
            int("T_max", 0),
            num("eta_min", 0.0),
        )?),
        "LinearLR" => Box::new(LinearLR::new(
            opt,
            num("start_factor", 1.0 / 3.0),
            num("end_factor", 1.0),
            int("total_iters", 5),
        )?),
        "ConstantLR" => Box::new(ConstantLR::new(
            opt,
            num("factor", 1.0 / 3.0),
            int("total_iters", 5) as u64,
        )?),
        "PolynomialLR" => Box::new(PolynomialLR::new(
            opt,
            int("total_iters", 5) as u64,
            num("power", 1.0),
        )?),
        "CosineAnnealingWarmRestarts" => Box::new(CosineAnnealingWarmRestarts::new(
            opt,
            int("T_0", 0) as u64,
            int("T_mult", 1) as u64,
            num("eta_min", 0.0),
        )?),
        "OneCycleLR" => {
            let d = OneCycleLRConfig::default();
            let c = OneCycleLRConfig {
                max_lr: num("max_lr", 0.0),
                total_steps: opt_int("total_steps"),
                epochs: opt_int("epochs"),
                steps_per_epoch: opt_int("steps_per_epoch"),
                pct_start: num("pct_start", d.pct_start),
                anneal_strategy: match word("anneal_strategy") {
                    Some("linear") => AnnealStrategy::Linear,
                    _ => AnnealStrategy::Cos,
                },
                cycle_momentum: flag("cycle_momentum", d.cycle_momentum),
                base_momentum: num("base_momentum", d.base_momentum),
                max_momentum: num("max_momentum", d.max_momentum),
                div_factor: num("div_factor", d.div_factor),
                final_div_factor: num("final_div_factor", d.final_div_factor),
                three_phase: flag("three_phase", d.three_phase),
                ..d
            };
            let total = c.total_steps.or(c
                .epochs
                .zip(c.steps_per_epoch)
                .map(|(e, s)| e.saturating_mul(s)));
            if total.is_some_and(|t| t < epochs) {
                return Err(AppError::Usage(format!(
                    "OneCycleLR covers {} steps but --epochs is {epochs} (the scheduler steps \
                     once per epoch; PyTorch raises past total_steps): give total_steps={epochs}",
                    total.unwrap_or(0)
                )));
            }
            Box::new(OneCycleLR::with_config(opt, c)?)
        }
        "CyclicLR" => {
            let d = CyclicLRConfig::default();
            let c = CyclicLRConfig {
                base_lr: num("base_lr", 0.0),
                max_lr: num("max_lr", 0.0),
                step_size_up: int("step_size_up", d.step_size_up as usize) as u64,
                step_size_down: opt_int("step_size_down").map(|v| v as u64),
                mode: match word("mode") {
                    Some("triangular2") => CyclicMode::Triangular2,
                    Some("exp_range") => CyclicMode::ExpRange {
                        gamma: num("gamma", 1.0),
                    },
                    _ => CyclicMode::Triangular,
                },
                cycle_momentum: flag("cycle_momentum", d.cycle_momentum),
                base_momentum: num("base_momentum", d.base_momentum),
                max_momentum: num("max_momentum", d.max_momentum),
            };
            Box::new(CyclicLR::new(opt, c)?)
        }
        other => unreachable!("--scheduler accepted an unknown class {other}"),
    })
}
