"""Cost model vs measurement on every example and benchmark program: prove time, peak RSS,
proof bytes, verify time.

    .venv/bin/python bench/costmodel.py [--examples dot,mimc] [--defaults] [--repeat 1]

Each example is compiled, set up (Groth16 launches) and proved and verified by `zkcc`
subprocesses (`prove --json` reports the prover's seconds and its own peak RSS, so every
measurement is of a fresh process); the estimate is made in this process from the plan and
the machine profile, calibrated first in this run (or the shipped defaults with
--defaults), so estimate and measurement come from the same machine in the same run. The
table gives estimate / measured ratios; JSON goes to bench/results/costmodel.json. One
primitive's rate (m31 extension multiply) is printed beside the results (DESIGN.md:
machines differ several-fold).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ZKCC = [str(Path(sys.executable).with_name("zkcc"))]  # the console script beside python
EXAMPLES = ROOT / "examples"
RESULTS = ROOT / "bench" / "results" / "costmodel.json"


def _run(args: list[str]) -> dict:
    out = subprocess.run([*ZKCC, *args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"zkcc {' '.join(args)} failed: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout) if "--json" in args else {}


# benchmark programs beside the examples: bench/scale.py's kernels at sizes that prove in
# seconds (a deep data-parallel GKR launch; a wide private input whose commitment dominates)
BENCH_PROGRAMS = {"bench-mix": (12, 16, 0), "bench-wide": (10, 0, 256)}  # log n, rounds, width


def sources(names: list[str], work: Path) -> list[tuple[str, Path, Path]]:
    """(name, source, inputs) of each example or benchmark program named."""
    sys.path.insert(0, str(ROOT / "bench"))
    from scale import KERNEL, WIDE_KERNEL  # the benchmark's own kernels, not copies

    out = []
    for name in names:
        if name not in BENCH_PROGRAMS:
            out.append((name, EXAMPLES / name / f"{name}.zkcu", EXAMPLES / name / "inputs.json"))
            continue
        log_n, rounds, width = BENCH_PROGRAMS[name]
        n = 1 << log_n
        text = WIDE_KERNEL.format(n=n, width=width) if width else KERNEL.format(n=n, rounds=rounds)
        src, inputs = work / f"{name}.zkcu", work / f"{name}.npz"
        src.write_text(text)
        x = np.random.default_rng(log_n).integers(0, 2**31 - 1, (n, width or 16), dtype=np.int32)
        np.savez(inputs, x=x)
        out.append((name, src, inputs))
    return out


def measure(
    name: str, src: Path, inputs: Path, work: Path, options: list[str], repeat: int
) -> tuple[Path, dict]:
    """Compile, set up if needed, prove and verify `repeat` times; the least times."""
    plan = work / f"{name}.zkplan"
    proof = work / f"{name}.zkproof"
    summary = _run(["compile", str(src), "-o", str(plan), "--json", *options])
    if any("r1cs" in s for s in summary["steps"]):
        _run(["setup", str(plan), "-q"])
    best: dict = {}
    for _ in range(repeat):
        p = _run(["prove", str(plan), "-i", str(inputs), "-o",
                  str(proof), "--json", "-q"])  # fmt: skip
        v = _run(["verify", str(plan), str(proof), "--json"])
        run = {
            "prove_seconds": p["seconds"],
            "prove_peak_bytes": p["peak_rss_bytes"],
            "proof_bytes": p["bytes"],
            "verify_seconds": v["seconds"],
            "launches": {x["step"]: x["seconds"] for x in p["launches"]},
        }
        best = run if not best else {
            k: (min(best[k], run[k]) if k != "launches" else best[k]) for k in run
        }  # fmt: skip
    return plan, best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--examples",
        help=f"comma-separated names (default: every example and {', '.join(BENCH_PROGRAMS)})",
    )
    ap.add_argument("--defaults", action="store_true", help="use the shipped default rates")
    ap.add_argument("--repeat", type=int, default=1, help="runs per example (least time kept)")
    ap.add_argument("--no-zk", action="store_true", help="compile with --no-zk")
    ap.add_argument("--pcs", default="ligero", choices=["ligero", "merkle"])
    args = ap.parse_args()

    from zkcc.analysis.costmodel import estimate_plan
    from zkcc.analysis.profile import calibrate, default_profile
    from zkcc.plan.plan import Plan

    profile = default_profile() if args.defaults else calibrate()
    names = (
        args.examples.split(",")
        if args.examples
        else sorted(p.name for p in EXAMPLES.iterdir() if (p / f"{p.name}.zkcu").exists())
        + sorted(BENCH_PROGRAMS)
    )
    options = ["--pcs", args.pcs] + (["--no-zk"] if args.no_zk else [])
    rows = []
    with tempfile.TemporaryDirectory(prefix="zkcc-costmodel-") as tmp:
        for name, src, inputs in sources(names, Path(tmp)):
            plan_path, m = measure(name, src, inputs, Path(tmp), options, args.repeat)
            est = estimate_plan(Plan.from_bytes(plan_path.read_bytes()), profile)
            e = {
                "prove_seconds": est.prove_seconds,
                "prove_peak_bytes": est.prove_peak_bytes,
                "proof_bytes": est.proof_bytes,
                "verify_seconds": est.verify_seconds,
                "launches": {s.step: s.current.prove_seconds for s in est.steps},
            }
            ratio = {k: e[k] / m[k] for k in e if k != "launches" and m[k]}
            rows.append({"example": name, "estimate": e, "measured": m, "ratio": ratio})
            print(
                f"{name:24s} prove {e['prove_seconds']:7.3f}/{m['prove_seconds']:7.3f}s "
                f"x{ratio['prove_seconds']:.2f}  mem {e['prove_peak_bytes'] >> 20:4d}/"
                f"{m['prove_peak_bytes'] >> 20:4d}MiB x{ratio['prove_peak_bytes']:.2f}  "
                f"bytes {e['proof_bytes']:8d}/{m['proof_bytes']:8d} "
                f"x{ratio['proof_bytes']:.4f}  verify {e['verify_seconds']:6.3f}/"
                f"{m['verify_seconds']:6.3f}s x{ratio['verify_seconds']:.2f}",
                flush=True,
            )
    rate = profile.rate("m31.ext_mul")
    print(f"machine: m31 extension multiply {1e-6 / rate:.1f} M/s ({profile.source} profile)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "profile": profile.to_json() | {"source": profile.source},
                "options": options,
                "m31_ext_mul_per_second": 1 / rate,
                "examples": rows,
            },
            indent=1,
            default=str,
        )
        + "\n"
    )
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
