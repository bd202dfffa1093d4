//! Port of `../shared/scripts/names_rnn.py`: a recurrent character model of names (Embedding,
//! nn.LSTM / GRU / RNN, Linear) with Adam and gradient clipping; greedy generation carries the
//! recurrent state. The script's flags, defaults and output, plus `--data` (default: the repo's
//! data/names.txt); the Python and this port side by side: docs/08_scripts.md.
use tapegrad_examples::scripts as common;

use clap::{Parser, ValueEnum};
use common::{floats, main_with, positive, probability, Batches, InitArgs, ScriptError};
use serde_json::json;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tapegrad::nn::utils::clip_grad_norm_;
use tapegrad::nn::{Embedding, RecurrentLayer, RnnOptions, RnnState, GRU, LSTM, RNN};
use tapegrad::prelude::*;

#[derive(Module)]
#[module(no_forward)]
struct CharRNN {
    emb: Embedding,
    rnn: Box<dyn RecurrentLayer>,
    head: Linear,
}

impl CharRNN {
    fn new(vocab_size: usize, a: &Args) -> Self {
        let (e, h) = (a.n_embd, a.hidden);
        // Built in the script's order (emb, rnn, head): each draws its initial weights.
        let emb = Embedding::new(vocab_size, e);
        let opts = RnnOptions {
            num_layers: a.layers,
            batch_first: true,
            dropout: a.dropout,
            ..Default::default()
        };
        let rnn: Box<dyn RecurrentLayer> = match a.cell {
            Cell::Rnn => Box::new(RNN::with_options(e, h, opts)),
            Cell::Lstm => Box::new(LSTM::with_options(e, h, opts)),
            Cell::Gru => Box::new(GRU::with_options(e, h, opts)),
        };
        CharRNN {
            emb,
            rnn,
            head: Linear::new(h, vocab_size),
        }
    }

    fn forward(&self, idx: &Tensor<i64>, state: Option<&RnnState>) -> (Tensor, RnnState) {
        let (out, state) = self.rnn.forward_state(&self.emb.lookup(idx), state); // out: (B, T, hidden)
        (self.head.forward(&out), state)
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Cell {
    Lstm,
    Gru,
    Rnn,
}

/// A recurrent character model of names (LSTM, GRU or RNN).
#[derive(Parser)]
struct Args {
    #[arg(long, default_value_os_t = common::data_file("names.txt"))]
    data: PathBuf,
    #[arg(long, value_enum, default_value_t = Cell::Lstm)]
    cell: Cell,
    #[arg(long, default_value_t = 2, value_parser = positive)]
    layers: usize,
    #[arg(long, default_value_t = 300)]
    steps: usize,
    #[arg(long, default_value_t = 32, value_parser = positive)]
    batch_size: usize,
    #[arg(long, default_value_t = 24, value_parser = positive)]
    block_size: usize,
    #[arg(long, default_value_t = 16, value_parser = positive)]
    n_embd: usize,
    #[arg(long, default_value_t = 64, value_parser = positive)]
    hidden: usize,
    #[arg(long, default_value_t = 0.0, value_parser = probability)]
    dropout: f64,
    #[arg(long, default_value_t = 3e-3)]
    lr: f64,
    #[arg(long, default_value_t = 1.0)]
    grad_clip: f64,
    #[arg(long, value_enum, default_value_t = Batches::Random)]
    batches: Batches,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    io: InitArgs,
}

fn run(args: Args) -> Result<(), ScriptError> {
    let words = common::read_text(&args.data)?;
    let text = format!(".{}.", words.lines().collect::<Vec<_>>().join("."));
    let chars = common::vocabulary(&text); // '.' sorts before the letters
    let stoi = |c: char| chars.binary_search(&c).map_or(-1, |i| i as i64);
    let data: Vec<i64> = text.chars().map(stoi).collect();
    let n = (0.9 * data.len() as f64) as usize;
    let (train, val) = data.split_at(n);
    let (b, t) = (args.batch_size, args.block_size);
    if val.len() <= t || "aeiou".chars().any(|c| stoi(c) < 0) {
        let msg = format!(
            "needs names with a, e, i, o, u and over {t} (--block-size) validation characters"
        );
        return Err(ScriptError::Data(format!("{}: {msg}", args.data.display())));
    }
    let batch = |d, step, sequential| common::batch(d, b, t, step, sequential);

    manual_seed(args.seed);
    let model = CharRNN::new(chars.len(), &args);
    args.io.apply(&model)?;
    let mut opt = Adam::new(
        model.parameters(),
        AdamConfig {
            lr: args.lr,
            ..Default::default()
        },
    )?;
    let flat = |logits: &Tensor, y: &Tensor<i64>| {
        (
            logits.reshape(&[-1, chars.len() as isize]),
            y.reshape(&[-1]),
        )
    };

    let mut out = io::stdout().lock();
    let mut losses = vec![];
    model.train();
    for step in 0..args.steps {
        let (x, y) = batch(train, step, args.batches == Batches::Sequential);
        let (logits, _) = model.forward(&x, None);
        let (logits, y) = flat(&logits, &y);
        let loss = F::cross_entropy(&logits, &y, Reduction::Mean);
        opt.zero_grad();
        loss.backward();
        clip_grad_norm_(&model.parameters(), args.grad_clip, 2.0, false);
        opt.step();
        losses.push(loss.item());
        if step % 50 == 0 && !args.io.json {
            writeln!(out, "step {step}: loss {:.4}", loss.item())?;
        }
    }

    model.eval();
    let (val_loss, samples) = no_grad(|| {
        let mut val_loss = 0.0;
        for s in 0..8 {
            let (x, y) = batch(val, s, true);
            let (logits, y) = flat(&model.forward(&x, None).0, &y);
            val_loss += f64::from(F::cross_entropy(&logits, &y, Reduction::Mean).item()) / 8.0;
        }
        let mut samples = vec![];
        for first in "aeiou".chars() {
            let mut out = String::from(first);
            let start = Tensor::from_vec(vec![stoi('.'), stoi(first)], &[1, 2]);
            let (mut logits, mut state) = model.forward(&start, None);
            for _ in 0..20 {
                let ix = logits.i((0, -1)).argmax(None, false).item();
                if ix == stoi('.') {
                    break;
                }
                out.push(chars[ix as usize]);
                (logits, state) = model.forward(&Tensor::from_vec(vec![ix], &[1, 1]), Some(&state));
            }
            samples.push(out);
        }
        (val_loss, samples)
    });
    if args.io.json {
        let metrics = json!({"val_loss": val_loss});
        let fields = json!({"script": "names_rnn", "losses": floats(&losses), "metrics": metrics, "samples": samples});
        common::print_json(fields, &model.state_dict())?;
    } else {
        writeln!(out, "val loss {val_loss:.4}")?;
        writeln!(out, "{}", samples.join("\n"))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    main_with(|| run(Args::parse()))
}
