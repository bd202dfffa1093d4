"""PyTorch's random numbers, bit for bit, written to tests/fixtures/rng/*.json.

Run with a PyTorch venv:  python tools/golden/rng.py   (a few seconds)

Everything is drawn on the CPU by PyTorch 2.x's generator (mt19937) after torch.manual_seed(s)
or from a torch.Generator().manual_seed(s). Values are stored as bit patterns so the Rust tests
compare them exactly: float32 values as their u32 bits, float64 as their u64 bits, int64 as
integers; generator states as the hex of torch.get_rng_state()'s 5056 bytes.

Files:
  distributions.json  sequences of calls (rand, randn, normal_, uniform_, randint, randperm,
                      bernoulli, multinomial, exponential_, random_, get_rng_state, explicit
                      generators) per seed; each case is replayed in order by
                      crates/autograd/tests/rng_golden.rs.
  layers.json         every parameter of nn layers built right after torch.manual_seed(s),
                      then torch.rand(4) (checks how many draws the constructor made).
  init.json           nn.init functions on fresh tensors after torch.manual_seed(s).
  dropout.json        F.dropout / F.dropout2d / nn.Dropout outputs after torch.manual_seed(s).
  data.json           DataLoader orders over several epochs (shuffle=True with and without a
                      generator, shuffle=False), random_split indices.
The last three and layers.json are checked by crates/nn/tests/seeded_init.rs.
"""
import argparse
import json
import os
import struct

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "rng")

SEEDS = [0, 1, 42, 2**32 + 5, 18446744073709551557]
SIZES = [1, 3, 15, 16, 17, 100, 1000]
DT = {"f32": torch.float32, "f64": torch.float64}


def bits(t):
    t = t.detach().contiguous().reshape(-1)
    if t.dtype == torch.float32:
        return [v & 0xFFFFFFFF for v in t.view(torch.int32).tolist()]
    if t.dtype == torch.float64:
        return [v & 0xFFFFFFFFFFFFFFFF for v in t.view(torch.int64).tolist()]
    return [int(v) for v in t.tolist()]


def state_hex(gen=None):
    s = gen.get_state() if gen is not None else torch.get_rng_state()
    return bytes(s.numpy()).hex()


def call(op, gen=None, **a):
    """Runs one op (on gen or the default generator); returns its JSON record."""
    kw = {} if gen is None else {"generator": gen}
    rec = {"op": op, **a}
    dt = DT.get(a.get("dtype"))
    n = a.get("n")
    if op == "rand":
        out = torch.rand(n, dtype=dt, **kw)
    elif op == "randn":
        out = torch.randn(n, dtype=dt, **kw)
    elif op == "normal":
        out = torch.empty(n, dtype=dt).normal_(a["mean"], a["std"], **kw)
    elif op == "uniform":
        out = torch.empty(n, dtype=dt).uniform_(a["low"], a["high"], **kw)
    elif op == "exponential":
        out = torch.empty(n, dtype=dt).exponential_(a["lambd"], **kw)
    elif op == "bernoulli_scalar":
        out = torch.empty(n, dtype=dt).bernoulli_(a["p"], **kw)
    elif op == "bernoulli":
        p = torch.tensor(a["p"], dtype=dt)
        out = torch.bernoulli(p, **kw)
    elif op == "multinomial":
        p = torch.tensor(a["probs"], dtype=dt)
        out = torch.multinomial(p, a["num_samples"], a["replacement"], **kw)
    elif op == "randint":
        out = torch.randint(a["low"], a["high"], (n,), **kw)
    elif op == "randperm":
        out = torch.randperm(n, **kw)
        if n > 2000:  # keep the file small: head, tail and a checksum
            v = out.tolist()
            rec["head"], rec["tail"] = v[:20], v[-20:]
            rec["checksum"] = sum(i * x for i, x in enumerate(v)) % (2**61 - 1)
            return rec
    elif op == "random_int64":
        out = torch.empty((), dtype=torch.int64).random_(**kw).reshape(1)
    elif op == "state":
        rec["hex"] = state_hex(gen)
        return rec
    else:
        raise ValueError(op)
    rec["out"] = bits(out)
    return rec


