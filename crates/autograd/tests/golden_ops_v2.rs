//! The core-v2 golden op cases PyTorch recorded in `tests/fixtures/ops_v2/` (made by
//! `tools/golden/ops_v2.py`; format in `tools/golden/README.md`): inputs prepared into views
//! (transposed, sliced, expanded, …) exactly as PyTorch's `prep`, forward values and the
//! gradient of `Σ_i <output_i, cotangent_i>` for every leaf, in f32, within
//! |a - b| <= 1e-6 + 1e-5·|b|.
//!
//! Integer and boolean inputs and outputs compare exactly; f64 outputs within the same bound.
//! A case whose op tapegrad does not have yet is listed as not run; the test asserts the exact list of cases that run, so a case that stops
//! matching, or an op that silently stops being dispatched, fails it. After adding an op, run
//! with `TAPEGRAD_BLESS=1` to rewrite that list, and review its diff.
//!
//! Each case also records PyTorch's `grad_fn` name of the output; the cases where tapegrad's
//! differs (a composite of several recorded ops where PyTorch has one node) are listed in
//! `tests/fixtures/ops_v2_grad_fn_differs.txt`, blessed the same way, so that list can only
//! shrink knowingly.

use serde_json::Value;
use std::path::PathBuf;
use tapegrad_autograd::functional::{
    cross_entropy, cross_entropy_with, embedding, embedding_with_padding, nll_loss, nll_loss_with,
    CrossEntropyOptions, NllLossOptions, Reduction,
};
use tapegrad_autograd::{BackwardOptions, Scalar, SliceArg, Tensor};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/ops_v2")
}

fn flat(v: &Value) -> (Vec<usize>, Vec<f64>) {
    let shape = v["shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    let data = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| match d {
            Value::Bool(b) => *b as u8 as f64,
            Value::String(s) => s.parse().unwrap(),
            d => d.as_f64().unwrap(),
        })
        .collect();
    (shape, data)
}

fn typed<T: Scalar>(v: &Value) -> Tensor<T> {
    let (shape, data) = flat(v);
    Tensor::from_vec(data.into_iter().map(T::from_f64).collect(), &shape)
}

fn tensor(v: &Value) -> Tensor<f32> {
    typed(v)
}

/// A tensor of any of the element types the fixtures use.
#[derive(Clone)]
enum Arg {
    F(Tensor<f32>),
    D(Tensor<f64>),
    I(Tensor<i64>),
    B(Tensor<bool>),
}

impl Arg {
    fn read(v: &Value) -> Arg {
        match v["dtype"].as_str().unwrap() {
            "f32" => Arg::F(typed(v)),
            "f64" => Arg::D(typed(v)),
            "i64" => Arg::I(typed(v)),
            "bool" => Arg::B(typed(v)),
            other => panic!("unknown dtype {other}"),
        }
    }
    fn f(&self) -> &Tensor<f32> {
        match self {
            Arg::F(t) => t,
            _ => panic!("expected an f32 input"),
        }
    }
    fn i(&self) -> &Tensor<i64> {
        match self {
            Arg::I(t) => t,
            _ => panic!("expected an i64 input"),
        }
    }
    fn b(&self) -> &Tensor<bool> {
        match self {
            Arg::B(t) => t,
            _ => panic!("expected a bool input"),
        }
    }
    fn dtype(&self) -> &'static str {
        match self {
            Arg::F(_) => "f32",
            Arg::D(_) => "f64",
            Arg::I(_) => "i64",
            Arg::B(_) => "bool",
        }
    }
    /// The name of the node that produced this output (`grad_fn`), if any.
    fn grad_fn(&self) -> Option<&'static str> {
        match self {
            Arg::F(t) => t.grad_fn_name(),
            Arg::D(t) => t.grad_fn_name(),
            _ => None,
        }
    }
    /// `Σ <self, cotangent>` in f32, for a float output that requires grad.
    fn dot(&self, c: &Value) -> Option<Tensor<f32>> {
        match self {
            Arg::F(t) if t.requires_grad() => Some((t * &tensor(c)).sum()),
            Arg::D(t) if t.requires_grad() => Some((t * &typed::<f64>(c)).sum().float()),
            _ => None,
        }
    }
}

