"""Fuzz zkcc for a time budget: `python -m tests.fuzz.run --seconds 60 [--target proofs ...]`.

Each target runs for `--seconds` (after its seeds are made and checked), as batches of
hypothesis examples with consecutive seeds from `--seed`, so a whole session replays from its
seed. A finding does not stop the target: it is saved (the input bytes and a .txt with the
case, the exception and the traceback) under `--findings`, reported once per distinct bug
(kind and innermost zkcc frame), and fuzzing goes on. At the end a table of cases tried,
outcomes and findings is printed and written as JSON (bench/results/fuzz.json). Exit status:
0 no finding, 1 findings, 2 a seed that does not pass unmutated.

A case that kills the process (a segfault, the OOM killer) leaves its Case in
FINDINGS/TARGET-last-case.txt, and faulthandler prints where it crashed.

`make fuzz` runs every target with FUZZ_SECONDS (default 60) each.
"""

from __future__ import annotations

import argparse
import ast
import faulthandler
import json
import os
import random
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings

from .harness import Finding
from .mutate import Case
from .targets import ROOT, TARGETS, SeedError, Target

BATCH = 25  # hypothesis examples per batch: small, so the time budget is kept closely
OUTCOMES = ("accepted", "rejected", "refused", "unchanged")


def say(*parts: object) -> None:
    """print, flushed: progress must show as it happens when the output is a file or a pipe."""
    print(*parts, flush=True)


def save_finding(f: Finding, directory: Path, n: int, suffix: str) -> None:
    """The reproducer: the input bytes, and beside them what went wrong and how to replay."""
    directory.mkdir(parents=True, exist_ok=True)
    f.saved = directory / f"{f.target}-{n}{suffix}"
    f.saved.write_bytes(f.data)
    f.saved.with_suffix(f.saved.suffix + ".txt").write_text(
        f"target: {f.target}\nkind: {f.kind}\nwhere: {f.where}\nsummary: {f.summary}\n"
        f"case: {f.case!r}\n\n{f.detail}"
    )


def fuzz_target(
    target: Target, seconds: float, first_seed: int, findings_dir: Path, log=say
) -> dict:
    """Fuzz one target for `seconds`; returns its statistics and distinct findings."""
    outcomes: Counter[str] = Counter()
    found: dict[tuple, dict] = {}
    strategy = target.strategy()
    deadline = time.monotonic() + seconds
    start = time.monotonic()
    batch = 0

    findings_dir.mkdir(parents=True, exist_ok=True)
    last = findings_dir / f"{target.name}-last-case.txt"

    def one(case) -> None:
        if time.monotonic() >= deadline:
            return
        # were the process to die (a segfault, the OOM killer), this names the case to replay
        last.write_text(f"{case!r}\n")
        try:
            outcomes[target.check(case)] += 1
        except Finding as f:
            outcomes["finding"] += 1
            if f.key in found:
                found[f.key]["count"] += 1
                return
            save_finding(f, findings_dir, len(found) + 1, target.suffix)
            log(f"  FINDING {f}")
            found[f.key] = {
                "target": f.target,
                "kind": f.kind,
                "where": f.where,
                "summary": f.summary,
                "case": repr(f.case),
                "reproducer": str(f.saved),
                "count": 1,
            }

    while time.monotonic() < deadline:
        run = settings(
            max_examples=BATCH,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.quiet,
        )(seed(first_seed + batch)(given(strategy)(one)))
        run()
        batch += 1
    return {
        "target": target.name,
        "cases": sum(outcomes.values()),
        "seconds": round(time.monotonic() - start, 1),
        "outcomes": {k: outcomes[k] for k in (*OUTCOMES, "finding") if outcomes[k]},
        "findings": list(found.values()),
    }


def limit_memory(gib: float) -> None:
    """Cap the address space, so that an unbounded allocation is a MemoryError (a finding)
    rather than the machine swapping. 0: no cap."""
    if gib <= 0:
        return
    limit = int(gib * (1 << 30))
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def table(rows: list[dict]) -> str:
    head = f"{'target':<9} {'cases':>7} {'seconds':>8}  {'findings':>8}  outcomes"
    lines = [head, "-" * len(head)]
    for r in rows:
        outs = ", ".join(f"{k} {v}" for k, v in r["outcomes"].items())
        lines.append(
            f"{r['target']:<9} {r['cases']:>7} {r['seconds']:>8}  {len(r['findings']):>8}  {outs}"
        )
    return "\n".join(lines)


def replay(names: list[str] | None, text: str) -> int:
    """Run one printed Case of one target; print its outcome, or the finding's traceback."""
    if not names or len(names) != 1:
        raise SystemExit("--replay needs exactly one --target")
    body = text.strip().removeprefix("Case").strip()
    seed_name, ops = ast.literal_eval(body)
    target = TARGETS[names[0]]()
    try:
        say(target.check(Case(seed_name, tuple(ops))))
    except Finding as f:
        say(f"FINDING {f}\n{f.detail}")
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.run", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="per target (default 60)")
    parser.add_argument(
        "--target", action="append", choices=sorted(TARGETS), help="repeatable (default: all)"
    )
    parser.add_argument("--seed", type=int, help="first hypothesis seed (default: random)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "bench" / "results" / "fuzz.json", help="JSON report"
    )
    parser.add_argument(
        "--findings",
        type=Path,
        default=Path(tempfile.gettempdir()) / "zkcc-fuzz-findings",
        help="where reproducers are saved",
    )
    parser.add_argument(
        "--mem-gib", type=float, default=8.0, help="address-space cap in GiB (0: none)"
    )
    parser.add_argument(
        "--replay",
        metavar="CASE",
        help="run one case, as printed: \"Case('dot.zkproof', (('flip', 5, 0),))\" (needs one "
        "--target)",
    )
    args = parser.parse_args(argv)
    if args.replay is not None:
        return replay(args.target, args.replay)
    first_seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    limit_memory(args.mem_gib)
    names = args.target or list(TARGETS)
    say(f"fuzzing {', '.join(names)} for {args.seconds:g} s each, seed {first_seed}")
    rows, broken = [], []
    for name in names:
        target = TARGETS[name]()
        t0 = time.monotonic()
        try:
            target.check_seeds()
        except SeedError as e:
            say(f"  SEED ERROR {e}")
            broken.append(str(e))
            continue
        setup = time.monotonic() - t0
        say(f"{name}: {len(target.seeds)} seeds ready in {setup:.1f} s")
        row = fuzz_target(target, args.seconds, first_seed, args.findings)
        row["setup_seconds"] = round(setup, 1)
        rows.append(row)
        say(f"{name}: {row['cases']} cases in {row['seconds']} s, {len(row['findings'])} findings")
    say()
    say(table(rows))
    findings = [f for r in rows for f in r["findings"]]
    for f in findings:
        say(f"\n{f['target']}: {f['kind']} at {f['where']} (x{f['count']}): {f['summary']}")
        say(f"  case: {f['case'][:300]}")
        say(f"  reproducer: {f['reproducer']} (+ .txt)")
    report = {
        "seed": first_seed,
        "seconds_per_target": args.seconds,
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
        "targets": rows,
        "seed_errors": broken,
        "findings": len(findings),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    say(f"\nwrote {args.out}")
    return 2 if broken else 1 if findings else 0


if __name__ == "__main__":
    faulthandler.enable()  # a crash in C code prints where it happened
    sys.exit(main())
