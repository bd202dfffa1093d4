"""PyTorch's numbers for the loss functions (issue 12), written to tests/fixtures/losses/*.json.

Run with a PyTorch venv:  python tools/golden/losses.py
Every loss x every reduction x every option: CrossEntropyLoss (weight, ignore_index,
label_smoothing, (N,C,d1,...) inputs, class-probability targets), NLLLoss (weight,
ignore_index, (N,C,d1,...)), BCELoss (weight), BCEWithLogitsLoss (weight, pos_weight),
HuberLoss (delta), SmoothL1Loss (beta), KLDivLoss (log_target, batchmean),
MarginRankingLoss (margin), CosineEmbeddingLoss (margin).

Each file: {"name", "torch_version", "loss" (the nn module's name), "dtype" ("f32"/"f64"),
"options": {constructor keyword arguments except tensors}, "inputs": {name: {"shape", "data"}},
"output": {...}, "grads": {...}}. Inputs are the forward's arguments ("input", "target",
"input1", "input2"), the constructor's tensors ("weight", "pos_weight") and "cot", the
cotangent: grads are of sum(loss * cot) for the inputs that require grad. Values are float64
numbers of computations in the case's dtype; integer targets are ints.

CPU, one thread, deterministic; each case draws from its own torch.Generator seeded with
zlib.crc32(name) & 0x7fffffff, so a rerun gives identical files.
"""
import json
import os
import zlib

import torch
import torch.nn as nn

from golden_dir import fresh_dir

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "losses")
REDUCTIONS = ["mean", "sum", "none"]
DTYPES = {torch.float32: "f32", torch.float64: "f64"}


def t(x):
    x = x.detach()
    if x.dtype.is_floating_point:
        data = [float(v) for v in x.reshape(-1).tolist()]
    else:
        data = [int(v) for v in x.reshape(-1).tolist()]
    return {"shape": list(x.shape), "data": data}


def case(name, module, options, make, dtype=torch.float32, grads=("input",)):
    """`make(g, dtype)` returns (forward args {name: tensor}, constructor tensors {name:
    tensor}); the module is `getattr(nn, module)(**options, **tensors)`."""
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()) & 0x7FFFFFFF)
    args, ctor = make(g, dtype)
    for k in grads:
        args[k].requires_grad_(True)
    loss = getattr(nn, module)(**options, **ctor)
    order = {"CrossEntropyLoss": ["input", "target"], "NLLLoss": ["input", "target"],
             "MarginRankingLoss": ["input1", "input2", "target"],
             "CosineEmbeddingLoss": ["input1", "input2", "target"]}.get(module,
                                                                      ["input", "target"])
    out = loss(*[args[k] for k in order])
    cot = torch.randn(out.shape, generator=g, dtype=dtype)
    (out * cot).sum().backward()
    inputs = {k: t(v) for k, v in args.items()}
    inputs.update({k: t(v) for k, v in ctor.items()})
    inputs["cot"] = t(cot)
    doc = {"name": name, "torch_version": torch.__version__, "loss": module,
           "dtype": DTYPES[dtype], "options": options, "inputs": inputs, "output": t(out),
           "grads": {k: t(args[k].grad) for k in grads}}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f)


def randn(g, shape, dtype, scale=1.0):
    return torch.randn(shape, generator=g, dtype=dtype) * scale


def classes(g, shape, c, ignore=None, n_ignored=0):
    y = torch.randint(0, c, shape, generator=g)
    if ignore is not None and n_ignored:
        flat = y.reshape(-1)
        flat[torch.randperm(flat.numel(), generator=g)[:n_ignored]] = ignore
    return y


def class_target(g, input_shape, c, opts, n_ignored):
    """Class indices for an (N, C, d1, ...) or (C,) input: (N, d1, ...) or (); `n_ignored` of
    them set to the case's ignore_index."""
    shape = () if len(input_shape) == 1 else (input_shape[0],) + tuple(input_shape[2:])
    return classes(g, shape, c, opts.get("ignore_index", -100), n_ignored)


def class_weight(g, c, dtype, opts):
    """The constructor's tensors: a per-class `weight` in [0.2, 2.2) when the case asks for one."""
    if opts.get("weight"):
        return {"weight": torch.rand(c, generator=g, dtype=dtype) * 2 + 0.2}
    return {}


