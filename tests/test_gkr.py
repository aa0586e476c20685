"""Data-parallel GKR: evaluation, completeness, soundness and proof-format validation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import run_workers

from zkcc.backends.gkr import (
    GKRProof,
    evaluate_circuit,
    prove,
    reference_evaluate,
    verify,
)
from zkcc.backends.gkr.circuit import InputSegment, Layer, LayeredCircuit
from zkcc.backends.gkr.claims import combine
from zkcc.backends.gkr.prover import Part
from zkcc.backends.gkr.random_circuit import random_circuit, random_inputs
from zkcc.backends.gkr.shard import Shard, partition, to_columns
from zkcc.backends.gkr.sumcheck import TableStore
from zkcc.encoding import Schema, encode
from zkcc.errors import FormatError, ProofRejected
from zkcc.field import get_field, mle_evaluate
from zkcc.transcript import Transcript

SEGMENTS = [("x", 0, 2, False), ("w", 8, 3, True), ("h", 4, 1, False)]


def make(
    name,
    seed=0,
    n_log2=2,
    widths=(4, 3, 5, 2),
    gates=((6, 3, 2), (10, 4, 1), (5, 2, 2)),
    segments=SEGMENTS,
):
    F = get_field(name)
    rng = np.random.default_rng(seed)
    c = random_circuit(rng, F.p, list(widths), list(gates), segments)
    l0 = random_inputs(rng, F.p, c, 1 << n_log2)
    return F, c, l0


def columns(F, l0):
    """The instance-major input layer l0 as the one-worker gate-major layer 0."""
    return to_columns(F.array(l0), Shard.whole(len(l0).bit_length() - 1))


def instance_major(v, n_log2):
    """Inverse of `columns` for any layer: (2^n, W) rows in instance order."""
    return v.T[np.argsort(Shard.whole(n_log2).instances())]


def evaluated(F, c, l0):
    """Every layer of the circuit on l0, as a plain list of gate-major arrays."""
    store = evaluate_circuit(F, c, columns(F, l0))
    return [store[i] for i in range(len(store))]


def prove_ok(F, c, layers, domain=b"gkr"):
    return prove(F, c, layers, Transcript(domain))


def segment_table(c, layer0, name):
    """The segment's table from the instance-major input layer."""
    seg = next(s for s in c.segments if s.name == name)
    cols = layer0[:, seg.offset : seg.offset + (1 << seg.size_log2)]
    return cols[0] if seg.broadcast else cols.reshape(-1)


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_evaluate_matches_reference(name):
    F, c, l0 = make(name, seed=1)
    layers = evaluated(F, c, l0)
    ref = reference_evaluate(F.p, c, l0.tolist())
    assert [F.to_ints(instance_major(v, 2)) for v in layers] == ref
    assert all(x == 0 for row in ref[-1] for x in row)
    with pytest.raises(ValueError):
        evaluate_circuit(F, c, columns(F, l0)[:3])


@pytest.mark.parametrize(
    "name,n_log2,seed", [("m31", 0, 2), ("m31", 1, 3), ("m31", 3, 4), ("bn254", 1, 5)]
)
def test_completeness_and_segment_claims(name, n_log2, seed):
    F, c, l0 = make(name, seed=seed, n_log2=n_log2)
    E = F.ext
    layers = evaluated(F, c, l0)
    proof, claims = prove_ok(F, c, layers)
    got = verify(F, c, n_log2, proof, Transcript(b"gkr"))
    assert len(got) == 2 * len(c.segments)
    for mine, theirs in zip(claims, got, strict=True):
        assert mine.segment == theirs.segment
        assert E.equal(mine.value, theirs.value)
        seg = next(s for s in c.segments if s.name == theirs.segment)
        assert len(theirs.point) == seg.size_log2 + (0 if seg.broadcast else n_log2)
        table = segment_table(c, F.array(l0), theirs.segment)
        assert E.equal(mle_evaluate(F, table, theirs.point), theirs.value)
    back = GKRProof.from_tree(Schema(proof.to_tree(), "proof"), F, c, n_log2)
    verify(F, c, n_log2, back, Transcript(b"gkr"))


