//! Outside input never panics: the safetensors loader, the checkpoint loader and the CSV reader
//! return `Ok` or a typed error for random bytes, truncations and bit flips of valid files
//! (proptest, with `catch_unwind` to turn a panic into a failure), and every named problem —
//! truncated, corrupted, wrong dtype, wrong shape, empty, huge header, non-UTF-8 — has a test
//! of its message. Also: anomaly detection names the first operation producing NaN/Inf, in
//! forward and in backward.

use proptest::prelude::*;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tapegrad::checkpoint::{Checkpoint, CheckpointError, TrainingState};
use tapegrad::nn::data::{
    read_csv_classification, read_csv_classification_bytes, CsvError, CsvSpec,
};
use tapegrad::nn::{
    load_safetensors, save_safetensors, DataLoader, Linear, Module, ReLU, Sequential, StateDict,
    StateDictError, TensorDataset,
};
use tapegrad::optim::{Adam, AdamConfig, Optimizer};
use tapegrad::prelude::*;

fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("tapegrad-hardening-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        d
    })
}

/// A unique file in the test directory holding `bytes`.
fn file_with(bytes: &[u8]) -> PathBuf {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let p = dir().join(format!("f{}.bin", N.fetch_add(1, Ordering::Relaxed)));
    std::fs::write(&p, bytes).unwrap();
    p
}

fn net() -> Sequential {
    Sequential::new()
        .add(Linear::new(3, 4))
        .add(ReLU::new())
        .add(Linear::new(4, 2))
}

/// A valid weights file (as PyTorch writes them).
fn weights_bytes() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| {
        let p = dir().join("weights.safetensors");
        save_safetensors(&net().state_dict(), &p).unwrap();
        std::fs::read(&p).unwrap()
    })
}

/// A valid checkpoint (model, Adam state after one step, shuffling loader).
fn checkpoint_bytes() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| {
        let n = net();
        let mut opt = Adam::new(n.parameters(), AdamConfig::default()).unwrap();
        n.forward(&Tensor::ones(&[2, 3])).sum().backward();
        opt.step();
        let x: Tensor = Tensor::zeros(&[4, 3]);
        let ds = TensorDataset::new(x.clone(), x);
        let loader = DataLoader::new(&ds, 2).shuffle(5);
        let state = TrainingState {
            model: &n,
            optimizer: Some(&opt),
            scheduler: None,
            loader: Some(&loader),
        };
        let p = dir().join("checkpoint.safetensors");
        Checkpoint::capture(&state, 3)
            .with_extra("note", "x")
            .save(&p)
            .unwrap();
        std::fs::read(&p).unwrap()
    })
}

const CSV: &[u8] = b"a,b,label\n1,2,0\n3.5,-4,1\n0,0,2\n";

fn spec() -> CsvSpec {
    CsvSpec::new("label", 3)
}

/// Runs `f`, failing the test (not aborting it) if it panics.
fn no_panic<R>(what: &str, f: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| panic!("{what} panicked"))
}

fn load_weights(bytes: &[u8]) -> Result<StateDict, StateDictError> {
    let p = file_with(bytes);
    let r = no_panic("load_safetensors", || load_safetensors::<f32>(&p));
    std::fs::remove_file(&p).unwrap();
    r
}

fn load_checkpoint(bytes: &[u8]) -> Result<Checkpoint, CheckpointError> {
    no_panic("Checkpoint::from_bytes", || {
        Checkpoint::<f32>::from_bytes(bytes, "c.safetensors")
    })
}

fn read_csv(bytes: &[u8]) -> Result<TensorDataset, CsvError> {
    no_panic("read_csv_classification_bytes", || {
        read_csv_classification_bytes::<f32>(bytes, "d.csv", &spec())
    })
}

/// A loaded checkpoint must also restore (into the matching objects) without panicking.
fn restore_checkpoint(c: &Checkpoint) {
    no_panic("Checkpoint::restore", || {
        let n = net();
        let mut opt = Adam::new(n.parameters(), AdamConfig::default()).unwrap();
        let x: Tensor = Tensor::zeros(&[4, 3]);
        let ds = TensorDataset::new(x.clone(), x);
        let mut loader = DataLoader::new(&ds, 2).shuffle(5);
        let _ = c.restore(&n, Some(&mut opt), None, Some(&mut loader));
    });
}

