//! The elementwise table (`ops/elementwise.rs`) and the joining ops (`ops/join.rs`): values
//! against `f64` math, gradients by finite differences (`gradcheck`) and second derivatives
//! (`gradgradcheck`), on contiguous and on transposed (strided) inputs.

use tapegrad_autograd::{gradcheck, gradgradcheck, Tensor};

type F = fn(&[Tensor<f64>]) -> Tensor<f64>;
/// name, op, input range, reference value
type Case = (&'static str, F, f64, f64, fn(f64) -> f64);

fn input(lo: f64, hi: f64) -> Tensor<f64> {
    // 12 values spread over (lo, hi), stored transposed so the op reads a strided view.
    let v: Vec<f64> = (0..12)
        .map(|i| lo + (hi - lo) * (i as f64 + 0.37) / 12.0)
        .collect();
    Tensor::from_vec(v, &[4, 3]).t().contiguous().t()
}

#[test]
fn every_smooth_elementwise_function_passes_gradcheck_and_gradgradcheck() {
    let cases: Vec<Case> = vec![
        ("sin", |v| v[0].sin(), -3.0, 3.0, f64::sin),
        ("cos", |v| v[0].cos(), -3.0, 3.0, f64::cos),
        ("tan", |v| v[0].tan(), -1.2, 1.2, f64::tan),
        ("asin", |v| v[0].asin(), -0.9, 0.9, f64::asin),
        ("atan", |v| v[0].atan(), -3.0, 3.0, f64::atan),
        ("sinh", |v| v[0].sinh(), -2.0, 2.0, f64::sinh),
        ("cosh", |v| v[0].cosh(), -2.0, 2.0, f64::cosh),
        ("erf", |v| v[0].erf(), -2.0, 2.0, libm_erf),
        ("rsqrt", |v| v[0].rsqrt(), 0.2, 3.0, |x| 1.0 / x.sqrt()),
        ("reciprocal", |v| v[0].reciprocal(), 0.2, 3.0, |x| 1.0 / x),
        ("log1p", |v| v[0].log1p(), -0.5, 3.0, f64::ln_1p),
        ("expm1", |v| v[0].expm1(), -2.0, 2.0, f64::exp_m1),
        ("log2", |v| v[0].log2(), 0.2, 3.0, f64::log2),
        ("log10", |v| v[0].log10(), 0.2, 3.0, f64::log10),
        ("exp2", |v| v[0].exp2(), -2.0, 2.0, f64::exp2),
        ("square", |v| v[0].square(), -2.0, 2.0, |x| x * x),
        ("frac", |v| v[0].frac(), 0.1, 0.9, |x| x - x.trunc()),
        (
            "silu",
            |v| v[0].silu(),
            -3.0,
            3.0,
            |x| x / (1.0 + (-x).exp()),
        ),
        (
            "gelu",
            |v| v[0].gelu(false),
            -3.0,
            3.0,
            |x| 0.5 * x * (1.0 + libm_erf(x / 2f64.sqrt())),
        ),
        (
            "gelu tanh",
            |v| v[0].gelu(true),
            -3.0,
            3.0,
            |x| {
                0.5 * x
                    * (1.0
                        + ((2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x)).tanh())
            },
        ),
        (
            "elu",
            |v| v[0].elu(0.7),
            -3.0,
            3.0,
            |x| if x > 0.0 { x } else { 0.7 * x.exp_m1() },
        ),
        (
            "celu",
            |v| v[0].celu(1.5),
            -3.0,
            3.0,
            |x| x.max(0.0) + (1.5 * (x / 1.5).exp_m1()).min(0.0),
        ),
        (
            "softplus",
            |v| v[0].softplus(2.0, 4.0),
            -1.9,
            1.9,
            |x| {
                if 2.0 * x > 4.0 {
                    x
                } else {
                    (2.0 * x).exp().ln_1p() / 2.0
                }
            },
        ),
        (
            "softsign",
            |v| v[0].softsign(),
            -3.0,
            3.0,
            |x| x / (1.0 + x.abs()),
        ),
        (
            "mish",
            |v| v[0].mish(),
            -3.0,
            3.0,
            |x| x * x.exp().ln_1p().tanh(),
        ),
        (
            "logsigmoid",
            |v| v[0].logsigmoid(),
            -3.0,
            3.0,
            |x| -(-x).exp().ln_1p(),
        ),
    ];
    for (name, f, lo, hi, reference) in cases {
        let x = input(lo, hi);
        let got = f(std::slice::from_ref(&x)).to_vec();
        for (g, v) in got.iter().zip(x.to_vec()) {
            assert!(
                (g - reference(v)).abs() <= 1e-12 * (1.0 + reference(v).abs()),
                "{name}({v})"
            );
        }
        assert!(
            gradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-7, 1e-5).is_ok(),
            "{name}"
        );
        assert!(
            gradgradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-6, 1e-4).is_ok(),
            "{name}"
        );
    }
}