def test_wide_random_circuit_m31():
    F, c, l0 = make("m31", seed=9, n_log2=4, widths=(6, 7, 6), gates=((200, 50, 9), (150, 60, 3)))
    layers = evaluated(F, c, l0)
    proof, _ = prove_ok(F, c, layers)
    verify(F, c, 4, proof, Transcript(b"gkr"))


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_wrong_witness_in_any_layer_rejected(name):
    F, c, l0 = make(name, seed=6, n_log2=1)
    good = evaluated(F, c, l0)
    rng = np.random.default_rng(0)
    # layers[depth] is never read: the output is zero by the statement, not by the witness
    for i in range(c.depth):
        layers = [v.copy() for v in good]
        width = 4 if i == 0 else layers[i].shape[0]  # layer 0: inside segment "x"
        s, x = int(rng.integers(0, 2)), int(rng.integers(0, width))
        layers[i][x, s] = F.add(layers[i][x, s], F.array(1))
        proof, _ = prove_ok(F, c, layers)
        with pytest.raises(ProofRejected):
            verify(F, c, 1, proof, Transcript(b"gkr"))


def test_nonzero_output_rejected():
    F, c, l0 = make("m31", seed=7, n_log2=1)
    last = c.layers[-1]
    bumped = dataclasses.replace(last, const_out=np.array([1], dtype=np.int64), const_coef=(5,))
    c2 = dataclasses.replace(c, layers=c.layers[:-1] + (bumped,))
    layers = evaluated(F, c2, l0)
    assert F.to_ints(layers[-1])[1][0] == 5  # gate 1 of instance 0
    proof, _ = prove_ok(F, c2, layers)
    with pytest.raises(ProofRejected):
        verify(F, c2, 1, proof, Transcript(b"gkr"))


