"""Zero-knowledge GKR (zkcc/backends/gkr/zk.py): completeness against plain evaluations of
the committed data, soundness under tampering, and what the proof reveals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_gkr import columns, instance_major, make, segment_table

from zkcc.backends.gkr import GKRProof, evaluate_circuit, prove, verify
from zkcc.backends.gkr.random_circuit import random_inputs
from zkcc.backends.gkr.zk import (
    INPUT_MASK_SEGMENT,
    MASK_TABLE,
    MaskLayout,
    ZkProver,
    draw_table,
    hiding_circuit,
    input_mask_log2,
)
from zkcc.encoding import Schema
from zkcc.errors import ProofRejected
from zkcc.field import mle_evaluate
from zkcc.transcript import Transcript


def zk_setup(name, seed=0, n_log2=2, **kw):
    """A random circuit made hiding, its input layer (with the input mask) and mask table."""
    F, c, _ = make(name, seed=seed, n_log2=n_log2, **kw)
    hc = hiding_circuit(c, n_log2, F.ext)
    rng = np.random.default_rng(seed + 100)
    l0 = random_inputs(rng, F.p, hc, 1 << n_log2)
    layout = MaskLayout.of(hc, n_log2, F.ext)
    table = draw_table(F, layout, rng.bytes)
    return F, hc, l0, layout, table


def prove_zk(F, hc, l0, layout, table, domain=b"zk"):
    store = evaluate_circuit(F, hc, columns(F, l0))
    layers = [store[i] for i in range(len(store))]
    return prove(F, hc, layers, Transcript(domain), zk=ZkProver(F, layout, table))


def check_claims(F, hc, l0, table, claims):
    """Each relation's linked segment values add up to its total; the mask claim holds."""
    totals: dict = {}
    for sc in claims:
        if sc.segment == MASK_TABLE:
            assert F.ext.equal(mle_evaluate(F, table, sc.point), sc.value)
            continue
        want = mle_evaluate(F, F.array(segment_table(hc, l0, sc.segment)), sc.point)
        index, sel, total = sc.link
        acc, _ = totals.get(index, (F.ext.zeros(), total))
        totals[index] = (F.ext.add(acc, F.ext.mul(sel, want)), total)
    assert len(totals) == 2
    for acc, total in totals.values():
        assert F.ext.equal(acc, total)


@pytest.mark.parametrize("name", ["m31", "bn254"])
@pytest.mark.parametrize("n_log2", [0, 2])
def test_zk_proof_verifies_and_claims_hold(name, n_log2):
    F, hc, l0, layout, table = zk_setup(name, n_log2=n_log2)
    proof, claims = prove_zk(F, hc, l0, layout, table)
    check_claims(F, hc, l0, table, claims)
    tree = proof.to_tree()
    parsed = GKRProof.from_tree(Schema(tree, "p"), F, hc, n_log2, layout)
    out = verify(F, hc, n_log2, parsed, Transcript(b"zk"), zk=layout)
    assert [c.segment for c in out] == [c.segment for c in claims]
    assert all(c.value is None for c in out[:-1])
    for a, b in zip(out[:-1], claims[:-1], strict=True):
        assert a.link[0] == b.link[0]
        assert F.ext.equal(a.link[1], b.link[1]) and F.ext.equal(a.link[2], b.link[2])
    assert F.ext.equal(out[-1].value, claims[-1].value)
