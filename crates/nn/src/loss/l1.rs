//! [`L1Loss`] (`torch.nn.L1Loss`).

super::loss_module!(
    /// Mean absolute error `|input − target|` (`torch.nn.L1Loss`).
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{L1Loss, Reduction};
    /// let (y, t) = (Tensor::from_vec(vec![1.0f32, 3.0], &[2]), Tensor::from_vec(vec![0.0f32, 1.0], &[2]));
    /// assert_eq!(L1Loss::new().forward(&y, &t).item(), 1.5);
    /// assert_eq!(L1Loss::with_reduction(Reduction::None).forward(&y, &t).to_vec(), [1.0, 2.0]);
    /// ```
    L1Loss,
    &tapegrad_autograd::Tensor<T>,
    tapegrad_autograd::functional::l1_loss
);
