"""Layer-by-layer evaluation of a layered circuit over all instances at once.

`evaluate_circuit` is the fast path (numpy over gates x instances, gate-major: one row per
gate, one column per instance); `reference_evaluate` is its slow, obviously-correct twin over
Python ints that tests hold it against. Field values go through the field's array module
`F.xp`; the circuit's wiring (gate index arrays) is host-side numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zkcc.backends.gkr.circuit import Layer, LayeredCircuit
from zkcc.field import PrimeField
from zkcc.field.base import Array

# Temporaries of one step are kept near this size by working on column chunks.
CHUNK_BYTES = 1 << 24


def column_chunks(columns: int, bytes_per_column: int) -> list[tuple[int, int]]:
    """[start, stop) ranges over the columns so that one range's temporaries stay near
    CHUNK_BYTES (at least one column per range)."""
    step = max(1, CHUNK_BYTES // max(1, bytes_per_column))
    return [(a, min(a + step, columns)) for a in range(0, columns, step)]


def scatter_add(F: PrimeField, vals: Array, idx: np.ndarray, width: int, axis: int = -1) -> Array:
    """out[..., j, ...] = sum_{g : idx[g] = j} vals[..., g, ...] (mod p) along `axis`.

    Sort-and-segment instead of np.add.at: gathering the entries in index order and summing each
    run with add.reduceat is a few contiguous passes. Reduced m31 inputs are < 2^31, so any fan-in
    below 2^33 sums exactly in uint64 before the single reduction.
    """
    axis = axis % vals.ndim
    shape = list(vals.shape)
    shape[axis] = width
    out = F.zeros(tuple(shape))
    if idx.size == 0:
        return out
    xp = F.xp
    order = np.argsort(idx, kind="stable")  # wiring indices: host-side
    sidx = idx[order]
    starts = np.flatnonzero(np.concatenate(([True], sidx[1:] != sidx[:-1])))
    sums = xp.add.reduceat(xp.take(vals, order, axis=axis), starts, axis=axis)
    where = [slice(None)] * vals.ndim
    where[axis] = sidx[starts]
    out[tuple(where)] = sums % F.p
    return out


def coef_array(F: PrimeField, coef: np.ndarray) -> Array:
    """A layer's gate coefficients (zkcc.backends.gkr.circuit.coefficients) as a field array."""
    return F.array(coef) if len(coef) else F.zeros(0)


def apply_layer(F: PrimeField, layer: Layer, v: Array) -> Array:
    """V_{i+1} from the gate-major V_i of shape (W_i, columns); returns (2^width_log2, columns).
    Rows are gates, columns are instances (any order: every column is computed alike)."""
    width = 1 << layer.width_log2
    mw, aw, co = layer.mul_wires, layer.add_wires, layer.const_out
    out_idx = np.concatenate([mw[:, 0], aw[:, 0], co]).astype(np.int64)
    mc, ac, cc = (
        coef_array(F, c)[:, None] for c in (layer.mul_coef, layer.add_coef, layer.const_coef)
    )
    cols = v.shape[1]
    out = F.zeros((width, cols))
    if not len(out_idx):
        return out
    xp = F.xp
    for a, b in column_chunks(cols, 8 * 3 * len(out_idx)):
        vc = v[:, a:b]
        terms = []
        if len(mw):
            terms.append(F.mul(F.mul(vc[mw[:, 1]], vc[mw[:, 2]]), mc))
        if len(aw):
            terms.append(F.mul(vc[aw[:, 1]], ac))
        if len(co):
            terms.append(xp.broadcast_to(cc, (len(co), b - a)))
        out[:, a:b] = scatter_add(F, xp.concatenate(terms, axis=0), out_idx, width, axis=0)
    return out


class LayerStore:
    """The layers V_0 .. V_depth of one shard, gate-major, kept in the field's storage dtype
    (m31: uint32, half of the arithmetic width) and released once the prover is done with
    them. A subclass may keep them elsewhere (SpillStore in zkcc/runtime/memory.py)."""

    def __init__(self, F: PrimeField) -> None:
        self.F = F
        self._layers: dict[int, Array] = {}

    def put(self, i: int, v: Array) -> None:
        self._layers[i] = self.F.compact(v)

    def __getitem__(self, i: int) -> Array:
        return self.F.widen(self._layers[i])

    def __len__(self) -> int:
        return len(self._layers)

    def release(self, i: int) -> None:
        self._layers.pop(i, None)


def evaluate_circuit(
    F: PrimeField, circuit: LayeredCircuit, layer0: Array, store: LayerStore | None = None
) -> LayerStore:
    """All layers V_0 .. V_depth into `store` (a new in-memory one by default); layer0 is the
    gate-major input layer, (2^input_log2, columns)."""
    v = layer0 if getattr(layer0, "dtype", None) == F.dtype else F.array(layer0)
    if v.ndim != 2 or v.shape[0] != 1 << circuit.input_log2:
        raise ValueError(
            f"layer 0 must have shape ({1 << circuit.input_log2}, columns), got {v.shape}"
        )
    store = LayerStore(F) if store is None else store
    store.put(0, v)
    for i, layer in enumerate(circuit.layers):
        v = apply_layer(F, layer, v)
        store.put(i + 1, v)
    return store


def reference_evaluate(p: int, circuit: LayeredCircuit, layer0: list[list[int]]) -> list[Any]:
    """Slow twin over Python ints: nested lists [layer][instance][gate]."""
    layers = [[[x % p for x in row] for row in layer0]]
    for layer in circuit.layers:
        prev = layers[-1]
        nxt = []
        for row in prev:
            out = [0] * (1 << layer.width_log2)
            for (o, a, b), c in zip(layer.mul_wires.tolist(), layer.mul_coef.tolist(), strict=True):
                out[o] = (out[o] + c * row[a] * row[b]) % p
            for (o, a), c in zip(layer.add_wires.tolist(), layer.add_coef.tolist(), strict=True):
                out[o] = (out[o] + c * row[a]) % p
            for o, c in zip(layer.const_out.tolist(), layer.const_coef.tolist(), strict=True):
                out[o] = (out[o] + c) % p
            nxt.append(out)
        layers.append(nxt)
    return layers
