#!/usr/bin/env python3
"""PyTorch's side of tapegrad's criterion benches, under the same ids and shapes.

Each workload mirrors one criterion bench of the repository:

| id | tapegrad bench |
|---|---|
| `matmul/{f32,f64}/{64,...,2048}`, `matmul/f32/mlp_*` | `crates/autograd/benches/matmul.rs` |
| `train_step/sigmoid_net/{sgd_momentum,adam}`, `train_step/mlp_784_512_512_10_b128_adam` | `benches/train_step.rs` |
| `conv2d/*`, `lstm/fwd_bwd`, `attention/fwd_bwd`, `ops/*` | `crates/nn/benches/layers.rs` |

and prints one JSON object, `{"torch": version, "threads": T, "results": {id: median_ns}}`:
the median over `--runs` runs of the mean time of one iteration, after untimed warm-up
iterations. `benches/pytorch/compare.py` runs this next to `cargo bench` and prints the ratios.

    python benches/pytorch/torch_workloads.py --threads 2 [--only matmul/f32] [--runs 7]
"""

import argparse
import json
import statistics
import time

import torch
from torch import nn
import torch.nn.functional as F


# --- matmul: C = A B into a preallocated C, as the Rust bench calls `gemm(a, b, &mut out)` --
def matmul(dtype, m, k, n, layout="nn"):
    a = torch.randn(k, m, dtype=dtype).t() if layout == "tn" else torch.randn(m, k, dtype=dtype)
    b = torch.randn(n, k, dtype=dtype).t() if layout == "nt" else torch.randn(k, n, dtype=dtype)
    out = torch.empty(m, n, dtype=dtype)
    return lambda: torch.mm(a, b, out=out)


MATMUL = {}
for _ty, _dtype in (("f32", torch.float32), ("f64", torch.float64)):
    for _n in (64, 128, 256, 512, 1024, 2048):
        MATMUL[f"matmul/{_ty}/{_n}"] = (lambda d, s: lambda: matmul(d, s, s, s))(_dtype, _n)
MATMUL["matmul/f32/mlp_fwd_128x784x512"] = lambda: matmul(torch.float32, 128, 784, 512)
MATMUL["matmul/f32/mlp_bwd_dw_784x128x512"] = lambda: matmul(torch.float32, 784, 128, 512, "tn")
MATMUL["matmul/f32/mlp_bwd_dx_128x512x784"] = lambda: matmul(torch.float32, 128, 512, 784, "nt")
MATMUL["matmul/f32/mlp_out_128x512x10"] = lambda: matmul(torch.float32, 128, 512, 10)


# --- train_step: the lecture network and the MLP, one full optimizer step per iteration -----
class MyNet(nn.Module):
    """The lecture's network: 2-3-2-12-2, a sigmoid after every layer."""

    def __init__(self):
        super().__init__()
        self.hide1 = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid())
        self.hide2 = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid())
        self.hide3 = nn.Sequential(nn.Linear(2, 12), nn.Sigmoid())
        self.out = nn.Sequential(nn.Linear(12, 2), nn.Sigmoid())

    def forward(self, x):
        return self.out(self.hide3(self.hide2(self.hide1(x))))


