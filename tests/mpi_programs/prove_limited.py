"""Run under `mpiexec -n N`: prove a plan with a per-rank memory limit that forces spilling,
and write the proof (rank 0) for comparison with the one-process proof of the same seed.

Each rank sets its own limit halfway between its estimate in memory and its estimate with
everything spilled (its interpreter's size is part of both, so the limit is feasible for
that rank and below what it would use in memory): the GKR layers and every tensor
commitment's columns then go through files on every rank. The spill blocks and the
commitment's all-to-all rounds are made small, so that each spilled matrix is written in
many runs of rows and read back in many column blocks.

Usage: prove_limited.py PLAN INPUTS OUT SEED TMPDIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from zkcc.field import get_field
from zkcc.pcs import split
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime import memory
from zkcc.runtime.comm import get_comm, guard
from zkcc.runtime.inputs import load_inputs
from zkcc.runtime.prover import prove
from zkcc.runtime.randomness import Randomness
from zkcc.runtime.report import Reporter


def main() -> None:
    plan_path, inputs_path, out, seed, tmpdir = sys.argv[1:]
    memory.CHUNK_BYTES = 1 << 12
    split.ROUND_BYTES = 1 << 14
    comm = get_comm()
    with guard(comm) as g:
        raw = Path(plan_path).read_bytes()
        plan = Plan.from_bytes(raw, plan_path)
        inputs = load_inputs(inputs_path, plan.program, get_field(plan.field))
        g.ready(plan=raw)
        est = memory.estimate(plan, comm.size)
        limit = (est.in_memory + est.spilled(1)) // 2
        report = Reporter(quiet=True)
        bundle = prove(
            plan,
            plan_digest(raw),
            inputs,
            report=report,
            mem_limit=limit,
            tmpdir=tmpdir,
            comm=comm,
            randomness=Randomness(int(seed)),
        )
        spilled = report.summary()["spilled_bytes"]
        if spilled == 0:
            raise AssertionError(f"rank {comm.rank} spilled nothing under {limit} bytes")
    if bundle is not None:
        Path(out).write_bytes(bundle.to_bytes())


if __name__ == "__main__":
    main()
