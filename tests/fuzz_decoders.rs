//! The fuzz targets' decoders on stable, bounded, in CI: `fuzz/decoders/tensor_api.rs` (random
//! programs of tensor operations: `try_` forms never panic, other ops panic only with a library
//! message) and `fuzz/decoders/checkpoint_numbers.rs` (a valid checkpoint with fuzzed numeric
//! fields: `Ok` with meaningful numbers, or a typed error). The same code the cargo-fuzz
//! targets run (`fuzz/README.md`), fed by proptest's random bytes instead of libFuzzer's
//! coverage-guided ones; a failure prints the minimal input.

use proptest::prelude::*;
use tapegrad::prelude::*;

#[path = "../fuzz/decoders/input.rs"]
mod input;

#[path = "../fuzz/decoders/tensor_api.rs"]
mod tensor_api;

#[path = "../fuzz/decoders/checkpoint_numbers.rs"]
mod checkpoint_numbers;

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn tensor_api_programs_fail_only_with_library_messages(
        bytes in proptest::collection::vec(any::<u8>(), 0..256)
    ) {
        if let Err(tensor_api::Finding(why)) = tensor_api::run(&bytes) {
            prop_assert!(false, "{}", why);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn checkpoint_numbers_are_refused_or_meaningful(
        bytes in proptest::collection::vec(any::<u8>(), 0..48)
    ) {
        if let Err(checkpoint_numbers::Finding(why)) = checkpoint_numbers::run(&bytes) {
            prop_assert!(false, "{}", why);
        }
    }
}

/// Every numeric field of the checkpoint, alone, set to every number of the decoder's table
/// (issue 18's inputs among them: Adam's step 2⁶⁴, `epoch` 2⁶⁴ − 1 and beyond, `last_epoch`
/// NaN, inf, 1e300 and 2.7, `base_lrs` NaN, param indices 3e9, 1e10 and 1e30): a deterministic
/// sweep of single edits, each refused or meaningful.
#[test]
fn every_checkpoint_number_alone_with_every_table_value() {
    let mut runs = 0;
    for field in 0..64u8 {
        for value in 0..22u8 {
            // Metadata: edit kind 0, key `field`, text mode 3 (`{v:?}`), table entry `value`.
            // Tensors: edit kind 1, tensor `field`, element 0, table entry `value`.
            for bytes in [[0, field, 3, value], [1, field, 0, value]] {
                if let Err(checkpoint_numbers::Finding(why)) = checkpoint_numbers::run(&bytes) {
                    panic!("{bytes:?}: {why}");
                }
                runs += 1;
            }
        }
    }
    assert_eq!(runs, 2 * 64 * 22);
}

fn panic_text(f: impl FnOnce()) -> String {
    let p = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).expect_err("must panic");
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

/// Findings of the tensor-API decoder: ops taking a dim indexed the shape of a 0-d tensor
/// ("index out of bounds: the len is 0 but the index is 0"). As PyTorch, dim 0 and -1 of a 0-d
/// tensor name its one value where the op has a meaning there, and the others refuse 0-d
/// tensors with PyTorch's message.
#[test]
fn zero_dim_tensors_take_dim_arguments_as_pytorch_does() {
    let x = Tensor::<f64>::scalar(3.0).requires_grad_(true);
    let i = Tensor::<i64>::scalar(0);
    for d in [0isize, -1] {
        for (name, y) in [
            ("take_along_dim", x.take_along_dim(&i, d)),
            ("transpose", x.transpose(d, 0)),
            ("flip", x.flip(&[d])),
            ("roll", x.roll(1, d)),
            ("amax", x.amax(&[d], true)),
            ("amin", x.amin(&[d], false)),
            ("logsumexp", x.logsumexp(&[d], false)),
            ("norm inf", x.norm(f64::INFINITY, &[d], false)),
        ] {
            assert!(y.shape().is_empty(), "{name} {d}: {:?}", y.shape());
            assert_eq!(y.to_vec(), vec![3.0], "{name} {d}");
            y.backward();
            assert_eq!(x.grad().unwrap().to_vec(), vec![1.0], "{name} {d}");
            x.set_grad(None);
        }
        for (f, msg) in [
            (
                Box::new(|| drop(x.slice(d, None, None, 1))) as Box<dyn Fn()>,
                "slice() cannot be applied to a 0-dim tensor",
            ),
            (
                Box::new(|| drop(x.select(d, 0))),
                "select() cannot be applied to a 0-dim tensor",
            ),
            (
                Box::new(|| drop(x.split(1, d))),
                "split expects at least a 1-dimensional tensor",
            ),
            (
                Box::new(|| drop(x.split_with_sizes(&[1], d))),
                "split_with_sizes expects at least a 1-dimensional tensor",
            ),
            (
                Box::new(|| drop(x.chunk(1, d))),
                "chunk expects at least a 1-dimensional tensor",
            ),
            (
                Box::new(|| drop(x.unbind(d))),
                "but tensor has no dimensions",
            ),
            (
                Box::new(|| drop(x.unflatten(d, &[1]))),
                "but tensor has no dimensions",
            ),
        ] {
            let m = panic_text(f);
            assert!(m.contains(msg), "{m}");
        }
    }
}
