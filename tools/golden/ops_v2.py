#!/usr/bin/env python3
"""Golden op cases, version 2: forward and backward of single PyTorch ops, one JSON file per
case, written to tests/fixtures/ops_v2/ (plus index.json there).

    python tools/golden/ops_v2.py                 # (re)write every case
    python tools/golden/ops_v2.py --out DIR       # somewhere else
    python tools/golden/ops_v2.py --table         # print the README's op/attrs table
    python tools/golden/ops_v2.py --only NAME...  # just these cases (index.json untouched)

The file format is the v1 "op" format of tests/fixtures/README.md with the extensions described
in tools/golden/README.md (i64/bool/f64 dtypes, "prep" view chains on inputs, multi-output ops).
Each case's inputs and cotangent are drawn from a torch.Generator seeded with
zlib.crc32(name) & 0x7fffffff (the v1 convention), so regenerating with the same PyTorch build
gives byte-identical files.
"""
import argparse
import json
import math
import os
import sys
import zlib

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, "..", "..", "tests", "fixtures", "ops_v2"))

DTYPE_NAME = {torch.float32: "f32", torch.float64: "f64", torch.int64: "i64", torch.bool: "bool"}
FLOAT = (torch.float32, torch.float64)

# --------------------------------------------------------------------------------------------
# Input specifications
# --------------------------------------------------------------------------------------------


def R(name, shape, scale=1.0, lo=None, hi=None, away=None, rg=True, prep=None):
    """Random f32 input: randn*scale; or uniform [lo, hi); or away=(lo, hi): random sign times
    uniform [lo, hi) (keeps values away from zero)."""
    return dict(name=name, kind="rand", shape=list(shape), scale=scale, lo=lo, hi=hi, away=away,
                rg=rg, prep=prep, dtype="f32")


def P(name, shape, rg=True, prep=None):
    """Positive f32 input, uniform [0.2, 3) (the v1 convention for log/sqrt)."""
    return R(name, shape, lo=0.2, hi=3.0, rg=rg, prep=prep)


def I(name, shape, lo, hi, prep=None):
    """Random i64 input, uniform integers in [lo, hi); never requires grad."""
    return dict(name=name, kind="int", shape=list(shape), lo=lo, hi=hi, rg=False, prep=prep,
                dtype="i64")


def B(name, shape, p=0.5, prep=None):
    """Random bool input, True with probability p; never requires grad."""
    return dict(name=name, kind="bool", shape=list(shape), p=p, rg=False, prep=prep, dtype="bool")


def D(name, data, dtype="f32", shape=None, rg=None, prep=None):
    """Explicit input data (nested list, or flat list with shape)."""
    if rg is None:
        rg = dtype == "f32"
    return dict(name=name, kind="data", data=data, shape=shape, rg=rg, prep=prep, dtype=dtype)


TORCH_DTYPE = {"f32": torch.float32, "f64": torch.float64, "i64": torch.int64, "bool": torch.bool}


def make_leaf(spec, g):
    shape = spec["shape"]
    k = spec["kind"]
    if k == "rand":
        if spec["away"] is not None:
            lo, hi = spec["away"]
            mag = torch.rand(shape, generator=g) * (hi - lo) + lo
            sign = torch.where(torch.rand(shape, generator=g) < 0.5, -1.0, 1.0)
            t = mag * sign
        elif spec["lo"] is not None:
            t = torch.rand(shape, generator=g) * (spec["hi"] - spec["lo"]) + spec["lo"]
        else:
            t = torch.randn(shape, generator=g) * spec["scale"]
        return t.to(torch.float32)
    if k == "int":
        return torch.randint(spec["lo"], spec["hi"], shape, generator=g, dtype=torch.int64)
    if k == "bool":
        return torch.rand(shape, generator=g) < spec["p"]
    if k == "data":
        t = torch.tensor(spec["data"], dtype=TORCH_DTYPE[spec["dtype"]])
        if spec["shape"] is not None:
            t = t.reshape(spec["shape"])
        return t
    raise ValueError(k)


# --------------------------------------------------------------------------------------------
# "prep" view chains (applied in order to the leaf before the op)
# --------------------------------------------------------------------------------------------


def apply_prep(x, prep):
    for step in prep or []:
        op, args = step[0], step[1:]
        if op == "t":
            x = x.t()
        elif op == "transpose":
            x = x.transpose(args[0], args[1])
        elif op == "permute":
            x = x.permute(*args[0])
        elif op == "narrow":
            x = x.narrow(args[0], args[1], args[2])
        elif op == "select":
            x = x.select(args[0], args[1])
        elif op == "slice":
            dim, start, end, step_ = args
            dim = dim % x.dim()
            x = x[(slice(None),) * dim + (slice(start, end, step_),)]
        elif op == "expand":
            x = x.expand(*args[0])
        elif op == "unsqueeze":
            x = x.unsqueeze(args[0])
        elif op == "squeeze":
            x = x.squeeze(args[0]) if args else x.squeeze()
        elif op == "diagonal":
            x = x.diagonal(*args)
        else:
            raise ValueError("unknown prep op " + op)
    return x


# --------------------------------------------------------------------------------------------
# Case registry
# --------------------------------------------------------------------------------------------

CASES = []


def case(name, op, expr, inputs, attrs=None, desc="", fix=None, cot="first"):
    """expr is evaluated with the (prepped) inputs bound to their names, torch and F.
    fix(d): optional in-place edit of the leaf tensors {name: tensor} after drawing them (ties,
    exact zeros...). cot: "first" = a cotangent for output 0 only ("cotangent"), "all" = one per
    float output ("cotangents")."""
    assert all(c["name"] != name for c in CASES), name
    CASES.append(dict(name=name, op=op, expr=expr, inputs=inputs, attrs=attrs or {}, desc=desc,
                      fix=fix, cot=cot))


# ------------------------------------------------------------------------------ views
case("view", "view", "a.view(4, 6)", [R("a", [2, 3, 4])], {"shape": [4, 6]}, "(2,3,4) -> (4,6)")
case("view_infer", "view", "a.view(-1, 3)", [R("a", [4, 3, 2])], {"shape": [-1, 3]},
     "-1 is inferred: (4,3,2) -> (8,3)")
case("view_to_0d", "view", "a.view([])", [R("a", [1, 1])], {"shape": []}, "(1,1) -> 0-d")
case("reshape_infer", "reshape", "a.reshape(2, -1)", [R("a", [3, 4])], {"shape": [2, -1]},
     "(3,4) -> (2,6)")
case("reshape_noncontig", "reshape", "a.reshape(6, 2)", [R("a", [3, 4], prep=[["t"]])],
     {"shape": [6, 2]}, "input is the transpose (4,3) of a (3,4) leaf, so reshape must copy")
case("reshape_0d_to_1d", "reshape", "a.reshape(1)", [R("a", [])], {"shape": [1]}, "0-d -> (1,)")
case("reshape_empty", "reshape", "a.reshape(3, 0, 2)", [R("a", [0, 6])], {"shape": [3, 0, 2]},
     "empty (0,6) -> (3,0,2)")
case("transpose_3d", "transpose", "a.transpose(0, 2)", [R("a", [2, 3, 4])],
     {"dim0": 0, "dim1": 2})
case("transpose_negdims", "transpose", "a.transpose(-1, -2)", [R("a", [2, 3, 4])],
     {"dim0": -1, "dim1": -2})
case("permute", "permute", "a.permute(2, 0, 1)", [R("a", [2, 3, 4])], {"dims": [2, 0, 1]})
case("permute_negdims", "permute", "a.permute(-1, 0, -2)", [R("a", [2, 3, 4])],
     {"dims": [-1, 0, -2]})
case("permute_noncontig", "permute", "a.permute(1, 0, 2)",
     [R("a", [4, 3, 2], prep=[["transpose", 0, 2]])], {"dims": [1, 0, 2]},
     "leaf (4,3,2) transposed to (2,3,4) first")
case("t_2d", "t", "a.t()", [R("a", [3, 5])])
case("t_1d", "t", "a.t()", [R("a", [4])], {}, "t of a 1-d tensor is the identity")
case("mT", "mT", "a.mT", [R("a", [2, 3, 4])], {}, "batched matrix transpose (last two dims)")
case("expand", "expand", "a.expand(3, 4)", [R("a", [1, 4])], {"size": [3, 4]})
case("expand_new_dims", "expand", "a.expand(2, -1, 4)", [R("a", [3, 1])], {"size": [2, -1, 4]},
     "(3,1) -> (2,3,4): a new leading dim, -1 keeps a size")
case("expand_0d", "expand", "a.expand(2, 3)", [R("a", [])], {"size": [2, 3]})
case("narrow", "narrow", "a.narrow(1, 1, 2)", [R("a", [3, 5])],
     {"dim": 1, "start": 1, "length": 2})
case("narrow_negdim", "narrow", "a.narrow(-1, 0, 3)", [R("a", [2, 3, 4])],
     {"dim": -1, "start": 0, "length": 3})
case("select", "select", "a.select(0, 1)", [R("a", [3, 4])], {"dim": 0, "index": 1})
case("select_neg", "select", "a.select(-1, -1)", [R("a", [2, 3, 4])], {"dim": -1, "index": -1},
     "negative dim and negative index")
case("select_to_0d", "select", "a.select(0, 2)", [R("a", [4])], {"dim": 0, "index": 2},
     "selecting from a 1-d tensor gives a 0-d tensor")
case("squeeze_all", "squeeze", "a.squeeze()", [R("a", [1, 3, 1, 2])], {},
     "no dim: every size-1 dim removed")
case("squeeze_dim", "squeeze", "a.squeeze(1)", [R("a", [3, 1, 2])], {"dim": 1})
case("squeeze_noop", "squeeze", "a.squeeze(-1)", [R("a", [3, 2])], {"dim": -1},
     "dim of size 2: squeeze leaves the tensor unchanged")
