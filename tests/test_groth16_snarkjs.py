"""Interop with snarkjs 0.7.6 both ways (skipped with a reason when node/snarkjs are absent):

1. our keys and proof, exported as snarkjs JSON, pass `snarkjs groth16 verify`;
2. our .r1cs and .wtns let snarkjs set up (from a shared .ptau) and prove, and our verifier
   accepts snarkjs's verification_key.json, proof.json and public.json.
Install: npm install --prefix .snarkjs snarkjs@0.7.6
"""

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import PTAU13

from zkcc.backends.groth16 import iden3, snarkjs
from zkcc.backends.groth16.curve import R
from zkcc.backends.groth16.prover import prove
from zkcc.backends.groth16.r1cs import random_r1cs
from zkcc.backends.groth16.setup import setup
from zkcc.backends.groth16.verifier import verify

ROOT = Path(__file__).resolve().parents[1]
PTAU = PTAU13


def snarkjs_cmd():
    if shutil.which("node") is None:
        return None
    for p in (ROOT / ".snarkjs/node_modules/.bin/snarkjs", ROOT / "node_modules/.bin/snarkjs"):
        if p.exists():
            return [str(p)]
    return None


SNARKJS = snarkjs_cmd()
needs_snarkjs = pytest.mark.skipif(
    SNARKJS is None,
    reason="node or snarkjs not found (npm install --prefix .snarkjs snarkjs@0.7.6)",
)


def run(*args, check=True):
    return subprocess.run(
        [*SNARKJS, *args], capture_output=True, text=True, check=check, timeout=300
    )


def test_iden3_round_trip_and_bounds():
    r1cs, w = random_r1cs(random.Random(4), 9, 2, 8)
    back = iden3.read_r1cs(iden3.write_r1cs(r1cs))
    assert (back.num_wires, back.num_public, back.num_constraints) == (13, 2, 9)
    assert back.is_satisfied(w) and back.A.cols.tolist() == r1cs.A.cols.tolist()
    assert iden3.read_wtns(iden3.write_wtns(w)).tolist() == [int(x) for x in w]
    from zkcc.errors import FormatError

    data = iden3.write_r1cs(r1cs)
    for bad in (data[:-1], data[:20], b"xxxx" + data[4:], data + b"\0"):
        with pytest.raises(FormatError):
            iden3.read_r1cs(bad)
    with pytest.raises(FormatError):
        iden3.read_wtns(iden3.write_wtns(w)[:-3])
    with pytest.raises(FormatError):
        snarkjs.public_from_json(json.dumps([str(R)]))


@needs_snarkjs
def test_snarkjs_verifies_our_proof(tmp_path):
    r1cs, w = random_r1cs(random.Random(8), 10, 2, 9)
    pk, vk = setup(r1cs)
    proof = prove(pk, r1cs, w)
    pub = [int(x) for x in w[1:3]]
    (tmp_path / "vk.json").write_text(json.dumps(snarkjs.vk_json(vk)))
    (tmp_path / "proof.json").write_text(json.dumps(snarkjs.proof_json(proof)))
    (tmp_path / "public.json").write_text(json.dumps(snarkjs.public_json(pub)))
    files = [str(tmp_path / f) for f in ("vk.json", "public.json", "proof.json")]
    res = run("groth16", "verify", *files)
    assert "OK" in res.stdout, res.stdout + res.stderr
    (tmp_path / "public.json").write_text(json.dumps(snarkjs.public_json([pub[0] + 1, pub[1]])))
    res = run("groth16", "verify", *files, check=False)
    assert res.returncode != 0 and "OK" not in res.stdout.replace("OK!", "")


@needs_snarkjs
@pytest.mark.skipif(not PTAU.exists(), reason=f"{PTAU} not found")
def test_we_verify_snarkjs_proof_of_our_circuit(tmp_path):
    r1cs, w = random_r1cs(random.Random(9), 12, 3, 10)
    (tmp_path / "c.r1cs").write_bytes(iden3.write_r1cs(r1cs))
    (tmp_path / "c.wtns").write_bytes(iden3.write_wtns(w))
    t = lambda f: str(tmp_path / f)  # noqa: E731
    run("groth16", "setup", t("c.r1cs"), str(PTAU), t("c.zkey"))
    run("zkey", "export", "verificationkey", t("c.zkey"), t("vk.json"))
    run("groth16", "prove", t("c.zkey"), t("c.wtns"), t("proof.json"), t("public.json"))
    vk = snarkjs.vk_from_json((tmp_path / "vk.json").read_text())
    proof = snarkjs.proof_from_json((tmp_path / "proof.json").read_text())
    pub = snarkjs.public_from_json((tmp_path / "public.json").read_text())
    assert pub == [int(x) for x in w[1:4]]
    assert verify(vk, pub, proof)
    assert not verify(vk, [(pub[0] + 1) % R, *pub[1:]], proof)
