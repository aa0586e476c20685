"""Run under `mpiexec -n N`: one failure scenario of `guard`, chosen by argv[1].

The `main()` below maps exceptions to messages and statuses the way zkcc/cli.py's `main()`
does, so the output is what a user of `mpiexec ... zkcc prove` would see.
"""

from __future__ import annotations

import os
import signal
import sys

import numpy as np

from zkcc.errors import FormatError, ProofRejected, UserError, WitnessError, ZkccError
from zkcc.runtime.comm import check_same, get_comm, guard


def run(mode: str) -> None:
    comm = get_comm()
    r = comm.rank
    with guard(comm) as g:
        # loading: failures here are agreed on in ready()
        if mode == "load-all":
            raise FormatError("inputs.json: not a JSON file")
        if mode == "load-one" and r == 1:
            raise UserError("inputs.json: no such file")
        if mode == "load-two" and r >= 1:
            raise UserError("plan.zkplan: wrong magic")
        if mode == "load-internal" and r == comm.size - 1:
            raise ValueError("boom")
        if mode == "gate":
            comm.allgather(b"too early")
        if mode == "no-ready":
            return
        if mode == "no-ready-fail":
            if r == 1:
                raise UserError("inputs.json: no such file")
            return
        inputs = b"other" if mode == "differ" and r == comm.size - 1 else b"inputs"
        g.ready(plan=b"plan", inputs=inputs)

        # the work: failures here abort; the healthy ranks wait in a collective
        comm.allgather(bytes([r]))
        if mode == "check-same-differ":
            check_same(comm, "plan", bytes([r == 1]))
        if mode == "raise-one" and r == 1:
            raise WitnessError("witness: assertion failed in kernel dot")
        if mode == "raise-all":
            raise WitnessError("witness: assertion failed in kernel dot")
        if mode == "internal-one" and r == comm.size - 1:
            raise KeyError("oops")
        if mode == "memory-one" and r == 1:
            np.ones(1 << 60, np.uint8)
        if mode == "kill-one" and r == 1:
            os.kill(os.getpid(), signal.SIGKILL)
        if mode == "exit-one" and r == 1:
            sys.exit(3)
        comm.barrier()
        comm.allgather(b"end")
    if mode == "uncaught-one":  # outside the guard: the excepthook safety net aborts
        if r == 1:
            raise ValueError("uncaught")
        comm.barrier()
    if r == 0:
        print("done", flush=True)


def main() -> None:
    try:
        run(sys.argv[1])
    except ProofRejected as e:
        print(f"rejected: {e}", file=sys.stderr)
        sys.exit(1)
    except (UserError, ZkccError) as e:
        print(str(e), file=sys.stderr)
        sys.exit(2)
    except MemoryError:
        print("error: out of memory", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
