"""Multilinear extensions of tables: eq tables and evaluation.

POINT ORDER CONVENTION (everyone relies on it): for a table T of length 2^m and a point
(r_0, ..., r_{m-1}), coordinate r_i binds bit i of the index (LSB first):

    T~(r) = sum_{b in {0,1}^m} T[sum_i b_i 2^i] * prod_i (r_i b_i + (1 - r_i)(1 - b_i))

so for a flattened 2-d table t[s, x] (index s * 2^k + x) the point is (x coordinates, then s
coordinates). Points are lists of extension scalars (shape (d,)) or one (d, m) array.
"""

from __future__ import annotations

from typing import Any

from zkcc.field.base import Array, PrimeField

Point = Any  # list of extension scalars, or a (d, m) extension array


def point_coords(F: PrimeField, point: Point) -> list[Array]:
    if hasattr(point, "ndim") and point.ndim == 2:
        return [point[:, i] for i in range(point.shape[1])]
    return list(point)


def eq_table(F: PrimeField, point: Point) -> Array:
    """(d, 2^m) table of eq(point, b) for every index b, built in O(2^m) by doubling."""
    E = F.ext
    concatenate = F.xp.concatenate
    table = E.one()[:, None]
    for r in point_coords(F, point):
        hi = E.mul(table, r)  # new top bit = 1: times r_i
        lo = E.sub(table, hi)  # new top bit = 0: times (1 - r_i)
        table = concatenate([lo, hi], axis=1)
    return table


def mle_evaluate(F: PrimeField, table: Array, point: Point) -> Array:
    """T~(point) for a base (2^m,) or extension (d, 2^m) table; returns an extension scalar.

    Folds the top variable first (contiguous halves), consuming point[m-1] down to point[0].
    """
    E = F.ext
    coords = point_coords(F, point)
    n = table.shape[-1]
    if n != 1 << len(coords):
        raise ValueError(f"table of length {n} needs a point of {n.bit_length() - 1} coordinates")
    t = table
    for r in reversed(coords):
        h = t.shape[-1] // 2
        lo, hi = t[..., :h], t[..., h:]
        diff = F.sub(hi, lo)
        t = E.fold(lo, diff, r)
    return t[:, 0] if t.ndim == 2 else E.from_base(t)[:, 0]
