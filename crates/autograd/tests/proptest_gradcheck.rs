//! Property tests: every differentiable op's backward agrees with central finite differences
//! (`gradcheck`, f64) on random shapes, broadcasts and values; `gradgradcheck` for the second
//! derivatives of a few ops; an exact Hessian and a Hessian–vector product against hand-derived
//! numbers.
//!
//! Values come from a ChaCha stream seeded by a proptest-drawn `u64`, so a failing case prints
//! its seed and shapes and replays exactly. Inputs are kept away from the kinks of piecewise
//! ops (relu, abs, clamp, max) and inside the domains of log, sqrt, fractional powers and BCE.

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tapegrad_autograd::functional::{
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss,
    nll_loss, Reduction,
};
use tapegrad_autograd::{grad, gradcheck, gradgradcheck, Tensor};

const EPS: f64 = 1e-6;
const ATOL: f64 = 1e-5;
const RTOL: f64 = 1e-3;

fn cfg() -> ProptestConfig {
    ProptestConfig::with_cases(16)
}

// ------------------------------------------------------------------ value generators

fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Uniform values in `[lo, hi)`.
fn uniform(rng: &mut ChaCha8Rng, shape: &[usize], lo: f64, hi: f64) -> Tensor<f64> {
    let v = (0..numel(shape)).map(|_| rng.gen_range(lo..hi)).collect();
    Tensor::from_vec(v, shape)
}

/// Values with `margin <= |x| < 2`, random sign: away from the kink at 0.
fn away_from_zero(rng: &mut ChaCha8Rng, shape: &[usize], margin: f64) -> Tensor<f64> {
    let v = (0..numel(shape))
        .map(|_| {
            let m = rng.gen_range(margin..2.0);
            if rng.gen_bool(0.5) {
                m
            } else {
                -m
            }
        })
        .collect();
    Tensor::from_vec(v, shape)
}

/// Values drawn from the given intervals (each interval equally likely).
fn from_intervals(rng: &mut ChaCha8Rng, shape: &[usize], intervals: &[(f64, f64)]) -> Tensor<f64> {
    let v = (0..numel(shape))
        .map(|_| {
            let (lo, hi) = intervals[rng.gen_range(0..intervals.len())];
            rng.gen_range(lo..hi)
        })
        .collect();
    Tensor::from_vec(v, shape)
}

/// Distinct values at least 0.1 apart, in random order (so `max` has a unique winner whose
/// position a finite-difference step of 1e-6 cannot change).
fn distinct(rng: &mut ChaCha8Rng, shape: &[usize]) -> Tensor<f64> {
    let n = numel(shape);
    let mut v: Vec<f64> = (0..n)
        .map(|i| i as f64 * 0.25 - 1.5 + rng.gen_range(0.0..0.1))
        .collect();
    for i in (1..n).rev() {
        let j = rng.gen_range(0..=i);
        v.swap(i, j);
    }
    Tensor::from_vec(v, shape)
}

fn check(
    what: &str,
    f: impl Fn(&[Tensor<f64>]) -> Tensor<f64>,
    inputs: &[Tensor<f64>],
) -> Result<(), TestCaseError> {
    let shapes: Vec<Vec<usize>> = inputs.iter().map(|t| t.shape().to_vec()).collect();
    gradcheck(f, inputs, EPS, ATOL, RTOL)
        .map_err(|e| TestCaseError::fail(format!("{what} (input shapes {shapes:?}): {e}")))
}

fn check2(
    what: &str,
    f: impl Fn(&[Tensor<f64>]) -> Tensor<f64>,
    inputs: &[Tensor<f64>],
) -> Result<(), TestCaseError> {
    let shapes: Vec<Vec<usize>> = inputs.iter().map(|t| t.shape().to_vec()).collect();
    gradgradcheck(f, inputs, EPS, ATOL, RTOL).map_err(|e| {
        TestCaseError::fail(format!("second order of {what} (shapes {shapes:?}): {e}"))
    })
}

// ------------------------------------------------------------------ shape strategies

/// A shape of rank 0..=3 with sizes 1..=3.
fn shape() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=3, 0..=3)
}

/// A shape of rank 1..=3 with sizes 1..=3.
fn shape_nonscalar() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..=3, 1..=3)
}