case("squeeze_dims", "squeeze", "a.squeeze((0, 2))", [R("a", [1, 3, 1, 1])], {"dim": [0, 2]},
     "a tuple of dims")
case("unsqueeze", "unsqueeze", "a.unsqueeze(0)", [R("a", [3, 4])], {"dim": 0})
case("unsqueeze_neg", "unsqueeze", "a.unsqueeze(-1)", [R("a", [3, 4])], {"dim": -1},
     "-1 appends a trailing dim: (3,4) -> (3,4,1)")
case("unsqueeze_0d", "unsqueeze", "a.unsqueeze(0)", [R("a", [])], {"dim": 0})
case("flatten", "flatten", "a.flatten()", [R("a", [2, 3, 4])], {})
case("flatten_range", "flatten", "a.flatten(1, 2)", [R("a", [2, 3, 2, 2])],
     {"start_dim": 1, "end_dim": 2})
case("flatten_neg", "flatten", "a.flatten(start_dim=0, end_dim=-2)",
     [R("a", [3, 4, 2], prep=[["permute", [1, 0, 2]]])], {"start_dim": 0, "end_dim": -2},
     "non-contiguous input (permuted leaf)")
case("flatten_0d", "flatten", "a.flatten()", [R("a", [])], {}, "0-d -> (1,)")
case("unflatten", "unflatten", "a.unflatten(1, (2, 3))", [R("a", [4, 6])],
     {"dim": 1, "sizes": [2, 3]})
case("unflatten_infer", "unflatten", "a.unflatten(-1, (2, -1))", [R("a", [3, 8])],
     {"dim": -1, "sizes": [2, -1]})
case("unbind", "unbind", "a.unbind(1)", [R("a", [2, 3, 2])], {"dim": 1},
     "3 outputs, one cotangent each", cot="all")
case("unbind_neg", "unbind", "torch.unbind(a, dim=-1)", [R("a", [3, 2], prep=[["t"]])],
     {"dim": -1}, "leaf (3,2), transposed to (2,3), unbound along the last dim", cot="all")
case("split_int", "split", "a.split(2, dim=0)", [R("a", [5, 3])],
     {"split_size_or_sections": 2, "dim": 0}, "5 rows into 2,2,1", cot="all")
case("split_list", "split", "a.split([1, 3], dim=1)", [R("a", [3, 4])],
     {"split_size_or_sections": [1, 3], "dim": 1}, cot="all")
case("split_list_zero", "split", "torch.split(a, [2, 0, 3], dim=-1)", [R("a", [2, 5])],
     {"split_size_or_sections": [2, 0, 3], "dim": -1},
     "the middle piece is empty (2,0); it still gets an (empty) cotangent", cot="all")
case("chunk", "chunk", "a.chunk(3, dim=1)", [R("a", [2, 6])], {"chunks": 3, "dim": 1}, cot="all")
case("chunk_uneven", "chunk", "a.chunk(3, dim=0)", [R("a", [5, 2])], {"chunks": 3, "dim": 0},
     "5 rows -> 2,2,1", cot="all")
case("chunk_fewer", "chunk", "a.chunk(4, dim=-1)", [R("a", [2, 6])], {"chunks": 4, "dim": -1},
     "6 into chunks of ceil(6/4)=2 gives only 3 chunks", cot="all")
case("diagonal", "diagonal", "a.diagonal()", [R("a", [4, 4])], {"offset": 0, "dim1": 0, "dim2": 1})
case("diagonal_offset", "diagonal", "a.diagonal(offset=1)", [R("a", [3, 5])],
     {"offset": 1, "dim1": 0, "dim2": 1})
case("diagonal_3d", "diagonal", "a.diagonal(offset=-1, dim1=1, dim2=2)", [R("a", [2, 4, 3])],
     {"offset": -1, "dim1": 1, "dim2": 2}, "the diagonal dim is appended last: (2,4,3) -> (2,3)")
case("diagonal_negdims", "diagonal", "torch.diagonal(a, 0, -2, -1)", [R("a", [3, 2, 2])],
     {"offset": 0, "dim1": -2, "dim2": -1})
case("slice_step", "slice", "a[:, 1:5:2]", [R("a", [3, 6])],
     {"dim": 1, "start": 1, "end": 5, "step": 2})
case("slice_neg_start", "slice", "a[..., -3:]", [R("a", [2, 5])],
     {"dim": -1, "start": -3, "end": None, "step": 1}, "end null = to the end")
case("slice_clamped", "slice", "a[1:10:2]", [R("a", [6, 2])],
     {"dim": 0, "start": 1, "end": 10, "step": 2}, "end past the size is clamped")
case("slice_empty", "slice", "a[:, 2:2]", [R("a", [3, 4])],
     {"dim": 1, "start": 2, "end": 2, "step": 1}, "empty result (3,0)")
case("slice_noncontig", "slice", "a[:, ::3]", [R("a", [7, 3], prep=[["t"]])],
     {"dim": 1, "start": None, "end": None, "step": 3}, "step 3 over the transpose of a (7,3) leaf")
case("contiguous", "contiguous", "a.contiguous()", [R("a", [3, 4], prep=[["t"]])], {},
     "copy of a transposed view")
case("contiguous_slice", "contiguous", "a.contiguous()",
     [R("a", [4, 6], prep=[["slice", 1, 0, 6, 2], ["narrow", 0, 1, 2]])], {},
     "a strided 2x3 window of a (4,6) leaf")

# ------------------------------------------------------------------------------ joining / indexing
case("cat_dim0", "cat", "torch.cat([a, b], dim=0)", [R("a", [2, 3]), R("b", [3, 3])], {"dim": 0})
case("cat_negdim", "cat", "torch.cat([a, b, c], dim=-1)",
     [R("a", [2, 2, 1]), R("b", [2, 2, 3]), R("c", [2, 2, 2])], {"dim": -1})
case("cat_empty", "cat", "torch.cat([a, b], dim=0)", [R("a", [2, 3]), R("b", [0, 3])], {"dim": 0},
     "b is empty (0,3)")
case("cat_noncontig", "cat", "torch.cat([a, b], dim=1)",
     [R("a", [3, 2], prep=[["t"]]), R("b", [2, 4, 2], prep=[["select", 2, 1]])], {"dim": 1},
     "a = transposed (3,2) leaf; b = select(2,1) of a (2,4,2) leaf")
case("stack", "stack", "torch.stack([a, b], dim=1)", [R("a", [2, 3]), R("b", [2, 3])], {"dim": 1})
case("stack_negdim", "stack", "torch.stack([a, b, c], dim=-1)",
     [R("a", [3]), R("b", [3]), R("c", [3])], {"dim": -1})
case("stack_0d", "stack", "torch.stack([a, b])", [R("a", []), R("b", [])], {"dim": 0},
     "two 0-d tensors -> (2,)")
case("hstack_2d", "hstack", "torch.hstack([a, b])", [R("a", [2, 3]), R("b", [2, 1])], {},
     "2-d: cat along dim 1")
case("hstack_1d", "hstack", "torch.hstack([a, b])", [R("a", [3]), R("b", [2])], {},
     "1-d: cat along dim 0")
case("vstack_2d", "vstack", "torch.vstack([a, b])", [R("a", [2, 3]), R("b", [1, 3])], {})
case("vstack_1d", "vstack", "torch.vstack([a, b])", [R("a", [3]), R("b", [3])], {},
     "1-d inputs become rows: (3,),(3,) -> (2,3)")
case("index_select", "index_select", "torch.index_select(a, 0, index)",
     [R("a", [4, 3]), D("index", [2, 0, 2, 3], "i64")], {"dim": 0},
     "repeated index 2: its gradient rows add up")
case("index_select_negdim", "index_select", "a.index_select(-1, index)",
     [R("a", [5, 2], prep=[["t"]]), D("index", [4, 4, 1], "i64")], {"dim": -1})
case("index_select_empty", "index_select", "torch.index_select(a, 0, index)",
     [R("a", [3, 4]), D("index", [], "i64")], {"dim": 0}, "empty index: output (0,4), zero grad")
case("gather", "gather", "torch.gather(a, 1, index)",
     [R("a", [3, 4]), D("index", [[0, 0], [3, 1], [2, 2]], "i64")], {"dim": 1},
     "index smaller than a along dim 1; repeated indices")
case("gather_dim0", "gather", "torch.gather(a, 0, index)",
     [R("a", [3, 4]), D("index", [[2, 0, 1, 1], [0, 0, 2, 1]], "i64")], {"dim": 0})
case("gather_negdim", "gather", "torch.gather(a, -1, index)",
     [R("a", [2, 3, 4]), I("index", [2, 3, 5], 0, 4)], {"dim": -1},
     "index longer than a along dim -1 (5 > 4): repeats are unavoidable")
case("scatter", "scatter", "torch.scatter(a, 1, index, src)",
     [R("a", [3, 5]), D("index", [[4, 0], [1, 2], [3, 1]], "i64"), R("src", [3, 2])], {"dim": 1},
     "unique indices per row (duplicates are nondeterministic); overwritten positions of a get no grad")
case("scatter_dim0", "scatter", "torch.scatter(a, 0, index, src)",
     [R("a", [3, 4]), D("index", [[2, 0, 1, 1], [1, 2, 0, 2]], "i64"), R("src", [2, 4])],
     {"dim": 0}, "each column's indices unique")
case("scatter_add", "scatter_add", "torch.scatter_add(a, 0, index, src)",
     [R("a", [3, 4]), D("index", [[0, 1, 2, 0], [0, 2, 2, 1], [1, 1, 0, 0]], "i64"),
      R("src", [3, 4])], {"dim": 0}, "repeated indices add up")