fn flip(bytes: &[u8], bits: &[usize]) -> Vec<u8> {
    let mut b = bytes.to_vec();
    for &i in bits {
        let i = i % (8 * b.len());
        b[i / 8] ^= 1 << (i % 8);
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        prop_assert!(load_weights(&bytes).is_err() || bytes.len() >= 8);
        if let Ok(c) = load_checkpoint(&bytes) {
            restore_checkpoint(&c);
        }
        let _ = read_csv(&bytes);
    }

    #[test]
    fn random_bytes_behind_a_plausible_header_length_never_panic(
        len in 0u64..400, body in proptest::collection::vec(any::<u8>(), 0..300)
    ) {
        let mut bytes = len.to_le_bytes().to_vec();
        bytes.extend_from_slice(&body);
        let _ = load_weights(&bytes);
        let _ = load_checkpoint(&bytes);
    }

    #[test]
    fn every_truncation_is_an_error(frac in 0.0f64..1.0) {
        let w = weights_bytes();
        let k = (frac * w.len() as f64) as usize;
        prop_assert!(load_weights(&w[..k]).is_err());
        let c = checkpoint_bytes();
        let k = (frac * c.len() as f64) as usize;
        prop_assert!(load_checkpoint(&c[..k]).is_err());
        let k = (frac * CSV.len() as f64) as usize;
        let _ = read_csv(&CSV[..k]);
    }

    #[test]
    fn bit_flips_never_panic(bits in proptest::collection::vec(any::<usize>(), 1..6)) {
        let _ = load_weights(&flip(weights_bytes(), &bits));
        if let Ok(c) = load_checkpoint(&flip(checkpoint_bytes(), &bits)) {
            restore_checkpoint(&c);
        }
        let _ = read_csv(&flip(CSV, &bits));
    }

    #[test]
    fn csv_of_random_cells_is_ok_or_a_typed_error(
        rows in proptest::collection::vec(
            proptest::collection::vec("[-0-9a-z.eE,\" ]{0,6}", 0..5), 0..6)
    ) {
        let mut text = String::from("a,b,label\n");
        for r in &rows {
            text.push_str(&r.join(","));
            text.push('\n');
        }
        match read_csv(text.as_bytes()) {
            Ok(ds) => {
                prop_assert_eq!(ds.inputs().shape()[1], 2);
                prop_assert!(ds.targets().to_vec().iter().all(|&v| v == 0.0 || v == 1.0 || v == 2.0));
            }
            Err(e) => prop_assert!(e.to_string().starts_with("d.csv"), "{}", e),
        }
    }
}

/// A safetensors file: 8-byte little-endian header length, then `header`, then `data`.
fn raw(header: impl AsRef<[u8]>, data: &[u8]) -> Vec<u8> {
    let header = header.as_ref();
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend_from_slice(header);
    b.extend_from_slice(data);
    b
}

#[test]
fn safetensors_loader_names_each_problem() {
    let msg = |bytes: &[u8]| load_weights(bytes).unwrap_err().to_string();
    // empty and shorter than the length prefix
    assert!(
        msg(b"").contains("not a safetensors file: 0 bytes"),
        "{}",
        msg(b"")
    );
    assert!(msg(b"abc").contains("3 bytes, shorter than the 8-byte header length"));
    // huge header length: refused before any allocation
    let mut huge = u64::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    assert!(msg(&huge).contains("header length 18446744073709551615 exceeds the 10-byte file"));
    // truncated data section
    let w = weights_bytes();
    assert!(matches!(
        load_weights(&w[..w.len() - 1]),
        Err(StateDictError::Format { .. })
    ));
    // non-UTF-8 and non-JSON headers
    assert!(msg(&raw(b"{\"a\xff\":1}", b"")).contains("corrupt safetensors file"));
    assert!(msg(&raw("not json", b"")).contains("corrupt safetensors file"));
    // offsets that do not match the shape
    let bad = raw(
        r#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#,
        &[0; 12],
    );
    assert!(msg(&bad).contains("corrupt safetensors file"));
    // a shape whose element count overflows
    let bad = raw(
        r#"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}"#,
        &[0; 4],
    );
    assert!(load_weights(&bad).is_err());
    // wrong dtypes
    let f16s = raw(
        r#"{"w":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#,
        &[0; 2],
    );
    assert!(
        msg(&f16s).contains("tensor \"w\" has dtype F16, expected F32"),
        "{}",
        msg(&f16s)
    );
    // A float file of the other width converts, as PyTorch's load_state_dict does.
    let f64s = raw(
        r#"{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#,
        &1.5f64.to_le_bytes(),
    );
    assert_eq!(
        load_weights(&f64s).unwrap().get("w").unwrap().to_vec(),
        vec![1.5f32]
    );
    // a missing file
    let err = load_safetensors::<f32>(dir().join("missing.safetensors")).unwrap_err();
    assert!(
        matches!(err, StateDictError::Io { .. }) && err.to_string().contains("missing.safetensors")
    );
}