fn libm_erf(x: f64) -> f64 {
    // erf by its series, independent of the implementation under test (|x| <= 2: 60 terms).
    let mut sum = 0.0;
    let mut term = x;
    for n in 0..60 {
        sum += term / (2 * n + 1) as f64;
        term *= -x * x / (n + 1) as f64;
    }
    sum * std::f64::consts::FRAC_2_SQRT_PI
}

#[test]
fn rounding_functions_follow_pytorch_and_have_zero_gradient() {
    let x = Tensor::from_vec(vec![-2.5f32, -1.5, -0.5, 0.5, 1.5, 2.5, 1.7, -1.7], &[8])
        .requires_grad_(true);
    // torch.round rounds half to even
    assert_eq!(
        x.round().to_vec(),
        vec![-2.0, -2.0, -0.0, 0.0, 2.0, 2.0, 2.0, -2.0]
    );
    assert_eq!(
        x.floor().to_vec(),
        vec![-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 1.0, -2.0]
    );
    assert_eq!(
        x.ceil().to_vec(),
        vec![-2.0, -1.0, -0.0, 1.0, 2.0, 3.0, 2.0, -1.0]
    );
    assert_eq!(
        x.trunc().to_vec(),
        vec![-2.0, -1.0, -0.0, 0.0, 1.0, 2.0, 1.0, -1.0]
    );
    assert_eq!(
        x.sign().to_vec(),
        vec![-1.0, -1.0, -1.0, 1.0, 1.0, 1.0, 1.0, -1.0]
    );
    let y = x.round().sum() + x.floor().sum() + x.ceil().sum() + x.trunc().sum() + x.sign().sum();
    y.backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0; 8]);
}

#[test]
fn cat_and_stack_route_each_slice_of_the_gradient_home() {
    let a = Tensor::from_vec(vec![1.0f32, 2.0], &[1, 2]).requires_grad_(true);
    let b = Tensor::from_vec(vec![3.0f32, 4.0, 5.0, 6.0], &[2, 2]).requires_grad_(true);
    let c = Tensor::cat(&[&a, &b], 0);
    assert_eq!(c.grad_fn_name(), Some("CatBackward0"));
    // weights 1..6 on the rows: a gets [1, 2], b gets [3, 4, 5, 6]
    let w = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
    (&c * &w).sum().backward();
    assert_eq!(a.grad().unwrap().to_vec(), vec![1.0, 2.0]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![3.0, 4.0, 5.0, 6.0]);
    let msg = std::panic::catch_unwind(|| {
        let x = Tensor::<f32>::zeros(&[2, 2]);
        let y = Tensor::<f32>::zeros(&[3, 3]);
        Tensor::cat(&[&x, &y], 1);
    })
    .unwrap_err();
    let msg = msg.downcast_ref::<String>().unwrap();
    assert!(
        msg.contains(
            "Sizes of tensors must match except in dimension 1. Expected size 2 but got size 3 \
             for tensor number 1 in the list."
        ),
        "{msg}"
    );
    let f: F = |v| Tensor::stack(&[&v[0], &v[0].t(), &v[0].sin()], -1).pow(2.0);
    let x = Tensor::<f64>::from_vec((0..9).map(|i| i as f64 * 0.3 - 1.0).collect(), &[3, 3]);
    assert!(gradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-7, 1e-5).is_ok());
    assert!(gradgradcheck(f, std::slice::from_ref(&x), 1e-6, 1e-6, 1e-4).is_ok());
}

