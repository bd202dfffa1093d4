//! Port of `../shared/scripts/char_gpt.py`: a nanoGPT-style character transformer (causal
//! self-attention written out or nn.MultiheadAttention, tied head, AdamW with two parameter
//! groups, LambdaLR warm-up + cosine, clipping, greedy generation). The script's flags, defaults
//! and output, plus `--data` (default: the repo's data/paradise_lost.txt); docs/08_scripts.md.
#![allow(clippy::upper_case_acronyms)] // PyTorch's class names: MLP, GPT
use tapegrad_examples::scripts as common;

use clap::{Parser, ValueEnum};
use common::{floats, main_with, positive, probability, Batches, InitArgs, ScriptError};
use serde_json::json;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tapegrad::nn::utils::clip_grad_norm_;
use tapegrad::nn::{Dropout, Embedding, LayerNorm, ModuleList, GELU};
use tapegrad::prelude::*;
use tapegrad_examples::scripts::attention::ModuleSelfAttention;

#[derive(Module)]
struct CausalSelfAttention {
    c_attn: Linear,
    c_proj: Linear,
    attn_dropout: Dropout,
    resid_dropout: Dropout,
    #[module(buffer, persistent = false)]
    mask: Tensor,
    #[module(skip)]
    n_head: usize,
}

impl CausalSelfAttention {
    fn new(a: &Args) -> Self {
        let (e, bs) = (a.n_embd, a.block_size as isize);
        CausalSelfAttention {
            c_attn: Linear::new(e, 3 * e),
            c_proj: Linear::new(e, e),
            attn_dropout: Dropout::new(a.dropout),
            resid_dropout: Dropout::new(a.dropout),
            mask: Tensor::ones(&[a.block_size; 2])
                .tril(0)
                .view(&[1, 1, bs, bs]),
            n_head: a.n_head,
        }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let [b, t, c] = [0, 1, 2].map(|d| x.shape()[d] as isize);
        let nh = self.n_head as isize;
        let qkv = self.c_attn.forward(x).split(c as usize, 2);
        let heads = |z: &Tensor| z.view(&[b, t, nh, c / nh]).transpose(1, 2); // (B, nh, T, hs)
        let (q, k, v) = (heads(&qkv[0]), heads(&qkv[1]), heads(&qkv[2]));
        let att = q.matmul(&k.transpose(-2, -1)) * (1.0 / (k.shape()[3] as f64).sqrt()) as f32;
        let att = att.masked_fill(&self.mask.i((.., .., ..t, ..t)).eq(0.0), f32::NEG_INFINITY);
        let att = self.attn_dropout.forward(&F::softmax(&att, -1));
        let y = att.matmul(&v); // (B, nh, T, hs)
        let y = y.transpose(1, 2).contiguous().view(&[b, t, c]);
        self.resid_dropout.forward(&self.c_proj.forward(&y))
    }
}

#[derive(Module)]
struct MLP {
    c_fc: Linear,
    gelu: GELU,
    c_proj: Linear,
    dropout: Dropout,
}

impl MLP {
    fn forward(&self, x: &Tensor) -> Tensor {
        let h = self.gelu.forward(&self.c_fc.forward(x));
        self.dropout.forward(&self.c_proj.forward(&h))
    }
}

#[derive(Module)]
struct Block {
    ln_1: LayerNorm,
    attn: Box<dyn Module>,
    ln_2: LayerNorm,
    mlp: MLP,
}

impl Block {
    fn new(a: &Args) -> Self {
        let (e, p) = (a.n_embd, a.dropout);
        Block {
            ln_1: LayerNorm::new(&[e]),
            attn: match a.attention {
                Attention::Manual => Box::new(CausalSelfAttention::new(a)),
                Attention::Module => Box::new(ModuleSelfAttention::new(e, a.n_head, p)),
            },
            ln_2: LayerNorm::new(&[e]),
            mlp: MLP {
                c_fc: Linear::new(e, 4 * e),
                gelu: GELU::new(),
                c_proj: Linear::new(4 * e, e),
                dropout: Dropout::new(p),
            },
        }
    }

