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


def eq_eval(F: PrimeField, *points: Sequence[Array]) -> Array:
    """prod_i (prod_k a_k,i + prod_k (1 - a_k,i)): the MLE of prod_k eq(a_k, s) summed over s
    against nothing else, i.e. eq(a, b) for two points and the 3-way product for three."""
    E = F.ext
    one = E.one()
    acc = one
    for coords in zip(*points, strict=True):
        on, off = one, one
        for c in coords:
            on, off = E.mul(on, c), E.mul(off, E.sub(one, c))
        acc = E.mul(acc, E.add(on, off))
    return acc


def bits_eq(F: PrimeField, r: Sequence[Array], value: int) -> Array:
    """eq(r, bits of value) = prod_i (r_i if bit i else 1 - r_i), LSB first."""
    E = F.ext
    one = E.one()
    acc = one
    for i, c in enumerate(r):
        acc = E.mul(acc, c if (value >> i) & 1 else E.sub(one, c))
    return acc
