"""The cost of zero knowledge on every example: prove time, proof bytes and verify time of a
zero-knowledge plan (the default) against the same program compiled with `--no-zk`, measured
in the same run (docs/zk.md). Prints a table and writes bench/results/zk.json.

    .venv/bin/python bench/zk.py [--repeat N] [EXAMPLE ...]

Each prove is timed N times (default 2) and the best is kept. Beside the table: the machine's
m31 multiply rate (numpy, in place), since machines differ 4x on the same loop.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from machine import m31_mul_rate

from zkcc.driver import compile_path
from zkcc.field import get_field
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.groth16_launch import groth16_steps
from zkcc.runtime.inputs import load_inputs
from zkcc.runtime.keyfiles import setup_plan
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def measure(name: str, zk: bool, repeat: int) -> dict:
    src = EXAMPLES / name / f"{name}.zkcu"
    data = compile_path(src, zk=zk).to_bytes()
    plan, digest = Plan.from_bytes(data), plan_digest(data)
    F = get_field(plan.field)
    inputs = load_inputs(EXAMPLES / name / "inputs.json", plan.program, F)
    pks, vks = setup_plan(plan) if groth16_steps(plan) else (None, None)
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("names", nargs="*", help="examples to measure (default: all)")
    args = ap.parse_args()
    names = args.names or sorted(
        p.name for p in EXAMPLES.iterdir() if (p / f"{p.name}.zkcu").exists()
    )
    rate = m31_mul_rate()
    print(f"machine: m31 multiply {rate} M/s (numpy, in place)")
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
