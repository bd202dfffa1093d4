//! `load_state_dict`: strict mode lists every missing, unexpected and mis-shaped key in one
//! PyTorch-worded error and changes nothing; loading writes into the existing tensors.

mod common;
use common::*;
use tapegrad_autograd::Tensor;
use tapegrad_nn::{LoadError, Module, SizeMismatch, StateDict, StateDictError};

#[test]
fn all_problems_in_one_pytorch_style_message() {
    let net = MyNet::new(2, 2);
    let before: Vec<Vec<f32>> = net.parameters().iter().map(|p| p.to_vec()).collect();
    let mut sd = net.state_dict();
    sd.remove("hide2.0.bias");
    sd.remove("out.0.weight");
    sd.insert("extra.weight", Tensor::zeros(&[1]));
    sd.insert("hide1.0.weight", Tensor::zeros(&[3, 3]));
    sd.insert("hide3.0.bias", Tensor::zeros(&[11]));
    let err = net.load_state_dict(&sd).unwrap_err();
    assert_eq!(err.missing_keys, ["hide2.0.bias", "out.0.weight"]);
    assert_eq!(err.unexpected_keys, ["extra.weight"]);
    assert_eq!(
        err.size_mismatches,
        [
            SizeMismatch {
                name: "hide1.0.weight".into(),
                checkpoint: vec![3, 3],
                model: vec![3, 2]
            },
            SizeMismatch {
                name: "hide3.0.bias".into(),
                checkpoint: vec![11],
                model: vec![12]
            },
        ]
    );
    assert_eq!(
        err.to_string(),
        "Error(s) in loading state_dict for MyNet:\n\
         \tMissing key(s) in state_dict: \"hide2.0.bias\", \"out.0.weight\". \n\
         \tUnexpected key(s) in state_dict: \"extra.weight\". \n\
         \tsize mismatch for hide1.0.weight: copying a param with shape [3, 3] from checkpoint, the shape in current model is [3, 2].\n\
         \tsize mismatch for hide3.0.bias: copying a param with shape [11] from checkpoint, the shape in current model is [12]."
    );
    let after: Vec<Vec<f32>> = net.parameters().iter().map(|p| p.to_vec()).collect();
    assert_eq!(before, after, "a failed load changes nothing");
}

#[test]
fn the_file_convenience_wraps_load_errors() {
    let dir = temp_dir("wrap");
    let p = dir.join("small.safetensors");
    tapegrad_nn::Linear::<f32>::new(2, 3).save(&p).unwrap();
    let err = MyNet::new(2, 2).load(&p).unwrap_err();
    match err {
        StateDictError::Load(LoadError {
            missing_keys,
            unexpected_keys,
            ..
        }) => {
            assert_eq!(missing_keys.len(), 8);
            assert_eq!(unexpected_keys, ["bias", "weight"]); // file order: safetensors sorts names
        }
        other => panic!("expected a Load error, got {other}"),
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn loading_writes_in_place_into_the_shared_handles() {
    let net = MyNet::new(2, 2);
    let handles = net.parameters(); // as an optimizer would hold them
    let mut sd = StateDict::new();
    for (i, (name, p)) in net.named_parameters().into_iter().enumerate() {
        sd.insert(name, Tensor::full(&p.shape(), i as f32 + 0.5));
    }
    net.load_state_dict(&sd).unwrap();
    for (i, h) in handles.iter().enumerate() {
        assert!(h.to_vec().iter().all(|&v| v == i as f32 + 0.5));
        assert!(h.same(&net.parameters()[i]));
        assert!(h.requires_grad());
    }
    // And the model computes with the loaded values.
    let y = net.forward(&Tensor::zeros(&[1, 2]));
    let s = |z: f32| 1.0 / (1.0 + (-z).exp());
    let h1 = s(0.5);
    let h2 = s(2.5 * 3.0 * h1 + 3.5);
    let h3 = s(4.5 * 2.0 * h2 + 5.5);
    let o = s(6.5 * 12.0 * h3 + 7.5);
    for v in y.to_vec() {
        assert!((v - o).abs() < 1e-6, "{v} vs {o}");
    }
}

#[test]
fn non_strict_skips_missing_and_unexpected_but_not_shapes() {
    let net = MyNet::new(2, 2);
    let mut sd = StateDict::new();
    sd.insert(
        "hide1.0.bias",
        Tensor::from_vec(vec![1.0f32, 2.0, 3.0], &[3]),
    );
    sd.insert("nope", Tensor::zeros(&[1]));
    let keys = net.load_state_dict_non_strict(&sd).unwrap();
    assert_eq!(keys.unexpected_keys, ["nope"]);
    assert_eq!(keys.missing_keys.len(), 7);
    assert!(!keys.missing_keys.contains(&"hide1.0.bias".to_string()));
    assert_eq!(
        net.hide1[0].named_own_parameters()[1].1.to_vec(),
        [1.0, 2.0, 3.0]
    );

    sd.insert("hide1.0.bias", Tensor::zeros(&[4]));
    let err = net.load_state_dict_non_strict(&sd).unwrap_err();
    assert!(err.missing_keys.is_empty() && err.unexpected_keys.is_empty());
    assert_eq!(err.size_mismatches.len(), 1);
}

#[test]
fn state_dict_is_a_detached_snapshot_in_parameter_order() {
    let net = MyNet::new(2, 2);
    let sd = net.state_dict();
    let names: Vec<String> = net.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(sd.keys(), names);
    let w = &net.parameters()[0];
    let snap = sd.get("hide1.0.weight").unwrap().to_vec();
    *w.data_mut() += 1.0;
    assert_eq!(sd.get("hide1.0.weight").unwrap().to_vec(), snap);
    assert!(!sd.get("hide1.0.weight").unwrap().requires_grad());
}

#[test]
fn state_dict_insert_replace_remove_keep_the_order_and_the_index() {
    let t = |v: f32| Tensor::<f32>::from_vec(vec![v], &[1]);
    let mut sd = StateDict::new();
    for (i, n) in ["a", "b", "c", "d"].iter().enumerate() {
        sd.insert(*n, t(i as f32));
    }
    sd.insert("b", t(10.0)); // replaced in place
    assert_eq!(sd.keys(), ["a", "b", "c", "d"]);
    assert_eq!(sd.get("b").unwrap().to_vec(), [10.0]);
    assert_eq!(sd.remove("b").unwrap().to_vec(), [10.0]);
    assert!(sd.remove("b").is_none());
    assert_eq!(sd.keys(), ["a", "c", "d"]);
    // The entries after the removed one are still found, and replaced in place.
    assert_eq!(sd.get("d").unwrap().to_vec(), [3.0]);
    sd.insert("c", t(20.0));
    sd.insert("b", t(30.0));
    assert_eq!(sd.keys(), ["a", "c", "d", "b"]);
    let values: Vec<f32> = sd.iter().map(|(_, t)| t.item()).collect();
    assert_eq!(values, [0.0, 20.0, 3.0, 30.0]);
    assert!(sd.contains_key("d") && !sd.contains_key("x"));
    let collected: StateDict = sd.clone().into_iter().collect();
    assert_eq!(collected.keys(), sd.keys());
    assert_eq!(sd.non_finite(), []);
    sd.insert("a", Tensor::from_vec(vec![f32::NAN], &[1]));
    assert_eq!(sd.non_finite(), [("a", 1)]);
}
