//! Issue 6's memory goal: resident memory stays flat over 100 000 training steps of the lecture
//! network (2-3-2-12-2 sigmoid, MSE, SGD with momentum) run through `nn` and `optim`, and no
//! recorded graph node outlives its step.

mod common;

use common::resident_bytes;
use tapegrad::autograd::live_graph_nodes;
use tapegrad::prelude::*;

#[test]
fn one_hundred_thousand_training_steps_keep_memory_and_the_graph_flat() {
    manual_seed(0);
    let layer = |i, o| Sequential::new().add(Linear::new(i, o)).add(Sigmoid::new());
    let net = Sequential::new()
        .add(layer(2, 3))
        .add(layer(3, 2))
        .add(layer(2, 12))
        .add(layer(12, 2));
    let mut opt = SGD::new(
        net.parameters(),
        SgdConfig {
            lr: 0.1,
            momentum: 0.6,
            ..Default::default()
        },
    )
    .unwrap();
    let input = Tensor::from_vec(vec![0.5f32, 0.1, 0.05, 0.18, 0.05, 0.31], &[3, 2]);
    let target = Tensor::from_vec(vec![1.0f32, 2.0, 0.0, 3.0, 1.0, 123.0], &[3, 2]);
    let loss_fn = MSELoss::new();
    let mut step = || {
        let loss = loss_fn.forward(&net.forward(&input), &target);
        opt.zero_grad();
        loss.backward();
        opt.step();
        loss.item()
    };
    let first = step();
    for _ in 0..1_000 {
        step(); // warm-up: allocator and optimizer state reach their steady state
    }
    let nodes = live_graph_nodes();
    let before = resident_bytes();
    let mut last = 0.0;
    for i in 0..100_000 {
        last = step();
        if i % 10_000 == 0 {
            assert_eq!(live_graph_nodes(), nodes, "graph nodes leaked by step {i}");
        }
    }
    assert_eq!(live_graph_nodes(), nodes);
    assert!(
        last < first && last.is_finite(),
        "training must reduce the loss: {first} -> {last}"
    );
    if let (Some(before), Some(after)) = (before, resident_bytes()) {
        let growth = after.saturating_sub(before);
        eprintln!("resident memory over 100 000 steps: {before} -> {after} bytes (+{growth})");
        assert!(
            growth < 1 << 20,
            "resident memory grew by {growth} bytes over 100 000 steps"
        );
    }
}
