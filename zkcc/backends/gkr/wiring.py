"""Wiring polynomials of one layer evaluated at challenge points, and eq products.

With eqz = eq_table(rz) over the output gates, eqx / eqy over the input gates:

    mul~(rz, rx, ry) = sum_{mul gates (z, x, y, c)} c eqz[z] eqx[x] eqy[y]
    add~(rz, rx)     = sum_{add gates (z, x, c)}    c eqz[z] eqx[x]
    const~(rz)       = sum_{const gates (z, c)}     c eqz[z]

Each is one gather and one dot over the gate list: O(#gates + widths), independent of N.
Several claims combine by passing a combined table sum_k coeff_k eqz_k (linearity in eqz).
"""

from __future__ import annotations

from collections.abc import Sequence

from zkcc.backends.gkr.circuit import Layer
from zkcc.backends.gkr.evaluate import coef_array
from zkcc.field import PrimeField
from zkcc.field.base import Array
from zkcc.field.ext import ExtField


def gate_weights(F: PrimeField, coef: tuple[int, ...], eqz: Array, z: Array) -> Array:
    """(d, G) extension vector c_g * eqz[z_g]."""
    return F.ext.mul_base(eqz[:, z], coef_array(F, coef))


def mul_tilde(F: PrimeField, layer: Layer, eqz: Array, eqx: Array, eqy: Array) -> Array:
    E, w = F.ext, layer.mul_wires
    if not len(w):
        return E.zeros()
    t = E.mul(gate_weights(F, layer.mul_coef, eqz, w[:, 0]), eqx[:, w[:, 1]])
    return E.dot(t, eqy[:, w[:, 2]])


def add_tilde(F: PrimeField, layer: Layer, eqz: Array, eqx: Array) -> Array:
    E, w = F.ext, layer.add_wires
    if not len(w):
        return E.zeros()
    return E.dot(gate_weights(F, layer.add_coef, eqz, w[:, 0]), eqx[:, w[:, 1]])


def const_tilde(F: PrimeField, layer: Layer, eqz: Array) -> Array:
    E = F.ext
    if not len(layer.const_out):
        return E.zeros()
    return E.dot(eqz[:, layer.const_out], coef_array(F, layer.const_coef))


def _on_off(E: ExtField, coords: list[list[int]]) -> tuple[list[int], list[int]]:
    """(prod_k a_k, prod_k (1 - a_k)) for one bit's coordinates a_k of the points (ints)."""
    one = E.unit_ints(1)
    on, off = coords[0], E.sub_ints(one, coords[0])
    for x in coords[1:]:
        on, off = E.mul_ints(on, x), E.mul_ints(off, E.sub_ints(one, x))
    return on, off


def _bit_weights(F: PrimeField, points: tuple[Sequence[Array], ...]) -> list[tuple]:
    """Per instance bit i, (prod_k a_k,i, prod_k (1 - a_k,i)) as int scalars
    (ExtField.mul_ints): what prod_k eq(a_k, s) gives s's bit i when it is 1 and when it is
    0. A few products per bit and layer, where numpy's per-call cost on (d,) arrays was most
    of the work."""
    E = F.ext
    return [_on_off(E, [E.ints(c) for c in coords]) for coords in zip(*points, strict=True)]


def _both_values(E: ExtField, coords: list[list[int]]) -> list[int]:
    """prod_k a_k + prod_k (1 - a_k) for one bit's coordinates a_k (ints): the sum over the
    bit of prod_k eq(a_k, bit). Expanded, the top products cancel: 1 - a - b + 2 a b for two
    points (one extension product), 1 - a - b - c + a b + c (a + b) for three (two, where
    the two products of _on_off took four); more points multiply both products out."""
    one = E.unit_ints(1)
    if len(coords) == 2:
        a, b = coords
        ab = E.mul_ints(a, b)
        return [u - x - y + 2 * z for u, x, y, z in zip(one, a, b, ab, strict=True)]
    if len(coords) == 3:
        a, b, c = coords
        ab, c_ab = E.mul_ints(a, b), E.mul_ints(c, E.add_ints(a, b))
        terms = zip(one, a, b, c, ab, c_ab, strict=True)
        return [u - x - y - z + v + w for u, x, y, z, v, w in terms]
    return E.add_ints(*_on_off(E, coords))


def eq_eval(F: PrimeField, *points: Sequence[Array]) -> Array:
    """prod_i (prod_k a_k,i + prod_k (1 - a_k,i)): the MLE of prod_k eq(a_k, s) summed over s
    against nothing else, i.e. eq(a, b) for two points and the 3-way product for three."""
    E = F.ext
    acc = E.unit_ints(1)
    if len(points) == 1:  # sum_s eq(a, s) = 1
        return E.from_reduced_ints(acc)
    for coords in zip(*points, strict=True):
        acc = E.mul_ints(acc, _both_values(E, [E.ints(c) for c in coords]))
    return E.from_reduced_ints(acc)


def bits_eq(F: PrimeField, r: Sequence[Array], value: int) -> Array:
    """eq(r, bits of value) = prod_i (r_i if bit i else 1 - r_i), LSB first."""
    E = F.ext
    one = E.unit_ints(1)
    acc = one
    for i, c in enumerate(r):
        x = E.ints(c)
        acc = E.mul_ints(acc, x if (value >> i) & 1 else E.sub_ints(one, x))
    return E.from_reduced_ints(acc)


def prefix_eq(F: PrimeField, count: int, *points: Sequence[Array]) -> Array:
    """sum_{s < count} prod_k eq(a_k, s) over the n-bit instances s (a_k,i binds bit i): the
    weight a data-parallel claim gives the first `count` instances alone, in O(n) rather than
    from 2^n terms (a plan may declare 2^40 instances). Top bit first: where count has bit i,
    every s that agrees with count above bit i and has bit i = 0 is below count (their bits
    under i are free, summing to prod_(j<i) (on_j + off_j)); the rest continue with bit i = 1.
    count >= 2^n is the whole cube, eq_eval."""
    E = F.ext
    n = len(points[0])
    if count >= 1 << n:
        return eq_eval(F, *points)
    bits = _bit_weights(F, points)
    below = [E.unit_ints(1)]  # below[i]: the sum over bits under i, all free
    for on, off in bits:
        below.append(E.mul_ints(below[-1], E.add_ints(on, off)))
    total, scale = E.unit_ints(0), E.unit_ints(1)
    for i in reversed(range(n)):
        on, off = bits[i]
        if count >> i & 1:
            total = E.add_ints(total, E.mul_ints(E.mul_ints(scale, off), below[i]))
            scale = E.mul_ints(scale, on)
        else:
            scale = E.mul_ints(scale, off)
    return E.from_reduced_ints(total)


def instance_eq(F: PrimeField, live: int | None, *points: Sequence[Array]) -> Array:
    """sum_s prod_k eq(a_k, s) over the instances a claim weighs: every one (eq_eval) without
    `live`, the first `live` (prefix_eq) with it."""
    return eq_eval(F, *points) if live is None else prefix_eq(F, live, *points)
