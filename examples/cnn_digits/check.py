"""Check `zkcc run` on the example against the numpy int model (reference.py), bit for bit.

    python examples/cnn_digits/check.py [PLAN]

Compiles `cnn_digits.zkcu` into a temporary folder unless a plan is given, runs
`zkcc run PLAN -i inputs.json --json`, and compares the public output `pred` with
`reference.predict` on the same inputs; prints the accuracy against the true labels of the
batch (labels.json, written by train.py). Exits 1 on any difference. Needs numpy, not
scikit-learn.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import reference  # noqa: E402

ZKCC = [sys.executable, "-c", "import sys; from zkcc.cli import main; sys.argv[0] = 'zkcc'; main()"]


def zkcc(*args: str) -> str:
    r = subprocess.run([*ZKCC, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"zkcc {' '.join(args)} failed ({r.returncode}):\n{r.stderr}")
    return r.stdout


def main() -> None:
    source = HERE / "cnn_digits.zkcu"
    inputs_path = HERE / "inputs.json"
    shift = int(re.search(r"const int SHIFT = (\d+);", source.read_text()).group(1))
    with tempfile.TemporaryDirectory() as tmp:
        plan = sys.argv[1] if len(sys.argv) > 1 else str(Path(tmp) / "cnn_digits.zkplan")
        if len(sys.argv) <= 1:
            zkcc("compile", str(source), "-o", plan)
        out = json.loads(zkcc("run", plan, "-i", str(inputs_path), "--json"))["outputs"]
    got = np.array(out["pred"]).reshape(-1)
    want = reference.from_inputs(json.loads(inputs_path.read_text()), shift)
    labels = np.array(json.loads((HERE / "labels.json").read_text()))
    same = int(np.sum(got == want))
    print(f"zkcc run: {same}/{len(want)} predictions equal the numpy int model's")
    print(f"accuracy against the labels: {np.mean(got == labels):.2%}")
    if same != len(want):
        print(f"first difference at image {int(np.nonzero(got != want)[0][0])}")
        sys.exit(1)


if __name__ == "__main__":
    main()
