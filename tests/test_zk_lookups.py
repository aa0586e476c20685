"""Lookups in zero-knowledge plans: LogUp with committed inverses (zkcc/runtime/zk_lookups.py).

Results are held against plain Python ints; a prover whose looked-up rows are not table rows,
whose counts are wrong, whose inverses lie (on a real site, or on a padded one to balance the
sums) or whose argument is altered is rejected; no private key occurs in the proof, proofs of
different witnesses look alike, and --mem-limit's chunked path gives the same bytes.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_lookups import (
    SQ_VALUES,
    flipped,
    lying_table_hint,
    off_by_one_counts,
    out_of_range_proof,
    signed,
    smuggled_proof,
    spilled_proof,
    table_inputs,
    table_source,
)
from test_privacy import _structure, needles, occurrences

from zkcc.analysis.privacy import GKR_HIDING_LOOKUPS, privacy_report
from zkcc.driver import plan_program
from zkcc.encoding import decode
from zkcc.errors import FormatError, ProofRejected
from zkcc.field import get_field
from zkcc.frontend import compile_source
from zkcc.plan.plan import Plan, plan_digest
from zkcc.runtime import bundle as bundle_module
from zkcc.runtime import steps as steps_module
from zkcc.runtime.bundle import ProofBundle
from zkcc.runtime.prover import prove
from zkcc.runtime.randomness import Randomness
from zkcc.runtime.verifier import verify
from zkcc.runtime.zk_lookups import HiddenLookups, inverses_tensor


def zk_plan(field: str, n: int, pcs: str = "ligero") -> tuple[Plan, bytes]:
    program = compile_source(table_source(field, n), "t.zkcu", lookups=True)
    data = plan_program(program, pcs, zk=True, choose_lookups=False).to_bytes()
    return Plan.from_bytes(data), plan_digest(data)


def proved(field: str = "m31", n: int = 3, seed: int = 9):
    plan, digest = zk_plan(field, n)
    F = get_field(field)
    x, k = table_inputs(F, n, seed=seed)
    inputs = {"x": F.array(x).reshape(-1), "k": F.array(k).reshape(-1)}
    return plan, digest, inputs, x, k


@pytest.mark.parametrize("field", ["m31", "bn254"])
def test_zero_knowledge_lookup_program_proves_and_verifies(field):
    plan, digest, inputs, x, k = proved(field, n=5, seed=8)
    assert plan.zk and plan.kernels["sq"].ir.tables
    F = get_field(field)
    proof = prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()
    public = verify(plan, digest, proof)
    assert signed(F, public["y"]) == [max(v, 0) for v in x.reshape(-1)]
    assert signed(F, public["w"]) == [SQ_VALUES[j] for j in k.reshape(-1)]
    bundle, _ = ProofBundle.from_bytes(proof, "proof")
    assert any(name.startswith("pcs2#") for name in bundle.commitments)  # the second round
    assert set(bundle.steps[0]["lookups"]) == {"queries", "table0", "table1"}
    privacy = privacy_report(plan)
    assert privacy.zero_knowledge and privacy.gkr.status == GKR_HIDING_LOOKUPS


def _balanced(monkeypatch, site: str) -> None:
    """Lying table values, with the query sum balanced so that the sum relation holds: the
    difference between the honest pairs' and the lying pairs' inverses is added to h on one
    of SQ's real sites, or on its padded site (SQ has 3 sites of 4). Only the check circuit
    (with the prover's own residue check off) can tell."""
    lying_table_hint(monkeypatch)
    monkeypatch.setattr(steps_module, "check_residues", lambda *args: None)
    real = HiddenLookups.witness

    def balanced(self, ctx):
        real(self, ctx)
        F = ctx.F
        E = F.ext
        alpha = self.challenges["alpha"]
        block = next(b for b in self.used() if self.lookups.tables[b.table].is_map)
        cols = ctx.data.local(f"lookups@{self.step}").reshape(self.lookups.count, -1)
        a = 1 << block.site_log2
        keys = cols[:, block.offset : block.offset + block.sites].reshape(-1)
        lies = cols[:, block.offset + a : block.offset + a + block.sites].reshape(-1)
        honest = F.sub(lies, F.array(np.ones(len(lies), dtype=np.int64)))

        def inverses(values):
            return E.sum(E.inv(E.sub(alpha, self._enc(keys, values))), axis=-1)

        delta = E.sub(inverses(honest), inverses(lies))
        h = ctx.data.local(inverses_tensor(self.step)).reshape(self.lookups.count, -1).copy()
        s = block.sites if site == "padded" else 0  # the first padded site, or a real one
        at = self.inverses.offsets[block.table] + s + a * np.arange(E.degree)
        h[0, at] = F.add(h[0, at], delta)
        ctx.data.share(inverses_tensor(self.step), h.size, 0, h.reshape(-1))
        o = self.inverses.offsets[block.table]  # the sums agree: the relation would hold
        queries = h[:, o : o + E.degree * a].reshape(-1, E.degree, a).transpose(1, 0, 2)
        table = ctx.data.local(inverses_tensor(self.step, block.table)).reshape(-1, E.degree).T
        assert E.equal(E.sum(queries.reshape(E.degree, -1), axis=-1), E.sum(table, axis=-1))

    monkeypatch.setattr(HiddenLookups, "witness", balanced)


def _cheating_proof(cheat: str, monkeypatch, plan, digest, inputs) -> bytes:
    if cheat == "an i16 of 40000":
        return out_of_range_proof(monkeypatch, plan, digest, inputs)
    if cheat == "a count in a padded row":
        return smuggled_proof(monkeypatch, plan, digest, inputs)
    if cheat == "wrong table values":
        lying_table_hint(monkeypatch)
    elif cheat == "wrong counts":
        off_by_one_counts(monkeypatch)
    else:
        _balanced(monkeypatch, cheat.rsplit(" ", 1)[1])
    return prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()


@pytest.mark.parametrize(
    "cheat, caught_by",
    [
        # a false sum relation: the hiding opening checks all its relations in one
        # statement, so it cannot say which one is false
        ("wrong table values", "claims and relations together"),
        ("wrong counts", "claims and relations together"),
        ("an i16 of 40000", "claims and relations together"),  # out-of-table count dropped
        ("a count in a padded row", "claims and relations together"),
        ("inverses balanced on a real", "lookup check, queries"),
        ("inverses balanced on a padded", "lookup check, queries"),
    ],
)
def test_a_cheating_prover_is_rejected(monkeypatch, cheat, caught_by):
    plan, digest, inputs, _, _ = proved()
    proof = _cheating_proof(cheat, monkeypatch, plan, digest, inputs)
    with pytest.raises(ProofRejected, match=caught_by):
        verify(plan, digest, proof)


def test_altered_lookup_checks_are_rejected():
    plan, digest, inputs, _, _ = proved()
    proof = prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()
    bundle, _ = ProofBundle.from_bytes(proof, "proof")
    checks = bundle.steps[0]["lookups"]
    for part in checks:
        for field in checks[part]:
            steps = [dict(s) for s in bundle.steps]
            altered = dict(checks)
            altered[part] = {**checks[part], field: flipped(checks[part][field])[0]}
            if altered[part] == checks[part]:
                continue  # no byte string in this field
            steps[0] = {**steps[0], "lookups": altered}
            bad = ProofBundle(
                bundle.plan_digest, bundle.public, bundle.commitments, steps, bundle.opening
            ).to_bytes()
            with pytest.raises((ProofRejected, FormatError)):
                verify(plan, digest, bad)
    for name in [n for n in bundle.commitments if n.startswith("pcs2#")]:
        commitments = {**bundle.commitments, name: flipped(bundle.commitments[name])[0]}
        bad = ProofBundle(
            bundle.plan_digest, bundle.public, commitments, bundle.steps, bundle.opening
        ).to_bytes()
        with pytest.raises(ProofRejected):
            verify(plan, digest, bad)


def _private_needles(F, x, k, plan, inputs) -> dict:
    """The private inputs and the lookup columns (relu's limbs, SQ's keys and values), less
    what the public outputs also hold (SQ's values are public here)."""
    from zkcc.runtime.execute import execute

    run = execute(plan.program, F, inputs)
    hints = [np.asarray(h).reshape(-1) for h in run.hints if np.asarray(h).size]
    mine = needles(F, [F.array(x).reshape(-1), F.array(k).reshape(-1), *hints])
    theirs = needles(F, [np.asarray(run.tensors[t]).reshape(-1) for t in ("y", "w")])
    return {w: mine[w] - theirs[w] for w in mine}


def test_no_private_key_occurs_in_the_proof_and_the_search_can_fail():
    plan, digest, inputs, x, k = proved(n=8)
    F = get_field("m31")
    wanted = _private_needles(F, x, k, plan, inputs)
    assert any(wanted.values())
    proof = prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()
    assert occurrences(proof, wanted) == 0
    revealing, rdigest = zk_plan("m31", 8, pcs="merkle")  # sends the committed tables
    shown = prove(revealing, rdigest, inputs, randomness=Randomness(7)).to_bytes()
    assert occurrences(shown, wanted) > 0


def test_proofs_of_different_witnesses_have_the_same_structure():
    trees = []
    for seed in (1, 2):
        plan, digest, inputs, _, _ = proved(n=5, seed=seed)
        proof = prove(plan, digest, inputs).to_bytes()  # fresh masks
        trees.append(decode(proof, bundle_module.MAGIC, bundle_module.VERSION, "proof")[1])
    assert trees[0] != trees[1]
    assert _structure(trees[0]) == _structure(trees[1])


def test_chunked_spilled_proof_is_byte_identical(monkeypatch, tmp_path):
    plan, digest, inputs, _, _ = proved(n=6)
    want = prove(plan, digest, inputs, randomness=Randomness(7)).to_bytes()
    assert spilled_proof(monkeypatch, tmp_path, plan, digest, inputs) == want


def test_the_alpha_basis_holds_the_same_elements_and_multiplies_by_alpha():
    """Range tables' inverses are committed in the basis 1, alpha, alpha^2, alpha^3: the
    coordinates rebuild the element, and the companion matrix is the product by alpha; alpha
    in a subfield (here the base field) has no such basis."""
    import random

    from zkcc.runtime.zk_lookups import AlphaBasis

    F = get_field("m31")
    E = F.ext
    rng = random.Random(3)
    alpha = E.from_ints([rng.randrange(F.p) for _ in range(4)])
    basis = AlphaBasis.of(F, alpha)
    x = E.from_ints([[rng.randrange(F.p) for _ in range(4)] for _ in range(6)])
    coords = basis.coordinates(F, x)
    rebuilt, power = E.zeros(6), E.one()
    for j in range(4):
        rebuilt = E.add(rebuilt, E.mul(E.from_base(coords[j]), power))
        power = E.mul(power, alpha)
    assert E.equal(rebuilt, x)
    times_alpha = F.zeros((4, 6))
    for j, i, c in basis.product_by_alpha():
        times_alpha[j] = F.add(times_alpha[j], F.mul(coords[i], F.array(c)))
    assert np.array_equal(times_alpha, basis.coordinates(F, E.mul(x, alpha)))
    assert len(basis.product_by_alpha()) == 7
    assert AlphaBasis.of(F, E.from_base(F.array(5))) is None
    assert AlphaBasis.of(get_field("bn254"), get_field("bn254").ext.one()) is None
