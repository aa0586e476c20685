"""Sumcheck completeness and soundness over both fields and all table kinds."""

from __future__ import annotations

import random

import numpy as np
import pytest

from zkcc.backends.gkr.sumcheck import (
    SumcheckProof,
    SumcheckProver,
    SumcheckVerifier,
    hooked_coefficients,
    reference_sum,
)
from zkcc.encoding import Schema
from zkcc.errors import FormatError, ProofRejected
from zkcc.field import get_field, mle_evaluate
from zkcc.field.rounds import interpolate_rows, read_round, send_coefficients
from zkcc.transcript import Transcript

FIELDS = ["m31", "bn254"]


def tables(F, m, kinds, seed):
    rng = np.random.default_rng(seed)
    out = []
    for kind in kinds:
        shape = (1 << m,) if kind == "base" else (F.ext.degree, 1 << m)
        out.append(F.array(rng.integers(0, 2**62, shape, dtype=np.int64)))
    return out


def run(F, f, g, claim, domain=b"sc"):
    res = SumcheckProver(F, Transcript(domain), "t").prove(f, g, claim)
    return res


def check(F, f, g, claim, proof, m, domain=b"sc"):
    """Verifier plus the caller's final check; returns True iff accepted."""
    E = F.ext
    try:
        point, final = SumcheckVerifier(F, Transcript(domain), "t").verify(claim, proof, m, "sc")
    except ProofRejected:
        return False
    return E.equal(E.mul(mle_evaluate(F, f, point), mle_evaluate(F, g, point)), final)


@pytest.mark.parametrize("name", FIELDS)
@pytest.mark.parametrize(
    "kinds", [("base", "ext"), ("ext", "ext"), ("base", "base"), ("ext", "base")]
)
@pytest.mark.parametrize("m", [0, 1, 5])
def test_completeness(name, kinds, m):
    F = get_field(name)
    E = F.ext
    f, g = tables(F, m, kinds, m)
    claim = E.dot(f, g)
    if kinds == ("base", "base"):
        assert E.to_ints(claim)[0] == reference_sum(F, F.to_ints(f), F.to_ints(g))
    f0, g0 = f.copy(), g.copy()
    res = run(F, f, g, claim)
    assert np.array_equal(f, f0) and np.array_equal(g, g0)  # inputs untouched without donate
    assert len(res.proof.rounds) == m
    assert E.equal(res.f_eval, mle_evaluate(F, f, res.point))
    assert E.equal(res.g_eval, mle_evaluate(F, g, res.point))
    assert check(F, f, g, claim, res.proof, m)


def test_completeness_large_m31_threaded():
    F = get_field("m31")
    f, g = tables(F, 16, ("ext", "base"), 7)
    claim = F.ext.dot(f, g)
    assert check(F, f, g, claim, run(F, f, g, claim).proof, 16)


@pytest.mark.parametrize("name", FIELDS)
def test_wrong_claim_rejected(name):
    F = get_field(name)
    E = F.ext
    f, g = tables(F, 4, ("base", "ext"), 1)
    claim = E.dot(f, g)
    bad = E.add(claim, E.one())
    # an honest proof checked against a different claim: h(1) taken from it is wrong, and so
    # is the final value
    assert not check(F, f, g, bad, run(F, f, g, claim).proof, 4)
    # a prover forced to start from the wrong claim ends with a wrong final value
    assert not check(F, f, g, bad, run(F, f, g, bad).proof, 4)


@pytest.mark.parametrize("name", FIELDS)
def test_every_tampered_round_value_rejected(name):
    F = get_field(name)
    E = F.ext
    m = 4
    f, g = tables(F, m, ("ext", "ext"), 2)
    claim = E.dot(f, g)
    proof = run(F, f, g, claim).proof
    assert check(F, f, g, claim, proof, m)
    for j in range(m):
        assert proof.rounds[j].shape == (E.degree, 2)  # h(0), h(2): h(1) is not sent
        for k in range(2):
            for c in range(E.degree):
                rounds = [r.copy() for r in proof.rounds]
                rounds[j][c, k] = (rounds[j][c, k] + 1) % F.p
                assert not check(F, f, g, claim, SumcheckProof(E, tuple(rounds)), m), (j, k, c)
    assert not check(F, f, g, claim, proof, m, domain=b"other")
    with pytest.raises(ProofRejected):
        SumcheckVerifier(F, Transcript(b"sc"), "t").verify(claim, proof, m + 1, "sc")


