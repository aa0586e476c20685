"""One sumcheck round, shared by the GKR sumcheck, the fraction GKR and the tensor-code
PCS's column sumcheck: over tables laid out [lo | hi] along the last axis (the layout in which
a sumcheck binds its top variable) the round's two sums and the multilinear fold, on the
chunked m31 kernels over QM31 (zkcc.field.m31_kernels) and on the field's own array operations
otherwise; the degree-2 message they give; what a round sends (all values but h(1), which
the running claim fixes) and how prover and verifier take it into the transcript
(`send_coefficients`, `read_round`); and the round polynomial's value at the challenge.
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


def round_coefficients(E: ExtField, claim: Array, h0: Array, q: Array) -> list[list[int]]:
    """h(t) = h(0) + b t + q t^2 of a degree-2 round as its three coefficients, each d ints,
    from h(0) = sum lo_f lo_g, q = sum d_f d_g (`round_sums`) and the running claim:
    h(0) + h(1) = claim fixes b = claim - 2 h(0) - q. On ints: a handful of scalars, where
    numpy's per-call cost rules."""
    p = E.base.p
    h0s, qs, cs = E.ints(h0), E.ints(q), E.ints(claim)
    return [h0s, [(c - 2 * a - b) % p for a, b, c in zip(h0s, qs, cs, strict=True)], qs]


def with_h1(E: ExtField, sent: Array, claim: Array) -> list[list[int]]:
    """The round's values h(0), ..., h(D) from what was sent (`send_coefficients`) and the
    running claim, as d lists of ints (`interpolate_rows`'s rows): h(1) = claim - h(0). A
    verifier that takes h(1) so has nothing to check in the round; the claim's consistency
    moves into the final check, as in the usual sumcheck."""
    p = E.base.p
    return [
        [row[0], (c - row[0]) % p, *row[1:]]
        for row, c in zip(E.rows_ints(sent), E.ints(claim), strict=True)
    ]


def send_coefficients(
    F: PrimeField, tr: Transcript, label: str, j: int, coeffs: list[list[int]]
) -> tuple[Array, Array, Array]:
    """A prover's round j of the polynomial h given by its D + 1 coefficients (low first,
    each d integers, reduced or not): absorbs its values h(0), h(2), ..., h(D) under
    `label`/round{j}, draws r (`label`/r{j}) and returns (sent, r, h(r)). A round sends all its
    values but h(1), which the running claim fixes (h(0) + h(1) = claim): one extension
    element less per round, a third of a degree-2 sumcheck (merkle's 1,439 layers send about
    35,000 rounds). The prover holds the coefficients, so the values are integer powers and
    h(r) is Horner's rule (D extension products), with no interpolation."""
    E, p = F.ext, F.p
    columns = list(zip(*coeffs, strict=True))  # d tuples of D + 1 coefficients
    sent = [[c % p for c in coeffs[0]]]
    for t in range(2, len(coeffs)):
        powers = [t**k for k in range(len(coeffs))]
        sent.append([sum(map(mul, powers, col)) % p for col in columns])
    sent_array = E.from_reduced_ints(sent)
    tr.absorb_field(f"{label}/round{j}", E, sent_array)
    r = tr.challenge_ext(f"{label}/r{j}", F)
    return sent_array, r, E.from_reduced_ints(E.poly_at_ints(coeffs, E.ints(r)))


def read_round(
    F: PrimeField, tr: Transcript, label: str, j: int, sent: Array, claim: Array
) -> tuple[Array, Array]:
    """`send_coefficients` from what was sent and the running claim (the verifier's side):
    returns (r, h(r)), h(1) taken from the claim."""
    tr.absorb_field(f"{label}/round{j}", F.ext, sent)
    r = tr.challenge_ext(f"{label}/r{j}", F)
    return r, interpolate_rows(F.ext, with_h1(F.ext, sent, claim), r)


def interpolate_rows(E: ExtField, rows: list[list[int]], r: Array) -> Array:
    """h(r) for the polynomial given by h(0), ..., h(D), as d lists of D + 1 ints (one per
    component), in Python ints: a handful of scalar products per round, where numpy's
    per-call cost would dominate. Degree 2, nearly every round, in Newton's form:
    h(r) = h(0) + r (Dh + (r - 1) D^2h / 2), forward differences D (two extension products).
    Otherwise the coefficients come from the values by a fixed base-field matrix
    (`_coefficient_matrix`: base times extension, no extension product), then Horner's rule
    at r: D extension products, where Lagrange's basis at r took 4D + 2."""
    p = E.base.p
    rr = E.ints(r)
    if len(rows[0]) == 3:
        half = (p + 1) // 2
        first = [y1 - y0 for y0, y1, _ in rows]
        second = [(y2 - 2 * y1 + y0) * half for y0, y1, y2 in rows]
        inner = E.mul_ints(second, [rr[0] - 1, *rr[1:]])
        outer = E.mul_ints([a + b for a, b in zip(inner, first, strict=True)], rr)
        return E.from_reduced_ints([(a + row[0]) % p for a, row in zip(outer, rows, strict=True)])
    deg = len(rows[0]) - 1
    coeffs = [[sum(map(mul, mk, row)) for row in rows] for mk in _coefficient_matrix(p, deg)]
    return E.from_reduced_ints(E.poly_at_ints(coeffs, rr))


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
