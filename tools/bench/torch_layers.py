#!/usr/bin/env python3
"""PyTorch side of the nn layer benches (issue 12, "Speed").

Times, on the CPU in f32, the four workloads of `crates/nn/benches/layers.rs` (same bench ids,
same shapes, forward + sum + backward, gradients set to None before every iteration as
`optimizer.zero_grad()` does) with 2 threads and with 1 thread, and prints one JSON object:

    {"torch": "2.x", "results": {"conv2d/lenet_fwd_bwd": {"threads_2": {"median_ms": ...,
     "runs_ms": [...]}, "threads_1": {...}}, ...}}

Each figure is the median over `--runs` runs of the mean time of `--iters` iterations, after
`--warmup` untimed iterations.

    /tmp/torch-venv/bin/python tools/bench/torch_layers.py [--runs 7] [--iters 10] [--threads 2,1]
"""

import argparse
import json
import statistics
import time

import torch
from torch import nn


def conv3x3(cin, cout, bias):
    return nn.Conv2d(cin, cout, 3, padding=1, bias=bias)


def lenet():
    c1, c2 = conv3x3(1, 16, True), conv3x3(16, 32, True)
    params = list(c1.parameters()) + list(c2.parameters())
    x = torch.randn(64, 1, 8, 8)

    def step():
        for p in params:
            p.grad = None
        loss = c2(torch.relu(c1(x))).sum()
        loss.backward()

    return step


def resnet_block():
    conv_a, bn_a = conv3x3(64, 64, False), nn.BatchNorm2d(64)
    conv_b, bn_b = conv3x3(64, 64, False), nn.BatchNorm2d(64)
    params = [p for m in (conv_a, bn_a, conv_b, bn_b) for p in m.parameters()]
    x = torch.randn(32, 64, 32, 32, requires_grad=True)

    def step():
        for p in params:
            p.grad = None
        x.grad = None
        h = torch.relu(bn_a(conv_a(x)))
        y = torch.relu(bn_b(conv_b(h)) + x)
        y.sum().backward()

    return step


def lstm():
    layer = nn.LSTM(128, 128, batch_first=True)
    params = list(layer.parameters())
    x = torch.randn(32, 32, 128)

    def step():
        for p in params:
            p.grad = None
        out, _ = layer(x)
        out.sum().backward()

    return step


def attention():
    mha = nn.MultiheadAttention(64, 4, dropout=0.0, batch_first=True)
    params = list(mha.parameters())
    x = torch.randn(16, 64, 64)

    def step():
        for p in params:
            p.grad = None
        y, _ = mha(x, x, x, need_weights=False)
        y.sum().backward()

    return step


BENCHES = {
    "conv2d/lenet_fwd_bwd": lenet,
    "conv2d/resnet_block_fwd_bwd": resnet_block,
    "lstm/fwd_bwd": lstm,
    "attention/fwd_bwd": attention,
}


def time_step(step, runs, iters, warmup):
    for _ in range(warmup):
        step()
    runs_ms = []
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(iters):
            step()
        runs_ms.append((time.perf_counter() - t0) * 1e3 / iters)
    return {"median_ms": statistics.median(runs_ms), "runs_ms": runs_ms}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7, help="timed runs per bench (median taken)")
    ap.add_argument("--iters", type=int, default=10, help="iterations per timed run")
    ap.add_argument("--warmup", type=int, default=3, help="untimed iterations first")
    ap.add_argument("--threads", default="2,1", help="comma-separated thread counts")
    ap.add_argument("--only", default=None, help="run only the bench ids containing this")
    args = ap.parse_args()

    results = {}
    for name, make in BENCHES.items():
        if args.only and args.only not in name:
            continue
        results[name] = {}
        for n in (int(t) for t in args.threads.split(",")):
            torch.set_num_threads(n)
            torch.manual_seed(0)
            step = make()
            results[name][f"threads_{n}"] = time_step(step, args.runs, args.iters, args.warmup)
    print(json.dumps({"torch": torch.__version__, "results": results}, indent=2))


if __name__ == "__main__":
    main()
