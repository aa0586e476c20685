"""The communicator layer (zkcc/runtime/comm.py): collectives, launch detection, failures.

The MPI tests run real `mpiexec -n 2` / `-n 3` jobs of the scripts in tests/mpi_programs/ with
the `mpiexec` installed beside this Python (`make setup` installs the `mpich` wheel); they skip
with a reason when it or mpi4py is missing. Every job runs with a timeout and in its own
process group, so a hang fails its test instead of blocking the run.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from zkcc.errors import UserError
from zkcc.runtime import comm as C
from zkcc.runtime.comm import (
    CollectiveError,
    Comm,
    Launch,
    SingleComm,
    check_same,
    detect_launch,
    get_comm,
    guard,
)

PROGRAMS = Path(__file__).parent / "mpi_programs"
MPIEXEC = Path(sys.executable).parent / "mpiexec"
TIMEOUT = 60  # seconds per job; a healthy one takes about half a second
PROMPT = 20  # seconds within which a failing job must have ended every rank

HAVE_MPI4PY = importlib.util.find_spec("mpi4py") is not None
needs_mpi = pytest.mark.skipif(
    not (HAVE_MPI4PY and MPIEXEC.exists()),
    reason=f"MPI missing (mpi4py: {HAVE_MPI4PY}, {MPIEXEC}: {MPIEXEC.exists()}); "
    "`make setup` installs zkcc[mpi]",
)
LAUNCH_VARS = [v for pair in C._LAUNCH_VARS for v in pair if v] + ["PMI_FD", "PMI_PORT"]


@dataclass
class Job:
    rc: int
    out: str
    err: str
    seconds: float

    def lines(self, needle: str) -> list[str]:
        return [line for line in self.err.splitlines() if needle in line]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LAUNCH_VARS}
    env.update(extra)
    return env


def shim_env(shim_root: Path, **extra: str) -> dict[str, str]:
    """The environment with `shim_root` first on PYTHONPATH (its mpi4py hides the real one)."""
    path = os.pathsep.join(p for p in [str(shim_root), os.environ.get("PYTHONPATH")] if p)
    return clean_env(PYTHONPATH=path, **extra)


def run(args: list[str], env: dict[str, str] | None = None) -> Job:
    start = time.monotonic()
    p = subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env or clean_env(),
        start_new_session=True,
    )
    try:
        out, err = p.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail(f"hung for {TIMEOUT} s: {' '.join(args)}\nstdout:\n{out}\nstderr:\n{err}")
    return Job(p.returncode, out, err, time.monotonic() - start)


def mpiexec(n: int, program: str, *args: str, env: dict[str, str] | None = None) -> Job:
    cmd = [str(MPIEXEC), "-n", str(n), sys.executable, str(PROGRAMS / program), *args]
    return run(cmd, env)


# ---- collectives ---------------------------------------------------------------------------


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_collectives_match_expected_values(n):
    job = mpiexec(n, "collectives.py", "world", str(10 + n))
    assert job.rc == 0, job.err
    assert job.out.startswith("digest "), job.out


@needs_mpi
def test_single_comm_behaves_like_a_one_rank_mpi_comm():
    alone = run([sys.executable, str(PROGRAMS / "collectives.py"), "single", "3"])
    one = mpiexec(1, "collectives.py", "world", "3")
    assert alone.rc == one.rc == 0, alone.err + one.err
    assert alone.out == one.out and alone.out.startswith("digest ")
    # and a guard is transparent on both: the error prints exactly as without MPI
    alone = run([sys.executable, str(PROGRAMS / "failures.py"), "load-all"])
    one = mpiexec(1, "failures.py", "load-all")
    assert alone.rc == one.rc == 2
    assert alone.err == one.err == "inputs.json: not a JSON file\n"


def test_single_comm_collectives():
    c = SingleComm()
    assert isinstance(c, Comm) and (c.rank, c.size) == (0, 1)
    assert c.allgather(b"abc") == [b"abc"] and c.allgather(b"") == [b""]
    assert c.bcast(b"xy") == b"xy"
    with pytest.raises(ValueError):
        c.bcast(b"xy", root=1)
    with pytest.raises(ValueError):
        c.bcast(None)
    c.barrier()
    a = np.asfortranarray(np.arange(6, dtype=np.uint64).reshape(2, 3))
    (got,) = c.allgather_array(a)
    assert got.flags.c_contiguous and got.dtype == a.dtype and np.array_equal(got, a)
    got[0, 0] = 99
    assert a[0, 0] == 0  # a copy, as under MPI
    (scalar,) = c.allgather_array(np.float32(1.5).reshape(()))
    assert scalar.shape == () and scalar.dtype == np.float32
    with pytest.raises(TypeError):
        c.allgather_array(np.array([object()]))
    words = np.arange(6, dtype=np.uint32).reshape(2, 3)[:, ::2]  # not contiguous
    (part,) = c.alltoall([words])
    assert part.dtype == np.uint8 and part.tobytes() == np.ascontiguousarray(words).tobytes()
    (part,) = c.alltoall([b"xyz"])
    assert part.tobytes() == b"xyz"
    with pytest.raises(ValueError):
        c.alltoall([b"a", b"b"])
    with pytest.raises(TypeError):
        c.alltoall([np.array([object()])])


def test_array_header_round_trips_without_pickle():
    nested = [("a", "<u8"), ("b", "S3", (2,)), ("c", [("x", ">i2"), ("y", "?")])]
    dtypes = [np.uint64, ">u4", "<U3", "S5", "V8", "M8[ns]", "m8[s]", np.complex64, nested]
    for dt in dtypes:
        for shape in [(), (0,), (3, 0, 2), (4, 5)]:
            a = np.zeros(shape, dt)
            assert C._parse_header(C._array_header(a)) == (shape, a.dtype)
    assert C._offsets(np.array([3, 0, 70, 1]), 64).tolist() == [0, 64, 64, 192]


# ---- check_same and the guard in one process ------------------------------------------------


def test_check_same_and_guard_with_one_rank():
    c = SingleComm()
    check_same(c, "inputs", b"anything")
    with guard(c) as g:
        g.ready(plan=b"p", inputs=b"i")
        g.ready()  # a no-op with one rank
    with pytest.raises(UserError, match="bad input"), guard(c):
        raise UserError("bad input")
    with pytest.raises(KeyError), guard(c) as g:
        g.ready()
        raise KeyError("passes through untouched")


def test_differ_message():
    err = C._differ_error("inputs", ["a", "b", "a"])
    assert isinstance(err, CollectiveError) and isinstance(err, UserError)
    assert str(err) == "ranks were started with different inputs: rank 1 differs from rank 0"
    err = C._differ_error("plan", ["a", "b", "b", "b", "a", "c"])
    assert str(err) == "ranks were started with different plan: ranks 1-3, 5 differ from rank 0"
    assert C._differ_error("plan", ["a", "a"]) is None
    assert C._ranks_phrase([1, 2]) == "ranks 1, 2"


# ---- choosing the communicator ---------------------------------------------------------------


def test_detect_launch():
    assert detect_launch({}) is None
    assert detect_launch({"PMI_RANK": "2", "PMI_SIZE": "3"}) == Launch(2, 3, "PMI_SIZE")
    ompi = {"OMPI_COMM_WORLD_RANK": "1", "OMPI_COMM_WORLD_SIZE": "4", "PMIX_RANK": "1"}
    assert detect_launch(ompi) == Launch(1, 4, "OMPI_COMM_WORLD_SIZE")
    assert detect_launch({"PMIX_RANK": "0"}) == Launch(0, None, "PMIX_RANK")
    assert detect_launch({"PMI_RANK": "x"}) is None


def test_get_comm_without_a_launcher(monkeypatch):
    for var in LAUNCH_VARS:
        monkeypatch.delenv(var, raising=False)
    assert isinstance(get_comm(), SingleComm)


@pytest.mark.parametrize(
    ("env", "expect"),
    [
        ({"PMI_RANK": "0", "PMI_SIZE": "3"}, "started by mpiexec (3 ranks) but mpi4py is not"),
        ({"PMIX_RANK": "0"}, "started by mpiexec (PMIX_RANK is set) but mpi4py is not"),
        ({"PMI_RANK": "1", "PMI_SIZE": "3"}, None),  # not rank 0: exits 2 in silence
        ({"PMI_RANK": "0", "PMI_SIZE": "1"}, "single"),  # one rank needs no MPI
    ],
)
def test_get_comm_without_mpi4py(monkeypatch, env, expect):
    for var in LAUNCH_VARS:
        monkeypatch.delenv(var, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # makes `import mpi4py` fail
    if expect == "single":
        assert isinstance(get_comm(), SingleComm)
    elif expect is None:
        with pytest.raises(SystemExit) as e:
            get_comm()
        assert e.value.code == 2
    else:
        with pytest.raises(UserError) as e:
            get_comm()
        assert str(e.value).startswith(expect)
        assert "pip install 'zkcc[mpi]' (make setup does)" in str(e.value)


@needs_mpi
def test_mpiexec_without_mpi4py_gives_one_clear_error(tmp_path):
    shim = tmp_path / "mpi4py"
    shim.mkdir()
    (shim / "__init__.py").write_text("raise ImportError('mpi4py hidden by the test')\n")
    job = mpiexec(3, "failures.py", "ok", env=shim_env(tmp_path))
    assert job.rc == 2 and job.seconds < PROMPT
    assert job.err == (
        "started by mpiexec (3 ranks) but mpi4py is not installed: "
        "pip install 'zkcc[mpi]' (make setup does)\n"
    )


def test_mpi4py_without_an_mpi_library(tmp_path):
    shim = tmp_path / "mpi4py"
    shim.mkdir()
    (shim / "__init__.py").write_text("")
    (shim / "MPI.py").write_text("raise RuntimeError('cannot load MPI library\\nno libmpi.so')\n")
    env = shim_env(tmp_path, PMI_RANK="0", PMI_SIZE="2")
    job = run([sys.executable, str(PROGRAMS / "failures.py"), "ok"], env)
    assert job.rc == 2
    assert job.err.startswith("started by mpiexec (2 ranks) but mpi4py cannot load an MPI")
    assert "no libmpi.so" in job.err


@needs_mpi
def test_mpiexec_of_another_mpi_is_refused():
    """Launch variables without a matching MPI: each process would be a 1-rank world."""
    env = clean_env(PMI_RANK="0", PMI_SIZE="3")
    job = run([sys.executable, str(PROGRAMS / "failures.py"), "ok"], env)
    assert job.rc == 2
    assert job.err.startswith("started by mpiexec (3 ranks) but MPI sees 1"), job.err


# ---- failure semantics under mpiexec ---------------------------------------------------------

ABORT = "application called MPI_Abort"


@needs_mpi
@pytest.mark.parametrize(
    ("mode", "n", "rc", "message"),
    [
        ("ok", 2, 0, None),
        ("no-ready", 2, 0, None),
        # before ready(): agreed on, printed once, no MPI_Abort
        ("load-all", 2, 2, "inputs.json: not a JSON file"),
        ("load-one", 3, 2, "zkcc: error on rank 1 of 3: inputs.json: no such file"),
        ("load-two", 3, 2, "zkcc: error on ranks 1, 2 of 3: plan.zkplan: wrong magic"),
        ("no-ready-fail", 2, 2, "zkcc: error on rank 1 of 2: inputs.json: no such file"),
        ("load-internal", 2, 3, "zkcc: error on rank 1 of 2: internal error: ValueError: boom"),
        ("differ", 3, 2, "ranks were started with different inputs: rank 2 differs from rank 0"),
        ("check-same-differ", 2, 2, "ranks were started with different plan: rank 1 differs"),
    ],
)
def test_agreed_failures_print_once_and_exit_cleanly(mode, n, rc, message):
    job = mpiexec(n, "failures.py", mode)
    assert job.rc == rc, job.err
    assert ABORT not in job.err
    if message is None:
        assert job.err == ""
    else:
        assert len(job.lines(message)) == 1, job.err
        assert len(job.lines("error on rank")) <= 1, job.err
    if mode == "ok":
        assert job.out == "done\n"
    if mode == "load-internal":
        assert job.err.count("Traceback") == 1


@needs_mpi
@pytest.mark.parametrize(
    ("mode", "n", "rc", "message"),
    [
        ("raise-one", 3, 2, "zkcc: error on rank 1 of 3: witness: assertion failed in kernel dot"),
        ("internal-one", 2, 3, "zkcc: error on rank 1 of 2: internal error: KeyError: 'oops'"),
        ("memory-one", 2, 2, "zkcc: error on rank 1 of 2: out of memory (Unable to allocate"),
        ("exit-one", 2, 3, "zkcc: error on rank 1 of 2: exited with status 3"),
    ],
)
def test_a_failure_on_one_rank_aborts_every_rank(mode, n, rc, message):
    job = mpiexec(n, "failures.py", mode)
    assert job.rc == rc, job.err
    assert job.seconds < PROMPT
    assert len(job.lines(message)) == 1, job.err
    assert len(job.lines("error on rank")) == 1, job.err
    # MPICH prints its own MPI_Abort line from the aborting rank; hydra may kill that rank's
    # proxy before the line is forwarded, so it is seen at most once, not always (the exit
    # status above is what proves the abort happened).
    assert len(job.lines(ABORT)) <= 1, job.err
    assert "done" not in job.out


@needs_mpi
def test_the_same_failure_on_every_rank_after_ready_aborts():
    job = mpiexec(2, "failures.py", "raise-all")
    assert job.rc == 2 and job.seconds < PROMPT
    assert 1 <= len(job.lines("witness: assertion failed")) <= 2, job.err


@needs_mpi
def test_collective_before_ready_is_refused_on_every_rank():
    job = mpiexec(2, "failures.py", "gate")
    assert job.rc == 3 and job.seconds < PROMPT  # an internal error (a collective misused)
    assert job.err.count("RuntimeError: MpiComm.allgather called inside guard()") == 1, job.err
    assert ABORT not in job.err


@needs_mpi
def test_a_rank_killed_by_a_signal_ends_the_job():
    job = mpiexec(3, "failures.py", "kill-one")
    assert job.rc != 0 and job.seconds < PROMPT
    assert "Killed (signal 9)" in job.out + job.err


@needs_mpi
def test_an_exception_outside_the_guard_aborts_instead_of_hanging():
    job = mpiexec(2, "failures.py", "uncaught-one")
    assert job.rc == 3 and job.seconds < PROMPT  # internal error
    assert "ValueError: uncaught" in job.err
