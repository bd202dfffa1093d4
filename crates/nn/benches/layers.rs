//! nn layer benchmarks (issue 12, "Speed"): forward + backward of a small LeNet-style conv
//! stack, a ResNet basic block, one LSTM layer and one multi-head self-attention layer, in f32,
//! each in training mode; and of single ops at the shapes `char_gpt` gives them (`ops/*`:
//! softmax, log-softmax, cross-entropy, GELU, layer norm, elementwise functions). The same
//! workloads are timed in PyTorch by `benches/pytorch/torch_workloads.py`, so the two can be
//! compared side by side.
//!
//! ```text
//! cargo bench -p tapegrad-nn --bench layers
//! RAYON_NUM_THREADS=1 cargo bench -p tapegrad-nn --bench layers
//! ```

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use std::time::Duration;
use tapegrad_autograd::{manual_seed, Tensor};
use tapegrad_nn::functional::{cross_entropy, Reduction};
use tapegrad_nn::{
    BatchNorm2d, Conv2d, ConvOptions, LayerNorm, Module, MultiheadAttention, RnnOptions, LSTM,
};

fn conv3x3(cin: usize, cout: usize, bias: bool) -> Conv2d {
    Conv2d::with_options(
        cin,
        cout,
        [3, 3],
        ConvOptions::default().padding(1).bias(bias),
    )
}

/// Drops the gradients of `params` (as `optimizer.zero_grad()`, which sets them to `None`), so
/// that every iteration starts from the same state.
fn clear(params: &[Tensor]) {
    for p in params {
        p.set_grad(None);
    }
}

/// A benchmark group timed briefly (10 samples, 1 s warm-up, 4 s of measurement): each
/// workload is large. First, this thread joins the pool that runs parallel ops, as PyTorch's
/// caller does (`tapegrad_autograd::init_threads`).
fn short_group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let _ = tapegrad_autograd::init_threads(0);
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group
}

/// Times `loss()` and its backward as `id`, `batch` samples an iteration, each iteration
/// starting from cleared gradients of `params`.
fn bench_fwd_bwd(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    batch: u64,
    params: &[Tensor],
    loss: impl Fn() -> Tensor,
) {
    group.throughput(Throughput::Elements(batch));
    group.bench_function(id, |b| {
        b.iter(|| {
            clear(params);
            let loss = loss();
            loss.backward();
            loss
        })
    });
}

fn conv2d(c: &mut Criterion) {
    let mut group = short_group(c, "conv2d");

    // LeNet-style: batch 64, 1→16→32 channels, 3×3, padding 1, 8×8 images, ReLU between.
    manual_seed(0);
    let c1 = conv3x3(1, 16, true);
    let c2 = conv3x3(16, 32, true);
    let params: Vec<Tensor> = c1.parameters().into_iter().chain(c2.parameters()).collect();
    let x: Tensor = Tensor::randn(&[64, 1, 8, 8]);
    bench_fwd_bwd(&mut group, "lenet_fwd_bwd", 64, &params, || {
        let y = c2.forward(&c1.forward(&x).relu());
        y.sum()
    });

    // ResNet basic block: batch 32, 64→64 channels, 3×3, padding 1, 32×32:
    // relu(bn2(conv2(relu(bn1(conv1(x))))) + x), convolutions without bias as torchvision's.
    manual_seed(0);
    let conv_a = conv3x3(64, 64, false);
    let bn_a = BatchNorm2d::<f32>::new_2d(64);
    let conv_b = conv3x3(64, 64, false);
    let bn_b = BatchNorm2d::<f32>::new_2d(64);
    let params: Vec<Tensor> = [
        conv_a.parameters(),
        bn_a.parameters(),
        conv_b.parameters(),
        bn_b.parameters(),
    ]
    .concat();
    let x: Tensor = Tensor::randn(&[32, 64, 32, 32]).requires_grad_(true);
    bench_fwd_bwd(&mut group, "resnet_block_fwd_bwd", 32, &params, || {
        x.set_grad(None);
        let h = bn_a.forward(&conv_a.forward(&x)).relu();
        let y = bn_b.forward(&conv_b.forward(&h)).add(&x).relu();
        y.sum()
    });
    group.finish();
}

fn lstm(c: &mut Criterion) {
    let mut group = short_group(c, "lstm");
    // batch 32, seq 32, input 128, hidden 128, one layer, batch_first.
    manual_seed(0);
    let opts = RnnOptions {
        batch_first: true,
        ..Default::default()
    };
    let lstm: LSTM = LSTM::with_options(128, 128, opts);
    let params = lstm.parameters();
    let x: Tensor = Tensor::randn(&[32, 32, 128]);
    bench_fwd_bwd(&mut group, "fwd_bwd", 32, &params, || {
        lstm.forward(&x).sum()
    });
    group.finish();
}

