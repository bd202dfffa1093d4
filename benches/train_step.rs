//! Training-step benchmarks (issue 6): one full step — forward, loss, zero_grad, backward,
//! optimizer step — of the lecture network (2-3-2-12-2 sigmoid, MSE, batch 3) with each
//! lecture optimizer, and of a 784-512-512-10 ReLU MLP with cross-entropy and Adam at batch
//! 128. Throughput is reported in samples per second.
//!
//! ```text
//! cargo bench --bench train_step
//! RAYON_NUM_THREADS=1 cargo bench --bench train_step
//! ```

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Duration;
use tapegrad::nn::{CrossEntropyLoss, Linear, MSELoss, Module, ReLU, Sequential, Sigmoid};
use tapegrad::optim::{
    Adagrad, AdagradConfig, Adam, AdamConfig, Optimizer, RMSprop, RmsPropConfig, SgdConfig, SGD,
};
use tapegrad::prelude::*;

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

fn optimizer(name: &str, params: Vec<Tensor>) -> Box<dyn Optimizer> {
    match name {
        "sgd_momentum" => Box::new(
            SGD::new(
                params,
                SgdConfig {
                    lr: 0.1,
                    momentum: 0.6,
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        "adagrad" => Box::new(
            Adagrad::new(
                params,
                AdagradConfig {
                    lr: 0.1,
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        "rmsprop_momentum" => Box::new(
            RMSprop::new(
                params,
                RmsPropConfig {
                    lr: 0.01,
                    momentum: 0.8,
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        "adam" => Box::new(
            Adam::new(
                params,
                AdamConfig {
                    lr: 0.1,
                    ..Default::default()
                },
            )
            .unwrap(),
        ),
        other => panic!("unknown optimizer {other}"),
    }
}

fn sigmoid_net(c: &mut Criterion) {
    let mut group = c.benchmark_group("train_step/sigmoid_net");
    group.throughput(Throughput::Elements(3));
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500));
    let input = Tensor::from_vec(vec![0.5f32, 0.1, 0.05, 0.18, 0.05, 0.31], &[3, 2]);
    let target = Tensor::from_vec(vec![1.0f32, 2.0, 0.0, 3.0, 1.0, 123.0], &[3, 2]);
    for name in ["sgd_momentum", "adagrad", "rmsprop_momentum", "adam"] {
        manual_seed(0);
        let net = lecture_net();
        let mut opt = optimizer(name, net.parameters());
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
    let mut group = c.benchmark_group("train_step");
    group.throughput(Throughput::Elements(128));
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    manual_seed(0);
    let net = Sequential::new()
        .add(Linear::new(784, 512))
        .add(ReLU::new())
        .add(Linear::new(512, 512))
        .add(ReLU::new())
        .add(Linear::new(512, 10));
    let mut opt = Adam::new(net.parameters(), AdamConfig::default()).unwrap();
    let x: Tensor = Tensor::rand(&[128, 784]);
    let labels: Vec<usize> = (0..128).map(|i| (i * 7) % 10).collect();
    let loss_fn = CrossEntropyLoss::new();
    group.bench_function("mlp_784_512_512_10_b128_adam", |b| {
        b.iter(|| {
            let loss = loss_fn.forward(&net.forward(&x), &labels);
            opt.zero_grad();
            loss.backward();
            opt.step();
            loss
        })
    });
    group.finish();
}

criterion_group!(benches, sigmoid_net, mlp);
criterion_main!(benches);
