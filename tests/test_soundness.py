"""Every tampering of a proof must be refused: flipped bytes in every part, changed public
values, swapped commitments, a proof checked against another plan, a dishonest witness."""

from __future__ import annotations

import copy
import random

import numpy as np
import pytest
from helpers import prove_example

from zkcc.encoding import decode, encode
from zkcc.errors import FormatError, ProofRejected
from zkcc.field import get_field
from zkcc.runtime import prover as prover_module
from zkcc.runtime import steps as steps_module
from zkcc.runtime.bundle import MAGIC, VERSION
from zkcc.runtime.verifier import verify

REFUSED = (ProofRejected, FormatError)


@pytest.fixture(scope="module", params=["ligero", "merkle"])
def pipeline(request):
    return prove_example("pipeline", request.param)


@pytest.fixture(scope="module")
def dot():
    return prove_example("dot")


def _tree(proof: bytes):
    return decode(proof, MAGIC, VERSION, "proof")[1]


def _leaves(tree, path=()):
    """Paths of every bytes and int leaf: each is a part of the proof that must matter."""
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _leaves(v, (*path, i))
    elif isinstance(tree, (bytes, int)) and not isinstance(tree, bool):
        yield path


def _replace(tree, path, fn):
    out = copy.deepcopy(tree)
    node = out
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = fn(node[path[-1]])
    return out


def _flip(rng: random.Random):
    def fn(v):
        if isinstance(v, int):
            return v + 1
        if not v:
            return b"\x00"
        i = rng.randrange(len(v))
        return v[:i] + bytes([v[i] ^ (1 << rng.randrange(8))]) + v[i + 1 :]

    return fn


def test_honest_proof_is_accepted(pipeline):
    public = verify(pipeline.plan, pipeline.digest, pipeline.proof)
    assert set(public) >= {"xs", "mean"}


def test_flipping_a_byte_in_every_part_is_refused(pipeline):
    rng = random.Random(1)
    tree = _tree(pipeline.proof)
    paths = list(_leaves(tree))
    assert len(paths) > 20
    for path in paths:
        bad = encode(MAGIC, VERSION, _replace(tree, path, _flip(rng)))
        with pytest.raises(REFUSED):
            verify(pipeline.plan, pipeline.digest, bad)


def test_flipping_random_bytes_of_the_file_is_refused(dot):
    rng = random.Random(2)
    for _ in range(60):
        data = bytearray(dot.proof)
        i = rng.randrange(len(data))
        data[i] ^= 1 << rng.randrange(8)
        with pytest.raises(REFUSED):
            verify(dot.plan, dot.digest, bytes(data))