/// Two shapes that broadcast together: each is a suffix of a common result shape with some
/// sizes replaced by 1 (so 0-d operands, missing leading dims and size-1 dims all occur).
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (
        shape(),
        any::<u8>(),
        any::<u8>(),
        prop::collection::vec(any::<bool>(), 3),
        prop::collection::vec(any::<bool>(), 3),
    )
        .prop_map(|(out, drop_a, drop_b, ones_a, ones_b)| {
            let derive = |drop: u8, ones: &[bool]| -> Vec<usize> {
                let keep = out.len() - (drop as usize % (out.len() + 1));
                out[out.len() - keep..]
                    .iter()
                    .zip(ones)
                    .map(|(&d, &one)| if one { 1 } else { d })
                    .collect()
            };
            (derive(drop_a, &ones_a), derive(drop_b, &ones_b))
        })
}

/// A shape (0-d included: PyTorch accepts dim 0 / -1 there) and a valid dimension index for
/// it, negative half the time.
fn shape_and_dim() -> impl Strategy<Value = (Vec<usize>, isize)> {
    (shape(), any::<u8>(), any::<bool>()).prop_map(|(s, d, neg)| {
        let rank = s.len().max(1);
        let d = (d as usize % rank) as isize;
        let d = if neg { d - rank as isize } else { d };
        (s, d)
    })
}

// ------------------------------------------------------------------ binary ops

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn add_broadcast((sa, sb) in broadcast_pair(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let (a, b) = (uniform(&mut r, &sa, -2.0, 2.0), uniform(&mut r, &sb, -2.0, 2.0));
        check("add", |v| v[0].add(&v[1]), &[a.clone(), b.clone()])?;
        check("a + b operator", |v| &v[0] + &v[1], &[a, b])?;
    }

    #[test]
    fn sub_broadcast((sa, sb) in broadcast_pair(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let (a, b) = (uniform(&mut r, &sa, -2.0, 2.0), uniform(&mut r, &sb, -2.0, 2.0));
        check("sub", |v| v[0].sub(&v[1]), &[a, b])?;
    }

    #[test]
    fn mul_broadcast((sa, sb) in broadcast_pair(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let (a, b) = (uniform(&mut r, &sa, -2.0, 2.0), uniform(&mut r, &sb, -2.0, 2.0));
        check("mul", |v| v[0].mul(&v[1]), &[a, b])?;
    }

    #[test]
    fn div_broadcast((sa, sb) in broadcast_pair(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let a = uniform(&mut r, &sa, -2.0, 2.0);
        let b = from_intervals(&mut r, &sb, &[(-2.0, -0.5), (0.5, 2.0)]);
        check("div", |v| v[0].div(&v[1]), &[a, b])?;
    }

    #[test]
    fn scalar_forms(s in shape(), seed in any::<u64>(), c in 0.5f64..2.0) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = from_intervals(&mut r, &s, &[(-2.0, -0.5), (0.5, 2.0)]);
        check("add_scalar", |v| v[0].add_scalar(c), std::slice::from_ref(&x))?;
        check("sub_scalar", |v| v[0].sub_scalar(c), std::slice::from_ref(&x))?;
        check("mul_scalar", |v| v[0].mul_scalar(c), std::slice::from_ref(&x))?;
        check("div_scalar", |v| v[0].div_scalar(c), std::slice::from_ref(&x))?;
        check("c + x", |v| c + &v[0], std::slice::from_ref(&x))?;
        check("c - x", |v| c - &v[0], std::slice::from_ref(&x))?;
        check("c * x", |v| c * &v[0], std::slice::from_ref(&x))?;
        check("c / x", |v| c / &v[0], std::slice::from_ref(&x))?;
        check("x / c", |v| &v[0] / c, &[x])?;
    }
}

// ------------------------------------------------------------------ unary ops

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn neg_exp_tanh_sigmoid(s in shape(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -2.0, 2.0);
        check("neg", |v| v[0].neg(), std::slice::from_ref(&x))?;
        check("-x operator", |v| -&v[0], std::slice::from_ref(&x))?;
        check("exp", |v| v[0].exp(), std::slice::from_ref(&x))?;
        check("tanh", |v| v[0].tanh(), std::slice::from_ref(&x))?;
        check("sigmoid", |v| v[0].sigmoid(), &[x])?;
    }

    #[test]
    fn log_sqrt(s in shape(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, 0.2, 3.0);
        check("log", |v| v[0].log(), std::slice::from_ref(&x))?;
        check("sqrt", |v| v[0].sqrt(), &[x])?;
    }

    #[test]
    fn pow_integer_exponents(s in shape(), seed in any::<u64>(), p in prop::sample::select(vec![0.0, 1.0, 2.0, 3.0, 4.0])) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -2.0, 2.0);
        check(&format!("pow({p})"), |v| v[0].pow(p), &[x])?;
    }

    #[test]
    fn pow_fractional_and_negative_exponents(s in shape(), seed in any::<u64>(), p in prop::sample::select(vec![0.5, 1.5, -0.5, -1.0, -2.0, 2.5])) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, 0.3, 2.5);
        check(&format!("pow({p})"), |v| v[0].pow(p), &[x])?;
    }

    #[test]
    fn abs_relu_leaky_relu(s in shape(), seed in any::<u64>(), slope in 0.0f64..0.5) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = away_from_zero(&mut r, &s, 0.05);
        check("abs", |v| v[0].abs(), std::slice::from_ref(&x))?;
        check("relu", |v| v[0].relu(), std::slice::from_ref(&x))?;
        check(&format!("leaky_relu({slope})"), |v| v[0].leaky_relu(slope), &[x])?;
    }

    #[test]
    fn clamp(s in shape(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        // Away from both bounds (-0.5 and 0.5) by 0.05.
        let x = from_intervals(&mut r, &s, &[(-2.0, -0.55), (-0.45, 0.45), (0.55, 2.0)]);
        check("clamp(-0.5, 0.5)", |v| v[0].clamp(Some(-0.5), Some(0.5)), std::slice::from_ref(&x))?;
        check("clamp(min=-0.5)", |v| v[0].clamp(Some(-0.5), None), std::slice::from_ref(&x))?;
        check("clamp(max=0.5)", |v| v[0].clamp(None, Some(0.5)), &[x])?;
    }
}

