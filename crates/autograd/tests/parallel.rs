//! Large elementwise ops and full reductions run in parallel (`ops/par.rs`) and give the same
//! bits whatever the thread count: fixed chunks, chunk sums combined in a fixed order.

use tapegrad_autograd::kernels::math::sin_f32;
use tapegrad_autograd::Tensor;

/// Every parallel op on inputs large enough for the parallel path, as raw bits.
fn results(x: &Tensor<f32>, y: &Tensor<f32>) -> Vec<Vec<u32>> {
    let bits = |t: Tensor<f32>| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
    vec![
        bits(x.sin()),
        bits(x.cos()),
        bits(x + y),
        bits(x - y),
        bits(x * y),
        bits(x / y),
        bits(x.sum()),
        bits(x.mean()),
        bits((x * y).sum()),
    ]
}

fn in_pool<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(f)
}

#[test]
fn large_ops_are_bit_identical_with_one_and_two_threads() {
    // 100 003 elements: above the threshold, and not a multiple of the chunk size.
    let n = 100_003;
    let x = Tensor::from_vec(
        (0..n).map(|i| ((i as f32) * 0.37).sin() * 3.0).collect(),
        &[n],
    );
    let y = Tensor::from_vec(
        (0..n).map(|i| 1.5 + ((i as f32) * 0.11).cos()).collect(),
        &[n],
    );
    let one = in_pool(1, || results(&x, &y));
    let two = in_pool(2, || results(&x, &y));
    assert_eq!(one, two);
    // Elementwise results equal the serial ones exactly (`sin` of `f32` is the vector form
    // `math::sin_f32` for |x| ≤ 2¹⁶); the sum is close to the f64 sum.
    let xs = x.to_vec();
    let sin: Vec<u32> = xs.iter().map(|&v| sin_f32(v).to_bits()).collect();
    assert_eq!(one[0], sin);
    let exact: f64 = xs.iter().map(|&v| v as f64).sum();
    let got = f32::from_bits(one[6][0]) as f64;
    assert!(
        (got - exact).abs() < 1e-2 * exact.abs().max(1.0),
        "{got} vs {exact}"
    );
}

#[test]
fn large_ops_keep_their_gradients() {
    let n = 40_000;
    let x = Tensor::<f64>::from_vec((0..n).map(|i| i as f64 * 1e-4).collect(), &[2, n / 2])
        .requires_grad_(true);
    let y = in_pool(2, || (&x * &x).mean());
    y.backward();
    let g = x.grad().unwrap().to_vec();
    for (i, gi) in g.iter().enumerate() {
        let expected = 2.0 * (i as f64 * 1e-4) / n as f64;
        assert!((gi - expected).abs() < 1e-15, "{i}: {gi} vs {expected}");
    }
}