@pytest.mark.parametrize("tensor", ["xs", "mean"])
def test_changed_public_value_is_rejected(pipeline, tensor):
    F = get_field(pipeline.plan.field)
    tree = _tree(pipeline.proof)

    def bump(raw: bytes) -> bytes:
        values = F.decode(raw, len(raw) // F.byte_len)
        values[0] = F.add(values[0], F.array(1))
        return F.encode(values)

    bad = encode(MAGIC, VERSION, _replace(tree, ("public", tensor), bump))
    with pytest.raises(ProofRejected):
        verify(pipeline.plan, pipeline.digest, bad)


def test_substituted_commitments_are_rejected(pipeline, dot):
    """Each commitment replaced by a valid commitment to other data (dot's), and, where the
    proof has two, the two swapped."""
    tree = _tree(pipeline.proof)
    names = sorted(tree["commitments"])
    foreign = _tree(dot.proof)["commitments"]["pcs#0"]
    for name in names:
        bad = _replace(tree, ("commitments", name), lambda _: foreign)
        with pytest.raises(ProofRejected):
            verify(pipeline.plan, pipeline.digest, encode(MAGIC, VERSION, bad))
    if len(names) >= 2:
        a, b = names[:2]
        swapped = _tree(pipeline.proof)
        swapped["commitments"][a], swapped["commitments"][b] = (
            swapped["commitments"][b],
            swapped["commitments"][a],
        )
        with pytest.raises(ProofRejected):
            verify(pipeline.plan, pipeline.digest, encode(MAGIC, VERSION, swapped))


def test_proof_for_another_plan_is_rejected(pipeline, dot):
    with pytest.raises(ProofRejected, match="different plan"):
        verify(dot.plan, dot.digest, pipeline.proof)
    forged = _tree(pipeline.proof)
    forged["plan_digest"] = dot.digest
    with pytest.raises(REFUSED):
        verify(dot.plan, dot.digest, encode(MAGIC, VERSION, forged))


def test_a_version_1_proof_is_refused_as_malformed(dot):
    """Version 1 GKR proofs bound the sumcheck variables in another order: refused by format,
    never silently reinterpreted."""
    with pytest.raises(FormatError, match="older zkcc"):
        verify(dot.plan, dot.digest, encode(MAGIC, 1, _tree(dot.proof)))


def test_truncated_or_garbage_proof_is_malformed(dot):
    for data in (dot.proof[:-1], dot.proof[: len(dot.proof) // 2], b"", b"ZKPF\x01\x00"):
        with pytest.raises(FormatError):
            verify(dot.plan, dot.digest, data)


def test_dishonest_witness_cannot_be_proved(monkeypatch, dot):
    """A prover that claims a wrong output (and skips its own sanity check) is caught."""
    real_run = steps_module.run_launch

    def lying_run(F, program, step, tensors):
        outputs, hints = real_run(F, program, step, tensors)
        ys = outputs[2].copy()  # dot(xs, w, ys): param 2
        ys[5] = F.add(ys[5], F.array(1))
        return {**outputs, 2: ys}, hints

    monkeypatch.setattr(steps_module, "run_launch", lying_run)
    monkeypatch.setattr(steps_module, "check_residues", lambda *args: None)
    F = get_field(dot.plan.field)
    from helpers import EXAMPLES

    from zkcc.runtime.inputs import load_inputs

    inputs = load_inputs(EXAMPLES / "dot" / "inputs.json", dot.plan.program, F)
    bad = prover_module.prove(dot.plan, dot.digest, inputs).to_bytes()
    with pytest.raises(ProofRejected):
        verify(dot.plan, dot.digest, bad)
    honest = verify(dot.plan, dot.digest, dot.proof)["ys"]
    assert not np.array_equal(F.decode(_tree(bad)["public"]["ys"], len(honest)), honest)


def _structural_mutations(tree, rng: random.Random):
    """Every node of the tree replaced by something of another shape (removed, None, a short
    list, wrong-size bytes, out-of-range ints, a foreign dict, doubled content)."""
    for path in [(), *_all_paths(tree)]:
        for choice in range(7):
            out = copy.deepcopy(tree)
            if not path:
                yield [None, [], {}, 5, b"", "s", True][choice]
                continue
            node = out
            for k in path[:-1]:
                node = node[k]
            k, v = path[-1], node[path[-1]]
            if choice == 0 and isinstance(node, dict):
                del node[k]
            elif choice == 1:
                node[k] = None
            elif choice == 2:
                node[k] = v[:-1] if isinstance(v, list) else []
            elif choice == 3:
                node[k] = bytes(rng.randrange(70))
            elif choice == 4:
                node[k] = rng.choice([-1, 2**70])
            elif choice == 5:
                node[k] = {"x": 1}
            else:
                node[k] = v + v if isinstance(v, (list, bytes, str)) else "s"
            if out != tree:  # e.g. shortening an empty list changes nothing
                yield out


def _all_paths(tree, path=()):
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list):
        items = enumerate(tree)
    else:
        return
    for k, v in items:
        yield (*path, k)
        yield from _all_paths(v, (*path, k))


def test_structurally_mutated_proofs_are_refused_cleanly(dot):
    """Wrong shapes anywhere in a proof give FormatError or ProofRejected, never a crash."""
    tree = _tree(dot.proof)
    for bad in _structural_mutations(tree, random.Random(3)):
        with pytest.raises(REFUSED):
            verify(dot.plan, dot.digest, encode(MAGIC, VERSION, bad))


def test_structurally_mutated_plans_are_refused_cleanly(dot):
    """Plan files get the same treatment: malformed -> FormatError, never another exception."""
    from zkcc.plan.plan import MAGIC as PLAN_MAGIC
    from zkcc.plan.plan import VERSION as PLAN_VERSION
    from zkcc.plan.plan import Plan

    tree = decode(dot.plan.to_bytes(), PLAN_MAGIC, PLAN_VERSION, "plan")[1]
    for bad in _structural_mutations(tree, random.Random(4)):
        try:
            Plan.from_bytes(encode(PLAN_MAGIC, PLAN_VERSION, bad))
        except FormatError:
            pass
