"""Groth16 launches inside program proofs: completeness and every tampering refused.

`mixed_bn254` links a GKR launch and a Groth16 launch through the private intermediate
`whitened` (commit-and-prove); a small all-public program checks the public-input binding
without any commitment in the way.
"""

from __future__ import annotations

import copy
import random

import pytest
from helpers import (
    EXAMPLES,
    Proved,
    committed_tensors,
    prove_example,
    swap_committed_tables,
    with_changed,
)

from zkcc.backends import groth16 as g16
from zkcc.driver import compile_path
from zkcc.encoding import decode, encode
from zkcc.errors import FormatError, ProofRejected, UserError
from zkcc.field import get_field
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime import prover as prover_module
from zkcc.runtime import steps as steps_module
from zkcc.runtime.bundle import MAGIC, VERSION
from zkcc.runtime.inputs import load_inputs
from zkcc.runtime.keyfiles import VK_MAGIC, keys_from_bytes, keys_to_bytes, setup_plan
from zkcc.runtime.verifier import verify

REFUSED = (ProofRejected, FormatError)
G16_STEP = 1  # mixed_bn254: launch 0 whiten (GKR), launch 1 hash_pairs (Groth16)

PUBLIC_ONLY = """#pragma field bn254
__global__ __groth16__ void cube(const field x[2], __broadcast__ const field c[1], field y[1]) {
    y[0] = x[0] * x[0] * x[0] + x[1] * c[0];
}
__host__ void main(public field xs[5][2], public field c[1], public out field ys[5][1]) {
    cube<<<5>>>(xs, c, ys);
}
"""


@pytest.fixture(scope="module")
def mixed() -> Proved:
    return prove_example("mixed_bn254")


@pytest.fixture(scope="module")
def public_only(tmp_path_factory) -> Proved:
    src = tmp_path_factory.mktemp("pub") / "cube.zkcu"
    src.write_text(PUBLIC_ONLY)
    data = compile_path(src).to_bytes()
    plan = Plan.from_bytes(data)
    F = get_field(plan.field)
    inputs = {
        "xs": F.array([[i, 2 * i + 1] for i in range(5)]).reshape(-1),
        "c": F.array([7]),
    }
    pks, vks = setup_plan(plan)
    proof = prover_module.prove(plan, plan_digest(data), inputs, keys=pks).to_bytes()
    return Proved(plan, plan_digest(data), proof, pks, vks)


def _tree(proof: bytes):
    return decode(proof, MAGIC, VERSION, "proof")[1]


def _encode(tree) -> bytes:
    return encode(MAGIC, VERSION, tree)


def test_honest_proofs_are_accepted(mixed, public_only):
    assert set(mixed.verify()) == {"digests"}
    assert set(public_only.verify()) == {"xs", "c", "ys"}
    step = _tree(mixed.proof)["steps"][G16_STEP]
    assert set(step) == {"a", "b", "c", "d", "pok", "values"}
    assert set(_tree(public_only.proof)["steps"][0]) == {"a", "b", "c"}


def test_flipping_a_bit_in_every_groth16_part_is_refused(mixed):
    rng = random.Random(5)
    tree = _tree(mixed.proof)
    for key in ("a", "b", "c", "d", "pok", "values"):
        for _ in range(2):
            bad = copy.deepcopy(tree)
            v = bad["steps"][G16_STEP][key]
            i = rng.randrange(len(v))
            bad["steps"][G16_STEP][key] = (
                v[:i] + bytes([v[i] ^ (1 << rng.randrange(8))]) + v[i + 1 :]
            )
            with pytest.raises(REFUSED):
                mixed.verify(_encode(bad))


def test_missing_commitment_is_malformed(mixed):
    tree = _tree(mixed.proof)
    del tree["steps"][G16_STEP]["pok"]
    with pytest.raises(FormatError, match="pok"):
        mixed.verify(_encode(tree))