case("scatter_add_negdim", "scatter_add", "a.scatter_add(-1, index, src)",
     [R("a", [2, 4]), I("index", [2, 3], 0, 4), R("src", [2, 3])], {"dim": -1},
     "index (2,3) into a (2,4) along the last dim, repeats add up (src larger than index "
     "is rejected by PyTorch's backward)")
case("masked_fill", "masked_fill", "a.masked_fill(mask, -1.5)",
     [R("a", [3, 4]), B("mask", [3, 4])], {"value": -1.5})
case("masked_fill_bcast", "masked_fill", "a.masked_fill(mask, 2.0)",
     [R("a", [2, 3, 4]), D("mask", [[True, False, False, True]], "bool")], {"value": 2.0},
     "mask (1,4) broadcast over (2,3,4)")
case("masked_fill_noncontig", "masked_fill", "a.masked_fill(mask, 0.0)",
     [R("a", [4, 3], prep=[["t"]]), B("mask", [3, 1], p=0.5)], {"value": 0.0},
     "a is the transpose of a (4,3) leaf; mask (3,1) broadcast")
case("where", "where", "torch.where(cond, a, b)", [B("cond", [3, 4]), R("a", [3, 4]), R("b", [3, 4])])
case("where_bcast", "where", "torch.where(cond, a, b)",
     [D("cond", [[True], [False], [True]], "bool"), R("a", [3, 4]), R("b", [4])], {},
     "cond (3,1), a (3,4), b (4,) -> (3,4); b's grad summed over rows")
case("where_0d", "where", "torch.where(cond, a, b)",
     [B("cond", [2, 3]), R("a", [4, 3], prep=[["slice", 0, 0, 4, 2]]), R("b", [])], {},
     "b is 0-d; a is rows 0 and 2 of a (4,3) leaf (slice with step 2)")
case("masked_select", "masked_select", "torch.masked_select(a, mask)",
     [R("a", [3, 4]), B("mask", [3, 4])], {}, "1-d output, row-major order")
case("masked_select_bcast", "masked_select", "torch.masked_select(a, mask)",
     [R("a", [2, 3]), D("mask", [True, False, True], "bool")], {}, "mask (3,) broadcast to (2,3)")
case("masked_select_none", "masked_select", "torch.masked_select(a, mask)",
     [R("a", [2, 3]), D("mask", [[False] * 3] * 2, "bool")], {}, "nothing selected: empty output")
case("tril", "tril", "torch.tril(a)", [R("a", [4, 4])], {"diagonal": 0})
case("tril_neg", "tril", "torch.tril(a, diagonal=-1)", [R("a", [3, 5])], {"diagonal": -1})
case("triu_pos", "triu", "torch.triu(a, diagonal=1)", [R("a", [4, 3])], {"diagonal": 1})
case("triu_batched", "triu", "torch.triu(a)", [R("a", [2, 3, 3], prep=[["transpose", 1, 2]])],
     {"diagonal": 0}, "batched, on the transpose of the last two dims")
case("repeat", "repeat", "a.repeat(2, 3)", [R("a", [2, 2])], {"repeats": [2, 3]})
case("repeat_newdims", "repeat", "a.repeat(2, 1, 2)", [R("a", [3, 2])], {"repeats": [2, 1, 2]},
     "more repeats than dims: leading dims added")
case("flip", "flip", "torch.flip(a, dims=[0])", [R("a", [3, 4])], {"dims": [0]})
case("flip_two", "flip", "torch.flip(a, dims=[0, -1])", [R("a", [2, 3, 4])], {"dims": [0, -1]})
case("roll", "roll", "torch.roll(a, shifts=1, dims=1)", [R("a", [3, 4])], {"shifts": 1, "dims": 1})
case("roll_two", "roll", "torch.roll(a, shifts=(2, -1), dims=(0, 1))",
     [R("a", [3, 4], prep=[["t"]])], {"shifts": [2, -1], "dims": [0, 1]})
case("roll_flat", "roll", "torch.roll(a, shifts=3)", [R("a", [2, 4])], {"shifts": 3},
     "no dims: rolls the flattened tensor, then restores the shape")
case("one_hot", "one_hot", "F.one_hot(index, num_classes=5)", [D("index", [3, 0, 4, 0], "i64")],
     {"num_classes": 5}, "i64 output")
case("one_hot_infer", "one_hot", "F.one_hot(index)", [D("index", [[1, 2], [2, 0]], "i64")],
     {"num_classes": -1}, "num_classes inferred as max+1 = 3; output (2,2,3)")
case("pad", "pad", "F.pad(a, (1, 2), value=0.5)", [R("a", [2, 3])],
     {"pad": [1, 2], "mode": "constant", "value": 0.5}, "last dim padded 1 left, 2 right")
case("pad_2dims", "pad", "F.pad(a, (1, 0, 2, 1))", [R("a", [2, 2, 3])],
     {"pad": [1, 0, 2, 1], "mode": "constant", "value": 0.0},
     "last dim (1,0), second-to-last (2,1)")
case("pad_negative", "pad", "F.pad(a, (-1, 1))", [R("a", [3, 4], prep=[["t"]])],
     {"pad": [-1, 1], "mode": "constant", "value": 0.0},
     "negative pad crops: first column dropped, a zero column appended")
case("take_along_dim", "take_along_dim", "torch.take_along_dim(a, index, dim=1)",
     [R("a", [3, 4]), D("index", [[0, 3], [1, 1], [2, 0]], "i64")], {"dim": 1})
case("take_along_dim_bcast", "take_along_dim", "torch.take_along_dim(a, index, dim=0)",
     [R("a", [3, 4]), D("index", [[2, 0, 1, 2]], "i64")], {"dim": 0}, "index (1,4)")
case("take_along_dim_flat", "take_along_dim", "torch.take_along_dim(a, index)",
     [R("a", [2, 3]), D("index", [5, 0, 5, 2], "i64")], {}, "no dim: indexes the flattened tensor")
case("take_along_dim_argmax", "take_along_dim",
     "torch.take_along_dim(a, index, dim=-1)",
     [R("a", [2, 3, 4]), D("index", [[[1], [0], [3]], [[2], [2], [0]]], "i64")], {"dim": -1},
     "index (2,3,1) as produced by argmax(dim=-1, keepdim=True)")
case("embedding", "embedding", "F.embedding(index, weight)",
     [D("index", [1, 3, 1, 0, 1], "i64"), R("weight", [5, 3])], {},
     "index 1 used three times: its gradient rows add up; rows 2,4 get zero")
case("embedding_2d", "embedding", "F.embedding(index, weight)",
     [D("index", [[0, 2], [2, 2], [4, 1]], "i64"), R("weight", [6, 4])], {},
     "(3,2) indices -> (3,2,4)")
case("embedding_padding_idx", "embedding", "F.embedding(index, weight, padding_idx=0)",
     [D("index", [[0, 2, 0], [1, 2, 3]], "i64"), R("weight", [4, 3])], {"padding_idx": 0},
     "row 0 is gathered like any other but gets no gradient")

# ------------------------------------------------------------------------------ elementwise


def _tie(d, src, dst, idx):
    """d[dst].flat[idx] = d[src].flat[idx] (exact ties)."""
    d[dst].view(-1)[idx] = d[src].view(-1)[idx]


case("sin", "sin", "torch.sin(a)", [R("a", [3, 4], scale=2.0)])
case("sin_0d", "sin", "torch.sin(a)", [R("a", [])], {}, "0-d input")
case("sin_empty", "sin", "torch.sin(a)", [R("a", [0, 3])], {}, "empty input")
case("cos", "cos", "torch.cos(a)", [R("a", [3, 4], scale=2.0)])
case("cos_noncontig", "cos", "torch.cos(a)", [R("a", [2, 3, 4], prep=[["permute", [2, 0, 1]]])])
case("tan", "tan", "torch.tan(a)", [R("a", [3, 4], lo=-1.2, hi=1.2)])
case("asin", "asin", "torch.asin(a)", [R("a", [3, 4], lo=-0.9, hi=0.9)])
case("atan", "atan", "torch.atan(a)", [R("a", [3, 4], scale=2.0)])
case("atan2", "atan2", "torch.atan2(a, b)", [R("a", [3, 4]), R("b", [3, 4])], {},
     "y=a, x=b, all four quadrants")
case("atan2_bcast", "atan2", "torch.atan2(a, b)", [R("a", [2, 3]), R("b", [3], away=(0.3, 2.0))])
case("sinh", "sinh", "torch.sinh(a)", [R("a", [3, 4], scale=1.5)])
case("cosh", "cosh", "torch.cosh(a)", [R("a", [3, 4], scale=1.5)])
case("erf", "erf", "torch.erf(a)", [R("a", [3, 4])])
case("rsqrt", "rsqrt", "torch.rsqrt(a)", [P("a", [3, 4])])
case("reciprocal", "reciprocal", "torch.reciprocal(a)", [R("a", [3, 4], away=(0.3, 2.0))])
case("log1p", "log1p", "torch.log1p(a)", [R("a", [3, 4], lo=-0.8, hi=3.0)])
case("expm1", "expm1", "torch.expm1(a)", [R("a", [3, 4])])
case("log2", "log2", "torch.log2(a)", [P("a", [3, 4])])
case("log10", "log10", "torch.log10(a)", [P("a", [3, 4])])
case("exp2", "exp2", "torch.exp2(a)", [R("a", [3, 4], scale=2.0)])
case("square", "square", "torch.square(a)", [R("a", [3, 4])])
case("abs", "abs", "torch.abs(a)", [R("a", [3, 4], away=(0.1, 2.0))], {}, "no zeros")
case("sign", "sign", "torch.sign(a)",
     [D("a", [[-1.5, 0.0, 2.25], [0.5, -0.25, -3.0]])], {}, "includes an exact 0 (sign 0); grad 0")