#[test]
fn softmax_over_the_last_dim_matches_the_general_path_and_any_thread_count() {
    // The last-dim lane path (parallel above 32k elements) against the general path over a
    // non-last dimension of the transposed tensor; values and gradients of Σ softmax·c.
    tapegrad_autograd::manual_seed(12);
    let x = Tensor::<f64>::randn(&[300, 200]);
    let c = Tensor::<f64>::randn(&[300, 200]);
    let run = |log: bool, lane: bool| {
        let x = x.detach().requires_grad_(true);
        let y = match (log, lane) {
            (false, true) => x.softmax(-1),
            (true, true) => x.log_softmax(-1),
            (false, false) => x.t().softmax(0).t(),
            (true, false) => x.t().log_softmax(0).t(),
        };
        (&y * &c).sum().backward();
        (y.to_vec(), x.grad().expect("grad").to_vec())
    };
    for log in [false, true] {
        let (fast, general) = (run(log, true), run(log, false));
        for (a, b) in fast
            .0
            .iter()
            .zip(&general.0)
            .chain(fast.1.iter().zip(&general.1))
        {
            assert!(
                (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
                "log={log}: {a} vs {b}"
            );
        }
        assert_eq!(in_pool(1, || run(log, true)), in_pool(2, || run(log, true)));
    }
}

#[test]
fn batched_matmul_of_strided_and_broadcast_operands() {
    // a: [4, 3, 16, 32] read through a permutation; b: [3, 32, 16] broadcast over the leading
    // batch dim and transposed. Every batch entry must equal the 2-D product of contiguous
    // copies, on one thread and on two.
    tapegrad_autograd::manual_seed(13);
    let a = Tensor::<f64>::randn(&[3, 32, 4, 16]).permute(&[2, 0, 3, 1]);
    let b = Tensor::<f64>::randn(&[3, 16, 32]).transpose(1, 2);
    let y1 = in_pool(1, || a.matmul(&b));
    let y2 = in_pool(2, || a.matmul(&b));
    assert_eq!(y1.shape().as_slice(), &[4, 3, 16, 16]);
    assert_eq!(y1.to_vec(), y2.to_vec());
    for i in 0..4 {
        for j in 0..3 {
            let want = a
                .select(0, i as isize)
                .select(0, j as isize)
                .contiguous()
                .matmul(&b.select(0, j as isize).contiguous());
            let got = y1.select(0, i as isize).select(0, j as isize);
            for (p, q) in got.to_vec().iter().zip(want.to_vec()) {
                assert!(
                    (p - q).abs() <= 1e-12 * (1.0 + q.abs()),
                    "[{i}, {j}]: {p} vs {q}"
                );
            }
        }
    }
}

#[test]
fn pooling_is_bit_identical_on_one_and_two_threads() {
    // [8, 16, 32, 32] inputs take the plane-parallel paths of max and average pooling,
    // forward and backward.
    tapegrad_autograd::manual_seed(14);
    let x = Tensor::<f32>::randn(&[8, 16, 32, 32]);
    let c = Tensor::<f32>::randn(&[8, 16, 16, 16]);
    let run = || {
        let x = x.detach().requires_grad_(true);
        let m = x.max_pool2d([3, 3], [2, 2], [1, 1], [1, 1], false);
        let a = x.avg_pool2d([2, 2], [2, 2], [0, 0], false, true);
        (&(&m + &a) * &c).sum().backward();
        (m.to_vec(), a.to_vec(), x.grad().expect("grad").to_vec())
    };
    assert_eq!(in_pool(1, run), in_pool(2, run));
}

/// The gradients of `relu`, `sigmoid` and `*` under a `sum` or a `mean` (whose gradient is one
/// value expanded over the input's shape) and of `relu` twice (the second rule writes into the
/// first's gradient in place), on inputs large enough for the parallel paths, as raw bits.
fn expanded_grads(x: &Tensor<f32>, w: &Tensor<f32>) -> Vec<Vec<u32>> {
    let bits = |t: Tensor<f32>| t.to_vec().iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
    let grads = |loss: Tensor<f32>| {
        x.set_grad(None);
        w.set_grad(None);
        loss.backward();
        let gw = w.grad().map(bits).unwrap_or_default();
        (bits(x.grad().expect("x's gradient")), gw)
    };
    let (relu, _) = grads(x.relu().sum());
    let (sigmoid, _) = grads(x.sigmoid().mean());
    let (mul_x, mul_w) = grads((x * w).sum());
    let (relu_twice, _) = grads(x.relu().mul_scalar(3.0).relu().sum());
    vec![relu, sigmoid, mul_x, mul_w, relu_twice]
}

#[test]
fn gradients_of_an_expanded_scalar_match_the_rule_elementwise() {
    let n = 50_001;
    let x = Tensor::from_vec(
        (0..n).map(|i| ((i as f32) * 0.37).sin() * 3.0).collect(),
        &[3, n / 3],
    )
    .requires_grad_(true);
    let w = Tensor::from_vec(
        (0..n).map(|i| ((i as f32) * 0.11).cos()).collect(),
        &[3, n / 3],
    )
    .requires_grad_(true);
    let one = in_pool(1, || expanded_grads(&x, &w));
    let two = in_pool(2, || expanded_grads(&x, &w));
    assert_eq!(one, two);
    // Each element by the rule, from the values the forward computed: d relu = 1 if x > 0;
    // d sigmoid = g·(1 − s)·s with g = 1/n (ATen's order); d(x·w)/dx = w, d(x·w)/dw = x;
    // relu(3·relu(x)) gives 3 where x > 0.
    let (xs, ws) = (x.to_vec(), w.to_vec());
    let step = |k: f32| -> Vec<u32> {
        xs.iter()
            .map(|&v| if v > 0.0 { k } else { 0.0f32 }.to_bits())
            .collect()
    };
    let s = x.sigmoid().to_vec();
    let g = 1.0f32 / n as f32;
    let sigmoid: Vec<u32> = s.iter().map(|&s| (g * (1.0 - s) * s).to_bits()).collect();
    let as_bits = |v: &[f32]| v.iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
    assert_eq!(one[0], step(1.0));
    assert_eq!(one[1], sigmoid);
    assert_eq!(one[2], as_bits(&ws));
    assert_eq!(one[3], as_bits(&xs));
    assert_eq!(one[4], step(3.0));
}
