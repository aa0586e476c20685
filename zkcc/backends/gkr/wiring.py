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


def _bit_weights(F: PrimeField, points: tuple[Sequence[Array], ...]) -> list[tuple]:
    """Per instance bit i, (prod_k a_k,i, prod_k (1 - a_k,i)) as int scalars
    (ExtField.mul_ints): what prod_k eq(a_k, s) gives s's bit i when it is 1 and when it is
    0. A few products per bit and layer, where numpy's per-call cost on (d,) arrays was most
    of the work."""
    E = F.ext
    one = E.unit_ints(1)
    out = []
    for coords in zip(*points, strict=True):
        on, off = one, one
        for c in coords:
            x = E.ints(c)
            on, off = E.mul_ints(on, x), E.mul_ints(off, E.sub_ints(one, x))
        out.append((on, off))
    return out


def eq_eval(F: PrimeField, *points: Sequence[Array]) -> Array:
    """prod_i (prod_k a_k,i + prod_k (1 - a_k,i)): the MLE of prod_k eq(a_k, s) summed over s
    against nothing else, i.e. eq(a, b) for two points and the 3-way product for three."""
    E = F.ext
    acc = E.unit_ints(1)
    for on, off in _bit_weights(F, points):
        acc = E.mul_ints(acc, E.add_ints(on, off))
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
