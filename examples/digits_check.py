"""Check `zkcc run` on a digits example (mlp_digits, cnn_digits) against its numpy int model
(the folder's reference.py), bit for bit: each folder's check.py calls `check`.

Compiles `NAME.zkcu` into a temporary folder unless a plan is given, runs
`zkcc run PLAN -i inputs.json --json`, and compares the public output `pred` with
`reference.from_inputs` on the same inputs; prints the accuracy against the true labels of the
batch (labels.json, written by train.py). Exits 1 on any difference. Needs numpy, not
scikit-learn.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ZKCC = [sys.executable, "-c", "import sys; from zkcc.cli import main; sys.argv[0] = 'zkcc'; main()"]


def zkcc(*args: str) -> str:
    r = subprocess.run([*ZKCC, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"zkcc {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def check(folder: Path, argv: list[str]) -> None:
    """`argv`: an optional plan file (else the example is compiled first)."""
    spec = importlib.util.spec_from_file_location("reference", folder / "reference.py")
    reference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(reference)
    name = folder.name
    source = folder / f"{name}.zkcu"
    inputs_path = folder / "inputs.json"
    shift = int(re.search(r"const int SHIFT = (\d+);", source.read_text()).group(1))
    with tempfile.TemporaryDirectory() as tmp:
        plan = argv[0] if argv else str(Path(tmp) / f"{name}.zkplan")
        if not argv:
            zkcc("compile", str(source), "-o", plan)
        out = json.loads(zkcc("run", plan, "-i", str(inputs_path), "--json"))["outputs"]
    got = np.array(out["pred"]).reshape(-1)
    want = reference.from_inputs(json.loads(inputs_path.read_text()), shift)
    labels = np.array(json.loads((folder / "labels.json").read_text()))
    same = int(np.sum(got == want))
    print(f"zkcc run: {same}/{len(want)} predictions equal the numpy int model's")
    print(f"accuracy against the labels: {np.mean(got == labels):.2%}")
    if same != len(want):
        print(f"first difference at image {int(np.nonzero(got != want)[0][0])}")
        sys.exit(1)
