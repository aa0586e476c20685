"""Write inputs.json (4,096 pairs of 8-element M31 digests) and digests.json (their expected
compressions, from reference.py), deterministically.

    python examples/poseidon2_batch/gen_inputs.py
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import reference  # noqa: E402

BATCH = 4096
SEED = 2


def inputs(seed: int = SEED, batch: int = BATCH) -> dict:
    rng = random.Random(seed)
    digest = lambda: [rng.randrange(reference.P) for _ in range(8)]  # noqa: E731
    pairs = [(digest(), digest()) for _ in range(batch)]
    return {"left": [a for a, _ in pairs], "right": [b for _, b in pairs]}


def main() -> None:
    reference.self_test()
    data = inputs()
    want = [reference.compress(a, b) for a, b in zip(data["left"], data["right"], strict=True)]
    (HERE / "inputs.json").write_text(json.dumps(data, separators=(",", ":")) + "\n")
    (HERE / "digests.json").write_text(json.dumps(want, separators=(",", ":")) + "\n")
    print(f"wrote {BATCH} pairs to inputs.json and their digests to digests.json")


if __name__ == "__main__":
    main()
