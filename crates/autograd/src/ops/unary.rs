//! `unary_ops!`, the one declaration of an elementwise function of one tensor: the method on
//! [`Tensor`](crate::Tensor) that computes it (through `par::map`:
//! vectorised, in parallel when large) and, beside it, its backward [`Op`](crate::Op).
//!
//! Each entry gives PyTorch's method name, the `Op` struct and its `grad_fn` name, the
//! derivative rule in words, what the backward reads (`saves_output`, and `saves_inputs: false`
//! when it reads neither), the value of one element `|v| …`, and the derivative written in
//! tensor operations `|x, y, g| …` (`x` the input, `y` the output, `g` the gradient arriving
//! from above), so that double backward works. An optional `unless(|v| in_range) => exact,`
//! after the value names the elements its fast form does not cover and the form that computes
//! them (`sin`, `cos` and `tan` of `f32` beyond 2¹⁶, `sinh` and `cosh` beyond 88.7). An
//! optional `fast(x | y): |g, s| …` is the same derivative for one element, `s` being the saved
//! `x` or `y`: when no graph of the backward is built it runs in one pass (`ops::zip_grad`), no
//! intermediate tensors.

/// The value of an element by `f32_form` (a call-free form, so the loop runs in vector lanes)
/// when `T` is `f32`, by `other` (libm's, usually) for the other types: the shape of every
/// entry whose `f32` form is one of `kernels::math`'s.
#[inline(always)]
pub(crate) fn f32_or<T: crate::element::Element>(
    v: T,
    f32_form: impl Fn(f32) -> f32,
    other: impl Fn(T) -> T,
) -> T {
    match T::DTYPE {
        crate::element::DType::F32 => T::from_f64(f32_form(v.as_f64() as f32) as f64),
        _ => other(v),
    }
}

/// `Op::saves_inputs` of an entry: the value given, else the default `true`.
pub(crate) const fn flag(given: &[bool], default: bool) -> bool {
    if given.is_empty() {
        default
    } else {
        given[0]
    }
}

/// Declares elementwise functions of one tensor with their backward ops; see the module
/// documentation for the form of an entry.
macro_rules! unary_ops {
    ($(
        $(#[$doc:meta])*
        $name:ident, $op:ident, $grad_fn:literal, $rule:literal,
        saves_output: $saves_y:literal $(, saves_inputs: $saves_x:literal)?,
        |$v:ident| $value:expr,
        $(unless(|$u:ident| $in_range:expr) => $exact:expr,)?
        |$x:ident, $y:ident, $g:ident| $grad:expr
        $(, fast($saved:ident): |$fg:ident, $fs:ident| $fast:expr)?;
    )*) => {
        impl<T: $crate::element::Element> $crate::tensor::Tensor<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> $crate::tensor::Tensor<T> {
                    // Slice in, values out, no ndarray array built on either side: a contiguous
                    // input (the usual case) read in place, a strided one copied in row-major
                    // order first (`Layout::gather`), so both run the vector loop.
                    let src = self.read_values();
                    #[allow(unused_mut)]
                    let mut out = $crate::ops::par::map_values(&src, |$v: T| $value);
                    $(
                        // Elements outside the fast form's range, if any, again by the exact
                        // form (one vectorised pass to find out whether there are any).
                        if src.iter().fold(false, |any, &$u| any | !($in_range)) {
                            for (o, &$u) in out.iter_mut().zip(src.iter()) {
                                if !($in_range) {
                                    *o = $exact;
                                }
                            }
                        }
                    )?
                    drop(src);
                    let shape = &self.inner.layout.shape;
                    $crate::graph::record_values(out, shape, $op, &[self])
                }
            )*
        }
        $(
            struct $op;
            impl<T: $crate::element::Element> $crate::graph::Op<T> for $op {
                fn name(&self) -> &'static str {
                    $grad_fn
                }
                fn rule(&self) -> &'static str {
                    $rule
                }
                fn saves_inputs(&self) -> bool {
                    $crate::ops::unary::flag(&[$($saves_x)?], true)
                }
                fn saves_output(&self) -> bool {
                    $saves_y
                }
                #[allow(unused_variables)]
                fn backward(
                    &self,
                    ctx: &$crate::graph::BackwardCtx<'_, T>,
                ) -> $crate::graph::InputGrads<T> {
                    let ($x, $y, $g) = (&ctx.inputs[0], ctx.output, ctx.grad);
                    $(
                        if !$crate::grad_mode::is_grad_enabled() {
                            let fast = $crate::ops::zip_grad(
                                $g,
                                $saved,
                                ctx.grad_reusable,
                                |$fg: T, $fs: T| $fast,
                            );
                            return ::smallvec::smallvec![Some(fast)];
                        }
                    )?
                    ::smallvec::smallvec![Some($grad)]
                }
            }
        )*
    };
}
pub(crate) use unary_ops;
