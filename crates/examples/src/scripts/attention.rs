//! `char_gpt --attention module`: the causal self-attention of the written-out version, through
//! `nn.MultiheadAttention` (it computes the same attention as the golden `manual` run).

use tapegrad::nn::{Dropout, MultiheadAttention};
use tapegrad::prelude::*;

/// The same causal self-attention through nn.MultiheadAttention (--attention module).
#[derive(Module)]
pub struct ModuleSelfAttention {
    mha: MultiheadAttention,
    resid_dropout: Dropout,
}

impl ModuleSelfAttention {
    /// Over `n_embd` features in `n_head` heads, dropout `p` on the weights and the output.
    pub fn new(n_embd: usize, n_head: usize, p: f64) -> Self {
        ModuleSelfAttention {
            mha: MultiheadAttention::new(n_embd, n_head, p, true),
            resid_dropout: Dropout::new(p),
        }
    }

    /// `y = resid_dropout(mha(x, x, x, causal mask))`.
    pub fn forward(&self, x: &Tensor) -> Tensor {
        let t = x.shape()[1];
        let causal = Tensor::<f32>::ones(&[t, t]).triu(1).eq(1.0); // true: may not attend
        let (y, _) = self
            .mha
            .forward_attention(x, x, x, Some(&causal), None, false);
        self.resid_dropout.forward(&y)
    }
}