def probs(dtype, shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(shape, dtype=DT[dtype], generator=g).tolist()


def distributions():
    cases = []

    def case(name, seed, calls, generator=False):
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed) if generator else None
        recs = [call(op, gen, **a) for op, a in calls]
        if name.startswith(("mixed", "generator")):
            recs.append(call("state", gen))
        else:  # where the stream ended
            recs.append(call("rand", gen, dtype="f64", n=2))
        cases.append({"name": name, "seed": seed, "generator": generator, "calls": recs})

    for s in SEEDS:
        sizes = SIZES if s == 0 else SIZES[:-1]  # 1000 values for one seed keeps files small
        for d in ("f32", "f64"):
            case(f"rand_{d}_{s}", s, [("rand", {"dtype": d, "n": n}) for n in sizes])
            case(f"randn_{d}_{s}", s, [("randn", {"dtype": d, "n": n}) for n in sizes])
            case(f"normal_{d}_{s}", s,
                 [("normal", {"dtype": d, "n": n, "mean": 0.5, "std": 2.0}) for n in sizes])
            case(f"uniform_{d}_{s}", s,
                 [("uniform", {"dtype": d, "n": n, "low": -3.0, "high": 1.5}) for n in sizes])
            case(f"exponential_{d}_{s}", s,
                 [("exponential", {"dtype": d, "n": n, "lambd": 1.5}) for n in sizes])
            case(f"bernoulli_scalar_{d}_{s}", s,
                 [("bernoulli_scalar", {"dtype": d, "n": n, "p": 0.3}) for n in sizes])
            case(f"bernoulli_tensor_{d}_{s}", s,
                 [("bernoulli", {"dtype": d, "p": probs(d, [n], n)}) for n in (1, 17, 100)])
            case(f"multinomial_{d}_{s}", s, [
                ("multinomial", {"dtype": d, "probs": probs(d, [7], 1), "num_samples": 20,
                                 "replacement": True}),
                ("multinomial", {"dtype": d, "probs": probs(d, [7], 2), "num_samples": 1,
                                 "replacement": True}),
                ("multinomial", {"dtype": d, "probs": probs(d, [7], 3), "num_samples": 5,
                                 "replacement": False}),
                ("multinomial", {"dtype": d, "probs": probs(d, [3, 6], 4), "num_samples": 4,
                                 "replacement": True}),
                ("multinomial", {"dtype": d, "probs": probs(d, [3, 6], 5), "num_samples": 3,
                                 "replacement": False}),
                ("multinomial", {"dtype": d, "probs": probs(d, [3, 6], 6), "num_samples": 1,
                                 "replacement": False}),
            ])
        case(f"randint_{s}", s, [("randint", {"n": n, "low": 0, "high": 10}) for n in sizes]
             + [("randint", {"n": 50, "low": -5, "high": 2**33}),
                ("randint", {"n": 50, "low": -(2**40), "high": 2**40}),
                ("randint", {"n": 50, "low": 3, "high": 4})])
        case(f"randperm_{s}", s, [("randperm", {"n": n}) for n in sizes + [2, 100000]])
        case(f"random_int64_{s}", s, [("random_int64", {}) for _ in range(5)])
        # Mixed calls: the cached Box-Muller value survives other draws and sizes >= 16 don't
        # touch it; the state bytes carry it.
        mixed = [("rand", {"dtype": "f32", "n": 3}), ("randn", {"dtype": "f64", "n": 1}),
                 ("state", {}),
                 ("rand", {"dtype": "f64", "n": 2}), ("randn", {"dtype": "f32", "n": 17}),
                 ("randn", {"dtype": "f32", "n": 1}), ("randn", {"dtype": "f64", "n": 3}),
                 ("randint", {"n": 4, "low": 0, "high": 100}), ("state", {}),
                 ("normal", {"dtype": "f64", "n": 5, "mean": -1.0, "std": 0.25}),
                 ("randperm", {"n": 9}), ("bernoulli_scalar", {"dtype": "f32", "n": 5, "p": 0.5}),
                 ("randn", {"dtype": "f32", "n": 2})]
        case(f"mixed_{s}", s, mixed)
        case(f"generator_{s}", s, mixed, generator=True)
    # torch.Generator() without manual_seed: the default seed 67280421310721.
    g = torch.Generator()
    cases.append({"name": "generator_default_seed", "seed": None, "generator": True,
                  "calls": [call("rand", g, dtype="f32", n=5), call("state", g)]})
    return {"torch_version": torch.__version__, "cases": cases}


