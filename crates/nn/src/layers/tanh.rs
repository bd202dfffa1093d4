//! [`Tanh`] (`torch.nn.Tanh`).

super::activation!(
    /// Elementwise hyperbolic tangent (`torch.nn.Tanh`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{Module, Tanh};
    /// let y = Tanh::new().forward(&Tensor::from_vec(vec![0.0f64, 1.0], &[2]));
    /// assert_eq!(y.to_vec(), [0.0, 1f64.tanh()]);
    /// ```
    Tanh,
    |x| x.tanh()
);
