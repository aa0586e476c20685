"""Zero-knowledge GKR (zkcc/backends/gkr/zk.py): completeness against plain evaluations of
the committed data, soundness under tampering, and what the proof reveals."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
from helpers import run_workers
from test_gkr import columns, instance_major, make, segment_table

from zkcc.backends.gkr import GKRProof, evaluate_circuit, prove, verify
from zkcc.backends.gkr import prover as gkr_prover
from zkcc.backends.gkr.prover import Part
from zkcc.backends.gkr.random_circuit import random_inputs
from zkcc.backends.gkr.shard import partition, to_columns
from zkcc.backends.gkr.sumcheck import SumcheckProver, TableStore
from zkcc.backends.gkr.zk import (
    FRESH_ENTRIES,
    INPUT_MASK_COEFFICIENTS,
    INPUT_MASK_SEGMENT,
    MASK_TABLE,
    REDUCTION_TABLE,
    MaskLayout,
    PhaseBlocks,
    PhaseSpec,
    ZkProver,
    draw_tables,
    hiding_circuit,
    input_mask_log2,
    real_input_log2,
)
from zkcc.encoding import Schema, encode
from zkcc.errors import ProofRejected
from zkcc.field import mle_evaluate
from zkcc.transcript import Transcript


def zk_setup(name, seed=0, n_log2=2, **kw):
    """A random circuit made hiding, its input layer (with the input mask) and mask tables
    (the launch's and its reduction's)."""
    F, c, _ = make(name, seed=seed, n_log2=n_log2, **kw)
    hc = hiding_circuit(c, n_log2, F.ext)
    rng = np.random.default_rng(seed + 100)
    l0 = random_inputs(rng, F.p, hc, 1 << n_log2)
    layout = MaskLayout.of(hc, n_log2, F.ext)
    tables = draw_tables(F, layout, rng.bytes)
    return F, hc, l0, layout, tables


def prove_zk(F, hc, l0, layout, tables, domain=b"zk"):
    store = evaluate_circuit(F, hc, columns(F, l0))
    layers = [store[i] for i in range(len(store))]
    return prove(F, hc, layers, Transcript(domain), zk=ZkProver(F, layout, *tables))


def check_claims(F, hc, l0, tables, claims):
    """Each relation's linked segment values add up to its total; the mask claims hold."""
    totals: dict = {}
    for sc in claims:
        if sc.segment in (MASK_TABLE, REDUCTION_TABLE):
            table = tables[sc.segment == REDUCTION_TABLE]
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
    F, hc, l0, layout, tables = zk_setup(name, n_log2=n_log2)
    proof, claims = prove_zk(F, hc, l0, layout, tables)
    check_claims(F, hc, l0, tables, claims)
    tree = proof.to_tree()
    parsed = GKRProof.from_tree(Schema(tree, "p"), F, hc, n_log2, layout)
    out = verify(F, hc, n_log2, parsed, Transcript(b"zk"), zk=layout)
    assert [c.segment for c in out] == [c.segment for c in claims]
    assert [c.segment for c in out[-2:]] == [MASK_TABLE, REDUCTION_TABLE]
    assert all(c.value is None for c in out[:-2])
    for a, b in zip(out[:-2], claims[:-2], strict=True):
        assert a.link[0] == b.link[0]
        assert F.ext.equal(a.link[1], b.link[1]) and F.ext.equal(a.link[2], b.link[2])
    for a, b in zip(out[-2:], claims[-2:], strict=True):
        assert F.ext.equal(a.value, b.value)


