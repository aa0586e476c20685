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


# coordinates whose eq table (2^EQ_LEAF entries) is built with Python ints, for fields
# without an extension (bn254): an array product on a few object entries costs far more
EQ_LEAF = 4
# QM31 tables of up to EQ_DOUBLING coordinates (every leaf of a larger one's halving) are
# doubled, after EQ_INTS in ints, with one scalar-times-table product per coordinate
# (m31_kernels.scalar_times: a 4x4 matrix product), about twice as fast as the int leaves of
# four joined by outer products that they replace, at 4-10 coordinates
EQ_INTS, EQ_DOUBLING = 2, 10


def eq_table(F: PrimeField, point: Point) -> Array:
    """(d, 2^m) table of eq(point, b) for every index b, coordinate i being bit i of b.

    The table of the low half of the coordinates times that of the high half (an outer
    product, b = b_lo + 2^h b_hi), recursively, down to EQ_LEAF coordinates whose table is
    built with Python ints: O(2^m) work in about m / EQ_LEAF array products. Doubling the
    table one coordinate at a time took 3m array calls, most of a small table's cost (the
    GKR and the openings build thousands of small eq tables per proof)."""
    return _eq(F, point_coords(F, point))


def _eq(F: PrimeField, coords: list) -> Array:
    E = F.ext
    if E.degree > 1 and len(coords) <= EQ_DOUBLING:
        return _eq_doubled(F, coords)
    if len(coords) <= EQ_LEAF:
        return _eq_ints(F, coords)
    h = len(coords) // 2
    lo, hi = _eq(F, coords[:h]), _eq(F, coords[h:])
    return E.mul(hi[:, :, None], lo[:, None, :]).reshape(E.degree, -1)


def _eq_ints(F: PrimeField, coords: list) -> Array:
    """eq_table of a few coordinates, doubling over lists of Python ints (E.mul_ints): each
    entry t gives t x and t (1 - x) = t - t x, one extension product and a subtraction."""
    E = F.ext
    if not coords:
        return E.one()[:, None]
    table = [E.unit_ints(1)]
    for r in coords:
        x = E.ints(r)
        high = [E.mul_ints(t, x) for t in table]
        table = [E.sub_ints(t, h) for t, h in zip(table, high, strict=True)] + high
    return E.from_reduced_ints(table)


def _eq_doubled(F: PrimeField, coords: list) -> Array:
    """eq_table of a few QM31 coordinates: the first EQ_INTS by `_eq_ints`, then each doubles
    the table t into [t - t x | t x], t x one scalar-times-table product."""
    from zkcc.field.m31_kernels import scalar_times

    table = _eq_ints(F, coords[:EQ_INTS])
    for r in coords[EQ_INTS:]:
        high = scalar_times(F.ext, r, table)
        table = F.xp.concatenate([F.sub(table, high), high], axis=1)
    return table


def eq_tables(F: PrimeField, points: Array) -> Array:
    """(d, k, 2^m): the eq_table of each of k points (d, k, m) at once, by doubling all of
    them one coordinate at a time (2m array products in all, where k separate tables cost k
    times eq_table's calls: a Ligero opening builds one per claim, 51 in layers)."""
    E = F.ext
    d, k, m = points.shape
    table = E.from_base(F.ones((k, 1)))
    for i in range(m):
        hi = E.mul(table, points[:, :, i : i + 1])
        table = F.xp.concatenate([E.sub(table, hi), hi], axis=-1)
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
