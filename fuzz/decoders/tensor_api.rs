//! The tensor-API decoder shared by the `tensor_api` fuzz target and its bounded proptest
//! twin in `tests/hardening.rs`: bytes become a short program of tensor operations.
//!
//! A program picks a float dtype (`f32` or `f64`), then runs up to [`MAX_OPS`] operations over
//! a pool of tensors: creations of random shapes (rank 0 to 4, sizes 0 to 5, `requires_grad`
//! or not, and now and then a shape whose size overflows), views that alias their base
//! (`narrow`, `select`, `permute`, `transpose`, `expand`, `diagonal`, `unsqueeze`, `flip`-free
//! slices with steps), in-place ops on them (with and without `no_grad`), reductions over random
//! dims (negative and out-of-range ones included), broadcasting binary ops (through their
//! `try_` forms where one exists), matmul, cat, reshape/view, comparisons to `bool`, index ops
//! with `i64` indices (in and out of range), dtype conversions, and at the end, if the last
//! float result requires a gradient, `sum().backward()`.
//!
//! **The contract checked.** An op with a `try_` form (`try_add`, `try_sub`, `try_mul`,
//! `try_div`, `try_matmul`, `try_reshape`, `try_view`, `try_cat`, `try_from_vec`) must return
//! `Ok` or `Err`, never panic. Every other op may panic for an invalid argument, because that is
//! a programmer error (PyTorch raises, tapegrad panics with PyTorch's message), but only with a
//! *library* message: a caught panic is a finding if its message is one of Rust's or a
//! dependency's internal ones ([`INTERNAL`]: index out of bounds, `unwrap` on `None`/`Err`,
//! arithmetic overflow, capacity overflow, `ndarray`'s `ShapeError`, bare `assert!`s, "internal
//! error", ...), or is not a string. An abort, a stack overflow, a timeout or running out of
//! memory is always a finding (the fuzzer sees them; the decoder keeps every tensor it makes
//! under [`MAX_NUMEL`] elements, so a legitimate program cannot use much memory or time).
//!
//! Oversized creations use only shapes whose element or byte count overflows (`[1<<40, 1<<40]`,
//! `[usize::MAX, 2]`, `[1<<62]`), which the library refuses before calling the allocator: a
//! shape the allocator itself would refuse (say 2⁵⁰ bytes) is reported by libFuzzer's
//! `-malloc_limit_mb` even though tapegrad turns the failure into a panic.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tapegrad::autograd::{no_grad, Element, Tensor};

/// Operations per program.
pub const MAX_OPS: usize = 24;
/// Tensors above this many elements are not kept in the pool.
pub const MAX_NUMEL: usize = 1024;

/// Fragments of panic messages that come from Rust or a dependency, not from tapegrad's checks:
/// a panic containing one of them is a finding.
pub const INTERNAL: &[&str] = &[
    "index out of bounds",
    "called `Option::unwrap()`",
    "called `Result::unwrap()`",
    "attempt to add with overflow",
    "attempt to subtract with overflow",
    "attempt to multiply with overflow",
    "attempt to negate with overflow",
    "attempt to shift",
    "attempt to divide by zero",
    "attempt to calculate the remainder",
    "capacity overflow",
    "ShapeError",
    "IncompatibleShape",
    "IncompatibleLayout",
    "RangeLimited",
    "OutOfBounds",
    "min_stride_axis",
    "ndarray:",
    "assertion failed",
    "assertion `left",
    "internal error",
    "not yet implemented",
    "not implemented: ",
    "entered unreachable code",
    "slice index starts",
    "range end index",
    "range start index",
    "out of range for slice",
    "already borrowed",
    "already mutably borrowed",
    "PoisonError",
    "memory allocation of",
];

/// A finding: the op that failed and why.
#[derive(Debug)]
pub struct Finding(pub String);

use super::input::Input;

/// The draws of a program beyond [`Input`]'s bytes: flags, dims, small integers, values
/// (special floats included) and shapes.
trait Draw {
    fn bool(&mut self) -> bool;
    fn dim(&mut self, rank: usize) -> isize;
    fn small(&mut self) -> isize;
    fn value(&mut self) -> f64;
    fn shape(&mut self) -> Vec<usize>;
}

