//! [`Embedding`] (`torch.nn.Embedding`): a lookup table of vectors.

use crate::init;
use crate::Module;
use std::sync::atomic::AtomicBool;
use tapegrad_autograd::functional::embedding;
use tapegrad_autograd::{no_grad, Element, Tensor};

/// A table of `num_embeddings` vectors of size `embedding_dim`, looked up by index
/// (`torch.nn.Embedding`). `weight` (`[num_embeddings, embedding_dim]`) is initialised
/// N(0, 1), as PyTorch does; with `padding_idx` that row starts at zero and never receives a
/// gradient. Call it with [`Embedding::lookup`] on an `i64` index tensor (the result has shape
/// `[..indices.shape, embedding_dim]`); as a [`Module`] its `forward` takes the indices as a
/// float tensor of whole numbers, for use inside a `Sequential`.
///
/// ```
/// use tapegrad_autograd::{manual_seed, Tensor};
/// use tapegrad_nn::Embedding;
/// manual_seed(0);
/// let emb: Embedding = Embedding::new(27, 10);
/// let ids = Tensor::from_vec(vec![5i64, 0, 5], &[3]);
/// let e = emb.lookup(&ids);
/// assert_eq!(e.shape().as_slice(), &[3, 10]);
/// assert_eq!(e.i(0).to_vec(), emb.weight.i(5).to_vec());
/// ```
pub struct Embedding<T: Element = f32> {
    /// `[num_embeddings, embedding_dim]`, requires grad.
    pub weight: Tensor<T>,
    /// The row that stays out of training (`padding_idx`), if any.
    pub padding_idx: Option<usize>,
    /// `max_norm`: every looked-up row whose `norm_type`-norm exceeds it is rescaled in place
    /// to norm `max_norm` before the lookup (`None`: never).
    pub max_norm: Option<f64>,
    /// The p of the norm `max_norm` bounds (default 2).
    pub norm_type: f64,
    training: AtomicBool,
}

impl<T: Element> Embedding<T> {
    /// `Embedding(num_embeddings, embedding_dim)`.
    pub fn new(num_embeddings: usize, embedding_dim: usize) -> Self {
        Self::with_padding_idx(num_embeddings, embedding_dim, None)
    }

    /// `Embedding(num_embeddings, embedding_dim, padding_idx=padding_idx)`: that row is zero
    /// at first and gets no gradient.
    pub fn with_padding_idx(
        num_embeddings: usize,
        embedding_dim: usize,
        padding_idx: Option<usize>,
    ) -> Self {
        if let Some(p) = padding_idx {
            assert!(
                p < num_embeddings,
                "Embedding: Padding_idx must be within num_embeddings (got {p} for \
                 {num_embeddings} embeddings)"
            );
        }
        let weight = Tensor::<T>::zeros(&[num_embeddings, embedding_dim]);
        init::normal_(&weight, 0.0, 1.0);
        if let Some(p) = padding_idx {
            no_grad(|| {
                weight.select(0, p as isize).fill_(T::zero());
            });
        }
        Embedding {
            weight: weight.requires_grad_(true),
            padding_idx,
            max_norm: None,
            norm_type: 2.0,
            training: AtomicBool::new(true),
        }
    }

    /// `Embedding.from_pretrained(weight, freeze)`: a table holding `weight` (its storage is
    /// shared); `freeze` keeps it out of training.
    pub fn from_pretrained(weight: Tensor<T>, freeze: bool) -> Self {
        assert!(
            weight.ndim() == 2,
            "Embeddings parameter is expected to be 2-dimensional, got shape {:?}",
            weight.shape().as_slice()
        );
        Embedding {
            weight: weight.detach().requires_grad_(!freeze),
            padding_idx: None,
            max_norm: None,
            norm_type: 2.0,
            training: AtomicBool::new(true),
        }
    }

