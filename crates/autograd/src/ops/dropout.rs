//! `dropout`: zero each element with probability `p`, scale the rest by `1/(1-p)`.

use crate::element::Element;
use crate::rng::with_rng;
use crate::tensor::Tensor;

/// Dropout (`F.dropout(x, p, training)`): in training, each element is zeroed with
/// probability `p` (one uniform draw per element from the process-wide seeded generator, in
/// row-major order) and the kept ones are scaled by `1/(1-p)`, so the expected value is
/// unchanged; outside training it returns `x`. Derivative: the same mask and scale.
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
    let scale = T::from_f64(1.0 / (1.0 - p));
    let n = x.numel();
    let mask: Vec<T> = with_rng(|r| {
        use rand::Rng;
        (0..n)
            .map(|_| if r.gen::<f64>() < p { T::zero() } else { scale })
            .collect()
    });
    x.mul(&Tensor::from_vec(mask, &x.shape()))
}
