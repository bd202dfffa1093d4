//! Rearranging values: `flip`, `roll`, `repeat`, `tril`, `triu`, `pad` (constant). Each is a
//! composition of views, `cat` and masks, so its gradient routes each value back to where it
//! came from (`pad` drops the gradient of the padding; `tril`/`triu` zero the masked part).

use crate::element::Element;
use crate::graph::{renamed, renamed_view};
use crate::ops::or_panic;
use crate::shape::normalize_dim;
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    /// Reverses the order along each of `dims` (`torch.flip`; a copy, as PyTorch's).
    /// Derivative: the gradient flipped back.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]);
    /// assert_eq!(x.flip(&[0]).to_vec(), vec![3.0, 2.0, 1.0]);
    /// ```
    pub fn flip(&self, dims: &[isize]) -> Tensor<T> {
        let shape = self.shape();
        if shape.is_empty() {
            for &d in dims {
                or_panic(normalize_dim("flip", d, &shape)); // 0 and -1 name the one value
            }
            return self.copy();
        }
        let mut out = self.clone();
        for &d in dims {
            let d = or_panic(normalize_dim("flip", d, &shape));
            let parts: Vec<Tensor<T>> = (0..shape[d])
                .rev()
                .map(|i| out.narrow(d as isize, i as isize, 1))
                .collect();
            if parts.len() > 1 {
                let refs: Vec<&Tensor<T>> = parts.iter().collect();
                out = Tensor::cat(&refs, d as isize);
            }
        }
        renamed_view(out.contiguous(), self, "FlipBackward0")
    }

    /// Shifts values along `dim` by `shift`, wrapping around (`torch.roll(x, shift, dim)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], &[4]);
    /// assert_eq!(x.roll(1, 0).to_vec(), vec![4.0, 1.0, 2.0, 3.0]);
    /// ```
    pub fn roll(&self, shift: isize, dim: isize) -> Tensor<T> {
        let shape = self.shape();
        let d = or_panic(normalize_dim("roll", dim, &shape));
        if shape.is_empty() {
            return self.copy(); // one value: nothing moves
        }
        let n = shape[d] as isize;
        if n == 0 {
            return self.clone();
        }
        let s = shift.rem_euclid(n);
        if s == 0 {
            return self.copy();
        }
        let tail = self.narrow(d as isize, n - s, s as usize);
        let head = self.narrow(d as isize, 0, (n - s) as usize);
        renamed(Tensor::cat(&[&tail, &head], d as isize), "RollBackward0")
    }

    /// Tiles the tensor `repeats[i]` times along each dimension (`x.repeat(*repeats)`); extra
    /// leading repeats add dimensions. Derivative: the tiles' gradients summed.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// assert_eq!(x.repeat(&[2, 2]).to_vec(), vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    /// ```
    pub fn repeat(&self, repeats: &[usize]) -> Tensor<T> {
        let shape = self.shape();
        assert!(
            repeats.len() >= shape.len(),
            "Number of dimensions of repeat dims ({}) can not be smaller than number of \
             dimensions of tensor ({})",
            repeats.len(),
            shape.len()
        );
        let extra = repeats.len() - shape.len();
        let padded: Vec<usize> = std::iter::repeat_n(1, extra)
            .chain(shape.iter().copied())
            .collect();
        // [.., s_i, ..] -> [.., 1, s_i, ..] -> expand to [.., r_i, s_i, ..] -> [.., r_i·s_i, ..]
        let mut interleaved = Vec::with_capacity(2 * padded.len());
        let mut expanded = Vec::with_capacity(2 * padded.len());
        for (&s, &r) in padded.iter().zip(repeats) {
            interleaved.extend([1, s]);
            expanded.extend([r, s]);
        }
        let target: Vec<usize> = padded.iter().zip(repeats).map(|(s, r)| s * r).collect();
        let out = self
            .reshape_exact(&interleaved)
            .broadcast_to(&expanded)
            .contiguous()
            .reshape_exact(&target);
        renamed_view(out, self, "RepeatBackward0")
    }

    /// The lower triangle of the last two dimensions, from `diagonal` down (`torch.tril`).
    pub fn tril(&self, diagonal: isize) -> Tensor<T> {
        renamed(self.triangle(diagonal, true), "TrilBackward0")
    }

    /// The upper triangle of the last two dimensions, from `diagonal` up (`torch.triu`).
    pub fn triu(&self, diagonal: isize) -> Tensor<T> {
        renamed(self.triangle(diagonal, false), "TriuBackward0")
    }

    fn triangle(&self, diagonal: isize, lower: bool) -> Tensor<T> {
        let shape = self.shape();
        assert!(
            shape.len() >= 2,
            "tril/triu: input tensor must have at least 2 dimensions (got shape {:?})",
            shape.as_slice()
        );
        let (rows, cols) = (shape[shape.len() - 2], shape[shape.len() - 1]);
        let mask: Vec<T> = (0..rows)
            .flat_map(|i| {
                (0..cols).map(move |j| {
                    let keep = if lower {
                        (j as isize) - (i as isize) <= diagonal
                    } else {
                        (j as isize) - (i as isize) >= diagonal
                    };
                    if keep {
                        T::one()
                    } else {
                        T::zero()
                    }
                })
            })
            .collect();
        self * &Tensor::from_vec(mask, &[rows, cols])
    }

    /// Pads with `value` (`F.pad(x, pad, mode="constant", value)`): `pad` lists (before,
    /// after) pairs starting from the last dimension; negative amounts crop.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]);
    /// assert_eq!(x.pad(&[1, 0], 0.0).to_vec(), vec![0.0, 1.0, 2.0]);
    /// ```
    pub fn pad(&self, pad: &[isize], value: T) -> Tensor<T> {
        let rank = self.ndim();
        assert!(
            pad.len().is_multiple_of(2) && pad.len() / 2 <= rank,
            "pad: padding length must be divisible by 2 and at most twice the number of \
             dimensions ({rank}), got {pad:?}"
        );
        let mut out = self.clone();
        for (k, pair) in pad.chunks(2).enumerate() {
            let d = rank - 1 - k;
            let (before, after) = (pair[0], pair[1]);
            let size = out.shape()[d] as isize;
            let (crop_b, crop_a) = ((-before).max(0), (-after).max(0));
            if crop_b + crop_a > 0 {
                out = out.narrow(d as isize, crop_b, (size - crop_b - crop_a).max(0) as usize);
            }
            let mut parts = Vec::new();
            let block = |n: isize, like: &Tensor<T>| {
                let mut s = like.shape();
                s[d] = n as usize;
                Tensor::full(&s, value)
            };
            if before > 0 {
                parts.push(block(before, &out));
            }
            parts.push(out.clone());
            if after > 0 {
                parts.push(block(after, &out));
            }
            if parts.len() > 1 {
                let refs: Vec<&Tensor<T>> = parts.iter().collect();
                out = Tensor::cat(&refs, d as isize);
            }
        }
        renamed_view(out, self, "ConstantPadNdBackward0")
    }
}