case("floor", "floor", "torch.floor(a)", [R("a", [3, 4], scale=2.0)], {}, "gradient is zero")
case("ceil", "ceil", "torch.ceil(a)", [R("a", [3, 4], scale=2.0)], {}, "gradient is zero")
case("round", "round", "torch.round(a)",
     [D("a", [[-2.5, -1.5, -0.5, 0.5], [1.5, 2.5, 0.49, -0.51], [1.7, -1.2, 3.3, 2.6]])], {},
     "exact halves round to even; gradient is zero")
case("round_decimals", "round", "torch.round(a, decimals=1)", [R("a", [3, 4], scale=2.0)],
     {"decimals": 1}, "round(x*10)/10 computed in f32; gradient is zero")
case("trunc", "trunc", "torch.trunc(a)", [R("a", [3, 4], scale=2.0)], {},
     "toward zero; gradient is zero")
case("frac", "frac", "torch.frac(a)", [R("a", [3, 4], scale=2.0)], {},
     "x - trunc(x) (negative for negative x); gradient is 1")
case("pow_tensor", "pow", "torch.pow(a, b)", [P("a", [3, 4]), R("b", [3, 4])], {},
     "positive base; both require grad")
case("pow_tensor_bcast", "pow", "torch.pow(a, b)", [P("a", [2, 3]), R("b", [])], {},
     "0-d exponent broadcast")
case("pow_tensor_noncontig", "pow", "a ** b",
     [P("a", [3, 2], prep=[["t"]]), R("b", [2, 1])], {}, "a transposed; b (2,1) broadcast")
case("pow_int", "pow", "torch.pow(a, 3)", [R("a", [3, 4])], {"exponent": 3},
     "integer exponent, negative bases allowed")
case("pow_neg_int", "pow", "a ** -2", [R("a", [3, 4], away=(0.4, 2.0))], {"exponent": -2})
case("pow_scalar_base", "pow", "torch.pow(2.5, b)", [R("b", [3, 4])], {"self": 2.5},
     "Python scalar base, tensor exponent")
case("maximum", "maximum", "torch.maximum(a, b)", [R("a", [3, 4]), R("b", [3, 4])],
     {}, "4 exact ties: each tie sends half the cotangent to a and half to b",
     fix=lambda d: _tie(d, "a", "b", [0, 5, 7, 10]))
case("maximum_bcast", "maximum", "torch.maximum(a, b)", [R("a", [3, 4]), R("b", [4])], {},
     "b broadcast over rows; b[1] ties a[2,1]",
     fix=lambda d: d["b"].__setitem__(1, d["a"][2, 1].item()))
case("minimum", "minimum", "torch.minimum(a, b)", [R("a", [3, 4]), R("b", [3, 4])],
     {}, "3 exact ties: half/half",
     fix=lambda d: _tie(d, "a", "b", [1, 6, 11]))
case("minimum_noncontig", "minimum", "torch.minimum(a, b)",
     [R("a", [4, 3], prep=[["t"]]), R("b", [3, 1])], {}, "a transposed; b (3,1) broadcast")
case("clamp_tensor", "clamp", "torch.clamp(a, min=lo, max=hi)",
     [R("a", [3, 4], scale=1.5), R("lo", [3, 4], lo=-1.0, hi=-0.2), R("hi", [3, 4], lo=0.2, hi=1.0)],
     {}, "tensor bounds, all three require grad; lo < hi everywhere; no ties")
case("clamp_tensor_bcast", "clamp", "torch.clamp(a, min=lo, max=hi)",
     [R("a", [3, 4]), R("lo", [4], lo=-0.8, hi=-0.1), R("hi", [3, 1], lo=0.1, hi=0.8)],
     {}, "bounds broadcast; their grads are reduced")
case("clamp_scalar", "clamp", "torch.clamp(a, min=-0.5, max=0.5)", [R("a", [3, 4])],
     {"min": -0.5, "max": 0.5})
case("clamp_min_only", "clamp", "torch.clamp(a, min=0.1)", [R("a", [3, 4])], {"min": 0.1})
case("lerp_scalar", "lerp", "torch.lerp(a, b, 0.3)", [R("a", [3, 4]), R("b", [3, 4])],
     {"weight": 0.3})
case("lerp_tensor", "lerp", "torch.lerp(a, b, w)",
     [R("a", [3, 4]), R("b", [4]), R("w", [3, 1], lo=0.0, hi=1.0)], {},
     "tensor weight, all require grad, broadcast")
case("addcmul", "addcmul", "torch.addcmul(a, b, c, value=0.5)",
     [R("a", [3, 4]), R("b", [3, 4]), R("c", [4])], {"value": 0.5}, "a + 0.5*b*c, c broadcast")
case("addcdiv", "addcdiv", "torch.addcdiv(a, b, c, value=-2.0)",
     [R("a", [3, 4]), R("b", [4, 3], prep=[["t"]]), R("c", [3, 4], away=(0.5, 2.0))],
     {"value": -2.0}, "a - 2*b/c, c away from zero")
case("exp_noncontig", "exp", "torch.exp(a)", [R("a", [3, 4], prep=[["narrow", 1, 1, 2]])], {},
     "columns 1..2 of a (3,4) leaf")
case("mul_expand_prep", "mul", "a * b",
     [R("a", [3], prep=[["unsqueeze", 0], ["expand", [2, 3]]]), R("b", [2, 3])], {},
     "a is a (3,) leaf unsqueezed and expanded to (2,3); its grad is summed over the copies")
case("add_diag_prep", "add", "a + b", [R("a", [3, 3], prep=[["diagonal", 0, 0, 1]]), R("b", [3])],
     {}, "a is the diagonal of a (3,3) leaf; off-diagonal grads are zero")
case("sub_select_prep", "sub", "a - b",
     [R("a", [2, 3, 4], prep=[["select", 1, 2]]), R("b", [4, 1, 2], prep=[["squeeze", 1], ["t"]])],
     {}, "a = leaf[:, 2, :]; b = a (4,1,2) leaf squeezed and transposed to (2,4)")
case("div_noncontig_0d", "div", "a / b", [R("a", [2, 3], prep=[["t"]]), R("b", [], away=(0.5, 2.0))])

# ------------------------------------------------------------------------------ activations
case("gelu", "gelu", "F.gelu(a)", [R("a", [3, 4], scale=2.0)], {"approximate": "none"})
case("gelu_tanh", "gelu", "F.gelu(a, approximate='tanh')", [R("a", [3, 4], scale=2.0)],
     {"approximate": "tanh"})
case("silu", "silu", "F.silu(a)", [R("a", [3, 4], scale=2.0)])
case("elu", "elu", "F.elu(a, alpha=0.7)", [R("a", [3, 4], away=(0.05, 2.0))], {"alpha": 0.7})
case("selu", "selu", "F.selu(a)", [R("a", [3, 4], away=(0.05, 2.0))])
case("celu", "celu", "F.celu(a, alpha=1.3)", [R("a", [3, 4], away=(0.05, 2.0))], {"alpha": 1.3})
case("softplus", "softplus", "F.softplus(a, beta=2.0, threshold=1.5)", [R("a", [3, 4], scale=1.5)],
     {"beta": 2.0, "threshold": 1.5}, "linear (identity) where beta*x > threshold")
case("softplus_default", "softplus", "F.softplus(a)", [R("a", [3, 4], scale=3.0)],
     {"beta": 1.0, "threshold": 20.0})
case("softsign", "softsign", "F.softsign(a)", [R("a", [3, 4], scale=2.0)])
case("hardtanh", "hardtanh", "F.hardtanh(a, min_val=-0.5, max_val=1.2)", [R("a", [3, 4], scale=1.5)],
     {"min_val": -0.5, "max_val": 1.2})
case("relu6", "relu6", "F.relu6(a)", [R("a", [3, 4], scale=4.0)])
case("hardsigmoid", "hardsigmoid", "F.hardsigmoid(a)", [R("a", [3, 4], scale=3.0)])
case("hardswish", "hardswish", "F.hardswish(a)", [R("a", [3, 4], scale=3.0)])
case("mish", "mish", "F.mish(a)", [R("a", [3, 4], scale=2.0)])
case("logsigmoid", "logsigmoid", "F.logsigmoid(a)", [R("a", [3, 4], scale=3.0)])
case("leaky_relu", "leaky_relu", "F.leaky_relu(a, negative_slope=0.1)",
     [R("a", [3, 4], away=(0.05, 2.0))], {"negative_slope": 0.1})
case("relu_noncontig", "relu", "torch.relu(a)",
     [R("a", [3, 4], away=(0.05, 2.0), prep=[["slice", 1, 0, 4, 2], ["t"]])], {},
     "every other column of a (3,4) leaf, transposed")
case("sigmoid_0d", "sigmoid", "torch.sigmoid(a)", [R("a", [])])
case("softmax_f64", "softmax", "torch.softmax(a, dim=-1, dtype=torch.float64)", [R("a", [3, 4])],
     {"dim": -1, "dtype": "f64"}, "f32 input cast to f64 first; f64 output, cotangent and grads of the f32 input are f32")
case("log_softmax_f64", "log_softmax", "torch.log_softmax(a, dim=1, dtype=torch.float64)",
     [R("a", [2, 3, 4])], {"dim": 1, "dtype": "f64"}, "f64 output")
case("softmax_dim0", "softmax", "torch.softmax(a, dim=0)", [R("a", [3, 4], prep=[["t"]])],
     {"dim": 0}, "over dim 0 of a transposed leaf")
case("log_softmax_neg2", "log_softmax", "F.log_softmax(a, dim=-2)", [R("a", [2, 3, 4])],
     {"dim": -2})

# ------------------------------------------------------------------------------ reductions


def _set(name, idx, value_of):
    def f(d):
        v = value_of(d)
        for i in idx:
            d[name].view(-1)[i] = v
    return f


case("max_all_ties", "max", "a.max()", [R("a", [3, 4])], {},
     "the maximum occurs twice: the gradient is split evenly (0.5 each)",
     fix=_set("a", [2, 9], lambda d: d["a"].max().item() + 0.5))
