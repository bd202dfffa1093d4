//! [`NLLLoss`] (`torch.nn.NLLLoss`).

super::loss_module!(
    /// Negative log-likelihood of class indices `[N]` given log-probabilities `[N, C]`
    /// (`torch.nn.NLLLoss`): `−log_probs[i, target[i]]`, reduced.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::NLLLoss;
    /// let lp = Tensor::from_vec(vec![-1.0f32, -2.0, -3.0, -4.0], &[2, 2]);
    /// assert_eq!(NLLLoss::new().forward(&lp, &[1, 0]).item(), 2.5);
    /// ```
    NLLLoss,
    impl tapegrad_autograd::functional::ClassTargets,
    tapegrad_autograd::functional::nll_loss
);