    fn forward(&self, x: &Tensor) -> Tensor {
        let x = x + &self.attn.forward(&self.ln_1.forward(x));
        &x + &self.mlp.forward(&self.ln_2.forward(&x))
    }
}

/// `nn.ModuleDict(dict(wte=..., wpe=..., drop=..., h=..., ln_f=...))`, with typed fields.
#[derive(Module)]
#[module(no_forward)]
struct Transformer {
    wte: Embedding,
    wpe: Embedding,
    drop: Dropout,
    h: ModuleList<Block>,
    ln_f: LayerNorm,
}

#[derive(Module)]
#[module(no_forward)]
struct GPT {
    transformer: Transformer,
    lm_head: Linear,
}

impl GPT {
    fn new(vocab_size: usize, a: &Args) -> Self {
        let mut transformer = Transformer {
            wte: Embedding::new(vocab_size, a.n_embd),
            wpe: Embedding::new(a.block_size, a.n_embd),
            drop: Dropout::new(a.dropout),
            h: (0..a.n_layer).map(|_| Block::new(a)).collect(),
            ln_f: LayerNorm::new(&[a.n_embd]),
        };
        let lm_head = Linear::with_bias(a.n_embd, vocab_size, false);
        transformer.wte.weight = lm_head.weight.clone(); // weight tying
        GPT {
            transformer,
            lm_head,
        }
    }

