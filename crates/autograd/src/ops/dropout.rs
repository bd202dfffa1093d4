//! `dropout`: zero each element with probability `p`, scale the rest by `1/(1-p)`.

use crate::element::Element;
use crate::tensor::Tensor;

/// Dropout (`F.dropout(x, p, training)`): in training, each element is zeroed with
/// probability `p` and the kept ones are scaled by `1/(1-p)`, so the expected value is
/// unchanged; outside training it returns `x`. The mask is PyTorch's for the same generator
/// state ([`dropout_noise`]: on the CPU `F.dropout` is `x * empty_like(x).bernoulli_(1-p)
/// .div_(1-p)`, not the fused `native_dropout`). Derivative: the same mask and scale.
///
/// ```
/// use tapegrad_autograd::{functional::dropout, manual_seed, Tensor};
/// manual_seed(0);
/// let x = Tensor::<f64>::ones(&[1000]);
/// let y = dropout(&x, 0.25, true);
/// let kept = y.to_vec().iter().filter(|&&v| v != 0.0).count();
/// assert!(y.to_vec().iter().all(|&v| v == 0.0 || (v - 1.0 / 0.75).abs() < 1e-12));
/// assert!((700..800).contains(&kept));
/// assert_eq!(dropout(&x, 0.25, false).to_vec(), x.to_vec());
/// ```
pub fn dropout<T: Element>(x: &Tensor<T>, p: f64, training: bool) -> Tensor<T> {
    assert!(
        (0.0..=1.0).contains(&p),
        "dropout probability has to be between 0 and 1, but got {p}"
    );
    if !training || p == 0.0 {
        return x.clone();
    }
    if p == 1.0 {
        return x.mul_scalar(T::zero());
    }
    x.mul(&dropout_noise::<T>(&x.shape(), p))
}

/// PyTorch's dropout noise for `shape` (`empty(shape).bernoulli_(1 - p).div_(1 - p)`): each
/// value is kept with one 53-bit uniform draw `u < 1 − p` from the default generator, in
/// row-major order, and is then `1 / (1 − p)` computed in `T` (`1` divided by `(T)(1 − p)`,
/// as `div_` does), else `0`. `F.dropout` and `F.dropout2d` multiply their input by it.
pub fn dropout_noise<T: Element>(shape: &[usize], p: f64) -> Tensor<T> {
    let keep = 1.0 - p;
    let scale = T::one() / T::from_f64(keep);
    let noise = crate::ops::random::bernoulli_values(shape, keep, scale, T::zero(), None);
    Tensor::from_vec(noise, shape)
}
