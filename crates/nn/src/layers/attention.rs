//! [`MultiheadAttention`] (`torch.nn.MultiheadAttention`) and
//! [`scaled_dot_product_attention`] (`F.scaled_dot_product_attention`).

use crate::init;
use crate::{Linear, Module};
use std::sync::atomic::{AtomicBool, Ordering};
use tapegrad_autograd::functional::dropout;
use tapegrad_autograd::{Element, Tensor};

/// `softmax(q kᵀ / √d + mask) v` over the last two dimensions (`F.scaled_dot_product_attention`):
/// `q` is `[…, L, d]`, `k` `[…, S, d]`, `v` `[…, S, dv]`. `attn_mask` (broadcast to
/// `[…, L, S]`) is boolean with `true` where attention is *allowed*, as PyTorch's boolean mask
/// here; `is_causal` allows position `i` to attend to `j ≤ i` only. `dropout_p` drops
/// attention weights (pass 0 outside training). Returns the output `[…, L, dv]` and the
/// attention weights `[…, L, S]`. Derivative: that of the matmuls, softmax and masking.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::functional::scaled_dot_product_attention;
/// let q = Tensor::<f64>::ones(&[1, 2, 4]);
/// let v = Tensor::from_vec(vec![1.0, 1.0, 1.0, 1.0, 3.0, 3.0, 3.0, 3.0], &[1, 2, 4]);
/// let (out, w) = scaled_dot_product_attention(&q, &q, &v, None, true, 0.0);
/// // causal: row 0 sees only v[0]; row 1 averages v[0] and v[1] (equal scores)
/// assert_eq!(out.to_vec(), vec![1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 2.0]);
/// assert_eq!(w.to_vec(), vec![1.0, 0.0, 0.5, 0.5]);
/// ```
pub fn scaled_dot_product_attention<T: Element>(
    q: &Tensor<T>,
    k: &Tensor<T>,
    v: &Tensor<T>,
    attn_mask: Option<&Tensor<bool>>,
    is_causal: bool,
    dropout_p: f64,
) -> (Tensor<T>, Tensor<T>) {
    let d = *q.shape().last().expect("q has a feature dimension");
    let (l, s) = (q.shape()[q.ndim() - 2], k.shape()[k.ndim() - 2]);
    let scale = T::from_f64(1.0 / (d as f64).sqrt());
    let mut scores = q.matmul(&k.mt()).mul_scalar(scale);
    if is_causal {
        let allowed: Vec<bool> = (0..l * s).map(|ij| ij % s <= ij / s).collect();
        let allowed = Tensor::from_vec(allowed, &[l, s]);
        scores = scores.masked_fill(&allowed.logical_not(), T::neg_infinity());
    }
    if let Some(m) = attn_mask {
        scores = scores.masked_fill(&m.logical_not(), T::neg_infinity());
    }
    let weights = scores.softmax(-1);
    let dropped = dropout(&weights, dropout_p, dropout_p > 0.0);
    (dropped.matmul(v), weights)
}

/// Multi-head attention (`torch.nn.MultiheadAttention`): `query`, `key` and `value` are
/// projected by `in_proj_weight`/`in_proj_bias` (stacked q, k, v, as PyTorch's parameter),
/// split into `num_heads` heads, attended with scaled dot products, and projected by
/// `out_proj`. Parameters as PyTorch names and initialises them: `in_proj_weight`
/// (Xavier-uniform), `in_proj_bias` (zeros), `out_proj.weight` (a `Linear`'s init),
/// `out_proj.bias` (zeros). Masks follow PyTorch's convention: in `attn_mask` and
/// `key_padding_mask`, `true` means "may *not* attend". Use
/// [`MultiheadAttention::forward_attention`] for the full call; as a [`Module`] its `forward`
/// is unmasked self-attention.
///
/// ```
/// use tapegrad_autograd::Tensor;
/// use tapegrad_nn::{Module, MultiheadAttention};
/// let mha: MultiheadAttention = MultiheadAttention::new(8, 2, 0.0, true);
/// let x = Tensor::randn(&[3, 5, 8]);
/// let causal = Tensor::<f32>::ones(&[5, 5]).triu(1).bool(); // true: may not attend
/// let (y, w) = mha.forward_attention(&x, &x, &x, Some(&causal), None, true);
/// assert_eq!(y.shape().as_slice(), &[3, 5, 8]);
/// assert_eq!(w.unwrap().shape().as_slice(), &[3, 5, 5]); // averaged over heads
/// let names: Vec<String> = mha.named_parameters().into_iter().map(|(n, _)| n).collect();
/// assert_eq!(names, ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
/// ```
pub struct MultiheadAttention<T: Element = f32> {
    /// `[3·embed_dim, embed_dim]`: the q, k and v projections stacked.
    pub in_proj_weight: Tensor<T>,
    /// `[3·embed_dim]`.
    pub in_proj_bias: Tensor<T>,
    /// The output projection (`out_proj`).
    pub out_proj: Linear<T>,
    /// Model width.
    pub embed_dim: usize,
    /// Number of heads (`embed_dim` must be a multiple of it).
    pub num_heads: usize,
    /// Dropout on the attention weights in training.
    pub dropout: f64,
    /// Inputs are `[batch, seq, feature]` (else `[seq, batch, feature]`).
    pub batch_first: bool,
    training: AtomicBool,
}

