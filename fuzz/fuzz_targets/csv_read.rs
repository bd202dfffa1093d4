//! Fuzzes `tapegrad::nn::data::read_csv_classification_bytes` (the CSV data-set reader): `Ok` or
//! a `CsvError`, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tapegrad::nn::data::{read_csv_classification_bytes, CsvSpec};

fuzz_target!(|data: &[u8]| {
    let _ = read_csv_classification_bytes::<f32>(data, "fuzz.csv", &CsvSpec::new("label", 10));
});