#[test]
fn linspace_equals_pytorch_bit_for_bit() {
    // tests/fixtures/linspace_f32.json: torch.linspace's f32 bit patterns
    // (tools/golden/linspace.py).
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/linspace_f32.json");
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for case in golden["cases"].as_array().unwrap() {
        let (start, end) = (
            case["start"].as_f64().unwrap(),
            case["end"].as_f64().unwrap(),
        );
        let steps = case["steps"].as_u64().unwrap() as usize;
        let got = Tensor::<f32>::linspace(start as f32, end as f32, steps).to_vec();
        let want = case["bits"].as_array().unwrap();
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert_eq!(
                g.to_bits() as i32 as i64,
                w.as_i64().unwrap(),
                "linspace({start}, {end}, {steps})[{i}] = {g}"
            );
        }
    }
}

#[test]
fn tensors_sum_as_an_iterator_and_take_integer_powers() {
    // params.iter().map(|p| (p * p).sum()).sum(): 1 + 4 + 9 + 16 = 30
    let ps = [
        Tensor::from_vec(vec![1.0f32, 2.0], &[2]),
        Tensor::from_vec(vec![3.0f32, 4.0], &[2]),
    ];
    let total: Tensor<f32> = ps.iter().map(|p| (p * p).sum()).sum();
    assert_eq!(total.item(), 30.0);
    let by_ref: Tensor<f32> = ps.iter().sum();
    assert_eq!(by_ref.to_vec(), vec![4.0, 6.0]);
    assert_eq!(ps[0].pow(3).to_vec(), vec![1.0, 8.0]);
}

#[test]
fn binary_reduction_and_rearranging_ops_pass_gradcheck_and_gradgradcheck() {
    let a = Tensor::<f64>::from_vec(
        (0..12)
            .map(|i| 0.3 + (i as f64 * 0.77).sin().abs())
            .collect(),
        &[3, 4],
    );
    let b = Tensor::<f64>::from_vec(
        (0..12)
            .map(|i| 0.2 + (i as f64 * 0.41).cos().abs())
            .collect(),
        &[3, 4],
    );
    let cases: Vec<(&str, F)> = vec![
        ("maximum", |v| v[0].maximum(&v[1])),
        ("minimum", |v| v[0].minimum(&v[1].t().contiguous().t())),
        ("atan2", |v| v[0].atan2(&v[1])),
        ("pow_tensor", |v| v[0].pow_tensor(&v[1])),
        ("lerp", |v| v[0].lerp(&v[1], &v[1].sigmoid())),
        ("addcdiv", |v| v[0].addcdiv(&v[0], &v[1], 0.5)),
        ("var", |v| v[0].var(&[1], 1.0, false) * &v[1].sum()),
        ("std", |v| v[0].std(&[0, 1], 0.0, true)),
        ("logsumexp", |v| v[0].logsumexp(&[-1], false)),
        ("norm2", |v| v[0].norm(2.0, &[0], false)),
        ("amax", |v| &v[0].amax(&[1], true) * &v[1]),
        ("cumsum", |v| v[0].cumsum(1).pow(2.0)),
        ("flip roll", |v| v[0].flip(&[0, 1]).roll(2, 1).pow(2.0)),
        ("repeat", |v| v[0].repeat(&[2, 1, 2]).pow(2.0)),
        ("tril triu", |v| &v[0].tril(0).pow(2.0) + &v[1].triu(1)),
        ("pad", |v| v[0].pad(&[1, 2, -1, 1], 0.5).pow(2.0)),
    ];
    for (name, f) in cases {
        let ins = [a.clone(), b.clone()];
        assert!(gradcheck(f, &ins, 1e-6, 1e-7, 1e-5).is_ok(), "{name}");
        assert!(gradgradcheck(f, &ins, 1e-6, 1e-6, 1e-4).is_ok(), "{name}");
    }
}

#[test]
fn ties_share_the_gradient_evenly_as_pytorch() {
    // max of [1, 3, 3]: each 3 gets 1/2; maximum(a, b) on a tie gives 1/2 to each side
    let x = Tensor::from_vec(vec![1.0f32, 3.0, 3.0], &[3]).requires_grad_(true);
    x.max().backward();
    assert_eq!(x.grad().unwrap().to_vec(), vec![0.0, 0.5, 0.5]);
    let a = Tensor::from_vec(vec![2.0f32, 5.0], &[2]).requires_grad_(true);
    let b = Tensor::from_vec(vec![2.0f32, 1.0], &[2]).requires_grad_(true);
    a.maximum(&b).sum().backward();
    assert_eq!(a.grad().unwrap().to_vec(), vec![0.5, 1.0]);
    assert_eq!(b.grad().unwrap().to_vec(), vec![0.5, 0.0]);
}

