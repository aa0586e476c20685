"""Commit-and-prove pieces: the in-circuit MLE evaluation gadget and Groth16 with committed
wires (D and its proof of knowledge), including failing cases."""

from __future__ import annotations

import random

import numpy as np
import pytest
from helpers import PTAU13

from zkcc.backends.groth16 import Commitment, commit, keys, prove, setup, setup_from_ptau, verify
from zkcc.backends.groth16.curve import G1_GEN, R, g1_add, g1_mul
from zkcc.backends.groth16.r1cs import random_r1cs
from zkcc.errors import FormatError
from zkcc.field import get_field
from zkcc.field.mle import mle_evaluate
from zkcc.lower.r1cs_eval import with_evaluations
from zkcc.runtime.randomness import Randomness

PTAU = PTAU13
F = get_field("bn254")


def _circuit(seed: int = 1):
    r1cs, w = random_r1cs(random.Random(seed), 20, 2, 18)
    tables = [
        np.array([5, 6, 7, -1, 8, 9, 10, -1], dtype=np.int64),  # padded table
        np.array([11], dtype=np.int64),  # a single element: no variables
        np.array([12, 13, 14, 15], dtype=np.int64),
    ]
    return r1cs, w, tables, with_evaluations(r1cs, tables)


MASKS = [101, 202, 303]  # one per table


def test_evaluation_gadget_matches_mle_evaluate():
    """u = T~(r) + mu for each table; the committed wires are the tables' and the masks'."""
    r1cs, w, tables, ev = _circuit()
    rng = random.Random(3)
    points = [[rng.randrange(R) for _ in range(m)] for m in ev.num_vars]
    w2, values = ev.extend(w, points, MASKS)
    assert ev.r1cs.is_satisfied(w2)
    assert ev.r1cs.num_public == r1cs.num_public + sum(m + 1 for m in ev.num_vars)
    pub = [int(x) for x in w2[1 : 1 + ev.r1cs.num_public]]
    assert pub[: r1cs.num_public] == [int(x) for x in w[1 : 1 + r1cs.num_public]]
    for t, pt, v, mu in zip(tables, points, values, MASKS, strict=True):
        table = F.array([0 if x < 0 else int(w[x]) for x in t])
        assert (int(mle_evaluate(F, table, F.ext.from_base(F.array(pt)))[0]) + mu) % R == v
    assert ev.r1cs.num_constraints - r1cs.num_constraints <= sum(len(t) for t in tables) + 3
    # the committed wires: the tables' wires, renumbered, and one mask wire per table
    table_wires = ev.remap(np.r_[5:16])
    assert np.isin(table_wires, ev.committed).all() and ev.committed.size == 11 + 3
    masks = np.setdiff1d(ev.committed, table_wires)
    assert sorted(int(w2[m]) for m in masks) == MASKS


def test_evaluation_gadget_refuses_a_wrong_value_or_wire():
    _, w, _, ev = _circuit()
    w2, _ = ev.extend(w, [[2, 3, 4], [], [5, 6]], MASKS)
    for j in (int(ev.committed[0]), int(ev.committed[-1])):
        bad = w2.copy()
        bad[j] = (bad[j] + 1) % R
        assert not ev.r1cs.is_satisfied(bad)
    value_wire = ev.r1cs.num_public  # the last public input: the last table's value
    bad = w2.copy()
    bad[value_wire] = (bad[value_wire] + 1) % R
    assert not ev.r1cs.is_satisfied(bad)


@pytest.fixture(scope="module", params=["fresh", "ptau"])
def keyed(request):
    r1cs, w, _, ev = _circuit(2)
    if request.param == "ptau":
        if not PTAU.exists():
            pytest.skip(f"{PTAU} not found")
        pk, vk = setup_from_ptau(ev.r1cs, PTAU, committed=ev.committed)
    else:
        pk, vk = setup(ev.r1cs, committed=ev.committed)
    w2, _ = ev.extend(w, [[7, 8, 9], [], [10, 11]], MASKS)
    return ev, pk, vk, w2, w


def test_commit_and_prove_accepts_honest_and_rejects_altered(keyed):
    ev, pk, vk, w, w_old = keyed
    pub = [int(x) for x in w[1 : 1 + ev.r1cs.num_public]]
    seeded = Randomness(3)
    com, o = commit(pk, ev.place(w_old, MASKS), rng=seeded.source("c"))  # committed wires only
    assert (com, o) == commit(pk, w, rng=seeded.source("c"))
    proof = prove(pk, ev.r1cs, w, blind=o)
    assert verify(vk, pub, proof, commitment=com)
    # the blinding: D is fresh per commitment, and C must take back exactly its o
    com2, o2 = commit(pk, w)
    assert com2.d != com.d and verify(vk, pub, prove(pk, ev.r1cs, w, blind=o2), commitment=com2)
    assert not verify(vk, pub, prove(pk, ev.r1cs, w, blind=o2 + 1), commitment=com2)
    assert not verify(vk, pub, prove(pk, ev.r1cs, w, blind=o), commitment=com2)
    # D moved by a multiple of a public basis point (a "public input smuggled into D")
    assert not verify(vk, pub, proof, commitment=Commitment(g1_add(com.d, vk.ic[1]), com.pok))
    # a consistent-looking pair that is not sigma-related
    d2 = g1_mul(G1_GEN, 12345)
    assert not verify(vk, pub, proof, commitment=Commitment(d2, d2))
    assert not verify(vk, pub, proof, commitment=Commitment(com.d, g1_add(com.pok, G1_GEN)))
    bad_pub = list(pub)
    bad_pub[-1] = (bad_pub[-1] + 1) % R  # the claimed evaluation value
    assert not verify(vk, bad_pub, proof, commitment=com)
    with pytest.raises(FormatError, match="expects a commitment"):
        verify(vk, pub, proof)
    with pytest.raises(FormatError, match="not a point"):
        verify(vk, pub, proof, commitment=Commitment((1, 1), com.pok))


def test_keys_with_commitment_round_trip(keyed):
    ev, pk, vk, w, _ = keyed
    pk2 = keys.pk_from_bytes(keys.pk_to_bytes(pk))
    vk2 = keys.vk_from_bytes(keys.vk_to_bytes(vk))
    assert np.array_equal(pk2.committed, pk.committed)
    assert vk2.commit_g2_sigma_neg == vk.commit_g2_sigma_neg
    pub = [int(x) for x in w[1 : 1 + ev.r1cs.num_public]]
    com, o = commit(pk2, w)
    assert verify(vk2, pub, prove(pk2, ev.r1cs, w, blind=o), commitment=com)
    assert (pk2.k_blind, pk2.k_sigma_blind, pk2.c_blind) == (
        pk.k_blind,
        pk.k_sigma_blind,
        pk.c_blind,
    )


def test_commitment_given_to_a_key_without_one_is_malformed():
    r1cs, w = random_r1cs(random.Random(9), 6, 1, 5)
    pk, vk = setup(r1cs)
    proof = prove(pk, r1cs, w)
    with pytest.raises(FormatError, match="no commitment"):
        verify(vk, [int(w[1])], proof, commitment=Commitment(G1_GEN, G1_GEN))
    with pytest.raises(ValueError):
        setup(r1cs, committed=[0])  # the constant wire cannot be committed
