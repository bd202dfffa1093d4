//! Issue 15's memory goal for the attention workload: 10 000 training steps of a tiny model
//! built like `examples/char_gpt.rs` (token and position embeddings, dropout, a pre-norm block
//! with `nn::MultiheadAttention` under a causal mask and a GELU MLP, a final LayerNorm and a
//! head; cross-entropy, gradient clipping, AdamW) leave no recorded graph node behind and keep
//! resident memory flat.

mod common;

use common::resident_bytes;
use tapegrad::autograd::live_graph_nodes;
use tapegrad::nn::utils::clip_grad_norm_;
use tapegrad::nn::{Dropout, Embedding, LayerNorm, MultiheadAttention, GELU};
use tapegrad::prelude::*;

const VOCAB: usize = 12;
const BLOCK: usize = 8;
const EMBED: usize = 16;
const BATCH: usize = 4;

#[derive(Module)]
#[module(no_forward)]
struct TinyGpt {
    wte: Embedding,
    wpe: Embedding,
    drop: Dropout,
    ln_1: LayerNorm,
    attn: MultiheadAttention,
    ln_2: LayerNorm,
    fc: Linear,
    gelu: GELU,
    proj: Linear,
    ln_f: LayerNorm,
    head: Linear,
}

impl TinyGpt {
    fn new() -> Self {
        TinyGpt {
            wte: Embedding::new(VOCAB, EMBED),
            wpe: Embedding::new(BLOCK, EMBED),
            drop: Dropout::new(0.1),
            ln_1: LayerNorm::new(&[EMBED]),
            attn: MultiheadAttention::new(EMBED, 2, 0.1, true),
            ln_2: LayerNorm::new(&[EMBED]),
            fc: Linear::new(EMBED, 4 * EMBED),
            gelu: GELU::new(),
            proj: Linear::new(4 * EMBED, EMBED),
            ln_f: LayerNorm::new(&[EMBED]),
            head: Linear::new(EMBED, VOCAB),
        }
    }

    fn loss(&self, idx: &Tensor<i64>, targets: &Tensor<i64>, causal: &Tensor<bool>) -> Tensor {
        let pos = Tensor::from_vec((0..BLOCK as i64).collect(), &[BLOCK]);
        let x = self
            .drop
            .forward(&(self.wte.lookup(idx) + self.wpe.lookup(&pos)));
        let h = self.ln_1.forward(&x);
        let (a, _) = self
            .attn
            .forward_attention(&h, &h, &h, Some(causal), None, false);
        let x = x + a;
        let m = self
            .proj
            .forward(&self.gelu.forward(&self.fc.forward(&self.ln_2.forward(&x))));
        let x = x + m;
        let logits = self.head.forward(&self.ln_f.forward(&x));
        let flat = logits.view(&[-1, VOCAB as isize]);
        F::cross_entropy(&flat, targets.view(&[-1]), Reduction::Mean)
    }
}

#[test]
fn ten_thousand_attention_steps_keep_the_graph_and_memory_flat() {
    manual_seed(0);
    let model = TinyGpt::new();
    let mut opt = AdamW::new(
        model.parameters(),
        AdamWConfig {
            lr: 3e-3,
            ..Default::default()
        },
    )
    .unwrap();
    // `true` above the diagonal: position i may not attend to j > i.
    let causal = Tensor::from_vec(
        (0..BLOCK * BLOCK).map(|i| i % BLOCK > i / BLOCK).collect(),
        &[BLOCK, BLOCK],
    );
    // A fixed batch of a repeating sequence, so the loss must fall.
    let idx: Vec<i64> = (0..BATCH * BLOCK)
        .map(|i| ((i * 5) % VOCAB) as i64)
        .collect();
    let next: Vec<i64> = (0..BATCH * BLOCK)
        .map(|i| (((i + 1) * 5) % VOCAB) as i64)
        .collect();
    let idx = Tensor::from_vec(idx, &[BATCH, BLOCK]);
    let targets = Tensor::from_vec(next, &[BATCH, BLOCK]);
    let params = model.parameters();
    let mut step = || {
        let loss = model.loss(&idx, &targets, &causal);
        opt.zero_grad();
        loss.backward();
        clip_grad_norm_(&params, 1.0, 2.0, false);
        opt.step();
        loss.item()
    };
    let first = step();
    for _ in 0..200 {
        step(); // warm-up: allocator and optimizer state reach their steady state
    }
    let nodes = live_graph_nodes();
    let before = resident_bytes();
    let mut last = 0.0;
    for i in 0..10_000 {
        last = step();
        if i % 1_000 == 0 {
            assert_eq!(live_graph_nodes(), nodes, "graph nodes leaked by step {i}");
        }
    }
    assert_eq!(live_graph_nodes(), nodes);
    assert!(
        last < 0.5 * first && last.is_finite(),
        "training must reduce the loss: {first} -> {last}"
    );
    if let (Some(before), Some(after)) = (before, resident_bytes()) {
        let growth = after.saturating_sub(before);
        eprintln!("resident memory over 10 000 steps: {before} -> {after} bytes (+{growth})");
        assert!(
            growth < 1 << 20,
            "resident memory grew by {growth} bytes over 10 000 steps"
        );
    }
}
