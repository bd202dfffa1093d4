//! Port of `../shared/scripts/digits_cnn.py`: a small CNN on the 8x8 UCI digits (Conv2d,
//! BatchNorm2d, MaxPool2d, Dropout, label smoothing, AdamW, a per-batch schedule, DataLoader,
//! train/eval). The script's flags, defaults and output, plus `--data` (default: the repo's
//! data/digits.csv); the Python and this port side by side: docs/08_scripts.md.
use tapegrad_examples::scripts as common;

use clap::{Parser, ValueEnum};
use common::{floats, main_with, positive, probability, InitArgs, ScriptError};
use serde_json::json;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tapegrad::nn::{BatchNorm, Conv2d, ConvOptions, Dropout, MaxPool2d};
use tapegrad::prelude::*;

#[rustfmt::skip] // the layers in rows, as the script writes them
fn build(dropout: f64) -> Sequential {
    let conv = |i, o| Conv2d::with_options(i, o, [3, 3], ConvOptions::default().padding(1));
    sequential![
        conv(1, 16), BatchNorm::new_2d(16), ReLU::new(), MaxPool2d::new(2),
        conv(16, 32), BatchNorm::new_2d(32), ReLU::new(), MaxPool2d::new(2),
        Flatten::new(), Dropout::new(dropout), Linear::new(32 * 2 * 2, 10)]
}

#[derive(Clone, Copy, ValueEnum)]
enum Scheduler {
    Cosine,
    Onecycle,
}

/// `CosineAnnealingLR(opt, T_max=total)` or `OneCycleLR(opt, max_lr=lr, total_steps=total)`.
fn scheduler(a: &Args, opt: &mut AdamW, total: usize) -> Result<Box<dyn LRScheduler>, ScriptError> {
    match a.scheduler {
        Scheduler::Cosine => Ok(Box::new(CosineAnnealingLR::new(opt, total, 0.0)?)),
        Scheduler::Onecycle => Ok(Box::new(OneCycleLR::new(opt, a.lr, total)?)),
    }
}

/// A small CNN on the 8x8 UCI digits.
#[derive(Parser)]
struct Args {
    #[arg(long, default_value_os_t = common::data_file("digits.csv"))]
    data: PathBuf,
    #[arg(long, default_value_t = 5, value_parser = positive)]
    epochs: usize,
    #[arg(long, default_value_t = 64, value_parser = positive)]
    batch_size: usize,
    #[arg(long, default_value_t = 3e-3)]
    lr: f64,
    #[arg(long, default_value_t = 1e-2)]
    weight_decay: f64,
    #[arg(long, default_value_t = 0.25, value_parser = probability)]
    dropout: f64,
    #[arg(long, default_value_t = 0.1, value_parser = probability)]
    label_smoothing: f64,
    #[arg(long, value_enum, default_value_t = Scheduler::Cosine)]
    scheduler: Scheduler,
    #[arg(long)]
    no_shuffle: bool,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    io: InitArgs,
}

fn run(args: Args) -> Result<(), ScriptError> {
    let rows = common::read_csv(&args.data, &[])?; // every column: p0..p63, label
    let digit = |v: f32| (0.0..10.0).contains(&v) && v.fract() == 0.0;
    if let Some(r) = rows.iter().find(|r| r.len() != 65 || !digit(r[64])) {
        let msg = format!(
            "{}: rows are 64 pixels and a label 0-9, got {r:?}",
            args.data.display()
        );
        return Err(ScriptError::Data(msg));
    }
    let pixels: Vec<f32> = rows.iter().flat_map(|r| r[..64].to_vec()).collect();
    let pixels = Tensor::from_vec(pixels, &[rows.len(), 64]) / 16.0;
    let labels = Tensor::from_vec(rows.iter().map(|r| r[64] as i64).collect(), &[rows.len()]);
    let images = pixels.reshape(&[-1, 1, 8, 8]);
    let (test, train): (Vec<i64>, Vec<i64>) = (0..rows.len() as i64).partition(|i| i % 5 == 0);
    let [test, train] = [test, train].map(|ix| Tensor::from_vec(ix.clone(), &[ix.len()]));
    let rows_of = |t: &Tensor, ix| t.index_select(0, ix);
    let train_ds =
        TensorDataset::from_tensors((rows_of(&images, &train), labels.index_select(0, &train)));
    let (x_test, y_test) = (rows_of(&images, &test), labels.index_select(0, &test));

    manual_seed(args.seed);
    let model = build(args.dropout);
    args.io.apply(&model)?;
    let loader = DataLoader::new(&train_ds, args.batch_size);
    let loader = if args.no_shuffle {
        loader
    } else {
        loader.shuffled()
    };
    let loss_fn = CrossEntropyLoss::new().label_smoothing(args.label_smoothing);
    let config = AdamWConfig {
        lr: args.lr,
        weight_decay: args.weight_decay,
        ..Default::default()
    };
    let mut opt = AdamW::new(model.parameters(), config)?;
    let total = args.epochs * loader.len();
    let mut sched = scheduler(&args, &mut opt, total)?;

    let mut out = io::stdout().lock();
    let (mut losses, mut test_acc) = (vec![], vec![]);
    for epoch in 0..args.epochs {
        model.train();
        for (xb, yb) in loader.iter() {
            let loss = loss_fn.forward(&model.forward(&xb), &yb);
            opt.zero_grad();
            loss.backward();
            opt.step();
            sched.step(&mut opt);
            losses.push(loss.item());
        }
        model.eval();
        let pred = no_grad(|| model.forward(&x_test).argmax(Some(1), false));
        let acc = pred.eq(&y_test).float().mean().item();
        test_acc.push(acc);
        if !args.io.json {
            let last = losses[losses.len() - 1];
            writeln!(
                out,
                "epoch {}: last loss {last:.4}, test accuracy {acc:.4}",
                epoch + 1
            )?;
        }
    }

    if args.io.json {
        let fields = json!({"script": "digits_cnn", "losses": floats(&losses), "metrics": {"test_accuracy": floats(&test_acc)}});
        common::print_json(fields, &model.state_dict())?;
    }
    Ok(())
}

fn main() -> ExitCode {
    main_with(|| run(Args::parse()))
}
