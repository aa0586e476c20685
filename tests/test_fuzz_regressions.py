"""Reproducers of what fuzzing found (tests/fuzz, docs/fuzzing.md), and of the hostile inputs
the issue lists, each checked at the CLI's contract: exit 2 with one line naming the file, or
exit 1 for a proof that is rejected; never exit 3, a crash or an accepted mutated proof.

A finding not yet fixed is marked xfail(strict=True) with the finding, so that the test
starts failing -- and the mark must go -- once the bug is fixed; every finding so far is fixed.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from helpers import EXAMPLES, ROOT, prove_example

from zkcc import cli
from zkcc.encoding import decode, encode
from zkcc.errors import FormatError
from zkcc.fileio import read_bytes
from zkcc.runtime.bundle import MAGIC as PROOF_MAGIC
from zkcc.runtime.bundle import VERSION as PROOF_VERSION

DOT_SRC = EXAMPLES / "dot" / "dot.zkcu"
DOT_INPUTS = EXAMPLES / "dot" / "inputs.json"


def zkcc(monkeypatch, capsys, *args) -> tuple[int, str]:
    """(exit code, stderr) of `zkcc ARGS`, run in-process through cli.main."""
    monkeypatch.setattr(sys, "argv", ["zkcc", *map(str, args)])
    try:
        cli.main()
        code = 0
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


def assert_one_line(code: int, err: str, name, *words: str, want: int = 2) -> str:
    assert code == want, err[-2000:]
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err[-2000:]
    assert str(name) in lines[0], lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def assert_diagnostic(code: int, err: str, name, *words: str) -> None:
    """A compile error: exit 2, a diagnostic naming the file first, no traceback."""
    assert code == 2, err[-2000:]
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    first = err.strip().splitlines()[0]
    assert first.startswith(f"{name}:"), first
    for w in words:
        assert w in first, first


@pytest.fixture(scope="module")
def dot():
    return prove_example("dot")


@pytest.fixture
def dot_files(dot, tmp_path):
    plan = tmp_path / "dot.zkplan"
    plan.write_bytes(dot.plan.to_bytes())
    return plan, tmp_path / "mutated.zkproof"


def _mutate_proof(proof: bytes, edit) -> bytes:
    _, tree = decode(proof, PROOF_MAGIC, PROOF_VERSION, "proof")
    edit(tree)
    return encode(PROOF_MAGIC, PROOF_VERSION, tree)


def _unreduced(raw: bytes) -> bytes:
    """The first m31 element set to 0xffffffff (>= p: not a canonical field element)."""
    return b"\xff\xff\xff\xff" + raw[4:]


# -- findings of the fuzzers -------------------------------------------------------------------


def test_read_bytes_does_not_reserve_its_limit(tmp_path):
    """Finding (fileio.py, fixed): read_bytes did f.read(limit + 1), which allocates a 16 GiB
    buffer for every file read, so under `ulimit -v` (or strict overcommit) every zkcc
    command failed with "out of memory", even on a 1 KB file."""
    f = tmp_path / "small.json"
    f.write_text("{}")
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, resource.RLIM_INFINITY))\n"
        "from zkcc.fileio import read_bytes\n"
        "sys.stdout.write(read_bytes(sys.argv[1], 'inputs').decode())\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(f)], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert r.returncode == 0 and r.stdout == "{}", r.stderr[-2000:]


def test_read_bytes_reads_a_stream_that_outgrows_its_stat_size():
    """read_bytes reads the size fstat reports, then goes on in chunks: a pipe (size 0) is
    read in full, and still cut at the limit."""
    from zkcc.fileio import read_upto

    for size, most in ((3 << 20, 1 << 30), (3 << 20, (1 << 20) + 5)):
        r, w = os.pipe()
        data = os.urandom(size)
        pid = os.fork()
        if pid == 0:  # the writer
            os.close(r)
            try:
                with os.fdopen(w, "wb") as out:
                    out.write(data)
            finally:
                os._exit(0)
        os.close(w)
        with os.fdopen(r, "rb") as f:
            got = read_upto(f, most)
        os.waitpid(pid, 0)
        assert got == data[:most]


@pytest.mark.parametrize("where", ["public", "opening"])
def test_unreduced_element_in_a_proof_names_the_proof(monkeypatch, capsys, dot, dot_files, where):
    """Finding (verifier.py, fixed): a field element >= p in a proof was refused as
    "m31: encoded value is not reduced (>= p)", naming neither the file nor the field."""
    plan, out = dot_files

    def edit(tree):
        if where == "public":
            tree["public"]["ys"] = _unreduced(tree["public"]["ys"])
        else:
            group = tree["opening"]["groups"][0]
            group["tests"] = _unreduced(group["tests"])

    out.write_bytes(_mutate_proof(dot.proof, edit))
    code, err = zkcc(monkeypatch, capsys, "verify", plan, out)
    assert_one_line(code, err, out, "not reduced")


# -- the hostile inputs the issue lists (more in test_hostile_inputs.py) -----------------------


def test_source_sum_of_100001_terms(monkeypatch, capsys, tmp_path):
    src = tmp_path / "sum.zkcu"
    code = "field acc = " + "+".join(["1"] * 100_001) + ";"
    src.write_text(DOT_SRC.read_text().replace("field acc = 0;", code))
    out = tmp_path / "sum.zkplan"
    assert_diagnostic(*zkcc(monkeypatch, capsys, "compile", src, "-o", out), src, "nested")
    assert not out.exists()


@pytest.mark.parametrize("dim", [2**63, 2**64, 2**63 - 1])
def test_source_dimension_of_2_to_63_or_more(monkeypatch, capsys, tmp_path, dim):
    src = tmp_path / "dims.zkcu"
    text = DOT_SRC.read_text().replace("public field xs[BATCH][N]", f"public field xs[{dim}][N]")
    src.write_text(text)
    assert_diagnostic(*zkcc(monkeypatch, capsys, "check", src), src)


def _npz(path, arrays: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as z:
        for name, raw in arrays.items():
            z.writestr(name + ".npy", raw)


def _npy_with_shape(shape) -> bytes:
    header = repr({"descr": "<i8", "fortran_order": False, "shape": shape}).encode()
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header


@pytest.mark.parametrize("shape", [(2**63,), (2**63, 8), (2**64, 2**64), (-1, 8)])
def test_npz_dimension_of_2_to_63_or_more(monkeypatch, capsys, dot_files, tmp_path, shape):
    plan, _ = dot_files
    f = tmp_path / "dims.npz"
    w = io.BytesIO()
    np.save(w, np.arange(8, dtype=np.int64))
    _npz(f, {"xs": _npy_with_shape(shape), "w": w.getvalue()})
    out = tmp_path / "p.zkproof"
    code, err = zkcc(monkeypatch, capsys, "prove", "-q", plan, "-i", f, "-o", out)
    assert_one_line(code, err, f)
    assert not out.exists()


def test_json_value_with_superscript_two(monkeypatch, capsys, dot_files, tmp_path):
    plan, _ = dot_files
    f = tmp_path / "sup.json"
    data = json.loads(DOT_INPUTS.read_text())
    data["w"][0] = "\u00b2"  # str.isdigit() says yes, int() says no
    f.write_text(json.dumps(data))
    code, err = zkcc(monkeypatch, capsys, "run", plan, "-i", f)
    assert_one_line(code, err, f, "is not a decimal integer")


def test_inspect_of_a_truncated_proof(monkeypatch, capsys, dot, tmp_path):
    f = tmp_path / "cut.zkproof"
    f.write_bytes(dot.proof[: len(dot.proof) // 2])
    assert_one_line(*zkcc(monkeypatch, capsys, "inspect", f), f, "exceeds")


def test_read_bytes_is_unchanged_for_ordinary_files(tmp_path):
    f = tmp_path / "x.bin"
    for size in (0, 1, 4096, (1 << 20) + 3):
        data = os.urandom(size)
        f.write_bytes(data)
        assert read_bytes(f, "thing") == data


GROTH16_PUBLIC_ONLY = """#pragma field bn254
__global__ __groth16__ void sq(const field x[1], field y[1]) {
    y[0] = x[0] * x[0] + x[0];
}
__host__ void main(public field xs[2][1], public out field ys[2][1]) {
    sq<<<2>>>(xs, ys);
}
"""


def test_groth16_proof_of_a_public_only_launch_is_malleable(tmp_path):
    """Found by the proofs target's point negation: (A, B, C) -> (-A, -B, C) is accepted when
    the Groth16 launch commits to nothing, so no later Fiat-Shamir challenge depends on A and
    B. That is Groth16's documented malleability (docs/groth16.md, "Proofs are not unique"),
    not a soundness bug: the statement -- plan and public values -- is the same. With
    committed tensors the transcript binds A, B and C, and the same rewrite is rejected
    (test below). If this starts failing, proofs became unique: update the docs."""
    from zkcc.backends.groth16.curve import Q
    from zkcc.driver import plan_program
    from zkcc.field import get_field
    from zkcc.frontend import compile_source
    from zkcc.plan.plan import Plan, plan_digest
    from zkcc.runtime.inputs import load_inputs
    from zkcc.runtime.keyfiles import setup_plan
    from zkcc.runtime.prover import prove
    from zkcc.runtime.randomness import Randomness
    from zkcc.runtime.verifier import verify

    raw = plan_program(compile_source(GROTH16_PUBLIC_ONLY, str(tmp_path / "pub.zkcu"))).to_bytes()
    plan, digest = Plan.from_bytes(raw), plan_digest(raw)
    F = get_field(plan.field)
    inputs = tmp_path / "in.json"
    inputs.write_text('{"xs": [[3], [5]]}')
    pks, vks = setup_plan(plan)
    values = load_inputs(inputs, plan.program, F)
    proof = prove(plan, digest, values, keys=pks, randomness=Randomness(1)).to_bytes()
    negated = _mutate_proof(proof, lambda t: _negate_ab(t["steps"][0], Q))
    assert negated != proof
    assert {n: list(v) for n, v in verify(plan, digest, negated, "p", vks).items()} == {
        n: list(v) for n, v in verify(plan, digest, proof, "p", vks).items()
    }


def test_groth16_negation_is_rejected_with_commit_and_prove():
    """The same rewrite on a Groth16 launch linked to a committed tensor (mixed_bn254's
    hash_pairs reads the GKR launch's private output): rejected, because the PCS challenges
    are drawn after A, B, C are absorbed."""
    from zkcc.backends.groth16.curve import Q
    from zkcc.errors import ProofRejected

    ex = prove_example("mixed_bn254")
    negated = _mutate_proof(ex.proof, lambda t: _negate_ab(t["steps"][1], Q))
    with pytest.raises(ProofRejected):
        ex.verify(negated)


def _negate_ab(step: dict, q: int) -> None:
    """Negate the Groth16 proof points A (G1: x, y) and B (G2: x0, x1, y0, y1) in place."""
    for key, k in (("a", 2), ("b", 4)):
        words = [int.from_bytes(step[key][i : i + 32], "little") for i in range(0, 32 * k, 32)]
        words = words[: k // 2] + [(q - y) % q for y in words[k // 2 :]]
        step[key] = b"".join(w.to_bytes(32, "little") for w in words)


# -- findings outside the parsers: reproducers, to be fixed where the bug is --------------------

CAPPED = (
    "import resource, sys\n"
    "resource.setrlimit(resource.RLIMIT_AS, (4 << 30, resource.RLIM_INFINITY))\n"
    "from zkcc.cli import main\n"
    "sys.argv = ['zkcc', *sys.argv[1:]]\n"
    "main()\n"
)


def zkcc_capped(
    *args, timeout: float = 120, stdin: str | None = None
) -> subprocess.CompletedProcess:
    """`zkcc ARGS` in a process whose address space is capped at 4 GiB: an allocation far
    beyond what the files ask for ends as "error: out of memory" instead of swapping."""
    return subprocess.run(
        [sys.executable, "-c", CAPPED, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        input=stdin,
    )


def test_public_values_on_stdin_are_read_without_reserving_the_limit(tmp_path):
    """`verify --public -` reads stdin in bounded chunks (fileio.read_upto), as files are read:
    `stdin.read(limit)` would reserve 16 GiB and fail under an address-space cap."""
    import json as json_module

    plan, proof = tmp_path / "d.zkplan", tmp_path / "d.zkproof"
    src, inputs = EXAMPLES / "dot" / "dot.zkcu", EXAMPLES / "dot" / "inputs.json"
    for args in (("compile", src, "-o", plan), ("prove", "-q", plan, "-i", inputs, "-o", proof)):
        assert zkcc_capped(*args).returncode == 0
    public = json_module.loads(zkcc_capped("run", plan, "-i", inputs, "--json").stdout)["public"]
    r = zkcc_capped("verify", plan, proof, "--public", "-", stdin=json_module.dumps(public))
    assert r.returncode == 0 and "out of memory" not in r.stderr, r.stderr


def _example_with(tmp_path, name: str, old: str, new: str):
    text = (EXAMPLES / name / f"{name}.zkcu").read_text()
    assert old in text
    src = tmp_path / f"{name}.zkcu"
    src.write_text(text.replace(old, new))
    return src


def test_huge_host_tensor_is_not_materialised_by_the_front_end(tmp_path):
    src = _example_with(
        tmp_path, "pipeline", "const int ROWS = 256;", "const int ROWS = 4294967296;"
    )
    r = zkcc_capped("check", src)
    assert "Traceback" not in r.stderr and "out of memory" not in r.stderr, r.stderr[-2000:]
    assert r.returncode in (0, 2)


def test_inspect_of_a_huge_groth16_launch_is_bounded(tmp_path):
    from zkcc.driver import compile_path

    src = _example_with(
        tmp_path, "mixed_bn254", "const int BATCH = 4;", "const int BATCH = 2147483647;"
    )
    plan = tmp_path / "huge.zkplan"
    plan.write_bytes(compile_path(src).to_bytes())  # compiling it is fine
    r = zkcc_capped("inspect", plan, timeout=60)
    assert r.returncode == 0, r.stderr[-2000:]


def test_deeply_nested_unary_minus_is_a_diagnostic(monkeypatch, capsys, tmp_path):
    """Reported by the sources target as a RecursionError: an artefact of hypothesis, which
    lowers the recursion limit while a test runs; the CLI (limit 100000, which the front end
    sets) gives the diagnostic. The harness now restores that limit for every case."""
    src = _example_with(
        tmp_path, "polyeval", "field pw[N][D];", "field pw[N][" + "-" * 1573 + "D];"
    )
    assert_diagnostic(*zkcc(monkeypatch, capsys, "check", src), src, "dimension")


def test_plan_with_an_op_code_changed_to_assert_zero(monkeypatch, capsys, dot, tmp_path):
    from zkcc.ir.kernel import Op
    from zkcc.plan.irformat import OP_CODES
    from zkcc.plan.plan import MAGIC, VERSION

    _, tree = decode(dot.plan.to_bytes(), MAGIC, VERSION, "plan")
    ir = tree["kernels"][0]["ir"]
    ops = bytearray(ir["ops"])
    ops[ops.index(OP_CODES[Op.MUL])] = OP_CODES[Op.ASSERT_ZERO]
    ir["ops"] = bytes(ops)
    f = tmp_path / "mutated.zkplan"
    f.write_bytes(encode(MAGIC, VERSION, tree))
    assert_one_line(*zkcc(monkeypatch, capsys, "inspect", f), f)


def test_npz_header_with_an_unclosed_bracket(monkeypatch, capsys, dot_files, tmp_path):
    plan, _ = dot_files
    header = b"{'descr': '<i8', 'fortran_order': False, 'shape': (1024, 8"
    header += b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + bytes(64)
    w = io.BytesIO()
    np.save(w, np.arange(8, dtype=np.int64))
    f = tmp_path / "unclosed.npz"
    _npz(f, {"xs": npy, "w": w.getvalue()})
    code, err = zkcc(monkeypatch, capsys, "run", plan, "-i", f)
    assert_one_line(code, err, f, "not a valid .npz file")


@pytest.mark.parametrize("method", [zipfile.ZIP_LZMA, zipfile.ZIP_BZIP2, zipfile.ZIP_DEFLATED])
def test_npz_entry_with_a_corrupt_compressed_stream(monkeypatch, capsys, dot_files, method):
    """Found with an LZMA entry: its decompressor's error (bz2's is an OSError) escaped as an
    internal error, where deflate's was refused."""
    plan, _ = dot_files
    f = plan.parent / "corrupt.npz"
    with zipfile.ZipFile(f, "w", compression=method) as z:
        for name, a in (("xs", np.ones((1024, 8), np.int64)), ("w", np.arange(8))):
            w = io.BytesIO()
            np.save(w, a)
            z.writestr(name + ".npy", w.getvalue())
    data = bytearray(f.read_bytes())
    start = 30 + len("xs.npy") + int.from_bytes(data[28:30], "little")  # the first entry's data
    data[start + 4 : start + 24] = b"\xa5" * 20
    f.write_bytes(bytes(data))
    code, err = zkcc(monkeypatch, capsys, "run", plan, "-i", f)
    assert_one_line(code, err, f, "not a valid .npz file")


