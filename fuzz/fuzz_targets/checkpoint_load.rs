//! Fuzzes `tapegrad::checkpoint::Checkpoint::from_bytes` (the checkpoint reader, the same code
//! `Checkpoint::load` runs after reading the file) and, when a checkpoint parses, restoring it
//! into a small model, optimizer and loader: `Ok` or a `CheckpointError`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapegrad::checkpoint::Checkpoint;
use tapegrad::nn::{DataLoader, Linear, Module, ReLU, Sequential, TensorDataset};
use tapegrad::optim::{Adam, AdamConfig};
use tapegrad::prelude::*;

fuzz_target!(|data: &[u8]| {
    if let Ok(ckpt) = Checkpoint::<f32>::from_bytes(data, "fuzz.safetensors") {
        let net: Sequential = Sequential::new()
            .add(Linear::new(3, 4))
            .add(ReLU::new())
            .add(Linear::new(4, 2));
        let mut opt = Adam::new(net.parameters(), AdamConfig::default()).unwrap();
        let x: Tensor = Tensor::zeros(&[4, 3]);
        let ds = TensorDataset::new(x.clone(), x);
        let mut loader = DataLoader::new(&ds, 2).shuffle(0);
        let _ = ckpt.restore(&net, Some(&mut opt), None, Some(&mut loader));
    }
});