// ------------------------------------------------------------------ reductions

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn sum_mean(s in shape(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -2.0, 2.0);
        check("sum", |v| v[0].sum(), std::slice::from_ref(&x))?;
        check("mean", |v| v[0].mean(), &[x])?;
    }

    #[test]
    fn sum_dim_mean_dim((s, d) in shape_and_dim(), keepdim in any::<bool>(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -2.0, 2.0);
        check(&format!("sum_dim({d}, {keepdim})"), |v| v[0].sum_dim(d, keepdim), std::slice::from_ref(&x))?;
        check(&format!("mean_dim({d}, {keepdim})"), |v| v[0].mean_dim(d, keepdim), &[x])?;
    }

    #[test]
    fn max_dim((s, d) in shape_and_dim(), keepdim in any::<bool>(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = distinct(&mut r, &s);
        check(&format!("max_dim({d}, {keepdim})"), |v| v[0].max_dim(d, keepdim).0, std::slice::from_ref(&x))?;
        check("max", |v| v[0].max(), &[x])?;
    }
}

// ------------------------------------------------------------------ matmul

/// Shape pairs covering every `torch.matmul` case: 1-D·1-D, 1-D·2-D, 2-D·1-D, 2-D·2-D,
/// batched 3-D, broadcast batch dims (e.g. `[2,1,m,k]·[b,k,n]`) and 1-D against batches.
fn matmul_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (
        0usize..9,
        1usize..=3,
        1usize..=3,
        1usize..=3,
        1usize..=3,
        1usize..=2,
    )
        .prop_map(|(case, m, k, n, b, b2)| match case {
            0 => (vec![k], vec![k]),
            1 => (vec![k], vec![k, n]),
            2 => (vec![m, k], vec![k]),
            3 => (vec![m, k], vec![k, n]),
            4 => (vec![b, m, k], vec![b, k, n]),
            5 => (vec![b2, 1, m, k], vec![b, k, n]),
            6 => (vec![m, k], vec![b, k, n]),
            7 => (vec![k], vec![b, k, n]),
            _ => (vec![b, m, k], vec![k]),
        })
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn matmul((sa, sb) in matmul_pair(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let (a, b) = (uniform(&mut r, &sa, -1.5, 1.5), uniform(&mut r, &sb, -1.5, 1.5));
        check("matmul", |v| v[0].matmul(&v[1]), &[a, b])?;
    }
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn linear(lead in prop::collection::vec(1usize..=3, 0..=2), inf in 1usize..=3, outf in 1usize..=3, bias in any::<bool>(), seed in any::<u64>()) {
        // x [.., in] · Wᵀ [in, out] + b [out] (F.linear, recorded as one fused op).
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let mut xs = lead.clone();
        xs.push(inf);
        let x = uniform(&mut r, &xs, -1.5, 1.5);
        let w = uniform(&mut r, &[outf, inf], -1.5, 1.5);
        let b = uniform(&mut r, &[outf], -1.5, 1.5);
        if bias {
            check("linear", |v| v[0].linear(&v[1], Some(&v[2])), &[x.clone(), w.clone(), b.clone()])?;
            check2("linear", |v| v[0].linear(&v[1], Some(&v[2])).pow(2.0), &[x, w, b])?;
        } else {
            check("linear (no bias)", |v| v[0].linear(&v[1], None), &[x.clone(), w.clone()])?;
            check2("linear (no bias)", |v| v[0].linear(&v[1], None).pow(2.0), &[x, w])?;
        }
    }
}