@pytest.mark.parametrize(
    "name,n_log2,workers,parts", [("m31", 3, 1, 1), ("m31", 4, 2, 3), ("bn254", 3, 2, 2)]
)
def test_widened_input_rows_in_closed_form(name, n_log2, workers, parts, monkeypatch):
    """The input mask widens these circuits' input layer (16 rows of segments, then the
    mask): the prover takes the rows above the real input in closed form (sumcheck.Outside)
    and its tables hold the real rows only. The proof and claims are the bytes of the dense
    tables (the closed form switched off), split over workers and memory chunks too."""
    F, hc, l0, layout, tables = zk_setup(name, seed=29, n_log2=n_log2)
    assert real_input_log2(hc) < hc.input_log2
    E = F.ext

    def run(comm):
        chunks = partition(n_log2, comm.size, comm.rank).split(parts)
        layers = [Part(s, evaluate_circuit(F, hc, to_columns(F.array(l0), s))) for s in chunks]
        zk = ZkProver(F, layout, *tables)
        return prove(F, hc, layers, Transcript(b"zk"), comm=comm, tables=TableStore, zk=zk)

    rounds = SumcheckProver._outside_rounds
    calls = []
    monkeypatch.setattr(SumcheckProver, "_outside_rounds", lambda *a: calls.append(1) or rounds(*a))
    closed = run_workers(workers, run)
    assert len(calls) == 2 * workers  # the input layer's two phases, on every worker
    monkeypatch.setattr(gkr_prover, "_outside", lambda *_: None)
    dense = run_workers(workers, run)
    assert len(calls) == 2 * workers
    for (a, ca), (b, cb) in zip(closed, dense, strict=True):
        assert encode(b"TEST", 1, a.to_tree()) == encode(b"TEST", 1, b.to_tree())
        assert [c.segment for c in ca] == [c.segment for c in cb]
        assert all(E.equal(x.value, y.value) for x, y in zip(ca[-2:], cb[-2:], strict=True))
    verify(F, hc, n_log2, closed[0][0], Transcript(b"zk"), zk=layout)


def _claims_hold(F, hc, l0, tables, claims) -> bool:
    try:
        check_claims(F, hc, l0, tables, claims)
    except AssertionError:
        return False
    return True


def _tampered_trees(tree):
    """One change per kind of value a zero-knowledge proof sends (first and last layer)."""

    def bump(b: bytes) -> bytes:
        return bytes([(b[0] + 1) % 256]) + b[1:]

    import copy

    for where in (0, -1):
        for key in ("vx", "vy"):
            t = copy.deepcopy(tree)
            t["layers"][where][key] = bump(t["layers"][where][key])
            yield f"layer {where} {key}", t
        for p in ("phase1", "phase2"):
            for r in (0, -1):
                t = copy.deepcopy(tree)
                t["layers"][where][p][r] = bump(t["layers"][where][p][r])
                yield f"layer {where} {p} round {r}", t
        t = copy.deepcopy(tree)
        t["layers"][where]["sigma"] = bump(t["layers"][where]["sigma"])
        yield f"layer {where} sigma", t
    for key in ("reduce", "reduce2"):
        for r in (0, -1):
            t = copy.deepcopy(tree)
            t[key][r] = bump(t[key][r])
            yield f"{key} round {r}", t
    for key in ("mask", "mask2"):
        t = copy.deepcopy(tree)
        t[key] = bump(t[key])
        yield f"{key} value", t


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_zk_tampering_is_caught(name):
    """Every changed value is rejected by the GKR verifier, or leaves claims that are false
    on the committed data (which the PCS opening then refuses)."""
    F, hc, l0, layout, tables = zk_setup(name, seed=3, n_log2=1)
    proof, _ = prove_zk(F, hc, l0, layout, tables)
    tree = proof.to_tree()
    cases = 0
    for what, bad in _tampered_trees(tree):
        cases += 1
        parsed = GKRProof.from_tree(Schema(bad, "p"), F, hc, 1, layout)
        try:
            out = verify(F, hc, 1, parsed, Transcript(b"zk"), zk=layout)
        except ProofRejected:
            continue
        assert not _claims_hold_verifier(F, hc, l0, tables, out), what
    assert cases == 20


def _claims_hold_verifier(F, hc, l0, tables, claims) -> bool:
    """The verifier's claims (linked ones without values) against the committed data."""
    filled = []
    for c in claims:
        if c.segment not in (MASK_TABLE, REDUCTION_TABLE) and c.value is None:
            seg_value = mle_evaluate(F, F.array(segment_table(hc, l0, c.segment)), c.point)
            c = dataclasses.replace(c, value=seg_value)
        filled.append(c)
    return _claims_hold(F, hc, l0, tables, filled)


def test_hiding_circuit_keeps_every_layer_value():
    """The input mask segment is read by no gate: layers 1.. are those of the plain circuit."""
    F, c, l0 = make("m31", seed=5)
    hc = hiding_circuit(c, 2, F.ext)
    seg = next(s for s in hc.segments if s.name == INPUT_MASK_SEGMENT)
    assert seg.broadcast and 1 << seg.size_log2 == 1 << input_mask_log2(F.ext)
    wide = np.zeros((l0.shape[0], 1 << hc.input_log2), dtype=l0.dtype)
    wide[:, : l0.shape[1]] = l0
    wide[:, seg.offset : seg.offset + 16] = np.arange(1, 17)
    plain = evaluate_circuit(F, c, columns(F, l0))
    hiding = evaluate_circuit(F, hc, columns(F, wide))
    for i in range(1, c.depth + 1):
        assert np.array_equal(instance_major(plain[i], 2), instance_major(hiding[i], 2))


