//! Fuzzes `tapegrad::nn::load_safetensors` (the model-weights reader): any bytes must give `Ok`
//! or a `StateDictError`, never a panic, an abort or a huge allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

fn scratch() -> PathBuf {
    std::env::temp_dir().join(format!(
        "tapegrad-fuzz-st-{}.safetensors",
        std::process::id()
    ))
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(&path, data).expect("the scratch file is writable");
    let _ = tapegrad::nn::load_safetensors::<f32>(&path);
    let _ = tapegrad::nn::load_safetensors::<f64>(&path);
});
