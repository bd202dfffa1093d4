//! [`Softmax`] (`torch.nn.Softmax`).

super::along_dim_layer!(
    /// Softmax along `dim`, so each slice sums to 1 (`torch.nn.Softmax(dim)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{Softmax, Module};
    /// let m = Softmax::new(-1);
    /// let y = m.forward(&Tensor::from_vec(vec![0.0f64, 0.0], &[1, 2]));
    /// assert!((y.to_vec()[0] - 0.5f64).abs() < 1e-12);
    /// assert_eq!(<Softmax as Module>::summary(&m), "Softmax(dim=-1)");
    /// ```
    Softmax,
    softmax
);
