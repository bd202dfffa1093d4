//! Fuzzes the tensor API: bytes decode into a short program of tensor operations over random
//! shapes, dims and dtypes, aliasing views and in-place ops (`fuzz/decoders/tensor_api.rs`
//! documents the decoder and the contract: `try_` forms never panic, other ops panic only with
//! a library message for a programmer error). A finding is re-raised as a panic, outside any
//! `catch_unwind`, so libFuzzer records it.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../decoders/input.rs"]
mod input;

#[path = "../decoders/tensor_api.rs"]
mod decoder;

fuzz_target!(|data: &[u8]| {
    // The library's programmer-error panics are caught by the decoder: while it runs, replace
    // libfuzzer-sys's hook (which aborts on any panic, caught or not) by a silent one.
    let fuzzer_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = decoder::run(data);
    std::panic::set_hook(fuzzer_hook);
    if let Err(decoder::Finding(why)) = result {
        panic!("finding: {why}");
    }
});