fn close<T: Scalar>(case: &str, what: &str, got: &Tensor<T>, want: &Value) {
    let (shape, data) = flat(want);
    assert_eq!(
        got.shape().as_slice(),
        shape.as_slice(),
        "{case}: {what} shape"
    );
    let exact = !T::DTYPE.is_floating_point();
    for (i, (g, w)) in got.to_vec().iter().zip(&data).enumerate() {
        let (g, w) = (g.as_f64(), *w);
        let ok = if exact {
            g == w
        } else {
            (g - w).abs() <= 1e-6 + 1e-5 * w.abs() || (g.is_nan() && w.is_nan())
        };
        assert!(ok, "{case}: {what}[{i}] = {g} but PyTorch gives {w}");
    }
}

fn close_arg(case: &str, what: &str, got: &Arg, want: &Value) {
    assert_eq!(
        got.dtype(),
        want["dtype"].as_str().unwrap(),
        "{case}: {what} dtype"
    );
    match got {
        Arg::F(t) => close(case, what, t, want),
        Arg::D(t) => close(case, what, t, want),
        Arg::I(t) => close(case, what, t, want),
        Arg::B(t) => close(case, what, t, want),
    }
}

fn int(v: &Value) -> isize {
    v.as_i64().unwrap() as isize
}

fn ints(v: &Value) -> Vec<isize> {
    v.as_array().unwrap().iter().map(int).collect()
}

fn opt_int(v: &Value) -> Option<isize> {
    v.as_i64().map(|i| i as isize)
}

/// PyTorch's `prep` view steps.
fn prep<T: Scalar>(x: &Tensor<T>, steps: &Value) -> Tensor<T> {
    let mut x = x.clone();
    for step in steps.as_array().unwrap() {
        let s = step.as_array().unwrap();
        x = match s[0].as_str().unwrap() {
            "t" => x.t(),
            "transpose" => x.transpose(int(&s[1]), int(&s[2])),
            "permute" => {
                let d: Vec<usize> = ints(&s[1]).iter().map(|&d| d as usize).collect();
                x.permute(&d)
            }
            "narrow" => x.narrow(int(&s[1]), int(&s[2]), int(&s[3]) as usize),
            "select" => x.select(int(&s[1]), int(&s[2])),
            "slice" => x.slice(
                int(&s[1]),
                opt_int(&s[2]),
                opt_int(&s[3]),
                int(&s[4]) as usize,
            ),
            "expand" => x.expand(&ints(&s[1])),
            "unsqueeze" => x.unsqueeze(int(&s[1])),
            "squeeze" if s.len() == 1 => x.squeeze_all(),
            "squeeze" => x.squeeze(int(&s[1])),
            "diagonal" => x.diagonal(int(&s[1]), int(&s[2]), int(&s[3])),
            other => panic!("unknown prep step {other}"),
        };
    }
    x
}

fn reduction(a: &Value) -> Reduction {
    match a["reduction"].as_str().unwrap_or("mean") {
        "mean" => Reduction::Mean,
        "sum" => Reduction::Sum,
        _ => Reduction::None,
    }
}

/// The case's op on `args`, or `None` if tapegrad does not have it yet.
fn eval(case: &Value, args: &[Arg]) -> Option<Vec<Arg>> {
    if let Some(out) = eval_typed(case, args) {
        return out;
    }
    // The float-only ops: every input and output is f32.
    let outputs = match case.get("outputs") {
        Some(o) => o.as_array().unwrap().clone(),
        None => vec![case["output"].clone()],
    };
    if outputs.iter().any(|o| o["dtype"] != "f32") {
        return None;
    }
    let x: Vec<Tensor<f32>> = args.iter().map(|a| a.f().clone()).collect();
    eval_f32(case, &x).map(|v| v.into_iter().map(Arg::F).collect())
}