    /// `max_norm=max_norm` (with `norm_type=norm_type`, PyTorch's default 2.0): before each
    /// lookup, every row the indices touch whose `norm_type`-norm exceeds `max_norm` is scaled
    /// in place, outside the graph (`torch.embedding_renorm_` under `no_grad`), by
    /// `max_norm / (norm + 1e-7)`, as PyTorch. The weight therefore changes on forward.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::Embedding;
    /// let w = Tensor::from_vec(vec![3.0f32, 4.0, 0.3, 0.4], &[2, 2]);
    /// let emb = Embedding::from_pretrained(w, false).max_norm(1.0, 2.0);
    /// let e = emb.lookup(&Tensor::from_vec(vec![0i64, 1], &[2]));
    /// assert!((e.to_vec()[0] - 0.6).abs() < 1e-6 && e.to_vec()[2] == 0.3);
    /// assert!((emb.weight.to_vec()[1] - 0.8).abs() < 1e-6); // renormalised in place
    /// ```
    pub fn max_norm(mut self, max_norm: f64, norm_type: f64) -> Self {
        self.max_norm = Some(max_norm);
        self.norm_type = norm_type;
        self
    }

    /// Rescales the rows at `indices` to norm at most `max_norm`, in place without gradient
    /// (`torch.embedding_renorm_`).
    fn renorm(&self, indices: &Tensor<i64>, max_norm: f64) {
        let rows = self.weight.shape()[0];
        let mut seen = vec![false; rows];
        let p = self.norm_type;
        no_grad(|| {
            for i in indices.to_vec() {
                let Some(r) = usize::try_from(i).ok().filter(|&r| r < rows) else {
                    continue; // the lookup itself reports the bad index
                };
                if std::mem::replace(&mut seen[r], true) {
                    continue;
                }
                let row = self.weight.select(0, r as isize);
                let v = row.to_vec();
                let norm = if p.is_infinite() {
                    v.iter().fold(0.0f64, |m, x| m.max(x.as_f64().abs()))
                } else {
                    v.iter()
                        .map(|x| x.as_f64().abs().powf(p))
                        .sum::<f64>()
                        .powf(1.0 / p)
                };
                if norm > max_norm {
                    row.mul_(T::from_f64(max_norm / (norm + 1e-7)));
                }
            }
        });
    }

    /// The rows of `weight` at `indices` (`embedding(indices)` in PyTorch), after the
    /// `max_norm` renormalisation of those rows if set.
    /// Derivative: each looked-up row's gradient is added into its row of `weight`, except the
    /// padding row's.
    pub fn lookup(&self, indices: &Tensor<i64>) -> Tensor<T> {
        if let Some(m) = self.max_norm {
            self.renorm(indices, m);
        }
        let out = embedding(indices, &self.weight);
        match self.padding_idx {
            None => out,
            Some(p) => {
                // The padding rows read a detached table: same values, no gradient.
                let frozen = embedding(indices, &self.weight.detach());
                let is_pad = indices.eq(p as i64).unsqueeze(-1);
                Tensor::where_(&is_pad, &frozen, &out)
            }
        }
    }
}

impl<T: Element> Module<T> for Embedding<T> {
    /// The lookup with indices given as whole numbers in a float tensor.
    fn forward(&self, input: &Tensor<T>) -> Tensor<T> {
        self.lookup(&input.long())
    }
    fn named_own_parameters(&self) -> Vec<(String, Tensor<T>)> {
        vec![("weight".into(), self.weight.clone())]
    }
    fn extra_repr(&self) -> String {
        let s = self.weight.shape();
        let mut r = format!("{}, {}", s[0], s[1]);
        if let Some(p) = self.padding_idx {
            r += &format!(", padding_idx={p}");
        }
        if let Some(m) = self.max_norm {
            r += &format!(", max_norm={m:?}");
            if self.norm_type != 2.0 {
                r += &format!(", norm_type={:?}", self.norm_type);
            }
        }
        r
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
