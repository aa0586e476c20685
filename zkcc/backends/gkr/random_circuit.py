"""Random layered circuits with satisfying witnesses, for tests and benchmarks.

The last layer must be all zero on a valid witness. We get that by construction: the circuit
computes some random layers and then one residue layer r[o] = u[o] - u[o] (an add gate with
coefficient 1 and one with -1 on the same wire), so every residue is zero whatever the inputs,
while every gate of the earlier layers still shapes the claims the prover must answer.
"""

from __future__ import annotations

import numpy as np

from zkcc.backends.gkr.circuit import InputSegment, Layer, LayeredCircuit


def _wires(rng: np.random.Generator, g: int, w_out: int, w_in: int, k: int) -> np.ndarray:
    cols = [rng.integers(0, 1 << w_out, g)] + [rng.integers(0, 1 << w_in, g) for _ in range(k)]
    return np.stack(cols, axis=1).astype(np.int64).reshape(g, k + 1)


def random_layer(
    rng: np.random.Generator, p: int, w_out: int, w_in: int, n_mul: int, n_add: int, n_const: int
) -> Layer:
    def coefs(g: int) -> tuple[int, ...]:
        return tuple(int(x) for x in rng.integers(1, min(p, 1 << 62), g))

    return Layer(
        width_log2=w_out,
        mul_wires=_wires(rng, n_mul, w_out, w_in, 2),
        mul_coef=coefs(n_mul),
        add_wires=_wires(rng, n_add, w_out, w_in, 1),
        add_coef=coefs(n_add),
        const_out=rng.integers(0, 1 << w_out, n_const).astype(np.int64),
        const_coef=coefs(n_const),
    )


def zero_layer(p: int, w: int) -> Layer:
    """r[o] = u[o] - u[o]: all-zero residues over a width-2^w layer."""
    o = np.arange(1 << w, dtype=np.int64)
    wires = np.concatenate([np.stack([o, o], 1), np.stack([o, o], 1)])
    return Layer(
        width_log2=w,
        mul_wires=np.zeros((0, 3), dtype=np.int64),
        mul_coef=(),
        add_wires=wires,
        add_coef=(1,) * (1 << w) + (p - 1,) * (1 << w),
        const_out=np.zeros(0, dtype=np.int64),
        const_coef=(),
    )


def random_circuit(
    rng: np.random.Generator,
    p: int,
    widths: list[int],
    gates: list[tuple[int, int, int]],
    segments: list[tuple[str, int, int, bool]],
) -> LayeredCircuit:
    """widths[0] = input_log2, widths[i] for later layers; gates[i] = (mul, add, const) counts
    of layers[i]; segments = (name, offset, size_log2, broadcast). A zero layer is appended."""
    layers = [random_layer(rng, p, widths[i + 1], widths[i], *gates[i]) for i in range(len(gates))]
    layers.append(zero_layer(p, widths[len(gates)]))
    segs = tuple(InputSegment(nm, off, k, 1 << k, bc) for nm, off, k, bc in segments)
    return LayeredCircuit(widths[0], segs, tuple(layers))


def random_inputs(
    rng: np.random.Generator, p: int, circuit: LayeredCircuit, n_inst: int
) -> np.ndarray:
    """(N, 2^input_log2) object array of ints: random segment values, zero gaps, broadcast
    segments equal on all instances."""
    v = np.zeros((n_inst, 1 << circuit.input_log2), dtype=object)
    for seg in circuit.segments:
        size = 1 << seg.size_log2
        rows = 1 if seg.broadcast else n_inst
        vals = np.array(
            [[int(x) for x in r] for r in rng.integers(0, 1 << 62, (rows, size))], dtype=object
        )
        v[:, seg.offset : seg.offset + size] = vals % p
    return v
