//! The parsers behind `sigmoid_net`'s flags: numbers, pairs, the target rows and
//! `--scheduler CLASS:key=value,...` checked against PyTorch's keywords, and the values they
//! make.

/// `--betas B1,B2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Betas(pub f64, pub f64);

/// `--etas A,B`, `--step-sizes A,B`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair(pub f64, pub f64);

/// `--target a,b;c,d;e,f`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Target(pub [[f32; 2]; 3]);

/// `--scheduler`.
#[derive(Clone, Debug, PartialEq)]
pub enum SchedulerSpec {
    /// `CLASS:key=value,...`: PyTorch's class (canonical spelling) and keyword arguments
    /// (canonical names), checked against the class's keywords.
    Class {
        /// PyTorch's class name (`"OneCycleLR"`).
        class: &'static str,
        /// The keyword arguments given.
        kwargs: Vec<(&'static str, KwValue)>,
    },
    /// `StepLR(step_size, gamma)`.
    Step {
        /// Epochs between decays.
        step_size: usize,
        /// Factor applied every `step_size` epochs.
        gamma: f64,
    },
    /// `ExponentialLR(gamma)`.
    Exp {
        /// Factor applied every epoch.
        gamma: f64,
    },
}

/// A keyword argument's value in `--scheduler CLASS:key=value,...`.
#[derive(Clone, Debug, PartialEq)]
pub enum KwValue {
    /// A number.
    Num(f64),
    /// `true` / `false`.
    Bool(bool),
    /// A word (`mode=triangular2`, `anneal_strategy=linear`).
    Word(String),
    /// `[a,b,...]` (`milestones`).
    List(Vec<f64>),
}

/// A finite number.
pub(crate) fn finite(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    Some(v)
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("`{s}` is not a finite number"))
}

/// A finite number >= 0 (learning rates, momentum, decays, eps).
pub(crate) fn non_negative(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    Some(v)
        .filter(|&v| v >= 0.0)
        .ok_or_else(|| format!("must be >= 0, got {v}"))
}

/// `--lr`: a finite number >= 0, refused with the optimizer's own words (PyTorch's
/// `Invalid learning rate: -1`).
pub(crate) fn learning_rate(s: &str) -> Result<f64, String> {
    let v = finite(s)?;
    Some(v)
        .filter(|&v| v >= 0.0)
        .ok_or_else(|| format!("Invalid learning rate: {} (must be >= 0)", s.trim()))
}

/// The examples' `--lr`: a positive, finite number. `example` is the value the message for a
/// non-number suggests (`pass e.g. --lr 0.05`), `must_be` the rule the message for one out of
/// range states (`the learning rate must be positive and finite, got -1`).
pub fn positive_lr(s: &str, example: &str, must_be: &str) -> Result<f64, String> {
    let lr: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number; pass e.g. --lr {example}"))?;
    Some(lr)
        .filter(|&lr| lr > 0.0 && lr.is_finite())
        .ok_or_else(|| format!("the learning rate must be {must_be}, got {lr}"))
}

/// `A,B`: two finite numbers >= 0.
pub(crate) fn parse_pair(s: &str) -> Result<Pair, String> {
    let parts: Vec<&str> = s.split(',').collect();
    let [a, b] = parts.as_slice() else {
        return Err(format!(
            "expected two numbers `A,B` (e.g. 0.5,1.2), got `{s}`"
        ));
    };
    Ok(Pair(non_negative(a)?, non_negative(b)?))
}

/// `B1,B2`, each in [0, 1).
pub(crate) fn parse_betas(s: &str) -> Result<Betas, String> {
    let parts: Vec<&str> = s.split(',').collect();
    let [b1, b2] = parts.as_slice() else {
        return Err(format!(
            "expected two numbers `B1,B2` (e.g. 0.9,0.999), got `{s}`"
        ));
    };
    let (b1, b2) = (finite(b1)?, finite(b2)?);
    for (i, b) in [(1, b1), (2, b2)] {
        if !(0.0..1.0).contains(&b) {
            return Err(format!("beta{i} must be in [0, 1), got {b}"));
        }
    }
    Ok(Betas(b1, b2))
}

