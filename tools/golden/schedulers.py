"""PyTorch's learning-rate (and momentum) sequences for the schedulers of issue 13, written to
tests/fixtures/lr_schedulers/*.json.

Run with a PyTorch venv:  python tools/golden/schedulers.py

Each case builds an optimizer over two one-element parameters (one group per entry of
"groups"), a scheduler from its spec, then records, after construction and after each of
"steps" calls of `opt.step(); sched.step()`, every group's `lr` (`get_last_lr()` must equal
it) and, where the scheduler cycles it, the group's `momentum` or `betas[0]`.

File: {"kind": "lr_schedule", "format_version": 1, "torch_version", "name", "description",
"optimizer": {"class": "SGD" | "Adam" | "AdamW", "groups": [{PyTorch keyword arguments}]},
"scheduler": spec, "steps": N,
"lrs": [[lr of group 0, lr of group 1, ...] after construction, after step 1, ...],
"last_lrs": the same from get_last_lr(),
"momentum_key": "momentum" | "beta1" | null, "momentums": [[...], ...] | null}

A spec is {"class": name, "kwargs": {PyTorch keyword arguments}}; SequentialLR and
ChainedScheduler have "schedulers": [spec, ...] (built in order on the same optimizer) and
SequentialLR "milestones". MultiplicativeLR's `lr_lambda` is named by "lambda" (see LAMBDAS),
since a function is not data. Values are plain Python floats (f64).
"""
import json
import os

import torch

from golden_dir import fresh_dir, write_index

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "lr_schedulers")

LAMBDAS = {
    "const_0.95": lambda e: 0.95,
    "every_3rd_halves": lambda e: 0.5 if e % 3 == 0 else 1.0,
}


def build(opt, spec):
    cls = getattr(torch.optim.lr_scheduler, spec["class"])
    kwargs = dict(spec.get("kwargs", {}))
    if spec["class"] == "MultiplicativeLR":
        return cls(opt, LAMBDAS[spec["lambda"]])
    if spec["class"] == "SequentialLR":
        subs = [build(opt, s) for s in spec["schedulers"]]
        return cls(opt, subs, milestones=spec["milestones"])
    if spec["class"] == "ChainedScheduler":
        subs = [build(opt, s) for s in spec["schedulers"]]
        return cls(subs, optimizer=opt)
    return cls(opt, **kwargs)


def case(name, description, optimizer, groups, spec, steps):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in groups]
    opt = getattr(torch.optim, optimizer)(
        [dict(params=[p], **g) for p, g in zip(params, groups)])
    sched = build(opt, spec)
    key = None
    if spec["class"] in ("OneCycleLR", "CyclicLR") and spec["kwargs"].get("cycle_momentum", True):
        key = "beta1" if "betas" in opt.defaults else "momentum"

    def snapshot():
        lrs.append([float(g["lr"]) for g in opt.param_groups])
        last.append([float(v) for v in sched.get_last_lr()])
        if key == "beta1":
            moms.append([float(g["betas"][0]) for g in opt.param_groups])
        elif key == "momentum":
            moms.append([float(g["momentum"]) for g in opt.param_groups])

    lrs, last, moms = [], [], []
    snapshot()
    for _ in range(steps):
        for p in params:
            p.grad = torch.ones(1)
        opt.step()
        sched.step()
        snapshot()
    doc = {"kind": "lr_schedule", "format_version": 1, "torch_version": torch.__version__,
           "name": name, "description": description,
           "optimizer": {"class": optimizer, "groups": groups}, "scheduler": spec,
           "steps": steps, "lrs": lrs, "last_lrs": last, "momentum_key": key,
           "momentums": moms if key else None}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    return name