#[test]
fn hard_activations_have_pytorchs_gradients_at_their_boundaries() {
    // PyTorch: hardtanh/relu6/hardsigmoid pass the gradient on the open interval only;
    // hardswish's derivative is x/3 + 1/2 on [-3, 3] (so -0.5 at -3 and 1.5 at 3).
    let grad = |f: fn(&Tensor<f64>) -> Tensor<f64>, xs: Vec<f64>| {
        let x = Tensor::from_vec(xs.clone(), &[xs.len()]).requires_grad_(true);
        f(&x).sum().backward();
        x.grad().unwrap().to_vec()
    };
    assert_eq!(
        grad(|x| x.relu6(), vec![0.0, 3.0, 6.0]),
        vec![0.0, 1.0, 0.0]
    );
    assert_eq!(
        grad(|x| x.hardtanh(-1.0, 1.0), vec![-1.0, 0.0, 1.0]),
        vec![0.0, 1.0, 0.0]
    );
    assert_eq!(
        grad(|x| x.hardsigmoid(), vec![-3.0, 0.0, 3.0]),
        vec![0.0, 1.0 / 6.0, 0.0]
    );
    assert_eq!(
        grad(|x| x.hardswish(), vec![-3.0, 0.0, 3.0, 4.0]),
        vec![-0.5, 0.5, 1.5, 1.0]
    );
}

#[test]
fn f32_activations_give_the_same_bits_whatever_the_layout() {
    // The f32 sigmoid, tanh and GELU run with fused multiply–adds in the vector loops; a
    // strided input and the in-place form go through the same loops (gathered into row-major
    // order first), so every layout gives the bits of the contiguous call. 40 000 values over
    // [-10, 10], enough to take the parallel chunked path too.
    let v: Vec<f32> = (0..40_000).map(|i| i as f32 / 2_000.0 - 10.0).collect();
    let x = Tensor::from_vec(v, &[200, 200]);
    let xt = x.t().contiguous().t(); // the same values, stored column-major
    assert!(!xt.is_contiguous());
    let bits = |t: Tensor<f32>| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
    for (name, f) in [
        (
            "sigmoid",
            (|t| t.sigmoid()) as fn(&Tensor<f32>) -> Tensor<f32>,
        ),
        ("tanh", |t| t.tanh()),
        ("gelu", |t| t.gelu(false)),
    ] {
        assert_eq!(bits(f(&xt)), bits(f(&x)), "{name} of a strided view");
    }
    let copy = Tensor::from_vec(x.to_vec(), &[200, 200]);
    copy.sigmoid_();
    assert_eq!(bits(copy), bits(x.sigmoid()), "sigmoid_");
    let strided = xt.contiguous().t().contiguous().t(); // a fresh column-major copy
    strided.sigmoid_();
    assert_eq!(
        bits(strided),
        bits(x.sigmoid()),
        "sigmoid_ of a strided tensor"
    );
}

/// A binary op on tensors, and the same op on one element.
type TensorOp = fn(&Tensor<f32>, &Tensor<f32>) -> Tensor<f32>;
type ScalarOp = fn(f32, f32) -> f32;

/// The four arithmetic ops, each as a tensor op and as the same op on one element.
const BINARY_OPS: [(&str, TensorOp, ScalarOp); 4] = [
    ("add", |a, b| a.add(b), |x, y| x + y),
    ("sub", |a, b| a.sub(b), |x, y| x - y),
    ("mul", |a, b| a.mul(b), |x, y| x * y),
    ("div", |a, b| a.div(b), |x, y| x / y),
];