#[test]
fn matmul_broadcast_batched_fixed_case() {
    // The exact broadcast from the brief: [2,1,3,4] · [5,4,2] -> [2,5,3,2].
    let mut r = ChaCha8Rng::seed_from_u64(11);
    let a = uniform(&mut r, &[2, 1, 3, 4], -1.0, 1.0);
    let b = uniform(&mut r, &[5, 4, 2], -1.0, 1.0);
    assert_eq!(a.matmul(&b).shape().as_slice(), &[2, 5, 3, 2]);
    gradcheck(|v| v[0].matmul(&v[1]), &[a, b], EPS, ATOL, RTOL).unwrap();
}

// ------------------------------------------------------------------ shape ops

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn transpose_and_t(s in prop::collection::vec(1usize..=3, 2..=4), d0 in any::<u8>(), d1 in any::<u8>(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -2.0, 2.0);
        let (a, b) = ((d0 as usize % s.len()) as isize, (d1 as usize % s.len()) as isize - s.len() as isize);
        check(&format!("transpose({a}, {b})"), |v| v[0].transpose(a, b), std::slice::from_ref(&x))?;
        check("t", |v| v[0].t(), &[x])?;
    }

    #[test]
    fn permute(s in prop::collection::vec(1usize..=3, 1..=4), perm_seed in any::<u64>(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -2.0, 2.0);
        let mut dims: Vec<usize> = (0..s.len()).collect();
        let mut pr = ChaCha8Rng::seed_from_u64(perm_seed);
        for i in (1..dims.len()).rev() {
            let j = pr.gen_range(0..=i);
            dims.swap(i, j);
        }
        check(&format!("permute({dims:?})"), |v| v[0].permute(&dims), &[x])?;
    }

    #[test]
    fn reshape_unsqueeze_squeeze_flatten(s in shape(), seed in any::<u64>(), at in any::<u8>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -2.0, 2.0);
        let n = numel(&s) as isize;
        check("reshape([-1])", |v| v[0].reshape(&[-1]), std::slice::from_ref(&x))?;
        check("reshape([1, n, 1])", |v| v[0].reshape(&[1, n, 1]), std::slice::from_ref(&x))?;
        check("reshape([-1, 1])", |v| v[0].reshape(&[-1, 1]), std::slice::from_ref(&x))?;
        let u = (at as usize % (s.len() + 1)) as isize;
        check(&format!("unsqueeze({u})"), |v| v[0].unsqueeze(u), std::slice::from_ref(&x))?;
        check(&format!("unsqueeze({u}).squeeze({u})"), |v| v[0].unsqueeze(u).squeeze(u), std::slice::from_ref(&x))?;
        check("flatten(0)", |v| v[0].flatten(0), std::slice::from_ref(&x))?;
        if !s.is_empty() {
            let f = (at as usize % s.len()) as isize;
            check(&format!("flatten({f})"), |v| v[0].flatten(f), std::slice::from_ref(&x))?;
            // Squeezing a dimension that is not 1 leaves the tensor unchanged.
            check(&format!("squeeze({f})"), |v| v[0].squeeze(f), &[x])?;
        }
    }

    #[test]
    fn broadcast_to_and_sum_to((small, _) in broadcast_pair(), extra in prop::collection::vec(1usize..=3, 0..=1), sizes in prop::collection::vec(2usize..=3, 3), seed in any::<u64>()) {
        // `big`: optional new leading dims, then small's dims with each 1 grown to some size.
        let mut big: Vec<usize> = extra.clone();
        big.extend(small.iter().zip(&sizes).map(|(&d, &g)| if d == 1 { g } else { d }));
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &small, -2.0, 2.0);
        let y = uniform(&mut r, &big, -2.0, 2.0);
        check(&format!("broadcast_to({big:?})"), |v| v[0].broadcast_to(&big), &[x])?;
        check(&format!("sum_to({small:?})"), |v| v[0].sum_to(&small), &[y])?;
    }
}

