"""Which launches a zero-knowledge plan proves with zero knowledge (zkcc.ir.host.secret_tensors,
zkcc.runtime.claims.zk_launches): those that read data derived from a private input. The
others have witnesses the verifier could compute from public data, so they go without masks;
their proofs must still verify, refuse tampering, and leave the private data out."""

from __future__ import annotations

import random

import numpy as np
import pytest
from helpers import SEEDED, committed_tensors, prove_example
from test_assignment import write

from zkcc.analysis.assign import AssignOptions
from zkcc.analysis.privacy import privacy_report
from zkcc.driver import compile_path
from zkcc.encoding import decode, encode
from zkcc.errors import FormatError, ProofRejected
from zkcc.field import get_field
from zkcc.ir.host import secret_tensors
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime.bundle import MAGIC, VERSION
from zkcc.runtime.claims import zk_launches
from zkcc.runtime.prover import prove
from zkcc.runtime.verifier import verify

# Step 1 reads t[0], which only public data feed, but t is one tensor and step 2 writes its
# other slice from the private w: the taint is per tensor, found by a fixpoint (step 1 comes
# before the write that makes t secret), so steps 1, 2 and 3 are hidden and only step 0 is not.
FLOW = """#pragma field m31
__global__ void inc(const field a[2], field b[2]) {
    for (int i = 0; i < 2; i++) { b[i] = a[i] * a[i] + 1; }
}
__host__ void main(public field x[4][2], private field w[4][2], public out field y[4][2]) {
    field t[2][4][2];
    field u[4][2];
    inc<<<4>>>(x, t[0]);
    inc<<<4>>>(t[0], u);
    inc<<<4>>>(w, t[1]);
    inc<<<4>>>(u, y);
}
"""


def _plan(tmp_path, zk: bool = True) -> tuple[Plan, bytes]:
    src = write(tmp_path, "flow.zkcu", FLOW)
    data = compile_path(src, zk=zk, options=AssignOptions(fuse=False)).to_bytes()
    return Plan.from_bytes(data), plan_digest(data)


def _reference(x: list[int], w: list[int], p: int) -> list[int]:
    """y of FLOW in plain integers: y = f(f(f(x))) with f(a) = a^2 + 1 (w feeds only t[1])."""
    for _ in range(3):
        x = [(a * a + 1) % p for a in x]
    return x


def test_taint_is_per_tensor_and_reaches_a_fixpoint(tmp_path):
    plan, _ = _plan(tmp_path)
    assert secret_tensors(plan.program) == {"w", "t", "u"}
    assert zk_launches(plan) == {1, 2, 3}
    assert zk_launches(_plan(tmp_path, zk=False)[0]) == set()
    # the mask tables: two per hidden launch (its masks, its reduction's), none for the public one
    assert {t for t in committed_tensors(plan) if t.startswith("zk")} == {
        f"{kind}@{i}" for kind in ("zkmask", "zkrmask") for i in (1, 2, 3)
    }
    gkr = privacy_report(plan).gkr.status
    assert "without masks: launch 0 inc read no private data" in gkr


def test_public_launch_proves_without_masks_and_refuses_tampering(tmp_path):
    plan, digest = _plan(tmp_path)
    F = get_field("m31")
    rng = random.Random(11)
    x = [rng.randrange(F.p) for _ in range(8)]
    w = [rng.randrange(1 << 20, F.p) for _ in range(8)]
    inputs = {"x": F.array(np.array(x)), "w": F.array(np.array(w))}
    proof = prove(plan, digest, inputs, randomness=SEEDED).to_bytes()
    public = verify(plan, digest, proof)
    assert F.to_ints(public["y"]) == _reference(x, w, F.p)
    for wanted in w:  # the private input is nowhere in the proof
        assert int(wanted).to_bytes(4, "little") not in proof
    # a flipped bit anywhere in the unmasked launch's proof is refused
    tree = decode(proof, MAGIC, VERSION, "proof")[1]
    paths = list(_byte_strings(tree["steps"][0], ("steps", 0)))
    assert len(paths) > 10
    for path in paths:
        bad = decode(proof, MAGIC, VERSION, "proof")[1]
        parent = bad
        for key in path[:-1]:
            parent = parent[key]
        value = parent[path[-1]]
        at = rng.randrange(len(value))
        parent[path[-1]] = value[:at] + bytes([value[at] ^ 1 << rng.randrange(8)]) + value[at + 1 :]
        with pytest.raises((ProofRejected, FormatError)):
            verify(plan, digest, encode(MAGIC, VERSION, bad))


def _byte_strings(tree, path: tuple):
    """The paths of the non-empty byte strings inside a proof tree."""
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        if isinstance(tree, bytes) and tree:
            yield path
        return
    for key, sub in items:
        yield from _byte_strings(sub, path + (key,))


@pytest.mark.parametrize("name", ["polyeval", "pipeline"])
def test_examples_mask_only_what_reads_private_data(name):
    """polyeval reads no private data, so its zero-knowledge proof is its plain proof's
    size; pipeline masks only the launch that reads the private scale (test_privacy searches
    both proofs for private values)."""
    zk, plain = prove_example(name), prove_example(name, zk=False)
    assert zk_launches(zk.plan) == (set() if name == "polyeval" else {4})
    if name == "polyeval":
        assert len(zk.proof) == len(plain.proof)
    else:
        assert len(plain.proof) < len(zk.proof)
