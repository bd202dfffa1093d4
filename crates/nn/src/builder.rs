//! Builder methods named after PyTorch's keyword arguments (`MaxPool2d::new(2).stride(1)` for
//! `nn.MaxPool2d(2, stride=1)`), written once by [`setters!`] for the layers and losses.

/// Writes, for each listed field, a builder method of the same name that sets it and returns
/// the value: `pub fn stride(mut self, stride: T) -> Self`. The argument is converted with
/// `.into()`, so a field can take `impl Into<IntOrPair>` while holding an `IntOrPair`.
///
/// ```text
/// setters! {
///     MaxPool2d {
///         /// `stride=`.
///         stride: impl Into<IntOrPair>,
///         /// `ceil_mode=`.
///         ceil_mode: bool,
///     }
/// }
/// ```
macro_rules! setters {
    ($name:ident { $( $(#[$doc:meta])* $field:ident: $ty:ty, )* }) => {
        impl $name {
            $(
                $(#[$doc])*
                #[allow(clippy::useless_conversion)]
                pub fn $field(mut self, $field: $ty) -> Self {
                    self.$field = $field.into();
                    self
                }
            )*
        }
    };
}
pub(crate) use setters;
