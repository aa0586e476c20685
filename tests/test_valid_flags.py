"""The verifier evaluates a launch's valid flags in closed form (runtime.claims.valid_mle),
never listing its instances; the reference lists them."""

from __future__ import annotations

import random

import pytest

from zkcc.field import get_field, mle_evaluate
from zkcc.runtime.claims import valid_mle, valid_values
from zkcc.runtime.layout import launch_layout


@pytest.mark.parametrize("fname", ["m31", "bn254"])
def test_closed_form_matches_the_listed_flags(fname):
    F = get_field(fname)
    E = F.ext
    rng = random.Random(5)
    for count in [1, 2, 3, 5, 7, 8, 9, 16, 100, 1000, 1023, 1024, 1025]:
        layout = launch_layout(count, (1,), False)
        point = [
            E.from_ints([rng.randrange(F.p) for _ in range(E.degree)])
            for _ in range(layout.num_vars)
        ]
        want = mle_evaluate(F, layout.table(F, valid_values(F, count)), point)
        assert E.equal(valid_mle(F, count, point), want), count


def test_two_to_the_forty_instances_cost_nothing():
    F = get_field("m31")
    E = F.ext
    point = [E.from_ints([3, 1, 4, 1])] * 40
    assert valid_mle(F, 1 << 40, point).shape == (E.degree,)
    assert not E.equal(valid_mle(F, (1 << 40) - 1, point), valid_mle(F, 1 << 40, point))


def test_a_prover_excusing_a_real_instance_is_rejected(monkeypatch):
    """A prover whose GKR output claim leaves out the last real instance (whose constraints
    then need not hold) is refused, with zero knowledge and without: the verifier weighs the
    output by the plan's instance count (gkr.verify's `live`), never by the prover's word."""
    from helpers import EXAMPLES

    from zkcc.backends import gkr
    from zkcc.driver import compile_path
    from zkcc.errors import ProofRejected
    from zkcc.plan.plan import Plan, plan_digest
    from zkcc.runtime.inputs import load_inputs
    from zkcc.runtime.prover import prove
    from zkcc.runtime.verifier import verify

    F = get_field("m31")
    honest = gkr.prove

    def excusing(*args, live=None, **kwargs):
        return honest(*args, live=None if live is None else live - 1, **kwargs)

    for zk in (False, True):
        data = compile_path(EXAMPLES / "dot" / "dot.zkcu", zk=zk).to_bytes()
        plan, digest = Plan.from_bytes(data), plan_digest(data)
        inputs = load_inputs(EXAMPLES / "dot" / "inputs.json", plan.program, F)
        verify(plan, digest, prove(plan, digest, inputs).to_bytes())
        with monkeypatch.context() as m:
            m.setattr(gkr, "prove", excusing)
            proof = prove(plan, digest, inputs).to_bytes()
        # with zero knowledge the last layer's final check is the mask reduction's
        where = "mask reduction: final check" if zk else "layer 0 final check"
        with pytest.raises(ProofRejected, match=f"launch 0 .dot.: {where}"):
            verify(plan, digest, proof)


@pytest.mark.parametrize("fname", ["m31", "bn254"])
def test_prefix_eq_matches_the_listed_sum(fname):
    """gkr.wiring.prefix_eq, the GKR output claim's instance weight (one, two or three points:
    the phase-1 constant, the phase-2 claim and the final check), against the plain sum of
    eq products over s < count."""
    from zkcc.backends.gkr.wiring import prefix_eq
    from zkcc.field import eq_table

    F = get_field(fname)
    E = F.ext
    rng = random.Random(9)
    n = 5
    points = [
        [E.from_ints([rng.randrange(F.p) for _ in range(E.degree)]) for _ in range(n)]
        for _ in range(3)
    ]
    for k in (1, 2, 3):
        tables = [eq_table(F, pt) for pt in points[:k]]
        acc = E.zeros()
        for count in range((1 << n) + 2):
            assert E.equal(prefix_eq(F, count, *points[:k]), acc), (k, count)
            if count < 1 << n:
                term = E.one()
                for t in tables:
                    term = E.mul(term, t[:, count])
                acc = E.add(acc, term)


@pytest.mark.parametrize("fname", ["m31", "bn254"])
def test_eq_eval_matches_the_sum_over_the_cube(fname):
    """gkr.wiring.eq_eval, sum_s prod_k eq(a_k, s) (one point: 1; two: eq(a, b); three: the
    final check's), by its closed forms for one to three points and the two products for
    four, against the plain sum over the cube of eq table products, on random points."""
    from zkcc.backends.gkr.wiring import eq_eval
    from zkcc.field import eq_table

    F = get_field(fname)
    E = F.ext
    rng = random.Random(13)
    n = 4
    for k in (1, 2, 3, 4):
        points = [
            [E.from_ints([rng.randrange(F.p) for _ in range(E.degree)]) for _ in range(n)]
            for _ in range(k)
        ]
        tables = [eq_table(F, pt) for pt in points]
        want = E.zeros()
        for s in range(1 << n):
            term = E.one()
            for t in tables:
                term = E.mul(term, t[:, s])
            want = E.add(want, term)
        assert E.equal(eq_eval(F, *points), want), k
