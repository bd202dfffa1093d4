//! Port of `../shared/scripts/polynomial.py`: fit y = sin(x) with a third-order polynomial,
//! the five steps of PyTorch's tutorial "Learning PyTorch with Examples", one `--variant` each.
//! The script's flags, defaults and output, plus `--init`, `--save-init` and `--json`; the
//! Python and this port side by side: docs/08_scripts.md.
use tapegrad_examples::scripts as common;

use clap::{Parser, ValueEnum};
use common::{floats, main_with, pyfmt::py_float, InitArgs, ScriptError};
use serde_json::json;
use std::f32::consts::PI;
use std::io::{self, Write};
use std::process::ExitCode;
use tapegrad::autograd::function::{apply, Function, FunctionCtx};
use tapegrad::prelude::*;

/// A custom module with four scalar parameters (the tutorial's `Polynomial3`); the autograd
/// and custom_function variants keep their a, b, c, d in it too.
#[derive(Module)]
struct Polynomial3 {
    #[module(param)]
    a: Tensor,
    #[module(param)]
    b: Tensor,
    #[module(param)]
    c: Tensor,
    #[module(param)]
    d: Tensor,
}

impl Polynomial3 {
    fn new([a, b, c, d]: [Tensor; 4]) -> Self {
        let p = |t: Tensor| t.requires_grad_(true);
        Polynomial3 {
            a: p(a),
            b: p(b),
            c: p(c),
            d: p(d),
        }
    }
    fn forward(&self, x: &Tensor) -> Tensor {
        &self.a + &(&self.b * x) + &self.c * &x.pow(2) + &self.d * &x.pow(3)
    }
}

/// P3(x) = 1/2 (5x^3 - 3x), with its derivative 3/2 (5x^2 - 1) written by hand.
struct LegendrePolynomial3;
impl Function<f32> for LegendrePolynomial3 {
    fn forward(&self, ctx: &mut FunctionCtx<f32>, inputs: &[Tensor]) -> Tensor {
        let input = &inputs[0];
        ctx.save_for_backward(&[input]);
        0.5 * (5.0 * input.pow(3) - 3.0 * input)
    }
    fn backward(&self, ctx: &FunctionCtx<f32>, grad_output: &Tensor) -> Vec<Option<Tensor>> {
        let input = &ctx.saved_tensors()[0];
        vec![Some(grad_output * 1.5 * (5.0 * input.pow(2) - 1.0))]
    }
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
#[value(rename_all = "snake_case")]
enum Variant {
    Autograd,
    Nn,
    Optim,
    Module,
    CustomFunction,
}

/// Fit y = sin(x) with a third-order polynomial (PyTorch's "Learning PyTorch with Examples").
#[derive(Parser)]
struct Args {
    #[arg(long, value_enum)]
    variant: Variant,
    #[arg(long, default_value_t = 2000)]
    steps: usize,
    /// Default: 1e-6 (5e-6 for custom_function, 1e-3 for optim).
    #[arg(long)]
    lr: Option<f64>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    io: InitArgs,
}

fn run(args: Args) -> Result<(), ScriptError> {
    let default_lr = match args.variant {
        Variant::CustomFunction => 5e-6,
        Variant::Optim => 1e-3,
        _ => 1e-6,
    };
    let lr = args.lr.unwrap_or(default_lr) as f32;
    manual_seed(args.seed);
    let mut out = io::stdout().lock();

    let x = Tensor::linspace(-PI, PI, 2000);
    let y = x.sin();
    let mut losses = vec![];

    let final_state = if matches!(args.variant, Variant::Autograd | Variant::CustomFunction) {
        let params = if args.variant == Variant::Autograd {
            Polynomial3::new([(); 4].map(|_| Tensor::randn(&[])))
        } else {
            // the tutorial starts this one near the solution
            Polynomial3::new([0.0, -1.0, 0.0, 0.3].map(Tensor::scalar))
        };
        args.io.apply(&params)?;
        let Polynomial3 { a, b, c, d } = &params;
        for t in 0..args.steps {
            let y_pred = if args.variant == Variant::Autograd {
                a + &(b * &x) + c * &x.pow(2) + d * &x.pow(3)
            } else {
                a + &(b * &apply(LegendrePolynomial3, &[&(c + &(d * &x))]))
            };
            let loss = (&y_pred - &y).pow(2).sum();
            losses.push(loss.item());
            if t % 100 == 99 && !args.io.json {
                writeln!(out, "{t} {}", py_float(loss.item().into()))?;
            }
            loss.backward();
            no_grad(|| {
                for p in params.parameters() {
                    p.sub_(&(lr * &p.grad().expect("every parameter is used")));
                    p.set_grad(None);
                }
            });
        }
        params.state_dict()
    } else {
        let (model, inp): (Box<dyn Module>, Tensor) = if args.variant == Variant::Module {
            let model = Polynomial3::new([(); 4].map(|_| Tensor::randn(&[])));
            (Box::new(model), x.clone())
        } else {
            let p = Tensor::from_vec(vec![1.0, 2.0, 3.0], &[3]);
            let inp = x.unsqueeze(-1).pow_tensor(&p); // [2000, 3]: x, x^2, x^3
            let model = Sequential::new()
                .add(Linear::new(3, 1))
                .add(Flatten::with_dims(0, 1));
            (Box::new(model), inp)
        };
        args.io.apply(&model)?;
        let loss_fn = MSELoss::with_reduction(Reduction::Sum);
        let mut optimizer: Option<Box<dyn Optimizer>> = match args.variant {
            Variant::Optim => Some(Box::new(RMSprop::new(
                model.parameters(),
                RmsPropConfig {
                    lr: lr.into(),
                    ..Default::default()
                },
            )?)),
            Variant::Module => Some(Box::new(SGD::new(
                model.parameters(),
                SgdConfig {
                    lr: lr.into(),
                    ..Default::default()
                },
            )?)),
            _ => None,
        };
        for t in 0..args.steps {
            let y_pred = model.forward(&inp);
            let loss = loss_fn.forward(&y_pred, &y);
            losses.push(loss.item());
            if t % 100 == 99 && !args.io.json {
                writeln!(out, "{t} {}", py_float(loss.item().into()))?;
            }
            if let Some(optimizer) = optimizer.as_mut() {
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            } else {
                model.zero_grad();
                loss.backward();
                no_grad(|| {
                    for param in model.parameters() {
                        param.sub_(&(lr * &param.grad().expect("every parameter is used")));
                    }
                });
            }
        }
        model.state_dict()
    };

    if args.io.json {
        let variant = args
            .variant
            .to_possible_value()
            .expect("no skipped variants");
        let fields = json!({"script": "polynomial", "variant": variant.get_name(), "losses": floats(&losses)});
        common::print_json(fields, &final_state)?;
    } else {
        let items: Vec<String> = final_state
            .iter()
            .map(|(k, v)| {
                let values: Vec<String> = v.to_vec().iter().map(|&x| py_float(x.into())).collect();
                format!("'{k}': [{}]", values.join(", "))
            })
            .collect();
        writeln!(out, "Result: {{{}}}", items.join(", "))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    main_with(|| run(Args::parse()))
}