case("min_all_ties", "min", "torch.min(a)", [R("a", [2, 3, 2])], {},
     "the minimum occurs three times: each gets 1/3 of the cotangent",
     fix=_set("a", [0, 5, 11], lambda d: d["a"].min().item() - 0.25))
case("max_all_0d", "max", "a.max()", [R("a", [])])
case("max_dim", "max", "a.max(dim=1)", [R("a", [3, 4])], {"dim": 1, "keepdim": False},
     "outputs (values f32, indices i64); cotangent on values only")
case("max_dim_keepdim", "max", "torch.max(a, dim=-1, keepdim=True)", [R("a", [2, 3, 4])],
     {"dim": -1, "keepdim": True})
case("min_dim", "min", "a.min(dim=0)", [R("a", [3, 4], prep=[["t"]])], {"dim": 0, "keepdim": False},
     "on a transposed leaf")
case("amax_dims_ties", "amax", "torch.amax(a, dim=(0, 2))", [R("a", [2, 3, 2])],
     {"dim": [0, 2], "keepdim": False},
     "for output 1 the max occurs twice: gradient split evenly",
     fix=lambda d: d["a"][:, 1, :].copy_(torch.tensor([[3.0, 1.0], [-1.0, 3.0]])))
case("amin_keepdim_ties", "amin", "torch.amin(a, dim=-1, keepdim=True)", [R("a", [3, 4])],
     {"dim": -1, "keepdim": True}, "row 0 has its minimum 3 times, row 2 twice",
     fix=lambda d: (d["a"][0].__setitem__([0, 1, 3], -2.5), d["a"][2].__setitem__([1, 2], -3.0)))
case("amax_all_dims", "amax", "torch.amax(a, dim=(-1, 0))", [R("a", [3, 2, 2], prep=[["permute", [1, 2, 0]]])],
     {"dim": [-1, 0], "keepdim": False}, "on a permuted leaf")
case("sum_dims_keepdim", "sum", "a.sum(dim=(0, 2), keepdim=True)", [R("a", [2, 3, 4])],
     {"dim": [0, 2], "keepdim": True})
case("sum_negdims", "sum", "torch.sum(a, dim=(-1, 0))", [R("a", [2, 3, 4])],
     {"dim": [-1, 0], "keepdim": False})
case("sum_empty_dim", "sum", "a.sum(dim=1)", [R("a", [3, 0])], {"dim": 1, "keepdim": False},
     "summing an empty dim gives zeros")
case("sum_all_empty", "sum", "a.sum()", [R("a", [0, 4])], {}, "0-d zero")
case("sum_0d", "sum", "a.sum()", [R("a", [])])
case("sum_noncontig", "sum", "a.sum(dim=0)", [R("a", [3, 5], prep=[["t"], ["narrow", 0, 1, 3]])],
     {"dim": 0, "keepdim": False})
case("mean_dims_keepdim", "mean", "a.mean(dim=(1, 2), keepdim=True)", [R("a", [2, 3, 4])],
     {"dim": [1, 2], "keepdim": True})
case("mean_negdims", "mean", "torch.mean(a, dim=[-2, 0])", [R("a", [2, 3, 4], prep=[["transpose", 0, 1]])],
     {"dim": [-2, 0], "keepdim": False}, "on a transposed (3,2,4) view")
case("prod_all", "prod", "a.prod()", [R("a", [3, 4], away=(0.5, 1.5))], {}, "no zeros")
case("prod_dim", "prod", "torch.prod(a, dim=1)", [R("a", [3, 4], away=(0.5, 1.5))],
     {"dim": 1, "keepdim": False})
case("prod_one_zero", "prod", "a.prod()", [R("a", [2, 3], away=(0.5, 1.5))], {},
     "exactly one zero: the output is 0, only the zero's grad is nonzero (product of the others)",
     fix=_set("a", [4], lambda d: 0.0))
case("prod_dim_one_zero", "prod", "a.prod(dim=-1, keepdim=True)", [R("a", [3, 4], away=(0.5, 1.5))],
     {"dim": -1, "keepdim": True}, "row 1 holds one zero", fix=_set("a", [6], lambda d: 0.0))
case("prod_empty_dim", "prod", "a.prod(dim=0)", [R("a", [0, 3])], {"dim": 0, "keepdim": False},
     "product over an empty dim is 1")
case("var_dim_c0", "var", "torch.var(a, dim=1, correction=0)", [R("a", [3, 4])],
     {"dim": 1, "correction": 0, "keepdim": False})
case("var_all_c1", "var", "torch.var(a, correction=1)", [R("a", [3, 4])], {"correction": 1})
case("var_dims_keepdim", "var", "a.var(dim=(0, 2), correction=1, keepdim=True)",
     [R("a", [2, 3, 4], prep=[["permute", [0, 2, 1]]])],
     {"dim": [0, 2], "correction": 1, "keepdim": True}, "on a permuted (2,4,3) view")
case("std_dim_c0", "std", "torch.std(a, dim=-1, correction=0)", [R("a", [3, 5])],
     {"dim": -1, "correction": 0, "keepdim": False})
case("std_dims_c1", "std", "torch.std(a, dim=(0, 2), correction=1, keepdim=True)",
     [R("a", [2, 3, 4])], {"dim": [0, 2], "correction": 1, "keepdim": True})
case("std_all", "std", "a.std()", [R("a", [4, 3])], {"correction": 1}, "default correction=1")
case("norm_p2", "norm", "torch.norm(a, p=2)", [R("a", [3, 4])], {"p": 2})
case("norm_p1_dim", "norm", "torch.norm(a, p=1, dim=1)", [R("a", [3, 4], away=(0.1, 2.0))],
     {"p": 1, "dim": 1, "keepdim": False}, "no zeros (|x| kink)")
case("norm_inf_dim", "norm", "torch.norm(a, p=float('inf'), dim=-1, keepdim=True)",
     [R("a", [3, 4])], {"p": "inf", "dim": -1, "keepdim": True},
     "p=inf written as the string \"inf\"; no ties")
case("norm_p2_dims", "norm", "a.norm(p=2, dim=(0, 1))", [R("a", [2, 3, 2], prep=[["transpose", 0, 2]])],
     {"p": 2, "dim": [0, 1], "keepdim": False})
case("logsumexp", "logsumexp", "torch.logsumexp(a, dim=1)", [R("a", [3, 4], scale=3.0)],
     {"dim": 1, "keepdim": False})
case("logsumexp_dims_keepdim", "logsumexp", "torch.logsumexp(a, dim=(0, -1), keepdim=True)",
     [R("a", [2, 3, 4], scale=2.0)], {"dim": [0, -1], "keepdim": True})
case("cumsum", "cumsum", "torch.cumsum(a, dim=1)", [R("a", [3, 4])], {"dim": 1})
case("cumsum_neg", "cumsum", "a.cumsum(dim=-1)", [R("a", [2, 3, 4], prep=[["transpose", 1, 2]])],
     {"dim": -1})
case("cumsum_1d", "cumsum", "torch.cumsum(a, dim=0)", [R("a", [5])], {"dim": 0})
case("cumprod", "cumprod", "torch.cumprod(a, dim=1)", [R("a", [3, 4], away=(0.5, 1.5))], {"dim": 1},
     "no zeros")
case("cumprod_neg", "cumprod", "torch.cumprod(a, dim=-2)", [R("a", [2, 3, 2], away=(0.5, 1.5))],
     {"dim": -2})
case("cumprod_one_zero", "cumprod", "torch.cumprod(a, dim=0)", [R("a", [5], away=(0.5, 1.5))],
     {"dim": 0}, "a[2] = 0", fix=_set("a", [2], lambda d: 0.0))
case("count_nonzero", "count_nonzero", "torch.count_nonzero(a, dim=1)",
     [D("a", [[0.0, 1.5, 0.0, -2.0], [0.0, 0.0, 0.0, 0.0], [3.0, -1.0, 0.5, 0.25]], rg=False)],
     {"dim": 1}, "i64 output")
