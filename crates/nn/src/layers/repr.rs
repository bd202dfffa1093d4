//! How layers write their settings in `extra_repr` the way PyTorch prints them: Python's
//! `True`/`False`, tuples (`(3,)`, `(3, 3)`) and float `repr` (`1e-05`, `0.1`).

/// A bool as Python prints it (`True`, `False`).
pub(crate) fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// Sizes as a Python tuple: `(3,)` for one, `(3, 4)` for more.
pub(crate) fn py_tuple(v: &[usize]) -> String {
    if v.len() == 1 {
        format!("({},)", v[0])
    } else {
        let parts: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        format!("({})", parts.join(", "))
    }
}

/// A float as Python's `repr` writes it (`1e-05`, `0.1`).
pub(crate) fn python_float(v: f64) -> String {
    if v != 0.0 && (v.abs() < 1e-4 || v.abs() >= 1e16) {
        let s = format!("{v:e}");
        match s.split_once('e') {
            Some((m, e)) => {
                let (sign, digits) = match e.strip_prefix('-') {
                    Some(d) => ("-", d),
                    None => ("+", e),
                };
                format!("{m}e{sign}{digits:0>2}")
            }
            None => s,
        }
    } else {
        format!("{v:?}")
    }
}