class Simulator(ZkProver):
    """The honest-verifier simulator [Libra, Thm 4]: no witness. It runs the prover's code on
    made-up layer values, takes at the end of each sumcheck the mask part that makes the
    verifier's final equation hold, and fits one mask coefficient to the combined mask parts
    before the reduction; the PCS simulator (tests/test_ligero_zk.py) then opens the claims
    it hands on. The messages are distributed as in a real proof because each is the data
    part plus a share of the uniform mask g, and the layer values and q(r_w) are masked by
    uniform mask terms (docs/zk.md)."""

    def stated_part(self, mask, challenges, final, data):
        return self.E.sub(final, data)

    def reduce(self, tr):
        E = self.E
        lambdas = tr.challenge_exts("gkr/zk/lambda", self.F, len(self.claims.forms))
        total, weights = self.claims.combined(lambdas)
        # fit the first mask coefficient c (entries c d .. c d + d - 1, weights W_c u^e; the
        # input mask's coefficients come before it) so that <M, P> = total
        at = slice(INPUT_MASK_COEFFICIENTS * E.degree, (INPUT_MASK_COEFFICIENTS + 1) * E.degree)
        table = self.table.copy()
        table[at] = 0
        rest = E.dot(E.from_base(table), weights)
        table[at] = E.mul(E.sub(total, rest), E.inv(weights[:, at.start]))
        self.table = table
        return self.prove_reduction(tr, total, weights)


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_simulated_proof_without_witness_is_accepted(name):
    """Made-up layer values (not satisfying the circuit, residues non-zero) and no witness:
    the simulator's proof is accepted, and the claims it hands on are the ones the verifier
    derives (the PCS simulator opens any claimed values)."""
    F, hc, _, layout, tables = zk_setup(name, seed=7, n_log2=1)
    rng = np.random.default_rng(9)
    layers = [
        F.array(rng.integers(0, 1 << 30, (1 << hc.width_log2(i), 2)).tolist())
        for i in range(hc.depth + 1)
    ]
    assert np.any(layers[-1] != 0)
    sim = Simulator(F, layout, *tables)
    proof, claims = prove(F, hc, layers, Transcript(b"sim"), zk=sim)
    out = verify(F, hc, 1, proof, Transcript(b"sim"), zk=layout)
    for a, b in zip(out, claims, strict=True):
        if a.link is None:
            assert F.ext.equal(a.value, b.value)
            table = sim.second if a.segment == REDUCTION_TABLE else sim.table
            assert F.ext.equal(mle_evaluate(F, table, a.point), a.value)
        else:
            assert all(F.ext.equal(x, y) for x, y in zip(a.link[1:], b.link[1:], strict=True))
    honest = ZkProver(F, layout, *tables)
    with pytest.raises(ProofRejected):
        proof, _ = prove(F, hc, layers, Transcript(b"sim"), zk=honest)
        verify(F, hc, 1, proof, Transcript(b"sim"), zk=layout)


