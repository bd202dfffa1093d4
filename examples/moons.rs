//! Port of `../shared/scripts/moons.py`, micrograd's demo: a 2-16-16-1 ReLU MLP separates
//! two moons with the SVM max-margin loss plus L2 regularisation, full-batch gradient descent
//! with a decaying rate. The script's flags, defaults and output, plus `--data` (default: the
//! repo's data/moons.csv); the Python and this port side by side: docs/08_scripts.md.
use tapegrad_examples::scripts as common;

use clap::Parser;
use common::{floats, main_with, pyfmt::py_float, InitArgs, ScriptError};
use serde_json::json;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tapegrad::prelude::*;

/// micrograd's moons demo: an MLP with the SVM max-margin loss.
#[derive(Parser)]
struct Args {
    /// CSV with columns x1,x2,label (label -1 or +1).
    #[arg(long, default_value_os_t = common::data_file("moons.csv"))]
    data: PathBuf,
    #[arg(long, default_value_t = 100)]
    steps: usize,
    #[arg(long, default_value_t = 1e-4)]
    alpha: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    io: InitArgs,
}

fn run(args: Args) -> Result<(), ScriptError> {
    let rows = common::read_csv(&args.data, &["x1", "x2", "label"])?;
    let x = Tensor::from_vec(
        rows.iter().flat_map(|r| [r[0], r[1]]).collect(),
        &[rows.len(), 2],
    );
    let y = Tensor::from_vec(rows.iter().map(|r| r[2]).collect(), &[rows.len()]);

    manual_seed(args.seed);
    let model = Sequential::new()
        .add(Linear::new(2, 16))
        .add(ReLU::new())
        .add(Linear::new(16, 16))
        .add(ReLU::new())
        .add(Linear::new(16, 1));
    args.io.apply(&model)?;

    let mut out = io::stdout().lock();
    let (mut losses, mut accs) = (vec![], vec![]);
    for k in 0..args.steps {
        let scores = model.forward(&x).squeeze(-1);
        let data_loss = F::relu(&(1.0 + &(-&y * &scores))).mean(); // svm "max-margin" loss
        let reg_loss = args.alpha as f32
            * model
                .parameters()
                .iter()
                .map(|p| (p * p).sum())
                .reduce(|a, b| a + b)
                .unwrap();
        let loss = data_loss + reg_loss;
        let acc = y.gt(0.0).eq(scores.gt(0.0)).float().mean();
        losses.push(loss.item());
        accs.push(acc.item());
        if !args.io.json {
            let (l, a) = (
                py_float(loss.item().into()),
                py_float(f64::from(acc.item()) * 100.0),
            );
            writeln!(out, "step {k} loss {l}, accuracy {a}%")?;
        }
        model.zero_grad();
        loss.backward();
        let learning_rate = (1.0 - 0.9 * k as f64 / 100.0) as f32;
        no_grad(|| {
            for p in model.parameters() {
                p.sub_(&(learning_rate * &p.grad().expect("every parameter is used")));
            }
        });
    }

    if args.io.json {
        let fields = json!({"script": "moons", "losses": floats(&losses), "metrics": {"accuracy": floats(&accs)}});
        common::print_json(fields, &model.state_dict())?;
    }
    Ok(())
}

fn main() -> ExitCode {
    main_with(|| run(Args::parse()))
}
