"""Ligero PCS benchmark: commit, open (one claim), proof bytes and verify time per size,
hiding (zero-knowledge, the default) and plain (`--no-zk`) side by side, with their ratios.

    .venv/bin/python bench/pcs.py [--quick] [--repeat N]

Sizes: m31 2^10 .. 2^24; bn254 2^12, 2^16, 2^20 (--quick: m31 2^12, 2^16; bn254 2^12). Commit
is timed N times (default 3) and the best is reported with the first (the first also pays for
twiddle tables and, in a fresh VM, first-touch page faults). `thread_scaling` is how much
faster two threads run a numpy loop than one: ~2 when both cores are free, ~1 when another
process holds one of them. Prints a table and writes bench/results/pcs.json.
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


def thread_scaling() -> float:
    """Speed of two threads over one on a numpy ufunc loop (numpy releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    a = np.arange(1 << 16, dtype=np.uint64)
    outs = [np.empty_like(a) for _ in range(2)]

    def loop(k: int, n: int = 1500) -> None:
        for _ in range(n):
            np.multiply(a, a, out=outs[k])

    t0 = time.perf_counter()
    loop(0, 3000)
    one = time.perf_counter() - t0
    with ThreadPoolExecutor(2) as ex:
        t0 = time.perf_counter()
        list(ex.map(loop, [0, 1]))
        two = time.perf_counter() - t0
    return round(one / two, 2)


def run(fname: str, m: int, repeat: int, hiding: bool) -> dict:
    F = get_field(fname)
    E = F.ext
    rng = np.random.default_rng(m)
    if fname == "m31":
        table = rng.integers(0, F.p, 1 << m, dtype=np.int64).astype(np.uint64)
    else:
        table = F.array(rng.integers(0, 2**62, 1 << m, dtype=np.int64))
    pcs = LigeroPCS(hiding=hiding)
    times = []
    state = None
    for _ in range(repeat):
        # Free the previous state first: holding it would make every repeat fault in fresh
        # pages (~0.5 s per 256 MiB in this VM), which the first run already reports.
        state = None
        t0 = time.perf_counter()
        com, state = pcs.commit(F, table)
        times.append(time.perf_counter() - t0)
    best = min(times)
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
        "zk": hiding,
        "log_size": m,
        "shape": f"2^{s.row_log} x 2^{s.col_log}",
        "queries": s.queries,
        "tests": s.tests,
        "commit_s": round(best, 4),
        "commit_first_s": round(times[0], 4),
        "commit_melem_s": round((1 << m) / best / 1e6, 2),
        "open_s": round(t3 - t2, 4),
        "proof_bytes": len(data),
        "proof_pct_of_tensor": round(100 * len(data) / tensor_bytes, 3),
        "verify_s": round(t5 - t4, 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cases = [("m31", 12), ("m31", 16), ("bn254", 12)]
    if not args.quick:
        cases = [("m31", m) for m in (10, 12, 14, 16, 20, 24)]
        cases += [("bn254", 12), ("bn254", 16), ("bn254", 20)]
    scaling = thread_scaling()
    print(f"two threads / one thread on a numpy loop: {scaling}x")
    rows, ratios = [], []
    head = (
        "field  size  zk    shape          commit_s  Melem/s  open_s  proof_bytes  %tensor"
        "  verify_s"
    )
    print(head)
    for fname, m in cases:
        pair = {}
        for hiding in (False, True):
            r = run(fname, m, 1 if fname == "bn254" and m >= 20 else args.repeat, hiding)
            rows.append(r)
            pair[hiding] = r
            print(
                f"{fname:6} 2^{m:<3} {'yes' if hiding else 'no':5} {r['shape']:14} "
                f"{r['commit_s']:8.3f} {r['commit_melem_s']:8.2f} {r['open_s']:7.3f} "
                f"{r['proof_bytes']:12d} {r['proof_pct_of_tensor']:8.3f} {r['verify_s']:9.3f}"
            )
        zk, plain = pair[True], pair[False]
        ratios.append(
            {
                "field": fname,
                "log_size": m,
                "commit_open_x": round(
                    (zk["commit_s"] + zk["open_s"]) / (plain["commit_s"] + plain["open_s"]), 3
                ),
                "proof_bytes_x": round(zk["proof_bytes"] / plain["proof_bytes"], 3),
                "verify_x": round(zk["verify_s"] / plain["verify_s"], 3),
            }
        )
    print("\nzero knowledge / plain, same run: (commit + open) time, proof bytes, verify time")
    for q in ratios:
        print(
            f"{q['field']:6} 2^{q['log_size']:<3} {q['commit_open_x']:6.2f}x "
            f"{q['proof_bytes_x']:6.2f}x {q['verify_x']:6.2f}x"
        )
    out = Path(__file__).parent / "results" / "pcs.json"
    out.parent.mkdir(exist_ok=True)
    doc = {
        "scheme": "ligero",
        "quick": args.quick,
        "thread_scaling": scaling,
        "rows": rows,
        "zk_over_plain": ratios,
    }
    out.write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
