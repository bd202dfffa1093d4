//! Python's float printing, so the lecture examples print exactly what the originals printed.
//!
//! `print(w)` in Python shows `repr(w)`: the shortest digit string that reads back as the same
//! f64 (Rust's `{}` gives the same digits), always with a `.0` for integral values (`4.0`), and
//! in exponent form `1e-05` / `1.5e+16` when the decimal exponent is < -4 or >= 16 (Rust's
//! `{}` never uses an exponent, so `{:e}` supplies the digits there).

/// `repr(v)` of a Python float: `4.0`, `0.1`, `1e-05`, `1.5e-07`, `1e+16`, `-0.0`, `inf`, `nan`.
pub fn py_float(v: f64) -> String {
    if v.is_nan() {
        return "nan".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    // `{:e}` is the shortest round-trip digits in scientific form, e.g. `1.5e-7`, `-0e0`.
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci
        .split_once('e')
        .expect("`{:e}` always writes an exponent");
    let exp: i32 = exp.parse().expect("`{:e}` writes an integer exponent");
    if v != 0.0 && !(-4..16).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let plain = format!("{v}");
    if plain.contains('.') {
        plain
    } else {
        plain + ".0"
    }
}
