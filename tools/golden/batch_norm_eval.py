"""PyTorch's eval-mode batch normalisation (running statistics given), written to
tests/fixtures/nn_v2/batch_norm_eval.json for crates/autograd/tests/norms.rs.

Run with a PyTorch venv:  python tools/golden/batch_norm_eval.py
One file: {"torch_version", "cases": [{"name", "dtype", "eps", "x", "mean", "var", "weight"
(or null), "bias" (or null), "cot", "y", "dx", "dweight" (or null), "dbias" (or null)}]},
each tensor {"shape", "data"}; the data are the exact values (float64 holds every float32),
gradients of sum(y * cot). The CPU kernel computes y = x·α + β per channel with α =
weight/√(var + eps) and β = bias − mean·α, so the test can ask for y bit for bit.
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "nn_v2")


def t(x):
    if x is None:
        return None
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}


def main():
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(11)
    cases = []
    for name, dtype, shape, affine, eps in [
        ("rows_f32", torch.float32, (16, 96), (True, True), 1e-5),
        ("images_f32", torch.float32, (4, 8, 5, 5), (True, True), 1e-5),
        ("rows_plain_f32", torch.float32, (150, 7), (False, False), 1e-5),
        ("weight_only_f32", torch.float32, (33, 5, 4), (True, False), 1e-3),
        ("bias_only_f32", torch.float32, (9, 12), (False, True), 1e-5),
        ("images_f64", torch.float64, (6, 4, 3, 3), (True, True), 1e-5),
    ]:
        c = shape[1]
        r = lambda *s: torch.randn(*s, generator=g, dtype=dtype)
        x = (r(*shape) * 3 + 1).requires_grad_(True)
        mean, var = r(c), torch.rand(c, generator=g, dtype=dtype) + 0.1
        weight = r(c).requires_grad_(True) if affine[0] else None
        bias = r(c).requires_grad_(True) if affine[1] else None
        cot = r(*shape)
        y = F.batch_norm(x, mean, var, weight, bias, training=False, eps=eps)
        (y * cot).sum().backward()
        cases.append({
            "name": name, "dtype": "f32" if dtype == torch.float32 else "f64", "eps": eps,
            "x": t(x), "mean": t(mean), "var": t(var), "weight": t(weight), "bias": t(bias),
            "cot": t(cot), "y": t(y), "dx": t(x.grad),
            "dweight": t(weight.grad if weight is not None else None),
            "dbias": t(bias.grad if bias is not None else None),
        })
    path = os.path.join(OUT, "batch_norm_eval.json")
    with open(path, "w") as f:
        json.dump({"torch_version": torch.__version__, "cases": cases}, f)
    print(f"{len(cases)} cases -> {os.path.normpath(path)}")


if __name__ == "__main__":
    main()