#[test]
fn binary_ops_of_strided_views_compute_each_element_from_its_operands() {
    // Operands of one shape, at least one a strided view, are read as row-major copies and go
    // through the vector loops; each result element must be `f(a[i], b[i])` of the elements
    // the views name, whatever the layouts: q, k, v split off the last dimension of
    // [4, 5, 3·12] (rows of 12), a transpose, a partly expanded operand, a strided slice.
    let qkv = Tensor::<f32>::from_vec(
        (0..720).map(|i| (i as f32 - 360.0) / 7.0 + 0.5).collect(),
        &[4, 5, 36],
    );
    let (q, k, v) = (
        qkv.narrow(2, 0, 12),
        qkv.narrow(2, 12, 12),
        qkv.narrow(2, 24, 12),
    );
    let m = Tensor::<f32>::from_vec((1..=35).map(|i| i as f32 * 0.25).collect(), &[5, 7]);
    let col = Tensor::<f32>::from_vec(vec![1.0, -2.0, 3.0, -4.0, 5.0], &[5, 1]).expand(&[5, 7]);
    let mt = Tensor::<f32>::from_vec((1..=35).map(|i| i as f32 - 17.5).collect(), &[7, 5]).t();
    let every_other = Tensor::<f32>::arange(1.0, 71.0, 1.0)
        .reshape(&[5, 14])
        .slice(1, Some(0), None, 2);
    let cases: Vec<(&str, Tensor<f32>, Tensor<f32>)> = vec![
        ("q, k", q.clone(), k.clone()),
        ("k, v", k, v.clone()),
        ("q, contiguous", q.clone(), q.contiguous().neg()),
        ("transpose, contiguous", mt.clone(), m.clone()),
        ("expanded column, transpose", col, mt),
        ("strided slice, contiguous", every_other, m),
    ];
    for (name, a, b) in cases {
        assert!(!a.is_contiguous(), "{name}: the case needs a strided view");
        let (av, bv) = (a.to_vec(), b.to_vec());
        for (op, tensor_op, scalar_op) in BINARY_OPS {
            let got = tensor_op(&a, &b);
            assert_eq!(got.shape(), a.shape(), "{op} of {name}: shape");
            let want: Vec<f32> = av.iter().zip(&bv).map(|(&x, &y)| scalar_op(x, y)).collect();
            assert_eq!(got.to_vec(), want, "{op} of {name}");
        }
    }
}

/// The flat index into a row-major tensor of shape `from` of the element that broadcasting
/// reads for the flat index `flat` of a result of shape `to` (dimensions aligned on the right,
/// a dimension of size 1 read at 0).
fn broadcast_source(flat: usize, to: &[usize], from: &[usize]) -> usize {
    let (mut rest, mut at, mut stride) = (flat, 0, 1);
    for (i, &n) in to.iter().enumerate().rev() {
        let coord = rest % n;
        rest /= n;
        let j = i as isize - (to.len() - from.len()) as isize;
        if j >= 0 {
            let m = from[j as usize];
            if m != 1 {
                at += coord * stride;
            }
            stride *= m;
        }
    }
    at
}

#[test]
fn an_operand_repeated_along_the_others_leading_dimensions_meets_the_right_elements() {
    // One operand's shape the other's trailing dimensions (leading 1s allowed): each result
    // element must be f(a, b) of the elements broadcasting names, whichever side is shorter,
    // for short rows (many rows a chunk), a row longer than a chunk, and a result large
    // enough for the parallel path.
    let cases: [(&[usize], &[usize]); 7] = [
        (&[2, 3, 4], &[3, 4]),
        (&[3, 4], &[2, 3, 4]),
        (&[5, 4], &[1, 4]),
        (&[1, 7], &[6, 1, 7]),
        (&[3, 10_000], &[10_000]),
        (&[600, 64], &[64]),
        (&[64], &[2, 300, 64]),
    ];
    let values =
        |n: usize, k: f32| -> Vec<f32> { (0..n).map(|i| (i % 97) as f32 * k - 3.0).collect() };
    for (sa, sb) in cases {
        let (na, nb) = (sa.iter().product::<usize>(), sb.iter().product::<usize>());
        let (av, bv) = (
            values(na, 0.25),
            values(nb, -0.5)
                .iter()
                .map(|v| v + 0.125)
                .collect::<Vec<_>>(),
        );
        let (a, b) = (
            Tensor::from_vec(av.clone(), sa),
            Tensor::from_vec(bv.clone(), sb),
        );
        let out: &[usize] = if na >= nb { sa } else { sb };
        for (op, tensor_op, scalar_op) in BINARY_OPS {
            let got = tensor_op(&a, &b);
            assert_eq!(
                got.shape().as_slice(),
                out,
                "{op} of {sa:?} and {sb:?}: shape"
            );
            let want: Vec<f32> = (0..out.iter().product())
                .map(|f| {
                    scalar_op(
                        av[broadcast_source(f, out, sa)],
                        bv[broadcast_source(f, out, sb)],
                    )
                })
                .collect();
            assert_eq!(got.to_vec(), want, "{op} of {sa:?} and {sb:?}");
        }
    }
}