impl Draw for Input<'_> {
    fn bool(&mut self) -> bool {
        self.u8() & 1 == 1
    }
    /// A dim for a tensor of `rank`: mostly valid (negative ones too), sometimes out of range.
    fn dim(&mut self, rank: usize) -> isize {
        let r = rank.max(1) as isize;
        (self.below(2 * r as usize + 2) as isize) - r - 1
    }
    fn small(&mut self) -> isize {
        self.below(9) as isize - 3
    }
    fn value(&mut self) -> f64 {
        match self.u8() {
            250 => f64::NAN,
            251 => f64::INFINITY,
            252 => f64::NEG_INFINITY,
            253 => 1e39,
            254 => -0.0,
            b => (b as f64 - 120.0) / 8.0,
        }
    }
    fn shape(&mut self) -> Vec<usize> {
        let rank = self.below(5);
        (0..rank).map(|_| self.below(6)).collect()
    }
}

/// The message of a caught panic, if it is a string.
fn message(p: &(dyn std::any::Any + Send)) -> Option<String> {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
}

/// Runs `f`: `Ok(Some(v))`, `Ok(None)` for a documented programmer-error panic, `Err` for a
/// finding.
fn guarded<R>(what: &str, f: impl FnOnce() -> R) -> Result<Option<R>, Finding> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(v) => Ok(Some(v)),
        Err(p) => match message(p.as_ref()) {
            None => Err(Finding(format!(
                "{what}: panicked with a non-string payload"
            ))),
            Some(m) if m.is_empty() || INTERNAL.iter().any(|f| m.contains(f)) => {
                Err(Finding(format!("{what}: internal panic: {m}")))
            }
            Some(_) => Ok(None),
        },
    }
}

/// Runs a `try_` form: `Ok`/`Err` are both fine, any panic is a finding.
fn fallible<R, E>(what: &str, f: impl FnOnce() -> Result<R, E>) -> Result<Option<R>, Finding> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Ok(r.ok()),
        Err(p) => Err(Finding(format!(
            "{what}: the try_ form panicked: {}",
            message(p.as_ref()).unwrap_or_default()
        ))),
    }
}

struct Pools<T: Element> {
    f: Vec<Tensor<T>>,
    i: Vec<Tensor<i64>>,
    b: Vec<Tensor<bool>>,
}

fn keep<U: tapegrad::autograd::Scalar>(pool: &mut Vec<Tensor<U>>, t: Tensor<U>) {
    if t.numel() <= MAX_NUMEL {
        if pool.len() >= 8 {
            pool.remove(0);
        }
        pool.push(t);
    }
}

fn pick<'p, U: tapegrad::autograd::Scalar>(
    inp: &mut Input,
    pool: &'p [Tensor<U>],
) -> Option<&'p Tensor<U>> {
    if pool.is_empty() {
        None
    } else {
        Some(&pool[inp.below(pool.len())])
    }
}

fn create<T: Element>(inp: &mut Input, p: &mut Pools<T>) -> Result<(), Finding> {
    if inp.below(32) == 0 {
        // An oversized creation: refused with PyTorch's wording, never an abort.
        let shape: &[usize] = match inp.below(3) {
            0 => &[1 << 40, 1 << 40],
            1 => &[usize::MAX, 2],
            _ => &[1 << 62],
        };
        let which = inp.below(4);
        guarded("oversized creation", || match which {
            0 => drop(Tensor::<T>::zeros(shape)),
            1 => drop(Tensor::<T>::rand(shape)),
            2 => drop(Tensor::<T>::randn(shape)),
            _ => drop(Tensor::<T>::full(shape, T::ONE)),
        })?;
        return Ok(());
    }
    let shape = inp.shape();
    let n: usize = shape.iter().product();
    let values: Vec<T> = (0..n).map(|_| T::from_f64(inp.value())).collect();
    let mut len = values.len();
    if inp.below(16) == 0 {
        len += 1; // a wrong length for the shape: try_from_vec must refuse it
    }
    let mut values = values;
    values.resize(len, T::ZERO);
    let rg = inp.bool();
    if let Some(t) = fallible("try_from_vec", || Tensor::try_from_vec(values, &shape))? {
        keep(&mut p.f, t.requires_grad_(rg));
    }
    Ok(())
}