/// `a,b;c,d;e,f`: three rows of two finite numbers.
pub(crate) fn parse_target(s: &str) -> Result<Target, String> {
    let rows: Vec<&str> = s.split(';').collect();
    if rows.len() != 3 {
        return Err(format!(
            "expected 3 rows separated by `;` (e.g. \"1,2;0,3;1,123\"), got {} in `{s}`",
            rows.len()
        ));
    }
    let mut t = [[0.0f32; 2]; 3];
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<&str> = row.split(',').collect();
        if cells.len() != 2 {
            return Err(format!(
                "row {} (`{row}`) has {} values, expected 2 separated by `,`",
                i + 1,
                cells.len()
            ));
        }
        for (j, c) in cells.iter().enumerate() {
            // Checked after the conversion: 1e39 is a finite f64 but an infinite f32.
            let v = finite(c)? as f32;
            if !v.is_finite() {
                return Err(format!(
                    "`{}` overflows float32 (its finite values lie within ±{:e})",
                    c.trim(),
                    f32::MAX
                ));
            }
            t[i][j] = v;
        }
    }
    Ok(Target(t))
}

/// What a keyword takes.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Num,
    Int,
    Bool,
    Word(&'static [&'static str]),
    IntList,
}

/// A keyword: PyTorch's name, what it takes, whether it is required.
type Keyword = (&'static str, Kind, bool);

/// The classes `--scheduler CLASS:...` builds, with their keywords (PyTorch's names) and which
/// are required.
const SCHEDULERS: &[(&str, &[Keyword])] = &[
    (
        "StepLR",
        &[("step_size", Kind::Int, true), ("gamma", Kind::Num, false)],
    ),
    (
        "MultiStepLR",
        &[
            ("milestones", Kind::IntList, true),
            ("gamma", Kind::Num, false),
        ],
    ),
    ("ExponentialLR", &[("gamma", Kind::Num, true)]),
    (
        "CosineAnnealingLR",
        &[("T_max", Kind::Int, true), ("eta_min", Kind::Num, false)],
    ),
    (
        "LinearLR",
        &[
            ("start_factor", Kind::Num, false),
            ("end_factor", Kind::Num, false),
            ("total_iters", Kind::Int, false),
        ],
    ),
    (
        "ConstantLR",
        &[
            ("factor", Kind::Num, false),
            ("total_iters", Kind::Int, false),
        ],
    ),
    (
        "PolynomialLR",
        &[
            ("total_iters", Kind::Int, false),
            ("power", Kind::Num, false),
        ],
    ),
    (
        "CosineAnnealingWarmRestarts",
        &[
            ("T_0", Kind::Int, true),
            ("T_mult", Kind::Int, false),
            ("eta_min", Kind::Num, false),
        ],
    ),
    (
        "OneCycleLR",
        &[
            ("max_lr", Kind::Num, true),
            ("total_steps", Kind::Int, false),
            ("epochs", Kind::Int, false),
            ("steps_per_epoch", Kind::Int, false),
            ("pct_start", Kind::Num, false),
            ("anneal_strategy", Kind::Word(&["cos", "linear"]), false),
            ("cycle_momentum", Kind::Bool, false),
            ("base_momentum", Kind::Num, false),
            ("max_momentum", Kind::Num, false),
            ("div_factor", Kind::Num, false),
            ("final_div_factor", Kind::Num, false),
            ("three_phase", Kind::Bool, false),
        ],
    ),
    (
        "CyclicLR",
        &[
            ("base_lr", Kind::Num, true),
            ("max_lr", Kind::Num, true),
            ("step_size_up", Kind::Int, false),
            ("step_size_down", Kind::Int, false),
            (
                "mode",
                Kind::Word(&["triangular", "triangular2", "exp_range"]),
                false,
            ),
            ("gamma", Kind::Num, false),
            ("cycle_momentum", Kind::Bool, false),
            ("base_momentum", Kind::Num, false),
            ("max_momentum", Kind::Num, false),
        ],
    ),
];

/// Splits `a=1,b=[2,3],c=x` at the commas outside brackets.
fn split_kwargs(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

/// `CLASS:key=value,...` (class and keys case-insensitive), checked against PyTorch's keywords.
fn parse_class_spec(
    class: &'static str,
    keys: &[Keyword],
    rest: &str,
) -> Result<SchedulerSpec, String> {
    let mut kwargs: Vec<(&'static str, KwValue)> = Vec::new();
    for part in split_kwargs(rest) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("{class}: expected `key=value`, got `{part}`"))?;
        let (k, v) = (k.trim(), v.trim());
        let &(name, kind, _) = keys
            .iter()
            .find(|(n, _, _)| n.eq_ignore_ascii_case(k))
            .ok_or_else(|| {
                let names: Vec<&str> = keys.iter().map(|(n, _, _)| *n).collect();
                format!(
                    "{class} got an unexpected keyword argument '{k}' (its keywords: {})",
                    names.join(", ")
                )
            })?;
        if kwargs.iter().any(|(n, _)| *n == name) {
            return Err(format!("{class}: keyword argument '{name}' repeated"));
        }
        let value = match kind {
            Kind::Num => KwValue::Num(finite(v)?),
            Kind::Int => {
                let n: u64 = v.parse().map_err(|_| {
                    format!("{class}: {name} must be a non-negative integer, got `{v}`")
                })?;
                KwValue::Num(n as f64)
            }
            Kind::Bool => match v.to_ascii_lowercase().as_str() {
                "true" => KwValue::Bool(true),
                "false" => KwValue::Bool(false),
                _ => return Err(format!("{class}: {name} must be true or false, got `{v}`")),
            },
            Kind::Word(words) => {
                let w = v.to_ascii_lowercase();
                if !words.contains(&w.as_str()) {
                    return Err(format!(
                        "{class}: {name} must be one of {}, got `{v}`",
                        words.join(", ")
                    ));
                }
                KwValue::Word(w)
            }
            Kind::IntList => {
                let inner = v
                    .strip_prefix('[')
                    .and_then(|v| v.strip_suffix(']'))
                    .ok_or_else(|| {
                        format!("{class}: {name} must be a list `[a,b,...]`, got `{v}`")
                    })?;
                let items = inner
                    .split(',')
                    .filter(|x| !x.trim().is_empty())
                    .map(|x| {
                        x.trim()
                            .parse::<u64>()
                            .map(|n| n as f64)
                            .map_err(|_| format!("{class}: {name} holds `{x}`, not an integer"))
                    })
                    .collect::<Result<Vec<f64>, String>>()?;
                KwValue::List(items)
            }
        };
        kwargs.push((name, value));
    }
    for &(name, _, required) in keys {
        if required && !kwargs.iter().any(|(n, _)| *n == name) {
            return Err(format!("{class} missing required argument '{name}'"));
        }
    }
    Ok(SchedulerSpec::Class { class, kwargs })
}

/// `CLASS:key=value,...`, or `step:STEP_SIZE:GAMMA` / `exp:GAMMA` with a positive integer step
/// size and a positive gamma.
pub(crate) fn parse_scheduler(s: &str) -> Result<SchedulerSpec, String> {
    let (head, rest) = s.split_once(':').unwrap_or((s, ""));
    if let Some((class, keys)) = SCHEDULERS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(head.trim()))
    {
        return parse_class_spec(class, keys, rest);
    }
    parse_short_scheduler(s)
}

/// `step:STEP_SIZE:GAMMA` or `exp:GAMMA`, with a positive integer step size and a positive gamma.
fn parse_short_scheduler(s: &str) -> Result<SchedulerSpec, String> {
    let gamma = |g: &str| -> Result<f64, String> {
        let v = finite(g)?;
        if v > 0.0 {
            Ok(v)
        } else {
            Err(format!("gamma must be > 0, got {v}"))
        }
    };
    match s.split(':').collect::<Vec<_>>().as_slice() {
        ["step", n, g] => {
            let step_size: usize = n
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("STEP_SIZE must be a positive integer, got `{n}`"))?;
            Ok(SchedulerSpec::Step {
                step_size,
                gamma: gamma(g)?,
            })
        }
        ["exp", g] => Ok(SchedulerSpec::Exp { gamma: gamma(g)? }),
        _ => Err(format!(
            "expected `step:STEP_SIZE:GAMMA` (e.g. step:30:0.5), `exp:GAMMA` (e.g. exp:0.99) or \
             `CLASS:key=value,...` with a class of {} (e.g. OneCycleLR:max_lr=0.5,total_steps=100), \
             got `{s}`",
            SCHEDULERS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
        )),
    }
}