#[test]
fn f32_sin_cos_log_erf_run_their_vector_forms_and_fall_back_to_libm_beyond_them() {
    // In range: within the kernels' bounds of the exact (f64) value, in units of the f32
    // spacing at the exact value.
    let xs: Vec<f32> = (0..4001).map(|i| (i as f32 - 2000.0) * 0.37).collect();
    let x = Tensor::from_vec(xs.clone(), &[4001]);
    let pos = Tensor::from_vec(xs.iter().map(|v| v.abs() + 1e-3).collect(), &[4001]);
    let ulp = |got: f32, exact: f64| {
        (got as f64 - exact).abs()
            / (f32::EPSILON as f64 * exact.abs()).max(f32::MIN_POSITIVE as f64)
    };
    let worst = |t: Tensor<f32>, src: &Tensor<f32>, f: fn(f64) -> f64| {
        t.to_vec()
            .iter()
            .zip(src.to_vec())
            .map(|(&y, v)| ulp(y, f(v as f64)))
            .fold(0.0, f64::max)
    };
    assert!(worst(x.sin(), &x, f64::sin) <= 1.12);
    assert!(worst(x.cos(), &x, f64::cos) <= 1.12);
    assert!(worst(pos.log(), &pos, f64::ln) <= 1.0);
    let small = x.mul_scalar(0.004); // ±2.96, both sides of erf's switch at 0.75
    assert!(worst(small.erf(), &small, libm_erf) <= 2.0);
    // Beyond 2¹⁶, ±inf and NaN: libm's values, bit for bit, beside in-range ones.
    let odd = vec![
        1.0e6f32,
        -7.0e4,
        65_537.0,
        f32::INFINITY,
        f32::NAN,
        0.5,
        3.0e38,
        -5.0e4,
    ];
    let t = Tensor::from_vec(odd.clone(), &[8]);
    let want_sin: Vec<f32> = odd.iter().map(|v| v.sin()).collect();
    let want_cos: Vec<f32> = odd.iter().map(|v| v.cos()).collect();
    let (got_sin, got_cos) = (t.sin().to_vec(), t.cos().to_vec());
    for i in [0, 1, 2, 6] {
        assert_eq!(
            got_sin[i].to_bits(),
            want_sin[i].to_bits(),
            "sin({})",
            odd[i]
        );
        assert_eq!(
            got_cos[i].to_bits(),
            want_cos[i].to_bits(),
            "cos({})",
            odd[i]
        );
    }
    assert!(got_sin[3].is_nan() && got_sin[4].is_nan() && got_cos[3].is_nan());
    // In range: 0.5, and -5e4 (above 1 024, below 2¹⁶).
    for i in [5, 7] {
        let v = odd[i] as f64;
        assert!(ulp(got_sin[i], v.sin()) <= 1.12 && ulp(got_cos[i], v.cos()) <= 1.12);
    }
}

