//! [`BCEWithLogitsLoss`] (`torch.nn.BCEWithLogitsLoss`).

super::loss_module!(
    /// Binary cross-entropy on logits: a sigmoid and [`BCELoss`](crate::BCELoss) fused, stable
    /// for any logit (`torch.nn.BCEWithLogitsLoss`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::BCEWithLogitsLoss;
    /// let (x, t) = (Tensor::from_vec(vec![0.0f64], &[1]), Tensor::from_vec(vec![1.0f64], &[1]));
    /// assert!((BCEWithLogitsLoss::new().forward(&x, &t).item() - 2f64.ln()).abs() < 1e-12);
    /// ```
    BCEWithLogitsLoss,
    &tapegrad_autograd::Tensor<T>,
    tapegrad_autograd::functional::binary_cross_entropy_with_logits
);
