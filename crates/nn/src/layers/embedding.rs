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
            training: AtomicBool::new(true),
        }
    }

    /// The rows of `weight` at `indices` (`embedding(indices)` in PyTorch).
    /// Derivative: each looked-up row's gradient is added into its row of `weight`, except the
    /// padding row's.
    pub fn lookup(&self, indices: &Tensor<i64>) -> Tensor<T> {
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
        match self.padding_idx {
            Some(p) => format!("{}, {}, padding_idx={p}", s[0], s[1]),
            None => format!("{}, {}", s[0], s[1]),
        }
    }
    fn training_flag(&self) -> Option<&AtomicBool> {
        Some(&self.training)
    }
}
