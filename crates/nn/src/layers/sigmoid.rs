//! [`Sigmoid`] (`torch.nn.Sigmoid`).

super::activation!(
    /// Elementwise logistic function `1 / (1 + e^-x)` (`torch.nn.Sigmoid`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{Module, Sigmoid};
    /// let y = Sigmoid::new().forward(&Tensor::from_vec(vec![0.0f32], &[1]));
    /// assert_eq!(y.to_vec(), [0.5]);
    /// ```
    Sigmoid,
    |x| x.sigmoid()
);
