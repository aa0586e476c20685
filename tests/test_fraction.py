"""The fractional-sum GKR (LogUp's grand sum) against plain-Python big-int references."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from test_field import ref_ext_mul

from zkcc.backends.gkr import fraction
from zkcc.backends.gkr.fraction import (
    FractionLayerProof,
    FractionProof,
    fraction_soundness,
    prove_fraction_sum,
    verify_fraction_sum,
)
from zkcc.encoding import Schema, decode, encode
from zkcc.errors import FormatError, ProofRejected
from zkcc.field import eq_table, get_field, mle_evaluate
from zkcc.transcript import Transcript

FIELDS = ["m31", "bn254"]


# ---- plain-Python reference ------------------------------------------------------------------


def ref_add(a, b, p):
    return [(x + y) % p for x, y in zip(a, b, strict=True)]


def ref_inv(a, p):
    """Fermat in the extension: a^(p^d - 2), square-and-multiply over ref_ext_mul."""
    e, out, base = p ** len(a) - 2, [1] + [0] * (len(a) - 1), a
    while e:
        if e & 1:
            out = ref_ext_mul(out, base, p)
        base = ref_ext_mul(base, base, p)
        e >>= 1
    return out


def ref_fraction_sum(ps, qs, p):
    """(sum_i p_i prod_{j != i} q_j, prod_i q_i) by adding one fraction at a time."""
    num, den = ps[0], qs[0]
    for a, b in zip(ps[1:], qs[1:], strict=True):
        num = ref_add(ref_ext_mul(num, b, p), ref_ext_mul(a, den, p), p)
        den = ref_ext_mul(den, b, p)
    return num, den


def rand_leaves(F, n, rnd):
    return [[rnd.randrange(F.p) for _ in range(F.ext.degree)] for _ in range(n)]


def as_array(F, leaves):
    return F.ext.from_ints(leaves)


def scalar_ints(a):
    return [int(x) for x in a]


def prove_verify(F, p, q, m, label="lookup", domain=b"fraction-test"):
    proof, pclaim = prove_fraction_sum(F, p, q, Transcript(domain), label)
    vclaim = verify_fraction_sum(F, m, proof, Transcript(domain), label)
    return proof, pclaim, vclaim


# ---- completeness against the reference --------------------------------------------------------


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("m", [0, 1, 2, 5, 10])
@pytest.mark.parametrize("unit", [False, True])
def test_root_and_claim_match_reference(name, m, unit):
    F, rnd = get_field(name), random.Random(100 * m + unit)
    E, n = F.ext, 1 << m
    one = [1] + [0] * (E.degree - 1)
    qs = rand_leaves(F, n, rnd)
    ps = [one] * n if unit else rand_leaves(F, n, rnd)
    q = as_array(F, qs)
    p = None if unit else as_array(F, ps)
    _, pclaim, vclaim = prove_verify(F, p, q, m)

    num, den = ref_fraction_sum(ps, qs, F.p)
    assert scalar_ints(vclaim.p_root) == num and scalar_ints(vclaim.q_root) == den
    if m <= 5:  # the root as a sum of fractions, each inverted by Fermat (slow in Python ints)
        total = [0] * E.degree
        for a, b in zip(ps, qs, strict=True):
            total = ref_add(total, ref_ext_mul(a, ref_inv(b, F.p), F.p), F.p)
        inv_den = ref_inv(scalar_ints(vclaim.q_root), F.p)
        assert ref_ext_mul(scalar_ints(vclaim.p_root), inv_den, F.p) == total

    assert len(vclaim.point) == m
    for a, b in zip(pclaim.point, vclaim.point, strict=True):
        assert E.equal(a, b)
    p_table = as_array(F, ps)
    for claim in (pclaim, vclaim):
        assert E.equal(claim.p_value, mle_evaluate(F, p_table, vclaim.point))
        assert E.equal(claim.q_value, mle_evaluate(F, q, vclaim.point))
        assert E.equal(claim.p_root, vclaim.p_root) and E.equal(claim.q_root, vclaim.q_root)


@pytest.mark.parametrize("name", FIELDS)
def test_logup_query_and_table_roots(name):
    """sum 1/(alpha - f_i) == sum m_j/(alpha - t_j) iff every query f_i is in the table t."""
    F, rnd = get_field(name), random.Random(7)
    E = F.ext
    table = [rnd.randrange(F.p) for _ in range(8)]
    queries = [rnd.choice(table) for _ in range(16)]
    alpha = E.from_ints([rand_leaves(F, 1, rnd)[0]])[:, 0]

    def roots(qv):
        mult = F.array([qv.count(t) for t in table])
        q_query = E.sub(alpha[:, None], E.from_base(F.array(qv)))
        q_table = E.sub(alpha[:, None], E.from_base(F.array(table)))
        _, a, _ = prove_verify(F, None, q_query, 4, "query")
        _, b, _ = prove_verify(F, E.from_base(mult), q_table, 3, "table")
        return E.mul(a.p_root, b.q_root), E.mul(b.p_root, a.q_root)

    left, right = roots(queries)
    assert E.equal(left, right)
    outside = next(v for v in range(F.p) if v not in table)
    left, right = roots(queries[:-1] + [outside])
    assert not E.equal(left, right)


def direct_h(E, cols, eq_rest, rho, lam, scale, t):
    """scale sum_x eq(rho, t) eq(rest, x) [A + lambda B] with every table evaluated at t."""
    one, tt, h = E.one(), E.scalar(t), cols[0].shape[1] // 2
    at_t = [E.fold(c[:, :h], E.sub(c[:, h:], c[:, :h]), tt) for c in cols]
    if len(cols) == 2:
        a, b = E.add(at_t[0], at_t[1]), E.mul(at_t[0], at_t[1])
    else:
        a = E.add(E.mul(at_t[0], at_t[3]), E.mul(at_t[1], at_t[2]))
        b = E.mul(at_t[2], at_t[3])
    eq1 = E.add(E.mul(E.sub(one, rho), E.sub(one, tt)), E.mul(rho, tt))
    inner = E.add(E.dot(eq_rest, a), E.mul(lam, E.dot(eq_rest, b)))
    return E.mul(scale, E.mul(eq1, inner))


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("zero_rho", [False, True])
def test_round_message_against_direct_evaluation(name, zero_rho):
    """h(0), h(2), h(3) from the claim trick equal sum eq(rho, (t, x)) [A + lambda B] at t,
    also for the rho = 0 branch the transcript almost never takes."""
    F, rnd = get_field(name), random.Random(3)
    E = F.ext
    for unit in (False, True):
        cols = [as_array(F, rand_leaves(F, 8, rnd)) for _ in range(2 if unit else 4)]
        below = [as_array(F, rand_leaves(F, 1, rnd))[:, 0] for _ in range(2)]
        rho = E.zeros() if zero_rho else as_array(F, rand_leaves(F, 1, rnd))[:, 0]
        lam, scale = (as_array(F, rand_leaves(F, 1, rnd))[:, 0] for _ in range(2))
        eq_rest = eq_table(F, below)

        def h(t, cols=cols, rho=rho, lam=lam, scale=scale, eq_rest=eq_rest):
            return direct_h(E, cols, eq_rest, rho, lam, scale, t)

        claim = E.add(h(0), h(1))
        rho_inv = E.inv(rho[:, None])[:, 0]
        tabs = [c.copy() for c in cols]
        msg = fraction._round_message(E, tabs, eq_rest, rho, rho_inv, lam, claim, scale)
        for col, t in enumerate((0, 2, 3)):
            assert E.equal(msg[:, col], h(t))


@pytest.mark.parametrize("name", FIELDS)
def test_batched_inverses(name):
    F, rnd = get_field(name), random.Random(4)
    E = F.ext
    coords = rand_leaves(F, 5, rnd)
    coords[2] = [0] * E.degree  # no inverse: its slot is 1, the others stay right
    out = fraction._inverses(E, [as_array(F, [c])[:, 0] for c in coords])
    for c, inv in zip(coords, out, strict=True):
        want = ref_inv(c, F.p) if any(c) else [1] + [0] * (E.degree - 1)
        assert scalar_ints(inv) == want


# ---- soundness: tampering, transcripts, parsing -------------------------------------------------


def tampered(proof, where, index):
    """A copy of the proof with one sent value (column `index` of `where`) changed."""
    E = proof.E

    def bump(a, i):
        a = a.copy()
        a[:, i] = E.add(a[:, i], E.one())
        return a

    if where == "top":
        return FractionProof(E, proof.unit_p, bump(proof.top, index), proof.layers)
    k, part = where
    layers = list(proof.layers)
    lp = layers[k]
    if part == "rounds":
        layers[k] = FractionLayerProof(bump(lp.rounds, index), lp.values)
    else:
        layers[k] = FractionLayerProof(lp.rounds, bump(lp.values, index))
    return FractionProof(E, proof.unit_p, proof.top, tuple(layers))


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("unit", [False, True])
def test_every_changed_value_is_rejected(name, unit):
    F, rnd, m = get_field(name), random.Random(11), 3
    q = as_array(F, rand_leaves(F, 1 << m, rnd))
    p = None if unit else as_array(F, rand_leaves(F, 1 << m, rnd))
    proof, _, _ = prove_verify(F, p, q, m)
    sites = [("top", i) for i in range(proof.top.shape[1])]
    for k, lp in enumerate(proof.layers):
        sites += [((k, "rounds"), i) for i in range(lp.rounds.shape[1])]
        sites += [((k, "values"), i) for i in range(lp.values.shape[1])]
    assert len(sites) == 4 + 3 + 4 + 6 + (2 if unit else 4)
    for where, i in sites:
        with pytest.raises(ProofRejected):
            verify_fraction_sum(
                F, m, tampered(proof, where, i), Transcript(b"fraction-test"), "lookup"
            )


@pytest.mark.parametrize("name", FIELDS)
def test_one_layer_tamper_moves_the_claim(name):
    """With m = 1 there is no sumcheck: a changed leaf pair changes the root and the returned
    claim, which the caller's check against the leaves then refuses."""
    F, rnd = get_field(name), random.Random(12)
    E = F.ext
    p, q = (as_array(F, rand_leaves(F, 2, rnd)) for _ in range(2))
    proof, pclaim, _ = prove_verify(F, p, q, 1)
    for i in range(4):
        bad = verify_fraction_sum(
            F, 1, tampered(proof, "top", i), Transcript(b"fraction-test"), "lookup"
        )
        leaf = mle_evaluate(F, p if i < 2 else q, bad.point)
        assert not E.equal(bad.p_value if i < 2 else bad.q_value, leaf)