@pytest.mark.parametrize(
    "edit,shown",
    [
        (lambda xs: xs.__setitem__(0, 1.5), "got 1.5"),  # the fuzz case: a real for a list
        (lambda xs: xs.__setitem__(0, {"a": [2.5e3, 1]}), 'got {"a": [2500.0, 1]}'),
        (lambda xs: xs[0].__setitem__(0, [0.5] * 100_000), "got [0.5, 0.5"),
    ],
)
def test_inputs_json_value_of_the_wrong_kind_is_shown_briefly(
    monkeypatch, capsys, dot_files, edit, shown
):
    """A real number where a list belongs made the message's json.dumps raise (exit 3), and a
    long list where a number belongs was written out whole: shown now as written, cut short."""
    plan, _ = dot_files
    inputs = json.loads(DOT_INPUTS.read_text())
    edit(inputs["xs"])
    f = plan.parent / "wrong.json"
    f.write_text(json.dumps(inputs))
    code, err = zkcc(monkeypatch, capsys, "run", plan, "-i", f)
    line = assert_one_line(code, err, f, shown)
    assert len(line) < 300, line


def test_proving_key_claiming_2_28_wires_is_refused_before_allocating():
    """A proving key whose num_wires says 2^28 while its queries hold a few points: refused on
    the query length before the private-wire index (8 bytes per wire) is built."""
    import random
    import resource

    from zkcc.backends.groth16 import keys, setup
    from zkcc.backends.groth16.r1cs import random_r1cs

    r1cs, _ = random_r1cs(random.Random(1), 6, 1, 5)
    pk, _ = setup(r1cs)
    _, tree = decode(keys.pk_to_bytes(pk), keys.PK_MAGIC, keys.VERSION, "pk")
    tree["num_wires"] = 1 << 28
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(FormatError, match="a_query: 268435456 points expected"):
        keys.pk_from_bytes(encode(keys.PK_MAGIC, keys.VERSION, tree))
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100_000  # KiB