@pytest.mark.parametrize("name", FIELDS)
def test_tree_round_trip_and_validation(name):
    F = get_field(name)
    E = F.ext
    f, g = tables(F, 3, ("base", "ext"), 3)
    claim = E.dot(f, g)
    proof = run(F, f, g, claim).proof
    tree = proof.to_tree()
    back = SumcheckProof.from_tree(Schema(tree, "sc"), F, 3)
    assert check(F, f, g, claim, back, 3)
    with pytest.raises(FormatError):
        SumcheckProof.from_tree(Schema(tree, "sc"), F, 4)
    with pytest.raises(FormatError):
        SumcheckProof.from_tree(Schema(tree[:-1] + [tree[-1][:-1]], "sc"), F, 3)
    over = F.p.to_bytes(F.byte_len, "little")
    with pytest.raises(FormatError):
        SumcheckProof.from_tree(Schema([over + tree[0][F.byte_len :]] + tree[1:], "sc"), F, 3)
    with pytest.raises(FormatError):
        SumcheckProof.from_tree(Schema({"rounds": tree}, "sc"), F, 3)


@pytest.mark.parametrize("name", FIELDS)
def test_interpolate_matches_lagrange_in_plain_ints(name):
    """interpolate_rows (coefficients by a fixed base matrix, then Horner) against the Lagrange form
    computed with plain modular inverses, degrees 1 to 5, random values and points."""
    F = get_field(name)
    E, p, rng = F.ext, F.p, random.Random(31)
    for deg in range(1, 6):
        vals = [[rng.randrange(p) for _ in range(E.degree)] for _ in range(deg + 1)]
        r = [rng.randrange(p) for _ in range(E.degree)]
        want = [0] * E.degree
        for i in range(deg + 1):
            w = E.unit_ints(1)
            for j in range(deg + 1):
                if j != i:
                    w = E.mul_ints(w, E.sub_ints(r, E.unit_ints(j)))
                    w = E.mul_ints(w, E.unit_ints(pow(i - j, p - 2, p)))
            want = E.add_ints(want, E.mul_ints(w, vals[i]))
        rows = [list(c) for c in zip(*vals, strict=True)]
        assert E.ints(interpolate_rows(E, rows, E.from_ints(r))) == want


def _at(p: int, coeffs: list[list[int]], t: int) -> list[int]:
    """sum_k coeffs[k] t^k mod p for an integer t, in plain ints."""
    return [sum(c[j] * t**k for k, c in enumerate(coeffs)) % p for j in range(len(coeffs[0]))]


@pytest.mark.parametrize("name", FIELDS)
def test_send_coefficients_sends_values_and_agrees_with_the_verifier(name):
    """send_coefficients, on unreduced coefficients of degrees 1 to 5: it sends h(0), h(2), ..,
    h(D) (plain sum_k c_k t^k), and its h(r) is sum_k c_k r^k (powers of r in the extension)
    and what read_round, on the same transcript with the claim h(0) + h(1), interpolates from
    what was sent (Newton's form at degree 2, the coefficient matrix otherwise)."""
    F = get_field(name)
    E, p, rng = F.ext, F.p, random.Random(7)
    for deg in range(1, 6):
        coeffs = [[rng.randrange(-p, 3 * p) for _ in range(E.degree)] for _ in range(deg + 1)]
        sent, r, h_r = send_coefficients(F, Transcript(b"c"), "x", 3, coeffs)
        want = [_at(p, coeffs, 0), *(_at(p, coeffs, t) for t in range(2, deg + 1))]
        assert [E.ints(sent[:, i]) for i in range(deg)] == want
        power, at_r = E.unit_ints(1), [0] * E.degree
        for c in coeffs:
            at_r = E.add_ints(at_r, E.mul_ints(power, c))
            power = E.mul_ints(power, E.ints(r))
        assert E.ints(h_r) == at_r
        claim = E.from_ints(E.add_ints(_at(p, coeffs, 0), _at(p, coeffs, 1)))
        r_read, h_read = read_round(F, Transcript(b"c"), "x", 3, sent, claim)
        assert E.ints(r_read) == E.ints(r) and E.ints(h_read) == at_r


@pytest.mark.parametrize("name", FIELDS)
def test_hooked_coefficients_keep_the_claim_and_the_data_part(name):
    """hooked_coefficients: the round polynomial less the hook's is the data part h0 + b t
    + q t^2 (h0 and q as given, nothing above t^2; without q, the w round's, nothing above t),
    and its values at 0 and 1 add up to the claim; unreduced hooks of degrees 1 to 4."""
    F = get_field(name)
    E, p, rng = F.ext, F.p, random.Random(11)

    def scalar() -> list[int]:
        return [rng.randrange(p) for _ in range(E.degree)]

    for deg in range(1, 5):
        for with_q in (True, False) if deg >= 2 else (False,):
            extra = [
                [rng.randrange(-p * p, p * p) for _ in range(E.degree)] for _ in range(deg + 1)
            ]
            h0, q, claim = scalar(), scalar() if with_q else None, scalar()
            got = hooked_coefficients(E, extra, h0, q, claim)
            assert len(got) == deg + 1
            data = [
                [(a - b) % p for a, b in zip(g, e, strict=True)]
                for g, e in zip(got, extra, strict=True)
            ]
            assert data[0] == h0
            above = [[0] * E.degree] * (deg - 1 - with_q)
            assert data[2:] == ([q] if with_q else []) + above
            assert E.add_ints(_at(p, got, 0), _at(p, got, 1)) == claim
