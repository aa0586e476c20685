"""What `zkcc prove` tells its user while it works, and what it measured when it is done.

The prover receives one `Reporter` and calls it explicitly:

    with report.phase("prove", total=len(launches), unit="launches") as ph:
        for ...:
            with report.launch(step, kernel, "gkr"):
                ...
            ph.advance()
    report.note("open: 12 claims on 3 tensors")
    report.add_spilled(nbytes)
    report.summary()  # {"phases", "launches", "spilled_bytes", "peak_rss_bytes"}

Output goes to one text stream (stderr by default), only on rank 0 and only when not quiet;
measurements are recorded either way, so `Reporter(quiet=True)` is the cheap default for
library code and tests. On a terminal a phase with a total shows a progress bar redrawn in
place (at most ~10 times a second) with an ETA from the rate so far; anywhere else every
phase prints a plain line when it starts and one when it ends, plus at most one line per 10%
of progress when a phase runs for seconds.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

REDRAW_SECONDS = 0.1  # a progress bar is redrawn at most this often
PLAIN_LINE_SECONDS = 1.0  # off a terminal: the least time between two "n/total" lines
_BAR_WIDTH = (10, 30)  # least and most '#'/'.' cells of a bar
_LONGEST_TAIL = "59m59s  ETA 59m59s"
_RANK_VARIABLES = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK")


def peak_rss_bytes() -> int:
    """This process's peak resident set size so far, in bytes (0 where the platform cannot
    tell). A high-water mark: it never decreases. On Linux it is VmHWM of /proc/self/status,
    the high-water mark of this program's own address space: getrusage's ru_maxrss also
    carries the peak of the process that forked us (it survives exec), so a prover started
    by a big parent would report the parent's peak."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024  # macOS: bytes, else KiB


def env_rank() -> int:
    """The MPI rank the launcher (mpiexec of MPICH, Open MPI, PMIx, MVAPICH) gave this
    process, read from its environment without importing MPI; 0 when not under a launcher."""
    for var in _RANK_VARIABLES:
        value = os.environ.get(var, "")
        if value.isdigit():
            return int(value)
    return 0


def format_seconds(s: float) -> str:
    """A duration for progress lines: "0.42s", "12.3s", "4m07s", "2h05m"."""
    if s < 10:
        return f"{s:.2f}s"
    if s < 60:
        return f"{s:.1f}s"
    whole = int(s)
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


class Phase:
    """One timed stretch of work, as returned by `Reporter.phase`; a context manager. `total`
    (0: unknown) and `unit` describe the work; `advance(n)` counts `n` more units done."""

    __slots__ = ("_decile", "_last_line", "_reporter", "_start", "done", "name", "total", "unit")

    def __init__(self, reporter: Reporter, name: str, total: int, unit: str) -> None:
        self._reporter = reporter
        self.name, self.total, self.unit = name, max(0, int(total)), unit
        self.done = 0
        self._start = 0.0
        self._last_line = 0.0  # off a terminal: when the last "n/total" line was printed
        self._decile = 0  # off a terminal: the last 10% step printed

    def __enter__(self) -> Phase:
        self._reporter._enter(self)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._reporter._exit(self, failed=exc_type is not None)

    def advance(self, n: int = 1) -> None:
        r = self._reporter
        with r._lock:
            self.done += n
            if r._show:
                r._advanced(self)

    def elapsed(self) -> float:
        return self._reporter._clock() - self._start


