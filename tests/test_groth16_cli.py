"""Groth16 through the command line: setup (fresh and from a .ptau), key files, --keys,
export to snarkjs (checked by snarkjs when installed), explain output and compile errors.
(compile/setup/prove/verify of every example, Groth16 ones included, is in test_cli.py.)"""

from __future__ import annotations

import json
import subprocess

import pytest
from helpers import EXAMPLES, PTAU13
from test_cli import zkcc
from test_groth16_snarkjs import SNARKJS, needs_snarkjs

PTAU = PTAU13
MIXED = EXAMPLES / "mixed_bn254"

PUBLIC_ONLY = """#pragma field bn254
__global__ __groth16__ void cube(const field x[2], field y[1]) {
    y[0] = x[0] * x[0] * x[0] + x[1];
}
__global__ void twice(const field y[1], field z[1]) {
    z[0] = y[0] + y[0];
}
__host__ void main(public field xs[6][2], public out field ys[6][1], public out field zs[6][1]) {
    cube<<<6>>>(xs, ys);
    twice<<<6>>>(ys, zs);
}
"""


def _ok(r: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert r.returncode == 0, r.stderr
    return r


def test_explain_shows_backends_and_r1cs_size(tmp_path):
    plan = tmp_path / "m.zkplan"
    out = _ok(zkcc("compile", str(MIXED / "mixed_bn254.zkcu"), "-o", str(plan), "--explain"))
    assert "kernel hash_pairs: backend groth16" in out.stdout
    assert "kernel whiten: backend gkr" in out.stdout
    # 8 boundary wires and one link mask wire committed; one more row for the masked value
    assert "groth16 R1CS 384 constraints, 397 wires, 8 public inputs, 9 committed" in out.stdout
    summary = json.loads(_ok(zkcc("inspect", str(plan), "--json")).stdout)
    assert summary["kernels"]["hash_pairs"]["backend"] == "groth16"
    assert summary["steps"][1]["r1cs"]["constraints"] == 384


@pytest.mark.skipif(not PTAU.exists(), reason=f"{PTAU} not found")
def test_setup_from_ptau_and_keys_option(tmp_path):
    plan, proof = tmp_path / "m.zkplan", tmp_path / "m.zkproof"
    _ok(zkcc("compile", str(MIXED / "mixed_bn254.zkcu"), "-o", str(plan)))
    r = zkcc("prove", str(plan), "-i", str(MIXED / "inputs.json"), "-o", str(proof))
    assert r.returncode == 2 and "zkcc setup" in r.stderr and "Traceback" not in r.stderr
    keys = tmp_path / "elsewhere"
    _ok(zkcc("setup", "-q", str(plan), "--ptau", str(PTAU), "-o", str(keys)))
    assert {p.name for p in tmp_path.iterdir()} == {"m.zkplan", "elsewhere.zkpk", "elsewhere.zkvk"}
    _ok(
        zkcc(
            "prove", "-q", str(plan), "-i", str(MIXED / "inputs.json"), "-o", str(proof),
            "--keys", str(keys.with_suffix(".zkpk")),
        )
    )  # fmt: skip
    r = zkcc("verify", str(plan), str(proof))
    assert r.returncode == 2 and "zkcc setup" in r.stderr  # keys are not next to the plan
    r = _ok(zkcc("verify", str(plan), str(proof), "--keys", str(keys.with_suffix(".zkvk"))))
    # a proving key file is not a verifying key file
    r = zkcc("verify", str(plan), str(proof), "--keys", str(keys.with_suffix(".zkpk")))
    assert (
        r.returncode == 2 and "this is a proving key" in r.stderr and "not a verifying" in r.stderr
    )


def test_keys_of_another_plan_are_refused(tmp_path):
    a, b = tmp_path / "a.zkplan", tmp_path / "b.zkplan"
    src = tmp_path / "pub.zkcu"
    src.write_text(PUBLIC_ONLY)
    _ok(zkcc("compile", str(MIXED / "mixed_bn254.zkcu"), "-o", str(a)))
    _ok(zkcc("compile", str(src), "-o", str(b)))
    _ok(zkcc("setup", "-q", str(a)))
    _ok(zkcc("setup", "-q", str(b)))
    proof = tmp_path / "a.zkproof"
    _ok(zkcc("prove", "-q", str(a), "-i", str(MIXED / "inputs.json"), "-o", str(proof)))
    _ok(zkcc("verify", str(a), str(proof)))
    r = zkcc("verify", str(a), str(proof), "--keys", str(tmp_path / "b.zkvk"))
    assert r.returncode == 2 and "another plan" in r.stderr and "Traceback" not in r.stderr


def test_groth16_on_m31_is_a_compile_error(tmp_path):
    src = tmp_path / "bad.zkcu"
    src.write_text(
        "#pragma field m31\n"
        "__global__ __groth16__ void k(const field x[1], field y[1]) {\n"
        "    y[0] = x[0] * x[0];\n"
        "}\n"
        "__host__ void main(public field xs[4][1], public out field ys[4][1]) {\n"
        "    k<<<4>>>(xs, ys);\n"
        "}\n"
    )
    r = zkcc("compile", str(src), "-o", str(tmp_path / "bad.zkplan"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{src}:2:" in r.stderr and "bn254" in r.stderr and "'k'" in r.stderr
    assert not (tmp_path / "bad.zkplan").exists()
    r = zkcc("compile", str(EXAMPLES / "dot" / "dot.zkcu"), "--backend", "groth16", "-o", "-")
    assert r.returncode == 2 and "dot.zkcu:" in r.stderr and "--backend groth16" in r.stderr


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    src, plan, proof = tmp / "pub.zkcu", tmp / "p.zkplan", tmp / "p.zkproof"
    src.write_text(PUBLIC_ONLY)
    inputs = tmp / "in.json"
    inputs.write_text(json.dumps({"xs": [[i, i + 1] for i in range(6)]}))
    _ok(zkcc("compile", str(src), "-o", str(plan)))
    _ok(zkcc("setup", "-q", str(plan)))
    _ok(zkcc("prove", "-q", str(plan), "-i", str(inputs), "-o", str(proof)))
    out = tmp / "snark"
    _ok(zkcc("export", "snarkjs", str(plan), str(proof), "-o", str(out)))
    return plan, proof, out


def test_export_snarkjs_writes_the_launch_statement(exported):
    plan, proof, out = exported
    public = json.loads((out / "public.json").read_text())
    assert public[:3] == ["0", "1", "1"]  # instance 0: x = (0, 1), y = 0^3 + 1
    assert len(public) == 18
    vk = json.loads((out / "verification_key.json").read_text())
    assert vk["protocol"] == "groth16" and vk["nPublic"] == 18
    r = zkcc("export", "snarkjs", str(plan), str(proof), "-o", str(out), "--launch", "1")
    assert r.returncode == 2 and "not a Groth16 launch" in r.stderr


@needs_snarkjs
def test_snarkjs_accepts_the_export_and_rejects_a_changed_public_value(exported, tmp_path):
    _, _, out = exported
    vk, pub, prf = (str(out / n) for n in ("verification_key.json", "public.json", "proof.json"))
    assert subprocess.run([*SNARKJS, "groth16", "verify", vk, pub, prf]).returncode == 0
    public = json.loads((out / "public.json").read_text())
    public[2] = "2"
    bad = tmp_path / "public.json"
    bad.write_text(json.dumps(public))
    r = subprocess.run([*SNARKJS, "groth16", "verify", vk, str(bad), prf], capture_output=True)
    assert r.returncode != 0 or b"OK" not in r.stdout


def test_export_refuses_launches_with_commitments(tmp_path):
    plan = tmp_path / "m.zkplan"
    _ok(zkcc("compile", str(MIXED / "mixed_bn254.zkcu"), "-o", str(plan)))
    r = zkcc("export", "snarkjs", str(plan), str(tmp_path / "none.zkproof"), "-o", str(tmp_path))
    assert r.returncode == 2 and "commits to private tensors (whitened)" in r.stderr
