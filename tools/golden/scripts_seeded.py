"""Golden runs of the six training scripts (../shared/scripts/*.py) started from their seed
alone, in their random modes: random batches (torch.randint), DataLoader shuffling, dropout,
initial weights drawn by torch.manual_seed(seed). Writes tests/fixtures/scripts_seeded/<case>.json
in the shared cases' format (tests/fixtures/scripts/README.md) with "init": null: the Rust
ports replay them with `--seed` only (no `--init`), which works because tapegrad's generator is
PyTorch's (docs/09_random_numbers.md). `tolerance` is measured as in scripts_extra.py, from the
run on one thread against the same run, from the same initial state, on two.

Usage: python tools/golden/scripts_seeded.py [--scripts DIR] [--data DIR] [--only CASE ...]
"""
import os
import tempfile

from scripts_extra import REPO, run, selected_cases, write_case

OUT = os.path.join(REPO, "tests", "fixtures", "scripts_seeded")
CASES = {
    "polynomial_nn": ("polynomial", ["--variant", "nn", "--steps", "50", "--seed", "3"]),
    "polynomial_autograd": ("polynomial", ["--variant", "autograd", "--steps", "50",
                                           "--seed", "1"]),
    "moons": ("moons", ["--steps", "20", "--seed", "2"]),
    "names_mlp": ("names_mlp", ["--steps", "40", "--seed", "1"]),
    "names_rnn": ("names_rnn", ["--steps", "8", "--layers", "2", "--dropout", "0.1",
                                "--seed", "1"]),
    "char_gpt": ("char_gpt", ["--steps", "6", "--n-layer", "1", "--seed", "1"]),
    "digits_cnn": ("digits_cnn", ["--epochs", "1", "--seed", "1"]),
}


def main():
    for a, name, script, args in selected_cases(CASES, OUT):
        with tempfile.TemporaryDirectory() as tmp:
            init = os.path.join(tmp, "init.safetensors")
            one = run(a.scripts, a.data, script, args, 1, ["--save-init", init])
            again = run(a.scripts, a.data, script, args, 1, [])
            assert again["losses"] == one["losses"], f"{name}: not deterministic on one thread"
            two = run(a.scripts, a.data, script, args, 2, ["--init", init])
        write_case(OUT, name, script, args, None, one, two)


if __name__ == "__main__":
    main()
