"""PyTorch's training trajectories for the optimizers of issue 13 (Adamax, NAdam, RAdam,
Adadelta, Rprop, ASGD), written to tests/fixtures/optim_v2/*.json.

Run with a PyTorch venv:  python tools/golden/optimizers.py

Two models, each trained full-batch from PyTorch's default initialisation
(torch.manual_seed(0) right before building it):
  "lecture": the lecture's 2-3-2-12-2 sigmoid net (every layer Linear + Sigmoid), MSELoss, the
             3 samples of tests/fixtures/net/ (targets up to 123), 100 epochs;
  "tanh":    a 3-8-4-2 net (Linear + Tanh, Linear + Tanh, Linear), MSELoss, 16 samples drawn
             from torch.Generator().manual_seed(7) (inputs randn, targets randn), 60 epochs.
Loop: loss = mse(net(x), y); opt.zero_grad(); loss.backward(); opt.step() (the objective is
-loss with maximize=True where "objective" is "neg_loss"). The same run in float64 (the
double()d model, same initial values) gives the f64 drift columns.

File: {"kind": "optim_trace", "format_version": 1, "torch_version", "name", "description",
"model": "lecture" | "tanh", "optimizer": {"class", "kwargs" (PyTorch keyword arguments)},
"objective": "loss" | "neg_loss", "epochs",
"input": {"shape", "data"}, "target": {"shape", "data"},
"param_order": [names], "init" / "after_first_step" / "final": {name: {"shape", "data"}},
"losses": [f32 loss before each step], "f64_losses": [...],
"f32_vs_f64_max_rel_diff" (losses), "f32_vs_f64_final_param_max_abs_diff",
"final_state": {name: {state key: {"shape", "data"}}} (ASGD's ax only)}
Float32 values are written as the exact float32 value widened to float64.
"""
import json
import os

import torch
import torch.nn as nn

from golden_dir import fresh_dir, write_index

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "optim_v2")

LECTURE_X = [[0.5, 0.1], [0.05, 0.18], [0.05, 0.31]]
LECTURE_Y = [[1.0, 2.0], [0.0, 3.0], [1.0, 123.0]]


def t(x):
    x = x.detach()
    return {"shape": list(x.shape), "data": [float(v) for v in x.reshape(-1).tolist()]}


def model(kind):
    torch.manual_seed(0)
    if kind == "lecture":
        layers = []
        for a, b in [(2, 3), (3, 2), (2, 12), (12, 2)]:
            layers += [nn.Linear(a, b), nn.Sigmoid()]
        net = nn.Sequential(*layers)
        x, y = torch.tensor(LECTURE_X), torch.tensor(LECTURE_Y)
        return net, x, y, 100
    net = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 4), nn.Tanh(), nn.Linear(4, 2))
    g = torch.Generator().manual_seed(7)
    x = torch.randn(16, 3, generator=g)
    y = torch.randn(16, 2, generator=g)
    return net, x, y, 60


def train(net, x, y, cls, kwargs, objective, epochs):
    if cls == "LBFGS":
        return train_lbfgs(net, x, y, kwargs, objective, epochs)
    opt = getattr(torch.optim, cls)(net.parameters(), **kwargs)
    losses, first = [], None
    for epoch in range(epochs):
        loss = nn.functional.mse_loss(net(x), y)
        losses.append(loss.item())
        opt.zero_grad()
        (-loss if objective == "neg_loss" else loss).backward()
        opt.step()
        if epoch == 0:
            first = {n: t(p) for n, p in net.named_parameters()}
    return opt, losses, first


def train_lbfgs(net, x, y, kwargs, objective, steps):
    """LBFGS: `steps` calls of opt.step(closure); "losses" are the losses step() returns (the
    closure's first evaluation in each call)."""
    opt = torch.optim.LBFGS(net.parameters(), **kwargs)

    def closure():
        opt.zero_grad()
        loss = nn.functional.mse_loss(net(x), y)
        (-loss if objective == "neg_loss" else loss).backward()
        return -loss if objective == "neg_loss" else loss

    losses, first = [], None
    for step in range(steps):
        loss = opt.step(closure)
        losses.append(abs(loss.item()))
        if step == 0:
            first = {n: t(p) for n, p in net.named_parameters()}
    return opt, losses, first