def _cube_sum(table, spec, d: int, p: int) -> tuple[list[int], bool]:
    """sum over {0,1}^m of g = a_0 + sum_j g_j(x_j), point by point in plain Python ints (on
    the cube x^k = x, so g(b) is a_0 plus the coefficient sums of the g_j with b_j = 1), from
    the table's raw entries; and whether some g_j(1) is not zero."""
    entries = [int(x) for x in np.asarray(table).reshape(-1).tolist()]
    coefficient = [entries[c * d : c * d + d] for c in range(len(entries) // d)]
    rows = [
        [coefficient[s + k] for k in range(deg)]
        for s, deg in zip(spec.starts(), spec.degrees, strict=True)
    ]
    ends = [[sum(c[e] for c in row) % p for e in range(d)] for row in rows]  # g_j(1)
    total = [0] * d
    for b in itertools.product((0, 1), repeat=len(rows)):
        point = coefficient[spec.offset]
        for bit, end in zip(b, ends, strict=True):
            if bit:
                point = [x + y for x, y in zip(point, end, strict=True)]
        total = [(t + x) % p for t, x in zip(total, point, strict=True)]
    return total, any(any(e) for e in ends)


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_drawn_masks_sum_to_zero_over_the_cube(name):
    """Every sumcheck's mask sums to zero over its cube (the verifier takes G = 0), and is
    not zero: the GKR phases' in the mask table, the mask reduction's in the second."""
    F, _, _, layout, tables = zk_setup(name, seed=11, n_log2=1)
    d, p = F.ext.degree, F.p
    assert len(layout.phases) == 2 * layout.depth
    specs = [(spec, tables[0]) for spec in layout.phases.values()]
    for spec, table in [*specs, (layout.reduction, tables[1])]:
        total, nonzero = _cube_sum(table, spec, d, p)
        assert total == [0] * d and nonzero


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_phase_blocks_against_python_ints(name):
    """PhaseBlocks (every phase's coefficients and the later rounds' halved end sums, made for
    a whole launch at once) against the definitions in Python ints, coordinate by coordinate
    (g_j's ends g_j(0) + g_j(1) evaluated at the integer points), for random phases of random
    degrees laid out one after another, as MaskLayout lays them."""
    F, _, _ = make(name, seed=0)
    E, p, d = F.ext, F.p, F.ext.degree
    rng = np.random.default_rng(23)
    specs, offset = [], 3
    for _ in range(7):
        degrees = tuple(int(x) for x in rng.integers(1, 5, size=int(rng.integers(1, 6))))
        specs.append(PhaseSpec(offset, degrees, len(degrees) - int(rng.integers(0, 2))))
        offset += specs[-1].count
    table = F.from_wide_bytes(rng.bytes((offset + 2) * d * F.wide_len), (offset + 2) * d)
    coef = [[int(table[c * d + k]) for k in range(d)] for c in range(offset + 2)]
    blocks = PhaseBlocks.of(E, table, specs)
    for spec in rng.permutation(len(specs)):
        spec = specs[spec]
        got = blocks.block(spec)
        cols = [[int(got[k, c]) for k in range(d)] for c in range(got.shape[1])]
        want = [coef[spec.offset + c] for c in range(spec.count)]
        ends = []
        for j, (start, deg) in enumerate(zip(spec.starts(), spec.degrees, strict=True)):
            at = []
            for t in (0, 1):
                v = [coef[spec.offset][k] if j == 0 else 0 for k in range(d)]
                for power in range(1, deg + 1):
                    v = [v[k] + coef[start + power - 1][k] * t**power for k in range(d)]
                at.append(v)
            ends.append([(a + b) % p for a, b in zip(*at, strict=True)])
        half = (p + 1) // 2
        for j in range(len(spec.degrees)):
            later = [sum(e[k] for e in ends[j + 1 :]) for k in range(d)]
            want.append([x * half % p for x in later])
        assert cols == want


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_masks_that_do_not_sum_to_zero_are_rejected(name):
    """The verifier takes every mask's sum to be 0: the honest prover run with a uniform table
    (its sums not zero) makes a proof that is rejected, or whose claims are false."""
    F, hc, l0, layout, (_, second) = zk_setup(name, seed=13, n_log2=1)
    rng = np.random.default_rng(5)
    table = F.from_wide_bytes(rng.bytes(layout.size * F.wide_len), layout.size)
    proof, claims = prove_zk(F, hc, l0, layout, (table, second))
    try:
        out = verify(F, hc, 1, proof, Transcript(b"zk"), zk=layout)
    except ProofRejected:
        return
    assert not _claims_hold_verifier(F, hc, l0, (table, second), out)


@pytest.mark.parametrize("name", ["m31", "bn254"])
def test_fresh_entries_move_only_the_mask_value(name):
    """The mask table's last FRESH_ENTRIES entries are weighed by no mask part: changing them
    leaves every GKR message as it was and changes M~(r*) (which they hide), and both proofs
    verify. (The masked reduction's rounds read them too, through M's partial sums.)"""
    F, hc, l0, layout, (table, second) = zk_setup(name, seed=17, n_log2=1)
    other = table.copy()
    other[-FRESH_ENTRIES:] = F.add(other[-FRESH_ENTRIES:], F.array(list(range(1, 65))))
    trees = []
    for t in (table, other):
        proof, claims = prove_zk(F, hc, l0, layout, (t, second))
        check_claims(F, hc, l0, (t, second), claims)
        verify(F, hc, 1, proof, Transcript(b"zk"), zk=layout)
        trees.append(proof.to_tree())
    a, b = trees
    assert a["layers"] == b["layers"]
    assert a["mask"] != b["mask"]
