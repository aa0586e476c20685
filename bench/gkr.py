"""Data-parallel GKR throughput: 2^12 instances x 256 multiplication gates per instance
(4 layers of 64 random mul gates, then a residue layer). Prints a table and writes
bench/results/gkr.json.

    .venv/bin/python bench/gkr.py [--log-instances 12] [--layers 4] [--gates 64] [--field m31]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from zkcc.backends.gkr import GKRProof, evaluate_circuit, prove, verify
from zkcc.backends.gkr.random_circuit import random_circuit, random_inputs
from zkcc.backends.gkr.shard import Shard, to_columns
from zkcc.encoding import Schema, encode
from zkcc.field import get_field
from zkcc.transcript import Transcript


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--log-instances", type=int, default=12)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--gates", type=int, default=64, help="mul gates per layer")
    ap.add_argument("--field", default="m31")
    args = ap.parse_args()
    F = get_field(args.field)
    rng = np.random.default_rng(0)
    w = max(1, (args.gates - 1).bit_length())
    widths = [w] * (args.layers + 1)
    gates = [(args.gates, 0, 0)] * args.layers
    circuit = random_circuit(rng, F.p, widths, gates, [("x", 0, w, False)])
    n = args.log_instances
    layer0 = to_columns(F.array(random_inputs(rng, F.p, circuit, 1 << n)), Shard.whole(n))
    mul_gates = (1 << n) * args.gates * args.layers

    t0 = time.perf_counter()
    layers = evaluate_circuit(F, circuit, layer0)
    t1 = time.perf_counter()
    proof, _ = prove(F, circuit, layers, Transcript(b"bench"))
    t2 = time.perf_counter()
    data = encode(b"ZKGK", 1, proof.to_tree())
    parsed = GKRProof.from_tree(Schema(proof.to_tree(), "proof"), F, circuit, n)
    t3 = time.perf_counter()
    verify(F, circuit, n, parsed, Transcript(b"bench"))
    t4 = time.perf_counter()
    out = {
        "field": args.field,
        "instances": 1 << n,
        "mul_gates_per_instance": args.gates * args.layers,
        "total_mul_gates": mul_gates,
        "witness_s": round(t1 - t0, 4),
        "prove_s": round(t2 - t1, 4),
        "prover_gates_per_s": round(mul_gates / (t2 - t1)),
        "verify_s": round(t4 - t3, 4),
        "proof_bytes": len(data),
    }
    cols = ["instances", "total_mul_gates", "witness_s", "prove_s", "verify_s", "proof_bytes"]
    print("  ".join(f"{c:>15}" for c in cols + ["M gates/s"]))
    print("  ".join(f"{out[c]:>15}" for c in cols) + f"  {out['prover_gates_per_s'] / 1e6:>15.2f}")
    path = Path(__file__).parent / "results" / "gkr.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
