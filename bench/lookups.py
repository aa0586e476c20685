"""What lookups save: a 16-bit ReLU and an 8-bit table lookup, each compiled the ways zkcc can
check it, measured in the same run (docs/lookups.md). Prints a table and writes
bench/results/lookups_<log-n>.json.

    .venv/bin/python bench/lookups.py [--log-n 12] [--per 8] [--repeat 1] [--zk] [OP ...]
    .venv/bin/python bench/lookups.py --examples mlp_digits cnn_digits

Each program runs `--per` operations per instance over 2^log-n instances, m31, in a plan
without zero knowledge (GKR, Ligero; `--zk`: with it, where LogUp commits inverses and proves
them with two hiding check circuits, zkcc/runtime/zk_lookups.py), proved in-process; the prove
time is the best of `--repeat`. The variants:

* relu16, `bits`: `relu` of an i16 input, range checks as to_bits (compile_source with
  lookups=False, what a zero-knowledge plan gets); `logup`: the same source with lookups=True
  (LOOKUPs on range tables, proved by LogUp);
* table8: y = T[k] for a 256-entry table T and a key k in 0..255, as `is_zero` (today's way
  without the builtin: sum_j T[j] * is_zero(k - j), 256 tests; a key outside 0..255 gives 0
  instead of failing), as `bits` (lookup(T, k) with lookups=False: 8 bits and T's multilinear
  fold) and as `logup` (lookup(T, k) with lookups=True).

Columns, per operation (a kernel instance's counts divided by --per): mul and add gates of the
layered circuit (zkcc.analysis.stats.kernel_stats), LOOKUPs, and fraction-tree leaves (the
LOOKUPs plus each table's rows spread over the launch's operations: a table is summed once per
launch). `cost` counts a leaf as 3 gates: building the fractional-sum tree takes about 3
extension multiplications per leaf (a d + c b and b d per node, one node per leaf) and its
sumcheck about as much again, against a GKR gate's few base-field products per layer; it is a
rough equivalence, so the measured prove time and proof size stand beside it. With `--zk`
there are no leaves: `check` is the gates of the check circuits per operation (the queries'
circuit per instance divided by --per, each table's per row spread over the operations), and
`cost` adds them. Beside the table: the machine's m31 multiply rate (numpy, in place), since
machines differ 4x.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np
from machine import m31_mul_rate

from zkcc.analysis.stats import kernel_stats
from zkcc.driver import plan_program
from zkcc.field import get_field
from zkcc.frontend import compile_file, compile_source
from zkcc.ir.kernel import Op
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.inputs import load_inputs
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify
from zkcc.runtime.zk_lookups import hidden_lookups

ROOT = Path(__file__).resolve().parents[1]
LEAF_GATES = 3  # gates a fraction-tree leaf is counted as (module docstring)

RELU = """#pragma field m31
__global__ void op(const i16 x[{per}], i16 y[{per}]) {{
    for (int i = 0; i < {per}; i++) {{ y[i] = relu(x[i]); }}
}}
__host__ void main(private field x[{n}][{per}], public out field y[{n}][{per}]) {{
    op<<<{n}>>>(x, y);
}}
"""
TABLE = """#pragma field m31
#include <nn_tables.zkcu>
__global__ void op(const field x[{per}], field y[{per}]) {{
    for (int i = 0; i < {per}; i++) {{ {body} }}
}}
__host__ void main(private field x[{n}][{per}], public out field y[{n}][{per}]) {{
    op<<<{n}>>>(x, y);
}}
"""
IS_ZERO = (
    "field acc = 0; "
    "for (int j = 0; j < 256; j++) { acc += NN_SIGMOID_Q8[j] * is_zero(x[i] - j); } "
    "y[i] = acc;"
)
LOOKUP = "y[i] = lookup(NN_SIGMOID_Q8, x[i]);"

# (operation, variant, source template, body, lookups, input range)
CASES = [
    ("relu16", "bits", RELU, "", False, (-(1 << 15), 1 << 15)),
    ("relu16", "logup", RELU, "", True, (-(1 << 15), 1 << 15)),
    ("table8", "is_zero", TABLE, IS_ZERO, False, (0, 256)),
    ("table8", "bits", TABLE, LOOKUP, False, (0, 256)),
    ("table8", "logup", TABLE, LOOKUP, True, (0, 256)),
]


def check_gates(plan: Plan, n: int, per: int) -> float:
    """Gates of a zero-knowledge plan's lookup check circuits per operation."""
    total = 0
    for hidden in hidden_lookups(plan):
        for _, hc, _ in hidden.checks():
            layer = hc.circuit.layers[0]
            total += (len(layer.mul_wires) + len(layer.add_wires)) << hc.n_log2
    return total / (n * per)