/// The ops with integer or boolean inputs or outputs (`Some(None)`: a case left out).
fn eval_typed(case: &Value, x: &[Arg]) -> Option<Option<Vec<Arg>>> {
    let a = &case["attrs"];
    let keepdim = a["keepdim"].as_bool().unwrap_or(false);
    let opt_dim = opt_int(&a["dim"]);
    let one = |t: Arg| Some(Some(vec![t]));
    let pair = |v: Tensor<f32>, i: Tensor<i64>| Some(Some(vec![Arg::F(v), Arg::I(i)]));
    let ignore_default = a["ignore_index"].as_i64().is_none_or(|i| i == -100);
    let plain_ce = ignore_default
        && a["label_smoothing"].as_f64().unwrap_or(0.0) == 0.0
        && a["weight"].is_null();
    macro_rules! cmp {
        ($m:ident) => {
            match (&x[0], x.get(1)) {
                (Arg::F(p), Some(Arg::F(q))) => one(Arg::B(p.$m(q))),
                (Arg::I(p), Some(Arg::I(q))) => one(Arg::B(p.$m(q))),
                (Arg::F(p), None) => one(Arg::B(p.$m(a["other"].as_f64().unwrap() as f32))),
                (Arg::I(p), None) => one(Arg::B(p.$m(a["other"].as_i64().unwrap()))),
                _ => Some(None),
            }
        };
    }
    match case["op"].as_str().unwrap() {
        "eq" => cmp!(eq),
        "ne" => cmp!(ne),
        "lt" => cmp!(lt),
        "le" => cmp!(le),
        "gt" => cmp!(gt),
        "ge" => cmp!(ge),
        "logical_and" => one(Arg::B(x[0].b().logical_and(x[1].b()))),
        "logical_or" => one(Arg::B(x[0].b().logical_or(x[1].b()))),
        "logical_not" => one(Arg::B(x[0].b().logical_not())),
        "any" if opt_dim.is_none() => one(Arg::B(x[0].b().any())),
        "all" if opt_dim.is_none() => one(Arg::B(x[0].b().all())),
        "any" => one(Arg::B(x[0].b().any_dim(opt_dim.unwrap(), keepdim))),
        "all" => one(Arg::B(x[0].b().all_dim(opt_dim.unwrap(), keepdim))),
        "sum" if matches!(x[0], Arg::B(_)) && opt_dim.is_none() => one(Arg::I(x[0].b().sum())),
        "sum" if matches!(x[0], Arg::B(_)) => one(Arg::I(match &a["dim"] {
            Value::Array(_) => x[0].b().sum_dims(&ints(&a["dim"]), keepdim),
            d => x[0].b().sum_dim(int(d), keepdim),
        })),
        "count_nonzero" => one(Arg::I(match &a["dim"] {
            Value::Null => x[0].f().count_nonzero(),
            d => x[0].f().count_nonzero_dims(&match d {
                Value::Array(_) => ints(d),
                d => vec![int(d)],
            }),
        })),
        "argmax" => one(Arg::I(x[0].f().argmax(opt_dim, keepdim))),
        "argmin" => one(Arg::I(x[0].f().argmin(opt_dim, keepdim))),
        "max" if opt_dim.is_some() => {
            let (v, i) = x[0].f().max_dim(opt_dim.unwrap(), keepdim);
            pair(v, i)
        }
        "min" if opt_dim.is_some() => {
            let (v, i) = x[0].f().min_dim(opt_dim.unwrap(), keepdim);
            pair(v, i)
        }
        "sort" => {
            let (v, i) = x[0].f().sort(
                opt_dim.unwrap_or(-1),
                a["descending"].as_bool().unwrap_or(false),
            );
            pair(v, i)
        }
        "argsort" => one(Arg::I(x[0].f().argsort(
            opt_dim.unwrap_or(-1),
            a["descending"].as_bool().unwrap_or(false),
        ))),
        "topk" if a["sorted"].as_bool().unwrap_or(true) => {
            let (v, i) = x[0].f().topk(
                int(&a["k"]) as usize,
                opt_dim.unwrap_or(-1),
                a["largest"].as_bool().unwrap_or(true),
            );
            pair(v, i)
        }
        "gather" => one(Arg::F(x[0].f().gather(int(&a["dim"]), x[1].i()))),
        "take_along_dim" => one(Arg::F(match opt_dim {
            Some(d) => x[0].f().take_along_dim(x[1].i(), d),
            None => x[0].f().take_along_dim_flat(x[1].i()),
        })),
        "scatter" if x.len() == 3 => {
            one(Arg::F(x[0].f().scatter(int(&a["dim"]), x[1].i(), x[2].f())))
        }
        "scatter_add" => one(Arg::F(x[0].f().scatter_add(
            int(&a["dim"]),
            x[1].i(),
            x[2].f(),
        ))),
        "index_select" => one(Arg::F(x[0].f().index_select(int(&a["dim"]), x[1].i()))),
        "masked_fill" if a["value"].is_number() => one(Arg::F(
            x[0].f()
                .masked_fill(x[1].b(), a["value"].as_f64().unwrap() as f32),
        )),
        "masked_select" => one(Arg::F(x[0].f().masked_select(x[1].b()))),
        "where" if x.len() == 3 => one(Arg::F(Tensor::where_(x[0].b(), x[1].f(), x[2].f()))),
        "one_hot" => one(Arg::I(
            x[0].i().one_hot(
                a["num_classes"]
                    .as_i64()
                    .filter(|&c| c >= 0)
                    .map(|c| c as usize),
            ),
        )),
        "embedding" if a.as_object().is_none_or(|o| o.is_empty()) => {
            one(Arg::F(embedding(x[0].i(), x[1].f())))
        }
        "embedding" => one(Arg::F(embedding_with_padding(
            x[0].i(),
            x[1].f(),
            opt_int(&a["padding_idx"]),
        ))),
        "nll_loss" if ignore_default && x.len() == 2 && x[1].i().ndim() <= 1 => {
            one(Arg::F(nll_loss(x[0].f(), x[1].i(), reduction(a))))
        }
        "nll_loss" => one(Arg::F(nll_loss_with(
            x[0].f(),
            x[1].i(),
            NllLossOptions {
                weight: x.get(2).map(|w| w.f().clone()),
                ignore_index: a["ignore_index"].as_i64().unwrap_or(-100),
                reduction: reduction(a),
            },
        ))),
        "cross_entropy"
            if plain_ce && x.len() == 2 && x[0].f().ndim() <= 2 && matches!(x[1], Arg::I(_)) =>
        {
            one(Arg::F(cross_entropy(x[0].f(), x[1].i(), reduction(a))))
        }
        "cross_entropy" => {
            let options = CrossEntropyOptions {
                weight: x.get(2).map(|w| w.f().clone()),
                ignore_index: a["ignore_index"].as_i64().unwrap_or(-100),
                reduction: reduction(a),
                label_smoothing: a["label_smoothing"].as_f64().unwrap_or(0.0),
            };
            one(Arg::F(match &x[1] {
                Arg::I(t) => cross_entropy_with(x[0].f(), t, options),
                Arg::F(p) => cross_entropy_with(x[0].f(), p, options),
                _ => return Some(None),
            }))
        }
        "softmax" | "log_softmax" if a["dtype"] == "f64" => {
            let wide = x[0].f().double();
            let d = int(&a["dim"]);
            one(Arg::D(if case["op"] == "softmax" {
                wide.softmax(d)
            } else {
                wide.log_softmax(d)
            }))
        }
        "composite" if case["name"] == "to_f64_chain" => {
            one(Arg::D((&x[0].f().double() * 3.0).sum()))
        }
        "composite" if case["name"] == "nll_loss_log_softmax" => one(Arg::F(nll_loss(
            &x[0].f().log_softmax(int(&a["dim"])),
            x[1].i(),
            reduction(a),
        ))),
        "to" => one(match (a["dtype"].as_str().unwrap(), &x[0]) {
            ("f32", Arg::B(t)) => Arg::F(t.float()),
            ("f32", Arg::I(t)) => Arg::F(t.float()),
            ("f32", Arg::D(t)) => Arg::F(t.float()),
            ("f64", Arg::F(t)) => Arg::D(t.double()),
            ("i64", Arg::F(t)) => Arg::I(t.long()),
            ("bool", Arg::F(t)) => Arg::B(t.bool()),
            _ => return Some(None),
        }),
        _ => {
            if x.iter().all(|t| matches!(t, Arg::F(_))) {
                None
            } else {
                Some(None)
            }
        }
    }
}

