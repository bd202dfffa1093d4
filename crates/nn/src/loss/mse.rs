//! [`MSELoss`] (`torch.nn.MSELoss`).

super::loss_module!(
    /// Mean squared error `(input − target)²` (`torch.nn.MSELoss`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{MSELoss, Reduction};
    /// let (y, t) = (Tensor::from_vec(vec![1.0f32, 3.0], &[2]), Tensor::from_vec(vec![0.0f32, 1.0], &[2]));
    /// assert_eq!(MSELoss::new().forward(&y, &t).item(), 2.5);
    /// assert_eq!(MSELoss::with_reduction(Reduction::Sum).forward(&y, &t).item(), 5.0);
    /// assert_eq!(MSELoss::new().to_string(), "MSELoss()");
    /// ```
    MSELoss,
    &tapegrad_autograd::Tensor<T>,
    tapegrad_autograd::functional::mse_loss
);