def cross_entropy():
    # (tag, input shape, options, ignored count, class-probability target?)
    variants = [
        ("plain", (5, 4), {}, 0, False),
        ("weight", (5, 4), {"weight": True}, 0, False),
        ("ignore", (6, 4), {"ignore_index": 2}, 2, False),
        ("ignore_neg", (5, 3), {"ignore_index": -1}, 2, False),
        ("smoothing", (5, 4), {"label_smoothing": 0.1}, 0, False),
        ("weight_ignore", (6, 4), {"weight": True, "ignore_index": 1}, 2, False),
        ("weight_smoothing_ignore", (6, 5),
         {"weight": True, "ignore_index": 0, "label_smoothing": 0.25}, 2, False),
        ("kdim", (2, 4, 3), {}, 0, False),
        ("kdim2_weight_ignore_smoothing", (2, 3, 2, 3),
         {"weight": True, "ignore_index": -100, "label_smoothing": 0.15}, 3, False),
        ("1d", (5,), {}, 0, False),
        ("1d_smoothing_weight", (5,), {"label_smoothing": 0.3, "weight": True}, 0, False),
        ("probs", (4, 5), {}, 0, True),
        ("probs_weight_smoothing", (4, 5), {"weight": True, "label_smoothing": 0.2}, 0, True),
        ("probs_kdim", (2, 3, 4), {}, 0, True),
    ]
    for tag, shape, opts, n_ign, probs in variants:
        for red in REDUCTIONS:
            for dtype in [torch.float32] + ([torch.float64] if tag == "weight_smoothing_ignore"
                                            else []):
                name = f"cross_entropy_{tag}_{red}" + ("_f64" if dtype == torch.float64 else "")
                c = shape[0] if len(shape) == 1 else shape[1]
                options = {k: v for k, v in opts.items() if k != "weight"}
                options["reduction"] = red

                def make(g, dtype, shape=shape, opts=opts, n_ign=n_ign, probs=probs, c=c):
                    x = randn(g, shape, dtype, 2.0)
                    if probs:
                        y = torch.softmax(randn(g, shape, dtype, 1.5), dim=0 if len(shape) == 1
                                          else 1)
                    else:
                        y = class_target(g, shape, c, opts, n_ign)
                    return {"input": x, "target": y}, class_weight(g, c, dtype, opts)

                case(name, "CrossEntropyLoss", options, make, dtype,
                     grads=("input", "target") if probs else ("input",))


def nll():
    variants = [
        ("plain", (5, 4), {}, 0),
        ("weight", (5, 4), {"weight": True}, 0),
        ("ignore", (6, 3), {"ignore_index": 1}, 2),
        ("weight_ignore", (6, 4), {"weight": True, "ignore_index": 3}, 2),
        ("kdim", (2, 4, 3), {"weight": True}, 0),
        ("kdim2_ignore", (2, 3, 2, 2), {"ignore_index": -100}, 2),
        ("1d", (4,), {}, 0),
    ]
    for tag, shape, opts, n_ign in variants:
        for red in REDUCTIONS:
            name = f"nll_loss_{tag}_{red}"
            c = shape[0] if len(shape) == 1 else shape[1]
            options = {k: v for k, v in opts.items() if k != "weight"}
            options["reduction"] = red

            def make(g, dtype, shape=shape, opts=opts, n_ign=n_ign, c=c):
                x = torch.log_softmax(randn(g, shape, dtype, 2.0), dim=0 if len(shape) == 1
                                      else 1)
                y = class_target(g, shape, c, opts, n_ign)
                return {"input": x, "target": y}, class_weight(g, c, dtype, opts)

            case(name, "NLLLoss", options, make)


def bce():
    for tag, wshape in [("plain", None), ("weight", (4,)), ("weight_full", (3, 4))]:
        for red in REDUCTIONS:
            def make(g, dtype, wshape=wshape):
                p = torch.rand(3, 4, generator=g, dtype=dtype) * 0.9 + 0.05
                y = torch.rand(3, 4, generator=g, dtype=dtype)
                ctor = {}
                if wshape:
                    ctor["weight"] = torch.rand(wshape, generator=g, dtype=dtype) * 2
                return {"input": p, "target": y}, ctor

            case(f"bce_{tag}_{red}", "BCELoss", {"reduction": red}, make)