/// The ops whose inputs and outputs are all f32.
fn eval_f32(case: &Value, x: &[Tensor<f32>]) -> Option<Vec<Tensor<f32>>> {
    let a = &case["attrs"];
    let dim = || int(&a["dim"]);
    let keepdim = || a["keepdim"].as_bool().unwrap_or(false);
    let correction = || a["correction"].as_f64().unwrap_or(1.0);
    let dims = |v: &Value| match v {
        Value::Null => vec![],
        Value::Array(_) => ints(v),
        d => vec![int(d)],
    };
    let one = |t: Tensor<f32>| Some(vec![t]);
    match case["op"].as_str().unwrap() {
        "view" => one(x[0].view(&ints(&a["shape"]))),
        "reshape" => one(x[0].reshape(&ints(&a["shape"]))),
        "transpose" => one(x[0].transpose(int(&a["dim0"]), int(&a["dim1"]))),
        "permute" => {
            let rank = x[0].ndim() as isize;
            let d: Vec<usize> = ints(&a["dims"])
                .iter()
                .map(|&d| if d < 0 { d + rank } else { d } as usize)
                .collect();
            one(x[0].permute(&d))
        }
        "t" => one(x[0].t()),
        "mT" => one(x[0].mt()),
        "expand" => one(x[0].expand(&ints(&a["size"]))),
        "narrow" => one(x[0].narrow(dim(), int(&a["start"]), int(&a["length"]) as usize)),
        "select" => one(x[0].select(dim(), int(&a["index"]))),
        "squeeze" => match &a["dim"] {
            Value::Null => one(x[0].squeeze_all()),
            Value::Array(ds) => {
                // Squeeze the listed dims, highest first so the others keep their index.
                let rank = x[0].ndim() as isize;
                let mut ds: Vec<isize> = ds.iter().map(|d| (int(d) + rank) % rank.max(1)).collect();
                ds.sort_unstable_by(|p, q| q.cmp(p));
                one(ds.iter().fold(x[0].clone(), |t, &d| t.squeeze(d)))
            }
            d => one(x[0].squeeze(int(d))),
        },
        "unsqueeze" => one(x[0].unsqueeze(dim())),
        "flatten" => {
            let s = opt_int(&a["start_dim"]).unwrap_or(0);
            let e = opt_int(&a["end_dim"]).unwrap_or(-1);
            one(x[0].flatten_range(s, e))
        }
        "unflatten" => one(x[0].unflatten(dim(), &ints(&a["sizes"]))),
        "unbind" => Some(x[0].unbind(dim())),
        "split" => {
            let d = opt_int(&a["dim"]).unwrap_or(0);
            Some(match &a["split_size_or_sections"] {
                Value::Array(_) => {
                    let sizes: Vec<usize> = ints(&a["split_size_or_sections"])
                        .iter()
                        .map(|&s| s as usize)
                        .collect();
                    x[0].split_with_sizes(&sizes, d)
                }
                s => x[0].split(int(s) as usize, d),
            })
        }
        "chunk" => Some(x[0].chunk(int(&a["chunks"]) as usize, opt_int(&a["dim"]).unwrap_or(0))),
        "diagonal" => one(x[0].diagonal(
            opt_int(&a["offset"]).unwrap_or(0),
            opt_int(&a["dim1"]).unwrap_or(0),
            opt_int(&a["dim2"]).unwrap_or(1),
        )),
        "slice" if int(&a["dim"]) >= 0 => one(x[0].i(
            // x[:, :, start:end:step] written with i(), one full range per leading dim
            (0..int(&a["dim"]))
                .map(|_| SliceArg::from(..))
                .chain([SliceArg::Range {
                    start: opt_int(&a["start"]),
                    end: opt_int(&a["end"]),
                    step: opt_int(&a["step"]).unwrap_or(1) as usize,
                }])
                .collect::<Vec<_>>(),
        )),
        "slice" => one(x[0].slice(
            dim(),
            opt_int(&a["start"]),
            opt_int(&a["end"]),
            opt_int(&a["step"]).unwrap_or(1) as usize,
        )),
        "contiguous" => one(x[0].contiguous()),
        // ops of the first core, here with non-contiguous inputs
        "add" => one(&x[0] + &x[1]),
        "sub" => one(&x[0] - &x[1]),
        "mul" => one(&x[0] * &x[1]),
        "div" => one(&x[0] / &x[1]),
        "exp" => one(x[0].exp()),
        "abs" => one(x[0].abs()),
        "relu" => one(x[0].relu()),
        "sigmoid" => one(x[0].sigmoid()),
        "matmul" => one(x[0].matmul(&x[1])),
        "mm" => one(x[0].mm(&x[1])),
        "bmm" => one(x[0].bmm(&x[1])),
        "mv" => one(x[0].mv(&x[1])),
        "dot" => one(x[0].dot(&x[1])),
        "outer" => one(x[0].outer(&x[1])),
        "softmax" => one(x[0].softmax(dim())),
        "log_softmax" => one(x[0].log_softmax(dim())),
        "leaky_relu" => one(x[0].leaky_relu(a["negative_slope"].as_f64().unwrap_or(0.01))),
        "clamp" if x.len() == 1 => one(x[0].clamp(a["min"].as_f64(), a["max"].as_f64())),
        "clamp" if x.len() == 3 => one(x[0].clamp_tensor(Some(&x[1]), Some(&x[2]))),
        "prod" => one(match opt_int(&a["dim"]) {
            None => x[0].prod(),
            Some(d) => x[0].prod_dim(d, keepdim()),
        }),
        "cumprod" => one(x[0].cumprod(dim())),
        "einsum" => {
            let refs: Vec<&Tensor<f32>> = x.iter().collect();
            one(Tensor::einsum(a["equation"].as_str().unwrap(), &refs))
        }
        "pow" if a["self"].is_number() => {
            one(Tensor::scalar(a["self"].as_f64().unwrap() as f32).pow_tensor(&x[0]))
        }
        "pow" if a["exponent"].is_number() => one(x[0].pow(a["exponent"].as_f64().unwrap())),
        "pow" if x.len() == 2 => one(x[0].pow_tensor(&x[1])),
        "maximum" => one(x[0].maximum(&x[1])),
        "minimum" => one(x[0].minimum(&x[1])),
        "atan2" => one(x[0].atan2(&x[1])),
        "lerp" if x.len() == 3 => one(x[0].lerp(&x[1], &x[2])),
        "lerp" => one(x[0].lerp(&x[1], &Tensor::scalar(a["weight"].as_f64().unwrap() as f32))),
        "addcmul" => one(x[0].addcmul(&x[1], &x[2], a["value"].as_f64().unwrap_or(1.0) as f32)),
        "addcdiv" => one(x[0].addcdiv(&x[1], &x[2], a["value"].as_f64().unwrap_or(1.0) as f32)),
        "amax" => one(x[0].amax(&dims(&a["dim"]), keepdim())),
        "amin" => one(x[0].amin(&dims(&a["dim"]), keepdim())),
        "max" if a["dim"].is_null() => one(x[0].max()),
        "min" if a["dim"].is_null() => one(x[0].min()),
        "sum" => one(x[0].sum_dims(&dims(&a["dim"]), keepdim())),
        "mean" => one(x[0].mean_dims(&dims(&a["dim"]), keepdim())),
        "var" => one(x[0].var(&dims(&a["dim"]), correction(), keepdim())),
        "std" => one(x[0].std(&dims(&a["dim"]), correction(), keepdim())),
        "logsumexp" => one(x[0].logsumexp(&dims(&a["dim"]), keepdim())),
        "norm" => {
            let p = if a["p"] == "inf" {
                f64::INFINITY
            } else {
                a["p"].as_f64().unwrap_or(2.0)
            };
            one(x[0].norm(p, &dims(&a["dim"]), keepdim()))
        }
        "cumsum" => one(x[0].cumsum(dim())),
        "flip" => one(x[0].flip(&ints(&a["dims"]))),
        "roll" => {
            let (shifts, ds) = (&a["shifts"], &a["dims"]);
            one(if ds.is_null() {
                let shape: Vec<isize> = x[0].shape().iter().map(|&s| s as isize).collect();
                x[0].reshape(&[-1]).roll(int(shifts), 0).reshape(&shape)
            } else if shifts.is_array() {
                ints(shifts)
                    .iter()
                    .zip(ints(ds))
                    .fold(x[0].clone(), |t, (&s, d)| t.roll(s, d))
            } else {
                x[0].roll(int(shifts), int(ds))
            })
        }
        "repeat" => {
            let r: Vec<usize> = ints(&a["repeats"]).iter().map(|&r| r as usize).collect();
            one(x[0].repeat(&r))
        }
        "tril" => one(x[0].tril(opt_int(&a["diagonal"]).unwrap_or(0))),
        "triu" => one(x[0].triu(opt_int(&a["diagonal"]).unwrap_or(0))),
        "pad" if a["mode"] == "constant" => {
            one(x[0].pad(&ints(&a["pad"]), a["value"].as_f64().unwrap_or(0.0) as f32))
        }
        "sin" => one(x[0].sin()),
        "silu" => one(x[0].silu()),
        "gelu" => one(x[0].gelu(a["approximate"] == "tanh")),
        "elu" => one(x[0].elu(a["alpha"].as_f64().unwrap_or(1.0))),
        "selu" => one(x[0].selu()),
        "celu" => one(x[0].celu(a["alpha"].as_f64().unwrap_or(1.0))),
        "softplus" => one(x[0].softplus(
            a["beta"].as_f64().unwrap_or(1.0),
            a["threshold"].as_f64().unwrap_or(20.0),
        )),
        "softsign" => one(x[0].softsign()),
        "hardtanh" => one(x[0].hardtanh(
            a["min_val"].as_f64().unwrap_or(-1.0),
            a["max_val"].as_f64().unwrap_or(1.0),
        )),
        "relu6" => one(x[0].relu6()),
        "hardsigmoid" => one(x[0].hardsigmoid()),
        "hardswish" => one(x[0].hardswish()),
        "mish" => one(x[0].mish()),
        "logsigmoid" => one(x[0].logsigmoid()),
        "cos" => one(x[0].cos()),
        "tan" => one(x[0].tan()),
        "asin" => one(x[0].asin()),
        "atan" => one(x[0].atan()),
        "sinh" => one(x[0].sinh()),
        "cosh" => one(x[0].cosh()),
        "erf" => one(x[0].erf()),
        "rsqrt" => one(x[0].rsqrt()),
        "reciprocal" => one(x[0].reciprocal()),
        "log1p" => one(x[0].log1p()),
        "expm1" => one(x[0].expm1()),
        "log2" => one(x[0].log2()),
        "log10" => one(x[0].log10()),
        "exp2" => one(x[0].exp2()),
        "square" => one(x[0].square()),
        "sign" => one(x[0].sign()),
        "floor" => one(x[0].floor()),
        "ceil" => one(x[0].ceil()),
        "round" if a["decimals"].is_null() => one(x[0].round()),
        "round" => one(x[0].round_decimals(int(&a["decimals"]) as i32)),
        "trunc" => one(x[0].trunc()),
        "frac" => one(x[0].frac()),
        "cat" | "stack" | "hstack" | "vstack" => {
            let refs: Vec<&Tensor<f32>> = x.iter().collect();
            let d = opt_int(&a["dim"]).unwrap_or(0);
            one(match case["op"].as_str().unwrap() {
                "cat" => Tensor::cat(&refs, d),
                "stack" => Tensor::stack(&refs, d),
                "hstack" => Tensor::hstack(&refs),
                _ => Tensor::vstack(&refs),
            })
        }
        _ => None,
    }
}

