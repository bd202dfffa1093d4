"""What the golden generators share: the fixture folder a generator writes, emptied of its old
cases before a full run, and the `index.json` that lists what it wrote.

Used by losses.py, optimizers.py and schedulers.py (each imports it from this folder).
"""
import json
import os

import torch


def fresh_dir(out, deterministic=True):
    """One CPU thread (and, unless told otherwise, deterministic algorithms); `out` exists and
    holds no `.json` case from an earlier run."""
    torch.set_num_threads(1)
    if deterministic:
        torch.use_deterministic_algorithms(True)
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.endswith(".json"):
            os.remove(os.path.join(out, f))


def write_index(out, names):
    """`out/index.json`: {"format_version": 1, "torch_version", "cases": names}; prints the count."""
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"format_version": 1, "torch_version": torch.__version__, "cases": names}, f,
                  indent=1)
        f.write("\n")
    print(f"{len(names)} cases -> {os.path.normpath(out)}")
