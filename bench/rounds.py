"""A sumcheck round's cost where a deep circuit spends its prove and verify time: tables of a
few thousand entries, where a round is mostly per-call and per-scalar work (numpy calls,
extension products on Python ints) rather than data. merkle's 1,439 layers make 2,878
sumchecks of about 11 rounds on such tables; this times SUMCHECKS sumchecks of ROUNDS rounds
over tables of 2^ROUNDS entries (f base, g extension, as a GKR phase), plain and masked as the
zero-knowledge GKR masks them (a `zk.PhaseMask` hook: a w round, the masked layer's degree-4
last round), proving and verifying. The four modes run interleaved, REPEAT times, in one
process, and each keeps its best: a slow minute on a shared machine then slows all of them.
Prints microseconds per round, with the machine's m31 multiply rate, and writes
bench/results/rounds.json.

    .venv/bin/python bench/rounds.py [--rounds 11] [--sumchecks 200] [--repeat 5]
    .venv/bin/python bench/rounds.py --baseline OTHER_CHECKOUT [--alternations 3]

`--baseline DIR` runs DIR's code and this checkout's in fresh processes, alternating, and
keeps each side's best: runs of one code on a shared machine move by several percent from
minute to minute, and whole proves (bench/zk.py) by more than a round-level change (the
same checkout against itself: within 2%).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from checkout import run_script
from machine import m31_mul_rate

ROOT = Path(__file__).resolve().parents[1]
MODES = ("plain_prove", "zk_prove", "plain_verify", "zk_verify")

# The measurement, run with argv[1] (a checkout) first on the path: prints the best seconds
# per round of each mode as JSON. It uses only interfaces every compared checkout has.
_ROUNDS = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np
from zkcc.backends.gkr.sumcheck import SumcheckProver, SumcheckVerifier
from zkcc.backends.gkr.zk import PhaseBlocks, PhaseMask, PhaseSpec
from zkcc.field import get_field
from zkcc.transcript import Transcript

m, count, repeat = (int(x) for x in sys.argv[2:5])
F = get_field("m31")
E, rng = F.ext, np.random.default_rng(1)
spec = PhaseSpec(0, (2,) * (m - 1) + (4, 1), m)  # a masked layer's phase 1, with its w round
table = F.array(rng.integers(0, F.p, (spec.count + 1) * E.degree + 64))
blocks = PhaseBlocks.of(E, table, [spec])
f = F.array(rng.integers(0, F.p, 1 << m))
g = F.array(rng.integers(0, F.p, (E.degree, 1 << m)))

def scalar():
    return [int(x) for x in rng.integers(0, F.p, E.degree)]

def prove(zk, tr):
    mask = None
    if zk:
        rho = E.from_reduced_ints(scalar())
        mask = PhaseMask(E, spec, 3, rho, blocks, [scalar(), scalar()], [scalar(), scalar()])
    sc = SumcheckProver(F, tr, "bench", hook=mask)
    sc.prove(f, g, claim)
    if zk:
        sc.tail_round()
        mask.part(sc.challenges)
    return sc.proof()

claim = E.dot(f, g)

def prove_all(zk):
    return [prove(zk, Transcript(b"rounds")) for _ in range(count)]

def check(proof, degrees):
    verifier = SumcheckVerifier(F, Transcript(b"rounds"), "bench")
    verifier.verify_rounds(claim, proof, degrees, "bench")

runs = {}
for zk in (False, True):
    name = "zk" if zk else "plain"
    degrees = [2] * (m - 1) + [4, 1] if zk else [2] * m
    proofs = prove_all(zk)
    rounds = count * len(degrees)
    runs[name + "_prove"] = (lambda z=zk: prove_all(z), rounds)
    runs[name + "_verify"] = (lambda ps=proofs, ds=degrees: [check(p, ds) for p in ps], rounds)
out = {}
for _ in range(repeat):  # the modes interleaved, so that a slow minute slows all of them
    for mode, (run, rounds) in runs.items():
        t0 = time.process_time()
        run()
        out[mode] = min(out.get(mode, 1e9), (time.process_time() - t0) / rounds)
print(json.dumps(out))
"""


def measure(checkout: Path, rounds: int, sumchecks: int, repeat: int) -> dict[str, float]:
    """`checkout`'s best seconds per round of each mode (MODES), in a fresh process."""
    return run_script(checkout, _ROUNDS, rounds, sumchecks, repeat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=11, help="rounds per sumcheck (table 2^rounds)")
    ap.add_argument("--sumchecks", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline", type=Path, help="another checkout: compare its rounds")
    ap.add_argument("--alternations", type=int, default=3)
    args = ap.parse_args()
    sides = [("after", ROOT)]
    if args.baseline:
        sides = [("before", args.baseline.resolve()), *sides]
    best: dict[str, dict[str, float]] = {}
    for _ in range(args.alternations if args.baseline else 1):
        for side, tree in sides:
            got = measure(tree, args.rounds, args.sumchecks, args.repeat)
            mine = best.setdefault(side, got)
            for mode in MODES:
                mine[mode] = min(mine[mode], got[mode])
    rate = m31_mul_rate()
    print(f"machine: m31 multiply {rate} M/s (numpy, in place)")
    print(f"{args.sumchecks} sumchecks of {args.rounds} rounds, us per round (best of runs):")
    print(f"{'side':8} " + " ".join(f"{m:>13}" for m in MODES) + f" {'zk/plain prove':>15}")
    for side, got in best.items():
        ratio = got["zk_prove"] / got["plain_prove"]
        cells = " ".join(f"{got[m] * 1e6:13.1f}" for m in MODES)
        print(f"{side:8} {cells} {ratio:15.2f}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    record = {
        "m31_mul_rate_M_per_s": rate,
        "rounds": args.rounds,
        "sumchecks": args.sumchecks,
        "us_per_round": {s: {m: round(v * 1e6, 2) for m, v in g.items()} for s, g in best.items()},
        "baseline": str(args.baseline) if args.baseline else None,
    }
    (results / "rounds.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
