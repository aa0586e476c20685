"""Compare the digests a verified proof made public with digests.json (reference.py's).

    zkcc verify out/p2.zkplan out/p2.zkproof --json > out/p2.verify.json
    python examples/poseidon2_batch/check.py out/p2.verify.json

Exits 1 unless the proof was accepted and all 4,096 digests equal the reference's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    report = json.loads(Path(sys.argv[1]).read_text())
    want = json.loads((HERE / "digests.json").read_text())
    if report.get("status") != "accepted":
        sys.exit(f"proof not accepted: {report.get('status')}")
    got = report["public"]["digests"]
    same = sum(g == w for g, w in zip(got, want, strict=True))
    print(f"{same}/{len(want)} digests equal the plain-Python Poseidon2's")
    if same != len(want):
        sys.exit(1)


if __name__ == "__main__":
    main()
