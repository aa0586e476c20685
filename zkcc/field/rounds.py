"""One sumcheck round, shared by the GKR sumcheck, the fraction GKR and the tensor-code
PCS's column sumcheck: over tables laid out [lo | hi] along the last axis (the layout in which
a sumcheck binds its top variable) the round's two sums and the multilinear fold, on the
chunked m31 kernels over QM31 (zkcc.field.m31_kernels) and on the field's own array operations
otherwise; the degree-2 message they give; what a round sends (all values but h(1), which
the running claim fixes) and how prover and verifier take it into the transcript
(`send_points`, `read_round`); and the round polynomial's value at the challenge.
"""

from __future__ import annotations

import functools
from operator import mul
from typing import TYPE_CHECKING

from zkcc.field.base import Array
from zkcc.field.ext import ExtField

if TYPE_CHECKING:
    from zkcc.field.base import PrimeField
    from zkcc.transcript import Transcript


def round_sums(E: ExtField, f: Array, g: Array) -> tuple[Array, Array]:
    """(sum lo_f lo_g, sum d_f d_g); leaves d = hi - lo in the hi halves of f and g."""
    if E.degree > 1:
        from zkcc.field.m31_kernels import round_diff

        return round_diff(E, f, g)
    F = E.base
    h = f.shape[-1] // 2
    for t in (f, g):
        t[..., h:] = F.sub(t[..., h:], t[..., :h])
    return E.dot(f[..., :h], g[..., :h]), E.dot(f[..., h:], g[..., h:])


def fold_halves(E: ExtField, t: Array, r: Array) -> Array:
    """lo + r d for a table laid out [lo | d]; always returns an extension table."""
    if E.degree > 1:
        from zkcc.field.m31_kernels import fold

        return fold(E, t, r)
    h = t.shape[-1] // 2
    return E.fold(t[..., :h], t[..., h:], r)


def round_points(E: ExtField, claim: Array, h0: Array, q: Array) -> list[list[int]]:
    """h(0), h(1), h(2) of a degree-2 round, each d ints, from h(0) = sum lo_f lo_g,
    q = sum d_f d_g (`round_sums`) and the running claim: h(1) = claim - h(0), and
    h(2) = 2 h(1) - h(0) + 2 q, since h(t) = h(0) + b t + q t^2. On ints: a handful of
    scalars, where numpy's per-call cost rules."""
    p = E.base.p
    h0s, qs, cs = E.ints(h0), E.ints(q), E.ints(claim)
    h1s = [(c - a) % p for a, c in zip(h0s, cs, strict=True)]
    h2s = [(2 * x - a + 2 * b) % p for a, b, x in zip(h0s, qs, h1s, strict=True)]
    return [h0s, h1s, h2s]


def with_h1(E: ExtField, sent: Array, claim: Array) -> list[list[int]]:
    """The round's values h(0), ..., h(D) from what was sent (`send_points`) and the running
    claim, as d lists of ints (`interpolate_rows`'s rows): h(1) = claim - h(0). A verifier that
    takes h(1) so has nothing to check in the round; the claim's consistency moves into the
    final check, as in the usual sumcheck."""
    p = E.base.p
    return [
        [row[0], (c - row[0]) % p, *row[1:]]
        for row, c in zip(E.rows_ints(sent), E.ints(claim), strict=True)
    ]


def send_points(
    F: PrimeField, tr: Transcript, label: str, j: int, points: list[list[int]]
) -> tuple[Array, Array, Array]:
    """A prover's round j of the values h(0) .. h(D), as D + 1 lists of d ints: absorbs what it
    sends under `label`/round{j}, draws r (`label`/r{j}) and returns (sent, r, h(r)), the sent
    array made once and h(r) interpolated from the ints. A round sends all its values but h(1),
    which the running claim fixes (h(0) + h(1) = claim): one extension element less per
    round, a third of a degree-2 sumcheck (merkle's 1,439 layers send about 35,000 rounds)."""
    E = F.ext
    sent = E.from_reduced_ints([points[0], *points[2:]])
    tr.absorb_field(f"{label}/round{j}", E, sent)
    r = tr.challenge_ext(f"{label}/r{j}", F)
    return sent, r, interpolate_rows(E, [list(c) for c in zip(*points, strict=True)], r)


def read_round(
    F: PrimeField, tr: Transcript, label: str, j: int, sent: Array, claim: Array
) -> tuple[Array, Array]:
    """`send_points` from what was sent and the running claim (the verifier's side, and a
    prover that builds only the sent values): returns (r, h(r)), h(1) taken from the claim."""
    tr.absorb_field(f"{label}/round{j}", F.ext, sent)
    r = tr.challenge_ext(f"{label}/r{j}", F)
    return r, interpolate_rows(F.ext, with_h1(F.ext, sent, claim), r)


def interpolate_rows(E: ExtField, rows: list[list[int]], r: Array) -> Array:
    """h(r) for the polynomial given by h(0), ..., h(D), as d lists of D + 1 ints (one per
    component), in Python ints: a handful of scalar products per round, where numpy's
    per-call cost would dominate. The coefficients come from the values by a fixed base-field
    matrix (`_coefficient_matrix`: base times extension, no extension product), then Horner's
    rule at r: D extension products, where Lagrange's basis at r took 4D + 2."""
    p = E.base.p
    deg = len(rows[0]) - 1
    coeffs = [[sum(map(mul, mk, row)) % p for row in rows] for mk in _coefficient_matrix(p, deg)]
    rr = E.ints(r)
    acc = coeffs[deg]
    for c in reversed(coeffs[:deg]):
        acc = E.add_ints(E.mul_ints(acc, rr), c)
    return E.from_reduced_ints(acc)


@functools.cache
def _coefficient_matrix(p: int, deg: int) -> tuple[tuple[int, ...], ...]:
    """M with coefficient k of the polynomial = sum_i M[k][i] h(i), for values at 0 .. deg
    (the inverse Vandermonde matrix mod p): row i of the Lagrange basis l_i(x) = prod_{j != i}
    (x - j) / (i - j), expanded. Fixed by the degree, so computed once."""
    cols = []
    for i in range(deg + 1):
        poly = [1]  # prod_{j != i} (x - j), low coefficient first
        denom = 1
        for j in range(deg + 1):
            if j != i:
                poly = [(a - j * b) % p for a, b in zip([0, *poly], [*poly, 0], strict=True)]
                denom = denom * (i - j) % p
        inv = pow(denom, p - 2, p)
        cols.append([c * inv % p for c in poly])
    return tuple(tuple(cols[i][k] for i in range(deg + 1)) for k in range(deg + 1))