    fn forward(
        &self,
        idx: &Tensor<i64>,
        targets: Option<&Tensor<i64>>,
    ) -> (Tensor, Option<Tensor>) {
        let t = idx.shape()[1];
        let pos = Tensor::from_vec((0..t as i64).collect(), &[t]);
        let tr = &self.transformer;
        let x = tr.drop.forward(&(tr.wte.lookup(idx) + tr.wpe.lookup(&pos)));
        let x = tr.h.iter().fold(x, |x, block| block.forward(&x));
        let logits = self.lm_head.forward(&tr.ln_f.forward(&x));
        let v = logits.shape()[2] as isize;
        let flat = logits.view(&[-1, v]);
        let loss = targets.map(|y| F::cross_entropy(&flat, y.view(&[-1]), Reduction::Mean));
        (logits, loss)
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Attention {
    Manual,
    Module,
}

/// A tiny GPT on characters, in the style of nanoGPT.
#[derive(Parser)]
struct Args {
    #[arg(long, default_value_os_t = common::data_file("paradise_lost.txt"))]
    data: PathBuf,
    #[arg(long, default_value_t = 100000, value_parser = positive)]
    chars: usize,
    #[arg(long, default_value_t = 500)]
    steps: usize,
    #[arg(long, default_value_t = 32, value_parser = positive)]
    batch_size: usize,
    #[arg(long, default_value_t = 32, value_parser = positive)]
    block_size: usize,
    #[arg(long, default_value_t = 2)]
    n_layer: usize,
    #[arg(long, default_value_t = 4, value_parser = positive)]
    n_head: usize,
    #[arg(long, default_value_t = 64, value_parser = positive)]
    n_embd: usize,
    #[arg(long, default_value_t = 0.1, value_parser = probability)]
    dropout: f64,
    #[arg(long, default_value_t = 3e-3)]
    lr: f64,
    #[arg(long, default_value_t = 0.1)]
    weight_decay: f64,
    #[arg(long, default_value_t = 20)]
    warmup: usize,
    #[arg(long, default_value_t = 1.0)]
    grad_clip: f64,
    #[arg(long, value_enum, default_value_t = Batches::Random)]
    batches: Batches,
    #[arg(long, value_enum, default_value_t = Attention::Manual)]
    attention: Attention,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[command(flatten)]
    io: InitArgs,
}

fn run(args: Args) -> Result<(), ScriptError> {
    if !args.n_embd.is_multiple_of(args.n_head) {
        return Err(ScriptError::Usage(
            "--n-embd must be a multiple of --n-head".into(),
        ));
    }
    let text = common::read_text(&args.data)?;
    let text: String = text.chars().take(args.chars).collect();
    let chars = common::vocabulary(&text);
    let stoi = |c: char| chars.binary_search(&c).map_or(-1, |i| i as i64);
    let data: Vec<i64> = text.chars().map(stoi).collect();
    let (train, val) = data.split_at((0.9 * data.len() as f64) as usize);
    let (b, t) = (args.batch_size, args.block_size);
    if val.len() <= t || stoi('\n') < 0 {
        let msg = format!("needs a newline and over {t} characters of validation text");
        return Err(ScriptError::Data(format!("{}: {msg}", args.data.display())));
    }
    let batch = |d, step, sequential| common::batch(d, b, t, step, sequential);

    manual_seed(args.seed);
    let model = GPT::new(chars.len(), &args);
    args.io.apply(&model)?; // --save-init writes the tied weight under both of its names

    let params = model.parameters().into_iter().filter(|p| p.requires_grad());
    let (decay, no_decay): (Vec<Tensor>, Vec<Tensor>) = params.partition(|p| p.ndim() >= 2);
    let config = |weight_decay| AdamWConfig {
        lr: args.lr,
        betas: (0.9, 0.95),
        weight_decay,
        ..Default::default()
    };
    let groups = vec![(decay, config(args.weight_decay)), (no_decay, config(0.0))];
    let mut opt = AdamW::with_groups(groups)?;

    // linear warm-up, then cosine decay to a tenth
    let lr_lambda = common::warmup_cosine(args.warmup, args.steps);
    let mut sched = LambdaLR::new(&mut opt, lr_lambda)?;

    let mut out = io::stdout().lock();
    let (mut losses, mut grad_norms) = (vec![], vec![]);
    model.train();
    for step in 0..args.steps {
        let (x, y) = batch(train, step, args.batches == Batches::Sequential);
        let loss = model.forward(&x, Some(&y)).1.expect("targets give a loss");
        opt.zero_grad();
        loss.backward();
        let norm = clip_grad_norm_(&model.parameters(), args.grad_clip, 2.0, false);
        opt.step();
        sched.step(&mut opt);
        losses.push(loss.item());
        grad_norms.push(norm.item());
        if step % 20 == 0 && !args.io.json {
            writeln!(out, "step {step}: loss {:.4}", loss.item())?;
        }
    }

    model.eval();
    let (val_loss, sample) = no_grad(|| {
        let val_loss = |s| {
            let (x, y) = batch(val, s, true);
            let loss = model.forward(&x, Some(&y)).1.expect("targets give a loss");
            f64::from(loss.item())
        };
        let val_loss = (0..8).map(val_loss).sum::<f64>() / 8.0;
        let mut idx = Tensor::from_vec(vec![stoi('\n')], &[1, 1]);
        for _ in 0..100 {
            let context = idx.i((.., -(t.min(idx.shape()[1]) as isize)..)); // idx[:, -T:]
            let (logits, _) = model.forward(&context, None);
            let nxt = logits.i((.., -1, ..)).argmax(Some(-1), true);
            idx = Tensor::cat(&[&idx, &nxt], 1);
        }
        let sample: String = idx.to_vec().iter().map(|&i| chars[i as usize]).collect();
        (val_loss, sample)
    });
    if args.io.json {
        let metrics = json!({"grad_norm": floats(&grad_norms), "val_loss": val_loss});
        let fields = json!({"script": "char_gpt", "losses": floats(&losses), "metrics": metrics, "samples": [sample]});
        common::print_json(fields, &model.state_dict())?;
    } else {
        writeln!(out, "val loss {val_loss:.4}")?;
        writeln!(out, "{sample}")?;
    }
    Ok(())
}

fn main() -> ExitCode {
    main_with(|| run(Args::parse()))
}