#[test]
fn every_supported_v2_golden_case_matches_pytorch() {
    let mut files: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| !p.ends_with("index.json"))
        .collect();
    files.sort();
    let mut ran = Vec::new();
    let mut grad_fn_differs = Vec::new();
    for path in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let name = case["name"].as_str().unwrap().to_string();
        let outputs: Vec<Value> = match case.get("outputs") {
            Some(o) => o.as_array().unwrap().clone(),
            None => vec![case["output"].clone()],
        };
        let leaves: Vec<Arg> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| match Arg::read(i) {
                Arg::F(t) => Arg::F(t.requires_grad_(i["requires_grad"].as_bool().unwrap())),
                Arg::D(t) => Arg::D(t.requires_grad_(i["requires_grad"].as_bool().unwrap())),
                other => other,
            })
            .collect();
        let args: Vec<Arg> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&leaves)
            .map(|(i, l)| match (i.get("prep"), l) {
                (None, l) => l.clone(),
                (Some(p), Arg::F(t)) => Arg::F(prep(t, p)),
                (Some(p), Arg::D(t)) => Arg::D(prep(t, p)),
                (Some(p), Arg::I(t)) => Arg::I(prep(t, p)),
                (Some(p), Arg::B(t)) => Arg::B(prep(t, p)),
            })
            .collect();
        let Some(outs) = eval(&case, &args) else {
            continue;
        };
        assert_eq!(outs.len(), outputs.len(), "{name}: number of outputs");
        for (k, (o, want)) in outs.iter().zip(&outputs).enumerate() {
            close_arg(&name, &format!("output {k}"), o, want);
        }
        if let Some(want) = case.get("grad_fn").and_then(Value::as_str) {
            let got = outs[0].grad_fn().unwrap_or("none");
            if got != want {
                grad_fn_differs.push(format!("{name}: PyTorch {want}, tapegrad {got}"));
            }
        }
        let cotangents: Vec<Value> = match (case.get("cotangents"), case.get("cotangent")) {
            (Some(c), _) => c.as_array().unwrap().clone(),
            (None, Some(c)) => vec![c.clone()],
            (None, None) => vec![],
        };
        let total = outs
            .iter()
            .zip(&cotangents)
            .filter_map(|(o, c)| o.dot(c))
            .reduce(|p, q| &p + &q);
        if let Some(total) = total {
            total.backward_with(BackwardOptions::new());
        }
        let names: Vec<&str> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap())
            .collect();
        for (gname, want) in case["grads"].as_object().unwrap() {
            let i = names.iter().position(|n| n == gname).unwrap();
            let what = format!("grad[{gname}]");
            let missing = format!("{name}: no grad for {gname}");
            match &leaves[i] {
                Arg::F(t) => close(&name, &what, &t.grad().expect(&missing), want),
                Arg::D(t) => close(&name, &what, &t.grad().expect(&missing), want),
                _ => panic!("{name}: a gradient for the integer input {gname}"),
            }
        }
        ran.push(name);
    }
    let list = fixtures().join("../ops_v2_supported.txt");
    let differs = fixtures().join("../ops_v2_grad_fn_differs.txt");
    if std::env::var_os("TAPEGRAD_BLESS").is_some() {
        std::fs::write(&list, ran.join("\n") + "\n").unwrap();
        std::fs::write(&differs, grad_fn_differs.join("\n") + "\n").unwrap();
    }
    let expected_differs = std::fs::read_to_string(&differs).unwrap();
    let expected_differs: Vec<&str> = expected_differs.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        grad_fn_differs, expected_differs,
        "the cases whose grad_fn name differs from PyTorch's must be exactly \
         tests/fixtures/ops_v2_grad_fn_differs.txt (fix the op, or bless and review the list)"
    );
    let expected = std::fs::read_to_string(&list).unwrap();
    let expected: Vec<&str> = expected.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        ran, expected,
        "the cases that run must be exactly tests/fixtures/ops_v2_supported.txt: a case \
         stopped running, or a newly supported op needs adding there"
    );
}