def case(name, kind, cls, kwargs, objective="loss", epochs=None):
    net, x, y, default_epochs = model(kind)
    epochs = epochs or default_epochs
    init = {n: t(p) for n, p in net.named_parameters()}
    net64 = model(kind)[0].double()
    opt, losses, first = train(net, x, y, cls, kwargs, objective, epochs)
    _, losses64, _ = train(net64, x.double(), y.double(), cls, kwargs, objective, epochs)
    final = {n: t(p) for n, p in net.named_parameters()}
    rel = max(abs(a - b) / abs(b) for a, b in zip(losses, losses64))
    final_abs = max(
        (p.detach().double() - q.detach()).abs().max().item()
        for p, q in zip(net.parameters(), net64.parameters()))
    state = {}
    if cls == "ASGD":
        for (n, p) in net.named_parameters():
            state[n] = {"ax": t(opt.state[p]["ax"])}
    desc = (f"{kind} model, torch.optim.{cls}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})"
            f", {epochs} epochs" + (", maximize the negated loss" if objective == "neg_loss" else ""))
    doc = {"kind": "optim_trace", "format_version": 1, "torch_version": torch.__version__,
           "name": name, "description": desc, "model": kind,
           "optimizer": {"class": cls, "kwargs": kwargs}, "objective": objective,
           "epochs": epochs, "input": t(x), "target": t(y),
           "param_order": [n for n, _ in net.named_parameters()],
           "init": init, "after_first_step": first, "final": final, "losses": losses,
           "f64_losses": losses64, "f32_vs_f64_max_rel_diff": rel,
           "f32_vs_f64_final_param_max_abs_diff": final_abs, "final_state": state}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    return name


CASES = [
    ("adamax", "Adamax", {"lr": 0.1}),
    ("adamax_betas_wd", "Adamax", {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6,
                                    "weight_decay": 0.01}),
    ("adamax_maximize", "Adamax", {"lr": 0.02, "maximize": True}, "neg_loss"),
    # NAdam at lr 0.05 makes ill-conditioned runs (PyTorch's own f32-vs-f64 final parameters
    # differ by 4e-2 on the lecture net): lr 0.01 keeps every case's drift below 2e-5.
    ("nadam", "NAdam", {"lr": 0.01}),
    ("nadam_momentum_decay_wd", "NAdam", {"lr": 0.01, "momentum_decay": 0.01,
                                           "weight_decay": 0.01}),
    ("nadam_decoupled", "NAdam", {"lr": 0.01, "weight_decay": 0.05,
                                  "decoupled_weight_decay": True}),
    ("nadam_betas_maximize", "NAdam", {"lr": 0.01, "momentum_decay": 0.02, "betas": (0.9, 0.99),
                                       "maximize": True}, "neg_loss"),
    ("radam", "RAdam", {"lr": 0.05}),
    ("radam_wd", "RAdam", {"lr": 0.03, "betas": (0.9, 0.99), "weight_decay": 0.01}),
    ("radam_decoupled_maximize", "RAdam", {"lr": 0.02, "weight_decay": 0.1,
                                           "decoupled_weight_decay": True, "maximize": True},
     "neg_loss"),
    ("adadelta", "Adadelta", {}),
    ("adadelta_rho_eps_wd", "Adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-5,
                                         "weight_decay": 0.01}),
    ("rprop", "Rprop", {}),
    ("rprop_etas_step_sizes", "Rprop", {"lr": 0.05, "etas": (0.3, 1.5),
                                        "step_sizes": (1e-4, 1.0)}),
    ("rprop_maximize", "Rprop", {"lr": 0.02, "maximize": True}, "neg_loss"),
    ("asgd", "ASGD", {"lr": 0.05}),
    ("asgd_t0_wd", "ASGD", {"lr": 0.1, "lambd": 1e-3, "alpha": 0.5, "t0": 20.0,
                            "weight_decay": 0.01}),
]

# LBFGS: a few calls of step(closure), each up to max_iter iterations. Longer runs are
# ill-conditioned (PyTorch's own f32 and f64 runs end up to 60 apart on the lecture net, whose
# saturated sigmoids leave flat directions), so these stop early.
LBFGS_CASES = [
    ("lbfgs_strong_wolfe", "LBFGS", {"line_search_fn": "strong_wolfe", "max_iter": 3}, 3),
    ("lbfgs_strong_wolfe_history_4", "LBFGS", {"line_search_fn": "strong_wolfe", "max_iter": 5,
                                                "history_size": 4}, 2),
    ("lbfgs_fixed_step", "LBFGS", {"lr": 0.05, "max_iter": 5}, 3),
]


def main():
    fresh_dir(OUT)
    names = []
    for kind in ["lecture", "tanh"]:
        for c in CASES:
            name, cls, kwargs = c[:3]
            objective = c[3] if len(c) > 3 else "loss"
            names.append(case(f"{kind}_{name}", kind, cls, kwargs, objective))
        for name, cls, kwargs, calls in LBFGS_CASES:
            names.append(case(f"{kind}_{name}", kind, cls, kwargs, epochs=calls))
    write_index(OUT, names)


if __name__ == "__main__":
    main()
