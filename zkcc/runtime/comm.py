"""The communicator the prover is handed: one process (`SingleComm`) or MPI ranks (`MpiComm`).

Proving code never imports MPI. It receives a `Comm` argument and calls the six collectives
of the `Comm` protocol, so the same code runs in one process, under `mpiexec -n N`, and in tests
with a fake. `get_comm()` is the one place that decides which communicator a process gets; the
CLI calls it once and passes the result down.

Wire format. Nothing is pickled (project rule: proofs and messages are never pickled, so no rank
can make another run code). `allgather` and `bcast` move `bytes`; `allgather_array` moves numpy
buffers plus a small binary header per rank (shape as int64s, the dtype as its `dtype.str`, or
for a structured dtype its `.npy` descr, read back with `ast.literal_eval`, never eval), so
object arrays are refused; `alltoall` moves raw bytes (bytes, or a numpy array's memory),
each rank's parts to their ranks (the tensor commitments' encoded blocks, zkcc/pcs/split.py).
Every transfer uses mpi4py's upper-case buffer methods (`Allgather`, `Allgatherv`, `Bcast`,
`Alltoall`, `Alltoallv`), which hand the buffers straight to MPI without an intermediate
Python object.

Install. `pip install 'zkcc[mpi]'` (`make setup` does) brings the `mpi4py` wheel and the `mpich`
wheel; the latter puts MPICH's `libmpi.so.12` in `<venv>/lib` and `mpiexec` (Hydra) in
`<venv>/bin`, so no system package is needed. mpi4py >= 4 wheels are built against the MPI ABI
of both MPICH and Open MPI and pick one at import time: they `dlopen` `libmpi` from
`sys.exec_prefix/lib` (the venv) before the system paths, so `.venv/bin/mpiexec -n 3
.venv/bin/python -m zkcc ...` works with no environment variable. (To force another MPI, mpi4py
reads `MPI4PY_LIBMPI`, a path to `libmpi`; zkcc sets nothing.) The one trap is an `mpiexec`
from a *different* MPI than the library mpi4py loaded, e.g. a system Open MPI `mpirun` with the
venv's MPICH: every process then starts as its own 1-rank world and would prove the whole job
alone. `get_comm()` compares the size the launcher announced with the size MPI reports and
refuses that with a message. MPICH's Hydra runs more ranks than cores (3 ranks on 2 cores)
without any flag; ranks busy-poll while they wait, so oversubscribed runs are slow, not wrong.
Messages over 2 GiB work: mpi4py 4 uses the MPI-4 large-count calls of MPICH 5 (checked with an
`Allgatherv` whose counts and displacements exceed 2**31).

Detecting a launch. `get_comm()` reads the environment before importing mpi4py (importing it
initialises MPI): MPICH's Hydra sets `PMI_RANK`/`PMI_SIZE` (also Intel MPI and Slurm's PMI-2),
Open MPI sets `OMPI_COMM_WORLD_RANK`/`OMPI_COMM_WORLD_SIZE`, PMIx launchers set `PMIX_RANK`.
If the launcher says there are several ranks and mpi4py cannot be imported (or cannot load an
MPI library), rank 0 raises `UserError` with the fix and every other rank raises
`SystemExit(2)` without a message, so the user reads the reason once and `mpiexec` exits 2;
none of them has started MPI, so none waits for the others. (Hydra does not tear a job down
when a rank exits before initialising MPI: a job where only *some* ranks lack mpi4py, possible
only with different installs on different nodes, leaves the others waiting in `MPI_Init`.)

Failure semantics (`guard`). MPI has no notion of "this rank failed": measured with the
`mpich` wheel's Hydra, a rank that raises, or calls `sys.exit`, while the others wait in a
collective runs mpi4py's `atexit` `MPI_Finalize` and the whole job hangs. So the CLI wraps each
command in `with guard(comm) as g:` and calls `g.ready()` once every rank has read its inputs
and before the first collective of the work itself:

* Before `g.ready()` (reading the plan, the inputs, options) ranks do no communication, so a
  failure cannot leave a peer stuck in a collective; the failing rank meets the others in the
  one agreement exchange that `ready()` performs (or that the guard performs on the way out),
  and every rank learns every rank's outcome. If all ranks failed the same way (a missing input
  file that every rank reads) rank 0 re-raises its exception, so the CLI prints it exactly as
  in one process, and the others exit with the same status in silence. If only some failed,
  rank 0 prints one line per distinct failure, `zkcc: error on rank 1 of 3: <message>`, and all
  ranks exit with the failing rank's status. No `MPI_Abort`, so no launcher noise.
  `ready(**checks)` also compares digests (the plan, the inputs) in the same exchange: ranks
  started with different files fail with `ranks were started with different inputs: rank 1
  differs from rank 0`, printed once, exit 2.
* After `g.ready()` a failing rank cannot tell whether its peers fail too without another
  collective, and they may be blocked in one that will never complete. It prints `zkcc: error
  on rank R of N: <message>` (after the traceback, for an internal error) and calls
  `comm.abort(status)`. Hydra then kills the other ranks and exits with that status; MPICH adds
  one line of its own: `Abort(2) on node 1 (rank 1 in comm 0): application called
  MPI_Abort(MPI_COMM_WORLD, 2) - process 1`. (`MPIR_CVAR_SUPPRESS_ABORT_MESSAGE=1` only blanks
  its second half, so zkcc leaves it.) An error that every rank raised *because* of data they
  all gathered, `CollectiveError` (what `check_same` raises), is printed once by rank 0 and ends
  every rank with status 2 without an abort: the ranks agree on it by construction.
* A rank killed by a signal (SIGKILL, the kernel's out-of-memory killer) is Hydra's to report:
  it kills the other ranks at once and exits with the signal number (9), printing its
  "BAD TERMINATION OF ONE OF YOUR APPLICATION PROCESSES ... EXIT CODE: 9 ... YOUR APPLICATION
  TERMINATED WITH THE EXIT STRING: Killed (signal 9)" banner. A `MemoryError` raised in Python
  is an ordinary failure above: `zkcc: error on rank R of N: out of memory (...)`, status 2.
* Ctrl-C: Hydra forwards SIGINT to every rank; ranks in Python code raise KeyboardInterrupt,
  which aborts the job (status 130) after `ready()`. A second Ctrl-C makes Hydra kill the job.

Statuses follow zkcc/cli.py's `main()`: 2 for `UserError`/`FormatError`/`ZkccError`, click
usage errors and `MemoryError`; 1 for `ProofRejected`; 3 for internal errors (`InternalError`,
and any other exception, which also prints its traceback from the rank that raised it).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import math
import os
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, runtime_checkable

import click
import numpy as np
import numpy.lib.format as npformat

from zkcc.errors import InternalError, ProofRejected, UserError, ZkccError
from zkcc.runtime.scratch import remove_all

if TYPE_CHECKING:
    from types import TracebackType

EXIT_REJECTED, EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED = 1, 2, 3, 130
# MPI_Abort tears the job down at once, and Hydra may drop the last bytes a rank wrote to
# stderr (seen in CI: a traceback cut before its message); a short pause lets them through
ABORT_GRACE_SECONDS = 0.3
_ALIGN = 64  # byte alignment of each rank's array inside an allgather_array receive buffer
Buffer = bytes | bytearray | memoryview | np.ndarray  # what alltoall sends: raw bytes


@runtime_checkable
class Comm(Protocol):
    """What the prover needs from a communicator: ranks `0..size-1` and six collectives.

    Every rank must call the same collectives in the same order (MPI's rule); a rank that
    skips one leaves the others waiting, which is why failures go through `guard`.
    """

    rank: int
    size: int

    def allgather(self, data: bytes) -> list[bytes]:
        """Every rank's `data`, in rank order, on every rank (lengths may differ)."""
        ...

    def bcast(self, data: bytes | None, root: int = 0) -> bytes:
        """`root`'s `data` on every rank; the other ranks pass None."""
        ...

    def barrier(self) -> None:
        """Return once every rank has called it."""
        ...

    def allgather_array(self, a: np.ndarray) -> list[np.ndarray]:
        """Every rank's array, in rank order, C-contiguous, dtype and shape as sent."""
        ...

    def alltoall(self, parts: Sequence[Buffer]) -> list[np.ndarray]:
        """`parts[r]` (bytes, or an array's raw memory) goes to rank r; returns what every rank
        sent to this one, in rank order, each a flat uint8 array (lengths may differ)."""
        ...

    def abort(self, code: int) -> NoReturn:
        """End every rank now with exit status `code` (the launcher tears the job down)."""
        ...


def _check_sendable(a: np.ndarray) -> None:
    if a.dtype.hasobject:
        raise TypeError(f"cannot send an array of dtype {a.dtype}: it holds Python objects")


def _raw(part: Buffer) -> np.ndarray:
    """A part of an alltoall as flat uint8: an array's elements in C order (a view when it is
    contiguous), or the bytes of a buffer."""
    if isinstance(part, np.ndarray):
        _check_sendable(part)
        return _array_bytes(part)
    return np.frombuffer(part, np.uint8)


def _check_parts(parts: Sequence[Buffer], size: int) -> list[np.ndarray]:
    if len(parts) != size:
        raise ValueError(f"alltoall: {len(parts)} parts for {size} ranks")
    return [_raw(p) for p in parts]


def _flush_std() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or broken pipe: nothing more to save
            pass


@dataclass
class SingleComm:
    """One process: rank 0 of 1. Every collective returns this rank's own data.

    It copies what it returns, as `MpiComm` does, so code cannot come to depend on getting its
    own buffer back in one process and then break under MPI.
    """

    rank: int = 0
    size: int = 1

    def allgather(self, data: bytes) -> list[bytes]:
        return [bytes(data)]

    def bcast(self, data: bytes | None, root: int = 0) -> bytes:
        if root != 0:
            raise ValueError(f"bcast root {root} is not a rank of a 1-rank communicator")
        if data is None:
            raise ValueError("bcast: the root must pass its data")
        return bytes(data)

    def barrier(self) -> None:
        return None

    def allgather_array(self, a: np.ndarray) -> list[np.ndarray]:
        a = np.asarray(a)
        _check_sendable(a)
        return [np.array(a, order="C", copy=True)]

    def alltoall(self, parts: Sequence[Buffer]) -> list[np.ndarray]:
        return [_check_parts(parts, 1)[0].copy()]

    def abort(self, code: int) -> NoReturn:
        remove_all()
        _flush_std()
        os._exit(code)


def _array_header(a: np.ndarray) -> bytes:
    """Dtype and shape of C-ordered `a` as bytes: a kind byte, ndim and the shape as int64
    little-endian, then the dtype. A plain dtype travels as `dtype.str` (`<u8`, `<U3`,
    `<M8[ns]`); a structured or sub-array one as the repr of its `.npy` descr, which the
    receiver reads with `ast.literal_eval` (literals only, never code), as numpy's `.npy`
    reader does."""
    dt = a.dtype
    if dt.fields is None and dt.subdtype is None:
        kind, desc = b"s", dt.str
    else:
        kind, desc = b"d", repr(npformat.dtype_to_descr(dt))
    shape = np.asarray(a.shape, "<i8").tobytes()
    return kind + a.ndim.to_bytes(8, "little") + shape + desc.encode()


@functools.lru_cache(maxsize=256)
def _dtype_of(kind: bytes, desc: str) -> np.dtype:
    if kind == b"s":
        return np.dtype(desc)
    if kind == b"d":
        return npformat.descr_to_dtype(ast.literal_eval(desc))
    raise ValueError(f"unknown array header kind {kind!r}")


def _parse_header(raw: bytes) -> tuple[tuple[int, ...], np.dtype]:
    ndim = int.from_bytes(raw[1:9], "little")
    shape = tuple(np.frombuffer(raw, "<i8", ndim, 9).tolist())
    return shape, _dtype_of(raw[:1], raw[9 + 8 * ndim :].decode())


def _array_bytes(a: np.ndarray) -> np.ndarray:
    """`a`'s elements in C order as a flat uint8 array; a view when `a` is already contiguous."""
    if a.dtype.itemsize == 0 or a.size == 0:
        return np.empty(0, np.uint8)
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


def _offsets(counts: np.ndarray, align: int) -> np.ndarray:
    """Displacements that place the counts back to back, each start rounded up to `align`."""
    out = np.zeros(len(counts), np.int64)
    pos = 0
    for i, c in enumerate(counts.tolist()):
        pos = -(-pos // align) * align
        out[i] = pos
        pos += c
    return out


@dataclass(eq=False)
class MpiComm:
    """MPI ranks, through mpi4py's buffer (upper-case) methods.

    `mpi_comm` is an mpi4py intracommunicator, `MPI.COMM_WORLD` by default (tests may pass a
    split one). Constructing one imports mpi4py, which initialises MPI; `get_comm()` checks
    the environment first.
    """

    mpi_comm: Any = None
    rank: int = field(init=False)
    size: int = field(init=False)
    # Set by an active `guard` until `ready()`: collectives then raise instead of running, so
    # that no work can start before the ranks agree that they all loaded their inputs.
    _gate: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        from mpi4py import MPI

        self._MPI = MPI
        if self.mpi_comm is None:
            self.mpi_comm = MPI.COMM_WORLD
        self.rank = self.mpi_comm.Get_rank()
        self.size = self.mpi_comm.Get_size()

    def _check_gate(self, what: str) -> None:
        if self._gate is not None:
            raise RuntimeError(f"MpiComm.{what} called {self._gate}")

    def _allgatherv(
        self, send: np.ndarray, align: int = 1
    ) -> tuple[np.ndarray, list[int], list[int]]:
        """Gather each rank's flat uint8 `send` into one buffer: (buffer, counts, displs)."""
        MPI = self._MPI
        counts = np.empty(self.size, np.int64)
        self.mpi_comm.Allgather(
            [np.array([send.size], np.int64), MPI.INT64_T], [counts, MPI.INT64_T]
        )
        displs = _offsets(counts, align)
        total = int((displs + counts).max()) if self.size else 0
        recv = np.empty(total, np.uint8)
        c, d = counts.tolist(), displs.tolist()
        self.mpi_comm.Allgatherv([send, MPI.BYTE], [recv, (c, d), MPI.BYTE])
        return recv, c, d

    def _allgather(self, data: bytes) -> list[bytes]:
        recv, counts, displs = self._allgatherv(np.frombuffer(data, np.uint8))
        return [recv[d : d + c].tobytes() for c, d in zip(counts, displs, strict=True)]

    def allgather(self, data: bytes) -> list[bytes]:
        self._check_gate("allgather")
        return self._allgather(data)

    def bcast(self, data: bytes | None, root: int = 0) -> bytes:
        self._check_gate("bcast")
        if not 0 <= root < self.size:
            raise ValueError(f"bcast root {root} is not a rank of a {self.size}-rank communicator")
        MPI = self._MPI
        n = np.empty(1, np.int64)
        if self.rank == root:
            if data is None:
                raise ValueError("bcast: the root must pass its data")
            buf = np.frombuffer(data, np.uint8)
            n[0] = buf.size
        self.mpi_comm.Bcast([n, MPI.INT64_T], root=root)
        if self.rank != root:
            buf = np.empty(int(n[0]), np.uint8)
        self.mpi_comm.Bcast([buf, MPI.BYTE], root=root)
        if self.rank == root and isinstance(data, bytes):
            return data
        return buf.tobytes()

    def _barrier(self) -> None:
        self.mpi_comm.Barrier()

    def barrier(self) -> None:
        self._check_gate("barrier")
        self._barrier()

    def allgather_array(self, a: np.ndarray) -> list[np.ndarray]:
        """Three steps: one `Allgather` of (header length, data length) per rank, then the
        headers and the data in two concurrent `Iallgatherv`s. The data lands in one buffer,
        each rank's part 64-byte aligned; the returned arrays are views of it (so keeping one
        alive keeps the whole buffer)."""
        self._check_gate("allgather_array")
        MPI = self._MPI
        a = np.asarray(a)
        _check_sendable(a)
        header = np.frombuffer(_array_header(a), np.uint8)
        data = _array_bytes(a)
        lens = np.empty((self.size, 2), np.int64)
        mine = np.array([header.size, data.size], np.int64)
        self.mpi_comm.Allgather([mine, MPI.INT64_T], [lens, MPI.INT64_T])
        hc, dc = lens[:, 0].copy(), lens[:, 1].copy()
        hd, dd = _offsets(hc, 1), _offsets(dc, _ALIGN)
        hrecv = np.empty(int((hd + hc).max()), np.uint8)
        drecv = np.empty(int((dd + dc).max()), np.uint8)
        reqs = [
            self.mpi_comm.Iallgatherv(
                [header, MPI.BYTE], [hrecv, (hc.tolist(), hd.tolist()), MPI.BYTE]
            ),
            self.mpi_comm.Iallgatherv(
                [data, MPI.BYTE], [drecv, (dc.tolist(), dd.tolist()), MPI.BYTE]
            ),
        ]
        MPI.Request.Waitall(reqs)
        out = []
        for r in range(self.size):
            shape, dtype = _parse_header(hrecv[hd[r] : hd[r] + hc[r]].tobytes())
            n = math.prod(shape) * dtype.itemsize
            if n != dc[r]:
                raise RuntimeError(f"allgather_array: rank {r} sent {dc[r]} bytes, not {n}")
            if n == 0:
                out.append(np.empty(shape, dtype))
            else:
                out.append(drecv[dd[r] : dd[r] + n].view(dtype).reshape(shape))
        return out

    def alltoall(self, parts: Sequence[Buffer]) -> list[np.ndarray]:
        """One `Alltoall` of the byte counts, then one `Alltoallv` of the parts, sent from one
        concatenated buffer; the returned arrays are views of one receive buffer."""
        self._check_gate("alltoall")
        MPI = self._MPI
        raws = _check_parts(parts, self.size)
        scounts = np.array([r.size for r in raws], np.int64)
        rcounts = np.empty(self.size, np.int64)
        self.mpi_comm.Alltoall([scounts, MPI.INT64_T], [rcounts, MPI.INT64_T])
        sdispls, rdispls = _offsets(scounts, 1), _offsets(rcounts, 1)
        send = np.concatenate(raws) if raws else np.empty(0, np.uint8)
        recv = np.empty(int(rcounts.sum()), np.uint8)
        self.mpi_comm.Alltoallv(
            [send, (scounts.tolist(), sdispls.tolist()), MPI.BYTE],
            [recv, (rcounts.tolist(), rdispls.tolist()), MPI.BYTE],
        )
        return [recv[d : d + c] for c, d in zip(rcounts.tolist(), rdispls.tolist(), strict=True)]

    def abort(self, code: int) -> NoReturn:
        remove_all()  # spill directories: MPI_Abort runs no finalizer
        _flush_std()
        time.sleep(ABORT_GRACE_SECONDS)  # let the launcher forward the message before the kill
        self.mpi_comm.Abort(code)
        os._exit(code)  # MPI_Abort does not return; this is for an MPI that lets it


# ---- choosing the communicator ------------------------------------------------------------


@dataclass(frozen=True)
class Launch:
    """What the environment says about an MPI launch; None fields are not announced."""

    rank: int | None
    size: int | None
    variable: str  # the variable that announced the launch, for messages


_LAUNCH_VARS = (  # (rank variable, size variable)
    ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"),  # Open MPI
    ("PMI_RANK", "PMI_SIZE"),  # MPICH Hydra, Intel MPI, Slurm PMI-2
    ("PMIX_RANK", None),  # PMIx (prterun, Slurm --mpi=pmix)
)


def _int_var(env: Mapping[str, str], name: str | None) -> int | None:
    if name is None:
        return None
    try:
        return int(env[name])
    except (KeyError, ValueError):
        return None


def installed_mpiexec() -> Path:
    """The mpiexec installed with the MPI library mpi4py loads: the mpich wheel of the mpi
    extra puts it beside the interpreter."""
    return Path(sys.executable).parent / "mpiexec"


def detect_launch(env: Mapping[str, str] | None = None) -> Launch | None:
    """The launch the environment announces, or None when no MPI launcher started us."""
    env = os.environ if env is None else env
    for rank_var, size_var in _LAUNCH_VARS:
        rank, size = _int_var(env, rank_var), _int_var(env, size_var)
        if rank is not None or size is not None:
            return Launch(rank, size, size_var if size is not None else rank_var)
    return None


def _refuse_launch(launch: Launch, message: str) -> NoReturn:
    """Rank 0 (or a rank that does not know its number) explains; the others exit quietly."""
    if launch.rank in (None, 0):
        raise UserError(message)
    raise SystemExit(EXIT_ERROR)


# ids of exceptions that a guard let propagate on rank 0 after every rank failed alike
_agreed: set[int] = set()


def _install_excepthook(comm: MpiComm) -> None:
    """Safety net outside `guard`: an uncaught exception aborts the job instead of hanging it
    in `MPI_Finalize` (what mpi4py's `python -m mpi4py` does too)."""
    previous = sys.excepthook
    if getattr(previous, "zkcc_aborts", False):
        return

    def hook(kind, value, tb) -> None:
        previous(kind, value, tb)
        if id(value) not in _agreed:  # an agreed failure: the other ranks are exiting too
            comm.abort(EXIT_INTERNAL)

    hook.zkcc_aborts = True  # type: ignore[attr-defined]
    sys.excepthook = hook


def _first_lines(text: str, n: int = 1) -> str:
    """The first `n` non-empty lines of `text`, whitespace collapsed, joined by ': '."""
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    return ": ".join(lines[:n])


def get_comm() -> Comm:
    """`SingleComm` unless an MPI launcher started this process, else an `MpiComm`.

    Raises `UserError` (rank 0; the other ranks `SystemExit(2)`) when the launch cannot work:
    mpi4py missing, no loadable MPI library, or an `mpiexec` of another MPI than mpi4py's.
    """
    launch = detect_launch()
    if launch is None:
        return SingleComm()
    ranks = f"{launch.size} ranks" if launch.size is not None else f"{launch.variable} is set"
    try:
        from mpi4py import MPI  # initialises MPI
    except ImportError:
        if launch.size == 1:
            return SingleComm()
        _refuse_launch(
            launch,
            f"started by mpiexec ({ranks}) but mpi4py is not installed: "
            "pip install 'zkcc[mpi]' (make setup does)",
        )
    except RuntimeError as e:  # mpi4py found no libmpi to load
        if launch.size == 1:
            return SingleComm()
        detail = _first_lines(str(e), 2) or "no MPI library"
        _refuse_launch(
            launch,
            f"started by mpiexec ({ranks}) but mpi4py cannot load an MPI library ({detail}): "
            "pip install 'zkcc[mpi]' (make setup does) installs MPICH",
        )
    comm = MpiComm()
    if launch.size is not None and comm.size != launch.size:
        library = _first_lines(MPI.Get_library_version())
        mpiexec = installed_mpiexec()
        _refuse_launch(
            launch,
            f"started by mpiexec ({ranks}) but MPI sees {comm.size}: that mpiexec belongs to "
            f"another MPI than the library mpi4py loaded ({library}); use the mpiexec "
            f"installed with it ({mpiexec})",
        )
    if comm.size > 1:
        _install_excepthook(comm)
    return comm


# ---- agreement and failures ---------------------------------------------------------------


class CollectiveError(UserError):
    """An error every rank raises with the same message, because every rank computed it from
    the same gathered data (`check_same`). A `guard` prints it once and ends all ranks without
    `MPI_Abort`. Raise it only from code with that property: a rank that raises it alone
    leaves the others waiting."""


def _ranks_phrase(ranks: list[int]) -> str:
    """`rank 1`, `ranks 1, 2`, `ranks 0-3, 7`."""
    runs: list[str] = []
    i = 0
    while i < len(ranks):
        j = i
        while j + 1 < len(ranks) and ranks[j + 1] == ranks[j] + 1:
            j += 1
        if j - i >= 2:
            runs.append(f"{ranks[i]}-{ranks[j]}")
        else:
            runs.extend(str(r) for r in ranks[i : j + 1])
        i = j + 1
    return ("rank " if len(ranks) == 1 else "ranks ") + ", ".join(runs)


def _differ_error(label: str, digests: list[str | None]) -> CollectiveError | None:
    odd = [r for r, d in enumerate(digests) if d != digests[0]]
    if not odd:
        return None
    verb = "differs" if len(odd) == 1 else "differ"
    return CollectiveError(
        f"ranks were started with different {label}: {_ranks_phrase(odd)} {verb} from rank 0"
    )


def check_same(comm: Comm, label: str, data: bytes) -> None:
    """Raise `CollectiveError` on every rank unless every rank passed the same `data`.

    `data` is hashed first (SHA-256), so passing a whole file is as cheap on the wire as
    passing its digest. Collective: every rank must call it. Inside a `guard`, call it after
    `ready()` (or give the digests to `ready()` itself, which saves a round trip).
    """
    digests = [d.hex() for d in comm.allgather(hashlib.sha256(data).digest())]
    err = _differ_error(label, digests)
    if err is not None:
        raise err


def _exit_code(exc: BaseException) -> int:
    """The status zkcc/cli.py's `main()` gives `exc`."""
    if isinstance(exc, SystemExit):
        code = exc.code
        return 0 if code is None else code if isinstance(code, int) else EXIT_INTERNAL
    if isinstance(exc, click.exceptions.Exit):
        return exc.exit_code
    if isinstance(exc, click.ClickException | click.exceptions.Abort):
        return EXIT_ERROR
    if isinstance(exc, ProofRejected):
        return EXIT_REJECTED
    if isinstance(exc, InternalError):
        return EXIT_INTERNAL
    if isinstance(exc, ZkccError | MemoryError):
        return EXIT_ERROR
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    return EXIT_INTERNAL


def _is_internal(exc: BaseException) -> bool:
    """A bug rather than a user-facing error: its traceback is worth printing."""
    known = (
        SystemExit,
        KeyboardInterrupt,
        MemoryError,
        ZkccError,
        click.ClickException,
        click.exceptions.Exit,
        click.exceptions.Abort,
    )
    return not isinstance(exc, known)


def _describe(exc: BaseException) -> str:
    """One line for `exc`, worded as zkcc/cli.py's `main()` words it."""
    if isinstance(exc, ProofRejected):
        return f"rejected: {exc}"
    if isinstance(exc, ZkccError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return f"out of memory ({exc})" if str(exc) else "out of memory"
    if isinstance(exc, click.ClickException):
        return exc.format_message()
    if isinstance(exc, click.exceptions.Abort):
        return "aborted"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    if isinstance(exc, SystemExit) and isinstance(exc.code, str):
        return exc.code
    if isinstance(exc, SystemExit | click.exceptions.Exit):
        return f"exited with status {_exit_code(exc)}"
    return f"internal error: {type(exc).__name__}: {exc}"


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    _flush_std()


class Guard:
    """See the module docstring, "Failure semantics". Use through `guard(comm)`:

        comm = get_comm()
        with guard(comm) as g:
            plan = read_plan(...)                      # failures here are agreed on
            inputs = read_inputs(...)
            g.ready(plan=plan_bytes, inputs=input_digest)
            proof = prove(..., comm=comm)              # failures here abort the job

    With one rank the guard does nothing: exceptions pass through untouched. With several,
    it either lets an exception propagate on rank 0 (the others exit with its status), raises
    `SystemExit(status)`, or aborts the job; it never returns normally from a failure.
    Collectives on an `MpiComm` raise `RuntimeError` between entering the guard and `ready()`.
    """

    def __init__(self, comm: Comm) -> None:
        self.comm = comm
        self._ready = comm.size == 1
        self._resolved = False  # an agreed failure is on its way out as SystemExit

    def __enter__(self) -> Guard:
        global _guarded
        _guarded = True
        if not self._ready and isinstance(self.comm, MpiComm):
            self.comm._gate = (
                "inside guard() before Guard.ready(): no collective may run before the ranks "
                "agree that every rank loaded its inputs"
            )
        return self

    def _open_gate(self) -> None:
        if isinstance(self.comm, MpiComm):
            self.comm._gate = None

    def _exchange(self, record: dict) -> list[dict]:
        """The agreement: one allgather of a small JSON record per rank (never pickle)."""
        raw = json.dumps(record, sort_keys=True).encode()
        if isinstance(self.comm, MpiComm):
            got = self.comm._allgather(raw)
        else:
            got = self.comm.allgather(raw)
        return [json.loads(g) for g in got]

    def _barrier(self) -> None:
        if isinstance(self.comm, MpiComm):
            self.comm._barrier()
        else:
            self.comm.barrier()

    def ready(self, **checks: bytes) -> None:
        """Collective: every rank has loaded what it needs; `checks` (label=bytes, e.g.
        `plan=...`, `inputs=...`) must be equal on all ranks. From here on a failure on a
        rank aborts the job. Raises SystemExit on every rank if some rank failed before its
        `ready()`, CollectiveError on every rank if some check differs."""
        if self.comm.size == 1:
            self._ready = True
            return
        if self._ready:
            raise RuntimeError("Guard.ready() called twice")
        digests = {k: hashlib.sha256(v).hexdigest() for k, v in checks.items()}
        records = self._exchange({"ok": True, "checks": digests})
        self._ready = True
        self._open_gate()
        self._settle(records, None)
        for label in records[0]["checks"]:
            err = _differ_error(label, [r.get("checks", {}).get(label) for r in records])
            if err is not None:
                raise err

    def _settle(self, records: list[dict], exc: BaseException | None) -> None:
        """Act on the gathered outcomes: return if no rank failed (or, on rank 0, when its own
        exception should propagate), else raise SystemExit."""
        failed = [(r, rec) for r, rec in enumerate(records) if not rec["ok"]]
        if not failed:
            return
        comm = self.comm
        code = failed[0][1]["code"]
        self._resolved = True
        outcomes = {(rec["code"], rec["text"]) for _, rec in failed}
        if len(failed) == comm.size and len(outcomes) == 1:
            if comm.rank == 0:  # every rank failed alike: print it as one process would
                if exc is not None:
                    _agreed.add(id(exc))
                return
            raise SystemExit(code)
        if exc is not None and _is_internal(exc):
            traceback.print_exception(exc)
            _flush_std()
        self._barrier()  # tracebacks first, then the summary
        if comm.rank == 0:
            groups: dict[str, list[int]] = {}
            for r, rec in failed:
                groups.setdefault(rec["text"], []).append(r)
            for text, ranks in groups.items():
                _say(f"zkcc: error on {_ranks_phrase(ranks)} of {comm.size}: {text}")
        raise SystemExit(code)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        comm = self.comm
        if comm.size == 1 or self._resolved:
            return False
        if not self._ready:  # the agreement the other ranks hold in ready() (or here)
            self._ready = True
            self._open_gate()
            if exc is None:
                record: dict = {"ok": True, "checks": {}}
            else:
                record = {"ok": False, "code": _exit_code(exc), "text": _describe(exc)}
            self._settle(self._exchange(record), exc)
            return False
        if exc is None:
            return False
        code = _exit_code(exc)
        if isinstance(exc, CollectiveError):
            if comm.rank == 0:
                _agreed.add(id(exc))
                return False
            raise SystemExit(code) from None
        if code == 0 and isinstance(exc, SystemExit | click.exceptions.Exit):
            return False
        if _is_internal(exc):
            traceback.print_exception(exc)
        if not isinstance(exc, KeyboardInterrupt):
            _say(f"zkcc: error on rank {comm.rank} of {comm.size}: {_describe(exc)}")
        comm.abort(code)


_guarded = False  # a command entered its guard: from then on the guard reports failures


def guarded() -> bool:
    """Whether this process entered a guard. Before that, every rank runs the same option
    checks on the same command line, so a failure there is every rank's (zkcc.cli.main has
    rank 0 print it once)."""
    return _guarded


def guard(comm: Comm) -> Guard:
    """The failure guard for one command run on `comm` (a context manager; see `Guard`)."""
    return Guard(comm)
