"""torch.linspace in float32, bit patterns, for tapegrad's bit-exact linspace test.

Usage: python tools/golden/linspace.py   (writes tests/fixtures/linspace_f32.json)
"""
import json
import pathlib

import torch

CASES = [(0, 1, 2000), (-3.7, 11.2, 999), (0.1, 0.7, 17), (5, -2, 100)]

out = pathlib.Path(__file__).resolve().parents[2] / "tests/fixtures/linspace_f32.json"
cases = []
for start, end, steps in CASES:
    t = torch.linspace(start, end, steps, dtype=torch.float32)
    bits = [int(x) for x in t.view(torch.int32).tolist()]
    cases.append({"start": start, "end": end, "steps": steps, "bits": bits})
out.write_text(
    json.dumps({"torch_version": torch.__version__, "cases": cases}, separators=(",", ":"))
)
