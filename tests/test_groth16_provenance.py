"""Groth16 key provenance: `zkcc setup verify` / `zkcc setup contribute` (phase2.py), and proof
re-randomisation (proof bytes are not unique).

Keys from a .ptau are the ptau's initial key (delta = 1) plus contributions; `setup verify`
recomputes the initial key from the ptau and the plan's R1CS and checks the chain. Every way of
getting a key that is not so derived must be refused: another ptau, fresh toxic waste, a changed
IC point or alpha, delta changed without a valid contribution, a wrong proof of knowledge, a
changed L point, sigma reset on a commit-and-prove key, a key for another plan.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from helpers import EXAMPLES, PTAU13, SHARED
from test_cli import zkcc

from zkcc.backends.groth16 import keys as key_format
from zkcc.backends.groth16 import phase2, prove, setup, verify
from zkcc.backends.groth16.curve import G1, G1_GEN, G2_GEN, R, g1_add, g1_mul, g2_add, g2_mul
from zkcc.backends.groth16.phase2 import Contribution, Pok
from zkcc.backends.groth16.ptau import scale_batch
from zkcc.backends.groth16.r1cs import random_r1cs
from zkcc.driver import compile_path
from zkcc.errors import FormatError, ProofRejected
from zkcc.field import get_field
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.inputs import load_inputs
from zkcc.runtime.keyfiles import (
    PK_MAGIC,
    VK_MAGIC,
    KeyFile,
    contribute_plan,
    keys_to_bytes,
    launch_context,
    read_keys,
    setup_plan,
    verify_plan_keys,
)
from zkcc.runtime.prover import prove as prove_program
from zkcc.runtime.verifier import verify as verify_program

PTAU = PTAU13
PTAU_OTHER = SHARED / "ptau" / "pot15_test.ptau"  # another (single-contributor) ceremony
pytestmark = pytest.mark.skipif(not PTAU.exists(), reason=f"{PTAU} not found")

CUBE = """#pragma field bn254
__global__ __groth16__ void cube(const field x[2], field y[1]) {
    y[0] = x[0] * x[0] * x[0] + x[1];
}
__host__ void main(public field xs[4][2], public out field ys[4][1]) {
    cube<<<4>>>(xs, ys);
}
"""

SQUARE = CUBE.replace("x[0] * x[0] * x[0]", "x[0] * x[0]")  # another plan, same shapes


@dataclasses.dataclass
class Keyed:
    plan: Plan
    digest: bytes
    pks: dict
    vks: dict

    @property
    def step(self) -> int:
        return next(iter(self.vks))

    def check(self, keys: dict, magic: bytes = VK_MAGIC, ptau=PTAU):
        return verify_plan_keys(self.plan, self.digest, KeyFile(magic, self.digest, keys), ptau)


def _compile(path) -> tuple[Plan, bytes]:
    data = compile_path(path).to_bytes()
    return Plan.from_bytes(data), plan_digest(data)


@pytest.fixture(scope="module")
def cube_src(tmp_path_factory):
    d = tmp_path_factory.mktemp("prov")
    (d / "cube.zkcu").write_text(CUBE)
    (d / "square.zkcu").write_text(SQUARE)
    return d


@pytest.fixture(scope="module")
def cube(cube_src) -> Keyed:
    plan, digest = _compile(cube_src / "cube.zkcu")
    pks, vks = setup_plan(plan, PTAU, digest=digest)
    return Keyed(plan, digest, pks, vks)


@pytest.fixture(scope="module")
def mixed() -> Keyed:
    """mixed_bn254: a Groth16 launch with committed wires (sigma and the blinding basis)."""
    plan, digest = _compile(EXAMPLES / "mixed_bn254" / "mixed_bn254.zkcu")
    pks, vks = setup_plan(plan, PTAU, digest=digest)
    return Keyed(plan, digest, pks, vks)


def _rejected(keyed: Keyed, keys: dict, match: str, magic: bytes = VK_MAGIC, ptau=PTAU):
    with pytest.raises(ProofRejected, match=match):
        keyed.check(keys, magic, ptau)


# -- keys that are derived from the ptau --------------------------------------------------------
def test_ptau_keys_verify_from_vk_and_from_pk(cube):
    (res,) = cube.check(cube.vks)
    assert res.contributions == 1 and "IC[0]" in res.checks
    assert any("proof of knowledge" in c for c in res.checks)
    (res_pk,) = cube.check(cube.pks, PK_MAGIC)
    assert {"A query", "L query = K / delta", "H query = (tau^(n+i) - tau^i) / delta"} <= set(
        res_pk.checks
    )
    assert res_pk.chain_hash == res.chain_hash
    # the file round trip keeps the chain in both files
    vk = key_format.vk_from_tree(_tree(key_format.vk_to_tree(cube.vks[cube.step])))
    assert vk.contributions == cube.vks[cube.step].contributions


def _tree(tree):
    from zkcc.encoding import Schema

    return Schema(tree, "k")


def test_contributions_grow_the_chain_and_keep_proving(mixed):
    pks, vks, hashes = contribute_plan(mixed.pks, mixed.digest, b"some entropy")
    pks, vks, hashes2 = contribute_plan(pks, mixed.digest)
    step = mixed.step
    assert len(pks[step].contributions) == len(vks[step].contributions) == 3
    assert hashes2[step] != hashes[step]
    (res,) = mixed.check(vks)
    assert res.contributions == 3 and res.chain_hash == hashes2[step]
    (res_pk,) = mixed.check(pks, PK_MAGIC)
    assert "K sigma query and k_sigma_blind = sigma (K query, delta G1)" in res_pk.checks
    # the contributed keys (delta, sigma, nu = delta all moved) still prove and verify
    F = get_field(mixed.plan.field)
    inputs = load_inputs(EXAMPLES / "mixed_bn254" / "inputs.json", mixed.plan.program, F)
    proof = prove_program(mixed.plan, mixed.digest, inputs, keys=pks).to_bytes()
    verify_program(mixed.plan, mixed.digest, proof, keys=vks)
    with pytest.raises(ProofRejected):  # and the old keys are other keys
        verify_program(mixed.plan, mixed.digest, proof, keys=mixed.vks)


# -- keys that are not --------------------------------------------------------------------------
@pytest.mark.skipif(not PTAU_OTHER.exists(), reason=f"{PTAU_OTHER} not found")
def test_keys_from_another_ptau_are_refused(cube):
    pks, vks = setup_plan(cube.plan, PTAU_OTHER, digest=cube.digest)
    cube.check(vks, ptau=PTAU_OTHER)
    _rejected(cube, vks, r"launch \d+ cube<<<4>>>: alpha_1: is not the ptau's alpha")


def test_keys_from_fresh_toxic_waste_are_refused(cube):
    _, vks = setup_plan(cube.plan)
    _rejected(cube, vks, "provenance: the key was made from fresh toxic waste")
    # a fresh key dressed up with a ptau key's chain is still not derived from the ptau
    vks = {
        i: dataclasses.replace(k, contributions=cube.vks[i].contributions) for i, k in vks.items()
    }
    _rejected(cube, vks, "alpha_1")


def test_changed_ic_point_and_alpha_are_refused(cube):
    vk = cube.vks[cube.step]
    ic = list(vk.ic)
    ic[3] = g1_add(ic[3], G1_GEN)
    _rejected(cube, {cube.step: dataclasses.replace(vk, ic=ic)}, r"IC\[3\]")
    alpha = g1_add(vk.alpha_g1, G1_GEN)
    _rejected(cube, {cube.step: dataclasses.replace(vk, alpha_g1=alpha)}, "alpha_1")
    pk = cube.pks[cube.step]
    _rejected(cube, {cube.step: dataclasses.replace(pk, alpha_g1=alpha)}, "alpha_1", magic=PK_MAGIC)


def test_delta_changed_without_a_contribution_is_refused(cube):
    """Whoever sets delta to a value they know can forge: x delta with no record, a record
    whose proof of knowledge is for another transcript, and a record that honestly proves
    knowledge of y but claims delta = y G1 (dropping the earlier contributions)."""
    step, vk, pk = cube.step, cube.vks[cube.step], cube.pks[cube.step]
    x = 5
    _rejected(
        cube,
        {step: dataclasses.replace(vk, delta_g2=g2_mul(vk.delta_g2, x))},
        "delta_2 = the last contribution's delta",
    )
    inv = pow(x, -1, R)
    scaled = {
        "delta_g1": g1_mul(pk.delta_g1, x),
        "delta_g2": g2_mul(pk.delta_g2, x),
        "l_query": scale_batch(G1, pk.l_query, [inv] * pk.l_query[1].size),
        "h_query": scale_batch(G1, pk.h_query, [inv] * pk.h_query[1].size),
    }
    _rejected(cube, {step: dataclasses.replace(pk, **scaled)}, "delta_1", magic=PK_MAGIC)
    # a real contribution, but its proof of knowledge was made for another context
    replayed = phase2.contribute(pk, b"another ceremony")
    _rejected(
        cube,
        {step: replayed.verifying_key()},
        r"contribution 2 \(delta\): proof of knowledge of its factor",
    )
    # reset: delta = y G1 for a known y, with a valid proof of knowledge of y
    y, state = 12345, phase2.chain_state(vk, launch_context(cube.digest, step))
    s_g1 = g1_mul(G1_GEN, 777)
    sy_g1 = g1_mul(s_g1, y)
    r = phase2.challenge(state, b"delta", vk.contributions[-1].delta_g1, s_g1, sy_g1)
    rec = Contribution(g1_mul(G1_GEN, y), Pok(s_g1, sy_g1, g2_mul(r, y)))
    forged = dataclasses.replace(
        vk, delta_g2=g2_mul(G2_GEN, y), contributions=[*vk.contributions, rec]
    )
    _rejected(cube, {step: forged}, r"contribution 2 \(delta\): delta_2 = factor \* delta_1")
    # no contribution at all: the initial key's delta = 1
    bare = dataclasses.replace(vk, delta_g2=G2_GEN, contributions=[])
    _rejected(cube, {step: bare}, "contributions: none")


def test_changed_l_point_in_the_proving_key_is_refused(cube):
    pk = cube.pks[cube.step]
    p = G1.from_batch(pk.l_query)
    p[1] = g1_add(p[1], G1_GEN)
    bad = dataclasses.replace(pk, l_query=G1.to_batch(p))
    _rejected(cube, {cube.step: bad}, "L query = K / delta", magic=PK_MAGIC)
    h = G1.from_batch(pk.h_query)
    h[-1] = g1_mul(h[-1], 2)
    bad = dataclasses.replace(pk, h_query=G1.to_batch(h))
    _rejected(cube, {cube.step: bad}, "H query", magic=PK_MAGIC)


def test_sigma_reset_on_a_commit_and_prove_key_is_refused(mixed):
    """sigma = 1 (k_sigma_query = k_query) would let anyone forge D; the chain catches it."""
    step, pk = mixed.step, mixed.pks[mixed.step]
    bad = dataclasses.replace(
        pk,
        k_sigma_query=pk.k_query,
        k_sigma_blind=pk.k_blind,
        commit_g2_sigma_neg=g2_mul(G2_GEN, R - 1),
    )
    _rejected(mixed, {step: bad.verifying_key()}, "commit_g2_sigma_neg")
    k = G1.from_batch(pk.k_sigma_query)
    k[0] = g1_add(k[0], G1_GEN)
    bad = dataclasses.replace(pk, k_sigma_query=G1.to_batch(k))
    _rejected(mixed, {step: bad}, "K sigma query", magic=PK_MAGIC)


def test_keys_for_another_plan_are_refused(cube, cube_src):
    plan, digest = _compile(cube_src / "square.zkcu")
    _, vks = setup_plan(plan, PTAU, digest=digest)
    with pytest.raises(ProofRejected, match="another plan"):
        verify_plan_keys(cube.plan, cube.digest, KeyFile(VK_MAGIC, digest, vks), PTAU)
    # relabelled as this plan's keys: the circuit differs (IC), and the chain's context too
    _rejected(cube, vks, r"IC\[")


# -- through the command line ---------------------------------------------------------------------
def test_cli_setup_verify_and_contribute_exit_codes(cube_src, tmp_path):
    plan = tmp_path / "cube.zkplan"
    assert zkcc("compile", str(cube_src / "cube.zkcu"), "-o", str(plan)).returncode == 0
    r = zkcc("setup", "-q", str(plan), "--ptau", str(PTAU))  # the old form, unchanged
    assert r.returncode == 0, r.stderr
    r = zkcc("setup", "verify", "-q", str(plan), "--ptau", str(PTAU))
    assert r.returncode == 0, r.stderr
    assert "launch 0 cube<<<4>>>: ok (verifying key, 1 contribution" in r.stdout
    new = tmp_path / "new"
    r = zkcc("setup", "contribute", str(plan), "-o", str(new), "--entropy", "dice", "--json")
    assert r.returncode == 0, r.stderr
    (launch,) = json.loads(r.stdout)["launches"]
    assert launch["contributions"] == 2
    r = zkcc("setup", "verify", "-q", str(plan), "--ptau", str(PTAU), "--keys", f"{new}.zkpk")
    assert r.returncode == 0 and "proving key, 2 contributions" in r.stdout, r.stderr
    r = zkcc(
        "setup", "verify", "-q", str(plan), "--ptau", str(PTAU), "--keys", f"{new}.zkvk", "--json"
    )  # fmt: skip
    out = json.loads(r.stdout)
    assert r.returncode == 0 and out["status"] == "accepted"
    assert out["launches"][0]["chain_hash"] == launch["hash"]
    # not derived: fresh toxic waste (exit 1, the launch and the check named)
    fresh = tmp_path / "fresh"
    assert zkcc("setup", "-q", str(plan), "-o", str(fresh)).returncode == 0
    r = zkcc("setup", "verify", "-q", str(plan), "--ptau", str(PTAU), "--keys", f"{fresh}.zkvk")
    assert r.returncode == 1 and "launch 0 cube<<<4>>>: provenance" in r.stderr
    r = zkcc("setup", "contribute", str(plan), "--keys", f"{fresh}.zkpk", "-o", str(fresh))
    assert r.returncode == 2 and "fresh toxic waste" in r.stderr
    # not derived: a changed IC point written to a file (exit 1, with --json)
    kf = read_keys((tmp_path / "cube.zkvk").read_bytes(), "cube.zkvk")
    vk = kf.keys[0]
    vk = dataclasses.replace(vk, ic=[g1_add(vk.ic[0], G1_GEN), *vk.ic[1:]])
    bad = tmp_path / "bad.zkvk"
    bad.write_bytes(keys_to_bytes(VK_MAGIC, kf.digest, {0: vk}))
    r = zkcc("setup", "verify", "-q", str(plan), "--ptau", str(PTAU), "--keys", str(bad), "--json")
    assert r.returncode == 1 and "IC[0]" in json.loads(r.stdout)["error"]
    # malformed: a truncated key file, a plan given as keys, a missing ptau (exit 2)
    trunc = tmp_path / "trunc.zkvk"
    trunc.write_bytes((tmp_path / "cube.zkvk").read_bytes()[:-7])
    for args in (
        ("--ptau", str(PTAU), "--keys", str(trunc)),
        ("--ptau", str(PTAU), "--keys", str(plan)),
        ("--ptau", str(tmp_path / "none.ptau")),
    ):
        r = zkcc("setup", "verify", "-q", str(plan), *args)
        assert r.returncode == 2 and "Traceback" not in r.stderr, (args, r.stderr)
    assert (
        str(trunc)
        in zkcc("setup", "verify", str(plan), "--ptau", str(PTAU), "--keys", str(trunc)).stderr
    )
    r = zkcc("setup", "--help")
    assert r.returncode == 0 and all(w in r.stdout for w in ("setup verify", "setup contribute"))


# -- proofs are not unique ------------------------------------------------------------------------
def test_rerandomised_proofs_verify_and_differ():
    """(A, B, C) -> (A/r, rB, C), (A, B + s delta, C + s A) and both at once: all verify, and
    all differ from the original byte-wise, so proof bytes must never serve as identifiers."""
    import random

    r1cs, w = random_r1cs(random.Random(7), 12, 2, 10)
    pk, vk = setup(r1cs)
    pub = [int(x) for x in w[1:3]]
    proof = prove(pk, r1cs, w)
    assert verify(vk, pub, proof)
    r, s = 1234567, 7654321
    r_inv = pow(r, -1, R)

    def scale(p):  # (A/r, rB, C)
        return type(p)(g1_mul(p.a, r_inv), g2_mul(p.b, r), p.c)

    def shift(p):  # (A, B + s delta, C + s A)
        return type(p)(p.a, g2_add(p.b, g2_mul(vk.delta_g2, s)), g1_add(p.c, g1_mul(p.a, s)))

    rewritten = [scale(proof), shift(proof), shift(scale(proof))]
    encoded = {_proof_bytes(p) for p in [proof, *rewritten]}
    assert len(encoded) == 4
    for p in rewritten:
        assert verify(vk, pub, p)
        assert not verify(vk, [(pub[0] + 1) % R, pub[1]], p)


def _proof_bytes(p) -> bytes:
    from zkcc.backends.groth16.curve import G2

    return (
        key_format._enc_point(G1, p.a)
        + key_format._enc_point(G2, p.b)
        + key_format._enc_point(G1, p.c)
    )


def test_malformed_contribution_records_are_format_errors(cube):
    vk = cube.vks[cube.step]
    tree = key_format.vk_to_tree(vk)
    tree["contributions"][0]["delta_pok"] = tree["contributions"][0]["delta_pok"][:-1]
    with pytest.raises(FormatError, match="delta_pok"):
        key_format.vk_from_tree(_tree(tree))
    tree = key_format.vk_to_tree(vk)
    tree["contributions"][0]["sigma_g1"] = tree["contributions"][0]["delta_g1"]
    with pytest.raises(FormatError, match="fields differ"):
        key_format.vk_from_tree(_tree(tree))
