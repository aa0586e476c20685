"""How many processes the Groth16 prover uses (zkcc/forked.py runs the second).

`default_workers()`: `ZKCC_GROTH16_WORKERS` if set, else 2 when fork exists and the process may
run on at least two CPUs, else 1. With 2, `prover.prove` hands the G2 MSM (and one G1 MSM) to a
forked child while it computes the rest.
"""

from __future__ import annotations

import os

from zkcc.errors import UserError


def default_workers() -> int:
    env = os.environ.get("ZKCC_GROTH16_WORKERS")
    if env:
        if not (env.isascii() and env.isdigit()) or int(env) < 1:
            raise UserError(f"ZKCC_GROTH16_WORKERS={env!r}: expected a positive number")
        return int(env)
    if not hasattr(os, "fork"):
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 if (cpus or 1) >= 2 else 1