def measure(case: tuple, n: int, per: int, repeat: int, zk: bool) -> dict:
    op, variant, template, body, lookups, (lo, hi) = case
    src = template.format(n=n, per=per, body=body)
    program = compile_source(src, f"{op}.zkcu", lookups)
    data = plan_program(program, zk=zk, choose_lookups=False).to_bytes()
    plan, digest = Plan.from_bytes(data), plan_digest(data)
    kernel = plan.kernels["op"]
    stats = kernel_stats(kernel.ir, kernel.circuit)
    lookup_count = sum(ins.op is Op.LOOKUP for ins in kernel.ir.instrs)
    table_rows = sum(t.rows for t in kernel.ir.tables)
    F = get_field("m31")
    rng = random.Random(1)
    x = np.array([rng.randrange(lo, hi) for _ in range(n * per)], dtype=np.int64)
    best, proof = None, b""
    for _ in range(repeat):
        t0 = time.perf_counter()
        proof = prove(plan, digest, {"x": F.array(x)}).to_bytes()
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    verify(plan, digest, proof)
    leaves = 0.0 if zk else lookup_count / per + table_rows / (n * per)
    check = check_gates(plan, n, per) if zk else 0.0
    mul, add = stats["mul_gates"] / per, stats["add_gates"] / per
    return {
        "op": op,
        "variant": variant,
        "mul_gates": round(mul, 2),
        "add_gates": round(add, 2),
        "lookups": round(lookup_count / per, 2),
        "leaves": round(leaves, 3),
        "check_gates": round(check, 2),
        "cost": round(mul + add + LEAF_GATES * leaves + check, 2),
        "prove_s": round(best, 3),
        "proof_bytes": len(proof),
    }


EXAMPLE_VARIANTS = [  # (label, zero knowledge, lookups)
    ("zk, bits", True, False),
    ("zk, lookups", True, True),  # LogUp where the cost model says it pays
    ("no-zk, bits", False, False),
    ("no-zk, lookups", False, True),
]


def measure_example(name: str) -> list[dict]:
    """One example proved four ways (bits or LogUp, with zero knowledge or without), with
    its inputs.json."""
    folder = ROOT / "examples" / name
    rows = []
    for label, zk, lookups in EXAMPLE_VARIANTS:
        data = plan_program(compile_file(folder / f"{name}.zkcu", lookups), zk=zk).to_bytes()
        plan, digest = Plan.from_bytes(data), plan_digest(data)
        F = get_field(plan.field)
        inputs = load_inputs(folder / "inputs.json", plan.program, F)
        kernels = list(plan.kernels.values())
        t0 = time.perf_counter()
        proof = prove(plan, digest, inputs).to_bytes()
        prove_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        verify(plan, digest, proof)
        rows.append(
            {
                "example": name,
                "variant": label,
                "mul_gates": sum(k.circuit_stats["mul_gates"] for k in kernels),
                "add_gates": sum(k.circuit_stats["add_gates"] for k in kernels),
                "lookups": sum(k.circuit_stats["lookups"] for k in kernels),
                "prove_s": round(prove_s, 2),
                "verify_s": round(time.perf_counter() - t0, 2),
                "proof_bytes": len(proof),
            }
        )
        r = rows[-1]
        print(
            f"{name:12} {label:13} {r['mul_gates']:7d} {r['add_gates']:7d} {r['lookups']:5d} "
            f"{r['prove_s']:7.2f} {r['verify_s']:6.2f} {r['proof_bytes']:9d}"
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--log-n", type=int, default=12, help="log2 of the instances")
    ap.add_argument("--per", type=int, default=8, help="operations per instance")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--zk", action="store_true", help="zero-knowledge plans")
    ap.add_argument(
        "--examples",
        nargs="+",
        metavar="NAME",
        help="instead: prove these examples four ways (zk or not, bits or LogUp)",
    )
    ap.add_argument("ops", nargs="*", help="relu16 and/or table8 (default: both)")
    args = ap.parse_args()
    n = 1 << args.log_n
    rate = m31_mul_rate()
    print(f"machine: m31 multiply {rate} M/s (numpy, in place)")
    if args.examples:
        print(
            f"{'example':12} {'plan':13} {'mul':>7} {'add':>7} {'lkps':>5} {'prove':>7} "
            f"{'verify':>6} {'proof B':>9}   (gates: per instance, all kernels)"
        )
        rows = [r for name in args.examples for r in measure_example(name)]
        out = ROOT / "bench" / "results" / "lookups_examples.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps({"m31_mul_m_per_s": rate, "rows": rows}, indent=1))
        return
    plans = "zero-knowledge" if args.zk else "no-zk"
    print(f"{n} instances x {args.per} operations, m31, {plans} plans; per operation:")
    print(
        f"{'op':7} {'variant':8} {'mul':>7} {'add':>7} {'lookups':>7} {'leaves':>7} "
        f"{'check':>7} {'cost':>8} {'prove s':>8} {'proof B':>9}   {'cost x':>7} {'prove x':>7}"
    )
    rows: list[dict] = []
    for case in CASES:
        if args.ops and case[0] not in args.ops:
            continue
        row = measure(case, n, args.per, args.repeat, args.zk)
        base = next(r for r in rows + [row] if r["op"] == row["op"])  # the first variant
        row["cost_vs_first"] = round(row["cost"] / base["cost"], 4)
        row["prove_vs_first"] = round(row["prove_s"] / base["prove_s"], 3)
        rows.append(row)
        print(
            f"{row['op']:7} {row['variant']:8} {row['mul_gates']:7.1f} {row['add_gates']:7.1f} "
            f"{row['lookups']:7.2f} {row['leaves']:7.3f} {row['check_gates']:7.2f} "
            f"{row['cost']:8.1f} "
            f"{row['prove_s']:8.3f} {row['proof_bytes']:9d}   "
            f"{row['cost_vs_first']:7.4f} {row['prove_vs_first']:7.3f}"
        )
    zk_tag = "_zk" if args.zk else ""
    out = ROOT / "bench" / "results" / f"lookups_{args.log_n}{zk_tag}.json"
    out.parent.mkdir(exist_ok=True)
    config = {"log_n": args.log_n, "per": args.per, "repeat": args.repeat, "field": "m31"}
    config["zk"] = args.zk
    out.write_text(json.dumps({"m31_mul_m_per_s": rate, **config, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