fn step<T: Element>(inp: &mut Input, p: &mut Pools<T>) -> Result<(), Finding> {
    let op = inp.u8();
    if p.f.is_empty() || op < 24 {
        return create(inp, p);
    }
    let a = pick(inp, &p.f).unwrap().clone();
    let b = pick(inp, &p.f).unwrap().clone();
    let r = a.ndim();
    let d = inp.dim(r);
    let d2 = inp.dim(r);
    let keepdim = inp.bool();
    let s = inp.small();
    let v = T::from_f64(inp.value());
    let out: Option<Tensor<T>> = match op % 48 {
        0 => fallible("try_add", || a.try_add(&b))?,
        1 => fallible("try_sub", || a.try_sub(&b))?,
        2 => fallible("try_mul", || a.try_mul(&b))?,
        3 => fallible("try_div", || a.try_div(&b))?,
        4 => fallible("try_matmul", || a.try_matmul(&b))?,
        5 => {
            let shape: Vec<isize> = (0..inp.below(4)).map(|_| inp.small()).collect();
            if inp.bool() {
                fallible("try_reshape", || a.try_reshape(&shape))?
            } else {
                fallible("try_view", || a.try_view(&shape))?
            }
        }
        6 => fallible("try_cat", || Tensor::try_cat(&[&a, &b], d))?,
        7 => guarded("sum_dims", || a.sum_dims(&[d], keepdim))?,
        8 => guarded("mean_dims", || a.mean_dims(&[d, d2], keepdim))?,
        9 => guarded("amax", || a.amax(&[d], keepdim))?,
        10 => guarded("narrow", || a.narrow(d, s, inp_len(s)))?,
        11 => guarded("select", || a.select(d, s))?,
        12 => guarded("transpose", || a.transpose(d, d2))?,
        13 => {
            let mut perm: Vec<usize> = (0..r).collect();
            perm.rotate_left(if r == 0 { 0 } else { s.unsigned_abs() % r });
            if s < 0 && r > 1 {
                perm[0] = perm[1]; // not a permutation
            }
            guarded("permute", || a.permute(&perm))?
        }
        14 => guarded("unsqueeze", || a.unsqueeze(d))?,
        15 => guarded("squeeze", || a.squeeze(d))?,
        16 => {
            let mut sizes: Vec<isize> = a.shape().iter().map(|&x| x as isize).collect();
            sizes.insert(0, s.max(0));
            if let Some(x) = sizes.last_mut() {
                *x = if s == -1 { -1 } else { (*x).max(1) };
            }
            guarded("expand", || a.expand(&sizes))?
        }
        17 => guarded("diagonal", || a.diagonal(s, d, d2))?,
        18 => guarded("slice", || a.slice(d, Some(s), None, inp_len(s).max(1)))?,
        19 => guarded("flatten", || a.flatten_range(d, d2))?,
        20 => guarded("add_", || {
            a.add_(&in_place_operand(&a, &b));
            a.clone()
        })?,
        21 => guarded("mul_ no_grad", || {
            no_grad(|| {
                a.mul_(v);
            });
            a.clone()
        })?,
        22 => guarded("fill_ on a view", || {
            let view = a.narrow(d, 0, 1);
            no_grad(|| {
                view.fill_(v);
            });
            a.clone()
        })?,
        23 => guarded("copy_", || {
            a.copy_(&in_place_operand(&a, &b));
            a.clone()
        })?,
        24 => guarded("clamp_", || {
            a.clamp_(Some(v.as_f64()), None);
            a.clone()
        })?,
        25 => guarded("zero_ on a transposed view", || {
            let view = a.transpose(0, -1);
            no_grad(|| {
                view.zero_();
            });
            view
        })?,
        26 => guarded("softmax", || a.softmax(d))?,
        27 => guarded("log_softmax", || a.log_softmax(d))?,
        28 => guarded("cumsum", || a.cumsum(d))?,
        29 => guarded("sort", || a.sort(d, keepdim).0)?,
        30 => guarded("topk", || a.topk(s.unsigned_abs(), d, keepdim).0)?,
        31 => guarded("var", || a.var(&[d], s as f64, keepdim))?,
        32 => guarded("clamp", || a.clamp(Some(v.as_f64()), Some(s as f64)))?,
        33 => guarded("pow", || a.pow(v.as_f64()))?,
        34 => guarded("sqrt/log/exp", || a.sqrt().log().exp())?,
        35 => guarded("stack", || Tensor::stack(&[&a, &b], d))?,
        36 => guarded("repeat", || {
            let reps: Vec<usize> = (0..r.max(1))
                .map(|i| 1 + (i + s.unsigned_abs()) % 2)
                .collect();
            a.repeat(&reps)
        })?,
        37 => guarded("roll", || a.roll(s, d))?,
        38 => guarded("tril", || a.tril(s))?,
        39 => guarded("sum_to", || a.sum_to(&b.shape()))?,
        40 => guarded("broadcast_to", || a.broadcast_to(&b.shape()))?,
        41 => guarded("split", || {
            a.split(s.unsigned_abs(), d).pop().unwrap_or(a.clone())
        })?,
        42 => {
            let i = guarded("argmax", || a.argmax(Some(d), keepdim))?;
            if let Some(i) = i {
                keep(&mut p.i, i);
            }
            None
        }
        43 => {
            let m = guarded("gt", || a.gt(&b))?;
            if let Some(m) = m {
                keep(&mut p.b, m);
            }
            None
        }
        44 => match pick(inp, &p.i).cloned() {
            Some(idx) => {
                let idx = if s < 0 {
                    guarded("i64 add", || {
                        no_grad(|| idx.to_dtype::<f64>().add_scalar(40.0))
                    })?
                    .map(|t| t.to_dtype::<i64>())
                    .unwrap_or(idx)
                } else {
                    idx
                };
                match s.rem_euclid(3) {
                    0 => guarded("gather", || a.gather(d, &idx))?,
                    1 => guarded("index_select", || a.index_select(d, &idx.flatten(0)))?,
                    _ => guarded("take_along_dim", || a.take_along_dim(&idx, d))?,
                }
            }
            None => None,
        },
        45 => match pick(inp, &p.b).cloned() {
            Some(m) => {
                if keepdim {
                    guarded("masked_fill", || a.masked_fill(&m, v))?
                } else {
                    guarded("where_", || Tensor::where_(&m, &a, &b))?
                }
            }
            None => None,
        },
        46 => guarded("to_dtype round trip", || {
            let other = a.to_dtype::<f64>();
            other.to_dtype::<T>()
        })?,
        _ => guarded("einsum", || Tensor::einsum("ij,jk->ik", &[&a, &b]))?,
    };
    if let Some(t) = out {
        keep(&mut p.f, t);
    }
    Ok(())
}

