"""Run a function in a forked child process and collect its (picklable) result.

The prover's MSMs are independent, and CPython runs one thread at a time, so on a machine with
two cores `prove` hands the G2 MSM (and one G1 MSM) to a forked child while it computes the rest
(prover.py). `fork` shares the proving key copy-on-write: nothing is pickled on the way in, and
only the resulting points (plain ints) come back through a pipe. The child never returns into
the caller's code: it leaves with `os._exit` whatever happens.

`default_workers()`: `ZKCC_GROTH16_WORKERS` if set, else 2 when fork exists and the process may
run on at least two CPUs, else 1.
"""

from __future__ import annotations

import os
import pickle
import signal


def default_workers() -> int:
    env = os.environ.get("ZKCC_GROTH16_WORKERS")
    if env:
        return max(1, int(env))
    if not hasattr(os, "fork"):
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return 2 if (cpus or 1) >= 2 else 1


class Forked:
    """`fn()` running in a child process; `result()` waits for it and returns its value (or
    raises RuntimeError naming the child's exception)."""

    def __init__(self, fn) -> None:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child; coverage does not follow it
            try:
                os.close(r)
                try:
                    data = pickle.dumps((True, fn()))
                except BaseException as e:  # noqa: BLE001 - reported to the parent
                    data = pickle.dumps((False, f"{type(e).__name__}: {e}"))
                with os.fdopen(w, "wb") as f:
                    f.write(data)
            finally:
                os._exit(0)
        os.close(w)
        self.pid, self.fd = pid, r

    def result(self):
        with os.fdopen(self.fd, "rb") as f:
            data = f.read()
        os.waitpid(self.pid, 0)
        self.pid = None
        if not data:
            raise RuntimeError("groth16: a prover worker process died")
        ok, value = pickle.loads(data)
        if not ok:
            raise RuntimeError(f"groth16: a prover worker failed: {value}")
        return value

    def close(self) -> None:
        """Stop the child if its result was never collected (the caller failed meanwhile)."""
        if self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            os.close(self.fd)
            self.pid = None


class Inline:
    """The same interface, computed at once in this process."""

    def __init__(self, fn) -> None:
        self.value = fn()

    def result(self):
        return self.value

    def close(self) -> None:
        pass