case("count_nonzero_all", "count_nonzero", "torch.count_nonzero(a)",
     [D("a", [[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], rg=False)], {})
case("argmax_flat", "argmax", "torch.argmax(a)", [R("a", [3, 4], rg=False)], {},
     "no dim: index into the flattened tensor")
case("argmax_dim_keepdim", "argmax", "torch.argmax(a, dim=1, keepdim=True)", [R("a", [3, 4], rg=False)],
     {"dim": 1, "keepdim": True})
case("argmin_negdim", "argmin", "torch.argmin(a, dim=-1)",
     [R("a", [2, 3, 4], rg=False, prep=[["transpose", 0, 2]])], {"dim": -1, "keepdim": False},
     "on a transposed view")
case("argmin_flat", "argmin", "a.argmin()", [R("a", [2, 5], rg=False)], {})
case("topk", "topk", "torch.topk(a, 3, dim=1)", [R("a", [3, 5])],
     {"k": 3, "dim": 1, "largest": True, "sorted": True}, "outputs (values, indices)")
case("topk_smallest", "topk", "torch.topk(a, 2, dim=0, largest=False)", [R("a", [4, 3])],
     {"k": 2, "dim": 0, "largest": False, "sorted": True})
case("topk_default_dim", "topk", "a.topk(2)", [R("a", [2, 3, 4], prep=[["permute", [2, 0, 1]]])],
     {"k": 2, "dim": -1, "largest": True, "sorted": True}, "default dim=-1, permuted input")
case("sort_desc", "sort", "torch.sort(a, dim=1, descending=True)", [R("a", [3, 4])],
     {"dim": 1, "descending": True}, "outputs (values, indices)")
case("sort_dim0", "sort", "a.sort(dim=0)", [R("a", [4, 3])], {"dim": 0, "descending": False})
case("sort_1d", "sort", "torch.sort(a)", [R("a", [12], prep=[["slice", 0, 0, 12, 2]])],
     {"dim": -1, "descending": False}, "every other element of a (12,) leaf")
case("argsort", "argsort", "torch.argsort(a, dim=-1)", [R("a", [3, 4], rg=False)],
     {"dim": -1, "descending": False})
case("argsort_desc", "argsort", "torch.argsort(a, dim=0, descending=True)", [R("a", [4, 3], rg=False)],
     {"dim": 0, "descending": True})
case("any_all", "any", "torch.any(m)", [B("m", [3, 4], p=0.2)], {}, "bool 0-d output")
case("any_dim", "any", "torch.any(m, dim=1)", [B("m", [4, 3], p=0.25)], {"dim": 1, "keepdim": False})
case("any_empty", "any", "torch.any(m)", [B("m", [0, 3])], {}, "empty: False")
case("all_dim", "all", "torch.all(m, dim=0)", [B("m", [3, 4], p=0.7)], {"dim": 0, "keepdim": False})
case("all_all", "all", "m.all()", [D("m", [[True, True], [True, True]], "bool")], {})
case("all_empty", "all", "torch.all(m)", [B("m", [0, 3])], {}, "empty: True")
case("sum_bool", "sum", "m.sum()", [B("m", [3, 4])], {}, "bool summed to i64")
case("sum_bool_dim", "sum", "m.sum(dim=1)", [B("m", [3, 4])], {"dim": 1, "keepdim": False},
     "i64 output")

# ------------------------------------------------------------------------------ comparisons


for _op in ["eq", "ne", "lt", "le", "gt", "ge"]:
    sym = {"eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">="}[_op]
    case(f"{_op}_bcast", _op, f"torch.{_op}(a, b)", [R("a", [3, 4], rg=False), R("b", [4], rg=False)],
         {}, "b broadcast; a[1,2] == b[2] and a[2,0] == b[0] exactly",
         fix=lambda d: (d["a"].__setitem__((1, 2), d["b"][2].item()),
                        d["a"].__setitem__((2, 0), d["b"][0].item())))
    case(f"{_op}_scalar", _op, f"a {sym} 0.5",
         [D("a", [[0.5, -1.0, 2.0], [0.25, 0.5, 0.75]], rg=False)], {"other": 0.5},
         "Python scalar operand; two elements equal it")
case("eq_i64", "eq", "index == 2", [D("index", [2, 0, 2, 1], "i64")], {"other": 2}, "i64 input")
case("lt_noncontig", "lt", "a < b", [R("a", [4, 3], rg=False, prep=[["t"]]), R("b", [3, 1], rg=False)])
case("logical_and", "logical_and", "torch.logical_and(m, n)", [B("m", [3, 4]), B("n", [3, 4])])
case("logical_and_bcast", "logical_and", "torch.logical_and(m, n)", [B("m", [3, 4]), B("n", [4])])
case("logical_or", "logical_or", "torch.logical_or(m, n)", [B("m", [3, 1]), B("n", [1, 4])],
     {}, "(3,1) | (1,4) -> (3,4)")
case("logical_not", "logical_not", "torch.logical_not(m)", [B("m", [3, 4])])

# ------------------------------------------------------------------------------ linear algebra
case("mm", "mm", "torch.mm(a, b)", [R("a", [3, 4]), R("b", [4, 2])])
case("mm_empty_inner", "mm", "torch.mm(a, b)", [R("a", [3, 0]), R("b", [0, 2])], {},
     "inner dim 0: output zeros (3,2), empty grads")
case("mm_empty_rows", "mm", "a @ b", [R("a", [0, 3]), R("b", [3, 2])], {}, "output (0,2)")
case("bmm", "bmm", "torch.bmm(a, b)", [R("a", [2, 3, 4]), R("b", [2, 4, 2])])
case("bmm_noncontig", "bmm", "torch.bmm(a, b)",
     [R("a", [2, 4, 3], prep=[["transpose", 1, 2]]), R("b", [4, 2, 2], prep=[["permute", [1, 0, 2]]])])
case("mv", "mv", "torch.mv(a, v)", [R("a", [3, 4]), R("v", [4])])
case("dot", "dot", "torch.dot(a, b)", [R("a", [5]), R("b", [5])], {}, "0-d output")
case("outer", "outer", "torch.outer(a, b)", [R("a", [3]), R("b", [4])])
case("matmul_t_both", "matmul", "a @ b", [R("a", [4, 3], prep=[["t"]]), R("b", [2, 4], prep=[["t"]])],
     {}, "both operands are transposed leaves: (3,4) @ (4,2)")
case("matmul_batched_bcast", "matmul", "torch.matmul(a, b)", [R("a", [2, 1, 3, 4]), R("b", [3, 4, 2])],
     {}, "batch dims (2,1) and (3,) broadcast to (2,3)")
case("matmul_batched_2d", "matmul", "a @ b", [R("a", [2, 3, 4]), R("b", [4, 5])], {},
     "2-d rhs broadcast over the batch")
case("matmul_1d_2d", "matmul", "a @ b", [R("a", [4]), R("b", [4, 3])], {}, "vector @ matrix -> (3,)")
case("matmul_2d_1d", "matmul", "a @ b", [R("a", [2, 3, 4]), R("b", [4])], {}, "batched matrix @ vector")
case("matmul_1d_1d", "matmul", "a @ b", [R("a", [3]), R("b", [3])], {}, "dot: 0-d output")
case("einsum_bmm", "einsum", "torch.einsum('bij,bjk->bik', a, b)", [R("a", [2, 3, 4]), R("b", [2, 4, 2])],
     {"equation": "bij,bjk->bik"})
case("einsum_transpose", "einsum", "torch.einsum('ij->ji', a)", [R("a", [3, 4])], {"equation": "ij->ji"})
case("einsum_attention", "einsum", "torch.einsum('bhqd,bhkd->bhqk', q, k)",
     [R("q", [2, 2, 3, 4]), R("k", [2, 2, 2, 4])], {"equation": "bhqd,bhkd->bhqk"})
case("einsum_mv", "einsum", "torch.einsum('ij,j->i', a, v)", [R("a", [4, 3], prep=[["t"]]), R("v", [4])],
     {"equation": "ij,j->i"})
case("einsum_sum", "einsum", "torch.einsum('ijk->j', a)", [R("a", [2, 3, 2])], {"equation": "ijk->j"},
     "summing indices")

# ------------------------------------------------------------------------------ dtype
case("to_f64", "to", "a.double()", [R("a", [3, 4])], {"dtype": "f64"},
     "f64 output, f64 cotangent; the grad of the f32 leaf is f32")
case("to_f64_chain", "composite", "(a.double() * 3.0).sum()", [R("a", [2, 3], prep=[["t"]])],
     {"dtype": "f64"}, "gradient flows back through an f64 computation to an f32 leaf")
case("to_i64", "to", "a.long()", [R("a", [3, 4], scale=3.0, rg=False)], {"dtype": "i64"},
     "f32 -> i64 truncates toward zero")
case("to_f32_from_i64", "to", "index.float()", [I("index", [2, 3], -5, 6)], {"dtype": "f32"},
     "i64 input: no grads")
case("to_f32_from_bool", "to", "m.float()", [B("m", [2, 3])], {"dtype": "f32"})

# ------------------------------------------------------------------------------ losses
case("cross_entropy", "cross_entropy", "F.cross_entropy(input, target)",
     [R("input", [4, 5], scale=2.0), D("target", [2, 0, 4, 2], "i64")],
     {"reduction": "mean", "ignore_index": -100, "label_smoothing": 0.0})
case("cross_entropy_smoothing", "cross_entropy", "F.cross_entropy(input, target, label_smoothing=0.1)",
     [R("input", [4, 5], scale=2.0), D("target", [1, 3, 3, 0], "i64")],
     {"reduction": "mean", "ignore_index": -100, "label_smoothing": 0.1})
case("cross_entropy_ignore", "cross_entropy", "F.cross_entropy(input, target, ignore_index=2)",
     [R("input", [5, 4], scale=2.0), D("target", [2, 0, 3, 2, 1], "i64")],
     {"reduction": "mean", "ignore_index": 2, "label_smoothing": 0.0},
     "rows 0 and 3 are ignored: zero grad; the mean is over the 3 others")
case("cross_entropy_ignore_neg", "cross_entropy", "F.cross_entropy(input, target)",
     [R("input", [3, 4], scale=2.0), D("target", [-100, 1, 3], "i64")],
     {"reduction": "mean", "ignore_index": -100, "label_smoothing": 0.0},
     "default ignore_index -100 present in the target")
case("cross_entropy_sum", "cross_entropy", "F.cross_entropy(input, target, reduction='sum')",
     [R("input", [4, 3], scale=2.0, prep=[["t"]]), D("target", [0, 3, 1], "i64")],
     {"reduction": "sum", "ignore_index": -100, "label_smoothing": 0.0})
case("cross_entropy_none", "cross_entropy", "F.cross_entropy(input, target, reduction='none')",
     [R("input", [3, 4], scale=2.0), D("target", [3, 3, 0], "i64")],
     {"reduction": "none", "ignore_index": -100, "label_smoothing": 0.0}, "per-sample losses (3,)")
case("cross_entropy_kdim", "cross_entropy", "F.cross_entropy(input, target)",
     [R("input", [2, 4, 3]), I("target", [2, 3], 0, 4)],
     {"reduction": "mean", "ignore_index": -100, "label_smoothing": 0.0},
     "(N,C,d) logits with (N,d) targets: classes along dim 1")
case("cross_entropy_smoothing_ignore", "cross_entropy",
     "F.cross_entropy(input, target, ignore_index=0, label_smoothing=0.2)",
     [R("input", [3, 4], scale=2.0, prep=[["t"]]), D("target", [0, 2, 1, 2], "i64")],
     {"reduction": "mean", "ignore_index": 0, "label_smoothing": 0.2})
case("cross_entropy_probs", "cross_entropy", "F.cross_entropy(input, target)",
     [R("input", [3, 4], scale=2.0), R("target", [3, 4], lo=0.0, hi=1.0, rg=False)],
     {"reduction": "mean", "ignore_index": -100, "label_smoothing": 0.0},
     "f32 class-probability target (rows sum to 1, not differentiable)",
     fix=lambda d: d["target"].div_(d["target"].sum(dim=1, keepdim=True)))
case("nll_loss", "nll_loss", "F.nll_loss(input, target)",
     [R("input", [4, 5]), D("target", [4, 1, 1, 0], "i64")], {"reduction": "mean", "ignore_index": -100},
     "input is used as log-probabilities as is")
case("nll_loss_log_softmax", "composite", "F.nll_loss(F.log_softmax(input, dim=1), target)",
     [R("input", [3, 4], scale=2.0), D("target", [1, 3, 3], "i64")],
     {"dim": 1, "reduction": "mean", "ignore_index": -100},
     "nll_loss composed with log_softmax over dim 1 (= cross_entropy)")
case("nll_loss_ignore_sum", "nll_loss", "F.nll_loss(input, target, ignore_index=1, reduction='sum')",
     [R("input", [4, 3]), D("target", [1, 0, 2, 1], "i64")], {"reduction": "sum", "ignore_index": 1})
case("nll_loss_weight", "nll_loss", "F.nll_loss(input, target, weight=weight)",
     [R("input", [4, 3]), D("target", [0, 2, 2, 1], "i64"), R("weight", [3], lo=0.5, hi=2.0, rg=False)],
     {"reduction": "mean", "ignore_index": -100},
     "class weights (input, no grad): the mean divides by the sum of the targets' weights")

# --------------------------------------------------------------------------------------------
# README table: op -> exact torch call
# --------------------------------------------------------------------------------------------

OP_DOC = {
    # views
    "view": ("a.view(*shape)", "`shape` (list; -1 inferred; [] = 0-d)"),
    "reshape": ("a.reshape(*shape)", "`shape`"),
    "transpose": ("a.transpose(dim0, dim1)", "`dim0`, `dim1`"),
    "permute": ("a.permute(*dims)", "`dims`"),
    "t": ("a.t()", "none (1-d: identity)"),
    "mT": ("a.mT", "none: swaps the last two dims"),
    "expand": ("a.expand(*size)", "`size` (-1 keeps a dim)"),
    "narrow": ("a.narrow(dim, start, length)", "`dim`, `start`, `length`"),
    "select": ("a.select(dim, index)", "`dim`, `index` (may be negative)"),
    "squeeze": ("a.squeeze(dim)", "`dim`: int or list; absent = all size-1 dims"),
    "unsqueeze": ("a.unsqueeze(dim)", "`dim`"),
    "flatten": ("a.flatten(start_dim, end_dim)", "`start_dim` (default 0), `end_dim` (default -1); absent = default"),
    "unflatten": ("a.unflatten(dim, sizes)", "`dim`, `sizes`"),
    "unbind": ("a.unbind(dim)", "`dim`; multi-output, `cotangents`"),
    "split": ("torch.split(a, split_size_or_sections, dim)", "`split_size_or_sections` (int or list), `dim`; multi-output, `cotangents`"),
    "chunk": ("torch.chunk(a, chunks, dim)", "`chunks`, `dim`; multi-output, `cotangents`"),
    "diagonal": ("torch.diagonal(a, offset, dim1, dim2)", "`offset`, `dim1`, `dim2`"),
    "slice": ("a[..., start:end:step] along dim", "`dim`, `start`, `end`, `step` (null = Python's omitted bound)"),
    "contiguous": ("a.contiguous()", "none"),
    # joining / indexing
    "cat": ("torch.cat([inputs...], dim)", "`dim`"),
    "stack": ("torch.stack([inputs...], dim)", "`dim`"),
    "hstack": ("torch.hstack([inputs...])", "none"),
    "vstack": ("torch.vstack([inputs...])", "none"),
    "index_select": ("torch.index_select(a, dim, index)", "`dim`; `index` is an i64 input"),
    "gather": ("torch.gather(a, dim, index)", "`dim`; `index` input"),
    "scatter": ("torch.scatter(a, dim, index, src)", "`dim`; `index`, `src` inputs"),
    "scatter_add": ("torch.scatter_add(a, dim, index, src)", "`dim`"),
    "masked_fill": ("a.masked_fill(mask, value)", "`value`; `mask` is a bool input"),
    "where": ("torch.where(cond, a, b)", "none"),
    "masked_select": ("torch.masked_select(a, mask)", "none"),
    "tril": ("torch.tril(a, diagonal)", "`diagonal`"),
    "triu": ("torch.triu(a, diagonal)", "`diagonal`"),
    "repeat": ("a.repeat(*repeats)", "`repeats`"),
    "flip": ("torch.flip(a, dims)", "`dims`"),
    "roll": ("torch.roll(a, shifts, dims)", "`shifts` (int or list), `dims` (int or list; absent = flattened)"),
    "one_hot": ("F.one_hot(index, num_classes)", "`num_classes` (-1 = inferred)"),
    "pad": ("F.pad(a, pad, mode, value)", "`pad` (list, last dim first), `mode` (\"constant\"), `value`"),
    "take_along_dim": ("torch.take_along_dim(a, index, dim)", "`dim` (absent = flattened)"),
    "embedding": ("F.embedding(index, weight, padding_idx)", "`padding_idx` (optional)"),
    # elementwise
    **{k: (f"torch.{k}(a)", "none") for k in [
        "sin", "cos", "tan", "asin", "atan", "sinh", "cosh", "erf", "rsqrt", "reciprocal",
        "log1p", "expm1", "log2", "log10", "exp2", "square", "abs", "sign", "floor", "ceil",
        "trunc", "frac", "exp", "relu", "sigmoid"]},
    "round": ("torch.round(a, decimals)", "`decimals` (absent = 0, half to even)"),
    "atan2": ("torch.atan2(a, b)", "none"),
    "pow": ("torch.pow(a, b) / torch.pow(a, exponent) / torch.pow(self, b)",
            "tensor exponent `b`: none; scalar exponent: `exponent`; scalar base: `self`"),
    "maximum": ("torch.maximum(a, b)", "none (ties: half/half)"),
    "minimum": ("torch.minimum(a, b)", "none (ties: half/half)"),
    "clamp": ("torch.clamp(a, min, max)", "`min`, `max` scalars (absent = none); tensor bounds are inputs `lo`, `hi`"),
    "lerp": ("torch.lerp(a, b, weight)", "`weight` scalar, or an input `w`"),
    "addcmul": ("torch.addcmul(a, b, c, value)", "`value`"),
    "addcdiv": ("torch.addcdiv(a, b, c, value)", "`value`"),
    "add": ("a + b", "none"), "sub": ("a - b", "none"), "mul": ("a * b", "none"), "div": ("a / b", "none"),
    # activations
    "gelu": ("F.gelu(a, approximate)", "`approximate`: \"none\" or \"tanh\""),
    "silu": ("F.silu(a)", "none"),
    "elu": ("F.elu(a, alpha)", "`alpha`"),
    "selu": ("F.selu(a)", "none"),
    "celu": ("F.celu(a, alpha)", "`alpha`"),
    "softplus": ("F.softplus(a, beta, threshold)", "`beta`, `threshold`"),
    "softsign": ("F.softsign(a)", "none"),
    "hardtanh": ("F.hardtanh(a, min_val, max_val)", "`min_val`, `max_val`"),
    "relu6": ("F.relu6(a)", "none"),
    "hardsigmoid": ("F.hardsigmoid(a)", "none"),
    "hardswish": ("F.hardswish(a)", "none"),
    "mish": ("F.mish(a)", "none"),
    "logsigmoid": ("F.logsigmoid(a)", "none"),
    "leaky_relu": ("F.leaky_relu(a, negative_slope)", "`negative_slope`"),
    "softmax": ("torch.softmax(a, dim, dtype)", "`dim`, `dtype` (\"f64\": input cast first; absent = same)"),
    "log_softmax": ("torch.log_softmax(a, dim, dtype)", "`dim`, `dtype`"),
    # reductions
    "max": ("a.max() / torch.max(a, dim, keepdim)", "none (all; ties split evenly) or `dim`, `keepdim` -> (values, indices)"),
    "min": ("a.min() / torch.min(a, dim, keepdim)", "as max"),
    "amax": ("torch.amax(a, dim, keepdim)", "`dim` (int or list), `keepdim` (ties split evenly)"),
    "amin": ("torch.amin(a, dim, keepdim)", "as amax"),
    "sum": ("torch.sum(a, dim, keepdim)", "`dim` (int or list; absent = all), `keepdim`"),
    "mean": ("torch.mean(a, dim, keepdim)", "as sum"),
    "prod": ("torch.prod(a, dim, keepdim)", "`dim` (int; absent = all), `keepdim`"),
    "var": ("torch.var(a, dim, correction, keepdim)", "`dim` (absent = all), `correction`, `keepdim`"),
    "std": ("torch.std(a, dim, correction, keepdim)", "as var"),
    "norm": ("torch.norm(a, p, dim, keepdim)", "`p` (number or \"inf\"), `dim` (absent = all), `keepdim`"),
    "logsumexp": ("torch.logsumexp(a, dim, keepdim)", "`dim` (int or list), `keepdim`"),
    "cumsum": ("torch.cumsum(a, dim)", "`dim`"),
    "cumprod": ("torch.cumprod(a, dim)", "`dim`"),
    "count_nonzero": ("torch.count_nonzero(a, dim)", "`dim` (absent = all); i64 output"),
    "argmax": ("torch.argmax(a, dim, keepdim)", "`dim` (absent = flattened), `keepdim`; i64 output"),
    "argmin": ("torch.argmin(a, dim, keepdim)", "as argmax"),
    "topk": ("torch.topk(a, k, dim, largest, sorted)", "`k`, `dim`, `largest`, `sorted` -> (values, indices)"),
    "sort": ("torch.sort(a, dim, descending)", "`dim`, `descending` -> (values, indices)"),
    "argsort": ("torch.argsort(a, dim, descending)", "`dim`, `descending`; i64 output"),
    "any": ("torch.any(m, dim, keepdim)", "`dim` (absent = all), `keepdim`; bool output"),
    "all": ("torch.all(m, dim, keepdim)", "as any"),
    # comparisons
    **{k: (f"torch.{k}(a, b) / a {s} other", "none (tensor b) or `other` (scalar)")
       for k, s in [("eq", "=="), ("ne", "!="), ("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">=")]},
    "logical_and": ("torch.logical_and(m, n)", "none; bool output"),
    "logical_or": ("torch.logical_or(m, n)", "none"),
    "logical_not": ("torch.logical_not(m)", "none"),
    # linear algebra
    "mm": ("torch.mm(a, b)", "none"),
    "bmm": ("torch.bmm(a, b)", "none"),
    "mv": ("torch.mv(a, v)", "none"),
    "dot": ("torch.dot(a, b)", "none"),
    "outer": ("torch.outer(a, b)", "none"),
    "matmul": ("torch.matmul(a, b)", "none"),
    "einsum": ("torch.einsum(equation, *inputs)", "`equation`"),
    # dtype
    "to": ("a.double() / a.long() / a.float()", "`dtype`: \"f64\", \"i64\", \"f32\" (the result dtype)"),
    "composite": ("the expr itself", "as the ops inside it (several ops; implement from `expr`)"),
    # losses
    "cross_entropy": ("F.cross_entropy(input, target, weight=None, ignore_index, reduction, label_smoothing)",
                      "`reduction`, `ignore_index`, `label_smoothing` (always all three); `target` i64 class indices, or f32 probabilities (cross_entropy_probs)"),
    "nll_loss": ("F.nll_loss(input, target, weight, ignore_index, reduction)",
                 "`reduction`, `ignore_index` (always both); `weight` is an optional input"),
}

# --------------------------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------------------------


def check_finite(v, where):
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError(f"non-finite value in {where}")
    if isinstance(v, list):
        for x in v:
            check_finite(x, where)


def flat(t, where=""):
    t = t.detach()
    if t.dtype not in DTYPE_NAME:
        raise TypeError(f"{where}: unsupported dtype {t.dtype}")
    if t.dtype == torch.float32:
        data = t.to(torch.float64).reshape(-1).tolist()  # exact f32 value widened to f64
    else:
        data = t.reshape(-1).tolist()
    check_finite(data, where)
    return {"shape": list(t.shape), "dtype": DTYPE_NAME[t.dtype], "data": data}


def as_outputs(res):
    if isinstance(res, torch.Tensor):
        return [res], False
    res = list(res)
    assert all(isinstance(r, torch.Tensor) for r in res)
    return res, True


def run_expr(c, leaves):
    env = {}
    for spec in c["inputs"]:
        env[spec["name"]] = apply_prep(leaves[spec["name"]], spec["prep"])
    return eval(c["expr"], {"torch": torch, "F": F}, env)


def grads_of(outs, cots, leaves, rg_names):
    """Gradients of sum(out_i * cot_i) over the outputs that have a cotangent."""
    pairs = [(o, g) for o, g in zip(outs, cots) if g is not None]
    gs = torch.autograd.grad([o for o, _ in pairs], [leaves[n] for n in rg_names],
                             grad_outputs=[g for _, g in pairs], allow_unused=True)
    out = {}
    for n, g in zip(rg_names, gs):
        if g is None:  # the output does not depend on this input at all
            print(f"note: {n} unused, its gradient is written as zeros", file=sys.stderr)
            g = torch.zeros_like(leaves[n])
        out[n] = g
    return out


def build(c, torch_version):
    seed = zlib.crc32(c["name"].encode()) & 0x7FFFFFFF
    g = torch.Generator().manual_seed(seed)
    leaves = {}
    for spec in c["inputs"]:
        leaves[spec["name"]] = make_leaf(spec, g)
    if c["fix"] is not None:
        with torch.no_grad():
            c["fix"](leaves)
    rg_names = [s["name"] for s in c["inputs"] if s["rg"]]
    for n in rg_names:
        assert leaves[n].dtype == torch.float32, (c["name"], n)
        leaves[n].requires_grad_(True)

    outs, multi = as_outputs(run_expr(c, leaves))
    float_idx = [i for i, o in enumerate(outs) if o.dtype in FLOAT]
    differentiable = bool(rg_names) and bool(float_idx)
    if differentiable:
        for i in float_idx:
            assert outs[i].requires_grad, (c["name"], "output", i, "does not require grad")
    if c["cot"] == "all":
        assert multi
        cot_idx = float_idx
    else:
        cot_idx = [0] if 0 in float_idx else []
    cots = [None] * len(outs)
    if differentiable:
        for i in cot_idx:
            cots[i] = torch.randn(outs[i].shape, generator=g).to(outs[i].dtype)
        grads = grads_of(outs, cots, leaves, rg_names)
    else:
        grads = {}

    # the same computation in f64, for f64_max_abs_diff
    f64 = None
    if any(l.dtype == torch.float32 for l in leaves.values()):
        leaves64 = {}
        for n, l in leaves.items():
            l64 = l.detach().to(torch.float64) if l.dtype == torch.float32 else l
            if n in rg_names:
                l64.requires_grad_(True)
            leaves64[n] = l64
        outs64, _ = as_outputs(run_expr(c, leaves64))
        out_diff = []
        for o, o64 in zip(outs, outs64):
            if o.dtype in FLOAT:
                d = (o.detach().double() - o64.detach().double()).abs()
                out_diff.append(d.max().item() if d.numel() else 0.0)
            else:
                if not torch.equal(o, o64):
                    print(f"warning: {c['name']}: integer output differs in f64", file=sys.stderr)
                out_diff.append(None)
        f64 = {"outputs" if multi else "output": out_diff if multi else out_diff[0]}
        if differentiable:
            cots64 = [None if t is None else t.double() for t in cots]
            g64 = grads_of(outs64, cots64, leaves64, rg_names)
            f64["grads"] = {}
            for n in rg_names:
                d = (grads[n].double() - g64[n]).abs()
                f64["grads"][n] = d.max().item() if d.numel() else 0.0
        if not multi and out_diff[0] is None:
            f64 = None  # integer/bool output: nothing to say

    inputs = []
    for spec in c["inputs"]:
        e = {"name": spec["name"], "requires_grad": spec["rg"]}
        e.update(flat(leaves[spec["name"]], c["name"] + ":" + spec["name"]))
        if spec["prep"]:
            e["prep"] = spec["prep"]
        inputs.append(e)

    obj = {"kind": "op", "format_version": 1, "torch_version": torch_version, "name": c["name"],
           "op": c["op"], "expr": c["expr"], "description": c["desc"], "attrs": c["attrs"],
           "seed": seed, "inputs": inputs}
    if multi:
        obj["outputs"] = [flat(o, c["name"] + ":output") for o in outs]
    else:
        obj["output"] = flat(outs[0], c["name"] + ":output")
    if differentiable:
        if c["cot"] == "all":
            obj["cotangents"] = [flat(cots[i]) for i in cot_idx]
        else:
            obj["cotangent"] = flat(cots[0])
    obj["grads"] = {n: flat(grads[n], c["name"] + ":grad " + n) for n in rg_names} if differentiable else {}
    if differentiable and outs[0].grad_fn is not None:
        # PyTorch's grad_fn name of the (first) output, e.g. "GeluBackward0".
        obj["grad_fn"] = outs[0].grad_fn.name().replace("torch::autograd::", "")
    if f64 is not None:
        obj["f64_max_abs_diff"] = f64
    return obj


def table():
    ops = []
    for c in CASES:
        if c["op"] not in ops:
            ops.append(c["op"])
    lines = ["| op | torch call | attrs | cases |", "| --- | --- | --- | --- |"]
    for op in ops:
        call, attrs = OP_DOC[op]
        names = [c["name"] for c in CASES if c["op"] == op]
        lines.append(f"| `{op}` | `{call}` | {attrs} | {', '.join(names)} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--table", action="store_true", help="print the README op table and exit")
    ap.add_argument("--only", nargs="*", help="only these case names (index.json is not rewritten)")
    args = ap.parse_args()

    missing = sorted({c["op"] for c in CASES} - set(OP_DOC))
    assert not missing, f"ops without OP_DOC entry: {missing}"
    if args.table:
        print(table())
        return

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch_version = torch.__version__
    os.makedirs(args.out, exist_ok=True)
    todo = CASES if not args.only else [c for c in CASES if c["name"] in set(args.only)]
    if not args.only:
        for f in os.listdir(args.out):
            if f.endswith(".json"):
                os.remove(os.path.join(args.out, f))
    for c in todo:
        try:
            obj = build(c, torch_version)
        except Exception as e:
            raise RuntimeError(f"case {c['name']}: {e}") from e
        text = json.dumps(obj, separators=(",", ":"), allow_nan=False)
        with open(os.path.join(args.out, c["name"] + ".json"), "w") as fh:
            fh.write(text)
    if not args.only:
        index = {"format_version": 1, "torch_version": torch_version,
                 "cases": [{"kind": "op", "name": c["name"], "op": c["op"], "file": c["name"] + ".json"}
                           for c in CASES]}
        with open(os.path.join(args.out, "index.json"), "w") as fh:
            fh.write(json.dumps(index, separators=(",", ":"), allow_nan=False))
    print(f"wrote {len(todo)} cases to {args.out}")


if __name__ == "__main__":
    main()