/// The operand of an in-place op on `a`: `b` itself when it is `a` or outside the graph, else
/// `b.detach()` (same storage, so aliasing is still exercised). A recorded in-place op whose
/// operand was computed from `a` is a known, documented reference cycle
/// (docs/reliability.md, M2): kept out so that leak detection reports anything else.
fn in_place_operand<T: Element>(a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
    if b.same(a) || !b.requires_grad() {
        b.clone()
    } else {
        b.detach()
    }
}

fn inp_len(s: isize) -> usize {
    s.unsigned_abs() % 4
}

fn program<T: Element>(inp: &mut Input) -> Result<(), Finding> {
    let mut p = Pools::<T> {
        f: Vec::new(),
        i: Vec::new(),
        b: Vec::new(),
    };
    for _ in 0..MAX_OPS {
        if inp.done() {
            break;
        }
        step(inp, &mut p)?;
    }
    if let Some(last) = p.f.last().cloned() {
        if last.requires_grad() {
            guarded("sum().backward()", || last.sum().backward())?;
        }
        guarded("to_vec", || last.to_vec())?;
    }
    Ok(())
}

/// Runs one program decoded from `data`.
pub fn run(data: &[u8]) -> Result<(), Finding> {
    let mut inp = Input::new(data);
    if inp.bool() {
        program::<f32>(&mut inp)
    } else {
        program::<f64>(&mut inp)
    }
}
