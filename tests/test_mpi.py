"""`mpiexec -n R zkcc prove` end to end: the proof equals the one-process proof byte for byte
with the same --seed (the Groth16 blinding and a zk plan's PCS masks are fresh per proof
otherwise), also with --mem-limit, and every failure ends every rank with one clear message
and no proof file, never a hang."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import EXAMPLES, ROOT

MPIEXEC = Path(sys.executable).parent / "mpiexec"
SEED = ("--seed", "1")
ZKCC = [sys.executable, "-c", "from zkcc.cli import main; main()"]

try:
    import mpi4py  # noqa: F401

    HAVE_MPI = MPIEXEC.exists()
except ImportError:
    HAVE_MPI = False

pytestmark = pytest.mark.skipif(not HAVE_MPI, reason="mpi4py/mpich not installed (make setup)")


def run(*args: str, ranks: int | None = None, timeout: int = 180) -> subprocess.CompletedProcess:
    cmd = [*ZKCC, *args] if ranks is None else [str(MPIEXEC), "-n", str(ranks), *ZKCC, *args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "ZKCC_THREADS": "1"}
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env, timeout=timeout)


def compiled(tmp_path: Path, name: str) -> Path:
    plan = tmp_path / f"{name}.zkplan"
    r = run("compile", str(EXAMPLES / name / f"{name}.zkcu"), "-o", str(plan))
    assert r.returncode == 0, r.stderr
    return plan


@pytest.mark.parametrize(
    "name",
    [
        "dot",
        "pipeline",
        "layers",  # launches that write slices of one tensor and read slices of others
        *(pytest.param(n, marks=pytest.mark.slow) for n in ("mimc", "polyeval", "poseidon_bn254")),
    ],
)
def test_mpi_proof_is_byte_identical(tmp_path, name):
    plan = compiled(tmp_path, name)
    inputs = str(EXAMPLES / name / "inputs.json")
    one = tmp_path / "one.zkproof"
    assert run("prove", str(plan), "-i", inputs, "-o", str(one), "-q", *SEED).returncode == 0
    for ranks in (2, 3):
        out = tmp_path / f"r{ranks}.zkproof"
        r = run("prove", str(plan), "-i", inputs, "-o", str(out), *SEED, ranks=ranks)
        assert r.returncode == 0, r.stderr
        assert out.read_bytes() == one.read_bytes(), f"{ranks} ranks"
        assert r.stdout.count("wrote") == 1  # rank 0 alone reports
    assert run("verify", str(plan), str(one)).returncode == 0


def test_processes_option_starts_mpiexec_itself(tmp_path):
    """`zkcc prove --processes 2` runs itself as `mpiexec -n 2` (two ranks, one report) and
    writes the one-process proof; under mpiexec the option changes nothing."""
    plan = compiled(tmp_path, "dot")
    inputs = str(EXAMPLES / "dot" / "inputs.json")
    one, two = tmp_path / "one.zkproof", tmp_path / "two.zkproof"
    assert run("prove", str(plan), "-i", inputs, "-o", str(one), "-q", *SEED).returncode == 0
    r = run("prove", str(plan), "-i", inputs, "-o", str(two), "--json", "-p", "2", *SEED)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ranks"] == 2
    assert two.read_bytes() == one.read_bytes()
    three = tmp_path / "three.zkproof"
    r = run("prove", str(plan), "-i", inputs, "-o", str(three), "--json", "-p", "2", *SEED, ranks=3)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ranks"] == 3
    assert three.read_bytes() == one.read_bytes()


def test_mpi_ranks_read_their_parts_of_an_npz_input(tmp_path):
    """Each rank reads only its part of every .npz entry (deflated, one in Fortran order):
    the proof is the one-process proof from the same values in JSON. Stdin, which only rank 0
    receives, is refused with one message."""
    plan = compiled(tmp_path, "dot")
    text = (EXAMPLES / "dot" / "inputs.json").read_text()
    values = json.loads(text)
    npz = tmp_path / "in.npz"
    np.savez_compressed(npz, xs=np.asfortranarray(values["xs"]), w=np.array(values["w"]))
    one = tmp_path / "one.zkproof"
    inputs = str(EXAMPLES / "dot" / "inputs.json")
    assert run("prove", str(plan), "-i", inputs, "-o", str(one), "-q", *SEED).returncode == 0
    out = tmp_path / "r3.zkproof"
    r = run("prove", str(plan), "-i", str(npz), "-o", str(out), *SEED, ranks=3)
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == one.read_bytes()
    out.unlink()
    cmd = [str(MPIEXEC), "-n", "2", *ZKCC, "prove", str(plan), "-i", "-", "-o", str(out)]
    r = subprocess.run(cmd, input=text, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2 and not out.exists()
    assert r.stderr.strip().splitlines() == [
        "-i -: under mpiexec only rank 0 reads stdin; give the inputs as a file"
    ]


def test_mpi_groth16_and_mixed_program_verifies(tmp_path):
    """Groth16 blinding is fresh per proof; with --seed the 3-rank proof is the one-process one."""
    plan = compiled(tmp_path, "mixed_bn254")
    assert run("setup", str(plan)).returncode == 0
    inputs = str(EXAMPLES / "mixed_bn254" / "inputs.json")
    out, seeded, one = (tmp_path / f"{n}.zkproof" for n in ("p", "seeded", "one"))
    r = run("prove", str(plan), "-i", inputs, "-o", str(out), ranks=3)
    assert r.returncode == 0, r.stderr
    assert run("verify", str(plan), str(out)).returncode == 0
    r = run("prove", str(plan), "-i", inputs, "-o", str(seeded), "--seed", "9", ranks=3)
    assert r.returncode == 0, r.stderr
    assert run("prove", str(plan), "-i", inputs, "-o", str(one), "--seed", "9").returncode == 0
    assert seeded.read_bytes() == one.read_bytes() != out.read_bytes()


def test_mpi_composes_with_mem_limit(tmp_path):
    """A per-rank limit that makes every rank spill its GKR layers and its columns of every
    tensor commitment to files (tests/mpi_programs/prove_limited.py), on a program with
    several committed tensors: still the one-process bytes."""
    plan = compiled(tmp_path, "pipeline")
    inputs = str(EXAMPLES / "pipeline" / "inputs.json")
    one = tmp_path / "one.zkproof"
    assert run("prove", str(plan), "-i", inputs, "-o", str(one), "-q", *SEED).returncode == 0
    script = [sys.executable, str(ROOT / "tests" / "mpi_programs" / "prove_limited.py")]
    for ranks in (2, 3):
        out = tmp_path / f"r{ranks}.zkproof"
        cmd = [str(MPIEXEC), "-n", str(ranks), *script, str(plan), inputs, str(out), SEED[1]]
        env = {**os.environ, "ZKCC_THREADS": "1"}
        r = subprocess.run(
            [*cmd, str(tmp_path)], capture_output=True, text=True, env=env, timeout=180
        )
        assert r.returncode == 0, r.stderr
        assert out.read_bytes() == one.read_bytes(), f"{ranks} ranks"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == []  # spill files gone


def test_failures_end_every_rank_cleanly(tmp_path):
    plan = compiled(tmp_path, "dot")
    out = tmp_path / "p.zkproof"
    # a bad input file every rank reads: one message, exit 2, no traceback, no output
    bad = tmp_path / "bad.json"
    bad.write_text('{"xs": [[1, 2]]}')
    r = run("prove", str(plan), "-i", str(bad), "-o", str(out), ranks=3, timeout=60)
    assert r.returncode == 2 and not out.exists()
    assert r.stderr.strip().splitlines() == [f"{bad}: missing inputs ['w']"], r.stderr
    # an unparsable --mem-limit
    r = run(
        "prove",
        str(plan),
        "-i",
        str(EXAMPLES / "dot" / "inputs.json"),
        "--mem-limit",
        "2X",
        ranks=2,
    )
    assert r.returncode == 2 and "cannot parse" in r.stderr and not out.exists()


def test_failed_assertion_on_one_rank_ends_the_job(tmp_path):
    """Instance 1000 fails an assertion: only the rank holding it notices (witness generation
    is split); it names the instance once and the job ends, with no proof written."""
    src = tmp_path / "a.zkcu"
    src.write_text(
        "#pragma field m31\n"
        "__global__ void k(const field x[1], field y[1]) { assert(x[0] == 1); y[0] = x[0]; }\n"
        "__host__ void main(public field xs[1024][1], public out field ys[1024][1]) {\n"
        "    k<<<1024>>>(xs, ys);\n}\n"
    )
    plan, out = tmp_path / "a.zkplan", tmp_path / "a.zkproof"
    assert run("compile", str(src), "-o", str(plan)).returncode == 0
    inputs = tmp_path / "in.json"
    inputs.write_text(
        '{"xs": [' + ",".join("[7]" if i == 1000 else "[1]" for i in range(1024)) + "]}"
    )
    r = run("prove", str(plan), "-i", str(inputs), "-o", str(out), ranks=3, timeout=60)
    assert r.returncode != 0 and not out.exists()
    assert "instance 1000" in r.stderr and r.stderr.count("assertion failed") == 1, r.stderr


def test_ranks_with_different_inputs_are_refused(tmp_path):
    plan = compiled(tmp_path, "dot")
    other = tmp_path / "other.json"
    text = (EXAMPLES / "dot" / "inputs.json").read_text()
    other.write_text(text.replace("1", "2", 1))
    out = tmp_path / "p.zkproof"
    args = ["prove", str(plan), "-o", str(out)]
    cmd = [str(MPIEXEC), "-n", "1", *ZKCC, *args, "-i", str(EXAMPLES / "dot" / "inputs.json")]
    cmd += [":", "-n", "1", *ZKCC, *args, "-i", str(other)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert r.returncode == 2 and not out.exists()
    assert "different inputs" in r.stderr and r.stderr.count("different inputs") == 1


@pytest.mark.parametrize("zk, n", [(False, 6), (True, 9), (True, 1)])
def test_mpi_lookup_proof_is_byte_identical(tmp_path, zk, n):
    """A plan with range checks and a table lookup, proved by LogUp (zkcc/runtime/lookups.py,
    or with zero knowledge zkcc/runtime/zk_lookups.py and its second commitment round):
    every rank holds its rows of the lookup columns and the same trees and inverses. With
    n = 1 the launch and its table check have one instance, fewer than the ranks; with n = 9
    on three ranks the last rank's shard lies past the real instances (all padding)."""
    import json

    from test_lookups import SQ_VALUES, table_source

    from zkcc.driver import plan_program
    from zkcc.frontend import compile_source

    x = [[(37 * i + 11 * j) % 60000 - 30000 for j in range(4)] for i in range(n)]
    k = [[(i + 5 * j) % len(SQ_VALUES) for j in range(3)] for i in range(n)]
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({"x": x, "k": k}))
    program = compile_source(table_source("m31", n), "lookups.zkcu", lookups=True)
    compiled = plan_program(program, zk=zk, choose_lookups=False)
    assert compiled.kernels["sq"].ir.tables  # LogUp, not bits
    plan = tmp_path / "lookups.zkplan"
    plan.write_bytes(compiled.to_bytes())
    one = tmp_path / "one.zkproof"
    args = ("prove", str(plan), "-i", str(inputs))
    assert run(*args, "-o", str(one), "-q", *SEED).returncode == 0
    for ranks in (2, 3):
        out = tmp_path / f"r{ranks}.zkproof"
        r = run(*args, "-o", str(out), *SEED, ranks=ranks)
        assert r.returncode == 0, r.stderr
        assert out.read_bytes() == one.read_bytes(), f"{ranks} ranks"
    assert run("verify", str(plan), str(one)).returncode == 0
