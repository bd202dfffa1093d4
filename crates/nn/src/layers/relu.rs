//! [`ReLU`] (`torch.nn.ReLU`).

super::activation!(
    /// Elementwise `max(x, 0)` (`torch.nn.ReLU`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{Module, ReLU};
    /// let y = ReLU::new().forward(&Tensor::from_vec(vec![-1.0f32, 2.0], &[2]));
    /// assert_eq!(y.to_vec(), [0.0, 2.0]);
    /// ```
    ReLU,
    |x| x.relu()
);
