#!/usr/bin/env python3
"""Golden cases for convolution and pooling: forward and backward of F.conv2d, F.conv1d,
F.max_pool2d (with indices), F.max_pool1d, F.avg_pool2d and F.adaptive_avg_pool2d, one JSON
file per case, written to tests/fixtures/conv/ (plus index.json there).

    python tools/golden/conv.py              # (re)write every case
    python tools/golden/conv.py --out DIR    # somewhere else

The format is the "op" format of tools/golden/README.md (flat tensors, "prep" view chains on
inputs, "outputs" for (values, indices)); see the "conv" section there. Each case draws its
inputs and cotangent from a torch.Generator seeded with zlib.crc32(name) & 0x7fffffff, so a rerun
with the same PyTorch build gives byte-identical files.
"""
import argparse
import glob
import json
import os
import zlib

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "fixtures", "conv"))
DTYPE_NAME = {torch.float32: "f32", torch.int64: "i64"}


def flat(t):
    t = t.detach().contiguous()
    data = t.reshape(-1).tolist()
    if t.dtype == torch.float32:
        data = [float(v) for v in data]
    return {"shape": list(t.shape), "dtype": DTYPE_NAME[t.dtype], "data": data}


def apply_prep(t, prep):
    for step in prep or []:
        name, args = step[0], step[1:]
        if name == "transpose":
            t = t.transpose(*args)
        elif name == "slice":
            dim, start, end, stepn = args
            idx = [slice(None)] * t.dim()
            idx[dim] = slice(start, end, stepn)
            t = t[tuple(idx)]
        elif name == "permute":
            t = t.permute(*args[0])
        else:
            raise ValueError(name)
    return t


CASES = []


def case(name, op, expr, inputs, attrs, description, integer=False):
    """inputs: [(name, leaf shape, prep or None)]; integer: draw small integers (ties)."""
    CASES.append(dict(name=name, op=op, expr=expr, inputs=inputs, attrs=attrs,
                      description=description, integer=integer))


# --- convolution ------------------------------------------------------------------------------
case("conv2d_all", "conv2d",
     "F.conv2d(x, weight, bias, stride=(2, 2), padding=(1, 1), dilation=(2, 2), groups=2)",
     [("x", [2, 4, 9, 7], [["transpose", 2, 3]]), ("weight", [6, 2, 3, 2], None),
      ("bias", [6], None)],
     {"stride": [2, 2], "padding": [1, 1], "dilation": [2, 2], "groups": 2},
     "stride 2, padding 1, dilation 2, groups 2, bias; input a transposed view ([2,4,7,9])")
case("conv2d_nobias_sliced", "conv2d",
     "F.conv2d(x, weight, None, stride=(1, 2), padding=(0, 2), dilation=(1, 1), groups=1)",
     [("x", [2, 3, 6, 12], [["slice", 3, 0, 12, 2]]), ("weight", [4, 3, 3, 2], None)],
     {"stride": [1, 2], "padding": [0, 2], "dilation": [1, 1], "groups": 1},
     "no bias, asymmetric stride/padding; input x[..., ::2] ([2,3,6,6])")
case("conv2d_depthwise", "conv2d",
     "F.conv2d(x, weight, bias, stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=3)",
     [("x", [1, 3, 5, 5], None), ("weight", [6, 1, 3, 3], None), ("bias", [6], None)],
     {"stride": [1, 1], "padding": [1, 1], "dilation": [1, 1], "groups": 3},
     "depthwise (groups = in_channels), channel multiplier 2")
case("conv2d_same_even", "conv2d",
     "F.conv2d(x, weight, bias, stride=1, padding='same', dilation=(1, 2), groups=1)",
     [("x", [2, 2, 5, 6], None), ("weight", [3, 2, 4, 3], None), ("bias", [3], None)],
     {"stride": [1, 1], "padding": "same", "dilation": [1, 2], "groups": 1},
     "padding='same' with an even kernel height: total padding 3 = 1 top + 2 bottom "
     "(the nn layer's 'same')")
case("conv1d", "conv1d",
     "F.conv1d(x, weight, bias, stride=2, padding=1, dilation=2, groups=2)",
     [("x", [2, 4, 11], None), ("weight", [6, 2, 3], None), ("bias", [6], None)],
     {"stride": 2, "padding": 1, "dilation": 2, "groups": 2},
     "conv1d with stride, padding, dilation, groups")
# --- pooling ----------------------------------------------------------------------------------
case("max_pool2d_ceil_indices", "max_pool2d",
     "F.max_pool2d(x, (3, 2), stride=(2, 2), padding=(1, 1), dilation=(1, 1), ceil_mode=True, "
     "return_indices=True)",
     [("x", [2, 3, 7, 8], None)],
     {"kernel_size": [3, 2], "stride": [2, 2], "padding": [1, 1], "dilation": [1, 1],
      "ceil_mode": True, "return_indices": True},
     "padding and ceil_mode; (values, indices) with indices flat into H*W")
