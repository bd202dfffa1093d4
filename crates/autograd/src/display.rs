//! `Debug`/`Display` close to PyTorch's:
//! `tensor([[0.5000, 0.1000], [0.0500, 0.1800]], requires_grad=true)`, with
//! `grad_fn=<MulBackward0>` on non-leaves.

use crate::element::Element;
use crate::tensor::Tensor;
use ndarray::{ArrayViewD, Axis};
use std::fmt;

/// How every element of one tensor is printed (PyTorch picks one format per tensor).
enum Style {
    /// All values are whole numbers: `1.`, `-2.`.
    Integer,
    /// Fixed point with 4 decimals: `0.5000`.
    Fixed,
    /// Scientific with 4 decimals: `1.0000e-05`.
    Scientific,
}

fn choose_style<T: Element>(values: &ArrayViewD<'_, T>) -> Style {
    let finite: Vec<f64> = values
        .iter()
        .map(|v| v.as_f64())
        .filter(|v| v.is_finite())
        .collect();
    if finite.iter().all(|v| v.fract() == 0.0) {
        if finite.iter().all(|v| v.abs() < 1e8) {
            return Style::Integer;
        }
        return Style::Scientific;
    }
    let nonzero: Vec<f64> = finite
        .iter()
        .map(|v| v.abs())
        .filter(|&v| v > 0.0)
        .collect();
    let max = nonzero.iter().cloned().fold(0.0, f64::max);
    let min = nonzero.iter().cloned().fold(f64::INFINITY, f64::min);
    if max >= 1e8 || min < 1e-4 || (min > 0.0 && max / min > 1e3) {
        Style::Scientific
    } else {
        Style::Fixed
    }
}

fn format_value(v: f64, style: &Style) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    match style {
        Style::Integer => format!("{v:.0}."),
        Style::Fixed => format!("{v:.4}"),
        Style::Scientific => {
            let s = format!("{v:.4e}");
            // Rust writes `1.0000e-5`; PyTorch writes `1.0000e-05`.
            match s.split_once('e') {
                Some((m, e)) => {
                    let (sign, digits) = match e.strip_prefix('-') {
                        Some(d) => ('-', d),
                        None => ('+', e),
                    };
                    format!("{m}e{sign}{digits:0>2}")
                }
                None => s,
            }
        }
    }
}

fn write_nested(
    out: &mut String,
    a: &ArrayViewD<'_, String>,
    width: usize,
    indent: usize,
    summarize: bool,
) {
    if a.ndim() == 0 {
        out.push_str(&format!(
            "{:>width$}",
            a.iter().next().expect("0-d has one element")
        ));
        return;
    }
    let n = a.shape()[0];
    let shown: Vec<Option<usize>> = if summarize && n > 6 {
        vec![
            Some(0),
            Some(1),
            Some(2),
            None,
            Some(n - 3),
            Some(n - 2),
            Some(n - 1),
        ]
    } else {
        (0..n).map(Some).collect()
    };
    out.push('[');
    for (j, i) in shown.iter().enumerate() {
        if j > 0 {
            if a.ndim() == 1 {
                out.push_str(", ");
            } else {
                out.push(',');
                out.push_str(&"\n".repeat(a.ndim() - 1));
                out.push_str(&" ".repeat(indent + 1));
            }
        }
        match i {
            Some(i) => write_nested(
                out,
                &a.index_axis(Axis(0), *i),
                width,
                indent + 1,
                summarize,
            ),
            None => out.push_str("..."),
        }
    }
    out.push(']');
}

impl<T: Element> fmt::Display for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.data();
        let view = data.view();
        let style = choose_style(&view);
        let strings = view.mapv(|v| format_value(v.as_f64(), &style));
        let width = strings.iter().map(|s| s.len()).max().unwrap_or(0);
        let mut body = String::new();
        write_nested(
            &mut body,
            &strings.view(),
            width,
            "tensor(".len(),
            data.len() > 1000,
        );
        write!(f, "tensor({body}")?;
        if T::DTYPE != crate::DType::F32 {
            write!(f, ", dtype=torch.{}", T::DTYPE.torch_name())?;
        }
        if let Some(name) = self.grad_fn_name() {
            write!(f, ", grad_fn=<{name}>")?;
        } else if self.requires_grad() {
            write!(f, ", requires_grad=true")?;
        }
        write!(f, ")")
    }
}

impl<T: Element> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
