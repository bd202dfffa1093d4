//! A model holding one of every stateful layer, saved by PyTorch (`tools/golden/every_layer.py`:
//! BatchNorm statistics after a training step, int64 `num_batches_tracked`, a two-layer LSTM, a
//! bidirectional GRU, attention's packed projections, and a tied `head.weight`), loads into
//! the same model written with `#[derive(Module)]` in strict mode: the same 47 keys in
//! PyTorch's order, every shape, and the values.

use serde_json::Value;
use tapegrad_autograd::Tensor;
use tapegrad_nn::{
    load_safetensors, BatchNorm, Conv1d, Conv2d, ConvOptions, ConvTranspose2d, Embedding,
    GroupNorm, LayerNorm, Linear, Module, MultiheadAttention, RMSNorm, RnnOptions, GRU, LSTM, RNN,
};

/// PyTorch's `EveryLayer` (tools/golden/every_layer.py), field for field.
#[derive(Module)]
#[module(no_forward)]
struct EveryLayer {
    emb: Embedding,
    conv: Conv2d,
    bn: BatchNorm,
    gn: GroupNorm,
    convt: ConvTranspose2d,
    bn1: BatchNorm,
    ln: LayerNorm,
    rms: RMSNorm,
    lstm: LSTM,
    gru: GRU,
    rnn: RNN,
    attn: MultiheadAttention,
    conv1: Conv1d,
    head: Linear,
}

impl EveryLayer {
    fn new() -> Self {
        let emb = Embedding::new(10, 8);
        let mut head = Linear::with_bias(8, 10, false);
        head.weight = emb.weight.clone(); // self.head.weight = self.emb.weight
        EveryLayer {
            emb,
            conv: Conv2d::with_options(1, 4, [3, 3], ConvOptions::default().padding(1)),
            bn: BatchNorm::new_2d(4),
            gn: GroupNorm::new(2, 4),
            convt: ConvTranspose2d::with_options(
                4,
                2,
                [3, 3],
                ConvOptions::default().stride(2).padding(1),
            )
            .with_output_padding([1, 1]),
            bn1: BatchNorm::new_1d(8),
            ln: LayerNorm::new(&[8]),
            rms: RMSNorm::new(&[8]),
            lstm: LSTM::with_options(
                8,
                8,
                RnnOptions {
                    num_layers: 2,
                    batch_first: true,
                    ..Default::default()
                },
            ),
            gru: GRU::with_options(
                8,
                8,
                RnnOptions {
                    batch_first: true,
                    bidirectional: true,
                    ..Default::default()
                },
            ),
            rnn: RNN::with_options(
                8,
                8,
                RnnOptions {
                    batch_first: true,
                    ..Default::default()
                },
            ),
            attn: MultiheadAttention::new(8, 2, 0.0, true),
            conv1: Conv1d::with_options(8, 8, 3, ConvOptions::default().padding(1)),
            head,
        }
    }
}

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/every_layer")
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

#[test]
fn pytorchs_file_for_a_model_with_every_layer_loads_strictly() {
    let info: Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("every_layer.json")).unwrap(),
    )
    .unwrap();
    let model = EveryLayer::new();

    // The same keys in the same order as PyTorch's state_dict(), both tied names included.
    let ours = model.state_dict();
    let want: Vec<&str> = info["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(ours.keys(), want);
    // One tensor for the tied pair: PyTorch's parameters() deduplicates it too.
    assert_eq!(model.parameters().len(), ours.len() - 1 - 6); // minus head.weight, 6 buffers

    let sd = load_safetensors::<f32>(fixtures().join("every_layer.safetensors")).unwrap();
    model.load_state_dict(&sd).expect("strict load");

    // Values arrived, including the int64 counter converted into the f32 model.
    let get = |name: &str| -> Tensor { model.state_dict().get(name).unwrap().clone() };
    assert_eq!(
        get("bn.running_mean").to_vec(),
        floats(&info["bn.running_mean"])
    );
    assert_eq!(
        get("bn.num_batches_tracked").to_vec(),
        [info["bn.num_batches_tracked"].as_i64().unwrap() as f32]
    );
    assert_eq!(
        get("emb.weight").to_vec()[..8],
        floats(&info["emb.weight[0]"])[..]
    );
    assert_eq!(
        get("lstm.weight_hh_l1").to_vec()[..8],
        floats(&info["lstm.weight_hh_l1[0]"])[..]
    );
    // The tie survives loading: one tensor under two names.
    assert!(model.head.weight.same(&model.emb.weight));
    assert_eq!(get("head.weight").to_vec(), get("emb.weight").to_vec());
}
