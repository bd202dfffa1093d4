"""PyTorch's numbers for the third batch of nn layers (GroupNorm, RMSNorm, ConvTranspose2d,
AdaptiveMaxPool2d, Embedding with max_norm), written to tests/fixtures/layers3/*.json.

Run with a PyTorch venv:  python tools/golden/layers3.py
Conventions as tools/golden/nn_v2.py: CPU, float32, each case seeded with its own
torch.manual_seed / torch.Generator, so a rerun gives the same files. Each file:
{"name", "torch_version", "module" (the repr), "state" (the layer's state dict after
construction, i.e. PyTorch's init, then the affine parameters of the norms redrawn so their
gradients are not trivial), "inputs", "outputs", "grads"}: float64 values of float32
computations; grads are of sum(out * cot) for the input "x" and every parameter by its
state-dict name.
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "layers3")


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(v) if x.dtype.is_floating_point else int(v)
                                             for v in x.reshape(-1).tolist()]}


def save(name, module, state, inputs, outputs, grads):
    doc = {"name": name, "torch_version": torch.__version__, "module": repr(module),
           "state": state, "inputs": inputs, "outputs": outputs, "grads": grads}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f)


def run(name, seed, make, x_shape, redraw=False, extra_outputs=None):
    """Builds the layer under torch.manual_seed(seed) (its init), optionally redraws its
    parameters, runs x through it and backpropagates sum(y * cot)."""
    torch.manual_seed(seed)
    m = make()
    g = torch.Generator().manual_seed(seed)
    if redraw:
        with torch.no_grad():
            for p in m.parameters():
                p.copy_(torch.randn(p.shape, generator=g))
    state = {k: t(v) for k, v in m.state_dict().items()}
    x = torch.randn(x_shape, generator=g).requires_grad_(True)
    out = m(x)
    y = out[0] if isinstance(out, tuple) else out
    cot = torch.randn(y.shape, generator=g)
    (y * cot).sum().backward()
    outputs = {"y": t(y)}
    if isinstance(out, tuple):
        outputs["indices"] = t(out[1])
    grads = {"x": t(x.grad)}
    for n, p in m.named_parameters():
        grads[n] = t(p.grad)
    save(name, m, state, {"x": t(x), "cot": t(cot)}, outputs, grads)


def norms():
    run("group_norm", 10, lambda: torch.nn.GroupNorm(2, 6), (2, 6, 3, 4), redraw=True)
    run("group_norm_no_affine", 11, lambda: torch.nn.GroupNorm(3, 6, eps=1e-3, affine=False),
        (2, 6, 5))
    run("group_norm_no_bias", 16, lambda: torch.nn.GroupNorm(1, 3, bias=False), (2, 3, 4),
        redraw=True)
    run("group_norm_instance", 12, lambda: torch.nn.GroupNorm(4, 4), (3, 4, 2, 3), redraw=True)
    run("rms_norm", 13, lambda: torch.nn.RMSNorm([3, 4]), (2, 3, 4), redraw=True)
    run("rms_norm_eps", 14, lambda: torch.nn.RMSNorm(5, eps=1e-2), (4, 5), redraw=True)
    run("rms_norm_no_affine", 15, lambda: torch.nn.RMSNorm([4], elementwise_affine=False),
        (3, 2, 4))


def conv_transpose():
    run("conv_transpose2d_default", 20, lambda: torch.nn.ConvTranspose2d(3, 2, 3), (2, 3, 4, 5))
    run("conv_transpose2d_all", 21,
        lambda: torch.nn.ConvTranspose2d(4, 6, (3, 2), stride=(2, 3), padding=(1, 0),
                                         output_padding=(1, 2), groups=2, dilation=(1, 2)),
        (2, 4, 3, 4))
    run("conv_transpose2d_nobias", 22,
        lambda: torch.nn.ConvTranspose2d(2, 3, 2, stride=2, bias=False), (1, 2, 3, 3))
    run("conv_transpose2d_dilated", 23,
        lambda: torch.nn.ConvTranspose2d(3, 4, 3, padding=2, dilation=2, groups=1),
        (2, 3, 5, 4))


def adaptive_max_pool():
    run("adaptive_max_pool2d", 30, lambda: torch.nn.AdaptiveMaxPool2d((3, 2), return_indices=True),
        (2, 3, 7, 5))
    run("adaptive_max_pool2d_up", 31, lambda: torch.nn.AdaptiveMaxPool2d(4, return_indices=True),
        (1, 2, 3, 6))


def embedding_max_norm():
    torch.manual_seed(40)
    emb = torch.nn.Embedding(6, 3, max_norm=1.0)
    state = {k: t(v) for k, v in emb.state_dict().items()}
    g = torch.Generator().manual_seed(40)
    idx = torch.tensor([[1, 2, 1], [4, 0, 2]])
    y = emb(idx)
    cot = torch.randn(y.shape, generator=g)
    (y * cot).sum().backward()
    save("embedding_max_norm", emb, state, {"index": t(idx), "cot": t(cot)},
         {"y": t(y), "weight_after": t(emb.weight)}, {"weight": t(emb.weight.grad)})


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    norms()
    conv_transpose()
    adaptive_max_pool()
    embedding_max_norm()