def main():
    fresh_dir(OUT, deterministic=False)
    sgd2 = [{"lr": 0.1, "momentum": 0.9}, {"lr": 0.05, "momentum": 0.5}]
    adamw = [{"lr": 1e-3, "weight_decay": 1e-2}]
    sgd1 = [{"lr": 0.1, "momentum": 0.9}]
    names = []
    n = names.append
    # OneCycleLR: every phase of both layouts, both strategies, both momentum targets.
    n(case("onecycle_sgd_defaults", "OneCycleLR(max_lr=0.5, total_steps=40) on SGD with momentum, "
           "two groups: cos, two phases, momentum cycled", "SGD", sgd2,
           {"class": "OneCycleLR", "kwargs": {"max_lr": 0.5, "total_steps": 40}}, 40))
    n(case("onecycle_adamw_beta1", "OneCycleLR(max_lr=0.01, total_steps=30) on AdamW (digits_cnn): "
           "betas[0] cycled", "AdamW", adamw,
           {"class": "OneCycleLR", "kwargs": {"max_lr": 0.01, "total_steps": 30}}, 30))
    n(case("onecycle_linear_three_phase", "OneCycleLR three_phase, linear, pct_start 0.25, "
           "div_factor 10, final_div_factor 100, max_lr per group", "SGD", sgd2,
           {"class": "OneCycleLR", "kwargs": {"max_lr": [0.4, 0.2], "total_steps": 48,
                                              "pct_start": 0.25, "anneal_strategy": "linear",
                                              "three_phase": True, "div_factor": 10.0,
                                              "final_div_factor": 100.0}}, 48))
    n(case("onecycle_cos_three_phase_epochs", "OneCycleLR three_phase cos from epochs=5, "
           "steps_per_epoch=7, base/max momentum 0.8/0.9", "Adam", [{"lr": 0.01}],
           {"class": "OneCycleLR", "kwargs": {"max_lr": 0.02, "epochs": 5, "steps_per_epoch": 7,
                                              "three_phase": True, "base_momentum": 0.8,
                                              "max_momentum": 0.9}}, 35))
    n(case("onecycle_no_momentum", "OneCycleLR cycle_momentum=False, pct_start 0.5", "SGD",
           [{"lr": 0.1}],
           {"class": "OneCycleLR", "kwargs": {"max_lr": 1.0, "total_steps": 20, "pct_start": 0.5,
                                              "cycle_momentum": False}}, 20))
    # CosineAnnealingWarmRestarts
    n(case("cawr_t0_10_tmult_2", "CosineAnnealingWarmRestarts(T_0=10, T_mult=2, eta_min=1e-3): "
           "restarts at 10, 30, 70", "SGD", sgd2,
           {"class": "CosineAnnealingWarmRestarts",
            "kwargs": {"T_0": 10, "T_mult": 2, "eta_min": 1e-3}}, 80))
    n(case("cawr_t0_7", "CosineAnnealingWarmRestarts(T_0=7)", "SGD", sgd1,
           {"class": "CosineAnnealingWarmRestarts", "kwargs": {"T_0": 7}}, 30))
    # CyclicLR
    n(case("cyclic_triangular_sgd", "CyclicLR(base_lr=0.05, max_lr=0.5, step_size_up=5) on SGD "
           "momentum: triangular, momentum cycled", "SGD", sgd2,
           {"class": "CyclicLR", "kwargs": {"base_lr": 0.05, "max_lr": 0.5, "step_size_up": 5}},
           30))
    n(case("cyclic_triangular2_adam", "CyclicLR triangular2, up 4 down 6, on Adam: beta1 cycled",
           "Adam", [{"lr": 0.01}],
           {"class": "CyclicLR", "kwargs": {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 4,
                                            "step_size_down": 6, "mode": "triangular2"}}, 45))
    n(case("cyclic_exp_range", "CyclicLR exp_range gamma 0.97, up 3, momentum 0.7/0.95", "SGD",
           sgd1,
           {"class": "CyclicLR", "kwargs": {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3,
                                            "mode": "exp_range", "gamma": 0.97,
                                            "base_momentum": 0.7, "max_momentum": 0.95}}, 25))
    n(case("cyclic_no_momentum", "CyclicLR triangular without cycle_momentum", "SGD",
           [{"lr": 0.1}],
           {"class": "CyclicLR", "kwargs": {"base_lr": 0.1, "max_lr": 1.0, "step_size_up": 2,
                                            "cycle_momentum": False}}, 10))
    # ConstantLR, PolynomialLR, MultiplicativeLR
    n(case("constant_defaults", "ConstantLR() (factor 1/3, total_iters 5)", "SGD", sgd2,
           {"class": "ConstantLR", "kwargs": {}}, 8))
    n(case("constant_half_3", "ConstantLR(factor=0.5, total_iters=3)", "SGD", sgd1,
           {"class": "ConstantLR", "kwargs": {"factor": 0.5, "total_iters": 3}}, 6))
    n(case("polynomial_defaults", "PolynomialLR() (total_iters 5, power 1)", "SGD", sgd2,
           {"class": "PolynomialLR", "kwargs": {}}, 8))
    n(case("polynomial_power_2", "PolynomialLR(total_iters=8, power=2.0)", "SGD", sgd1,
           {"class": "PolynomialLR", "kwargs": {"total_iters": 8, "power": 2.0}}, 10))
    n(case("multiplicative_const", "MultiplicativeLR(lr_lambda=lambda e: 0.95)", "SGD", sgd2,
           {"class": "MultiplicativeLR", "lambda": "const_0.95"}, 12))
    n(case("multiplicative_every_3rd", "MultiplicativeLR(lr_lambda=lambda e: 0.5 if e % 3 == 0 "
           "else 1.0)", "SGD", sgd1,
           {"class": "MultiplicativeLR", "lambda": "every_3rd_halves"}, 10))
    # SequentialLR, ChainedScheduler
    n(case("sequential_constant_exponential", "SequentialLR([ConstantLR(factor=0.1, "
           "total_iters=3), ExponentialLR(gamma=0.9)], milestones=[3])", "SGD", sgd2,
           {"class": "SequentialLR", "milestones": [3], "schedulers": [
               {"class": "ConstantLR", "kwargs": {"factor": 0.1, "total_iters": 3}},
               {"class": "ExponentialLR", "kwargs": {"gamma": 0.9}}]}, 10))
    n(case("sequential_linear_cosine_step", "SequentialLR([LinearLR(start_factor=0.1, "
           "total_iters=4), CosineAnnealingLR(T_max=6), StepLR(step_size=2, gamma=0.5)], "
           "milestones=[4, 10])", "SGD", sgd1,
           {"class": "SequentialLR", "milestones": [4, 10], "schedulers": [
               {"class": "LinearLR", "kwargs": {"start_factor": 0.1, "total_iters": 4}},
               {"class": "CosineAnnealingLR", "kwargs": {"T_max": 6}},
               {"class": "StepLR", "kwargs": {"step_size": 2, "gamma": 0.5}}]}, 16))
    n(case("chained_constant_exponential", "ChainedScheduler([ConstantLR(factor=0.1, "
           "total_iters=4), ExponentialLR(gamma=0.9)])", "SGD", sgd2,
           {"class": "ChainedScheduler", "schedulers": [
               {"class": "ConstantLR", "kwargs": {"factor": 0.1, "total_iters": 4}},
               {"class": "ExponentialLR", "kwargs": {"gamma": 0.9}}]}, 8))
    n(case("chained_linear_multistep_polynomial", "ChainedScheduler([LinearLR(start_factor=0.5, "
           "total_iters=3), MultiStepLR(milestones=[2, 5], gamma=0.5), "
           "PolynomialLR(total_iters=6, power=1.5)])", "SGD", sgd1,
           {"class": "ChainedScheduler", "schedulers": [
               {"class": "LinearLR", "kwargs": {"start_factor": 0.5, "total_iters": 3}},
               {"class": "MultiStepLR", "kwargs": {"milestones": [2, 5], "gamma": 0.5}},
               {"class": "PolynomialLR", "kwargs": {"total_iters": 6, "power": 1.5}}]}, 8))
    write_index(OUT, names)


if __name__ == "__main__":
    main()