def layer_cases():
    out = []
    specs = [
        ("linear", lambda: nn.Linear(5, 3)),
        ("linear_nobias", lambda: nn.Linear(20, 7, bias=False)),
        ("linear_big", lambda: nn.Linear(64, 32)),
        ("conv1d", lambda: nn.Conv1d(3, 4, 5)),
        ("conv2d", lambda: nn.Conv2d(3, 4, (3, 2))),
        ("conv_transpose2d", lambda: nn.ConvTranspose2d(3, 2, (3, 3))),
        ("embedding", lambda: nn.Embedding(10, 4)),
        ("embedding_small", lambda: nn.Embedding(3, 5)),
        ("layer_norm", lambda: nn.LayerNorm(5)),
        ("batch_norm1d", lambda: nn.BatchNorm1d(4)),
        ("batch_norm2d", lambda: nn.BatchNorm2d(3)),
        ("group_norm", lambda: nn.GroupNorm(2, 4)),
        ("lstm", lambda: nn.LSTM(5, 7, num_layers=2)),
        ("gru", lambda: nn.GRU(4, 6, bidirectional=True)),
        ("rnn", lambda: nn.RNN(3, 5)),
        ("rnn_relu", lambda: nn.RNN(3, 5, nonlinearity="relu", num_layers=2, bias=False)),
        ("mha", lambda: nn.MultiheadAttention(8, 2)),
        ("mha_batch_first", lambda: nn.MultiheadAttention(6, 3, batch_first=True)),
    ]
    for name, make in specs:
        for seed in (0, 7):
            torch.manual_seed(seed)
            m = make()
            params = {k: {"shape": list(v.shape), "bits": bits(v)}
                      for k, v in m.state_dict().items() if v.dtype.is_floating_point}
            after = bits(torch.rand(4))
            out.append({"name": name, "seed": seed, "repr": repr(m), "params": params,
                        "rand_after": after})
    return {"torch_version": torch.__version__, "cases": out}


def init_cases():
    out = []
    nl = nn.init
    specs = [
        ("uniform_", [7, 5], "f32", lambda t: nl.uniform_(t, -0.3, 0.7)),
        ("uniform_", [7, 5], "f64", lambda t: nl.uniform_(t, -0.3, 0.7)),
        ("normal_", [7, 5], "f32", lambda t: nl.normal_(t, 0.2, 1.5)),
        ("normal_", [3], "f32", lambda t: nl.normal_(t, 0.2, 1.5)),
        ("normal_", [7, 5], "f64", lambda t: nl.normal_(t, 0.2, 1.5)),
        ("xavier_uniform_", [20, 30], "f32", lambda t: nl.xavier_uniform_(t, gain=1.3)),
        ("xavier_normal_", [20, 30], "f32", lambda t: nl.xavier_normal_(t)),
        ("kaiming_uniform_", [16, 8, 3, 3], "f32",
         lambda t: nl.kaiming_uniform_(t, a=0, mode="fan_in", nonlinearity="relu")),
        ("kaiming_uniform_", [12, 9], "f32",
         lambda t: nl.kaiming_uniform_(t, a=0.1, mode="fan_out", nonlinearity="leaky_relu")),
        ("kaiming_normal_", [32, 16], "f32",
         lambda t: nl.kaiming_normal_(t, mode="fan_in", nonlinearity="relu")),
        ("kaiming_normal_", [4, 3], "f64",
         lambda t: nl.kaiming_normal_(t, a=0.2, mode="fan_out", nonlinearity="leaky_relu")),
        ("trunc_normal_", [50], "f32", lambda t: nl.trunc_normal_(t, 0.0, 0.02, -0.04, 0.04)),
        ("trunc_normal_", [40], "f64", lambda t: nl.trunc_normal_(t, 1.0, 2.0, -1.0, 2.5)),
        ("trunc_normal_", [30], "f32", lambda t: nl.trunc_normal_(t, 0.0, 1.0, 2.0, 3.0)),
        ("orthogonal_", [6, 4], "f32", lambda t: nl.orthogonal_(t)),
        ("orthogonal_", [3, 8], "f32", lambda t: nl.orthogonal_(t, gain=2.0)),
        ("orthogonal_", [5, 5], "f64", lambda t: nl.orthogonal_(t)),
    ]
    for i, (fn, shape, dtype, f) in enumerate(specs):
        torch.manual_seed(100 + i)
        t = torch.zeros(shape, dtype=DT[dtype])
        f(t)
        out.append({"fn": fn, "shape": shape, "dtype": dtype, "seed": 100 + i, "bits": bits(t),
                    "rand_after": bits(torch.rand(2))})
    return {"torch_version": torch.__version__, "cases": out,
            "args": "see tools/golden/rng.py init_cases(): the same order"}


