//! Fuzzes the numeric fields of a valid checkpoint (epoch, Adam's step, the optimizer's param
//! indices, the scheduler's `last_epoch` and `base_lrs`, the generators' positions): loading
//! and restoring returns `Ok` or a typed error, and an `Ok` must leave meaningful numbers
//! (`fuzz/decoders/checkpoint_numbers.rs` documents the fields and the checks).
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../decoders/input.rs"]
mod input;

#[path = "../decoders/checkpoint_numbers.rs"]
mod decoder;

fuzz_target!(|data: &[u8]| {
    if let Err(decoder::Finding(why)) = decoder::run(data) {
        panic!("finding: {why}");
    }
});