class Reporter:
    """Progress output and measurements of one prover run (see the module docstring).

    `stream`: where progress goes (None: sys.stderr as it is when the Reporter is made).
    Nothing is printed when `quiet` or when `rank` is not 0; `rank` may be set later (once
    MPI is up). Phases may repeat under one name: their durations add up. Phases may nest;
    the bar on screen is the innermost phase's with a total. Methods are thread-safe."""

    def __init__(
        self, stream: TextIO | None = None, quiet: bool = False, rank: int = 0, clock=None
    ) -> None:
        self._stream = sys.stderr if stream is None else stream
        self._clock = clock or time.perf_counter
        self._lock = threading.RLock()
        self._quiet = bool(quiet)
        self._start = self._clock()
        self._phases: dict[str, float] = {}
        self._launches: dict[tuple[int, str, str], float] = {}
        self._spilled = 0
        self._stack: list[Phase] = []
        self._drawn = 0  # length of the bar text now on the terminal line (0: none)
        self._last_draw = float("-inf")
        self._columns = shutil.get_terminal_size((80, 24)).columns
        self.rank = rank

    # -- configuration ------------------------------------------------------------------

    @property
    def rank(self) -> int:
        return self._rank

    @rank.setter
    def rank(self, value: int) -> None:
        self._rank = int(value)
        self._configure()

    @property
    def quiet(self) -> bool:
        return self._quiet

    @quiet.setter
    def quiet(self, value: bool) -> None:
        self._quiet = bool(value)
        self._configure()

    def _configure(self) -> None:
        # a closed stderr (2>&-) is None in Python: nothing to show progress on
        self._show = not self._quiet and self._rank == 0 and self._stream is not None
        self._tty = self._show and _isatty(self._stream)

    @property
    def spilled_bytes(self) -> int:
        return self._spilled

    def elapsed(self) -> float:
        """Seconds since the Reporter was made."""
        return self._clock() - self._start

    # -- the prover's API ----------------------------------------------------------------

    def note(self, msg: str) -> None:
        """One plain progress line, prefixed with the seconds since the start."""
        if self._show:
            with self._lock:
                self._line(msg)

    def phase(self, name: str, total: int = 0, unit: str = "") -> Phase:
        """A timed phase: `with report.phase("prove", total=n, unit="launches") as ph:`."""
        return Phase(self, name, total, unit)

    @contextmanager
    def launch(self, step: int, kernel: str, backend: str) -> Iterator[None]:
        """Times the proving of host step `step` (kernel `kernel` on `backend`). A launch
        timed in several pieces (instance chunks) adds up to one entry."""
        t0 = self._clock()
        try:
            yield
        finally:
            seconds = self._clock() - t0
            key = (int(step), kernel, backend)
            with self._lock:
                self._launches[key] = self._launches.get(key, 0.0) + seconds

    def add_spilled(self, nbytes: int) -> None:
        """Counts `nbytes` more bytes written to spill files."""
        if nbytes < 0:
            raise ValueError(f"add_spilled({nbytes}): a byte count is never negative")
        with self._lock:
            self._spilled += int(nbytes)

    def summary(self) -> dict:
        """JSON-ready measurements: seconds per phase name, per launch, bytes spilled and
        this process's peak RSS (`peak_rss_bytes`)."""
        with self._lock:
            return {
                "phases": {n: round(s, 4) for n, s in self._phases.items()},
                "launches": [
                    {"step": step, "kernel": kernel, "backend": backend, "seconds": round(s, 4)}
                    for (step, kernel, backend), s in self._launches.items()
                ],
                "spilled_bytes": self._spilled,
                "peak_rss_bytes": peak_rss_bytes(),
            }

    # -- phases ---------------------------------------------------------------------------

    def _enter(self, ph: Phase) -> None:
        with self._lock:
            ph._start = self._clock()
            ph._last_line = ph._start
            self._stack.append(ph)
            if not self._show:
                return
            if self._tty and ph.total:
                self._draw(ph)
            else:
                self._line(f"{ph.name}: started{self._count(ph, start=True)}")

    def _exit(self, ph: Phase, failed: bool) -> None:
        with self._lock:
            seconds = self._clock() - ph._start
            self._phases[ph.name] = self._phases.get(ph.name, 0.0) + seconds
            if ph in self._stack:
                self._stack.remove(ph)
            if not self._show:
                return
            tail = f"{'failed after' if failed else 'done in'} {format_seconds(seconds)}"
            if self._tty and ph.total:
                self._draw(ph, tail=tail)
                self._stream.write("\n")
                self._drawn = 0
                self._redraw()
                self._stream.flush()
            else:
                self._line(f"{ph.name}: {tail}{self._count(ph)}")

    def _advanced(self, ph: Phase) -> None:
        if not ph.total:
            return
        now = self._clock()
        if self._tty:
            if self._bar_phase() is ph and now - self._last_draw >= REDRAW_SECONDS:
                self._draw(ph)
            return
        decile = min(10, ph.done * 10 // ph.total)
        if 0 < decile < 10 and decile > ph._decile and now - ph._last_line >= PLAIN_LINE_SECONDS:
            ph._decile, ph._last_line = decile, now
            self._line(f"{ph.name}: {self._progress(ph, now)}")

    # -- output -----------------------------------------------------------------------

    def _count(self, ph: Phase, start: bool = False) -> str:
        if not ph.total:
            return ""
        unit = f" {ph.unit}" if ph.unit else ""
        return f" ({ph.total}{unit})" if start else f" ({ph.done}/{ph.total}{unit})"

    def _progress(self, ph: Phase, now: float) -> str:
        """Off a terminal: "12/40 launches (30%), 1.20s, ETA 2.80s" from the rate so far."""
        elapsed = now - ph._start
        done = min(ph.done, ph.total)
        unit = f" {ph.unit}" if ph.unit else ""
        if done <= 0:
            eta = "--"
        else:
            eta = format_seconds(elapsed * (ph.total - done) / done)
        pct = 100 * done // ph.total
        return f"{done}/{ph.total}{unit} ({pct}%), {format_seconds(elapsed)}, ETA {eta}"

    def _bar_phase(self) -> Phase | None:
        for ph in reversed(self._stack):
            if ph.total:
                return ph
        return None

    def _bar_text(self, ph: Phase, now: float, tail: str | None) -> str:
        """ "[   3.21s] prove [#####.....] 12/40 launches  1.20s  ETA 2.80s"; `tail`, when
        given, replaces the times ("done in 4.00s")."""
        elapsed = now - ph._start
        done = min(ph.done, ph.total)
        unit = f" {ph.unit}" if ph.unit else ""
        if tail is None:
            eta = "--" if done <= 0 else format_seconds(elapsed * (ph.total - done) / done)
            tail = f"{format_seconds(elapsed)}  ETA {eta}"
        head = f"[{now - self._start:7.2f}s] {ph.name} "
        count = f" {done:>{len(str(ph.total))}}/{ph.total}{unit}  "
        # the bar keeps its width while the times change: room is kept for the longest tail
        room = self._columns - 1 - len(head) - len(count) - len(_LONGEST_TAIL) - 2
        width = max(_BAR_WIDTH[0], min(_BAR_WIDTH[1], room))
        filled = width * done // ph.total
        text = f"{head}[{'#' * filled}{'.' * (width - filled)}]{count}{tail}"
        return text[: max(20, self._columns - 1)]

    def _draw(self, ph: Phase, tail: str | None = None) -> None:
        now = self._clock()
        text = self._bar_text(ph, now, tail)
        self._stream.write("\r" + text + " " * max(0, self._drawn - len(text)))
        self._stream.flush()
        self._drawn = len(text)
        self._last_draw = now

    def _redraw(self) -> None:
        ph = self._bar_phase() if self._tty else None
        if ph is not None:
            self._draw(ph)

    def _line(self, text: str) -> None:
        """A full line; a bar on screen is cleared first and drawn again below it."""
        if self._drawn:
            self._stream.write("\r" + " " * self._drawn + "\r")
            self._drawn = 0
        self._stream.write(f"[{self.elapsed():7.2f}s] {text}\n")
        self._redraw()
        self._stream.flush()