#[test]
fn wrong_shapes_and_names_are_reported_by_key() {
    let n = net();
    let mut sd = n.state_dict();
    sd.insert("2.weight", Tensor::zeros(&[3, 4]));
    sd.insert("9.weight", Tensor::zeros(&[1]));
    let p = file_with(&[]);
    save_safetensors(&sd, &p).unwrap();
    let err = n.load(&p).unwrap_err().to_string();
    assert!(
        err.contains("Unexpected key(s) in state_dict: \"9.weight\""),
        "{err}"
    );
    assert!(err.contains("size mismatch for 2.weight: copying a param with shape [3, 4] from checkpoint, the shape in current model is [2, 4]"), "{err}");
}

#[test]
fn checkpoint_loader_names_each_problem() {
    let msg = |bytes: &[u8]| load_checkpoint(bytes).unwrap_err().to_string();
    assert!(msg(b"").starts_with("c.safetensors: not a checkpoint: 0 bytes"));
    let mut huge = (1u64 << 40).to_le_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    assert!(msg(&huge).contains("header length 1099511627776 exceeds the 10-byte file"));
    let c = checkpoint_bytes();
    assert!(msg(&c[..c.len() / 2]).starts_with("c.safetensors: corrupt checkpoint"));
    assert!(msg(weights_bytes())
        .contains("not a tapegrad checkpoint (no \"tapegrad.checkpoint\" metadata)"));
    // metadata that does not parse
    let meta = |m: &str| {
        raw(
            format!(r#"{{"__metadata__":{{"tapegrad.checkpoint":"2"{m}}}}}"#),
            b"",
        )
    };
    assert!(msg(&meta("")).contains("metadata \"epoch\": missing"));
    assert!(msg(&meta(r#","epoch":"x""#)).contains("metadata \"epoch\": \"x\" is not a u64"));
    assert!(msg(&meta(r#","epoch":"1","rng.state":"zz""#))
        .contains("\"rng.state\": expected 10112 hexadecimal digits"));
    // a state of the right length that is no generator state: the typed RngStateError's text
    let zeros = "0".repeat(10112);
    assert!(
        msg(&meta(&format!(r#","epoch":"1","rng.state":"{zeros}""#)))
            .contains("Invalid mt19937 state")
    );
    assert!(msg(&meta(r#","tapegrad.checkpoint":"3""#)).contains("layout version"));
    // a checkpoint of layout 1 (the ChaCha8 generator state) is refused by name
    assert!(msg(&meta(r#","tapegrad.checkpoint":"1""#)).contains("ChaCha8"));
    // a tensor outside the model./optimizer. sections, a wrong dtype
    let state: String = tapegrad::autograd::Generator::new()
        .get_state()
        .to_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let ok_meta = format!(
        r#""__metadata__":{{"tapegrad.checkpoint":"2","epoch":"1","rng.state":"{state}"}}"#
    );
    let stray = raw(
        format!(r#"{{{ok_meta},"w":{{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}}}"#),
        &[0; 4],
    );
    assert!(
        msg(&stray).contains("unexpected tensor \"w\""),
        "{}",
        msg(&stray)
    );
    let f64s = raw(
        format!(r#"{{{ok_meta},"model.w":{{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}}}"#),
        &[0; 8],
    );
    assert!(msg(&f64s).contains("tensor \"model.w\" has dtype F64, expected F32"));
    let empty = raw(format!("{{{ok_meta}}}"), b"");
    let c = load_checkpoint(&empty).unwrap();
    assert_eq!((c.epoch, c.model.len()), (1, 0));
    // a missing file
    let err = Checkpoint::<f32>::load(dir().join("missing.ckpt")).unwrap_err();
    assert!(matches!(err, CheckpointError::Io { .. }));
}

#[test]
fn csv_reader_names_each_problem_with_its_line() {
    let msg = |b: &[u8]| read_csv(b).err().unwrap().to_string();
    assert_eq!(
        msg(b""),
        "d.csv: empty file: expected a header line naming the columns"
    );
    assert_eq!(msg(b"a,b,label\n"), "d.csv: no data rows after the header");
    assert!(msg(b"a,b,c\n1,2,3\n").starts_with("d.csv:1: no label column \"label\""));
    assert_eq!(
        msg(b"a,b,label\n1,2,0\n1,2\n"),
        "d.csv:3: 2 cells, but the header has 3 columns"
    );
    assert_eq!(
        msg(b"a,b,label\n1,2,0,4\n"),
        "d.csv:2: 4 cells, but the header has 3 columns"
    );
    assert_eq!(
        msg(b"a,b,label\n1,two,0\n"),
        "d.csv:2: column \"b\": \"two\" is not a finite number"
    );
    assert_eq!(
        msg(b"a,b,label\n1,inf,0\n"),
        "d.csv:2: column \"b\": \"inf\" is not a finite number"
    );
    assert_eq!(
        msg(b"a,b,label\n\n1,2,7\n"),
        "d.csv:3: label \"7\" is not a class index in 0..3"
    );
    assert_eq!(
        msg(b"a,b,label\n1,2,-1\n"),
        "d.csv:2: label \"-1\" is not a class index in 0..3"
    );
    assert_eq!(
        msg(b"a,b,label\n1,2,0\n\xc3\x28,2,0\n"),
        "d.csv:3: not UTF-8 text (invalid byte at column 1); save the file as UTF-8"
    );
    let err = read_csv_classification::<f32>(dir().join("missing.csv"), &spec())
        .err()
        .unwrap();
    assert!(matches!(err, CsvError::Io { .. }) && err.to_string().contains("missing.csv"));
    let ds = read_csv(CSV).unwrap();
    assert_eq!(ds.inputs().to_vec(), [1.0, 2.0, 3.5, -4.0, 0.0, 0.0]);
    assert_eq!(ds.targets().to_vec(), [0.0, 1.0, 2.0]);
}

/// Anomaly detection is a process-wide switch: one test at a time.
static ANOMALY: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn panic_text(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected an anomaly panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn anomaly_detection_names_the_first_bad_operation_in_forward() {
    let _g = ANOMALY.lock().unwrap_or_else(|e| e.into_inner());
    let x: Tensor = Tensor::from_vec(vec![1.0, -1.0, 2.0], &[3]).requires_grad_(true);
    // log(-1) is the first NaN; the exp after it is not reached
    let text = panic_text(|| {
        tapegrad::autograd::detect_anomaly(|| {
            let _ = (&x * 2.0).log().exp();
        })
    });
    assert!(
        text.starts_with(
            "anomaly detected: LogBackward0 produced NaN/Inf in forward (input shapes [[3]])"
        ),
        "{text}"
    );
    assert!(!tapegrad::autograd::anomaly::is_enabled());
    // off: the same computation just yields NaN
    assert!((&x * 2.0).log().exp().to_vec()[1].is_nan());
}

#[test]
fn anomaly_detection_names_the_first_bad_operation_in_backward() {
    let _g = ANOMALY.lock().unwrap_or_else(|e| e.into_inner());
    // sqrt is finite at 0 but its derivative 1 / (2 sqrt(x)) is infinite there
    let x: Tensor = Tensor::from_vec(vec![0.0, 4.0], &[2]).requires_grad_(true);
    let text = panic_text(|| {
        tapegrad::autograd::detect_anomaly(|| {
            let y = x.sqrt().mul_scalar(3.0).sum();
            y.backward();
        })
    });
    assert!(
        text.contains("anomaly detected: function 'SqrtBackward0' returned NaN/Inf values"),
        "{text}"
    );
    assert!(text.contains("(shape [2]) during backward"), "{text}");
    // off: backward completes with an infinite gradient
    x.set_grad(None);
    x.sqrt().mul_scalar(3.0).sum().backward();
    assert_eq!(x.grad().unwrap().to_vec(), [f32::INFINITY, 0.75]);
}
