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
    .venv/bin/python bench/rounds.py --baseline OTHER_CHECKOUT

`--baseline DIR` loads DIR's code beside this checkout's in the same process (each with its
own modules, made current in `sys.modules` while it runs, so that imports inside functions
find their own) and interleaves the two as well: separate processes of one code on a shared
machine have differed by 10-25% here, far more than a round-level change.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from checkout import load
from machine import m31_mul_rate

ROOT = Path(__file__).resolve().parents[1]
MODES = ("plain_prove", "zk_prove", "plain_verify", "zk_verify")


class Rounds:
    """The four modes of the zkcc that is importable when made (checkout.load), on tables and
    masks drawn from one seed (the same for every checkout). Uses only interfaces every
    compared checkout has."""

    def __init__(self, m: int, count: int) -> None:
        import numpy as np

        from zkcc.backends.gkr import sumcheck
        from zkcc.backends.gkr import zk as masks
        from zkcc.field import get_field
        from zkcc.transcript import Transcript

        self.m, self.count = m, count
        self.Prover, self.Verifier = sumcheck.SumcheckProver, sumcheck.SumcheckVerifier
        self.Transcript, self.PhaseMask = Transcript, masks.PhaseMask
        F = self.F = get_field("m31")
        E, self.rng = F.ext, np.random.default_rng(1)
        # a masked layer's phase 1, with its w round
        self.spec = masks.PhaseSpec(0, (2,) * (m - 1) + (4, 1), m)
        table = F.array(self.rng.integers(0, F.p, (self.spec.count + 1) * E.degree + 64))
        self.blocks = masks.PhaseBlocks.of(E, table, [self.spec])
        self.f = F.array(self.rng.integers(0, F.p, 1 << m))
        self.g = F.array(self.rng.integers(0, F.p, (E.degree, 1 << m)))
        self.claim = E.dot(self.f, self.g)
        scalars = [[int(x) for x in self.rng.integers(0, F.p, E.degree)] for _ in range(5)]
        self.rho = E.from_reduced_ints(scalars[0])
        self.q_poly, self.s_poly = scalars[1:3], scalars[3:]  # the w round's q, the layer's S
        self.proofs = {zk: self.prove_all(zk) for zk in (False, True)}
        for zk in (False, True):  # and the verifier's imports
            self.verify_all(zk)

    def degrees(self, zk: bool) -> list[int]:
        return [2] * (self.m - 1) + [4, 1] if zk else [2] * self.m

    def prove(self, zk: bool) -> Any:
        E, mask = self.F.ext, None
        if zk:
            mask = self.PhaseMask(E, self.spec, 3, self.rho, self.blocks, self.q_poly, self.s_poly)
        sc = self.Prover(self.F, self.Transcript(b"rounds"), "bench", hook=mask)
        sc.prove(self.f, self.g, self.claim)
        if zk:
            sc.tail_round()
            mask.part(sc.challenges)
        return sc.proof()

    def prove_all(self, zk: bool) -> list:
        return [self.prove(zk) for _ in range(self.count)]

    def verify_all(self, zk: bool) -> None:
        for proof in self.proofs[zk]:
            verifier = self.Verifier(self.F, self.Transcript(b"rounds"), "bench")
            verifier.verify_rounds(self.claim, proof, self.degrees(zk), "bench")

    def timed(self, mode: str) -> float:
        """CPU seconds per round of one run of `mode`."""
        zk, prove = mode.startswith("zk"), mode.endswith("prove")
        t0 = time.process_time()
        self.prove_all(zk) if prove else self.verify_all(zk)
        return (time.process_time() - t0) / (self.count * len(self.degrees(zk)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=11, help="rounds per sumcheck (table 2^rounds)")
    ap.add_argument("--sumchecks", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--baseline", type=Path, help="another checkout: compare its rounds")
    args = ap.parse_args()
    sides = [("after", ROOT)]
    if args.baseline:
        sides = [("before", args.baseline.resolve()), *sides]
    runs = {side: load(tree, lambda: Rounds(args.rounds, args.sumchecks)) for side, tree in sides}
    best: dict[str, dict[str, float]] = {side: {} for side in runs}
    for _ in range(args.repeat):  # every mode of every side in turn: a slow minute hits all
        for mode in MODES:
            for side, run in runs.items():
                got = run.current().timed(mode)
                best[side][mode] = min(best[side].get(mode, got), got)
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
