//! Saving and loading safetensors files: bit-exact round trips, a PyTorch-compatible header,
//! atomic writes, and a typed error (never a panic) for every kind of bad file.

mod common;
use common::*;
use std::path::Path;
use tapegrad_autograd::{manual_seed, Tensor};
use tapegrad_nn::{load_safetensors, save_safetensors, Linear, Module, StateDict, StateDictError};

fn header(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert_eq!(n % 8, 0, "header padded to 8 bytes");
    serde_json::from_slice(&bytes[8..8 + n]).unwrap()
}

#[test]
fn round_trip_is_bit_exact_and_header_is_pytorch_compatible() {
    manual_seed(3);
    let dir = temp_dir("roundtrip");
    let path = dir.join("net.safetensors");
    let a = MyNet::new(2, 2);
    a.save(&path).unwrap();

    let h = header(&path);
    assert_eq!(h["__metadata__"]["format"], "pt");
    for (name, p) in a.named_parameters() {
        assert_eq!(h[&name]["dtype"], "F32", "{name}");
        let shape: Vec<usize> = h[&name]["shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(shape, p.shape().to_vec(), "{name}");
    }
    assert_eq!(h.as_object().unwrap().len(), 9, "8 tensors + __metadata__");
    assert_eq!(h["hide1.0.weight"]["shape"], serde_json::json!([3, 2]));
    assert_eq!(h["out.0.bias"]["shape"], serde_json::json!([2]));

    manual_seed(4);
    let b = MyNet::new(2, 2);
    assert_ne!(a.parameters()[0].to_vec(), b.parameters()[0].to_vec());
    b.load(&path).unwrap();
    for ((na, pa), (nb, pb)) in a.named_parameters().iter().zip(b.named_parameters()) {
        assert_eq!(*na, nb);
        let bits = |t: &Tensor| t.to_vec().iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(pa), bits(&pb), "{na}");
    }
    // No temporary file is left behind.
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["net.safetensors"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn f64_round_trip_and_resave_of_pytorch_file_is_identical_data() {
    let dir = temp_dir("f64");
    let mut sd = StateDict::<f64>::new();
    sd.insert(
        "w",
        Tensor::from_vec(vec![0.1, -2.5e-300, f64::MAX], &[3, 1]),
    );
    let p = dir.join("x.safetensors");
    save_safetensors(&sd, &p).unwrap();
    assert_eq!(header(&p)["w"]["dtype"], "F64");
    let back = load_safetensors::<f64>(&p).unwrap();
    assert_eq!(
        back.get("w").unwrap().to_vec(),
        sd.get("w").unwrap().to_vec()
    );
    assert_eq!(back.get("w").unwrap().shape().as_slice(), &[3, 1]);

    // Re-saving PyTorch's own file gives the same tensors byte for byte (same layout rule).
    let orig = fixture("net/sgd_plain.init.safetensors");
    let sd: StateDict = load_safetensors(&orig).unwrap();
    let again = dir.join("again.safetensors");
    save_safetensors(&sd, &again).unwrap();
    let (a, b) = (
        std::fs::read(&orig).unwrap(),
        std::fs::read(&again).unwrap(),
    );
    let (ha, hb) = (header(&orig), header(&again));
    assert_eq!(ha, hb);
    let (na, nb) = (
        8 + u64::from_le_bytes(a[..8].try_into().unwrap()) as usize,
        8 + u64::from_le_bytes(b[..8].try_into().unwrap()) as usize,
    );
    assert_eq!(a[na..], b[nb..]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn save_replaces_existing_file_atomically_and_reports_bad_directory() {
    let dir = temp_dir("atomic");
    let p = dir.join("m.safetensors");
    std::fs::write(&p, b"old contents").unwrap();
    Linear::<f32>::new(2, 2).save(&p).unwrap();
    assert!(load_safetensors::<f32>(&p).is_ok());
    let err = Linear::<f32>::new(2, 2)
        .save(dir.join("no/such/dir/m.safetensors"))
        .unwrap_err();
    assert!(matches!(err, StateDictError::Io { .. }), "{err}");
    assert!(
        err.to_string().contains("no/such/dir/m.safetensors"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn load_bytes(tag: &str, bytes: &[u8]) -> StateDictError {
    let dir = temp_dir(tag);
    let p = dir.join("bad.safetensors");
    std::fs::write(&p, bytes).unwrap();
    let err = load_safetensors::<f32>(&p).unwrap_err();
    assert!(
        err.to_string().contains("bad.safetensors"),
        "error names the file: {err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
    err
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let err = load_safetensors::<f32>("/definitely/not/here.safetensors").unwrap_err();
    assert!(matches!(err, StateDictError::Io { .. }));
    assert!(
        err.to_string()
            .starts_with("/definitely/not/here.safetensors: "),
        "{err}"
    );
    let err = MyNet::new(2, 2)
        .load("/definitely/not/here.safetensors")
        .unwrap_err();
    assert!(matches!(err, StateDictError::Io { .. }));
}

#[test]
fn empty_and_tiny_files_are_too_short() {
    for len in [0, 1, 7] {
        let err = load_bytes("short", &vec![0u8; len]);
        assert!(
            matches!(err, StateDictError::TooShort { len: l, .. } if l == len as u64),
            "{err}"
        );
    }
}

#[test]
fn truncated_golden_file_never_panics() {
    let good = std::fs::read(fixture("net/adam.init.safetensors")).unwrap();
    let header_end = 8 + u64::from_le_bytes(good[..8].try_into().unwrap()) as usize;
    for cut in [
        8,
        9,
        100,
        header_end - 1,
        header_end,
        header_end + 1,
        good.len() - 4,
        good.len() - 1,
    ] {
        let err = load_bytes("trunc", &good[..cut]);
        if cut < header_end {
            assert!(
                matches!(err, StateDictError::HeaderTooLarge { .. }),
                "cut {cut}: {err}"
            );
        } else {
            assert!(
                matches!(err, StateDictError::Format { .. }),
                "cut {cut}: {err}"
            );
            assert!(
                err.to_string().contains("MetadataIncompleteBuffer"),
                "cut {cut}: {err}"
            );
        }
    }
}

#[test]
fn corrupt_headers_are_typed_errors() {
    // Garbage bytes after a plausible length.
    let mut garbage = 16u64.to_le_bytes().to_vec();
    garbage.extend_from_slice(b"not json at all!");
    assert!(matches!(
        load_bytes("garbage", &garbage),
        StateDictError::Format { .. }
    ));

    // A header length far larger than the file (would be a huge allocation if trusted).
    let mut huge = u64::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    let err = load_bytes("huge", &huge);
    assert!(
        matches!(
            err,
            StateDictError::HeaderTooLarge {
                header_len: u64::MAX,
                file_len: 10,
                ..
            }
        ),
        "{err}"
    );

    // Non-UTF-8 header bytes.
    let mut bad_utf8 = 8u64.to_le_bytes().to_vec();
    bad_utf8.extend_from_slice(&[0xff, 0xfe, 0xfd, 0xfc, 0x80, 0x81, 0x82, 0x83]);
    let err = load_bytes("utf8", &bad_utf8);
    assert!(matches!(err, StateDictError::Format { .. }), "{err}");
    assert!(err.to_string().contains("InvalidHeader"), "{err}");

    // Offsets pointing past the data.
    let h = br#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#;
    let mut short = (h.len() as u64).to_le_bytes().to_vec();
    short.extend_from_slice(h);
    short.extend_from_slice(&[0u8; 8]);
    assert!(matches!(
        load_bytes("offsets", &short),
        StateDictError::Format { .. }
    ));

    // Shape and byte count that disagree.
    let h = br#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#;
    let mut mismatch = (h.len() as u64).to_le_bytes().to_vec();
    mismatch.extend_from_slice(h);
    mismatch.extend_from_slice(&[0u8; 16]);
    assert!(matches!(
        load_bytes("mismatch", &mismatch),
        StateDictError::Format { .. }
    ));
}

#[test]
fn wrong_dtypes_name_the_tensor_and_dtype() {
    // F16 is a dtype tapegrad does not hold: refused with the tensor's name. (I64, BOOL and
    // the other float width load converted, as PyTorch's load_state_dict converts.)
    let h = br#"{"idx":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}"#;
    let mut bytes = (h.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(h);
    bytes.extend_from_slice(&[0u8; 4]);
    let err = load_bytes("f16", &bytes);
    match &err {
        StateDictError::WrongDtype {
            tensor,
            found,
            expected,
            ..
        } => {
            assert_eq!(
                (tensor.as_str(), found.as_str(), expected.as_str()),
                ("idx", "F16", "F32")
            );
        }
        other => panic!("expected WrongDtype, got {other}"),
    }
    assert!(
        err.to_string()
            .contains("\"idx\" has dtype F16, expected F32"),
        "{err}"
    );

    // An f64 file into an f32 model converts (rounding to nearest), as PyTorch's
    // load_state_dict does; 0.1 becomes the f32 nearest to it.
    let dir = temp_dir("f64into32");
    let p = dir.join("w.safetensors");
    let mut sd = StateDict::<f64>::new();
    sd.insert("weight", Tensor::full(&[2, 2], 0.1));
    save_safetensors(&sd, &p).unwrap();
    let lin = Linear::<f32>::with_bias(2, 2, false);
    lin.load(&p).unwrap();
    assert_eq!(lin.weight.to_vec(), vec![0.1f32; 4]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn two_hundred_thousand_tensors_save_and_load_in_order_with_their_values() {
    // Loading used to insert each tensor with a linear search of the ones before it
    // (quadratic: 124 s for this file); now it is linear. This checks the result, not the time.
    const N: usize = 200_000;
    let dir = temp_dir("many");
    let path = dir.join("many.safetensors");
    let name = |i: usize| format!("layer{i:06}.w");
    let mut sd = StateDict::<f32>::new();
    for i in 0..N {
        sd.insert(name(i), Tensor::from_vec(vec![i as f32, -(i as f32)], &[2]));
    }
    assert_eq!(sd.len(), N);
    save_safetensors(&sd, &path).unwrap();
    let back = load_safetensors::<f32>(&path).unwrap();
    assert_eq!(back.len(), N);
    // The file's data order, which save writes sorted by name: here the insertion order.
    for (i, (n, t)) in back.iter().enumerate() {
        assert_eq!(n, name(i));
        assert_eq!(t.shape().as_slice(), &[2]);
        assert_eq!(t.to_vec(), [i as f32, -(i as f32)], "{n}");
    }
    assert_eq!(
        back.get(&name(123_456)).unwrap().to_vec(),
        [123_456.0, -123_456.0]
    );
    assert!(back.get("layer200000.w").is_none());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[test]
fn save_through_a_symlink_replaces_the_target_and_keeps_the_link() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = temp_dir("symlink");
    std::fs::create_dir_all(dir.join("real")).unwrap();
    let target = dir.join("real/m.safetensors");
    std::fs::write(&target, b"old contents").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
    // link2 -> link (absolute) -> real/m.safetensors (relative)
    let link = dir.join("link.safetensors");
    symlink("real/m.safetensors", &link).unwrap();
    let link2 = dir.join("link2.safetensors");
    symlink(&link, &link2).unwrap();

    let lin = Linear::<f32>::new(2, 3);
    save_safetensors(&lin.state_dict(), &link2).unwrap();
    for l in [&link, &link2] {
        assert!(
            std::fs::symlink_metadata(l)
                .unwrap()
                .file_type()
                .is_symlink(),
            "{} was replaced by a regular file",
            l.display()
        );
    }
    let back: StateDict = load_safetensors(&target).unwrap();
    assert_eq!(back.get("weight").unwrap().to_vec(), lin.weight.to_vec());
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o640, "the target keeps its permissions");
    // No temporary file is left, beside the links or beside the target.
    let names = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        names(&dir),
        ["link.safetensors", "link2.safetensors", "real"]
    );
    assert_eq!(names(&dir.join("real")), ["m.safetensors"]);

    // A dangling link gets its target created.
    let dangling = dir.join("dangling.safetensors");
    symlink("real/new.safetensors", &dangling).unwrap();
    save_safetensors(&lin.state_dict(), &dangling).unwrap();
    assert!(std::fs::symlink_metadata(&dangling)
        .unwrap()
        .file_type()
        .is_symlink());
    assert!(load_safetensors::<f32>(dir.join("real/new.safetensors")).is_ok());

    // A link loop is an I/O error, not a hang.
    let a = dir.join("a.safetensors");
    let b = dir.join("b.safetensors");
    symlink(&b, &a).unwrap();
    symlink(&a, &b).unwrap();
    let err = save_safetensors(&lin.state_dict(), &a).unwrap_err();
    assert!(matches!(err, StateDictError::Io { .. }), "{err}");
    assert!(err.to_string().contains("symbolic links"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn integer_and_boolean_tensors_round_trip_as_i64_and_bool() {
    let dir = temp_dir("i64bool");
    let p = dir.join("idx.safetensors");
    let mut sd = StateDict::<i64>::new();
    sd.insert("num_batches_tracked", Tensor::scalar(3));
    sd.insert("idx", Tensor::from_vec(vec![-1i64, 0, 1 << 40], &[3]));
    save_safetensors(&sd, &p).unwrap();
    // PyTorch's header names: I64, 8 bytes each.
    let bytes = std::fs::read(&p).unwrap();
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[8..8 + len]).unwrap();
    assert!(header.contains(r#""dtype":"I64""#), "{header}");
    let back = load_safetensors::<i64>(&p).unwrap();
    assert_eq!(back.get("idx").unwrap().to_vec(), vec![-1, 0, 1 << 40]);
    assert_eq!(back.get("num_batches_tracked").unwrap().item(), 3);

    let mut masks = StateDict::<bool>::new();
    masks.insert("mask", Tensor::from_vec(vec![true, false, true], &[3]));
    let q = dir.join("mask.safetensors");
    save_safetensors(&masks, &q).unwrap();
    let back = load_safetensors::<bool>(&q).unwrap();
    assert_eq!(back.get("mask").unwrap().to_vec(), vec![true, false, true]);
    std::fs::remove_dir_all(&dir).unwrap();
}