#[test]
fn f32_tan_asin_atan_sinh_cosh_log1p_expm1_log2_log10_exp2_run_their_vector_forms() {
    // Each on an f32 tensor over its domain, within its kernel's bound of the exact (f64)
    // value, in units of the f32 spacing at the exact value.
    let ulp = |got: f32, exact: f64| {
        (got as f64 - exact).abs()
            / (f32::EPSILON as f64 * exact.abs()).max(f32::MIN_POSITIVE as f64)
    };
    type Case = (
        &'static str,
        fn(&Tensor<f32>) -> Tensor<f32>,
        fn(f64) -> f64,
        f64,
        f64,
        f64,
    );
    let cases: [Case; 10] = [
        ("tan", |t| t.tan(), f64::tan, -700.0, 700.0, 2.0),
        ("asin", |t| t.asin(), f64::asin, -1.0, 1.0, 2.0),
        ("atan", |t| t.atan(), f64::atan, -300.0, 300.0, 2.0),
        ("sinh", |t| t.sinh(), f64::sinh, -80.0, 80.0, 1.5),
        ("cosh", |t| t.cosh(), f64::cosh, -80.0, 80.0, 1.5),
        ("log1p", |t| t.log1p(), f64::ln_1p, -0.999, 1e4, 1.5),
        ("expm1", |t| t.expm1(), f64::exp_m1, -20.0, 80.0, 1.5),
        ("log2", |t| t.log2(), f64::log2, 1e-30, 1e30, 1.0),
        ("log10", |t| t.log10(), f64::log10, 1e-3, 1e6, 1.0),
        ("exp2", |t| t.exp2(), f64::exp2, -140.0, 120.0, 1.5),
    ];
    for (name, op, exact, lo, hi, bound) in cases {
        let xs: Vec<f32> = (0..=5000)
            .map(|i| (lo + (hi - lo) * i as f64 / 5000.0) as f32)
            .collect();
        let got = op(&Tensor::from_vec(xs.clone(), &[xs.len()])).to_vec();
        let worst = got
            .iter()
            .zip(&xs)
            .map(|(&y, &v)| ulp(y, exact(v as f64)))
            .fold(0.0, f64::max);
        assert!(worst <= bound, "{name}: {worst} ulp (bound {bound})");
    }
    // Beyond the vector forms' ranges (tan beyond 2¹⁶, sinh and cosh beyond 88.7, where eˣ
    // overflows while they need not): libm's bits, beside in-range elements.
    let t = Tensor::from_vec(vec![1.0e6f32, -7.0e4, 0.5], &[3]);
    let tan = t.tan().to_vec();
    assert_eq!((tan[0], tan[1]), (1.0e6f32.tan(), (-7.0e4f32).tan()));
    assert!(ulp(tan[2], 0.5f64.tan()) <= 2.0);
    let t = Tensor::from_vec(vec![89.2f32, -89.0, 1.0], &[3]);
    let (sinh, cosh) = (t.sinh().to_vec(), t.cosh().to_vec());
    assert!(sinh[0].is_finite() && cosh[1].is_finite());
    assert_eq!((sinh[0], sinh[1]), (89.2f32.sinh(), (-89.0f32).sinh()));
    assert_eq!((cosh[0], cosh[1]), (89.2f32.cosh(), (-89.0f32).cosh()));
    assert!(ulp(sinh[2], 1f64.sinh()) <= 1.5 && ulp(cosh[2], 1f64.cosh()) <= 1.5);
    let nan = Tensor::from_vec(vec![f32::NAN], &[1]);
    for f in [
        Tensor::tan,
        Tensor::sinh,
        Tensor::cosh,
        Tensor::log1p,
        Tensor::asin,
    ] {
        assert!(f(&nan).item().is_nan());
    }
}

#[test]
fn f32_pow_by_a_float_is_rounded_once_and_keeps_cs_special_values() {
    // Positive and negative bases; for an integer exponent the sign of (-x)^p is (-1)^p,
    // for another exponent a negative base gives NaN; ±0, ±inf and NaN as C's powf.
    let xs: Vec<f32> = (0..=4000).map(|i| (i as f32 - 2000.0) * 0.0123).collect();
    let x = Tensor::from_vec(xs.clone(), &[xs.len()]);
    for p in [2.5, -1.5, 4.0, 5.0, -3.0, 0.0, 1.0 / 3.0] {
        let got = x.pow(p).to_vec();
        for (&y, &v) in got.iter().zip(&xs) {
            let exact = (v as f64).powf(p);
            if exact.is_nan() {
                assert!(y.is_nan(), "{v}^{p}: {y}");
            } else if exact.is_finite() && exact != 0.0 {
                let ulp = (y as f64 - exact).abs() / (f32::EPSILON as f64 * exact.abs());
                assert!(ulp <= 0.5001, "{v}^{p}: {y} against {exact}");
            } else {
                assert_eq!(y, exact as f32, "{v}^{p}");
            }
        }
    }
    // ATen's special exponents, bit for bit: -0.5 as 1/√x, -2 as 1/(x·x).
    let pos: Vec<f32> = xs.iter().map(|v| v.abs() + 0.01).collect();
    let px = Tensor::from_vec(pos.clone(), &[pos.len()]);
    let want: Vec<f32> = pos.iter().map(|v| 1.0 / v.sqrt()).collect();
    assert_eq!(px.pow(-0.5).to_vec(), want);
    let want: Vec<f32> = xs.iter().map(|v| 1.0 / (v * v)).collect();
    assert_eq!(x.pow(-2.0).to_vec(), want);
    let special = [
        0.0f32,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        -2.0,
        1.0,
        -1.0,
        0.5,
    ];
    let t = Tensor::from_vec(special.to_vec(), &[special.len()]);
    for p in [
        2.5f32,
        -1.5,
        5.0,
        -3.0,
        4.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
    ] {
        let got = t.pow(p).to_vec();
        for (&y, &v) in got.iter().zip(&special) {
            let want = v.powf(p);
            assert!(
                y.to_bits() == want.to_bits() || (y.is_nan() && want.is_nan()),
                "{v}^{p}: {y}, C's powf gives {want}"
            );
        }
    }
}

