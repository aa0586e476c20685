"""Running one fuzz case and classifying what happened, as `zkcc.cli.main` would.

The CLI's contract for any file content: exit 0 (success), 1 (ProofRejected: only `verify`)
or 2 (a ZkccError: UserError, FormatError, CompileError, WitnessError), with one line that
names the file. Everything else is a `Finding`: an exception cli.main would report as an
internal error (exit 3), a case that runs past its time limit (a hang, to a user), one that
grows the process's peak memory by more than `MEM_STEP` (an unbounded allocation, or a
MemoryError), a refusal whose message is not one line naming the file, and -- for proofs -- a
mutated proof that verifies.
"""

from __future__ import annotations

import resource
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from zkcc.errors import ProofRejected, WitnessError, ZkccError
from zkcc.frontend.diagnostics import CompileError
from zkcc.frontend.limits import RECURSION_LIMIT

ACCEPTED, REJECTED, REFUSED = "accepted", "rejected", "refused"  # exit 0, 1, 2
UNCHANGED = "unchanged"  # the mutation gave back the seed's bytes: nothing to judge
MEM_STEP = 1 << 30  # growth of the peak RSS in one case that counts as unbounded
MAX_MESSAGE = 2000  # characters: more is not "one readable line"


class CaseTimeout(BaseException):
    """Raised by the alarm in `time_limit`. A BaseException, so that the code under test
    cannot swallow it in an `except Exception`."""


class Finding(Exception):
    """A broken contract. `kind` groups findings (internal error, timeout, memory, message,
    accepted mutation); `where` is the innermost zkcc frame, so that one bug hit by many
    inputs is reported once."""

    def __init__(self, kind: str, summary: str, where: str = "", detail: str = "") -> None:
        super().__init__(f"{kind}: {summary}")
        self.kind, self.summary, self.where, self.detail = kind, summary, where, detail
        self.target = ""
        self.case: object = None
        self.data = b""
        self.saved: Path | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        head = self.summary.split(":")[0] if self.kind == "internal error" else ""
        return (self.target, self.kind, f"{head} {self.where}")

    def __str__(self) -> str:
        text = f"{self.kind} at {self.where or '?'}: {self.summary}"
        if self.saved is not None:
            text += f" (reproducer: {self.saved})"
        return text


def zkcc_frame(tb) -> str:
    """file:line of the innermost frame inside the zkcc package (where the bug is)."""
    where = ""
    for frame in traceback.extract_tb(tb):
        if "/zkcc/" in frame.filename and "/tests/" not in frame.filename:
            where = f"{frame.filename.rsplit('/zkcc/', 1)[1]}:{frame.lineno}"
    return f"zkcc/{where}" if where else ""


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise CaseTimeout after `seconds` (main thread only: elsewhere the caller's elapsed
    time check is all there is). Python checks signals between bytecodes, so a single long
    C call (a huge int power) ends before the alarm lands; the elapsed check catches it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum, frame):
        raise CaseTimeout

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def _one_line_check(e: ZkccError, names: tuple[str, ...]) -> None:
    """The refusal must be what the CLI can print as one line naming the file."""
    if isinstance(e, CompileError):  # diagnostics: file:line:col, caret lines by design
        return
    msg = str(e)
    where = zkcc_frame(e.__traceback__)
    tb = "".join(traceback.format_exception(e))
    if not msg.strip() or "\n" in msg or "\r" in msg:
        raise Finding("message", f"not one line: {msg[:300]!r}", where, tb)
    if len(msg) > MAX_MESSAGE:
        raise Finding("message", f"{len(msg)} characters: {msg[:200]!r}...", where, tb)
    # a failed assertion or division in the program names its source line, not a file
    if names and not isinstance(e, WitnessError) and not any(n in msg for n in names):
        raise Finding("message", f"does not name the file {names[0]}: {msg[:300]!r}", where, tb)


def classify(
    fn: Callable[[], object], names: tuple[str, ...] = (), timeout: float = 10.0
) -> tuple[str, object]:
    """(outcome, fn's result): run `fn` and map what it raises like cli.main does. A refusal
    must name one of `names` (empty: not checked). Raises Finding for a broken contract."""
    rss = peak_rss()
    start = time.perf_counter()
    result = None
    limit = sys.getrecursionlimit()
    try:
        # the front end raises the limit once (limits.recursion_room), and hypothesis lowers it
        # while it runs a test: each case gets it back (else deep nesting is a RecursionError
        # here and fine in the CLI)
        sys.setrecursionlimit(RECURSION_LIMIT)
        with time_limit(timeout):
            result = fn()
        outcome = ACCEPTED
    except Finding:
        raise
    except ProofRejected:
        outcome = REJECTED
    except ZkccError as e:
        _one_line_check(e, names)
        outcome = REFUSED
    except CaseTimeout as e:
        raise Finding("timeout", f"over {timeout:g} s", zkcc_frame(e.__traceback__)) from None
    except MemoryError as e:
        where = zkcc_frame(e.__traceback__)
        raise Finding("memory", f"MemoryError: {e}", where, traceback.format_exc()) from None
    except Exception as e:  # what cli.main reports as an internal error (exit 3)
        summary = f"{type(e).__name__}: {' '.join(str(e).split())[:300]}"
        where = zkcc_frame(e.__traceback__)
        raise Finding("internal error", summary, where, traceback.format_exc()) from None
    finally:
        sys.setrecursionlimit(limit)
    elapsed = time.perf_counter() - start
    if elapsed > timeout:
        raise Finding("timeout", f"{elapsed:.1f} s (limit {timeout:g} s)")
    grown = peak_rss() - rss
    if grown > MEM_STEP:
        raise Finding("memory", f"peak RSS grew by {grown >> 20} MiB in one case")
    return outcome, result
