//! Printing `backprop_by_hand`'s intermediates: matrices and vectors in aligned columns.

use ndarray::{Array1, Array2};
use std::io::{self, Write};

/// Three rows of two as a `[3, 2]` matrix.
pub fn rows(a: &[[f64; 2]; 3]) -> Array2<f64> {
    Array2::from_shape_fn((3, 2), |(i, j)| a[i][j])
}

/// A number in an 11-character column: six decimals, or scientific notation when tiny.
pub fn cell(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:>11.4e}")
    } else {
        format!("{v:>11.6}")
    }
}

/// A matrix, one row per line, indented.
pub fn show(out: &mut dyn Write, label: &str, m: &Array2<f64>) -> io::Result<()> {
    writeln!(out, "  {label} [{}x{}]:", m.nrows(), m.ncols())?;
    for r in m.rows() {
        let cells: Vec<String> = r.iter().map(|&v| cell(v)).collect();
        writeln!(out, "    [{}]", cells.join(" "))?;
    }
    Ok(())
}

/// A vector on one line.
pub fn show_vec(out: &mut dyn Write, label: &str, v: &Array1<f64>) -> io::Result<()> {
    let cells: Vec<String> = v.iter().map(|&v| cell(v)).collect();
    writeln!(out, "  {label} [{}]: [{}]", v.len(), cells.join(" "))
}

/// The larger of `a` and `b`, NaN if either is (`f64::max` drops a NaN).
pub fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}