def training_step(net, loss_fn, opt, x, y):
    """One optimizer step: forward, loss, zero_grad, backward, step."""

    def step():
        loss = loss_fn(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def sigmoid_net(make_optimizer):
    def build():
        net = MyNet()
        x = torch.tensor([[0.5, 0.1], [0.05, 0.18], [0.05, 0.31]])
        y = torch.tensor([[1.0, 2.0], [0.0, 3.0], [1.0, 123.0]])
        return training_step(net, nn.MSELoss(), make_optimizer(net.parameters()), x, y)

    return build


def mlp_adam():
    net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                        nn.Linear(512, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, y = torch.randn(128, 784), torch.randint(0, 10, (128,))
    return training_step(net, nn.CrossEntropyLoss(), opt, x, y)


TRAIN_STEP = {
    "train_step/sigmoid_net/sgd_momentum":
        sigmoid_net(lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.6)),
    "train_step/sigmoid_net/adam": sigmoid_net(lambda p: torch.optim.Adam(p, lr=0.1)),
    "train_step/mlp_784_512_512_10_b128_adam": mlp_adam,
}


# --- layers: forward + sum + backward, gradients set to None first (`zero_grad()`) ----------
def fwd_bwd(modules, x, forward):
    params = [p for m in modules for p in m.parameters()]

    def step():
        for p in params:
            p.grad = None
        if x.requires_grad:
            x.grad = None
        forward().sum().backward()

    return step


def conv3x3(cin, cout, bias):
    return nn.Conv2d(cin, cout, 3, padding=1, bias=bias)


def lenet():
    c1, c2 = conv3x3(1, 16, True), conv3x3(16, 32, True)
    x = torch.randn(64, 1, 8, 8)
    return fwd_bwd([c1, c2], x, lambda: c2(torch.relu(c1(x))))


def resnet_block():
    conv_a, bn_a = conv3x3(64, 64, False), nn.BatchNorm2d(64)
    conv_b, bn_b = conv3x3(64, 64, False), nn.BatchNorm2d(64)
    x = torch.randn(32, 64, 32, 32, requires_grad=True)

    def forward():
        h = torch.relu(bn_a(conv_a(x)))
        return torch.relu(bn_b(conv_b(h)) + x)

    return fwd_bwd([conv_a, bn_a, conv_b, bn_b], x, forward)


def lstm():
    layer = nn.LSTM(128, 128, batch_first=True)  # batch 32, sequence 32
    x = torch.randn(32, 32, 128)
    return fwd_bwd([layer], x, lambda: layer(x)[0])


def attention():
    mha = nn.MultiheadAttention(64, 4, dropout=0.0, batch_first=True)
    x = torch.randn(16, 64, 64)
    return fwd_bwd([mha], x, lambda: mha(x, x, x, need_weights=False)[0])


LAYERS = {
    "conv2d/lenet_fwd_bwd": lenet,
    "conv2d/resnet_block_fwd_bwd": resnet_block,
    "lstm/fwd_bwd": lstm,
    "attention/fwd_bwd": attention,
}


# --- single ops at char_gpt's shapes (crates/nn/benches/layers.rs, `ops`) ------------------
def op(shape, forward, modules=()):
    x = torch.randn(*shape, requires_grad=True)
    return fwd_bwd(list(modules), x, lambda: forward(x))


def positive(shape, forward):
    x = (torch.randn(*shape).abs() + 0.1).requires_grad_(True)
    return fwd_bwd([], x, lambda: forward(x))


def cross_entropy():
    targets = torch.tensor([i * 7 % 65 for i in range(1024)])
    x = torch.randn(1024, 65, requires_grad=True)

    def step():
        x.grad = None
        F.cross_entropy(x, targets).backward()

    return step


def layer_norm():
    ln = nn.LayerNorm(64)
    return op((32, 32, 64), ln, [ln])


OPS = {
    "ops/softmax_fwd_bwd": lambda: op((32, 4, 32, 32), lambda x: x.softmax(-1)),
    "ops/log_softmax_fwd_bwd": lambda: op((1024, 65), lambda x: x.log_softmax(-1)),
    "ops/cross_entropy_fwd_bwd": cross_entropy,
    "ops/gelu_fwd_bwd": lambda: op((32, 32, 256), F.gelu),
    "ops/layer_norm_fwd_bwd": layer_norm,
    "ops/exp_fwd_bwd": lambda: op((32, 32, 256), torch.exp),
    "ops/log_fwd_bwd": lambda: positive((32, 32, 256), torch.log),
    "ops/sin_fwd_bwd": lambda: op((32, 32, 256), torch.sin),
    "ops/erf_fwd_bwd": lambda: op((32, 32, 256), torch.erf),
    "ops/pow_fwd_bwd": lambda: positive((32, 32, 256), lambda x: x.pow(2.5)),
    "ops/expm1_fwd_bwd": lambda: op((32, 32, 256), torch.expm1),
    "ops/log1p_fwd_bwd": lambda: positive((32, 32, 256), torch.log1p),
    "ops/atan_fwd_bwd": lambda: op((32, 32, 256), torch.atan),
}

WORKLOADS = {**MATMUL, **TRAIN_STEP, **LAYERS, **OPS}


def median_ns(step, runs, budget_s):
    """Median over `runs` runs of one iteration's mean time; each run lasts about `budget_s`."""
    t0 = time.perf_counter()
    step()
    first = time.perf_counter() - t0
    iters = max(1, int(budget_s / max(first, 1e-7)))
    for _ in range(min(iters, 50)):
        step()
    runs_ns = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(iters):
            step()
        runs_ns.append((time.perf_counter() - t0) * 1e9 / iters)
    return statistics.median(runs_ns)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--runs", type=int, default=7, help="timed runs per workload (median taken)")
    ap.add_argument("--budget", type=float, default=0.3, help="seconds per timed run")
    ap.add_argument("--only", default="", help="comma-separated id prefixes to run")
    ap.add_argument("--list", action="store_true", help="print the ids and exit")
    args = ap.parse_args()
    if args.list:
        print("\n".join(WORKLOADS))
        return
    prefixes = [p for p in args.only.split(",") if p]
    torch.set_num_threads(args.threads)
    results = {}
    for name, make in WORKLOADS.items():
        if prefixes and not any(name.startswith(p) for p in prefixes):
            continue
        torch.manual_seed(0)
        results[name] = median_ns(make(), args.runs, args.budget)
    print(json.dumps({"torch": torch.__version__, "threads": args.threads, "results": results}))


if __name__ == "__main__":
    main()