fn attention(c: &mut Criterion) {
    let mut group = short_group(c, "attention");
    // MultiheadAttention: batch 16, 4 heads, seq 64, embed 64, batch_first, self-attention.
    manual_seed(0);
    let mha: MultiheadAttention = MultiheadAttention::new(64, 4, 0.0, true);
    let params = mha.parameters();
    let x: Tensor = Tensor::randn(&[16, 64, 64]);
    bench_fwd_bwd(&mut group, "fwd_bwd", 16, &params, || {
        let (y, _) = mha.forward_attention(&x, &x, &x, None, None, false);
        y.sum()
    });
    group.finish();
}

/// Single ops, forward + sum + backward from a leaf, at `char_gpt`'s shapes (batch 32, block
/// 32, 4 heads, embedding 64, vocabulary 65): its attention scores' softmax, the loss over its
/// logits (log-softmax alone and cross-entropy), the MLP's GELU, a layer norm; and `exp`,
/// `sin`, `erf`, `expm1`, `atan` and (of |x| + 0.1) `log`, `log1p` and `x^2.5` on the MLP's
/// activations.
fn ops(c: &mut Criterion) {
    let _ = tapegrad_autograd::init_threads(0);
    let mut group = c.benchmark_group("ops");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    manual_seed(0);
    let leaf = |shape: &[usize]| Tensor::<f32>::randn(shape).requires_grad_(true);
    let (scores, logits, hidden) = (
        leaf(&[32, 4, 32, 32]),
        leaf(&[1024, 65]),
        leaf(&[32, 32, 256]),
    );
    let targets = Tensor::from_vec((0..1024).map(|i| (i * 7 % 65) as i64).collect(), &[1024]);
    let ln = LayerNorm::new(&[64]);
    let embedded = leaf(&[32, 32, 64]);
    let ln_params = [ln.parameters(), vec![embedded.clone()]].concat();
    bench_fwd_bwd(
        &mut group,
        "softmax_fwd_bwd",
        32,
        std::slice::from_ref(&scores),
        || scores.softmax(-1).sum(),
    );
    bench_fwd_bwd(
        &mut group,
        "log_softmax_fwd_bwd",
        32,
        std::slice::from_ref(&logits),
        || logits.log_softmax(-1).sum(),
    );
    bench_fwd_bwd(
        &mut group,
        "cross_entropy_fwd_bwd",
        32,
        std::slice::from_ref(&logits),
        || cross_entropy(&logits, &targets, Reduction::Mean),
    );
    bench_fwd_bwd(
        &mut group,
        "gelu_fwd_bwd",
        32,
        std::slice::from_ref(&hidden),
        || hidden.gelu(false).sum(),
    );
    bench_fwd_bwd(&mut group, "layer_norm_fwd_bwd", 32, &ln_params, || {
        ln.forward(&embedded).sum()
    });
    bench_fwd_bwd(
        &mut group,
        "exp_fwd_bwd",
        32,
        std::slice::from_ref(&hidden),
        || hidden.exp().sum(),
    );
    let positive = Tensor::<f32>::randn(&[32, 32, 256])
        .abs()
        .add_scalar(0.1)
        .requires_grad_(true);
    bench_fwd_bwd(
        &mut group,
        "log_fwd_bwd",
        32,
        std::slice::from_ref(&positive),
        || positive.log().sum(),
    );
    bench_fwd_bwd(
        &mut group,
        "sin_fwd_bwd",
        32,
        std::slice::from_ref(&hidden),
        || hidden.sin().sum(),
    );
    bench_fwd_bwd(
        &mut group,
        "erf_fwd_bwd",
        32,
        std::slice::from_ref(&hidden),
        || hidden.erf().sum(),
    );
    bench_fwd_bwd(
        &mut group,
        "pow_fwd_bwd",
        32,
        std::slice::from_ref(&positive),
        || positive.pow(2.5).sum(),
    );
    bench_fwd_bwd(
        &mut group,
        "expm1_fwd_bwd",
        32,
        std::slice::from_ref(&hidden),
        || hidden.expm1().sum(),
    );
    bench_fwd_bwd(
        &mut group,
        "log1p_fwd_bwd",
        32,
        std::slice::from_ref(&positive),
        || positive.log1p().sum(),
    );
    bench_fwd_bwd(
        &mut group,
        "atan_fwd_bwd",
        32,
        std::slice::from_ref(&hidden),
        || hidden.atan().sum(),
    );
    group.finish();
}

criterion_group!(benches, conv2d, lstm, attention, ops);
criterion_main!(benches);
