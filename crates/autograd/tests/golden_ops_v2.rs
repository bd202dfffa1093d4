//! The core-v2 golden op cases PyTorch recorded in `tests/fixtures/ops_v2/` (made by
//! `tools/golden/ops_v2.py`; format in `tools/golden/README.md`): inputs prepared into views
//! (transposed, sliced, expanded, …) exactly as PyTorch's `prep`, forward values and the
//! gradient of `Σ_i <output_i, cotangent_i>` for every leaf, in f32, within
//! |a - b| <= 1e-6 + 1e-5·|b|.
//!
//! A case whose op tapegrad does not have yet, or that needs integer or boolean tensors, is
//! listed as not run; the test asserts the exact list of cases that run, so a case that stops
//! matching, or an op that silently stops being dispatched, fails it. After adding an op, run
//! with `TAPEGRAD_BLESS=1` to rewrite that list, and review its diff.

use serde_json::Value;
use std::path::PathBuf;
use tapegrad_autograd::{BackwardOptions, SliceArg, Tensor};

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
        .map(|d| d.as_f64().unwrap())
        .collect();
    (shape, data)
}

fn tensor(v: &Value) -> Tensor<f32> {
    let (shape, data) = flat(v);
    Tensor::from_vec(data.into_iter().map(|x| x as f32).collect(), &shape)
}

fn close(case: &str, what: &str, got: &Tensor<f32>, want: &Value) {
    let (shape, data) = flat(want);
    assert_eq!(
        got.shape().as_slice(),
        shape.as_slice(),
        "{case}: {what} shape"
    );
    for (i, (g, w)) in got.to_vec().iter().zip(&data).enumerate() {
        let (g, w) = (*g as f64, *w);
        assert!(
            (g - w).abs() <= 1e-6 + 1e-5 * w.abs(),
            "{case}: {what}[{i}] = {g} but PyTorch gives {w}"
        );
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
fn prep(x: &Tensor<f32>, steps: &Value) -> Tensor<f32> {
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

/// The case's op on `x`, or `None` if tapegrad does not have it yet.
fn eval(case: &Value, x: &[Tensor<f32>]) -> Option<Vec<Tensor<f32>>> {
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
    for path in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let name = case["name"].as_str().unwrap().to_string();
        let float_only = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["dtype"] == "f32");
        let outputs: Vec<Value> = match case.get("outputs") {
            Some(o) => o.as_array().unwrap().clone(),
            None => vec![case["output"].clone()],
        };
        if !float_only || outputs.iter().any(|o| o["dtype"] != "f32") {
            continue;
        }
        let leaves: Vec<Tensor<f32>> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| tensor(i).requires_grad_(i["requires_grad"].as_bool().unwrap()))
            .collect();
        let args: Vec<Tensor<f32>> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .zip(&leaves)
            .map(|(i, l)| match i.get("prep") {
                Some(p) => prep(l, p),
                None => l.clone(),
            })
            .collect();
        let Some(outs) = eval(&case, &args) else {
            continue;
        };
        assert_eq!(outs.len(), outputs.len(), "{name}: number of outputs");
        for (k, (o, want)) in outs.iter().zip(&outputs).enumerate() {
            close(&name, &format!("output {k}"), o, want);
        }
        let cotangents: Vec<Value> = match (case.get("cotangents"), case.get("cotangent")) {
            (Some(c), _) => c.as_array().unwrap().clone(),
            (None, Some(c)) => vec![c.clone()],
            (None, None) => vec![],
        };
        if !cotangents.is_empty() && outs[0].requires_grad() {
            let total = outs
                .iter()
                .zip(&cotangents)
                .map(|(o, c)| (o * &tensor(c)).sum())
                .reduce(|p, q| &p + &q)
                .unwrap();
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
            let g = leaves[i]
                .grad()
                .unwrap_or_else(|| panic!("{name}: no grad for {gname}"));
            close(&name, &format!("grad[{gname}]"), &g, want);
        }
        ran.push(name);
    }
    let list = fixtures().join("../ops_v2_supported.txt");
    if std::env::var_os("TAPEGRAD_BLESS").is_some() {
        std::fs::write(&list, ran.join("\n") + "\n").unwrap();
    }
    let expected = std::fs::read_to_string(&list).unwrap();
    let expected: Vec<&str> = expected.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(
        ran, expected,
        "the cases that run must be exactly tests/fixtures/ops_v2_supported.txt: a case \
         stopped running, or a newly supported op needs adding there"
    );
}
