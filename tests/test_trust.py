"""Trust boundaries (issue 11): reproducible plans, circuits the verifier builds itself, a plan
pinned to its trusted source or digest, public values pinned to expected ones, and JSON error
objects for every command run with --json."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
from helpers import EXAMPLES, ROOT, SEEDED

from zkcc.driver import compile_path
from zkcc.encoding import decode, encode
from zkcc.errors import FormatError
from zkcc.field import get_field
from zkcc.plan.plan import MAGIC, VERSION, Plan, plan_digest
from zkcc.runtime.prover import prove

ZKCC = [sys.executable, "-c", "from zkcc.cli import main; main()"]

KERNEL = """#pragma field m31
#include "lib/offset.zkcu"
__global__ void affine(const field x[2], field y[1]) {
    y[0] = x[0] * x[1] + OFFSET;
}
__host__ void main(public field xs[4][2], public out field ys[4][1]) {
    affine<<<4>>>(xs, ys);
}
"""
XS = [[1, 2], [3, 4], [5, 6], [7, 8]]


def zkcc(*args, cwd=ROOT, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*ZKCC, *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        timeout=120,
    )


def write_program(folder, offset: int = 5):
    (folder / "lib").mkdir(parents=True, exist_ok=True)
    (folder / "lib" / "offset.zkcu").write_text(f"const int OFFSET = {offset};\n")
    src = folder / "affine.zkcu"
    src.write_text(KERNEL)
    (folder / "in.json").write_text(json.dumps({"xs": XS}))
    return src


@pytest.fixture(scope="module")
def proved(tmp_path_factory):
    """An honest plan, its proof and its source, made through the CLI."""
    d = tmp_path_factory.mktemp("trust")
    src = write_program(d)
    plan, proof = d / "affine.zkplan", d / "affine.zkproof"
    assert zkcc("compile", src, "-o", plan).returncode == 0
    r = zkcc("prove", "-q", plan, "-i", d / "in.json", "-o", proof, "--seed", "1")
    assert r.returncode == 0, r.stderr
    return d, src, plan, proof


def expected_public(offset: int = 5) -> dict:
    return {"xs": XS, "ys": [[a * b + offset] for a, b in XS]}


# --- reproducible plans -----------------------------------------------------------------------


def test_plan_bytes_do_not_depend_on_the_directory(tmp_path):
    a = write_program(tmp_path / "one")
    b = write_program(tmp_path / "elsewhere" / "two")
    plans = [
        compile_path(a).to_bytes(),
        compile_path(b).to_bytes(),
    ]
    r = zkcc("compile", "affine.zkcu", "-o", tmp_path / "c.zkplan", cwd=a.parent)
    assert r.returncode == 0, r.stderr
    plans.append((tmp_path / "c.zkplan").read_bytes())
    r = zkcc("compile", os.path.relpath(b, ROOT), "-o", tmp_path / "d.zkplan")
    assert r.returncode == 0, r.stderr
    plans.append((tmp_path / "d.zkplan").read_bytes())
    assert len(set(plans)) == 1
    # locations in the plan name files relative to the main file
    plan = Plan.from_bytes(plans[0])
    files = {ins.loc.file for k in plan.kernels.values() for ins in k.ir.instrs if ins.loc}
    assert files == {"affine.zkcu"}
    assert plan.source_name == "affine.zkcu"
    # a different program gives a different plan
    c = write_program(tmp_path / "three", offset=6)
    assert compile_path(c).to_bytes() != plans[0]


def test_every_example_compiles_to_the_same_plan_from_a_copy(tmp_path):
    for name in ("dot", "pipeline"):
        copy = tmp_path / name
        shutil.copytree(EXAMPLES / name, copy)
        src = f"{name}.zkcu"
        assert compile_path(copy / src).to_bytes() == compile_path(EXAMPLES / name / src).to_bytes()


# --- the verifier builds the circuits ---------------------------------------------------------


def test_plan_holds_no_circuit_and_refuses_one(tmp_path):
    data = compile_path(write_program(tmp_path)).to_bytes()
    _, tree = decode(data, MAGIC, VERSION, "plan")
    # the levels are a certificate the loader checks (tests/test_levels_certificate.py)
    assert [sorted(k) for k in tree["kernels"]] == [["backend", "ir", "levels"]]
    tree["kernels"][0]["circuit"] = {"layers": []}
    with pytest.raises(FormatError, match="circuit"):
        Plan.from_bytes(encode(MAGIC, VERSION, tree))


def tampered_plan(tmp_path, proved) -> tuple:
    """The honest plan with its OFFSET constant changed in the IR, and a valid proof for it:
    what a dishonest prover could hand over together."""
    d, _, plan_path, _ = proved
    _, tree = decode(plan_path.read_bytes(), MAGIC, VERSION, "plan")
    consts = tree["kernels"][0]["ir"]["consts"]
    assert 5 in consts
    consts[consts.index(5)] = 6
    data = encode(MAGIC, VERSION, tree)
    plan = Plan.from_bytes(data)
    F = get_field(plan.field)
    inputs = {"xs": F.array([v for row in XS for v in row])}
    proof = prove(plan, plan_digest(data), inputs, randomness=SEEDED).to_bytes()
    bad_plan, bad_proof = tmp_path / "bad.zkplan", tmp_path / "bad.zkproof"
    bad_plan.write_bytes(data)
    bad_proof.write_bytes(proof)
    return bad_plan, bad_proof


def test_source_pins_the_plan(tmp_path, proved):
    _, src, plan, proof = proved
    r = zkcc("verify", plan, proof, "--source", src)
    assert r.returncode == 0, r.stderr
    bad_plan, bad_proof = tampered_plan(tmp_path, proved)
    # a valid proof of another program: accepted when nothing is pinned...
    r = zkcc("verify", bad_plan, bad_proof)
    assert r.returncode == 0 and "nothing was pinned" in r.stderr
    # ...refused against the trusted source, the trusted digest, or the expected outputs
    r = zkcc("verify", bad_plan, bad_proof, "--source", src)
    assert r.returncode == 1 and f"not the compilation of {src}" in r.stderr, r.stderr
    digest = plan_digest(plan.read_bytes()).hex()
    r = zkcc("verify", bad_plan, bad_proof, "--digest", digest)
    assert r.returncode == 1 and "not the trusted" in r.stderr
    assert zkcc("verify", plan, proof, "--digest", digest.upper()).returncode == 0
    pub = tmp_path / "public.json"
    pub.write_text(json.dumps(expected_public()))
    r = zkcc("verify", bad_plan, bad_proof, "--public", pub)
    assert r.returncode == 1 and "public value ys[0][0] is 8, expected 7" in r.stderr, r.stderr


def test_source_recompiles_with_the_plans_options(tmp_path, proved):
    d, src, _, _ = proved
    plan, proof = tmp_path / "m.zkplan", tmp_path / "m.zkproof"
    assert zkcc("compile", src, "-o", plan, "--pcs", "merkle", "--no-zk").returncode == 0
    assert zkcc("prove", "-q", plan, "-i", d / "in.json", "-o", proof).returncode == 0
    r = zkcc("verify", plan, proof, "--source", src, "--json")
    assert r.returncode == 0, r.stdout
    assert json.loads(r.stdout)["pinned"] == ["source"]


def test_bad_digest_and_bad_source_are_errors(proved):
    _, _, plan, proof = proved
    r = zkcc("verify", plan, proof, "--digest", "12ab")
    assert r.returncode == 2 and "64 hex digits" in r.stderr and "Traceback" not in r.stderr
    r = zkcc("verify", plan, proof, "--source", ROOT / "nope.zkcu")
    assert r.returncode == 2 and "nope.zkcu" in r.stderr and "Traceback" not in r.stderr


# --- public values ----------------------------------------------------------------------------


def test_public_values_are_pinned_and_digested(tmp_path, proved):
    d, src, plan, proof = proved
    pub = tmp_path / "public.json"
    ran = zkcc("run", src, "-i", d / "in.json", "--json")
    assert json.loads(ran.stdout)["public"] == expected_public()  # what --public takes
    pub.write_text(json.dumps(expected_public()))
    r = zkcc("verify", plan, proof, "--public", pub, "--json")
    assert r.returncode == 0, r.stdout
    out = json.loads(r.stdout)
    assert out["pinned"] == ["public"] and out["public"] == expected_public()
    digest = out["public_digest"]
    text = zkcc("verify", plan, proof, "--public", "-", stdin=pub.read_text())
    assert text.returncode == 0 and f"public values digest: {digest}" in text.stdout
    # the digest depends on the values
    wrong = expected_public()
    wrong["ys"][2][0] += 1
    pub.write_text(json.dumps(wrong))
    r = zkcc("verify", plan, proof, "--public", pub)
    assert r.returncode == 1
    assert f"public value ys[2][0] is {5 * 6 + 5}, expected {5 * 6 + 6}" in r.stderr
    wrong = expected_public()
    wrong["xs"][3][1] = -1
    pub.write_text(json.dumps(wrong))
    r = zkcc("verify", plan, proof, "--public", pub)
    assert r.returncode == 1 and "public value xs[3][1] is 8, expected " in r.stderr


@pytest.mark.parametrize(
    "text, words",
    [
        ('{"xs": [[1, 2]]}', "missing public values ['ys']"),
        ('{"xs": 1, "ys": 2, "xs": 3}', "'xs' is given twice"),
        ('{"xs": [[1,2],[3,4],[5,6],[7,8]], "ys": [[7],[19],[35]]}', "ys: expected a list of 4"),
    ],
)
def test_malformed_public_files_are_errors(tmp_path, proved, text, words):
    _, _, plan, proof = proved
    pub = tmp_path / "public.json"
    pub.write_text(text)
    r = zkcc("verify", plan, proof, "--public", pub)
    assert r.returncode == 2 and words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_duplicate_input_names_are_refused(tmp_path, proved):
    _, _, plan, _ = proved
    bad = tmp_path / "in.json"
    bad.write_text('{"xs": [[1,2],[3,4],[5,6],[7,8]], "xs": [[0,0],[0,0],[0,0],[0,0]]}')
    r = zkcc("prove", plan, "-i", bad, "-o", tmp_path / "x.zkproof")
    assert r.returncode == 2 and "'xs' is given twice" in r.stderr
    assert not (tmp_path / "x.zkproof").exists()


# --- JSON error objects -----------------------------------------------------------------------


def json_error(r: subprocess.CompletedProcess, code: int, status: str = "error") -> dict:
    assert r.returncode == code, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == status and out["exit_code"] == code and out["error"]
    return out


def test_every_command_gives_a_json_error_object(tmp_path, proved):
    d, src, plan, proof = proved
    bad_src = tmp_path / "bad.zkcu"
    bad_src.write_text(KERNEL.replace("OFFSET;", "missing_name;").replace('#include "lib/', "//"))
    out = json_error(zkcc("compile", bad_src, "--json", "-o", tmp_path / "b.zkplan"), 2)
    assert out["diagnostics"][0]["message"].startswith("undeclared") or any(
        "missing_name" in x["message"] for x in out["diagnostics"]
    )
    assert not (tmp_path / "b.zkplan").exists()
    missing = tmp_path / "none.zkplan"
    for args in (
        ("verify", missing, proof, "--json"),
        ("inspect", missing, "--json"),
        ("prove", missing, "-i", d / "in.json", "--json"),
        ("run", plan, "-i", missing, "--json"),
    ):
        out = json_error(zkcc(*args), 2)
        assert str(missing) in out["error"]
    out = json_error(zkcc("verify", plan, proof, "--digest", "zz", "--json"), 2)
    assert "64 hex digits" in out["error"]
    out = json_error(zkcc("verify", plan, proof, "--bogus", "--json"), 2)
    assert "--bogus" in out["error"]


def test_compiler_applies_the_loaders_limits(tmp_path):
    src = tmp_path / "big.zkcu"
    n = 1 << 40
    src.write_text(
        "#pragma field m31\n"
        "__global__ void k(const field x[1], field y[1]) {\n"
        "    field a = x[0];\n"
        "    for (int i = 0; i < 20; i++) { a = a * a + 1; }\n"
        "    y[0] = a;\n"
        "}\n"
        f"__host__ void main(private field xs[{n}][1], public out field ys[{n}][1]) {{\n"
        f"    k<<<{n}>>>(xs, ys);\n"
        "}\n"
    )
    r = zkcc("compile", src, "-o", tmp_path / "big.zkplan")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "big.zkcu:8:5" in r.stderr and "over zkcc's limit of 2^44 per launch" in r.stderr
    assert not (tmp_path / "big.zkplan").exists()