def dropout_cases():
    out = []
    for i, (kind, dtype, shape, p) in enumerate([
        ("dropout", "f32", [40], 0.3), ("dropout", "f32", [7, 9], 0.5),
        ("dropout", "f64", [33], 0.1), ("dropout", "f32", [5], 0.9),
        ("module", "f32", [4, 6], 0.25),
        ("dropout2d", "f32", [2, 5, 3, 3], 0.4), ("dropout2d", "f64", [3, 4, 2, 2], 0.5),
    ]):
        seed = 200 + i
        x = (torch.arange(0, int(torch.tensor(shape).prod()), dtype=DT[dtype]) * 0.37 - 2.0)
        x = x.reshape(shape)
        torch.manual_seed(seed)
        if kind == "dropout":
            y = F.dropout(x, p, training=True)
        elif kind == "module":
            y = nn.Dropout(p).train()(x)
        else:
            y = F.dropout2d(x, p, training=True)
        out.append({"kind": kind, "dtype": dtype, "shape": shape, "p": p, "seed": seed,
                    "x": bits(x), "y": bits(y), "rand_after": bits(torch.rand(2))})
    # nn.MultiheadAttention's dropout on the attention weights (training, need_weights=False).
    mha = []
    for seed, bf in ((250, True), (251, False)):
        torch.manual_seed(seed)
        m = nn.MultiheadAttention(8, 2, dropout=0.3, batch_first=bf)
        x = torch.randn(2, 5, 8) if bf else torch.randn(5, 2, 8)  # sequence length 5
        causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), diagonal=1)
        torch.manual_seed(seed + 1)
        y, _ = m(x, x, x, attn_mask=causal, need_weights=False)
        mha.append({"seed": seed, "batch_first": bf, "y": bits(y),
                    "rand_after": bits(torch.rand(2))})
    return {"torch_version": torch.__version__, "cases": out, "mha": mha}


def data_cases():
    loaders = []
    for i, (n, bs, mode, drop_last) in enumerate([
        (10, 4, "global", False), (10, 3, "generator", False), (7, 7, "global", True),
        (33, 8, "generator", True), (5, 2, "none", False),
    ]):
        seed = 300 + i
        ds = TensorDataset(torch.arange(n))
        torch.manual_seed(seed)
        if mode == "global":
            dl = DataLoader(ds, batch_size=bs, shuffle=True, drop_last=drop_last)
        elif mode == "generator":
            dl = DataLoader(ds, batch_size=bs, shuffle=True, drop_last=drop_last,
                            generator=torch.Generator().manual_seed(seed + 1000))
        else:
            dl = DataLoader(ds, batch_size=bs, shuffle=False, drop_last=drop_last)
        epochs = []
        for _ in range(3):
            epochs.append([int(v) for b in dl for v in b[0]])
            torch.rand(1)  # a draw between epochs (as a training step would make)
        loaders.append({"n": n, "batch_size": bs, "mode": mode, "drop_last": drop_last,
                        "seed": seed, "generator_seed": seed + 1000, "epochs": epochs,
                        "rand_after": bits(torch.rand(2))})
    splits = []
    for i, (lengths, mode) in enumerate([([7, 3], "generator"), ([5, 5, 2], "generator"),
                                         ([10, 20], "global")]):
        seed = 400 + i
        torch.manual_seed(seed)
        data = list(range(sum(lengths)))
        if mode == "generator":
            parts = random_split(data, lengths, generator=torch.Generator().manual_seed(seed))
        else:
            parts = random_split(data, lengths)
        splits.append({"lengths": lengths, "mode": mode, "seed": seed,
                       "indices": [list(p.indices) for p in parts]})
    return {"torch_version": torch.__version__, "loaders": loaders, "random_split": splits}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    for name, f in [("distributions", distributions), ("layers", layer_cases),
                    ("init", init_cases), ("dropout", dropout_cases), ("data", data_cases)]:
        with open(os.path.join(args.out, name + ".json"), "w") as fh:
            json.dump(f(), fh, separators=(",", ":"))
        print("wrote", name)


if __name__ == "__main__":
    main()
