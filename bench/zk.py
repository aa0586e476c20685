"""The cost of zero knowledge on every example: prove time, proof bytes and verify time of a
zero-knowledge plan (the default) against the same program compiled with `--no-zk`, measured
in the same run (docs/zk.md). Prints a table and writes bench/results/zk.json.

    .venv/bin/python bench/zk.py [--repeat N] [EXAMPLE ...]
    .venv/bin/python bench/zk.py --baseline OTHER_CHECKOUT [--repeat N] [EXAMPLE ...]

Each prove is timed N times (default 2) and the best is kept. Beside the table: the machine's
m31 multiply rate (numpy, in place), since machines differ 4x on the same loop.

`--baseline DIR` compares another checkout's prover with this one's instead (e.g. `git
worktree add --detach /tmp/before <commit>`): each example's zero-knowledge and plain plans
are compiled and proved once by DIR's code and by this checkout's, both loaded in this process
(bench/checkout.py `load`), then proved N times round-robin (plain before, plain after, zk
before, zk after), and each keeps its best wall time (with its CPU time). It prints both
sides' prove times and zk / no-zk ratios: runs of one code on this machine move by a few
percent from minute to minute, and separate processes of one code by 10-25%, so only runs
interleaved in one process compare two codes.
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

from checkout import load
from machine import m31_mul_rate

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def prepared(name: str, zk: bool) -> tuple:
    """An example's zero-knowledge or plain plan, its digest, inputs and Groth16 proving and
    verifying keys (None without Groth16 launches), made by the zkcc that is importable now
    (this checkout's, or another's under checkout.load)."""
    from zkcc.driver import compile_path
    from zkcc.field import get_field
    from zkcc.plan.plan import Plan, plan_digest
    from zkcc.runtime.groth16_launch import groth16_steps
    from zkcc.runtime.inputs import load_inputs
    from zkcc.runtime.keyfiles import setup_plan

    ex = EXAMPLES / name
    data = compile_path(ex / f"{name}.zkcu", zk=zk).to_bytes()
    plan, digest = Plan.from_bytes(data), plan_digest(data)
    inputs = load_inputs(ex / "inputs.json", plan.program, get_field(plan.field))
    pks, vks = setup_plan(plan) if groth16_steps(plan) else (None, None)
    return plan, digest, inputs, pks, vks


def measure(name: str, zk: bool, repeat: int) -> dict:
    from zkcc.runtime.prover import prove
    from zkcc.runtime.verifier import verify

    plan, digest, inputs, pks, vks = prepared(name, zk)
    best, proof = None, b""
    for _ in range(repeat):
        t0 = time.perf_counter()
        proof = prove(plan, digest, inputs, keys=pks).to_bytes()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    t0 = time.perf_counter()
    verify(plan, digest, proof, keys=vks)
    return {
        "prove_s": round(best, 3),
        "proof_bytes": len(proof),
        "verify_s": round(time.perf_counter() - t0, 3),
    }


class Proves:
    """One example's zero-knowledge and plain plans (`prepared`), proved once to warm up by
    the zkcc that is importable when made (checkout.load)."""

    def __init__(self, name: str) -> None:
        from zkcc.runtime.prover import prove

        self.runs = {}
        for zk in (False, True):
            plan, digest, inputs, keys, _ = prepared(name, zk)
            prove(plan, digest, inputs, keys=keys)
            self.runs[zk] = functools.partial(prove, plan, digest, inputs, keys=keys)

    def timed(self, zk: bool) -> tuple[float, float]:
        """Wall and CPU seconds of one prove of the zk or plain plan."""
        wall, cpu = time.perf_counter(), time.process_time()
        self.runs[zk]()
        return time.perf_counter() - wall, time.process_time() - cpu


def compare(baseline: Path, names: list[str], repeat: int) -> list[dict]:
    """Prove times of `baseline`'s code (before) and this checkout's (after), both loaded in
    this process and interleaved, `repeat` rounds; the best wall time of each side and mode
    (its CPU time beside it)."""
    print(f"prover of {baseline} (before) against this checkout (after), best wall s (cpu s):")
    print(
        f"{'example':18} {'no-zk before':>17} {'after':>17} {'zk before':>17} {'after':>17}"
        f" {'zk/no-zk before':>16} {'after':>6}"
    )
    rows = []
    for name in names:
        sides = {
            side: load(tree, functools.partial(Proves, name))
            for side, tree in (("before", baseline), ("after", ROOT))
        }
        best: dict[tuple[str, bool], tuple[float, float]] = {}
        for _ in range(repeat):
            for zk in (False, True):
                for side, loaded in sides.items():
                    got = loaded.current().timed(zk)
                    best[(side, zk)] = min(best.get((side, zk), got), got)
        row = {
            "example": name,
            **{
                f"{side}_{'zk' if zk else 'no_zk'}": [round(x, 3) for x in t]
                for (side, zk), t in best.items()
            },
            "ratio_before": round(best[("before", True)][0] / best[("before", False)][0], 3),
            "ratio_after": round(best[("after", True)][0] / best[("after", False)][0], 3),
        }
        rows.append(row)
        cells = [
            f"{best[(s, z)][0]:7.3f} ({best[(s, z)][1]:6.3f})"
            for z in (False, True)
            for s in ("before", "after")
        ]
        print(
            f"{name:18} "
            + " ".join(f"{c:>17}" for c in cells)
            + f" {row['ratio_before']:16.2f} {row['ratio_after']:6.2f}",
            flush=True,
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument(
        "--baseline", type=Path, help="another checkout: compare its prover with this one's"
    )
    ap.add_argument("names", nargs="*", help="examples to measure (default: all)")
    args = ap.parse_args()
    names = args.names or sorted(
        p.name for p in EXAMPLES.iterdir() if (p / f"{p.name}.zkcu").exists()
    )
    rate = m31_mul_rate()
    print(f"machine: m31 multiply {rate} M/s (numpy, in place)")
    if args.baseline:
        rows = compare(args.baseline.resolve(), names, args.repeat)
        out = ROOT / "bench" / "results" / "zk_baseline.json"
        out.parent.mkdir(exist_ok=True)
        record = {"m31_mul_m_per_s": rate, "baseline": str(args.baseline), "rows": rows}
        out.write_text(json.dumps(record, indent=1))
        return
    head = (
        f"{'example':24} {'prove no-zk':>11} {'zk':>8} {'x':>6}   "
        f"{'bytes no-zk':>11} {'zk':>9} {'x':>6}   {'verify x':>8}"
    )
    print(head)
    rows = []
    for name in names:
        plain, zk = measure(name, False, args.repeat), measure(name, True, args.repeat)
        row = {
            "example": name,
            "no_zk": plain,
            "zk": zk,
            "prove_x": round(zk["prove_s"] / plain["prove_s"], 2),
            "bytes_x": round(zk["proof_bytes"] / plain["proof_bytes"], 2),
            "verify_x": round(zk["verify_s"] / plain["verify_s"], 2),
        }
        rows.append(row)
        print(
            f"{name:24} {plain['prove_s']:11.3f} {zk['prove_s']:8.3f} {row['prove_x']:6.2f}   "
            f"{plain['proof_bytes']:11d} {zk['proof_bytes']:9d} {row['bytes_x']:6.2f}   "
            f"{row['verify_x']:8.2f}"
        )
    out = ROOT / "bench" / "results" / "zk.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"m31_mul_m_per_s": rate, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
