"""Run a function in a forked child process and collect its (picklable) result.

CPython runs one thread at a time, so work on Python ints (BN254 arithmetic: the Groth16
prover's MSMs, the Reed-Solomon encoder's butterflies) uses a second core only from a second
process. `fork` shares the parent's memory copy-on-write: nothing is pickled on the way in,
and only the result comes back through a pipe. The child never returns into the caller's code:
it leaves with `os._exit` whatever happens. Callers fork only when they run as one process
(not as an MPI rank: some MPI transports do not survive a fork).
"""

from __future__ import annotations

import os
import pickle
import signal


def fork_workers() -> int:
    """How many processes a prover running as one process may split its Python-int work
    over: the cores one zkcc process may use (`ZKCC_THREADS`, zkcc.field.m31_kernels), or 1
    where there is no fork."""
    if not hasattr(os, "fork"):
        return 1
    from zkcc.field.m31_kernels import _THREADS

    return _THREADS


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
            raise RuntimeError("a worker process died")
        ok, value = pickle.loads(data)
        if not ok:
            raise RuntimeError(f"a worker process failed: {value}")
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


def fork_or_inline(fn) -> Forked | Inline:
    """`Forked(fn)`, or `fn` computed here when this process cannot fork (EAGAIN at a process
    limit, ENOMEM): a second core is an optimisation, never a requirement."""
    try:
        return Forked(fn)
    except OSError:
        return Inline(fn)