/// `f32` values spread over `(lo, hi)`.
fn spread_f32(n: usize, lo: f32, hi: f32) -> Vec<f32> {
    (0..n)
        .map(|i| lo + (hi - lo) * (i as f32 + 0.5) / n as f32)
        .collect()
}

fn bits(v: Vec<f32>) -> Vec<u32> {
    v.into_iter().map(f32::to_bits).collect()
}

/// The gradient of `f` at `x` for the upstream gradient `g`: by the one-pass `fast` form
/// (no graph of the backward built) and by the rule written with tensor ops (under
/// `create_graph`).
fn both_backwards(f: fn(&Tensor<f32>) -> Tensor<f32>, x: &[f32], g: &[f32]) -> [Vec<f32>; 2] {
    [false, true].map(|create_graph| {
        let x = Tensor::from_vec(x.to_vec(), &[x.len()]).requires_grad_(true);
        let g = Tensor::from_vec(g.to_vec(), &[g.len()]);
        f(&x).backward_with(
            tapegrad_autograd::BackwardOptions::new()
                .gradient(g)
                .create_graph(create_graph),
        );
        x.grad().expect("a gradient").to_vec()
    })
}

/// The one-pass backward of each function (its `fast` clause in `unary_ops!`) computes the
/// same expression as its recorded rule, operation for operation: the same `f32` bits, over
/// 3 000 points and an upstream gradient that is not all ones. (The values themselves are
/// checked by `gradcheck` above and against PyTorch in `golden_ops_v2.rs`.)
#[test]
fn one_pass_backwards_match_the_recorded_rules_bit_for_bit() {
    type Unary = fn(&Tensor<f32>) -> Tensor<f32>;
    let cases: [(&str, Unary, f32, f32); 13] = [
        ("log", |x| x.log(), 0.05, 30.0),
        ("exp", |x| x.exp(), -20.0, 20.0),
        ("asin", |x| x.asin(), -0.99, 0.99),
        ("atan", |x| x.atan(), -30.0, 30.0),
        ("erf", |x| x.erf(), -6.0, 6.0),
        ("rsqrt", |x| x.rsqrt(), 0.05, 30.0),
        ("reciprocal", |x| x.reciprocal(), 0.05, 30.0),
        ("log1p", |x| x.log1p(), -0.95, 30.0),
        ("expm1", |x| x.expm1(), -20.0, 20.0),
        ("log2", |x| x.log2(), 0.05, 30.0),
        ("log10", |x| x.log10(), 0.05, 30.0),
        ("exp2", |x| x.exp2(), -20.0, 20.0),
        ("square", |x| x.square(), -30.0, 30.0),
    ];
    let g: Vec<f32> = (0..3000).map(|i| 0.5 + (i % 7) as f32 * 0.3).collect();
    for (name, f, lo, hi) in cases {
        let [fast, recorded] = both_backwards(f, &spread_f32(3000, lo, hi), &g);
        assert_eq!(bits(fast), bits(recorded), "{name}");
    }
}

/// GELU's backward takes the gradient of a mean (one value, broadcast) in one pass; a full
/// gradient of that same value everywhere takes the two-pass path: the same bits.
#[test]
fn gelu_backward_of_a_mean_matches_a_full_gradient_bit_for_bit() {
    let x = spread_f32(40_000, -8.0, 8.0);
    let of_mean = {
        let x = Tensor::from_vec(x.clone(), &[200, 200]).requires_grad_(true);
        x.gelu(false).mean().backward();
        x.grad().expect("a gradient").to_vec()
    };
    let full = {
        let x = Tensor::from_vec(x, &[200, 200]).requires_grad_(true);
        // The value the mean's backward passes down (1/40 000 as it computes it).
        let leaf = Tensor::full(&[200, 200], 1.0f32).requires_grad_(true);
        leaf.mean().backward();
        let g = Tensor::full(&[200, 200], leaf.grad().expect("a gradient").to_vec()[0]);
        x.gelu(false)
            .backward_with(tapegrad_autograd::BackwardOptions::new().gradient(g));
        x.grad().expect("a gradient").to_vec()
    };
    assert!(of_mean.iter().filter(|&&v| v != 0.0).count() > 30_000);
    assert_eq!(bits(of_mean), bits(full));
}
