//! [`BCELoss`] (`torch.nn.BCELoss`).

super::loss_module!(
    /// Binary cross-entropy on probabilities, `−(t·log p + (1−t)·log(1−p))`, each log clamped at
    /// −100 (`torch.nn.BCELoss`). Inputs must lie in [0, 1] (apply a sigmoid first).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::BCELoss;
    /// let (p, t) = (Tensor::from_vec(vec![0.5f64], &[1]), Tensor::from_vec(vec![1.0f64], &[1]));
    /// assert!((BCELoss::new().forward(&p, &t).item() - 2f64.ln()).abs() < 1e-12);
    /// ```
    BCELoss,
    &tapegrad_autograd::Tensor<T>,
    tapegrad_autograd::functional::binary_cross_entropy
);
