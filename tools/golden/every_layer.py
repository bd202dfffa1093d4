"""A PyTorch model holding one of every stateful layer tapegrad ports, saved as PyTorch saves it.

Writes tests/fixtures/every_layer/every_layer.safetensors: the state dict of `EveryLayer` after
one training-mode forward pass (so BatchNorm's running statistics and its int64
`num_batches_tracked` are not at their initial values), with the tied `head.weight` /
`emb.weight` pair stored under both names, as `model.state_dict()` lists them. Also writes
`every_layer.json` with the key order and a few values the Rust test checks.

The Rust side (`crates/nn/tests/every_layer.rs`) builds the same model with `#[derive(Module)]`
and loads the file with `load_state_dict` in strict mode.

Usage: python tools/golden/every_layer.py   (any Python with torch and safetensors)
"""
import json
import os

import torch
import torch.nn as nn
from safetensors.torch import save_file


class EveryLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(10, 8)
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.gn = nn.GroupNorm(2, 4)
        self.convt = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
        self.bn1 = nn.BatchNorm1d(8)
        self.ln = nn.LayerNorm(8)
        self.rms = nn.RMSNorm(8)
        self.lstm = nn.LSTM(8, 8, num_layers=2, batch_first=True)
        self.gru = nn.GRU(8, 8, batch_first=True, bidirectional=True)
        self.rnn = nn.RNN(8, 8, batch_first=True)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.conv1 = nn.Conv1d(8, 8, 3, padding=1)
        self.head = nn.Linear(8, 10, bias=False)
        self.head.weight = self.emb.weight  # weight tying, as GPT's lm_head


def main():
    torch.manual_seed(0)
    m = EveryLayer()
    m.train()
    with torch.no_grad():
        m.bn(torch.randn(3, 4, 5, 5))
        m.bn1(torch.randn(6, 8))
    sd = m.state_dict()
    # safetensors refuses tensors sharing memory: store each entry as its own copy.
    tensors = {k: v.detach().clone().contiguous() for k, v in sd.items()}
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "..", "tests", "fixtures", "every_layer")
    os.makedirs(out, exist_ok=True)
    save_file(tensors, os.path.join(out, "every_layer.safetensors"))
    info = {
        "torch_version": torch.__version__,
        "keys": list(sd.keys()),
        "dtypes": {k: str(v.dtype).replace("torch.", "") for k, v in sd.items()},
        "bn.running_mean": sd["bn.running_mean"].tolist(),
        "bn.num_batches_tracked": int(sd["bn.num_batches_tracked"]),
        "emb.weight[0]": sd["emb.weight"][0].tolist(),
        "lstm.weight_hh_l1[0]": sd["lstm.weight_hh_l1"][0].tolist(),
    }
    with open(os.path.join(out, "every_layer.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(f"wrote {len(sd)} entries to {out}")


if __name__ == "__main__":
    main()
