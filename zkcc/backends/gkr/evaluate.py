"""Layer-by-layer evaluation of a layered circuit over all instances at once.

`evaluate_circuit` is the fast path (numpy over instances x gates); `reference_evaluate` is its
slow, obviously-correct twin over Python ints that tests hold it against.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zkcc.backends.gkr.circuit import Layer, LayeredCircuit
from zkcc.field import PrimeField
from zkcc.field.base import Array

xp = np


def scatter_add(F: PrimeField, vals: Array, idx: np.ndarray, width: int) -> Array:
    """out[..., j] = sum_{g : idx[g] = j} vals[..., g] (mod p), for any leading axes.

    Sort-and-segment instead of np.add.at: gathering the columns in index order and summing each
    run with add.reduceat is a few contiguous passes. Reduced m31 inputs are < 2^31, so any fan-in
    below 2^33 sums exactly in uint64 before the single reduction.
    """
    out = F.zeros(vals.shape[:-1] + (width,))
    if idx.size == 0:
        return out
    order = np.argsort(idx, kind="stable")
    sidx = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], sidx[1:] != sidx[:-1])))
    sums = xp.add.reduceat(vals[..., order], starts, axis=-1)
    out[..., sidx[starts]] = sums % F.p
    return out


def coef_array(F: PrimeField, coef: tuple[int, ...]) -> Array:
    """Gate coefficients (Python ints in [0, p)) as a field array."""
    return F.array(np.array(coef, dtype=object)) if coef else F.zeros(0)


def apply_layer(F: PrimeField, layer: Layer, v: Array) -> Array:
    """V_{i+1} from V_i of shape (N, W_i); returns (N, 2^width_log2)."""
    width = 1 << layer.width_log2
    n_inst = v.shape[0]
    mw, aw, co = layer.mul_wires, layer.add_wires, layer.const_out
    terms, outs = [], []
    if len(mw):
        prod = F.mul(F.mul(v[:, mw[:, 1]], v[:, mw[:, 2]]), coef_array(F, layer.mul_coef)[None])
        terms.append(prod)
        outs.append(mw[:, 0])
    if len(aw):
        terms.append(F.mul(v[:, aw[:, 1]], coef_array(F, layer.add_coef)[None]))
        outs.append(aw[:, 0])
    if len(co):
        c = coef_array(F, layer.const_coef)
        terms.append(xp.broadcast_to(c[None], (n_inst, len(co))))
        outs.append(co)
    if not terms:
        return F.zeros((n_inst, width))
    vals = xp.concatenate(terms, axis=1)
    return scatter_add(F, vals, np.concatenate(outs).astype(np.int64), width)


def evaluate_circuit(F: PrimeField, circuit: LayeredCircuit, layer0: Array) -> list[Array]:
    """All layers V_0 .. V_depth, each (N, 2^w_i); V_0 is `layer0` (reduced, (N, 2^input_log2))."""
    v = layer0 if getattr(layer0, "dtype", None) == F.dtype else F.array(layer0)
    if v.ndim != 2 or v.shape[1] != 1 << circuit.input_log2:
        raise ValueError(f"layer 0 must have shape (N, {1 << circuit.input_log2}), got {v.shape}")
    out = [v]
    for layer in circuit.layers:
        v = apply_layer(F, layer, v)
        out.append(v)
    return out


def reference_evaluate(p: int, circuit: LayeredCircuit, layer0: list[list[int]]) -> list[Any]:
    """Slow twin over Python ints: nested lists [layer][instance][gate]."""
    layers = [[[x % p for x in row] for row in layer0]]
    for layer in circuit.layers:
        prev = layers[-1]
        nxt = []
        for row in prev:
            out = [0] * (1 << layer.width_log2)
            for (o, a, b), c in zip(layer.mul_wires.tolist(), layer.mul_coef, strict=True):
                out[o] = (out[o] + c * row[a] * row[b]) % p
            for (o, a), c in zip(layer.add_wires.tolist(), layer.add_coef, strict=True):
                out[o] = (out[o] + c * row[a]) % p
            for o, c in zip(layer.const_out.tolist(), layer.const_coef, strict=True):
                out[o] = (out[o] + c) % p
            nxt.append(out)
        layers.append(nxt)
    return layers