def tampered_trees(tree, F):
    """Yield (where, tree) with one field element of the proof changed by +1."""
    E = F.ext
    bl = F.byte_len

    def bump(raw, k):
        v = (int.from_bytes(raw[k * bl : (k + 1) * bl], "little") + 1) % F.p
        return raw[: k * bl] + v.to_bytes(bl, "little") + raw[(k + 1) * bl :]

    for i, lt in enumerate(tree["layers"]):
        for phase in ("phase1", "phase2"):
            for j, raw in enumerate(lt[phase]):
                for k in range(len(raw) // bl):
                    t = {**tree, "layers": list(tree["layers"])}
                    rounds = list(lt[phase])
                    rounds[j] = bump(raw, k)
                    t["layers"][i] = {**lt, phase: rounds}
                    yield f"layer {i} {phase} round {j} elem {k}", t
        for key in ("vx", "vy"):
            for k in range(E.degree):
                t = {**tree, "layers": list(tree["layers"])}
                t["layers"][i] = {**lt, key: bump(lt[key], k)}
                yield f"layer {i} {key} {k}", t
    for k in range(len(tree["inputs"]) // bl):
        yield f"inputs {k}", {**tree, "inputs": bump(tree["inputs"], k)}


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_every_tampered_proof_element_rejected(name):
    widths, gates = (3, 2, 2), ((4, 2, 1),)
    segs = [("x", 0, 2, False), ("w", 4, 2, True)]
    F, c, l0 = make(name, seed=8, n_log2=1, widths=widths, gates=gates, segments=segs)
    layers = evaluated(F, c, l0)
    proof, _ = prove_ok(F, c, layers)
    tree = proof.to_tree()
    count = 0
    for where, bad in tampered_trees(tree, F):
        p = GKRProof.from_tree(Schema(bad, "proof"), F, c, 1)
        with pytest.raises(ProofRejected):
            verify(F, c, 1, p, Transcript(b"gkr"))
            pytest.fail(f"accepted tampered {where}")
        count += 1
    assert count > 30


def test_wrong_circuit_domain_and_shape_rejected():
    F, c, l0 = make("m31", seed=10, n_log2=2)
    layers = evaluated(F, c, l0)
    proof, _ = prove_ok(F, c, layers)
    with pytest.raises(ProofRejected):
        verify(F, c, 2, proof, Transcript(b"other domain"))
    # circuit B: same shape, different wiring in one layer
    _, c_b, _ = make("m31", seed=11, n_log2=2)
    with pytest.raises(ProofRejected):
        verify(F, c_b, 2, proof, Transcript(b"gkr"))
    # only one coefficient differs
    lay = c.layers[1]
    coef = lay.mul_coef.copy()
    coef[0] = (int(coef[0]) + 1) % F.p
    c_c = dataclasses.replace(
        c, layers=(c.layers[0], dataclasses.replace(lay, mul_coef=coef), *c.layers[2:])
    )
    with pytest.raises(ProofRejected):
        verify(F, c_c, 2, proof, Transcript(b"gkr"))
    # the proof says nothing about a different instance count
    with pytest.raises(ProofRejected):
        verify(F, c, 3, proof, Transcript(b"gkr"))


def test_from_tree_validates_every_length():
    F, c, l0 = make("m31", seed=12, n_log2=1)
    layers = evaluated(F, c, l0)
    tree = prove_ok(F, c, layers)[0].to_tree()
    GKRProof.from_tree(Schema(tree, "proof"), F, c, 1)
    bad_trees = [
        {**tree, "layers": tree["layers"][:-1]},
        {**tree, "inputs": tree["inputs"][:-1]},
        {**tree, "extra": 1},
        {"layers": tree["layers"]},
        {**tree, "layers": [{**tree["layers"][0], "vx": b"\xff" * 12}, *tree["layers"][1:]]},
        {
            **tree,
            "layers": [
                {**tree["layers"][0], "phase1": tree["layers"][0]["phase1"][1:]},
                *tree["layers"][1:],
            ],
        },
    ]
    for bad in bad_trees:
        with pytest.raises(FormatError):
            GKRProof.from_tree(Schema(bad, "proof"), F, c, 1)
    with pytest.raises(FormatError):
        GKRProof.from_tree(Schema(tree, "proof"), F, c, 2)  # round counts depend on n_log2


@pytest.mark.parametrize(
    "name,n_log2,workers", [("m31", 3, 2), ("m31", 4, 3), ("m31", 2, 5), ("bn254", 2, 3)]
)
def test_split_over_workers_gives_the_same_proof(name, n_log2, workers):
    """Each worker holds only its shard's columns; messages are summed, blocks exchanged: the
    proof bytes and the segment claims equal the one-worker ones (also with idle workers)."""
    F, c, l0 = make(name, seed=13, n_log2=n_log2)
    E = F.ext
    whole, whole_claims = prove_ok(F, c, evaluated(F, c, l0))

    def work(comm):
        shard = partition(n_log2, comm.size, comm.rank)
        layers = evaluate_circuit(F, c, to_columns(F.array(l0), shard))
        return prove(F, c, layers, Transcript(b"gkr"), shard, comm)

    for proof, claims in run_workers(workers, work):
        assert encode(b"TEST", 1, proof.to_tree()) == encode(b"TEST", 1, whole.to_tree())
        for a, b in zip(claims, whole_claims, strict=True):
            assert a.segment == b.segment and E.equal(a.value, b.value)


@pytest.mark.parametrize(
    "name,n_log2,workers,parts", [("m31", 4, 1, 4), ("m31", 4, 2, 3), ("bn254", 3, 2, 2)]
)
def test_memory_chunks_give_the_same_proof(name, n_log2, workers, parts):
    """Each worker's shard in chunks proved one after the other, the sumcheck tables kept
    between rounds by a table store: the same bytes as one chunk."""
    F, c, l0 = make(name, seed=14, n_log2=n_log2)
    whole, _ = prove_ok(F, c, evaluated(F, c, l0))

    def work(comm):
        chunks = partition(n_log2, comm.size, comm.rank).split(parts)
        assert len(chunks) == parts
        layers = [Part(s, evaluate_circuit(F, c, to_columns(F.array(l0), s))) for s in chunks]
        return prove(F, c, layers, Transcript(b"gkr"), comm=comm, tables=TableStore)[0]

    for proof in run_workers(workers, work):
        assert encode(b"TEST", 1, proof.to_tree()) == encode(b"TEST", 1, whole.to_tree())


def padded_circuit():
    """out = V1[1] (V1[0] - V1[1]) + 5 - 5 V1[2] over V1 = (x0 x1, x2, x3): zero where
    x2 = x0 x1 and x3 = 1, with mul, add and const gates in the output layer."""
    p = get_field("m31").p
    below = Layer(
        2,
        np.array([[0, 0, 1]], dtype=np.int64),
        (1,),
        np.array([[1, 2], [2, 3]], dtype=np.int64),
        (1, 1),
        np.zeros(0, dtype=np.int64),
        (),
    )
    top = Layer(
        0,
        np.array([[0, 1, 0], [0, 1, 1]], dtype=np.int64),
        (1, p - 1),
        np.array([[0, 2]], dtype=np.int64),
        (p - 5,),
        np.array([0], dtype=np.int64),
        (5,),
    )
    return LayeredCircuit(2, (InputSegment("x", 0, 2, 4, False),), (below, top))


def padded_inputs(F, n_log2: int, live: int, rng) -> np.ndarray:
    """Instances below `live` satisfy padded_circuit; the others (padding) do not."""
    x = rng.integers(0, F.p, size=(1 << n_log2, 4))
    x[:live, 2] = x[:live, 0] * x[:live, 1] % F.p
    x[:live, 3] = 1
    return x


@pytest.mark.parametrize("live", [1, 5, 7])
def test_output_weighted_by_live_instances(live):
    """prove(..., live=n): only the first n instances' outputs must vanish (a launch's
    padding is free), also split over workers and memory chunks (the same bytes); without
    `live`, or with one instance more than satisfies the circuit, the proof is refused."""
    F, c = get_field("m31"), padded_circuit()
    l0 = padded_inputs(F, 3, live, np.random.default_rng(live))
    layers = evaluated(F, c, l0)
    assert any(F.to_ints(layers[-1])[0])  # the padding's outputs are not zero
    proof, claims = prove(F, c, layers, Transcript(b"gkr"), live=live)
    assert len(verify(F, c, 3, proof, Transcript(b"gkr"), live=live)) == len(claims)
    for other in (None, live + 1):
        with pytest.raises(ProofRejected):
            verify(F, c, 3, proof, Transcript(b"gkr"), live=other)
        bad, _ = prove(F, c, layers, Transcript(b"gkr"), live=other)
        with pytest.raises(ProofRejected):
            verify(F, c, 3, bad, Transcript(b"gkr"), live=other)

    def work(comm):
        chunks = partition(3, comm.size, comm.rank).split(2)
        parts = [Part(s, evaluate_circuit(F, c, to_columns(F.array(l0), s))) for s in chunks]
        return prove(F, c, parts, Transcript(b"gkr"), comm=comm, tables=TableStore, live=live)[0]

    for split in run_workers(3, work):
        assert encode(b"TEST", 1, split.to_tree()) == encode(b"TEST", 1, proof.to_tree())


@pytest.mark.parametrize("fname", ["m31", "bn254"])
def test_combine_of_scalars_and_of_tables_agree(fname):
    """claims.combine: claim values (scalars, on ints) and eq tables (arrays) give
    sum_k c_k v_k, each against the field's own array products."""
    F = get_field(fname)
    E = F.ext
    rng = np.random.default_rng(4)

    def ext(*shape):
        return E.from_ints(rng.integers(0, 1 << 30, (*shape, E.degree)).tolist())

    coeffs = [ext() for _ in range(3)]
    for values in ([ext() for _ in range(3)], [ext(8) for _ in range(3)]):
        want = E.zeros(values[0].shape[1:])
        for c, v in zip(coeffs, values, strict=True):
            want = E.add(want, E.mul(v, c if v.ndim == 1 else c[:, None]))
        assert E.equal(combine(F, coeffs, values), want)
