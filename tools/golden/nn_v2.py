"""PyTorch's numbers for the nn v2 layers and utilities (LayerNorm, Embedding with
padding_idx, GELU, clip_grad_norm_, RNN/LSTM/GRU), written to tests/fixtures/nn_v2/*.json.

Run with a PyTorch venv:  python tools/golden/nn_v2.py
Each file: {"name", "torch_version", "inputs": {name: {"shape", "data"}}, "outputs": {...},
"grads": {...}}: float64 values of float32 computations; grads are of sum(out * cot).
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "nn_v2")


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(v) if x.dtype.is_floating_point else int(v)
                                             for v in x.reshape(-1).tolist()]}


def save(name, inputs, outputs, grads):
    doc = {"name": name, "torch_version": torch.__version__, "inputs": inputs,
           "outputs": outputs, "grads": grads}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f)


def layer_norm():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 4, generator=g)
    ln = torch.nn.LayerNorm([3, 4])
    with torch.no_grad():
        ln.weight.copy_(torch.randn(3, 4, generator=g))
        ln.bias.copy_(torch.randn(3, 4, generator=g))
    x.requires_grad_(True)
    y = ln(x)
    cot = torch.randn(y.shape, generator=g)
    (y * cot).sum().backward()
    save("layer_norm", {"x": t(x), "weight": t(ln.weight), "bias": t(ln.bias), "cot": t(cot)},
         {"y": t(y)}, {"x": t(x.grad), "weight": t(ln.weight.grad), "bias": t(ln.bias.grad)})


def embedding_padding():
    g = torch.Generator().manual_seed(2)
    emb = torch.nn.Embedding(5, 3, padding_idx=0)
    with torch.no_grad():
        emb.weight.copy_(torch.randn(5, 3, generator=g))
    idx = torch.tensor([[0, 2, 2], [4, 0, 1]])
    y = emb(idx)
    cot = torch.randn(y.shape, generator=g)
    (y * cot).sum().backward()
    save("embedding_padding", {"weight": t(emb.weight), "index": t(idx), "cot": t(cot)},
         {"y": t(y)}, {"weight": t(emb.weight.grad)})


def gelu():
    g = torch.Generator().manual_seed(3)
    x = (torch.randn(7, generator=g) * 3).requires_grad_(True)
    outs, grads = {}, {}
    for approx in ["none", "tanh"]:
        x.grad = None
        y = torch.nn.GELU(approximate=approx)(x)
        y.sum().backward()
        outs[approx] = t(y)
        grads[approx] = t(x.grad)
    save("gelu", {"x": t(x)}, outs, grads)


def clip_grad_norm():
    g = torch.Generator().manual_seed(4)
    for norm_type, tag in [(2.0, "2"), (float("inf"), "inf"), (1.0, "1")]:
        ps = [torch.zeros(3, 2, requires_grad=True), torch.zeros(4, requires_grad=True)]
        gs = [torch.randn(3, 2, generator=g) * 2, torch.randn(4, generator=g) * 2]
        for p, gr in zip(ps, gs):
            p.grad = gr.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm=1.5, norm_type=norm_type)
        save("clip_grad_norm_" + tag,
             {"g0": t(gs[0]), "g1": t(gs[1]), "max_norm": {"shape": [], "data": [1.5]}},
             {"total": t(total)}, {"g0": t(ps[0].grad), "g1": t(ps[1].grad)})




def recurrent():
    """RNN/LSTM/GRU: weights (PyTorch's names), input, initial states, outputs, final states
    and the gradients of sum(out * cot) + sum(h_n * cot_h) (+ sum(c_n * cot_c))."""
    g = torch.Generator().manual_seed(5)
    cases = [
        ("lstm_2layer_bidir", torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True), (2, 5, 3)),
        ("gru_1layer", torch.nn.GRU(3, 4), (6, 2, 3)),
        ("rnn_relu_2layer", torch.nn.RNN(2, 3, num_layers=2, nonlinearity="relu"), (4, 2, 2)),
    ]
    for name, m, shape in cases:
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        x = torch.randn(shape, generator=g).requires_grad_(True)
        lstm = isinstance(m, torch.nn.LSTM)
        d = 2 if m.bidirectional else 1
        batch = shape[0] if m.batch_first else shape[1]
        h0 = torch.randn(m.num_layers * d, batch, m.hidden_size, generator=g).requires_grad_(True)
        if lstm:
            c0 = torch.randn(m.num_layers * d, batch, m.hidden_size, generator=g).requires_grad_(True)
            out, (h, c) = m(x, (h0, c0))
        else:
            out, h = m(x, h0)
        cot = torch.randn(out.shape, generator=g)
        cot_h = torch.randn(h.shape, generator=g)
        total = (out * cot).sum() + (h * cot_h).sum()
        inputs = {"x": t(x), "h0": t(h0), "cot": t(cot), "cot_h": t(cot_h)}
        outputs = {"out": t(out), "h": t(h)}
        if lstm:
            cot_c = torch.randn(c.shape, generator=g)
            total = total + (c * cot_c).sum()
            inputs["c0"] = t(c0)
            inputs["cot_c"] = t(cot_c)
            outputs["c"] = t(c)
        total.backward()
        for n, p in m.named_parameters():
            inputs[n] = t(p)
        grads = {"x": t(x.grad), "h0": t(h0.grad)}
        if lstm:
            grads["c0"] = t(c0.grad)
        for n, p in m.named_parameters():
            grads[n] = t(p.grad)
        save(name, inputs, outputs, grads)


def batch_norm():
    """BatchNorm1d on [5, 3] and BatchNorm2d on [4, 3, 2, 2]: two training steps (outputs,
    gradients, running statistics after each), then an eval forward; and the 2d layer's state
    dict as PyTorch saves it (num_batches_tracked int64) in bn2d.safetensors."""
    from safetensors.torch import save_file
    g = torch.Generator().manual_seed(6)
    for name, bn, shape in [("batch_norm1d", torch.nn.BatchNorm1d(3), (5, 3)),
                            ("batch_norm2d", torch.nn.BatchNorm2d(3, momentum=0.2), (4, 3, 2, 2))]:
        with torch.no_grad():
            bn.weight.copy_(torch.randn(3, generator=g))
            bn.bias.copy_(torch.randn(3, generator=g))
        inputs = {"weight": t(bn.weight), "bias": t(bn.bias)}
        outputs, grads = {}, {}
        for step in range(2):
            x = (torch.randn(shape, generator=g) * 2 + 1).requires_grad_(True)
            cot = torch.randn(shape, generator=g)
            bn.weight.grad = None
            bn.bias.grad = None
            y = bn(x)
            (y * cot).sum().backward()
            inputs[f"x{step}"] = t(x)
            inputs[f"cot{step}"] = t(cot)
            outputs[f"y{step}"] = t(y)
            outputs[f"running_mean{step}"] = t(bn.running_mean)
            outputs[f"running_var{step}"] = t(bn.running_var)
            grads[f"x{step}"] = t(x.grad)
            grads[f"weight{step}"] = t(bn.weight.grad)
            grads[f"bias{step}"] = t(bn.bias.grad)
        bn.eval()
        x = torch.randn(shape, generator=g)
        inputs["x_eval"] = t(x)
        outputs["y_eval"] = t(bn(x))
        outputs["num_batches_tracked"] = t(bn.num_batches_tracked)
        save(name, inputs, outputs, grads)
        if name == "batch_norm2d":
            save_file({k: v.contiguous() for k, v in bn.state_dict().items()},
                      os.path.join(OUT, "bn2d.safetensors"))


def attention():
    """MultiheadAttention: self-attention with a causal mask and a key padding mask
    (batch_first), and cross-attention with sequence-first inputs; outputs, head-averaged
    weights, gradients of sum(y * cot) + sum(w * cot_w) for inputs and parameters."""
    g = torch.Generator().manual_seed(7)
    for name, bf, (L, S) in [("mha_self_causal", True, (5, 5)), ("mha_cross", False, (3, 4))]:
        m = torch.nn.MultiheadAttention(8, 2, batch_first=bf)
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.4)
        N = 2
        q_shape = (N, L, 8) if bf else (L, N, 8)
        kv_shape = (N, S, 8) if bf else (S, N, 8)
        q = torch.randn(q_shape, generator=g).requires_grad_(True)
        if name == "mha_self_causal":
            k = v = q
            attn_mask = torch.triu(torch.ones(L, S, dtype=torch.bool), diagonal=1)
            kpm = torch.tensor([[False] * S, [False] * (S - 1) + [True]])
        else:
            k = torch.randn(kv_shape, generator=g).requires_grad_(True)
            v = torch.randn(kv_shape, generator=g).requires_grad_(True)
            attn_mask, kpm = None, None
        y, w = m(q, k, v, attn_mask=attn_mask, key_padding_mask=kpm, need_weights=True)
        cot = torch.randn(y.shape, generator=g)
        cot_w = torch.randn(w.shape, generator=g)
        ((y * cot).sum() + (w * cot_w).sum()).backward()
        inputs = {"q": t(q), "cot": t(cot), "cot_w": t(cot_w)}
        grads = {"q": t(q.grad)}
        if name == "mha_cross":
            inputs.update({"k": t(k), "v": t(v)})
            grads.update({"k": t(k.grad), "v": t(v.grad)})
        else:
            inputs.update({"attn_mask": t(attn_mask), "key_padding_mask": t(kpm)})
        for n, p in m.named_parameters():
            inputs[n] = t(p)
            grads[n] = t(p.grad)
        save(name, inputs, {"y": t(y), "w": t(w)}, grads)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    layer_norm()
    embedding_padding()
    gelu()
    clip_grad_norm()
    recurrent()
    batch_norm()
    attention()