// ------------------------------------------------------------------ softmax, gather

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn softmax_log_softmax((s, d) in shape_and_dim(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -3.0, 3.0);
        check(&format!("softmax({d})"), |v| v[0].softmax(d), std::slice::from_ref(&x))?;
        check(&format!("log_softmax({d})"), |v| v[0].log_softmax(d), &[x])?;
    }

    #[test]
    fn softmax_large_logits(n in 1usize..=4, seed in any::<u64>()) {
        // Logits around 1000: the stable forms must not overflow and their gradients hold.
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &[2, n], 998.0, 1002.0);
        check("softmax(large)", |v| v[0].softmax(-1), std::slice::from_ref(&x))?;
        check("log_softmax(large)", |v| v[0].log_softmax(-1), &[x])?;
    }

    #[test]
    fn gather_last(s in shape_nonscalar(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -2.0, 2.0);
        let classes = *s.last().unwrap();
        let idx: Vec<usize> = (0..numel(&s) / classes).map(|_| r.gen_range(0..classes)).collect();
        check("gather_last", |v| v[0].gather_last(&idx), std::slice::from_ref(&x))?;
        let rows_shape = &s[..s.len() - 1];
        let g = uniform(&mut r, rows_shape, -2.0, 2.0);
        check("scatter_last", |v| v[0].scatter_last(&idx, classes), &[g])?;
    }
}

// ------------------------------------------------------------------ losses