def bce_with_logits():
    variants = [("plain", None, None), ("weight", (4,), None), ("pos_weight", None, (4,)),
                ("weight_pos_weight", (3, 4), (4,)), ("pos_weight_3d", None, (4,))]
    for tag, wshape, pwshape in variants:
        for red in REDUCTIONS:
            for dtype in [torch.float32] + ([torch.float64] if tag == "weight_pos_weight"
                                            else []):
                def make(g, dtype, wshape=wshape, pwshape=pwshape, tag=tag):
                    shape = (2, 3, 4) if tag == "pos_weight_3d" else (3, 4)
                    x = randn(g, shape, dtype, 3.0)
                    y = torch.rand(shape, generator=g, dtype=dtype)
                    ctor = {}
                    if wshape:
                        ctor["weight"] = torch.rand(wshape, generator=g, dtype=dtype) * 2
                    if pwshape:
                        ctor["pos_weight"] = torch.rand(pwshape, generator=g, dtype=dtype) * 3
                    return {"input": x, "target": y}, ctor

                name = f"bce_with_logits_{tag}_{red}" + ("_f64" if dtype == torch.float64
                                                          else "")
                case(name, "BCEWithLogitsLoss", {"reduction": red}, make, dtype)


def regression():
    for module, key, values, prefix in [("HuberLoss", "delta", [1.0, 0.5, 2.0], "huber"),
                                        ("SmoothL1Loss", "beta", [1.0, 0.5, 0.0], "smooth_l1")]:
        for v in values:
            for red in REDUCTIONS:
                def make(g, dtype):
                    x = randn(g, (3, 5), dtype, 2.0)
                    y = randn(g, (3, 5), dtype, 2.0)
                    return {"input": x, "target": y}, {}

                tag = str(v).replace(".", "_")
                case(f"{prefix}_{key}{tag}_{red}", module, {key: v, "reduction": red}, make,
                     grads=("input", "target"))


def kl_div():
    for log_target in [False, True]:
        for red in ["mean", "batchmean", "sum", "none"]:
            def make(g, dtype, log_target=log_target):
                x = torch.log_softmax(randn(g, (3, 5), dtype), dim=1)
                p = torch.softmax(randn(g, (3, 5), dtype, 2.0), dim=1)
                if log_target:
                    y = p.log()
                else:
                    y = p.clone()
                    y[0, 1] = 0.0  # xlogy(0, 0) = 0
                    y[2, 3] = 0.0
                return {"input": x, "target": y}, {}

            name = f"kl_div_{'log_target_' if log_target else ''}{red}"
            # The target's gradient is -inf where a (non-log) target is 0: left out there.
            case(name, "KLDivLoss", {"reduction": red, "log_target": log_target}, make,
                 grads=("input", "target") if log_target else ("input",))


def margin_ranking():
    for margin in [0.0, 0.5]:
        for red in REDUCTIONS:
            def make(g, dtype):
                x1 = randn(g, (6,), dtype)
                x2 = randn(g, (6,), dtype)
                y = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0, 1.0], dtype=dtype)
                return {"input1": x1, "input2": x2, "target": y}, {}

            tag = str(margin).replace(".", "_")
            case(f"margin_ranking_margin{tag}_{red}", "MarginRankingLoss",
                 {"margin": margin, "reduction": red}, make, grads=("input1", "input2"))


def cosine_embedding():
    for shape in [(5, 4), (4,)]:
        for margin in [0.0, 0.3]:
            for red in REDUCTIONS:
                def make(g, dtype, shape=shape):
                    x1 = randn(g, shape, dtype)
                    x2 = randn(g, shape, dtype)
                    if len(shape) == 2:
                        y = torch.tensor([1.0, -1.0, -1.0, 1.0, -1.0], dtype=dtype)
                    else:
                        y = torch.tensor(-1.0, dtype=dtype)
                    return {"input1": x1, "input2": x2, "target": y}, {}

                tag = str(margin).replace(".", "_")
                dims = "2d" if len(shape) == 2 else "1d"
                case(f"cosine_embedding_{dims}_margin{tag}_{red}", "CosineEmbeddingLoss",
                     {"margin": margin, "reduction": red}, make, grads=("input1", "input2"))


if __name__ == "__main__":
    fresh_dir(OUT)
    cross_entropy()
    nll()
    bce()
    bce_with_logits()
    regression()
    kl_div()
    margin_ranking()
    cosine_embedding()
    print(len([f for f in os.listdir(OUT) if f.endswith(".json")]), "cases")
