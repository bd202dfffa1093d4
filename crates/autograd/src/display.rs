//! `Debug`/`Display` following PyTorch's layout (`torch/_tensor_str.py`):
//! `tensor([[0.5000, 0.1000], [0.0500, 0.1800]], requires_grad=true)`, with
//! `grad_fn=<MulBackward0>` on non-leaves.

use crate::element::{DType, Scalar};
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

/// PyTorch's `_Formatter` rule: over the nonzero finite values, scientific when
/// `max / min > 1000`, `max > 1e8` or `min < 1e-4`; otherwise whole numbers print as `1.` and
/// the rest with 4 decimals.
fn choose_style<T: Scalar>(values: &ArrayViewD<'_, T>) -> Style {
    let nonzero: Vec<f64> = values
        .iter()
        .map(|v| v.as_f64())
        .filter(|v| v.is_finite() && *v != 0.0)
        .collect();
    if nonzero.is_empty() {
        return Style::Integer;
    }
    let integer = nonzero.iter().all(|v| v.fract() == 0.0);
    let max = nonzero.iter().map(|v| v.abs()).fold(0.0, f64::max);
    let min = nonzero
        .iter()
        .map(|v| v.abs())
        .fold(f64::INFINITY, f64::min);
    if max / min > 1e3 || max > 1e8 || min < 1e-4 {
        Style::Scientific
    } else if integer {
        Style::Integer
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

/// PyTorch's print options: line width, summarization threshold and edge items.
const LINEWIDTH: usize = 80;
const THRESHOLD: usize = 1000;
const EDGEITEMS: usize = 3;

/// The indices shown along an axis of `n` elements (`None` marks the `...`).
fn shown(n: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && n > 2 * EDGEITEMS {
        (0..EDGEITEMS)
            .map(Some)
            .chain(std::iter::once(None))
            .chain((n - EDGEITEMS..n).map(Some))
            .collect()
    } else {
        (0..n).map(Some).collect()
    }
}

/// The elements that are printed (PyTorch's `get_summarized_data`): the style and the width are
/// chosen from these alone.
fn summarized<T: Scalar>(a: &ArrayViewD<'_, T>, summarize: bool) -> Vec<T> {
    let mut owned = a.to_owned();
    if summarize {
        for axis in 0..owned.ndim() {
            let keep: Vec<usize> = shown(owned.shape()[axis], true)
                .into_iter()
                .flatten()
                .collect();
            owned = owned.select(Axis(axis), &keep);
        }
    }
    owned.iter().copied().collect()
}

/// PyTorch's `_tensor_str_with_formatter`: nested brackets, one row per line, 1-D rows wrapped
/// at the line width.
fn write_nested<T: Scalar>(
    out: &mut String,
    a: &ArrayViewD<'_, T>,
    fmt_value: &dyn Fn(T) -> String,
    width: usize,
    indent: usize,
    summarize: bool,
) {
    match a.ndim() {
        0 => out.push_str(&fmt_value(*a.iter().next().expect("0-d has one element"))),
        1 => {
            let items: Vec<String> = shown(a.len(), summarize)
                .into_iter()
                .map(|i| match i {
                    Some(i) => fmt_value(a[[i]]),
                    None => " ...".to_string(),
                })
                .collect();
            let per_line = (LINEWIDTH.saturating_sub(indent) / (width + 2)).max(1);
            let lines: Vec<String> = items.chunks(per_line).map(|c| c.join(", ")).collect();
            out.push('[');
            out.push_str(&lines.join(&format!(",\n{}", " ".repeat(indent + 1))));
            out.push(']');
        }
        nd => {
            out.push('[');
            for (j, i) in shown(a.shape()[0], summarize).into_iter().enumerate() {
                if j > 0 {
                    out.push(',');
                    out.push_str(&"\n".repeat(nd - 1));
                    out.push_str(&" ".repeat(indent + 1));
                }
                match i {
                    Some(i) => write_nested(
                        out,
                        &a.index_axis(Axis(0), i),
                        fmt_value,
                        width,
                        indent + 1,
                        summarize,
                    ),
                    None => out.push_str("..."),
                }
            }
            out.push(']');
        }
    }
}

impl<T: Scalar> fmt::Display for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.data();
        let view = data.view();
        let prefix = "tensor(";
        let mut suffixes: Vec<String> = Vec::new();
        let mut text = String::from(prefix);
        if data.is_empty() {
            // PyTorch shows the shape of an empty tensor unless it is `(0,)`.
            if data.ndim() != 1 {
                let dims: Vec<String> = data.shape().iter().map(|d| d.to_string()).collect();
                suffixes.push(format!("size=({})", dims.join(", ")));
            }
            text.push_str("[]");
        } else {
            let summarize = data.len() > THRESHOLD;
            let values = summarized(&view, summarize);
            // Integers and booleans print as they are (`1`, `True`), right-aligned to the
            // widest value; floats in one style chosen from the values.
            let plain = |v: T| match T::DTYPE {
                DType::Bool if v == T::ONE => "True".to_string(),
                DType::Bool => "False".to_string(),
                _ => v.to_string(),
            };
            let style = choose_style(&ndarray::ArrayView1::from(&values[..]).into_dyn());
            let width = if T::DTYPE.is_floating_point() {
                // As PyTorch, the width comes from the nonzero finite values only (at least 1).
                values
                    .iter()
                    .map(|v| v.as_f64())
                    .filter(|v| v.is_finite() && *v != 0.0)
                    .map(|v| format_value(v, &style).len())
                    .max()
                    .unwrap_or(1)
            } else {
                values.iter().map(|&v| plain(v).len()).max().unwrap_or(1)
            };
            let fmt_value = |v: T| {
                if T::DTYPE.is_floating_point() {
                    format!("{:>width$}", format_value(v.as_f64(), &style))
                } else {
                    format!("{:>width$}", plain(v))
                }
            };
            write_nested(&mut text, &view, &fmt_value, width, prefix.len(), summarize);
        }
        // PyTorch omits the dtype for its defaults: float32, int64 and bool.
        if T::DTYPE == DType::F64 {
            suffixes.push(format!("dtype=torch.{}", T::DTYPE.torch_name()));
        }
        if let Some(name) = self.grad_fn_name() {
            suffixes.push(format!("grad_fn=<{name}>"));
        } else if self.requires_grad() {
            suffixes.push("requires_grad=true".to_string());
        }
        // PyTorch's `_add_suffixes`: a suffix that would pass the line width starts a new line.
        // (Python: `len(s) - s.rfind("\n") + 1`, with rfind = -1 when there is no newline.)
        let mut last_line_len = match text.rfind('\n') {
            Some(i) => text.len() - i + 1,
            None => text.len() + 2,
        };
        for suffix in suffixes {
            if last_line_len + suffix.len() + 2 > LINEWIDTH {
                text.push_str(&format!(",\n{}{suffix}", " ".repeat(prefix.len())));
                last_line_len = prefix.len() + suffix.len();
            } else {
                text.push_str(&format!(", {suffix}"));
                last_line_len += suffix.len() + 2;
            }
        }
        text.push(')');
        f.write_str(&text)
    }
}

impl<T: Scalar> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