fn reduction() -> impl Strategy<Value = Reduction> {
    prop::sample::select(vec![Reduction::Mean, Reduction::Sum, Reduction::None])
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn mse_and_l1(s in shape(), red in reduction(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let y = uniform(&mut r, &s, -2.0, 2.0);
        let t = uniform(&mut r, &s, -2.0, 2.0);
        check("mse_loss", |v| mse_loss(&v[0], &v[1], red), &[y, t.clone()])?;
        // l1: keep input - target away from 0.
        let d = away_from_zero(&mut r, &s, 0.05);
        let y = no_grad_add(&t, &d);
        check("l1_loss", |v| l1_loss(&v[0], &v[1], red), &[y, t])?;
    }

    #[test]
    fn bce(s in shape(), red in reduction(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let p = uniform(&mut r, &s, 0.05, 0.95);
        let t = uniform(&mut r, &s, 0.0, 1.0);
        check("binary_cross_entropy", |v| binary_cross_entropy(&v[0], &v[1], red), &[p, t])?;
    }

    #[test]
    fn bce_with_logits(s in shape(), red in reduction(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -4.0, 4.0);
        let t = uniform(&mut r, &s, 0.0, 1.0);
        check("binary_cross_entropy_with_logits", |v| binary_cross_entropy_with_logits(&v[0], &v[1], red), &[x, t])?;
    }

    #[test]
    fn nll_and_cross_entropy(batch in prop::option::of(1usize..=4), classes in 1usize..=4, red in reduction(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let s: Vec<usize> = match batch { Some(n) => vec![n, classes], None => vec![classes] };
        let x = uniform(&mut r, &s, -3.0, 3.0);
        let targets: Vec<usize> = (0..batch.unwrap_or(1)).map(|_| r.gen_range(0..classes)).collect();
        check("nll_loss", |v| nll_loss(&v[0], &targets, red), std::slice::from_ref(&x))?;
        check("cross_entropy", |v| cross_entropy(&v[0], &targets, red), &[x])?;
    }
}

fn no_grad_add(a: &Tensor<f64>, b: &Tensor<f64>) -> Tensor<f64> {
    a.add(b).detach()
}

// ------------------------------------------------------------------ second order

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    #[test]
    fn second_order_elementwise(s in prop::collection::vec(1usize..=3, 0..=2), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -1.5, 1.5);
        let pos = uniform(&mut r, &s, 0.3, 2.0);
        check2("exp", |v| v[0].exp(), std::slice::from_ref(&x))?;
        check2("sigmoid", |v| v[0].sigmoid(), std::slice::from_ref(&x))?;
        check2("tanh", |v| v[0].tanh(), std::slice::from_ref(&x))?;
        check2("log", |v| v[0].log(), std::slice::from_ref(&pos))?;
        check2("pow(3)", |v| v[0].pow(3.0), std::slice::from_ref(&x))?;
        check2("pow(2)", |v| v[0].pow(2.0), std::slice::from_ref(&x))?;
        check2("pow(-1.5)", |v| v[0].pow(-1.5), std::slice::from_ref(&pos))?;
        check2("sqrt", |v| v[0].sqrt(), &[pos])?;
    }

    #[test]
    fn second_order_binary((sa, sb) in broadcast_pair(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let a = uniform(&mut r, &sa, -1.5, 1.5);
        let b = from_intervals(&mut r, &sb, &[(-2.0, -0.5), (0.5, 2.0)]);
        check2("mul", |v| v[0].mul(&v[1]), &[a.clone(), b.clone()])?;
        check2("div", |v| v[0].div(&v[1]), &[a, b])?;
    }

    #[test]
    fn second_order_matmul((sa, sb) in matmul_pair(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let (a, b) = (uniform(&mut r, &sa, -1.5, 1.5), uniform(&mut r, &sb, -1.5, 1.5));
        // matmul is bilinear: its second derivative is the cross term only; square the output
        // to make the check see a nonzero diagonal too.
        check2("matmul", |v| v[0].matmul(&v[1]), &[a.clone(), b.clone()])?;
        check2("matmul²", |v| v[0].matmul(&v[1]).pow(2.0), &[a, b])?;
    }

    #[test]
    fn second_order_softmax_and_losses((s, d) in shape_and_dim(), seed in any::<u64>()) {
        let mut r = ChaCha8Rng::seed_from_u64(seed);
        let x = uniform(&mut r, &s, -2.0, 2.0);
        let t = uniform(&mut r, &s, -2.0, 2.0);
        check2("softmax", |v| v[0].softmax(d), std::slice::from_ref(&x))?;
        check2("log_softmax", |v| v[0].log_softmax(d), std::slice::from_ref(&x))?;
        check2("mse_loss", |v| mse_loss(&v[0], &v[1], Reduction::Mean), &[x, t])?;
    }
}

// ------------------------------------------------------------------ the checkers can fail

#[test]
fn gradcheck_rejects_a_wrong_gradient() {
    // A hook doubling the gradient that flows into exp(x): backward is now wrong by 2x.
    let x = Tensor::from_vec(vec![0.3f64, -0.7], &[2]);
    let wrong = |v: &[Tensor<f64>]| {
        let y = v[0].exp();
        y.register_hook(|g| Some(g * 2.0));
        y.sum()
    };
    let err = gradcheck(wrong, std::slice::from_ref(&x), EPS, ATOL, RTOL).unwrap_err();
    // d/dx Σ exp(x) = exp(x); backward reports 2·exp(x).
    assert!((err.numerical - 0.3f64.exp()).abs() < 1e-6, "{err}");
    assert!((err.analytical - 2.0 * 0.3f64.exp()).abs() < 1e-12, "{err}");
    assert!(gradcheck(|v| v[0].exp().sum(), &[x], EPS, ATOL, RTOL).is_ok());
}

#[test]
fn gradgradcheck_rejects_a_gradient_without_a_graph() {
    // Detaching the gradient flowing into u = 1·x keeps first derivatives right but cuts the
    // second: the analytical second derivative becomes 0 while the numerical one is 6x·v·w.
    let x = Tensor::from_vec(vec![0.8f64, -1.1], &[2]);
    let cut = |v: &[Tensor<f64>]| {
        let u = v[0].mul_scalar(1.0);
        u.register_hook(|g| Some(g.detach()));
        u.pow(3.0)
    };
    assert!(gradcheck(cut, std::slice::from_ref(&x), EPS, ATOL, RTOL).is_ok());
    assert!(gradgradcheck(cut, std::slice::from_ref(&x), EPS, ATOL, RTOL).is_err());
    assert!(gradgradcheck(|v| v[0].pow(3.0), &[x], EPS, ATOL, RTOL).is_ok());
}

// ------------------------------------------------------------------ exact Hessians

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + b.abs())
}

#[test]
fn hessian_of_polynomial_by_double_grad() {
    // f(x, y) = x²y + x·y³
    // ∂f/∂x = 2xy + y³          ∂f/∂y = x² + 3xy²
    // ∂²f/∂x² = 2y   ∂²f/∂x∂y = 2x + 3y²   ∂²f/∂y² = 6xy
    // At (x, y) = (1.5, -2): f = -16.5, ∇f = (-14, 20.25), H = [[-4, 15], [15, -18]].
    let x = Tensor::scalar(1.5f64).requires_grad_(true);
    let y = Tensor::scalar(-2.0f64).requires_grad_(true);
    let f = &x * &x * &y + &x * y.pow(3.0);
    assert!(close(f.item(), -16.5));

    let g = grad(&[f], &[x.clone(), y.clone()], None, true);
    let (gx, gy) = (g[0].clone().unwrap(), g[1].clone().unwrap());
    assert!(close(gx.item(), -14.0), "df/dx = {}", gx.item());
    assert!(close(gy.item(), 20.25), "df/dy = {}", gy.item());
    assert!(gx.requires_grad() && gy.requires_grad());

    let hx = grad(&[gx], &[x.clone(), y.clone()], None, false);
    let hy = grad(&[gy], &[x.clone(), y.clone()], None, false);
    let h = [
        [
            hx[0].as_ref().unwrap().item(),
            hx[1].as_ref().unwrap().item(),
        ],
        [
            hy[0].as_ref().unwrap().item(),
            hy[1].as_ref().unwrap().item(),
        ],
    ];
    let want = [[-4.0, 15.0], [15.0, -18.0]];
    for i in 0..2 {
        for j in 0..2 {
            assert!(
                close(h[i][j], want[i][j]),
                "H[{i}][{j}] = {} != {}",
                h[i][j],
                want[i][j]
            );
        }
    }
    // grad() never touches .grad
    assert!(x.grad().is_none() && y.grad().is_none());
}

#[test]
fn second_derivative_through_backward_create_graph() {
    // f(x) = x⁴ at x = 1.5: f' = 4x³ = 13.5, f'' = 12x² = 27.
    let x = Tensor::from_vec(vec![1.5f64], &[1]).requires_grad_(true);
    let f = x.pow(4.0).sum();
    f.backward_with(tapegrad_autograd::BackwardOptions::new().create_graph(true));
    let d1 = x.grad().unwrap();
    assert!(close(d1.item(), 13.5));
    assert!(
        d1.requires_grad(),
        "create_graph must make the gradient differentiable"
    );
    x.set_grad(None);
    d1.sum().backward();
    assert!(close(x.grad().unwrap().item(), 27.0));
}

#[test]
fn hessian_vector_product() {
    // f(x) = xᵀ A x + Σ x_i³ ; H = A + Aᵀ + diag(6x); Hv computed as ∇(∇f · v).
    let a = Tensor::from_vec(
        vec![1.0f64, 2.0, 0.0, -1.0, 3.0, 0.5, 4.0, 0.0, -2.0],
        &[3, 3],
    );
    let x = Tensor::from_vec(vec![0.5f64, -1.0, 2.0], &[3]).requires_grad_(true);
    let v = Tensor::from_vec(vec![1.0f64, 2.0, -1.0], &[3]);
    let f = x.matmul(&a.matmul(&x)) + x.pow(3.0).sum();
    let g = grad(&[f], std::slice::from_ref(&x), None, true)[0]
        .clone()
        .unwrap();
    // ∇f = (A + Aᵀ) x + 3x²
    // A + Aᵀ = [[2, 1, 4], [1, 6, 0.5], [4, 0.5, -4]]
    // (A + Aᵀ) x = [1 - 1 + 8, 0.5 - 6 + 1, 2 - 0.5 - 8] = [8, -4.5, -6.5]; 3x² = [0.75, 3, 12]
    let want_g = [8.75, -1.5, 5.5];
    for (gi, wi) in g.to_vec().iter().zip(want_g) {
        assert!(close(*gi, wi), "grad {gi} != {wi}");
    }
    let hv = grad(&[g.mul(&v).sum()], std::slice::from_ref(&x), None, false)[0]
        .clone()
        .unwrap();
    // (A + Aᵀ) v = [2 + 2 - 4, 1 + 12 - 0.5, 4 + 1 + 4] = [0, 12.5, 9]
    // diag(6x) v = [3, -12, -12]
    let want = [3.0, 0.5, -3.0];
    for (hi, wi) in hv.to_vec().iter().zip(want) {
        assert!(close(*hi, wi), "Hv {hi} != {wi}");
    }
}
