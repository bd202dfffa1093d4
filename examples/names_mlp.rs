//! Port of `../shared/scripts/names_mlp.py`: makemore's MLP language model of names (Bengio
//! et al. 2003): Embedding, Linear, BatchNorm1d, tanh, Linear; SGD with MultiStepLR; greedy
//! samples. The script's flags, defaults and output, plus `--data` (default: the repo's
//! data/names.txt); the Python and this port side by side: docs/08_scripts.md.
use tapegrad_examples::scripts as common;

use clap::Parser;
use common::{floats, main_with, positive, Batches, InitArgs, ScriptError};
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tapegrad::nn::{BatchNorm, Embedding};
use tapegrad::prelude::*;

#[derive(Module)]
#[module(no_forward)]
struct NameMLP {
    emb: Embedding,
    fc1: Linear,
    bn: BatchNorm,
    fc2: Linear,
}

impl NameMLP {
    fn new(vocab_size: usize, block_size: usize, n_embd: usize, n_hidden: usize) -> Self {
        NameMLP {
            emb: Embedding::new(vocab_size, n_embd),
            fc1: Linear::with_bias(block_size * n_embd, n_hidden, false),
            bn: BatchNorm::new_1d(n_hidden),
            fc2: Linear::new(n_hidden, vocab_size),
        }
    }

    fn forward(&self, idx: &Tensor<i64>) -> Tensor {
        let e = self.emb.lookup(idx); // [B, block, n_embd]
        let h = e.view(&[e.shape()[0] as isize, -1]); // concatenate the context's embeddings
        let h = self.bn.forward(&self.fc1.forward(&h)).tanh();
        self.fc2.forward(&h)
    }
}

fn build_dataset(
    words: &[&str],
    stoi: &BTreeMap<char, i64>,
    block_size: usize,
) -> (Tensor<i64>, Tensor<i64>) {
    let (mut x, mut y) = (vec![], vec![]);
    for w in words {
        let mut context = vec![0; block_size];
        for ch in w.chars().chain(['.']) {
            let ix = stoi[&ch];
            x.extend(&context);
            y.push(ix);
            context = [&context[1..], &[ix]].concat();
        }
    }
    let n = y.len();
    (
        Tensor::from_vec(x, &[n, block_size]),
        Tensor::from_vec(y, &[n]),
    )
}

/// A makemore-style MLP language model of names.
#[derive(Parser)]
struct Args {
    #[arg(long, default_value_os_t = common::data_file("names.txt"))]
    data: PathBuf,
    #[arg(long, default_value_t = 2000)]
    steps: usize,
    #[arg(long, default_value_t = 32, value_parser = positive)]
    batch_size: usize,
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    #[arg(long, default_value_t = 3, value_parser = positive)]
    block_size: usize,
    #[arg(long, default_value_t = 10, value_parser = positive)]
    n_embd: usize,
    #[arg(long, default_value_t = 200, value_parser = positive)]
    n_hidden: usize,
    #[arg(long, value_enum, default_value_t = Batches::Random)]
    batches: Batches,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    io: InitArgs,
}

fn run(args: Args) -> Result<(), ScriptError> {
    let text = common::read_text(&args.data)?;
    let words: Vec<&str> = text.lines().collect();
    let chars = common::vocabulary(&words.concat());
    let mut stoi: BTreeMap<char, i64> = chars.into_iter().zip(1..).collect();
    stoi.insert('.', 0);
    let itos: BTreeMap<i64, char> = stoi.iter().map(|(&s, &i)| (i, s)).collect();
    let train_words: Vec<&str> = words
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 != 0)
        .map(|(_, w)| *w)
        .collect();
    let val_words: Vec<&str> = words.iter().step_by(10).copied().collect();
    if train_words.is_empty() || "aeiou".chars().any(|c| !stoi.contains_key(&c)) {
        let msg = "needs at least two names and the letters a, e, i, o, u (names start with them)";
        return Err(ScriptError::Data(format!("{}: {msg}", args.data.display())));
    }
    let (xtr, ytr) = build_dataset(&train_words, &stoi, args.block_size);
    let (xva, yva) = build_dataset(&val_words, &stoi, args.block_size);

    manual_seed(args.seed);
    let model = NameMLP::new(stoi.len(), args.block_size, args.n_embd, args.n_hidden);
    args.io.apply(&model)?;
    let mut opt = SGD::new(
        model.parameters(),
        SgdConfig {
            lr: args.lr,
            ..Default::default()
        },
    )?;
    let mut sched = MultiStepLR::new(&mut opt, &[(0.75 * args.steps as f64) as usize], 0.1)?;

    let mut out = io::stdout().lock();
    let mut losses = vec![];
    let (n, b) = (xtr.shape()[0] as i64, args.batch_size as i64);
    for step in 0..args.steps {
        let ix = match args.batches {
            Batches::Random => Tensor::randint(0, n, &[args.batch_size]),
            Batches::Sequential => Tensor::from_vec(
                (0..b).map(|j| (j + step as i64 * b) % n).collect(),
                &[args.batch_size],
            ),
        };
        let logits = model.forward(&xtr.index_select(0, &ix));
        let loss = F::cross_entropy(&logits, ytr.index_select(0, &ix), Reduction::Mean);
        opt.zero_grad();
        loss.backward();
        opt.step();
        sched.step(&mut opt);
        losses.push(loss.item());
        if step % 200 == 0 && !args.io.json {
            writeln!(out, "{step:7}/{:7}: {:.4}", args.steps, loss.item())?;
        }
    }

    model.eval();
    let (train_loss, val_loss, samples) = no_grad(|| {
        let train_loss = F::cross_entropy(&model.forward(&xtr), &ytr, Reduction::Mean).item();
        let val_loss = F::cross_entropy(&model.forward(&xva), &yva, Reduction::Mean).item();
        let mut samples = vec![];
        for first in "aeiou".chars() {
            let mut context = [vec![0; args.block_size - 1], vec![stoi[&first]]].concat();
            let mut out = String::from(first);
            for _ in 0..20 {
                let x = Tensor::from_vec(context.clone(), &[1, args.block_size]);
                let ix = model.forward(&x).argmax(Some(1), false).item();
                if ix == 0 {
                    break;
                }
                out.push(itos[&ix]);
                context = [&context[1..], &[ix]].concat();
            }
            samples.push(out);
        }
        (train_loss, val_loss, samples)
    });
    if args.io.json {
        let metrics = json!({"train_loss": f64::from(train_loss), "val_loss": f64::from(val_loss)});
        let fields = json!({"script": "names_mlp", "losses": floats(&losses), "metrics": metrics, "samples": samples});
        common::print_json(fields, &model.state_dict())?;
    } else {
        writeln!(out, "train {train_loss:.4}  val {val_loss:.4}")?;
        writeln!(out, "{}", samples.join("\n"))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    main_with(|| run(Args::parse()))
}