case("max_pool2d_dilation_ties", "max_pool2d",
     "F.max_pool2d(x, (3, 3), stride=(1, 2), padding=(1, 1), dilation=(2, 1), ceil_mode=False, "
     "return_indices=True)",
     [("x", [1, 2, 6, 7], None)],
     {"kernel_size": [3, 3], "stride": [1, 2], "padding": [1, 1], "dilation": [2, 1],
      "ceil_mode": False, "return_indices": True},
     "dilation; integer inputs in [0, 3) so windows tie: index and gradient go to the first max",
     integer=True)
case("max_pool1d_ceil", "max_pool1d",
     "F.max_pool1d(x, 3, stride=2, padding=1, dilation=1, ceil_mode=True)",
     [("x", [2, 10, 3], [["transpose", 1, 2]])],
     {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1, "ceil_mode": True},
     "max_pool1d with padding and ceil_mode; input a transposed view ([2,3,10])")
case("avg_pool2d_include_pad", "avg_pool2d",
     "F.avg_pool2d(x, (3, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True, "
     "count_include_pad=True)",
     [("x", [2, 2, 7, 6], None)],
     {"kernel_size": [3, 3], "stride": [2, 2], "padding": [1, 1], "ceil_mode": True,
      "count_include_pad": True},
     "count_include_pad=True (PyTorch's default) with ceil_mode: the last windows pass the "
     "padding and are divided by their clipped size")
case("avg_pool2d_exclude_pad", "avg_pool2d",
     "F.avg_pool2d(x, (3, 3), stride=(2, 2), padding=(1, 1), ceil_mode=True, "
     "count_include_pad=False)",
     [("x", [2, 2, 7, 6], None)],
     {"kernel_size": [3, 3], "stride": [2, 2], "padding": [1, 1], "ceil_mode": True,
      "count_include_pad": False},
     "count_include_pad=False: divided by the number of input elements in the window")
case("avg_pool2d_plain", "avg_pool2d",
     "F.avg_pool2d(x, (2, 3), stride=(2, 1), padding=(0, 0), ceil_mode=False, "
     "count_include_pad=True)",
     [("x", [3, 5, 6], None)],
     {"kernel_size": [2, 3], "stride": [2, 1], "padding": [0, 0], "ceil_mode": False,
      "count_include_pad": True},
     "unbatched 3-D input, no padding")
case("adaptive_avg_pool2d", "adaptive_avg_pool2d",
     "F.adaptive_avg_pool2d(x, (3, 4))",
     [("x", [2, 3, 7, 5], None)],
     {"output_size": [3, 4]},
     "output size that divides neither dimension (overlapping windows)")


def run(c):
    seed = zlib.crc32(c["name"].encode()) & 0x7FFFFFFF
    g = torch.Generator().manual_seed(seed)
    leaves, files = {}, []
    for name, shape, prep in c["inputs"]:
        if c["integer"]:
            t = torch.randint(0, 3, shape, generator=g).float()
        else:
            t = torch.randn(shape, generator=g)
        leaves[name] = t.requires_grad_(True)
        entry = {"name": name, "requires_grad": True, "shape": list(shape), "dtype": "f32",
                 "data": [float(v) for v in t.detach().reshape(-1).tolist()]}
        if prep:
            entry["prep"] = prep
        files.append(entry)
    env = {"torch": torch, "F": F}
    for name, _, prep in c["inputs"]:
        env[name] = apply_prep(leaves[name], prep)
    out = eval(c["expr"], env)
    outs = list(out) if isinstance(out, tuple) else [out]
    values = outs[0]
    cot = torch.randn(values.shape, generator=g)
    names = [n for n, _, _ in c["inputs"]]
    grads = torch.autograd.grad(values, [leaves[n] for n in names], grad_outputs=cot)
    doc = {"kind": "op", "format_version": 1, "torch_version": torch.__version__,
           "name": c["name"], "op": c["op"], "expr": c["expr"], "description": c["description"],
           "attrs": c["attrs"], "seed": seed, "inputs": files}
    if len(outs) > 1:
        doc["outputs"] = [flat(o) for o in outs]
    else:
        doc["output"] = flat(values)
    doc["cotangent"] = flat(cot)
    doc["grads"] = {n: flat(gr) for n, gr in zip(names, grads)}
    return doc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(args.out, exist_ok=True)
    for f in glob.glob(os.path.join(args.out, "*.json")):
        os.remove(f)
    index = []
    for c in CASES:
        doc = run(c)
        fname = c["name"] + ".json"
        with open(os.path.join(args.out, fname), "w") as f:
            f.write(json.dumps(doc, separators=(",", ":"), allow_nan=False))
        index.append({"kind": "op", "name": c["name"], "op": c["op"], "file": fname})
    with open(os.path.join(args.out, "index.json"), "w") as f:
        f.write(json.dumps({"format_version": 1, "torch_version": torch.__version__,
                            "cases": index}, separators=(",", ":"), allow_nan=False))
    print(f"wrote {len(index)} cases to {args.out}")


if __name__ == "__main__":
    main()