def test_changed_public_input_is_rejected_by_the_pairing_check(public_only):
    F = get_field("bn254")
    for tensor in ("xs", "c", "ys"):
        tree = _tree(public_only.proof)
        values = F.decode(tree["public"][tensor], len(tree["public"][tensor]) // 32)
        values[-1] = F.add(values[-1], F.array(1))
        tree["public"][tensor] = F.encode(values)
        with pytest.raises(ProofRejected, match="Groth16 pairing check"):
            public_only.verify(_encode(tree))


def test_changed_public_output_of_a_linked_program_is_rejected(mixed):
    F = get_field("bn254")
    tree = _tree(mixed.proof)
    values = F.decode(tree["public"]["digests"], 4)
    values[0] = F.add(values[0], F.array(1))
    tree["public"]["digests"] = F.encode(values)
    with pytest.raises(ProofRejected):
        mixed.verify(_encode(tree))


def test_swapped_linked_tensor_is_rejected(mixed, monkeypatch):
    """The prover commits `pairs` where the linked `whitened` belongs (and the reverse)."""
    assert {"whitened", "pairs"} <= committed_tensors(mixed.plan)
    swap_committed_tables(monkeypatch, mixed.plan, "whitened", "pairs")
    F = get_field("bn254")
    inputs = load_inputs(EXAMPLES / "mixed_bn254" / "inputs.json", mixed.plan.program, F)
    bad = prover_module.prove(mixed.plan, mixed.digest, inputs, keys=mixed.pks).to_bytes()
    monkeypatch.undo()
    with pytest.raises(ProofRejected):
        mixed.verify(bad)


def test_d_and_pok_from_another_setup_are_rejected(mixed):
    """A fresh setup of the same plan: other keys, so the proof's (A, B, C, D, PoK) fail."""
    _, vks = setup_plan(mixed.plan)
    with pytest.raises(ProofRejected, match="pairing"):
        mixed.verify(vks=vks)


def test_keys_of_another_plan_are_refused(mixed, public_only):
    data = keys_to_bytes(VK_MAGIC, public_only.digest, public_only.vks)
    with pytest.raises(UserError, match="another plan"):
        keys_from_bytes(data, VK_MAGIC, mixed.plan, mixed.digest, "k.zkvk")
    # the other plan's key relabelled as this plan's launch: does not fit the circuit
    forged = {G16_STEP: public_only.vks[0]}
    with pytest.raises(FormatError, match="does not fit"):
        mixed.verify(vks=forged)
    with pytest.raises(FormatError, match="launches"):
        mixed.verify(vks=public_only.vks)


def test_groth16_launch_on_other_boundary_values_is_rejected(monkeypatch, mixed):
    """A prover whose Groth16 launch reads a `whitened` that differs from the committed one
    (and claims the digests of that fake) passes the GKR and Groth16 checks on their own; the
    commit-and-prove link catches it: the in-circuit evaluation is not the tensor's."""
    F = get_field("bn254")
    program = mixed.plan.program
    real_run, real_args = steps_module.run_launch, steps_module.launch_args
    fake = {}

    def bumped(wh):
        wh[3] = F.add(wh[3], F.array(1))
        fake["whitened"] = wh
        return wh

    def lying_run(F, program, step, tensors):
        if step.kernel == "hash_pairs":  # the digests of a whitened that was never committed
            tensors = with_changed(tensors, "whitened", bumped)
        return real_run(F, program, step, tensors)

    def lying_args(program, i, data):
        return real_args(program, i, with_changed(data, "whitened", lambda _: fake["whitened"]))

    monkeypatch.setattr(steps_module, "run_launch", lying_run)
    monkeypatch.setattr(steps_module, "launch_args", lying_args)
    inputs = load_inputs(EXAMPLES / "mixed_bn254" / "inputs.json", program, F)
    bad = prover_module.prove(mixed.plan, mixed.digest, inputs, keys=mixed.pks).to_bytes()
    with pytest.raises(ProofRejected, match="opening"):  # past the GKR and pairing checks
        mixed.verify(bad)


def test_commitment_to_wrong_wires_is_rejected(monkeypatch, mixed):
    """D computed over altered boundary wires while the circuit uses the true ones."""
    real_commit = g16.commit

    def lying_commit(pk, w, rng):
        w = w.copy()
        j = int(pk.committed[2])
        w[j] = (w[j] + 1) % g16.curve.R
        return real_commit(pk, w, rng)

    monkeypatch.setattr(g16, "commit", lying_commit)  # the Groth16 step calls the package's
    F = get_field("bn254")
    inputs = load_inputs(EXAMPLES / "mixed_bn254" / "inputs.json", mixed.plan.program, F)
    bad = prover_module.prove(mixed.plan, mixed.digest, inputs, keys=mixed.pks).to_bytes()
    with pytest.raises(ProofRejected, match="pairing"):
        mixed.verify(bad)


def test_prove_and_verify_need_keys(mixed):
    F = get_field("bn254")
    inputs = load_inputs(EXAMPLES / "mixed_bn254" / "inputs.json", mixed.plan.program, F)
    with pytest.raises(UserError, match="zkcc setup"):
        prover_module.prove(mixed.plan, mixed.digest, inputs)
    from zkcc.runtime.verifier import verify

    with pytest.raises(UserError, match="verifying key"):
        verify(mixed.plan, mixed.digest, mixed.proof)


def test_bn254_example_proves_under_both_backends():
    """The same poseidon_bn254 source, proved by data-parallel GKR and by Groth16, publishes the
    same digests; each proof verifies only against its own plan."""
    gkr_run = prove_example("poseidon_bn254")
    g16_run = prove_example("poseidon_bn254", backend="groth16")
    assert gkr_run.plan.kernels["hash_pairs"].backend == "gkr"
    assert g16_run.plan.kernels["hash_pairs"].backend == "groth16"
    out_gkr, out_g16 = gkr_run.verify()["digests"], g16_run.verify()["digests"]
    assert list(out_gkr) == list(out_g16)
    with pytest.raises(ProofRejected, match="different plan"):
        verify(g16_run.plan, g16_run.digest, gkr_run.proof, keys=g16_run.vks)


def test_link_masks_in_d_and_in_the_pcs_must_agree(monkeypatch, mixed):
    """The public u_j = T~(r_j) + mu_j hides the evaluation only if mu_j is the PCS-committed
    mask M[j]: a prover putting other masks in D (and so in u) than in the PCS fails the
    linked claim T~(r_j) + M[j] = u_j."""
    real = steps_module.Groth16Step._mask_values

    def shifted(self, ctx):
        return [(m + 1) % g16.curve.R for m in real(self, ctx)]

    monkeypatch.setattr(steps_module.Groth16Step, "_mask_values", shifted)
    F = get_field("bn254")
    inputs = load_inputs(EXAMPLES / "mixed_bn254" / "inputs.json", mixed.plan.program, F)
    bad = prover_module.prove(mixed.plan, mixed.digest, inputs, keys=mixed.pks).to_bytes()
    with pytest.raises(ProofRejected, match="opening"):  # the masked claims do not hold
        mixed.verify(bad)


def test_link_values_are_masked(mixed):
    """The step proof's values are u_j = T~(r_j) + mu_j: two proofs of the same statement
    with other coins have other values (a plain evaluation would differ only through r_j,
    and the mask table is committed beside the tensors)."""
    assert "masks@1" in committed_tensors(mixed.plan)
    F = get_field("bn254")
    inputs = load_inputs(EXAMPLES / "mixed_bn254" / "inputs.json", mixed.plan.program, F)
    again = prover_module.prove(mixed.plan, mixed.digest, inputs, keys=mixed.pks).to_bytes()
    mixed.verify(again)
    assert (
        _tree(again)["steps"][G16_STEP]["values"] != _tree(mixed.proof)["steps"][G16_STEP]["values"]
    )


# x is private and only one argument of the Groth16 launch reads it; k is private too, but two
# arguments read it (the second launch's), so it must be committed and linked.
WITNESS = """#pragma field bn254
__global__ __groth16__ void cube(const field x[1], __broadcast__ const field k[1], field y[1]) {
    y[0] = x[0] * x[0] * x[0] + k[0];
}
__host__ void main(private field xs[3][1], private field k[1], public out field ys[3][1],
                   public out field zs[3][1]) {
    cube<<<3>>>(xs, k, ys);
    cube<<<3>>>(ys, k, zs);
}
"""


def test_private_tensor_of_one_groth16_argument_is_witness_not_commitment(tmp_path):
    """claims.single_use: `xs` is the first launch's private witness (no commitment, link or
    D for it), `k` is linked in both launches; the proof verifies, gives the reference's
    outputs, refuses a changed output and holds no private value."""
    src = tmp_path / "witness.zkcu"
    src.write_text(WITNESS)
    data = compile_path(src).to_bytes()
    plan, digest = Plan.from_bytes(data), plan_digest(data)
    assert committed_tensors(plan) == {"k", "masks@0", "masks@1"}
    F = get_field(plan.field)
    rng = random.Random(3)
    xs, k = [rng.randrange(1 << 64, F.p) for _ in range(3)], rng.randrange(1 << 64, F.p)
    pks, vks = setup_plan(plan)
    inputs = {"xs": F.array(xs), "k": F.array([k])}
    proof = prover_module.prove(plan, digest, inputs, keys=pks).to_bytes()
    public = verify(plan, digest, proof, keys=vks)
    ys = [(x**3 + k) % F.p for x in xs]
    assert F.to_ints(public["ys"]) == ys
    assert F.to_ints(public["zs"]) == [(y**3 + k) % F.p for y in ys]
    for launch in _tree(proof)["steps"]:
        assert len(F.decode(launch["values"], len(launch["values"]) // 32)) == 1  # k's link
    for secret in xs + [k]:
        assert secret.to_bytes(32, "little") not in proof
        assert secret.to_bytes(32, "big") not in proof
    tree = _tree(proof)
    tree["public"]["ys"] = F.encode(F.array([(ys[0] + 1) % F.p] + ys[1:]))
    with pytest.raises(ProofRejected):
        verify(plan, digest, _encode(tree), keys=vks)
