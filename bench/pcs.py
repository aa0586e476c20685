"""Ligero PCS benchmark: commit, open (one claim), proof bytes and verify time per size.

    .venv/bin/python bench/pcs.py [--quick]

Sizes: m31 2^16, 2^20, 2^24; bn254 2^16, 2^20 (--quick: m31 2^12, 2^16; bn254 2^12). Prints a
table and writes bench/results/pcs.json.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from zkcc.encoding import Schema, decode, encode
from zkcc.field import get_field, mle_evaluate
from zkcc.pcs.base import PcsClaim
from zkcc.pcs.ligero import LigeroPCS
from zkcc.transcript import Transcript


def run(fname: str, m: int) -> dict:
    F = get_field(fname)
    E = F.ext
    rng = np.random.default_rng(m)
    if fname == "m31":
        table = rng.integers(0, F.p, 1 << m, dtype=np.int64).astype(np.uint64)
    else:
        table = F.array(rng.integers(0, 2**62, 1 << m, dtype=np.int64))
    pcs = LigeroPCS()
    t0 = time.perf_counter()
    com, state = pcs.commit(F, table)
    t1 = time.perf_counter()
    point = F.array(rng.integers(0, 2**62, (E.degree, m), dtype=np.int64))
    claim = PcsClaim("x", point, mle_evaluate(F, table, point))
    t2 = time.perf_counter()
    tree = pcs.open(F, {"x": state}, [claim], Transcript(b"bench"))
    t3 = time.perf_counter()
    data = encode(b"BNCH", 1, tree)
    t4 = time.perf_counter()
    _, parsed = decode(data, b"BNCH", 1, "bench")
    pcs.verify(F, {"x": (com, m)}, [claim], Schema(parsed, "opening"), Transcript(b"bench"))
    t5 = time.perf_counter()
    s = state.shape
    tensor_bytes = (1 << m) * F.byte_len
    return {
        "field": fname,
        "log_size": m,
        "shape": f"2^{s.row_log} x 2^{s.col_log}",
        "queries": s.queries,
        "tests": s.tests,
        "commit_s": round(t1 - t0, 4),
        "commit_melem_s": round((1 << m) / (t1 - t0) / 1e6, 2),
        "open_s": round(t3 - t2, 4),
        "proof_bytes": len(data),
        "proof_pct_of_tensor": round(100 * len(data) / tensor_bytes, 3),
        "verify_s": round(t5 - t4, 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    cases = [("m31", 12), ("m31", 16), ("bn254", 12)]
    if not args.quick:
        cases = [("m31", 16), ("m31", 20), ("m31", 24), ("bn254", 16), ("bn254", 20)]
    rows = []
    head = "field  size  shape          commit_s  Melem/s  open_s  proof_bytes  %tensor  verify_s"
    print(head)
    for fname, m in cases:
        r = run(fname, m)
        rows.append(r)
        print(
            f"{fname:6} 2^{m:<3} {r['shape']:14} {r['commit_s']:8.3f} {r['commit_melem_s']:8.2f} "
            f"{r['open_s']:7.3f} {r['proof_bytes']:12d} {r['proof_pct_of_tensor']:8.3f} "
            f"{r['verify_s']:9.3f}"
        )
    out = Path(__file__).parent / "results" / "pcs.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"scheme": "ligero", "quick": args.quick, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
