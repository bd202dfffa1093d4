//! [`Identity`] (`torch.nn.Identity`).

super::activation!(
    /// Returns its input unchanged (`torch.nn.Identity`): a placeholder layer.
    ///
    /// ```
    /// use tapegrad_autograd::Tensor;
    /// use tapegrad_nn::{Identity, Module};
    /// let x = Tensor::from_vec(vec![1.0f32, 2.0], &[2]);
    /// assert!(Identity::new().forward(&x).same(&x));
    /// ```
    Identity,
    |x| x.clone()
);
