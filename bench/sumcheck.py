"""Sumcheck prover throughput: product of two multilinear tables over 2^k points, entries in
the m31 QM31 extension. Prints a table and writes bench/results/sumcheck.json.

    .venv/bin/python bench/sumcheck.py [--log-size 24] [--field m31] [--repeat 2]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from zkcc.backends.gkr.sumcheck import SumcheckProver, SumcheckVerifier
from zkcc.field import get_field
from zkcc.transcript import Transcript


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--log-size", type=int, default=24)
    ap.add_argument("--field", default="m31")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    F = get_field(args.field)
    E = F.ext
    m = args.log_size
    rng = np.random.default_rng(0)
    f = F.array(rng.integers(0, 2**62, (E.degree, 1 << m), dtype=np.int64))
    g = F.array(rng.integers(0, 2**62, (E.degree, 1 << m), dtype=np.int64))
    claim = E.dot(f, g)
    best_prove, best_verify = float("inf"), float("inf")
    for _ in range(args.repeat):
        ff, gg = f.copy(), g.copy()  # the prover consumes donated tables
        t0 = time.perf_counter()
        res = SumcheckProver(F, Transcript(b"bench"), "b").prove(ff, gg, claim, donate=True)
        t1 = time.perf_counter()
        point, final = SumcheckVerifier(F, Transcript(b"bench"), "b").verify(
            claim, res.proof, m, "bench"
        )
        t2 = time.perf_counter()
        assert E.equal(final, E.mul(res.f_eval, res.g_eval))
        best_prove, best_verify = min(best_prove, t1 - t0), min(best_verify, t2 - t1)
    out = {
        "field": E.name,
        "log_size": m,
        "prove_s": round(best_prove, 4),
        "points_per_s": round((1 << m) / best_prove),
        "verify_s": round(best_verify, 5),
        "proof_bytes": sum(len(b) for b in res.proof.to_tree()),
    }
    head = ["field", "log n", "prove s", "M points/s", "verify ms", "bytes"]
    print(" ".join(f"{h:>10}" for h in head))
    print(
        f"{out['field']:>10} {m:>10} {best_prove:>10.3f} {out['points_per_s'] / 1e6:>10.2f} "
        f"{best_verify * 1e3:>10.2f} {out['proof_bytes']:>10}"
    )
    path = Path(__file__).parent / "results" / "sumcheck.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
