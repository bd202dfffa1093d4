//! [`CrossEntropyLoss`] (`torch.nn.CrossEntropyLoss`).

super::loss_module!(
    /// Cross-entropy of logits `[N, C]` against class indices `[N]`: `log_softmax` then
    /// negative log-likelihood (`torch.nn.CrossEntropyLoss`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::CrossEntropyLoss;
    /// let logits = Tensor::from_vec(vec![0.0f64, 0.0, 0.0, 0.0], &[2, 2]);
    /// assert!((CrossEntropyLoss::new().forward(&logits, &[0, 1]).item() - 2f64.ln()).abs() < 1e-12);
    /// ```
    CrossEntropyLoss,
    impl tapegrad_autograd::functional::ClassTargets,
    tapegrad_autograd::functional::cross_entropy
);
