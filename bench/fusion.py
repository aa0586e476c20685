"""Launch fusion on the examples: fused against unfused, measured in one run.

    .venv/bin/python bench/fusion.py [--examples polyeval,inference_bn254] [--repeat 3]

For every example (default: all), the plan compiled as usual and the one compiled with
`--no-fuse` are each proved and verified by `zkcc` subprocesses (bench/costmodel.py's
`measure`: the least of `--repeat` runs), alternately, so both see the same machine load. An
example whose compiler found no fusion site, or took none, is listed as such. The table gives
proof bytes, prove and verify seconds of both plans and the compiler's estimated saving (the
built-in rates its choice uses); JSON goes to bench/results/fusion.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from costmodel import EXAMPLES, measure  # noqa: E402  (bench/ is not a package)

RESULTS = ROOT / "bench" / "results" / "fusion.json"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", help="comma-separated names (default: all)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per plan (least time kept)")
    args = ap.parse_args()

    from zkcc.driver import compile_path

    names = (
        args.examples.split(",")
        if args.examples
        else sorted(p.name for p in EXAMPLES.iterdir() if (p / f"{p.name}.zkcu").exists())
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="zkcc-fusion-") as tmp:
        for name in names:
            fusions = compile_path(EXAMPLES / name / f"{name}.zkcu").fusions or []
            taken = [f for f in fusions if f.taken]
            if not taken:
                why = "; ".join(f"{', '.join(f.parts)}: {f.why}" for f in fusions)
                print(f"{name:24s} no fusion ({why or 'no site'})", flush=True)
                rows.append({"example": name, "fusions": [f.to_json() for f in fusions]})
                continue
            work = {k: Path(tmp) / k for k in ("fused", "unfused")}
            for w in work.values():
                w.mkdir(exist_ok=True)
            fused: dict = {}
            unfused: dict = {}
            for _ in range(args.repeat):  # alternate, so both see the same load
                for opts, best, w in (([], fused, work["fused"]),
                                      (["--no-fuse"], unfused, work["unfused"])):  # fmt: skip
                    _, m = measure(name, w, opts, 1)
                    for k in ("proof_bytes", "prove_seconds", "verify_seconds"):
                        best[k] = min(best.get(k, m[k]), m[k])
            est = {
                k: sum(getattr(f.saved, k) for f in taken)
                for k in ("proof_bytes", "prove_seconds", "verify_seconds")
            }
            rows.append({"example": name, "fused": fused, "unfused": unfused,
                         "estimated_saving": est,
                         "fusions": [f.to_json() for f in fusions]})  # fmt: skip
            kernels = ", ".join(f.kernel for f in taken)
            print(
                f"{name:24s} {kernels}: bytes {unfused['proof_bytes']:8d} -> "
                f"{fused['proof_bytes']:8d} (est. -{est['proof_bytes']})  prove "
                f"{unfused['prove_seconds']:6.2f} -> {fused['prove_seconds']:6.2f}s "
                f"(est. -{est['prove_seconds']:.2f})  verify {unfused['verify_seconds']:5.2f} -> "
                f"{fused['verify_seconds']:5.2f}s (est. -{est['verify_seconds']:.3f})",
                flush=True,
            )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"repeat": args.repeat, "examples": rows}, indent=1) + "\n")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
