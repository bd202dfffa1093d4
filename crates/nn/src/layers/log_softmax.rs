//! [`LogSoftmax`] (`torch.nn.LogSoftmax`).

super::along_dim_layer!(
    /// `log(softmax(x))` along `dim`, computed stably (`torch.nn.LogSoftmax(dim)`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{LogSoftmax, Module};
    /// let m = LogSoftmax::new(-1);
    /// let y = m.forward(&Tensor::from_vec(vec![0.0f64, 0.0], &[1, 2]));
    /// assert!((y.to_vec()[0] - 0.5f64.ln()).abs() < 1e-12);
    /// assert_eq!(<LogSoftmax as Module>::summary(&m), "LogSoftmax(dim=-1)");
    /// ```
    LogSoftmax,
    log_softmax
);