@pytest.mark.parametrize("name", FIELDS)
def test_other_transcript_rejects_or_moves_the_point(name):
    F, rnd = get_field(name), random.Random(13)
    E = F.ext
    for m in (1, 4):
        q = as_array(F, rand_leaves(F, 1 << m, rnd))
        proof, pclaim, _ = prove_verify(F, None, q, m)
        for tr, label in (
            (Transcript(b"fraction-test"), "other"),
            (Transcript(b"other"), "lookup"),
        ):
            if m == 1:
                claim = verify_fraction_sum(F, m, proof, tr, label)
                assert not E.equal(claim.point[0], pclaim.point[0])
            else:
                with pytest.raises(ProofRejected):
                    verify_fraction_sum(F, m, proof, tr, label)
        with pytest.raises(ProofRejected):  # a proof for another size
            verify_fraction_sum(F, m + 1, proof, Transcript(b"fraction-test"), "lookup")


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("unit", [False, True])
def test_tree_round_trip_and_malformed(name, unit):
    F, rnd, m = get_field(name), random.Random(14), 3
    E = F.ext
    q = as_array(F, rand_leaves(F, 1 << m, rnd))
    p = None if unit else as_array(F, rand_leaves(F, 1 << m, rnd))
    proof, _, _ = prove_verify(F, p, q, m)
    magic = b"ZKFT"
    _, tree = decode(encode(magic, 1, proof.to_tree()), magic, 1, "test")
    back = FractionProof.from_tree(Schema(tree, "proof"), F, m)
    assert encode(magic, 1, back.to_tree()) == encode(magic, 1, proof.to_tree())
    verify_fraction_sum(F, m, back, Transcript(b"fraction-test"), "lookup")

    bad_value = b"\xff" * E.byte_len  # above p in every encoding
    changes = [
        lambda t: t.update(extra=b""),
        lambda t: t.pop("unit_p"),
        lambda t: t.update(unit_p=1),
        lambda t: t.update(unit_p=not t["unit_p"]),  # changes every expected length
        lambda t: t.update(top=t["top"][:-1]),
        lambda t: t.update(top=t["top"] + bad_value),
        lambda t: t.update(top=bad_value + t["top"][E.byte_len :]),
        lambda t: t["layers"].pop(),
        lambda t: t["layers"].append(t["layers"][-1]),
        lambda t: t["layers"][0].update(rounds=t["layers"][0]["rounds"] + bad_value),
        lambda t: t["layers"][1].update(values=t["layers"][1]["values"][: -E.byte_len]),
        lambda t: t["layers"][1].update(more=b""),
        lambda t: t.update(layers=t["layers"][::-1]),
    ]
    for change in changes:
        t = proof.to_tree()
        change(t)
        with pytest.raises(FormatError):
            FractionProof.from_tree(Schema(t, "proof"), F, m)
    for other in (m - 1, m + 1):
        with pytest.raises(FormatError):
            FractionProof.from_tree(Schema(proof.to_tree(), "proof"), F, other)


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize("m", [0, 1, 2])
def test_small_trees_round_trip(name, m):
    F, rnd = get_field(name), random.Random(15 + m)
    for unit in (False, True):
        q = as_array(F, rand_leaves(F, 1 << m, rnd))
        p = None if unit else as_array(F, rand_leaves(F, 1 << m, rnd))
        proof, pclaim, _ = prove_verify(F, p, q, m)
        back = FractionProof.from_tree(Schema(proof.to_tree(), "proof"), F, m)
        claim = verify_fraction_sum(F, m, back, Transcript(b"fraction-test"), "lookup")
        assert F.ext.equal(claim.q_value, pclaim.q_value)
        with pytest.raises(FormatError):
            FractionProof.from_tree(Schema(proof.to_tree(), "proof"), F, m + 1)


def test_bad_leaf_shapes_raise():
    F = get_field("m31")
    with pytest.raises(ValueError):
        prove_fraction_sum(F, None, F.ext.zeros(3), Transcript(b"x"), "t")
    with pytest.raises(ValueError):
        prove_fraction_sum(F, F.ext.zeros(2), F.ext.zeros(4), Transcript(b"x"), "t")


# ---- soundness formula --------------------------------------------------------------------------


@pytest.mark.parametrize("name", FIELDS)
def test_soundness_formula(name):
    F = get_field(name)
    size_bits = F.ext.degree * math.log2(F.p)
    assert fraction_soundness(F, 0) == -math.inf
    assert fraction_soundness(F, 1) == pytest.approx(-size_bits)
    # m = 3: the root's mu (1), layer 1: lambda + 1 round of degree 3 + mu (5),
    # layer 2: lambda + 2 rounds + mu (8)
    assert fraction_soundness(F, 3) == pytest.approx(math.log2(1 + 5 + 8) - size_bits)
    bits = [fraction_soundness(F, m) for m in range(1, 30)]
    assert all(a < b for a, b in zip(bits, bits[1:], strict=False))
    assert fraction_soundness(F, 24) < -100
    assert np.isfinite(fraction_soundness(F, 24))
