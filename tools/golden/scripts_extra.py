"""More golden runs of the six training scripts (../shared/scripts/*.py), with flags the ten
shared cases (tests/fixtures/scripts/) do not cover: a GRU and a 3-layer tanh RNN, the
transformer with nn.MultiheadAttention and other sizes, makemore's MLP with another context and
width, the CNN with another batch size and no label smoothing, moons with another seed and
penalty, and the CNN with `--scheduler onecycle`. Writes tests/fixtures/scripts_extra/<case>.json and <case>.init.safetensors in the
shared cases' format (see tests/fixtures/scripts/README.md): each run starts from the state the
script itself draws (--save-init), and `tolerance` is measured the same way, from the run on one
thread against the same run on two.

Usage: python tools/golden/scripts_extra.py [--scripts DIR] [--data DIR] [--only CASE ...]
       (any Python with torch and safetensors; DIR defaults to ../shared/scripts and
       ../shared/data beside the repository)
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(REPO, "tests", "fixtures", "scripts_extra")
DATA = {"moons": "moons.csv", "digits_cnn": "digits.csv", "names_mlp": "names.txt",
        "names_rnn": "names.txt", "char_gpt": "paradise_lost.txt"}
CASES = {
    "names_rnn_gru": ("names_rnn", ["--cell", "gru", "--layers", "1", "--batches", "sequential",
                                    "--steps", "30"]),
    "names_rnn_rnn3": ("names_rnn", ["--cell", "rnn", "--layers", "3", "--hidden", "32",
                                     "--batches", "sequential", "--steps", "30", "--seed", "1"]),
    "char_gpt_module": ("char_gpt", ["--attention", "module", "--batches", "sequential",
                                     "--dropout", "0", "--steps", "20", "--n-layer", "1"]),
    "char_gpt_small": ("char_gpt", ["--batches", "sequential", "--dropout", "0", "--steps", "20",
                                    "--n-head", "2", "--n-embd", "32", "--block-size", "16",
                                    "--warmup", "5", "--seed", "2"]),
    "names_mlp_wide": ("names_mlp", ["--block-size", "5", "--n-embd", "8", "--n-hidden", "64",
                                     "--batch-size", "50", "--batches", "sequential",
                                     "--steps", "100"]),
    "digits_cnn_bs32": ("digits_cnn", ["--no-shuffle", "--dropout", "0", "--epochs", "1",
                                       "--batch-size", "32", "--label-smoothing", "0",
                                       "--lr", "1e-3"]),
    "moons_seed5": ("moons", ["--alpha", "1e-3", "--steps", "50", "--seed", "5"]),
    "digits_cnn_onecycle": ("digits_cnn", ["--no-shuffle", "--dropout", "0", "--epochs", "1",
                                           "--scheduler", "onecycle"]),
}


def run(script_dir, data_dir, script, args, threads, extra):
    cmd = [sys.executable, os.path.join(script_dir, script + ".py"), *args]
    if script in DATA:
        cmd += ["--data", os.path.join(data_dir, DATA[script])]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    out = subprocess.run(cmd + extra + ["--json"], capture_output=True, text=True, check=True,
                         env=env)
    return json.loads(out.stdout.splitlines()[-1])


def rel(a, b):
    return 0.0 if a == b else abs(a - b) / abs(b)


def selected_cases(cases, out):
    """Parses the command line (--scripts, --data, --only); makes `out`; yields (cli, name,
    script, args) for each case of `cases` that --only selects."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--scripts", default=os.path.join(REPO, "..", "shared", "scripts"))
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"))
    ap.add_argument("--only", nargs="+", help="write just these cases")
    a = ap.parse_args()
    os.makedirs(out, exist_ok=True)
    for name, (script, args) in cases.items():
        if not a.only or name in a.only:
            yield a, name, script, args


def write_case(out, name, script, args, init, one, two):
    """`out/name.json` in the shared cases' format: the one-thread run `one` as the result, and
    the tolerance measured from the two-thread run `two` against it."""
    spread = [rel(x, y) for x, y in zip(two["losses"], one["losses"])]
    tight = next((i for i, r in enumerate(spread) if r > 1e-5), len(spread))
    final_diff = max(abs(x - y) for k, v in one["final"].items()
                     for x, y in zip(two["final"][k], v))
    tolerance = {"tight_steps": tight, "tight_rtol": 1e-4,
                 "loose_rtol": max(1e-3, 3 * max(spread[tight:], default=0.0)),
                 "final_atol": 1e-4 if final_diff <= 1e-4 else None,
                 "torch_self_final_diff": final_diff}
    case = {"script": script, "args": args, "data": DATA.get(script), "init": init,
            "result": one, "tolerance": tolerance}
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(case, f)
    print(f"{name}: {len(one['losses'])} steps, tight {tight}, final diff {final_diff:.1e}")


def main():
    for a, name, script, args in selected_cases(CASES, OUT):
        init = os.path.join(OUT, name + ".init.safetensors")
        one = run(a.scripts, a.data, script, args, 1, ["--save-init", init])
        again = run(a.scripts, a.data, script, args, 1, ["--init", init])
        assert again["losses"] == one["losses"], f"{name}: not deterministic on one thread"
        two = run(a.scripts, a.data, script, args, 2, ["--init", init])
        write_case(OUT, name, script, args, name + ".init.safetensors", one, two)


if __name__ == "__main__":
    main()
