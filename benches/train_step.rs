//! Training-step benchmarks (issue 6): one full step — forward, loss, zero_grad, backward,
//! optimizer step — of the lecture network (2-3-2-12-2 sigmoid, MSE, batch 3) with each
//! lecture optimizer, and of a 784-512-512-10 ReLU MLP with cross-entropy and Adam at batch
//! 128 (issue 13's workload, `tapegrad_examples::workload`). Throughput is reported in samples
//! per second.
//!
//! ```text
//! cargo bench --bench train_step
//! RAYON_NUM_THREADS=1 cargo bench --bench train_step
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use tapegrad::nn::{Linear, MSELoss, Module, Sequential, Sigmoid};
use tapegrad::prelude::*;
use tapegrad_examples::optimizer::lecture_optimizer;
use tapegrad_examples::workload::MlpWorkload;
use tapegrad_examples::OptimizerKind;

/// The lecture network as one `Sequential` (same ops as `mynet`).
fn lecture_net() -> Sequential {
    Sequential::new()
        .add(Linear::new(2, 3))
        .add(Sigmoid::new())
        .add(Linear::new(3, 2))
        .add(Sigmoid::new())
        .add(Linear::new(2, 12))
        .add(Sigmoid::new())
        .add(Linear::new(12, 2))
        .add(Sigmoid::new())
}

fn sigmoid_net(c: &mut Criterion) {
    // This thread does its share of each parallel op, as PyTorch's caller does.
    let _ = tapegrad::autograd::init_threads(0);
    let mut group = c.benchmark_group("train_step/sigmoid_net");
    group.throughput(Throughput::Elements(3));
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let input = Tensor::from_vec(vec![0.5f32, 0.1, 0.05, 0.18, 0.05, 0.31], &[3, 2]);
    let target = Tensor::from_vec(vec![1.0f32, 2.0, 0.0, 3.0, 1.0, 123.0], &[3, 2]);
    // The lecture's optimizers with its settings (SGD 0.1 momentum 0.6, Adagrad 0.1, RMSprop
    // 0.01 momentum 0.8, Adam 0.1).
    let lecture = [
        ("sgd_momentum", OptimizerKind::Sgd),
        ("adagrad", OptimizerKind::Adagrad),
        ("rmsprop_momentum", OptimizerKind::Rmsprop),
        ("adam", OptimizerKind::Adam),
    ];
    for (name, kind) in lecture {
        manual_seed(0);
        let net = lecture_net();
        let mut opt = lecture_optimizer(kind, net.parameters());
        let loss_fn = MSELoss::new();
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                let loss = loss_fn.forward(&net.forward(&input), &target);
                opt.zero_grad();
                loss.backward();
                opt.step();
                loss
            })
        });
    }
    group.finish();
}

fn mlp(c: &mut Criterion) {
    // This thread does its share of each parallel op, as PyTorch's caller does.
    let _ = tapegrad::autograd::init_threads(0);
    let mut group = c.benchmark_group("train_step");
    group.throughput(Throughput::Elements(128));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    let mut workload = MlpWorkload::new();
    group.bench_function("mlp_784_512_512_10_b128_adam", |b| {
        b.iter(|| workload.step())
    });
    group.finish();
}

criterion_group!(benches, sigmoid_net, mlp);
criterion_main!(benches);
