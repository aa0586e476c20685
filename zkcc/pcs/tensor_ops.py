"""Parts of the tensor-code PCS's opening: eq values, a small sumcheck over the combined
rows (its row combinations are zkcc.field.linalg's)."""

from __future__ import annotations

from typing import Any

from zkcc.encoding import Schema
from zkcc.field.base import Array, PrimeField
from zkcc.field.rounds import (
    fold_halves,
    read_round,
    round_coefficients,
    round_sums,
    send_coefficients,
)
from zkcc.transcript import Transcript


def eq_eval(F: PrimeField, a: Array, b: Array) -> Array:
    """eq(a, b) = prod_i (a_i b_i + (1 - a_i)(1 - b_i)) for (d, m) extension points; `a`
    may hold several points, (d, k, m), each against b: then (d, k)."""
    E = F.ext
    one = E.one()
    acc = one if a.ndim == 2 else E.from_base(F.ones(a.shape[1:-1]))
    for i in range(a.shape[-1]):
        ab = E.mul(a[..., i], b[:, i])
        term = E.add(E.sub(E.sub(one, a[..., i]), b[:, i]), E.add(ab, ab))
        acc = E.mul(acc, term)
    return acc


def sumcheck_prove(
    F: PrimeField, tr: Transcript, label: str, Y: Array, B: Array
) -> tuple[list[bytes], list[Array], Array]:
    """Prove sum_{c, x} Y[c, x] B[c, x] = claim for (d, k, 2^n) tables, binding the top
    variable first. Returns (round messages, point in mle order, Y_c~(point) as (d, k)).

    The tables are laid out x-major, (d, 2^n k), so that binding x's top variable halves the
    whole table, and run on the GKR sumcheck's round (zkcc.field.rounds): a message needs
    only sum lo*lo, sum d*d (d = hi - lo) and the running claim; the tables fold in place."""
    E = F.ext
    d, k, n = Y.shape
    f, g = (F.xp.ascontiguousarray(t.transpose(0, 2, 1)).reshape(d, n * k) for t in (Y, B))
    claim = E.dot(f, g)
    rounds, chal = [], []
    while f.shape[-1] > k:
        coeffs = round_coefficients(E, claim, *round_sums(E, f, g))
        sent, r, claim = send_coefficients(F, tr, label, len(rounds), coeffs)
        f, g = fold_halves(E, f, r), fold_halves(E, g, r)
        rounds.append(E.encode(sent))
        chal.append(r)
    return rounds, chal[::-1], f


def sumcheck_verify(
    F: PrimeField, tr: Transcript, label: str, rounds: list[Schema], claim: Array
) -> tuple[list[Array], Array]:
    """Replay the rounds (each h(0), h(2); h(1) from the running claim); returns (point in
    mle order, final claim)."""
    E = F.ext
    chal = []
    for j, s in enumerate(rounds):
        sent = E.decode(s.bytes(length=2 * E.byte_len), 2)
        r, claim = read_round(F, tr, label, j, sent, claim)
        chal.append(r)
    return chal[::-1], claim


def as_point(F: PrimeField, point: Any, m: int) -> Array:
    """A (d, m) extension array from a list of (d,) scalars or a (d, m) array."""
    E = F.ext
    if hasattr(point, "ndim") and point.ndim == 2:
        pt = point
    else:
        pts = list(point)
        pt = E.xp.stack(pts, axis=1) if pts else E.zeros(0)
    if pt.shape != (E.degree, m):
        raise ValueError(f"claim point must have {m} coordinates in the challenge field")
    return pt