impl<T: Element> MultiheadAttention<T> {
    /// `MultiheadAttention(embed_dim, num_heads, dropout, batch_first=batch_first)`.
    pub fn new(embed_dim: usize, num_heads: usize, dropout: f64, batch_first: bool) -> Self {
        assert!(
            num_heads > 0 && embed_dim.is_multiple_of(num_heads),
            "MultiheadAttention: embed_dim must be divisible by num_heads (got {embed_dim} and \
             {num_heads})"
        );
        // PyTorch's order of draws: out_proj's Linear init, then Xavier on in_proj_weight.
        let out_proj = Linear::new(embed_dim, embed_dim);
        let in_proj_weight = Tensor::<T>::zeros(&[3 * embed_dim, embed_dim]);
        init::xavier_uniform_(&in_proj_weight, 1.0);
        tapegrad_autograd::no_grad(|| {
            out_proj.bias.as_ref().expect("with bias").zero_();
        });
        MultiheadAttention {
            in_proj_weight: in_proj_weight.requires_grad_(true),
            in_proj_bias: Tensor::zeros(&[3 * embed_dim]).requires_grad_(true),
            out_proj,
            embed_dim,
            num_heads,
            dropout,
            batch_first,
            training: AtomicBool::new(true),
        }
    }

    /// `attn_output, attn_weights = mha(query, key, value, key_padding_mask, need_weights,
    /// attn_mask)`. `attn_mask`: `[L, S]` or `[batch·heads, L, S]`, `true` = may not attend;
    /// `key_padding_mask`: `[batch, S]`, `true` = ignore that key. The weights (averaged over
    /// heads, `[batch, L, S]`) are returned when `need_weights`.
    pub fn forward_attention(
        &self,
        query: &Tensor<T>,
        key: &Tensor<T>,
        value: &Tensor<T>,
        attn_mask: Option<&Tensor<bool>>,
        key_padding_mask: Option<&Tensor<bool>>,
        need_weights: bool,
    ) -> (Tensor<T>, Option<Tensor<T>>) {
        let to_batch_first = |t: &Tensor<T>| {
            if self.batch_first {
                t.clone()
            } else {
                t.transpose(0, 1)
            }
        };
        let (q, k, v) = (
            to_batch_first(query),
            to_batch_first(key),
            to_batch_first(value),
        );
        let e = self.embed_dim;
        assert!(
            q.ndim() == 3 && q.shape()[2] == e,
            "MultiheadAttention: was expecting embedding dimension of {e}, but got {:?}",
            q.shape().as_slice()
        );
        let (n, l, s) = (q.shape()[0], q.shape()[1], k.shape()[1]);
        let (h, d) = (self.num_heads, e / self.num_heads);
        let w = |i: usize| self.in_proj_weight.narrow(0, (i * e) as isize, e);
        let b = |i: usize| self.in_proj_bias.narrow(0, (i * e) as isize, e);
        let project = |x: &Tensor<T>, i: usize, len: usize| {
            x.linear(&w(i), Some(&b(i)))
                .reshape(&[n as isize, len as isize, h as isize, d as isize])
                .transpose(1, 2)
        };
        let (qh, kh, vh) = (project(&q, 0, l), project(&k, 1, s), project(&v, 2, s));
        // PyTorch's masks say where attention is forbidden; combine them into "allowed".
        let mut forbidden: Option<Tensor<bool>> = attn_mask.map(|m| match m.ndim() {
            2 => m.clone(),
            _ => m.reshape(&[n as isize, h as isize, l as isize, s as isize]),
        });
        if let Some(kp) = key_padding_mask {
            let kp = kp.reshape(&[n as isize, 1, 1, s as isize]);
            forbidden = Some(match forbidden {
                Some(f) => f.logical_or(&kp),
                None => kp,
            });
        }
        let allowed = forbidden.map(|f| f.logical_not());
        let p = if self.training.load(Ordering::Relaxed) {
            self.dropout
        } else {
            0.0
        };
        let (out, weights) =
            scaled_dot_product_attention(&qh, &kh, &vh, allowed.as_ref(), false, p);
        let out = out
            .transpose(1, 2)
            .reshape(&[n as isize, l as isize, e as isize]);
        let out = self.out_proj.forward(&out);
        let out = if self.batch_first {
            out
        } else {
            out.transpose(0, 1)
        };
        (out, need_weights.then(|| weights.mean_dims(&[1], false)))
    }
}

impl<T: Element> Module<T> for MultiheadAttention<T> {
    /// Unmasked self-attention of `input` (`mha(x, x, x)[0]`).
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        self.forward_attention(input, input, input, None, None, false)
            .0
    }
    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        vec![
            ("in_proj_weight".into(), self.in_proj_weight.clone()),
            ("in_proj_bias".into(), self.in_proj_bias.clone()),
        ]
    }
    fn named_children(&self) -> Vec<(String, &dyn Module<T>)> {
        vec![("out_proj".into(), &self.out_proj as &dyn Module<T>)]
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
